import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMerkle
import GuichetMFA
import PostgresNIO
import Synchronization
@_spi(LedgerOnly) import GuichetPostgres
@_spi(StoreCopy) import GuichetStore

/// `guichet store copy` (issue 19): a SQLite registry copied into PostgreSQL opens there with
/// the same keys, the same accounts, the same dossiers, the same ledger.
@Suite("Store copy: the table list")
struct StoreCopyTableTests {
    @Test("every table of SQLite's store is either copied or listed as deliberately not copied, with its reason; the copy names no table the store lacks")
    func tableListFollowsTheSchema() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        let tables = Set(try await store.snapshot().tables())
        let unknown = tables.subtracting(StoreCopy.tables).subtracting(StoreCopy.notCopied.keys)
        #expect(unknown.isEmpty, "tables that `guichet store copy` does not copy (add them to StoreCopy.tables, and to PostgreSQL's schema): \(unknown.sorted())")
        #expect(Set(StoreCopy.tables).subtracting(tables).isEmpty, "tables the copy names that the store lacks")
        #expect(Set(StoreCopy.tables).count == StoreCopy.tables.count, "a table is copied once")
        #expect(Set(StoreCopy.notCopied.keys).isDisjoint(with: StoreCopy.tables))
        #expect(StoreCopy.notCopied.values.allSatisfy { $0.count > 20 }, "each table left out says why")
        try store.close()
    }

    @Test("a malformed address or a server that does not answer is refused with a sentence that never shows the password")
    func badAddressesAreRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        #expect(throws: PostgresStoreError.self) { try PostgresAddress(parsing: "http://guichet:pw-never-shown@127.0.0.1/db") }
        // Port 9 (discard) on the loopback: nothing answers there.
        let address = try PostgresAddress(parsing: "postgres://guichet:pw-never-shown@127.0.0.1:9/guichet?sslmode=disable")
        let before = try await world.rowCounts()
        do {
            _ = try await StoreCopy.copy(from: world.sqlite, to: address, verifier: world.gate.auditor.verifier, origin: world.gate.auditor.origin,
                                         timeout: .seconds(2))
            Issue.record("a copy to a server that does not answer succeeded")
        } catch let e as PostgresStoreError {
            #expect(e.description.contains("127.0.0.1:9"), "\(e.description)")
            #expect(!e.description.contains("pw-never-shown") && !String(describing: e).contains("pw-never-shown"))
        }
        #expect(try await world.rowCounts() == before, "the SQLite store is as it was")
    }
}

