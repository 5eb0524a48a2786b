import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
import GuichetVault
import Synchronization

/// The simulated time shared by the gate, the authenticator and the watch. It never goes back.
final class SimClock: Sendable {
    let now: Mutex<Date>
    init(_ start: Date) { now = Mutex(start) }
    func get() -> Date { now.withLock { $0 } }
    func set(_ d: Date) { now.withLock { $0 = max($0, d) } }
    func advance(_ seconds: Double) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// One session the simulation acts as: its account's credentials (password and TOTP secret),
/// its session, its network, what it received and what normal work met.
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
    /// Blocked until then (throttled).
    var pausedUntil = Date.distantPast
    var suspendedAt: Date?
    /// Persons whose non-public fields it received.
    var exposed = Set<PersonID>()
    /// When it received each of them (every time).
    var seenAt: [PersonID: [Date]] = [:]
    var stepUps = 0, ceilings = 0, throttles = 0, suspensions = 0
    /// Set on an account's owner once an attacker works on the account: from then on, what the
    /// owner meets is not counted as normal work.
    var attackedFrom: Date?

    init(username: String, account: AccountID, role: String, secret: TOTPSecret, source: String) {
        self.username = username; self.account = account; self.role = role; self.secret = secret; self.source = source; self.office = source
    }

    /// Another session on the same account (an attacker with the stolen password and secret).
    func stolen(from source: String) -> SimActor {
        SimActor(username: username, account: account, role: role, secret: secret, source: source)
    }

    func countsAsNormalWork(at now: Date) -> Bool { attackedFrom.map { now < $0 } ?? true }
}

/// How a simulated request ended, as its caller sees it.
enum SimOutcome {
    case ok([DossierView], next: DossierID?)
    /// 400 or 404: a request the gate refuses whatever the account does (a search without an
    /// allowed combination of terms, a file out of reach).
    case refused(String)
    /// 403: verify the second factor again.
    case stepUp
    /// 403: the role's ceiling; a fresh second factor and a justification let the account go on.
    case ceiling
    /// 403: a watched person reached by name; a justification lets it go on.
    case justification
    case throttled(Int)
    case suspended

    var label: String {
        switch self {
        case .ok(let v, _): "ok(\(v.count))"
        case .refused: "refused"
        case .stepUp: "step-up"
        case .ceiling: "ceiling"
        case .justification: "justification"
        case .throttled(let s): "throttled(\(s))"
        case .suspended: "suspended"
        }
    }
}

