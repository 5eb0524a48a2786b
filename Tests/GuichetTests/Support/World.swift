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
import GuichetLedger
import GuichetMerkle
import GuichetPostgres
import GuichetImport
import GuichetBreach
import GuichetWatch
import GuichetSynth
import Crypto

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

/// Which back-end the test worlds run on: SQLite in a temporary folder (the default), or a
/// fresh database of the test server with `GUICHET_TEST_BACKEND=postgres` (and
/// `GUICHET_TEST_POSTGRES`). `scripts/test` runs the suites that hold on both a second time
/// that way (``World``; `BothBackends.suites`).
enum TestBackend {
    static let postgres: PostgresAddress? = ProcessInfo.processInfo.environment["GUICHET_TEST_BACKEND"] == "postgres" ? TestPostgres.server : nil
}

/// At most so many test worlds on PostgreSQL at once: the suite starts hundreds of tests
/// together, and each world holds a database and its connections (the throw-away cluster
/// allows 500). A world takes a slot in ``World/make(mailer:clock:relyingParty:)`` and gives
/// it back in ``World/remove()``.
actor PostgresWorldSlots {
    static let shared = PostgresWorldSlots(capacity: 24)
    let capacity: Int
    private var used = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []
    init(capacity: Int) { self.capacity = capacity }

    func acquire() async {
        if used < capacity { used += 1; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { used -= 1 } else { waiting.removeFirst().resume() }
    }
}

/// The database that every world's database on PostgreSQL is copied from (`CREATE DATABASE …
/// TEMPLATE`): the store's migrations, applied once for the run, as a new store applies them.
/// A world's store still opens its copy through ``PostgresStore/open(_:connections:timeout:existing:bulkWrites:)``,
/// which finds every migration recorded. Running the schema's statements for each of hundreds
/// of worlds was a tenth of the PostgreSQL pass's CPU. The tests of migrations themselves
/// (``PostgresLedgerTests``, ``StoreCopyTests``, the command line's `guichet init`) start from
/// empty databases of their own.
actor PostgresTemplate {
    static let shared = PostgresTemplate()
    private var made: Task<String, any Error>?

    func name(on server: PostgresAddress) async throws -> String {
        if let made { return try await made.value }
        let task = Task { try await Self.make(on: server) }
        made = task
        return try await task.value
    }

    private static func make(on server: PostgresAddress) async throws -> String {
        let name = "guichet_template_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await PostgresLedgerTests.admin(server) { try await $0.execute("CREATE DATABASE \(name)") }
        let store = try await PostgresStore.open(server.database(name), connections: 1, timeout: .seconds(120))
        await store.close()
        // A template is copied only once no session is connected to it: the pool's connection
        // closes shortly after `close()`.
        for _ in 0..<300 {
            let open = try await StoreCopyTests.count(server, "pg_stat_activity", where: "datname = '\(name)'")
            if open == 0 { return name }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure("the template database kept a connection for 30 s")
    }
}

extension Trait where Self == ConditionTrait {
    /// A test that reads what only SQLite has (its file, its connection pool, its backup, its
    /// query plans, the generators that write into it): it runs in the SQLite pass only, and
    /// is reported as skipped in the PostgreSQL pass (``TestBackend``).
    static var sqliteOnly: Self {
        .enabled(if: TestBackend.postgres == nil, "reads SQLite's own store directly: runs on SQLite only")
    }

    /// A test of a suite that runs on both back-ends, which itself stores nothing (a command
    /// refused before it opens a store, a dry run): it runs once, in the SQLite pass.
    static var storeFree: Self {
        .enabled(if: TestBackend.postgres == nil, "stores nothing: runs once, in the SQLite pass")
    }
}

/// What a test world's store is on either back-end: the storage protocols SQLite's `Store`
/// and `PostgresStore` both implement.
typealias WorldStorage = GateStorage & WatchStorage & AuthStorage & BreachStorage & ServerStorage & ImportStorage & SyntheticStorage & LiveKeyChecking

/// What both back-ends' stores answer and the tests use, outside the gate's storage
/// protocols: whether a subject's data key is still there (not crypto-shredded).
protocol LiveKeyChecking: Sendable {
    func hasLiveKey(_ subject: String) async throws -> Bool
}
extension Store: LiveKeyChecking {}
extension PostgresStore: LiveKeyChecking {}

/// A test that needs what only SQLite has (its file, its connection pool, its backup): it runs
/// on SQLite only, and says so when a world on PostgreSQL is asked for it.
struct SQLiteOnly: Error, CustomStringConvertible {
    var description: String { "this test reads SQLite's store directly (world.sqlite): it runs on SQLite only" }
}

/// A small place05 registry with one account per role, opened on a fresh database the way
/// `guichet serve` opens one (``Registry/open(storage:ledger:journal:profile:keys:keysOrigin:options:)``,
/// with its start-up checks), with cheap password hashing and without the watch: SQLite in a
/// temporary folder, or PostgreSQL (``TestBackend``).
struct World: GateWorld {
    static let password = "correct horse battery staple"

    let folder: URL
    let profile: Profile
    let store: any WorldStorage
    /// The ledger's proofs and its journal (SQLite: the store itself; PostgreSQL: its ledger).
    let ledger: any LedgerProving
    let journal: @Sendable (NoteSigner, String, SymmetricKey) -> AccessJournal
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

    /// SQLite's store, for what only SQLite has.
    /// - Throws: ``SQLiteOnly`` on PostgreSQL.
    var sqlite: Store { get throws { guard let s = store as? Store else { throw SQLiteOnly() }; return s } }

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
        let options: RegistryOptions = relyingParty.map { .testing(mailer: mailer, watch: nil, clock: clock, relyingParty: $0) }
            ?? .testing(mailer: mailer, watch: nil, clock: clock)
        let (store, ledger, journal) = try await storage(in: folder)
        let opened = try await Registry.open(storage: store, ledger: ledger, journal: journal, profile: profile, keys: keys,
                                             keysOrigin: keys.origin, options: options)
        let (auth, gate) = (opened.auth, opened.gate)
        let (op, daycares) = try await seed(auth: auth, gate: gate) { try await store.insert(organisations: $0, at: Date()) }
        var world = World(folder: folder, profile: profile, store: store, ledger: ledger, journal: journal, auth: auth, gate: gate,
                          server: GuichetServer(gate: gate, auth: auth, store: store,
                                                securityTxt: try SecurityTxt(contacts: ["mailto:security@example.org"], expires: Date().addingTimeInterval(86_400 * 90))),
                          operatorOrg: op, daycares: daycares, keys: keys)
        world.clock = clock
        return world
    }

    /// A fresh store on the back-end of the run (``TestBackend``): SQLite in `folder`, or a new
    /// database of the test cluster, named in `folder/postgres-database` (``remove()`` drops it).
    static func storage(in folder: URL) async throws
        -> (store: any WorldStorage, ledger: any LedgerProving, journal: @Sendable (NoteSigner, String, SymmetricKey) -> AccessJournal) {
        guard let server = TestBackend.postgres else {
            let sqlite = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
            return (sqlite, sqlite, { AccessJournal(store: sqlite, signer: $0, origin: $1, sourceKey: $2) })
        }
        await PostgresWorldSlots.shared.acquire()
        let name = "guichet_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        do {
            let template = try await PostgresTemplate.shared.name(on: server)
            try await PostgresLedgerTests.admin(server) { try await $0.execute("CREATE DATABASE \(name) TEMPLATE \(template)") }
            try name.write(to: folder.appendingPathComponent("postgres-database"), atomically: true, encoding: .utf8)
            let pg = try await PostgresStore.open(server.database(name), connections: 4, timeout: .seconds(120))
            return (pg, pg.ledger, { pg.ledger.journal(signer: $0, origin: $1, sourceKey: $2) })
        } catch {
            await PostgresWorldSlots.shared.release()
            throw error
        }
    }

    /// Closes a world's store and drops its database when it is on PostgreSQL (in the
    /// background: the throw-away cluster goes at the end of the run anyway); deletes the folder.
    static func remove(_ store: any WorldStorage, folder: URL) {
        if let pg = store as? PostgresStore, let server = TestBackend.postgres,
           let name = try? String(contentsOf: folder.appendingPathComponent("postgres-database"), encoding: .utf8) {
            Task {
                await pg.close()
                try? await PostgresLedgerTests.drop(server.database(name))
                await PostgresWorldSlots.shared.release()
            }
        }
        try? FileManager.default.removeItem(at: folder)
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

    /// Deletes the folder; on PostgreSQL, closes the store and drops its database too.
    func remove() { Self.remove(store, folder: folder) }

    /// The database of a world on PostgreSQL.
    var postgresAddress: PostgresAddress {
        get throws {
            guard let server = TestBackend.postgres,
                  let name = try? String(contentsOf: folder.appendingPathComponent("postgres-database"), encoding: .utf8) else { throw SQLiteOnly() }
            return server.database(name)
        }
    }

    /// Row counts of the main tables (``Store/countedTables``), on either back-end.
    func rowCounts() async throws -> [String: Int] {
        if let sqlite = store as? Store { return try await sqlite.rowCounts() }
        return try await database.rowCounts()
    }

    /// Row counts of the data tables (the journal excluded: refusals are journalled on purpose).
    func dataCounts() async throws -> [String: Int] {
        var counts = try await rowCounts()
        counts["ledger_entry"] = nil
        counts["session"] = nil
        return counts
    }
}