@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"), .serialized)
struct StoreCopyTests {
    /// Signs a staff account in with a new TOTP factor, keeps its session in the world, and
    /// returns the factor's secret (so that the same account signs in on the copy).
    static func enrol(_ world: some GateWorld, _ username: String) async throws -> String {
        let session = try await world.auth.signIn(username: username, password: World.password)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: try await world.activationCode(username))
        _ = try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: world.clock()))
        world.sessions.tokens.withLock { $0[username] = session.token }
        return secret
    }

    /// A table's row count in a PostgreSQL database, read apart from the store under test.
    static func count(_ address: PostgresAddress, _ table: String, where condition: String = "TRUE") async throws -> Int64 {
        let admin = try await PostgresAdmin.connect(address)
        defer { Task { await admin.close() } }
        var n: Int64 = -1
        for try await c in try await admin.client.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*)::bigint FROM \(table) WHERE \(condition)")).decode(Int64.self) { n = c }
        return n
    }

    /// Row counts of every copied table in the SQLite store.
    static func counts(_ store: Store) async throws -> [String: Int64] {
        let snapshot = try store.snapshot()
        var out: [String: Int64] = [:]
        for t in StoreCopy.tables { out[t] = try await snapshot.table(t).rows }
        return out
    }

    @Test("a SQLite registry copied into PostgreSQL opens there with the same keys and origin: the same accounts sign in, the agent reads the same dossiers, a citizen's history and its proofs verify, and the ledger verifies and goes on")
    func copyOpensOnPostgres() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        let secret = try await Self.enrol(world, "agent")
        _ = try await Self.enrol(world, "security")
        var persons: [PersonID] = []
        for (i, p) in ["parent.a", "parent.b", "parent.c"].enumerated() {
            persons.append(try await world.registerParent(p, lastName: ["Tremblay", "Gagnon", "Roy"][i]))
            _ = try await world.application(by: p, daycares: [i % 3], childName: ["Emma", "Noah", "Lea"][i])
        }
        _ = try await world.gate.checkpoint(at: clock.now)
        // Reads just before the copy: their references are likely still in the ledger's tail.
        let before = try await world.allApplications()
        #expect(before.count == 3)
        let source = try await Self.counts(world.sqlite)
        let sqliteHistory = try await world.gate.auditor.history(persons: [persons[0]], dossiers: [], account: nil)

        let address = try await PostgresLedgerTests.freshDatabase()
        let lines = ProgressLines()
        let report = try await StoreCopy.copy(from: world.sqlite, to: address, verifier: world.gate.auditor.verifier, origin: world.gate.auditor.origin,
                                              batch: 7, progressEvery: 10, timeout: .seconds(120)) { lines.add($0) }
        #expect(report.tables.map(\.name) == StoreCopy.tables)
        // The ledger's tail may be integrated between the counts above and the copy's snapshot:
        // those five tables are compared once both sides have integrated everything (below).
        let integrating: Set = ["ledger_tail", "ledger_person", "ledger_dossier", "ledger_session", "ledger_source"]
        let copied = Dictionary(uniqueKeysWithValues: report.tables.map { ($0.name, $0.rows) })
        #expect(copied.filter { !integrating.contains($0.key) } == source.filter { !integrating.contains($0.key) }, "the same rows in every table")
        #expect(report.ledgerEntries == source["ledger_entry"] && report.checkpoints == Int(source["ledger_checkpoint"] ?? 0))
        #expect(report.checkpointSize == (try await world.store.latestCheckpoint())?.size)
        let total = try #require(source["ledger_entry"])
        #expect(lines.all.contains { $0.hasPrefix("copying ledger_entry: ") && $0.hasSuffix(" of \(total)") }, "a progress line for the ledger: \(lines.all)")

        // The copy as a registry: the same key file, the same profile, the same origin.
        let store = try await PostgresStore.open(address, timeout: .seconds(120))
        let opened = try await Registry.open(storage: store, ledger: store.ledger,
                                             journal: { store.ledger.journal(signer: $0, origin: $1, sourceKey: $2) },
                                             profile: try Repo.profile(), keys: world.keys, keysOrigin: world.keyFile,
                                             options: .testing(watch: nil, clock: clock.function))
        #expect(opened.gate.auditor.origin == world.gate.auditor.origin, "the ledger's origin guichet/PROFILE/ID is the same")
        let copy = PostgresWorld(address: address, store: store, gate: opened.gate, auth: opened.auth, daycares: world.daycares,
                                 clock: clock.function, folder: try temporaryFolder())
        let verified = try await copy.gate.auditor.verify()
        #expect(verified.problem == nil && verified.entries == total)

        // The same accounts sign in: a parent with the password, the agent with the password
        // and the TOTP factor it enrolled on SQLite (a later time step: a code is used once).
        let parent = try await copy.auth.signIn(username: "parent.a", password: World.password)
        #expect(!parent.principal.needsSecondFactor)
        await #expect(throws: (any Error).self) { try await copy.auth.signIn(username: "parent.b", password: "not the password") }
        clock.advance(90)
        let agent = try await copy.auth.signIn(username: "agent", password: World.password)
        _ = try await copy.auth.verifyTOTP(agent.principal, code: try TOTPSecret(base32: secret).code(at: clock.now))
        copy.sessions.tokens.withLock { $0["agent"] = agent.token }

        // The same dossiers, with the same values, through the gate.
        let after = try await copy.allApplications()
        func fields(_ views: [DossierView]) -> [String] {
            views.map { v in "\(v.id.rawValue) \(v.status) \(v.fields.sorted { $0.key < $1.key }) "
                + "\(v.persons.map { "\($0.role) \($0.fields.sorted { $0.key < $1.key })" })" }.sorted()
        }
        #expect(fields(after) == fields(before), "the dossiers read back the same")

        // The citizen's history holds what it held, and the new read; every proof verifies.
        _ = try await copy.gate.checkpoint(at: clock.now)
        let history = try await copy.gate.auditor.history(persons: [persons[0]], dossiers: [], account: nil)
        let checkpoint = try #require(history.checkpoint)
        #expect(Set(sqliteHistory.items.map(\.index)).isSubset(of: history.items.map(\.index)))
        #expect(history.items.count > sqliteHistory.items.count, "the read on the copy is in the citizen's history")
        for item in history.items {
            let proof = try #require(item.proof)
            try proof.verify(leafHash: MerkleHash.leaf(item.entry), rootHash: checkpoint.rootHash)
        }
        // The ledger went on from the copied one, and verifies whole.
        let grown = try await copy.gate.auditor.verify()
        #expect(grown.problem == nil && grown.entries > total && grown.checkpoints > report.checkpoints)
        // The copied tail integrates on PostgreSQL into the same indexes as on SQLite.
        while try await store.ledger.integrateLedger(limit: 10_000) > 0 {}
        while try await world.sqlite.integrateLedger(limit: 10_000) > 0 {}
        #expect(try await store.ledger.ledgerTailCount() == 0)
        for t in integrating.subtracting(["ledger_tail"]) {
            #expect(try await Self.count(address, t, where: "idx < \(total)") == (try await Self.counts(world.sqlite))[t], "\(t)")
        }
        let copiedIndex = try await store.ledger.entries(person: persons[0]).filter { $0 < total }
        #expect(Set(copiedIndex) == Set(try await world.sqlite.ledgerIndexes(person: persons[0], limit: 10_000)) && !copiedIndex.isEmpty)

        // Run again: the target holds a registry now; refused, and nothing changed.
        let size = try await store.ledger.ledgerSize()
        await #expect(throws: StoreCopyError.self) {
            _ = try await StoreCopy.copy(from: world.sqlite, to: address, verifier: world.gate.auditor.verifier, origin: world.gate.auditor.origin,
                                         timeout: .seconds(120))
        }
        #expect(try await store.ledger.ledgerSize() == size)
        try await copy.close()
    }

    @Test("a copy into a database that holds a registry is refused, naming it without its password, and changes nothing on either side")
    func nonEmptyTargetIsRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let target = try await PostgresWorld.make()
        _ = try await target.registerParent("parent.pg")
        let size = try await target.store.ledger.ledgerSize()
        let accounts = try await Self.count(target.address, "account")
        let sqlite = try await Self.counts(world.sqlite)
        do {
            _ = try await StoreCopy.copy(from: world.sqlite, to: target.address, verifier: world.gate.auditor.verifier,
                                         origin: world.gate.auditor.origin, timeout: .seconds(120))
            Issue.record("a copy into a registry succeeded")
        } catch let e as StoreCopyError {
            guard case .targetNotEmpty = e else { Issue.record("refused for another reason: \(e)"); return }
            #expect(e.description.contains(target.address.description) && e.description.contains("nothing was changed"))
        }
        #expect(try await target.store.ledger.ledgerSize() == size)
        #expect(try await Self.count(target.address, "account") == accounts)
        #expect(try await Self.counts(world.sqlite) == sqlite)
        try await target.close()
    }
}

