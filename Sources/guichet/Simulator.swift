import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
import GuichetSynth
import GuichetVault
import Synchronization

/// The simulated time shared by the gate, the authenticator and the watch.
final class SimClock: Sendable {
    let now: Mutex<Date>
    init(_ start: Date) { now = Mutex(start) }
    func get() -> Date { now.withLock { $0 } }
    func set(_ d: Date) { now.withLock { $0 = max($0, d) } }
}

/// One account the simulation acts as: its credentials, session, network and what it was shown.
final class SimActor {
    let username: String
    let account: AccountID
    let role: String
    let secret: TOTPSecret
    /// The address it works from, and its usual one.
    var source: String
    let office: String
    var token: String?
    var lastUsed = Date.distantPast
    /// Whether it can verify a second factor when asked again (a stolen session cannot).
    var canStepUp = true
    /// Whether it keeps going while throttled (a script) rather than waiting.
    var ignoresThrottle = false
    /// Blocked until then (throttled) or for good (suspended).
    var pausedUntil = Date.distantPast
    var suspendedAt: Date?
    var exposed = Set<PersonID>()
    var stepUps = 0, throttles = 0, suspensions = 0

    init(username: String, account: AccountID, role: String, secret: TOTPSecret, source: String) {
        self.username = username; self.account = account; self.role = role; self.secret = secret; self.source = source; self.office = source
    }
}

/// How a simulated request ended.
enum SimOutcome { case ok, refused, stepUp, throttled(Int), suspended }

/// Drives the real gate (policy, watch, ledger, vault on a real SQLite store) with simulated
/// accounts on a simulated clock. A scenario (the profile's agents, partners and attackers)
/// decides what each account does; this type does the sessions, the second factor and the
/// bookkeeping of what was revealed.
final class Simulation {
    static let password = "simulated-password-not-secret-0001"

    let clock: SimClock
    let store: Store
    let auth: Authenticator
    let gate: Gate
    let profile: Profile
    let folder: URL

    init(profile: Profile, folder: URL, start: Date) async throws {
        self.profile = profile; self.folder = folder
        clock = SimClock(start)
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        let keys = try FileKeyProvider(path: keyFile)
        store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        let clock = self.clock
        auth = try await Authenticator(store: store, profile: profile, hasher: PasswordHasher(parameters: .testing), clock: { clock.get() })
        gate = try Gate(profile: profile, store: store, keys: keys, clock: { clock.get() }, watch: profile.watch)
        self.keys = keys
    }
    let keys: FileKeyProvider

    /// Creates an account (active, created `age` before now) and enrols its TOTP factor.
    func actor(_ username: String, role: String, organisation: OrganisationID?, source: String) async throws -> SimActor {
        let id = try await auth.createAccount(username: username, password: Self.password, role: role, organisation: organisation, createdBy: nil)
        let session = try await auth.signIn(username: username, password: Self.password, source: source)
        let activation = try await auth.consoleActivation(username: username)?.code
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: activation)
        let totp = try TOTPSecret(base32: secret)
        try await auth.verifyTOTP(session.principal, code: totp.code(at: clock.get()))
        try await auth.signOut(token: session.token)
        return SimActor(username: username, account: id, role: role, secret: totp, source: source)
    }

    /// A verified principal for the actor: its session if still alive, else a new sign-in
    /// with its second factor. Nil when the account is suspended.
    func principal(_ a: SimActor) async throws -> Principal? {
        let now = clock.get()
        if let token = a.token, now.timeIntervalSince(a.lastUsed) < auth.idleTimeout - 60 {
            if let p = try? await auth.authenticate(token: token) { a.lastUsed = now; return p }
        }
        a.token = nil
        guard let session = try? await auth.signIn(username: a.username, password: Self.password, source: a.source) else { return nil }
        // A step is never used twice: take the next one if this step's code was just used.
        if (try? await auth.verifyTOTP(session.principal, code: a.secret.code(at: now))) == nil {
            let later = now.addingTimeInterval(30)
            clock.set(later)
            _ = try? await auth.verifyTOTP(session.principal, code: a.secret.code(at: later))
        }
        a.token = session.token
        a.lastUsed = now
        return try? await auth.authenticate(token: session.token)
    }

    /// Runs one request for an actor at the current simulated time; on a step-up demand an
    /// actor that can verifies its second factor and retries once.
    @discardableResult
    func request(_ a: SimActor, purpose: String?, _ body: (GateRequest) async throws -> [DossierView]) async -> SimOutcome {
        let now = clock.get()
        if a.suspendedAt != nil { return .suspended }
        if now < a.pausedUntil && !a.ignoresThrottle { return .throttled(Int(a.pausedUntil.timeIntervalSince(now))) }
        for attempt in 0..<2 {
            guard let p = try? await principal(a) else { return suspended(a) }
            let r = GateRequest(principal: p, requestID: UUID().uuidString, source: a.source, purpose: purpose)
            do {
                let views = try await body(r)
                for v in views { for person in v.persons { a.exposed.insert(person.id) } }
                return .ok
            } catch GuichetError.throttled(let s) {
                a.throttles += 1
                a.pausedUntil = now.addingTimeInterval(Double(s))
                return .throttled(s)
            } catch GuichetError.forbidden(let m) where m.contains("suspended") {
                return suspended(a)
            } catch GuichetError.forbidden(let m) where m.contains("second factor again") {
                a.stepUps += 1
                guard a.canStepUp, attempt == 0, let token = a.token, let p = try? await auth.authenticate(token: token) else { return .stepUp }
                // The next TOTP step: the one of sign-in may not be used twice.
                let later = clock.get().addingTimeInterval(30)
                clock.set(later)
                _ = try? await auth.verifyTOTP(p, code: a.secret.code(at: later))
            } catch {
                return .refused
            }
        }
        return .stepUp
    }

    func suspended(_ a: SimActor) -> SimOutcome {
        if a.suspendedAt == nil { a.suspendedAt = clock.get(); a.suspensions += 1 }
        return .suspended
    }

    /// A security officer reinstates an actor's account (after a false suspension, so that
    /// the simulation of its normal work goes on).
    func reinstate(_ a: SimActor, officer: SimActor) async throws {
        guard a.suspendedAt != nil, let p = try await principal(officer) else { return }
        _ = try? await gate.reinstate(a.account, reason: "simulation: reviewed and found to be normal work",
                                      by: GateRequest(principal: p, requestID: UUID().uuidString, source: officer.source, purpose: nil))
        a.suspendedAt = nil
        a.token = nil
        a.pausedUntil = .distantPast
    }
}
