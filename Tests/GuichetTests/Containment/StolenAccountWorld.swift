import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetServer
import GuichetStore
import GuichetSynth
import GuichetVault
import GuichetMFA
import Logging
import Synchronization

/// A place05, emploi or jeunes registry made by the real generator, served by the real routers with
/// the watch as deployed (the profile's settings) and one clock for the gate and the
/// authenticator, so that an attacker can wait out a throttle or a TOTP step in a test.
struct StolenAccountWorld {
    let folder: URL
    let profile: Profile
    let store: any WorldStorage
    let ledger: any LedgerProving
    let auth: Authenticator
    let gate: Gate
    let server: GuichetServer
    let clock: ManualClock
    let log: LogCapture
    /// The honeytokens the generator planted (`honeytokens` of ``make``).
    var planted = PlantedHoneytokens()

    /// `beforeMidnight`: the clock starts ten minutes before midnight in the profile's time
    /// zone (the day after the registry's), so that an attack waits its throttle out into the
    /// next day; otherwise it starts now.
    static func make(profile name: String, size: Int, accounts: [(username: String, role: String, kind: String)],
                     beforeMidnight: Bool = false, relyingParty: RelyingParty? = nil, honeytokens: Int = 0) async throws -> StolenAccountWorld {
        let folder = try temporaryFolder()
        let profile = try Repo.profile(named: name)
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: profile.watch.timezone))
        let clock = ManualClock(beforeMidnight
            ? try #require(calendar.date(from: DateComponents(year: 2026, month: 11, day: 24, hour: 23, minute: 50)))
            : Date())
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        let keys = try FileKeyProvider(path: keyFile)
        let log = LogCapture()
        let (store, ledger, journal) = try await World.storage(in: folder)
        let registry = try await Registry.open(storage: store, ledger: ledger, journal: journal, profile: profile, keys: keys,
                                               keysOrigin: keys.origin,
                                               options: .testing(watch: profile.watch, clock: clock.function,
                                                                 logger: Logger(label: "guichet.gate") { _ in log.handler },
                                                                 relyingParty: relyingParty ?? RelyingParty(id: SoftAuthenticator.rpID, origin: SoftAuthenticator.origin)))
        let (auth, gate) = (registry.auth, registry.gate)
        let today = LocalDate(year: 2026, month: 11, day: 23)!
        let planted: PlantedHoneytokens
        switch name {
        case "emploi":
            planted = try await EmploiGenerator(profile: profile, keys: keys, size: size, today: today).generate(into: store, honeytokens: honeytokens).honeytokens
        case "jeunes":
            planted = try await JeunesGenerator(profile: profile, keys: keys, size: size, today: today).generate(into: store, honeytokens: honeytokens).honeytokens
        default:
            planted = try await Place05Generator(profile: profile, keys: keys, size: size, today: today).generate(into: store, honeytokens: honeytokens).honeytokens
        }
        try await gate.watch?.reloadMarks()
        for a in accounts {
            let org = try await store.organisations(kind: a.kind).first
            _ = try await auth.createAccount(username: a.username, password: World.password, role: a.role, organisation: org?.id,
                                             territory: org?.territory, createdBy: nil)
        }
        try await gate.checkpoint(at: clock.now)
        return StolenAccountWorld(folder: folder, profile: profile, store: store, ledger: ledger, auth: auth, gate: gate,
                                  server: GuichetServer(gate: gate, auth: auth, store: store), clock: clock, log: log, planted: planted)
    }

    func remove() { World.remove(store, folder: folder) }

    /// Enrols a TOTP factor as the owner would, and returns its secret: what the attacker
    /// steals with the password.
    func enrol(_ username: String) async throws -> String {
        let session = try await auth.signIn(username: username, password: World.password)
        let code = try #require(try await auth.consoleActivation(username: username)?.code)
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: code)
        try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: clock.now))
        return secret
    }

    /// A new session with the stolen password and secret (the clock moves one TOTP step so
    /// that each code is new, as the replay check demands).
    func signIn(_ username: String, secret: String) async throws -> String {
        clock.advance(30)
        let session = try await auth.signIn(username: username, password: World.password)
        try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: clock.now))
        return session.token
    }

    /// Verifies the second factor again in each session (a step-up), one TOTP step later.
    func stepUp(_ tokens: [String], secret: String) async throws {
        clock.advance(30)
        for token in tokens {
            guard let p = try? await auth.authenticate(token: token) else { continue }  // a session the suspension ended
            do { try await auth.verifyTOTP(p, code: try TOTPSecret(base32: secret).code(at: clock.now)) } catch {
                clock.advance(30)
                try await auth.verifyTOTP(p, code: try TOTPSecret(base32: secret).code(at: clock.now))
            }
        }
    }

    func withPublic(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.publicRouter().0).test(.router, body)
    }

    /// The breach scope of an account, from a checkpoint signed now, honeytokens set apart.
    func scope(of username: String) async throws -> BreachScope {
        let account = try #require(try await store.account(username: username))
        try await gate.checkpoint(at: clock.now)
        return try await gate.separatingDecoys(try await gate.auditor.scope(ScopeQuery(account: account.id)))
    }
}

extension TestClientProtocol {
    /// A request with any headers (purpose, justification).
    func send(_ method: HTTPRequest.Method, _ uri: String, token: String, headers extra: [String: String] = [:],
              body: String? = nil) async throws -> Reply {
        var headers: HTTPFields = [.authorization: "Bearer \(token)"]
        for (k, v) in extra { headers[HTTPField.Name(k)!] = v }  // test header names are valid tokens
        if body != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) }) { r in
            Reply(status: r.status, headers: r.headers, text: String(buffer: r.body))
        }
    }
}

/// The persons whose fields a dossier answer carries (a person listed with no field counts for nothing).
func personsReceived(_ reply: Reply) -> [String: Set<String>] { personsReceived(reply.json ?? .null) }

/// The persons whose non-public fields a JSON answer carries, and which fields.
func personsReceived(_ json: JSON) -> [String: Set<String>] {
    var out: [String: Set<String>] = [:]
    // A search's dossiers, a waiting list's entries, or one dossier.
    let dossiers = json.object?["dossiers"]?.array ?? json.object?["entries"]?.array?.compactMap { $0.object?["dossier"] } ?? [json]
    for d in dossiers {
        for p in d.object?["persons"]?.array ?? [] {
            guard let id = p.object?["id"]?.string, let fields = p.object?["fields"]?.object, !fields.isEmpty,
                  let role = p.object?["role"]?.string else { continue }
            out[id, default: []].formUnion(fields.keys.map { "\(role).\($0)" })
        }
    }
    return out
}

/// Log lines written during a test, with their metadata.
final class LogCapture: Sendable {
    let lines = Mutex<[String]>([])

    struct Handler: LogHandler {
        let capture: LogCapture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = (event.metadata ?? [:]).merging(metadata) { a, _ in a }.sorted { $0.key < $1.key }
                .map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            capture.lines.withLock { $0.append("\(event.message) \(meta)") }
        }
    }

    var handler: Handler { Handler(capture: self) }
    var text: String { lines.withLock { $0.joined(separator: "\n") } }
}

extension StolenAccountWorld {
    func withAdmin(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.adminRouter().0).test(.router, body)
    }
}