/// Progress lines a copy printed.
final class ProgressLines: Sendable {
    private let lines = Mutex<[String]>([])
    func add(_ line: String) { lines.withLock { $0.append(line) } }
    var all: [String] { lines.withLock { $0 } }
}

/// `guichet store copy` run as an operator runs it, on a demo data folder.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"), .serialized)
struct StoreCopyCommandTests {
    static var binary: String { CommandLineTests.binary.path }

    /// The address as typed on the command line.
    static func typed(_ a: PostgresAddress) -> String { a.typed }

    @Test("guichet store copy copies a demo registry and reports it verified; run again it refuses the database that now holds it; an empty folder and a server that does not answer are refused without the password")
    func copyCommand() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data").path
        let demo = try await Child.run(Self.binary, ["demo", "--data", data, "--size", "30", "--no-serve"], directory: Repo.root, timeout: 300)
        try #require(demo.status == 0, "\(demo.output)")
        let address = try await PostgresLedgerTests.freshDatabase()

        let copy = try await Child.run(Self.binary, ["store", "copy", "--data", data, "--to", Self.typed(address)], directory: Repo.root, timeout: 300)
        #expect(copy.status == 0 && copy.stdout.contains("verified") && copy.stdout.contains("copied \(StoreCopy.tables.count) tables"), "\(copy.output)")
        let accounts = try await StoreCopyTests.count(address, "account")
        #expect(accounts > 0)

