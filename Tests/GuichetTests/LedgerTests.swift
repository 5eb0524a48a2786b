import Foundation
import GRDB
import Testing
import GuichetCore
import GuichetGate
@_spi(GateOnly) import GuichetLedger
import GuichetMerkle
@testable import GuichetStore

/// The tamper-evident access ledger (C6; threats R1 and R4).
@Suite struct LedgerTests {
    /// A world with some traffic and a signed checkpoint over it.
    func busyWorld() async throws -> (World, Int64) {
        let world = try await World.make()
        _ = try await world.registerParent("parent1")
        _ = try await world.registerParent("parent2", lastName: "Gagnon")
        let a = try await world.application(by: "parent1")
        let b = try await world.application(by: "parent2", daycares: [1], childName: "Noah")
        for _ in 0..<3 {
            _ = try await world.gate.read(a.id, try await world.request("daycare1"))
            _ = try await world.gate.read(b.id, try await world.request("agent", purpose: "list-management"))
            _ = try? await world.gate.read(b.id, try await world.request("daycare1"))  // refused, and recorded
        }
        try await world.gate.checkpoint(at: Date())
        return (world, try await world.store.ledgerSize())
    }

    /// Someone who owns the database rewrites the ledger: SQLite's append-only triggers
    /// dropped, or PostgreSQL's disabled (its superuser), then the statements run.
    func attack(_ world: World, _ t: Tamper) async throws {
        try await world.database.execute(
            sqlite: ["ledger_entry_no_delete", "ledger_entry_no_update", "ledger_node_no_delete", "ledger_node_no_update", "ledger_checkpoint_no_update"]
                .map { "DROP TRIGGER IF EXISTS \($0)" } + t.sql,
            postgres: ["ledger_entry", "ledger_node", "ledger_checkpoint"].map { "ALTER TABLE \($0) DISABLE TRIGGER USER" } + t.postgres)
    }

    @Test("an untouched ledger verifies, with every checkpoint")
    func cleanLedgerVerifies() async throws {
        let (world, size) = try await busyWorld()
        defer { world.remove() }
        #expect(size > 10)
        for batchSize: Int64 in [5_000, 3, 1] {
            let report = try await world.gate.auditor.verify(batchSize: batchSize)
            #expect(report.problem == nil && report.entries == size && report.checkpoints == 2, "batches of \(batchSize)")
        }
    }

    struct Tamper: Sendable, CustomStringConvertible {
        let name: String
        /// The statements in SQLite's SQL, and in PostgreSQL's.
        let sql: [String]
        let postgres: [String]
        let expected: String
        var description: String { name }
    }

