import Foundation
import Testing
import GuichetCore
@_spi(LedgerOnly) @_spi(GateOnly) import GuichetLedger
import GuichetMerkle
import Logging
@_spi(LedgerOnly) import GuichetPostgres
import PostgresNIO
@_spi(LedgerOnly) import GuichetStore

/// The ledger on PostgreSQL (issue 19), against a real PostgreSQL 15 server: `scripts/test`
/// starts a throw-away cluster (`scripts/postgres-cluster`) and passes its address in
/// `GUICHET_TEST_POSTGRES`.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresLedgerTests {
    static var server: PostgresAddress? { TestPostgres.server }

    /// A new, empty database on the test server; dropped by `drop`.
    static func freshDatabase() async throws -> PostgresAddress {
        let server = try #require(Self.server)
        let name = "guichet_test_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await Self.admin(server) { try await $0.execute("CREATE DATABASE \(name)") }
        return server.database(name)
    }

    static func drop(_ address: PostgresAddress) async throws {
        try await Self.admin(try #require(Self.server)) { try await $0.execute("DROP DATABASE IF EXISTS \(address.database) WITH (FORCE)") }
    }

    static func admin(_ server: PostgresAddress, _ body: (PostgresAdmin) async throws -> Void) async throws {
        let admin = try await PostgresAdmin.connect(server)
        do { try await body(admin) } catch { await admin.close(); throw error }
        await admin.close()
    }

    static let sessions = (0..<3).map { _ in SessionID() }

    static func context(_ i: Int) -> AccessContext {
        AccessContext(requestID: "req-\(i)", subject: nil, session: sessions[i % 3], source: "192.0.2.\(i % 7)",
                      purpose: nil, at: Date(timeIntervalSince1970: 1_767_225_600 + Double(i)))
    }

    @Test("two journals (two servers) append to one PostgreSQL ledger at once: every append succeeds with its own index, the stored tree is the tree of the stored entries, and a checkpoint covers both")
    func twoServersOneLedger() async throws {
        let address = try await Self.freshDatabase()
        let one = try await PostgresLedger.open(address, timeout: .seconds(120)), two = try await PostgresLedger.open(address, timeout: .seconds(120))
        let signer = try NoteSigner(name: "guichet.test/ledger", ed25519Seed: [UInt8](repeating: 7, count: 32))
        let journals = [AccessJournal(storage: one, signer: signer, origin: "guichet.test/ledger"),
                        AccessJournal(storage: two, signer: signer, origin: "guichet.test/ledger")]
        let persons = (0..<12).map { _ in PersonID() }
        let perTask = 25, tasks = 8
        // Turn about first: from the third append on, each journal finds that the other
        // appended since its last write, so every one of these takes the rebase path.
        var turns: [(Int64, [PersonID])] = []
        for i in 0..<6 {
            let named = [persons[i]]
            turns.append((try await journals[i % 2].recordSystemEvent("test-event", reason: "turn-\(i)", persons: named, dossiers: [],
                                                                      context: Self.context(1_000 + i)), named))
        }
        #expect(turns.map(\.0) == Array(0..<6))
        // Then each task appends entries naming persons; what it appended, by index, is
        // compared with what the indexes answer.
        let appended = try await turns + withThrowingTaskGroup(of: [(Int64, [PersonID])].self) { group in
            for t in 0..<tasks {
                group.addTask {
                    var out: [(Int64, [PersonID])] = []
                    for i in 0..<perTask {
                        let named = [persons[(t + i) % persons.count], persons[(t * 5 + i) % persons.count]]
                        let idx = try await journals[t % 2].recordSystemEvent("test-event", reason: "t\(t)-\(i)", persons: named, dossiers: [],
                                                                             context: Self.context(t * perTask + i))
                        out.append((idx, named))
                    }
                    return out
                }
            }
            return try await group.reduce(into: [(Int64, [PersonID])]()) { $0 += $1 }
        }
        let total = Int64(tasks * perTask + turns.count)
        #expect(appended.map(\.0).sorted() == Array(0..<total), "indexes are unique and without a gap")
        #expect(try await one.ledgerSize() == total)

        // The stored subtree hashes are exactly those the stored entries produce.
        let entries = try await one.entries(0..<total)
        var tree = CompactRange()
        var expected: [String: Data] = [:]
        for e in entries {
            for n in tree.append(MerkleHash.leaf(e.entry)) { expected["\(n.id.level)/\(n.id.index)"] = Data(n.hash.bytes) }
        }
        let stored = try await two.allNodes()
        #expect(stored.count == expected.count && stored.allSatisfy { expected["\($0.level)/\($0.index)"] == $0.hash })

        // A checkpoint signed by either covers every entry, whichever journal wrote it.
        for journal in journals.reversed() {
            let note = try await journal.checkpoint(at: Date())
            #expect(note.contains("\n\(total)\n"), "\(note.prefix(80))")
        }
        let checkpoints = try await one.checkpoints()
        #expect(checkpoints.last?.size == total && checkpoints.last?.root == Data(tree.rootHash.bytes))
        // The auditor that verifies SQLite's ledger verifies this one the same way: every entry,
        // every stored hash, every signed checkpoint (small batches, to cross their edges).
        let report = try await LedgerAuditor.verify(two, verifier: signer.verifier, origin: "guichet.test/ledger", batchSize: 37)
        #expect(report.problem == nil && report.entries == total && report.checkpoints == checkpoints.count, "\(report)")

        // Who accessed a person: the same before and after integration into the indexes.
        func brute(_ p: PersonID) -> [Int64] { appended.filter { $0.1.contains(p) }.map(\.0).sorted() }
        for p in persons.prefix(4) { #expect(try await one.entries(person: p) == brute(p)) }
        while try await two.integrateLedger(limit: 64) > 0 {}
        #expect(try await one.ledgerTailCount() == 0)
        for p in persons { #expect(try await one.entries(person: p) == brute(p)) }

        await one.close(); await two.close()
        try await Self.drop(address)
    }

    @Test("an owner who turns the append-only triggers off and rewrites an entry is named by the ledger's verification")
    func verificationNamesARewrite() async throws {
        let address = try await Self.freshDatabase()
        let ledger = try await PostgresLedger.open(address, timeout: .seconds(120))
        let signer = try NoteSigner(name: "guichet.test/ledger", ed25519Seed: [UInt8](repeating: 9, count: 32))
        let journal = AccessJournal(storage: ledger, signer: signer, origin: "guichet.test/ledger")
        for i in 0..<20 {
            _ = try await journal.recordSystemEvent("test-event", reason: "r\(i)", persons: [PersonID()], dossiers: [], context: Self.context(i))
        }
        _ = try await journal.checkpoint(at: Date())
        func verify() async throws -> LedgerReport {
            try await LedgerAuditor.verify(ledger, verifier: signer.verifier, origin: "guichet.test/ledger", batchSize: 6)
        }
        #expect(try await verify().problem == nil)
        // The database's owner may turn its triggers off: the hashes still give it away.
        try await Self.admin(address) { admin in
            try await admin.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
            try await admin.execute("UPDATE ledger_entry SET entry = entry || '\\x20'::bytea WHERE idx = 7")
            try await admin.execute("ALTER TABLE ledger_entry ENABLE TRIGGER USER")
        }
        let problem = try #require(try await verify().problem)
        #expect(problem.contains("entry 7 does not match"), "\(problem)")
        // A forged checkpoint (signed by another key) is named too.
        try await Self.admin(address) { admin in
            try await admin.execute("ALTER TABLE ledger_entry DISABLE TRIGGER USER")
            try await admin.execute("UPDATE ledger_entry SET entry = substring(entry from 1 for length(entry) - 1) WHERE idx = 7")
            try await admin.execute("ALTER TABLE ledger_entry ENABLE TRIGGER USER")
        }
        #expect(try await verify().problem == nil, "the entry restored byte for byte verifies again")
        let other = try NoteSigner(name: "guichet.test/ledger", ed25519Seed: [UInt8](repeating: 8, count: 32))
        let forged = try await LedgerAuditor.verify(ledger, verifier: other.verifier, origin: "guichet.test/ledger")
        #expect(forged.problem?.contains("forged") == true, "\(String(describing: forged.problem))")
        await ledger.close()
        try await Self.drop(address)
    }

    @Test("the database itself refuses to rewrite the PostgreSQL ledger: no UPDATE, DELETE or TRUNCATE of entries, subtree hashes or checkpoints, no tail row removed before it is integrated")
    func appendOnly() async throws {
        let address = try await Self.freshDatabase()
        let ledger = try await PostgresLedger.open(address, timeout: .seconds(120))
        // Appended directly, not through a journal: a journal integrates by itself a quarter of
        // a second after appends pause, and this test decides when integration happens.
        var tree = CompactRange()
        var rows: [LedgerRow] = [], nodes: [LedgerNode] = []
        for i in 0..<5 {
            let bytes = Data("entry \(i)".utf8)
            rows.append(LedgerRow(entry: bytes, at: Date(), account: nil, requestID: "r\(i)", persons: [PersonID()], dossiers: [DossierID()],
                                  session: Self.sessions[i % 3], source: "192.0.2.\(i)"))
            for n in tree.append(MerkleHash.leaf(bytes)) { nodes.append(LedgerNode(level: Int(n.id.level), index: Int64(n.id.index), hash: Data(n.hash.bytes))) }
        }
        let appended = try await ledger.appendLedger(start: 0, rows: rows, nodes: nodes) { (_: Int64, _: ([(level: Int, index: Int64)]) throws -> [LedgerNode]) -> ([LedgerNode], Int) in
            throw PostgresStoreError.unavailable("nothing else appends here")
        }
        #expect(appended.start == 0 && appended.rebased == nil)
        try await ledger.insertCheckpoint(size: 5, root: Data(tree.rootHash.bytes), note: "test checkpoint", at: Date())
        func refused(_ statements: [String]) async throws {
            try await Self.admin(address) { admin in
                for sql in statements { await #expect(throws: (any Error).self, "\(sql)") { try await admin.execute(sql) } }
            }
        }
        try await refused(["DELETE FROM ledger_tail WHERE idx = 0", "UPDATE ledger_tail SET at = 0", "UPDATE ledger_integration SET size = 99"])
        #expect(try await ledger.integrateLedger(limit: 100) == 5, "integrated rows leave the tail, through the same rules")
        try await refused(["UPDATE ledger_entry SET request_id = 'forged' WHERE idx = 1",
                           "DELETE FROM ledger_entry WHERE idx = 4",
                           "TRUNCATE ledger_entry CASCADE",
                           "UPDATE ledger_node SET hash = '\\x00' WHERE level = 0 AND idx = 0",
                           "DELETE FROM ledger_node",
                           "DELETE FROM ledger_checkpoint",
                           "DELETE FROM ledger_person",
                           "DELETE FROM ledger_session WHERE idx < 0",
                           "UPDATE ledger_integration SET size = 0",
                           "DELETE FROM ledger_integration"])
        let size = try await ledger.ledgerSize(), storedNodes = try await ledger.allNodes().count, checkpoints = try await ledger.checkpoints().count
        #expect(size == 5 && storedNodes == 8 && checkpoints == 1, "5 leaves, 2 pairs, 1 subtree of 4; the checkpoint")
        await ledger.close()
        try await Self.drop(address)
    }
}

extension PostgresAddress {
    /// The address as typed on the command line or in `guichet.yaml` (the test server's, which
    /// needs no password).
    var typed: String { "postgres://\(user)\(password.map { ":\($0)" } ?? "")@\(host):\(port)/\(database)?sslmode=\(tls.rawValue)" }
}

/// The test server's address, from `GUICHET_TEST_POSTGRES`.
enum TestPostgres {
    static let server = ProcessInfo.processInfo.environment["GUICHET_TEST_POSTGRES"].flatMap { try? PostgresAddress(parsing: $0) }
}

/// A plain connection for the tests' own SQL (create and drop databases, try to tamper).
struct PostgresAdmin {
    let client: PostgresClient
    let runner: Task<Void, Never>

    static func connect(_ a: PostgresAddress) async throws -> PostgresAdmin {
        let tls: PostgresClient.Configuration.TLS = a.tls == .disable ? .disable : .prefer(.makeClientConfiguration())
        let client = PostgresClient(configuration: .init(host: a.host, port: a.port, username: a.user, password: a.password,
                                                         database: a.database, tls: tls))
        return PostgresAdmin(client: client, runner: Task { await client.run() })
    }

    func execute(_ sql: String) async throws { try await client.query(PostgresQuery(unsafeSQL: sql)) }

    /// The first column of the first row of a query that counts.
    func int(_ sql: String) async throws -> Int {
        for try await value in try await client.query(PostgresQuery(unsafeSQL: sql)).decode(Int.self) { return value }
        return 0
    }

    func close() async { runner.cancel() }
}

/// PostgreSQL addresses: a clear refusal, never the password in an error.
struct PostgresAddressTests {
    @Test("a PostgreSQL address is read as libpq reads it, and a wrong one is refused saying why, without its password")
    func addresses() throws {
        let a = try PostgresAddress(parsing: "postgres://guichet:s3cret-pw@db.example.org:6432/registry?sslmode=require")
        #expect(a.host == "db.example.org" && a.port == 6432 && a.user == "guichet" && a.password == "s3cret-pw" && a.database == "registry" && a.tls == .require)
        #expect(!a.description.contains("s3cret-pw"))
        #expect(try PostgresAddress(parsing: "postgresql://u@h/d").port == 5432)
        for (text, why) in [("mysql://u@h/d", "postgres://"), ("postgres://h/d", "no user"), ("postgres://u:s3cret-pw@h", "no database"),
                            ("postgres://u@h/d?sslmode=maybe", "sslmode"), ("postgres://u:s3cret-pw@/d", "no host")] {
            #expect { try PostgresAddress(parsing: text) } throws: { error in
                let said = "\(error)"
                return said.contains(why) && !said.contains("s3cret-pw")
            }
        }
    }

    @Test("a PostgreSQL server that does not answer is a clear error, without the password")
    func unreachable() async throws {
        let closed = try PostgresAddress(parsing: "postgres://guichet:s3cret-pw@127.0.0.1:1/registry?sslmode=disable")
        await #expect { _ = try await PostgresLedger.open(closed, connections: 1, timeout: .seconds(3)) } throws: { error in
            let said = "\(error)"
            return said.contains("127.0.0.1:1/registry") && !said.contains("s3cret-pw")
        }
    }
}

/// Proofs, citizens' histories and breach-scope indexes over the PostgreSQL ledger, compared
/// with SQLite's ledger holding the same entries (issue 19).
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresLedgerProofTests {
    @Test("the same entries on SQLite and PostgreSQL give the same inclusion and consistency proofs, which verify; the same histories and breach-scope indexes")
    func sameProofs() async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        let postgres = try await PostgresLedger.open(address, timeout: .seconds(120))
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-proofs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        let signer = try NoteSigner(name: "guichet.test/ledger", ed25519Seed: [UInt8](repeating: 9, count: 32))
        let journals = [AccessJournal(storage: sqlite, signer: signer, origin: "guichet.test/ledger"),
                        AccessJournal(storage: postgres, signer: signer, origin: "guichet.test/ledger")]
        let persons = (0..<5).map { _ in PersonID() }, dossiers = (0..<3).map { _ in DossierID() }
        var checkpoints: [Int: [Int64]] = [:]
        for i in 0..<77 {
            for (j, journal) in journals.enumerated() {
                _ = try await journal.recordSystemEvent("test-event", reason: "e\(i)", persons: [persons[i % 5]], dossiers: i % 4 == 0 ? [dossiers[i % 3]] : [],
                                                        context: PostgresLedgerTests.context(i))
                if i == 20 || i == 76 { _ = try await journal.checkpoint(at: Date(timeIntervalSince1970: 1_767_225_600 + Double(i))); checkpoints[j, default: []].append(Int64(i + 1)) }
            }
        }
        let auditors = [LedgerAuditor(store: sqlite, verifier: signer.verifier, origin: "guichet.test/ledger"),
                        LedgerAuditor(store: postgres, verifier: signer.verifier, origin: "guichet.test/ledger")]
        let heads = try await auditors.asyncMap { try #require(try await $0.latestCheckpoint()).checkpoint }
        #expect(heads[0].rootHash == heads[1].rootHash && heads[0].size == 77)
        for index: Int64 in [0, 1, 20, 21, 63, 64, 76] {
            let proofs = try await auditors.asyncMap { try await $0.inclusion(index: index, size: 77) }
            #expect(proofs[0].entry == proofs[1].entry)
            #expect(proofs[0].proof.hashes == proofs[1].proof.hashes, "entry \(index)")
            try proofs[1].proof.verify(leafHash: MerkleHash.leaf(proofs[1].entry), rootHash: heads[1].rootHash)
        }
        for old: Int64 in [1, 21, 64] {
            let proofs = try await auditors.asyncMap { try await $0.consistency(old: old, new: 77) }
            #expect(proofs[0].hashes == proofs[1].hashes, "consistency from \(old)")
        }
        let first = try #require(try await postgres.checkpoints().first)
        try await auditors[1].consistency(old: first.size, new: 77).verify(oldRoot: try Hash(bytes: first.root), newRoot: heads[1].rootHash)

        // A citizen's history, with its proofs, and a breach's indexes by session and by time.
        let histories = try await auditors.asyncMap { try await $0.history(persons: [persons[2]], dossiers: [dossiers[1]], account: nil, limit: 10) }
        #expect(histories[0].items.map(\.index) == histories[1].items.map(\.index) && histories[1].items.count == 10 && histories[1].next != nil)
        #expect(histories[0].items.map { $0.proof?.hashes } == histories[1].items.map { $0.proof?.hashes })
        let session = PostgresLedgerTests.sessions[1]
        #expect(try await sqlite.ledgerIndexes(.session(session), from: nil, to: nil, below: 77, limit: 100)
                == (try await postgres.ledgerIndexes(.session(session), from: nil, to: nil, below: 77, limit: 100)))
        let window = (Date(timeIntervalSince1970: 1_767_225_610), Date(timeIntervalSince1970: 1_767_225_640))
        let byTime = try await postgres.ledgerIndexes(.time, from: window.0, to: window.1, below: 77, limit: 100)
        #expect(byTime == (try await sqlite.ledgerIndexes(.time, from: window.0, to: window.1, below: 77, limit: 100)) && byTime.count == 30)
        await postgres.close()
        try await PostgresLedgerTests.drop(address)
    }
}

extension Array {
    /// `transform` of each element, in order, one after the other.
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for e in self { out.append(try await transform(e)) }
        return out
    }
}