        let again = try await Child.run(Self.binary, ["store", "copy", "--data", data, "--to", Self.typed(address)], directory: Repo.root, timeout: 300)
        #expect(again.status != 0 && again.output.contains("holds a registry already") && again.output.contains("nothing was changed"), "\(again.output)")
        #expect(try await StoreCopyTests.count(address, "account") == accounts)

        let none = try await Child.run(Self.binary, ["store", "copy", "--data", folder.appendingPathComponent("none").path, "--to", Self.typed(address)],
                                       directory: Repo.root, timeout: 60)
        #expect(none.status != 0 && none.output.contains("no registry"), "\(none.output)")

        let silent = try await Child.run(Self.binary, ["store", "copy", "--data", data, "--timeout", "2",
                                                       "--to", "postgres://guichet:pw-never-shown@127.0.0.1:9/guichet?sslmode=disable"],
                                         directory: Repo.root, timeout: 120)
        // Nothing listens on port 9: refused at once, not after the timeout.
        #expect(silent.status != 0 && silent.output.contains("connection refused") && !silent.output.contains("pw-never-shown"), "\(silent.output)")

        // --switch-over: from then on the folder's commands use the copy.
        let target = try await PostgresLedgerTests.freshDatabase()
        let switched = try await Child.run(Self.binary, ["store", "copy", "--data", data, "--to", Self.typed(target), "--switch-over"],
                                           directory: Repo.root, timeout: 300)
        #expect(switched.status == 0 && switched.stdout.contains("now names the PostgreSQL copy"), "\(switched.output)")
        #expect(try String(contentsOfFile: data + "/guichet.yaml", encoding: .utf8).contains("store: \(Self.typed(target))"))
        let orgs = try await Child.run(Self.binary, ["organisations", "list", "--data", data, "--kind", "operator"], directory: Repo.root, timeout: 120)
        let operatorOrg = try #require(orgs.stdout.split(separator: "\n").first?.split(separator: "\t").first.map(String.init), "\(orgs.output)")
        let made = try await Child.run(Self.binary, ["staff", "create", "--data", data, "--username", "after.switch", "--role", "agent",
                                                     "--organisation", operatorOrg], directory: Repo.root, timeout: 120)
        #expect(made.status == 0, "\(made.output)")
        #expect(try await StoreCopyTests.count(target, "account") == accounts + 1, "the new account is in the PostgreSQL copy")
        try await PostgresLedgerTests.drop(target)
        try await PostgresLedgerTests.drop(address)
    }
}
