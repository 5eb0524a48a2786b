import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetProfile
import GuichetServer
import GuichetVault
import GuichetMFA
import GuichetMail
import Synchronization
import Logging
@testable import GuichetStore

/// Tokens of the accounts signed in during one test.
final class SessionCache: Sendable {
    let tokens = Mutex<[String: String]>([:])
}

/// Paths in the repository, found from this file's location.
enum Repo {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let place05 = root.appendingPathComponent("profiles/place05").path
    static func profile() throws -> Profile { try ProfileLoader.load(path: place05) }
}

extension RegistryOptions {
    /// A test registry's options: the relying party `guichet.example`, cheap password hashing,
    /// the given clock (a ``ManualClock``'s, say) and watch settings (nil: no watch).
    static func testing(mailer: (any Mailer)? = nil, watch: WatchSettings?, clock: @escaping @Sendable () -> Date = { Date() },
                        logger: Logger = Logger(label: "guichet.gate"),
                        relyingParty: RelyingParty = RelyingParty(id: "guichet.example", origin: "https://guichet.example")) -> RegistryOptions {
        RegistryOptions(relyingParty: relyingParty, mailer: mailer, watch: watch,
                        hasher: PasswordHasher(parameters: .testing), clock: clock, logger: logger)
    }
}

/// A fresh temporary folder, removed by the caller's `defer`.
func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-test-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// What the flows of a test need of a world: a gate and an authenticator on some back-end,
/// with its daycares, its clock and its signed-in sessions (``World`` on SQLite,
/// `PostgresWorld` on PostgreSQL).
protocol GateWorld {
    var gate: Gate { get }
    var auth: Authenticator { get }
    var daycares: [Organisation] { get }
    var clock: @Sendable () -> Date { get }
    var sessions: SessionCache { get }
}

extension GateWorld {
    static var password: String { World.password }

    /// Registers a citizen (person and account) as the public route does.
    func registerParent(_ username: String, lastName: String = "Tremblay") async throws -> PersonID {
        let person = try await gate.registerPerson(fields: [
            "firstName": .string("Julie"), "lastName": .string(lastName), "birthDate": .string("1990-04-12"),
            "email": .string("\(username)@example.org"), "phone": .string("514-555-0142"),
            "nam": .string("TREJ90541201"),
        ], requestID: "test", source: nil)
        _ = try await auth.createAccount(username: username, password: Self.password, role: "parent", person: person, createdBy: nil)
        return person
    }

    /// A session token for an account, signed in once per world; staff, partners and admins
    /// enrol and verify a TOTP factor on the way, as they must before any personal data.
    func token(_ username: String) async throws -> String {
        if let token = sessions.tokens.withLock({ $0[username] }) { return token }
        let session = try await auth.signIn(username: username, password: Self.password)
        if session.principal.needsSecondFactor {
            let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: try await activationCode(username))
            try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: clock()))
        }
        sessions.tokens.withLock { $0[username] = session.token }
        return session.token
    }

    /// A fresh activation code for an account without a second factor, as an operator on the
    /// server gets it (`guichet accounts activation`).
    func activationCode(_ username: String) async throws -> String {
        try #require(try await auth.consoleActivation(username: username)?.code)
    }

    func principal(_ username: String) async throws -> Principal {
        try await auth.authenticate(token: try await token(username))
    }

    func request(_ username: String, purpose: String? = nil) async throws -> GateRequest {
        GateRequest(principal: try await principal(username), requestID: UUID().uuidString, source: "127.0.0.1", purpose: purpose)
    }

    /// An application for one child, choosing the given daycares, created by the parent.
    func application(by parent: String, daycares chosen: [Int] = [0], childName: String = "Emma") async throws -> WriteResult {
        try await gate.create(DossierInput(
            type: "application",
            fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(5), "schedule": .string("full-time"),
                     "specialNeeds": .string("synthetic allergy note")],
            persons: [.caller(role: "parent"),
                      .new(role: "child", fields: ["firstName": .string(childName), "lastName": .string("Tremblay"),
                                                   "birthDate": .string("2025-02-03"), "nam": .string("TREE25020399")])],
            partners: chosen.map { daycares[$0].id }), try await request(parent))
    }

    /// Every application through the gate as the agent: listed page by page (a listing shows
    /// the summary only), then each opened one by one (this gate runs without the watch, so
    /// without the ceilings).
    func allApplications() async throws -> [DossierView] {
        let agent = try await request("agent", purpose: "list-management")
        var after: DossierID?
        var views: [DossierView] = []
        repeat {
            let page = try await gate.search(type: "application", status: nil, criteria: [:], after: after, limit: 100, agent)
            for summary in page.views { views.append(try await gate.read(summary.id, agent)) }
            after = page.next
        } while after != nil
        return views
    }

}