    static let modifySQLite = "UPDATE ledger_entry SET entry = CAST(replace(CAST(entry AS TEXT), '\"v\":1', '\"v\":2') AS BLOB) WHERE idx = 6"
    static let modifyPostgres = "UPDATE ledger_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '\"v\":1', '\"v\":2'), 'UTF8') WHERE idx = 6"
    static let latest = "WHERE size = (SELECT MAX(size) FROM ledger_checkpoint)"
    static let tampering: [Tamper] = [
        Tamper(name: "modify an entry", sql: [modifySQLite], postgres: [modifyPostgres], expected: "entry 6 does not match"),
        Tamper(name: "modify an entry and its leaf hash",
               sql: [modifySQLite, "UPDATE ledger_node SET hash = (SELECT hash FROM ledger_node WHERE level = 0 AND idx = 7) WHERE level = 0 AND idx = 6"],
               postgres: [modifyPostgres, "UPDATE ledger_node SET hash = (SELECT hash FROM ledger_node WHERE level = 0 AND idx = 7) WHERE level = 0 AND idx = 6"],
               expected: "entry 6 does not match"),
        Tamper(name: "delete an entry", sql: ["DELETE FROM ledger_entry WHERE idx = 6"], postgres: ["DELETE FROM ledger_entry WHERE idx = 6"],
               expected: "entry 6 is missing"),
        Tamper(name: "delete the last entries", sql: ["DELETE FROM ledger_entry WHERE idx >= 10"], postgres: ["DELETE FROM ledger_entry WHERE idx >= 10"],
               expected: "entries are missing at the end"),
        Tamper(name: "insert an entry", sql: insertion, postgres: insertion, expected: "entry 6 does not match"),
        Tamper(name: "reorder two entries", sql: reordering, postgres: reordering, expected: "entry 6 does not match"),
        Tamper(name: "modify a stored subtree hash", sql: ["UPDATE ledger_node SET hash = zeroblob(32) WHERE level = 1 AND idx = 2"],
               postgres: ["UPDATE ledger_node SET hash = decode(repeat('00', 32), 'hex') WHERE level = 1 AND idx = 2"],
               expected: "the subtree 1/2 ending at entry 5 does not match"),
        Tamper(name: "truncate a stored subtree hash", sql: ["UPDATE ledger_node SET hash = substr(hash, 1, 31) WHERE level = 1 AND idx = 2"],
               postgres: ["UPDATE ledger_node SET hash = substring(hash from 1 for 31) WHERE level = 1 AND idx = 2"],
               expected: "the subtree 1/2 ending at entry 5 does not match"),
        Tamper(name: "give a stored leaf hash a 33rd byte", sql: ["UPDATE ledger_node SET hash = zeroblob(33) WHERE level = 0 AND idx = 6"],
               postgres: ["UPDATE ledger_node SET hash = decode(repeat('00', 33), 'hex') WHERE level = 0 AND idx = 6"],
               expected: "entry 6 does not match"),
        Tamper(name: "delete a stored subtree hash", sql: ["DELETE FROM ledger_node WHERE level = 2 AND idx = 1"],
               postgres: ["DELETE FROM ledger_node WHERE level = 2 AND idx = 1"],
               expected: "the subtree 2/1 ending at entry 7 does not match"),
        Tamper(name: "forge a checkpoint's root", sql: ["UPDATE ledger_checkpoint SET root = zeroblob(32) \(latest)"],
               postgres: ["UPDATE ledger_checkpoint SET root = decode(repeat('00', 32), 'hex') \(latest)"],
               expected: "is forged"),
        Tamper(name: "forge a checkpoint's note",
               sql: ["UPDATE ledger_checkpoint SET note = replace(note, char(10) || '0' , char(10) || '1') \(latest)",
                     "UPDATE ledger_checkpoint SET note = substr(note, 1, instr(note, char(10)) ) || '9' || substr(note, instr(note, char(10)) + 3) \(latest)"],
               postgres: ["UPDATE ledger_checkpoint SET note = replace(note, chr(10) || '0' , chr(10) || '1') \(latest)",
                          "UPDATE ledger_checkpoint SET note = substr(note, 1, strpos(note, chr(10))) || '9' || substr(note, strpos(note, chr(10)) + 3) \(latest)"],
               expected: "is forged"),
    ]
    static let insertion = ["UPDATE ledger_entry SET idx = -idx - 1 WHERE idx >= 6", "UPDATE ledger_entry SET idx = -idx WHERE idx < 0",
                            "INSERT INTO ledger_entry(idx, entry, at, account_id, request_id) SELECT 6, entry, at, account_id, 'forged' FROM ledger_entry WHERE idx = 2"]
    static let reordering = ["UPDATE ledger_entry SET idx = -1 WHERE idx = 6", "UPDATE ledger_entry SET idx = 6 WHERE idx = 7", "UPDATE ledger_entry SET idx = 7 WHERE idx = -1"]

    @Test("tampering with the stored ledger is reported, naming the first entry that does not match", arguments: tampering)
    func tamperingIsDetected(_ t: Tamper) async throws {
        let (world, _) = try await busyWorld()
        defer { world.remove() }
        try await attack(world, t)
        // Read in one batch, and in batches of three entries, so that the tampered entries and
        // the subtrees over them straddle the boundaries between batches.
        for batchSize: Int64 in [5_000, 3] {
            let report = try await world.gate.auditor.verify(batchSize: batchSize)
            let problem = try #require(report.problem, "\(t.name) went unnoticed (batches of \(batchSize))")
            #expect(problem.contains(t.expected), "reported with batches of \(batchSize): \(problem)")
        }
    }

    @Test("inclusion and consistency proofs verify against the signed checkpoints, and a wrong one does not")
    func proofsVerify() async throws {
        let (world, size) = try await busyWorld()
        defer { world.remove() }
        let auditor = world.gate.auditor
        let (note, checkpoint) = try #require(try await auditor.latestCheckpoint())
        #expect(note.contains("\n\(size)\n"))
        for index in [0, 1, size / 2, size - 1] {
            let (entry, proof) = try await auditor.inclusion(index: index, size: size)
            try proof.verify(leafHash: MerkleHash.leaf(entry), rootHash: checkpoint.rootHash)
            #expect(throws: MerkleError.self) { try proof.verify(leafHash: MerkleHash.leaf(entry + Data([0x20])), rootHash: checkpoint.rootHash) }
        }
        let first = try #require(try await world.store.checkpoints().first)
        let consistency = try await auditor.consistency(old: first.size, new: size)
        try consistency.verify(oldRoot: try Hash(bytes: first.root), newRoot: checkpoint.rootHash)
        #expect(throws: MerkleError.self) { try consistency.verify(oldRoot: MerkleHash.leaf(Data()), newRoot: checkpoint.rootHash) }
    }