/// A read or a search of the gate.
enum SimCall {
    case read(DossierID)
    case search(criteria: [String: String], status: String?, after: DossierID?, limit: Int)
}

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
    let keys: FileKeyProvider
    var requests = 0

    init(profile: Profile, folder: URL, start: Date) async throws {
        self.profile = profile; self.folder = folder
        clock = SimClock(start)
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        keys = try FileKeyProvider(path: keyFile)
        let clock = self.clock
        // Opened as `guichet serve` opens a registry, on the simulated clock, with cheap password hashing.
        let registry = try await Registry.open(database: folder.appendingPathComponent("guichet.sqlite").path, profile: profile, keys: keys,
                                               keysOrigin: keys.origin,
                                               options: RegistryOptions(watch: profile.watch, hasher: PasswordHasher(parameters: .testing),
                                                                        clock: { clock.get() }))
        store = registry.store
        auth = registry.auth
        gate = registry.gate
    }

    /// Creates an account (active) and enrols its TOTP factor.
    func actor(_ username: String, role: String, organisation: OrganisationID?, territory: String? = nil, source: String) async throws -> SimActor {
        let id = try await auth.createAccount(username: username, password: Self.password, role: role, organisation: organisation,
                                              territory: territory, createdBy: nil)
        let session = try await auth.signIn(username: username, password: Self.password, source: source)
        let activation = try await auth.consoleActivation(username: username)?.code
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: activation)
        let totp = try TOTPSecret(base32: secret)
        try await auth.verifyTOTP(session.principal, code: totp.code(at: clock.get()))
        try await auth.signOut(token: session.token)
        return SimActor(username: username, account: id, role: role, secret: totp, source: source)
    }

    /// Verifies the TOTP factor in the actor's session: the current step's code, or the next
    /// step's when this one was already used (a code is never accepted twice).
    func verify(_ a: SimActor, token: String) async -> Bool {
        guard let p = try? await auth.authenticate(token: token) else { return false }
        if (try? await auth.verifyTOTP(p, code: a.secret.code(at: clock.get()))) != nil { return true }
        clock.advance(30)
        return (try? await auth.verifyTOTP(p, code: a.secret.code(at: clock.get()))) != nil
    }

    /// A verified principal for the actor: its session if still alive, else a new sign-in
    /// with its second factor. Nil when the account is suspended.
    func principal(_ a: SimActor) async -> Principal? {
        let now = clock.get()
        if let token = a.token, now.timeIntervalSince(a.lastUsed) < auth.idleTimeout - 60 {
            if let p = try? await auth.authenticate(token: token) { a.lastUsed = now; return p }
        }
        a.token = nil
        guard let session = try? await auth.signIn(username: a.username, password: Self.password, source: a.source) else { return nil }
        guard await verify(a, token: session.token) else { return nil }
        a.token = session.token
        a.lastUsed = clock.get()
        return try? await auth.authenticate(token: session.token)
    }

    /// A step-up: the actor verifies its factor again, at least a second after the demand (a
    /// factor verified in the same second does not answer it).
    func stepUp(_ a: SimActor) async -> Bool {
        clock.advance(1)
        guard let token = a.token else { return await principal(a) != nil }
        return await verify(a, token: token)
    }

    /// Runs one call for an actor at the current simulated time, once.
    func call(_ a: SimActor, _ c: SimCall, type: String, purpose: String?, justification: String? = nil) async -> SimOutcome {
        if a.suspendedAt != nil { return .suspended }
        requests += 1
        guard let p = await principal(a) else { return suspended(a) }
        var r = GateRequest(principal: p, requestID: UUID().uuidString, source: a.source, purpose: purpose)
        r.justification = justification
        do {
            let views: [DossierView], next: DossierID?
            switch c {
            case .read(let id):
                views = [try await gate.read(id, r)]; next = nil
            case .search(let criteria, let status, let after, let limit):
                let page = try await gate.search(type: type, status: status, criteria: criteria, after: after, limit: limit, r)
                views = page.views; next = page.next
            }
            let now = clock.get()
            for p in nonPublicPersons(views) {
                a.exposed.insert(p)
                a.seenAt[p, default: []].append(now)
            }
            return .ok(views, next: next)
        } catch GuichetError.slowed(let s) {
            a.pausedUntil = clock.get().addingTimeInterval(Double(s))
            return .throttled(s)
        } catch GuichetError.throttled(let s) {
            a.pausedUntil = clock.get().addingTimeInterval(Double(s))
            return .throttled(s)
        } catch GuichetError.forbidden(let m) where m.contains("suspended") {
            return suspended(a)
        } catch GuichetError.forbidden(let m) where m.contains("ceiling") {
            return .ceiling
        } catch GuichetError.forbidden(let m) where m.contains("second factor again") {
            return .stepUp
        } catch GuichetError.forbidden(let m) where m.contains("Guichet-Justification") {
            return .justification
        } catch GuichetError.unauthenticated {
            a.token = nil
            return .refused("unauthenticated")
        } catch {
            return .refused("\(error)")
        }
    }

    /// Normal work: one call; asked for a step-up, the owner verifies the factor; past the
    /// ceiling, the factor and a justification (the owner knows why); then retries once.
    /// Counts what normal work met.
    @discardableResult
    func work(_ a: SimActor, _ c: SimCall, type: String, purpose: String?) async -> SimOutcome {
        let counts = a.countsAsNormalWork(at: clock.get())
        if a.suspendedAt != nil { return .suspended }
        if clock.get() < a.pausedUntil { return .throttled(Int(a.pausedUntil.timeIntervalSince(clock.get()))) }
        var justification: String?
        for attempt in 0..<3 {
            let outcome = await call(a, c, type: type, purpose: purpose, justification: justification)
            switch outcome {
            case .stepUp:
                if counts { a.stepUps += 1 }
                guard attempt < 2, await stepUp(a) else { return outcome }
            case .ceiling:
                if counts { a.ceilings += 1 }
                justification = "The family called about their file and asked for an update."
                guard attempt < 2, await stepUp(a) else { return outcome }
            case .justification:
                justification = "The person called about their own file today."
            case .throttled:
                if counts { a.throttles += 1 }
                return outcome
            default:
                return outcome
            }
        }
        return .stepUp
    }

    /// The persons of the views whose non-public fields came back (a person listed with
    /// public fields only, or none, counts for nothing): what exposure means.
    func nonPublicPersons(_ views: [DossierView]) -> Set<PersonID> {
        var out = Set<PersonID>()
        for v in views {
            let dossierFields = profile.dossierTypes[v.type]?.fields ?? []
            let personalDossier = v.fields.keys.contains { name in (dossierFields.first { $0.name == name }?.classification ?? .public) != .public }
            for p in v.persons where personalDossier || p.fields.keys.contains(where: { (profile.personField($0)?.classification ?? .public) != .public }) {
                out.insert(p.id)
            }
        }
        return out
    }

    func suspended(_ a: SimActor) -> SimOutcome {
        if a.suspendedAt == nil {
            a.suspendedAt = clock.get()
            if a.countsAsNormalWork(at: clock.get()) { a.suspensions += 1 }
        }
        return .suspended
    }

    /// A security officer reinstates an actor's account (after a false suspension, so that
    /// the simulation of its normal work goes on).
    func reinstate(_ a: SimActor, officer: SimActor) async {
        guard a.suspendedAt != nil, let p = await principal(officer) else { return }
        _ = try? await gate.reinstate(a.account, reason: "simulation: reviewed and found to be normal work",
                                      by: GateRequest(principal: p, requestID: UUID().uuidString, source: officer.source, purpose: nil))
        a.suspendedAt = nil
        a.token = nil
        a.pausedUntil = .distantPast
    }
}