/// A small place05 registry with one account per role, opened on a fresh SQLite database the
/// way `guichet serve` opens one (``Registry/open(database:profile:keys:keysOrigin:options:)``,
/// with its start-up checks), with cheap password hashing and without the watch.
struct World: GateWorld {
    static let password = "correct horse battery staple"

    let folder: URL
    let profile: Profile
    let store: Store
    let auth: Authenticator
    let gate: Gate
    let server: GuichetServer
    let operatorOrg: Organisation
    let daycares: [Organisation]
    let keys: FileKeyProvider
    var keyFile: String { folder.appendingPathComponent("guichet.keys").path }
    let sessions = SessionCache()
    /// The gate's and the authenticator's clock: second-factor codes are computed at its time,
    /// so that a test on a manual clock signs in however long the machine takes.
    var clock: @Sendable () -> Date = { Date() }

    /// A registry as `guichet serve` opens it; `clock` stands for the time of the gate and the
    /// authenticator (a test that waits out a throttle moves it instead of sleeping).
    /// `relyingParty`: the passkeys' site (a browser test's `http://localhost:PORT`).
    static func make(mailer: (any Mailer)? = nil, clock: @escaping @Sendable () -> Date = { Date() },
                     relyingParty: RelyingParty? = nil) async throws -> World {
        let folder = try temporaryFolder()
        let profile = try Repo.profile()
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        let keys = try FileKeyProvider(path: keyFile)
        let registry = try await Registry.open(database: folder.appendingPathComponent("guichet.sqlite").path, profile: profile,
                                               keys: keys, keysOrigin: keys.origin, options: relyingParty.map { .testing(mailer: mailer, watch: nil, clock: clock, relyingParty: $0) }
                                                          ?? .testing(mailer: mailer, watch: nil, clock: clock))
        let (store, auth, gate) = (registry.store, registry.auth, registry.gate)
        let (op, daycares) = try await seed(auth: auth, gate: gate) { try await store.insert(organisations: $0, at: Date()) }
        var world = World(folder: folder, profile: profile, store: store, auth: auth, gate: gate,
                          server: GuichetServer(gate: gate, auth: auth, store: store,
                                                securityTxt: try SecurityTxt(contacts: ["mailto:security@example.org"], expires: Date().addingTimeInterval(86_400 * 90))),
                          operatorOrg: op, daycares: daycares, keys: keys)
        world.clock = clock
        return world
    }

    /// The organisations and accounts of a test world, on any back-end: the operator, a
    /// ministry, three daycares; one account per role; a first checkpoint, as a starting
    /// server signs.
    static func seed(auth: Authenticator, gate: Gate, insert: ([Organisation]) async throws -> Void) async throws -> (Organisation, [Organisation]) {
        let op = Organisation(id: OrganisationID(), kind: "operator", name: "Operator", territory: nil, capacity: nil)
        let ministry = Organisation(id: OrganisationID(), kind: "ministry", name: "Ministry", territory: nil, capacity: nil)
        let daycares = (1...3).map { Organisation(id: OrganisationID(), kind: "daycare", name: "CPE \($0)", territory: "06", capacity: 50) }
        try await insert([op, ministry] + daycares)
        try await gate.checkpoint(at: Date())  // as a starting server does
        _ = try await auth.createAccount(username: "admin", password: password, role: "admin", organisation: op.id, createdBy: nil)
        _ = try await auth.createAccount(username: "security", password: password, role: "security", organisation: op.id, createdBy: nil)
        _ = try await auth.createAccount(username: "agent", password: password, role: "agent", organisation: op.id, createdBy: nil)
        _ = try await auth.createAccount(username: "analyst", password: password, role: "analyst", organisation: ministry.id, createdBy: nil)
        for (i, d) in daycares.enumerated() {
            _ = try await auth.createAccount(username: "daycare\(i + 1)", password: password, role: "daycare", organisation: d.id, createdBy: nil)
        }
        return (op, daycares)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// Row counts of the data tables (the journal excluded: refusals are journalled on purpose).
    func dataCounts() async throws -> [String: Int] {
        var counts = try await store.rowCounts()
        counts["ledger_entry"] = nil
        counts["session"] = nil
        return counts
    }
}