    @Test("pymerkle, an independent implementation, computes our root and accepts our inclusion proofs")
    func independentVerifier() async throws {
        let (world, size) = try await busyWorld()
        defer { world.remove() }
        let (_, checkpoint) = try #require(try await world.gate.auditor.latestCheckpoint())
        let entries = try await world.store.ledgerEntries(0..<size).map { $0.entry.base64EncodedString() }
        var proofs: [[String: Any]] = []
        for index in 0..<size {
            let (_, proof) = try await world.gate.auditor.inclusion(index: index, size: size)
            proofs.append(["index": index, "proof": proof.hashes.map(\.hex)])
        }
        let input = world.folder.appendingPathComponent("ledger.json")
        try JSONSerialization.data(withJSONObject: ["entries": entries, "root": checkpoint.rootHash.hex, "size": size, "proofs": proofs])
            .write(to: input)
        let result = try await Python.run([Repo.root.appendingPathComponent("Tests/peers/ledger_peer.py").path, input.path])
        #expect(result.status == 0 && result.output.hasPrefix("OK: \(size) proofs"), "pymerkle said: \(result.output)")

        // The same checker refuses a wrong root.
        try JSONSerialization.data(withJSONObject: ["entries": entries, "root": MerkleHash.emptyRoot.hex, "size": size, "proofs": proofs]).write(to: input)
        #expect(try await Python.run([Repo.root.appendingPathComponent("Tests/peers/ledger_peer.py").path, input.path]).status == 1)
    }

    @Test("a second process appending to the same ledger (an import beside the server) costs no read its entry: both journals' appends succeed, the tree verifies, the next checkpoint covers both", .sqliteOnly)
    func twoJournalsOnOneDatabase() async throws {
        let (world, before) = try await busyWorld()
        defer { world.remove() }
        let a = try await world.application(by: "parent1")
        // Another connection pool and journal on the same file, as `guichet import` opens.
        let other = AccessJournal(store: try Store(path: world.sqlite.path))
        let context = AccessContext(requestID: "import-run", subject: nil, session: nil, source: nil, purpose: nil, at: Date())
        let reads = 40, events = 40
        let indexes = try await withThrowingTaskGroup(of: [Int64].self) { group in
            group.addTask {
                var out: [Int64] = []
                for i in 0..<events {
                    out.append(try await other.recordSystemEvent("import", reason: "import:run-\(i)", persons: [], dossiers: [a.id], context: context))
                }
                return out
            }
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<(reads / 4) { _ = try await world.gate.read(a.id, try await world.request("daycare1")) }
                    return []
                }
            }
            return try await group.reduce(into: [Int64]()) { $0 += $1 }
        }
        #expect(indexes.count == events && Set(indexes).count == events, "each of the other journal's entries has its own index")
        let size = try await world.store.ledgerSize()
        #expect(size >= before + Int64(reads + events), "every read and every event is in the ledger")
        try await world.gate.checkpoint(at: Date())
        #expect(try await world.store.latestCheckpoint()?.size == size, "the server's checkpoint signs the entries the other process appended")
        let report = try await world.gate.auditor.verify(batchSize: 7)
        #expect(report.problem == nil && report.entries == size, "\(String(describing: report.problem))")
        let mine = try await world.ledger.journal().filter { $0.reason.hasPrefix("import:run-") }
        #expect(mine.count == events)
    }

    @Test("what an account saw, and who accessed a person, come from indexes, not from a scan of the ledger", .sqliteOnly)
    func indexesAnswerWithoutScanning() async throws {
        let (world, _) = try await busyWorld()
        defer { world.remove() }
        let daycare = try await world.principal("daycare1").account
        let seen = try await world.sqlite.ledgerIndexes(account: daycare, from: .distantPast, to: .distantFuture, limit: 100)
        let all = try await world.ledger.journal()
        #expect(seen.count == all.filter { $0.account == daycare }.count && seen.count == 6)
        let plans = try await world.sqlite.pool.read { db in
            try [Store.accountIndexesSQL, "SELECT idx FROM ledger_person WHERE person_id = 'x' ORDER BY idx LIMIT 10"].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: sql == Store.accountIndexesSQL ? ["x", 0, 1, 100, 10] : [])
                    .map { $0["detail"] as String }.joined(separator: " ")
            }
        }
        // An account's integrated entries come from its index, the others from the tail's
        // (bounded) entries, each found by its index: never a scan of ledger_entry.
        #expect(plans[0].contains("SEARCH ledger_account USING PRIMARY KEY") && plans[0].contains("SEARCH e USING INTEGER PRIMARY KEY"), "\(plans[0])")
        #expect(!plans[0].contains("SCAN e") && !plans[0].contains("SCAN ledger_entry"), "\(plans[0])")
        #expect(plans[1].contains("SEARCH ledger_person") && !plans[1].contains("SCAN"), "\(plans[1])")
    }
}
