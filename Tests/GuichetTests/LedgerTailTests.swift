import Foundation
import GRDB
import GRDBSQLite
import Testing
import GuichetCore
@_spi(LedgerOnly) @testable import GuichetStore

/// The ledger's person, dossier, session and address indexes are integrated in batches after
/// the durable append (issue 18); until then an entry's references wait in `ledger_tail`.
/// Every query of those indexes must give the same answer whether integration has run, half
/// run, or not run at all (a crash right after the append).
@Suite struct LedgerTailTests {
    struct Appended {
        let idx: Int64
        let at: Int64
        let persons: [PersonID]
        let dossiers: [DossierID]
        let session: SessionID?
        let source: String?
        let account: AccountID?
    }

    /// 300 entries naming persons, dossiers, sessions and addresses drawn from small pools (so
    /// that each is named many times), with times that sometimes go backwards (clocks do).
    func appendSome(_ store: Store) async throws -> [Appended] {
        let persons = (0..<12).map { _ in PersonID() }, dossiers = (0..<8).map { _ in DossierID() }
        let sessions = (0..<5).map { _ in SessionID() }, sources = ["192.0.2.10", "192.0.2.11", "2001:db8::7"]
        let accounts = (0..<4).map { _ in AccountID() }
        var out: [Appended] = []
        var generator = SystemRandomNumberGenerator()
        for batch in 0..<6 {
            var rows: [LedgerRow] = []
            for i in 0..<50 {
                let idx = Int64(batch * 50 + i)
                let at = 1_767_225_600_000 + idx * 1_000 - (idx % 7 == 0 ? 5_000 : 0)
                let a = Appended(idx: idx, at: at, persons: Array(persons.shuffled(using: &generator).prefix(Int.random(in: 0...3))),
                                 dossiers: Bool.random() ? [dossiers.randomElement()!] : [],
                                 session: Bool.random() ? sessions.randomElement()! : nil, source: Bool.random() ? sources.randomElement()! : nil,
                                 account: idx % 5 == 0 ? nil : accounts.randomElement()!)
                out.append(a)
                rows.append(LedgerRow(entry: Data("entry \(idx)".utf8), at: Date(millis: at), account: a.account, requestID: "r\(idx)",
                                      persons: a.persons, dossiers: a.dossiers, session: a.session, source: a.source))
            }
            try await store.appendLedger(start: Int64(batch * 50), rows: rows, nodes: [])
        }
        return out
    }

    /// Every query of the four indexes, with small and large limits and a cut-off.
    func answers(_ store: Store, _ appended: [Appended]) async throws -> [String] {
        var out: [String] = []
        let persons = Array(Set(appended.flatMap(\.persons))).sorted { $0.rawValue < $1.rawValue }
        let dossiers = Array(Set(appended.flatMap(\.dossiers))).sorted { $0.rawValue < $1.rawValue }
        for p in persons {
            out.append("person \(try await store.ledgerIndexes(person: p, limit: 7)) \(try await store.ledgerIndexes(person: p, limit: 1_000))")
        }
        for limit in [5, 1_000] {
            out.append("history \(try await store.ledgerIndexes(persons: Array(persons.prefix(2)), dossiers: Array(dossiers.prefix(1)), after: 20, below: 280, limit: limit))")
        }
        for s in Set(appended.compactMap(\.session)).sorted(by: { $0.rawValue < $1.rawValue }) {
            for limit in [4, 1_000] {
                out.append("session \(try await store.ledgerIndexes(.session(s), from: nil, to: nil, below: 290, limit: limit))")
            }
        }
        for s in Set(appended.compactMap(\.source)).sorted() {
            out.append("source \(try await store.ledgerIndexes(.source(s), from: Date(millis: 1_767_225_650_000), to: nil, below: 300, limit: 1_000))")
        }
        out.append("sources \(try await store.ledgerSources(appended.map(\.idx)).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
        for a in Set(appended.compactMap(\.account)).sorted(by: { $0.rawValue < $1.rawValue }) {
            for limit in [6, 1_000] {
                out.append("account \(try await store.ledgerIndexes(.account(a), from: nil, to: nil, below: 290, limit: limit))")
            }
            out.append("account window \(try await store.ledgerIndexes(account: a, from: Date(millis: 1_767_225_650_000), to: Date(millis: 1_767_225_800_000), limit: 1_000))")
        }
        return out
    }

    /// The same answers computed from what was appended, by brute force.
    func expected(_ appended: [Appended]) -> [String] {
        var out: [String] = []
        let persons = Array(Set(appended.flatMap(\.persons))).sorted { $0.rawValue < $1.rawValue }
        let dossiers = Array(Set(appended.flatMap(\.dossiers))).sorted { $0.rawValue < $1.rawValue }
        for p in persons {
            let all = appended.filter { $0.persons.contains(p) }.map(\.idx)
            out.append("person \(Array(all.prefix(7))) \(all)")
        }
        for limit in [5, 1_000] {
            let (ps, d) = (Set(persons.prefix(2)), Set(dossiers.prefix(1)))
            let all = appended.filter { $0.idx > 20 && $0.idx < 280 && ($0.persons.contains(where: ps.contains) || $0.dossiers.contains(where: d.contains)) }
            out.append("history \(Array(all.map(\.idx).prefix(limit)))")
        }
        func byTime(_ rows: [Appended]) -> [Int64] { rows.sorted { ($0.at, $0.idx) < ($1.at, $1.idx) }.map(\.idx) }
        for s in Set(appended.compactMap(\.session)).sorted(by: { $0.rawValue < $1.rawValue }) {
            for limit in [4, 1_000] {
                out.append("session \(Array(byTime(appended.filter { $0.session == s && $0.idx < 290 }).prefix(limit)))")
            }
        }
        for s in Set(appended.compactMap(\.source)).sorted() {
            out.append("source \(byTime(appended.filter { $0.source == s && $0.at >= 1_767_225_650_000 }))")
        }
        out.append("sources \(appended.compactMap { a in a.source.map { "\(a.idx)=\($0)" } })")
        for a in Set(appended.compactMap(\.account)).sorted(by: { $0.rawValue < $1.rawValue }) {
            for limit in [6, 1_000] {
                out.append("account \(Array(byTime(appended.filter { $0.account == a && $0.idx < 290 }).prefix(limit)))")
            }
            out.append("account window \(byTime(appended.filter { $0.account == a && $0.at >= 1_767_225_650_000 && $0.at < 1_767_225_800_000 }))")
        }
        return out
    }

    /// A store in a new folder with ``appendSome(_:)``'s entries, and the answers they call for.
    func appendedStore() async throws -> (folder: URL, path: String, store: Store, appended: [Appended], want: [String]) {
        let folder = try temporaryFolder()
        let path = folder.appendingPathComponent("guichet.sqlite").path
        let store = try Store(path: path)
        let appended = try await appendSome(store)
        return (folder, path, store, appended, expected(appended))
    }

    @Test("queries give the same answers before, during and after integration, and after a restart in between")
    func sameAnswersWhateverIntegration() async throws {
        let (folder, path, first, appended, want) = try await appendedStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        var store = first
        #expect(try await store.ledgerTailCount() == 300)
        #expect(try await answers(store, appended) == want)

        // The process stops before integrating: the tail is durable, and a new one reads it.
        store = try Store(path: path)
        #expect(try await store.ledgerTailCount() == 300)
        #expect(try await answers(store, appended) == want)

        #expect(try await store.integrateLedger(limit: 130) == 130)
        #expect(try await store.ledgerTailCount() == 170)
        #expect(try await answers(store, appended) == want)

        #expect(try await store.integrateLedger() == 170)
        #expect(try await store.integrateLedger() == 0)
        #expect(try await store.ledgerTailCount() == 0)
        #expect(try await answers(store, appended) == want)
        #expect(try await indexRows(store) == expectedRows(appended))
    }

    /// How many rows the person, dossier, session, address and account indexes hold.
    func indexRows(_ store: Store) async throws -> [Int] {
        try await store.pool.read { db in
            try ["ledger_person", "ledger_dossier", "ledger_session", "ledger_source", "ledger_account"].map { try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)") ?? 0 }
        }
    }

    /// The rows those indexes hold once everything appended is integrated, each once.
    func expectedRows(_ appended: [Appended]) -> [Int] {
        let persons: Int = appended.map(\.persons.count).reduce(0, +), dossiers: Int = appended.map(\.dossiers.count).reduce(0, +)
        let sessions: Int = appended.filter { $0.session != nil }.count, sources: Int = appended.filter { $0.source != nil }.count
        let accounts: Int = appended.filter { $0.account != nil }.count
        return [persons, dossiers, sessions, sources, accounts]
    }

    @Test("an integration cut between its transactions leaves every answer right, and the next one completes it without duplicates")
    func chunkedIntegration() async throws {
        let (folder, path, first, appended, want) = try await appendedStore()
        defer { try? FileManager.default.removeItem(at: folder) }
        var store = first

        // Integration writes a step in several transactions, one slice of each index's keys in
        // each; the last one moves the mark and deletes the tail records. Cut after a middle
        // slice (a crash, or a second integrator with another limit): the index holds some
        // of an entry's rows, the tail holds the entry, and no answer counts it twice or
        // misses it, before and after a restart.
        let batch = try await store.pool.read { db in try Store.IntegrationBatch(db, limit: 120) }
        #expect(batch.count == 120 && batch.last == 119)
        try await store.pool.write { db in try batch.insert(db, part: 1, of: 3) }
        let partly = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_person") ?? 0 }
        let firstRows: Int = appended.prefix(120).map(\.persons.count).reduce(0, +)
        #expect(partly > 0 && partly < firstRows)
        #expect(try await store.ledgerTailCount() == 300)
        #expect(try await answers(store, appended) == want)
        store = try Store(path: path)
        #expect(try await answers(store, appended) == want)

        // Two integrations at once (the journal's, and its back-pressure's) may read the same
        // entries: each counts only the entries it moved out of the tail itself.
        async let one = store.integrateLedger(limit: 60, chunk: 5)
        async let two = store.integrateLedger(limit: 60, chunk: 5)
        let moved = try await one + two
        let left = try await store.ledgerTailCount()
        #expect(moved == 300 - left && (left == 240 || left == 180), "moved \(moved), left \(left)")
        #expect(try await answers(store, appended) == want)

        // A step in transactions of 7 entries' worth; then the rest in one.
        #expect(try await store.integrateLedger(limit: 130, chunk: 7) == 130)
        #expect(try await store.ledgerTailCount() == left - 130)
        #expect(try await answers(store, appended) == want)
        #expect(try await store.integrateLedger(limit: 1_000, chunk: 1_000) == left - 130)
        #expect(try await store.ledgerTailCount() == 0)
        #expect(try await answers(store, appended) == want)
        #expect(try await indexRows(store) == expectedRows(appended))

        // Two integrators with different limits slice differently, so a cut can leave any
        // subset of a person's rows in the index: here the later half only.
        let other = try Store(path: folder.appendingPathComponent("other.sqlite").path)
        let person = PersonID()
        let rows = (0..<10).map { i in
            LedgerRow(entry: Data("entry \(i)".utf8), at: Date(millis: 1_767_225_600_000 + Int64(i)), account: nil, requestID: "r\(i)", persons: [person], dossiers: [])
        }
        try await other.appendLedger(start: 0, rows: rows, nodes: [])
        try await other.pool.write { db in
            for i in 5..<10 { try db.execute(sql: "INSERT INTO ledger_person(person_id, idx) VALUES (?, ?)", arguments: [person.rawValue, i]) }
        }
        #expect(try await other.ledgerIndexes(person: person, limit: 3) == [0, 1, 2])
        #expect(try await other.ledgerIndexes(person: person, limit: 1_000) == Array(0..<10))
        #expect(try await other.ledgerIndexes(persons: [person], dossiers: [], below: 10, limit: 3) == [0, 1, 2])
    }

    @Test("an entry leaves the tail only once integrated, and integration never goes back")
    func tailGuarded() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        _ = try await appendSome(store)
        try await store.integrateLedger(limit: 100)
        for sql in ["DELETE FROM ledger_tail WHERE idx = 150", "DELETE FROM ledger_tail", "UPDATE ledger_tail SET refs = x'01' WHERE idx = 200",
                    "UPDATE ledger_integration SET size = 50", "UPDATE ledger_integration SET size = 301", "DELETE FROM ledger_integration",
                    "DELETE FROM ledger_account", "UPDATE ledger_account SET idx = idx + 1"] {
            await #expect(throws: DatabaseError.self, "\(sql)") { try await store.pool.write { db in try db.execute(sql: sql) } }
        }
        #expect(try await store.ledgerTailCount() == 200)
    }

    @Test("a tail record decodes to what was encoded, and a damaged one is refused")
    func refsRoundTrip() throws {
        let refs = LedgerRefs(session: "s-1", source: "2001:db8::1", persons: ["p1", "", "p-é"], dossiers: ["d"])
        #expect(try LedgerRefs(decoding: refs.encoded()) == refs)
        let empty = LedgerRefs(session: nil, source: nil, persons: [], dossiers: [])
        #expect(try LedgerRefs(decoding: empty.encoded()) == empty)
        let bytes = refs.encoded()
        #expect(throws: StoreError.self) { try LedgerRefs(decoding: bytes.prefix(bytes.count - 1)) }
        #expect(throws: StoreError.self) { try LedgerRefs(decoding: Data([2]) + bytes.dropFirst()) }
    }

    @Test("an append stores each value as given, nil as NULL and an empty text as empty, and one that fails writes nothing")
    func appendStoresWhatItIsGiven() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        let account = AccountID(), person = PersonID(), session = SessionID()
        let rows = [
            LedgerRow(entry: Data("entry 0".utf8), at: Date(millis: 1_767_225_600_000), account: account, requestID: "r-0",
                      persons: [person], dossiers: [], session: session, source: "192.0.2.10"),
            LedgerRow(entry: Data("entry 1 é".utf8), at: Date(millis: 1_767_225_601_000), account: nil, requestID: "",
                      persons: [], dossiers: [], session: nil, source: ""),
        ]
        let nodes = [LedgerNode(level: 0, index: 0, hash: Data(repeating: 7, count: 32)), LedgerNode(level: 0, index: 1, hash: Data(repeating: 8, count: 32)),
                     LedgerNode(level: 1, index: 0, hash: Data(repeating: 9, count: 32))]
        try await store.appendLedger(start: 0, rows: rows, nodes: nodes)
        struct Stored: Sendable {
            var entries: [Data] = [], at: [Int64] = [], accounts: [String?] = [], accountIsNull: [Bool] = [], requests: [String?] = []
            var tailAt: [Int64] = [], refs: [Data] = [], nodes: [LedgerNode] = []
        }
        let stored = try await store.pool.read { db in
            var out = Stored()
            for row in try Row.fetchAll(db, sql: "SELECT entry, at, account_id, account_id IS NULL AS null_account, request_id FROM ledger_entry ORDER BY idx") {
                out.entries.append(row["entry"]); out.at.append(row["at"]); out.accounts.append(row["account_id"])
                out.accountIsNull.append(row["null_account"]); out.requests.append(row["request_id"])
            }
            for row in try Row.fetchAll(db, sql: "SELECT at, refs FROM ledger_tail ORDER BY idx") { out.tailAt.append(row["at"]); out.refs.append(row["refs"]) }
            out.nodes = try Row.fetchAll(db, sql: "SELECT level, idx, hash FROM ledger_node ORDER BY level, idx").map { LedgerNode(level: $0["level"], index: $0["idx"], hash: $0["hash"]) }
            return out
        }
        #expect(stored.entries == rows.map(\.entry))
        #expect(stored.at == [1_767_225_600_000, 1_767_225_601_000])
        #expect(stored.accounts == [account.rawValue, nil] && stored.accountIsNull == [false, true])
        // An empty request id is stored as an empty text: NULL would break the column's NOT NULL.
        #expect(stored.requests == ["r-0", ""])
        #expect(stored.tailAt == [1_767_225_600_000, 1_767_225_601_000])
        #expect(try stored.refs.map { try LedgerRefs(decoding: $0) } == [
            LedgerRefs(session: session.rawValue, source: "192.0.2.10", persons: [person.rawValue], dossiers: []),
            LedgerRefs(session: nil, source: "", persons: [], dossiers: []),
        ])
        #expect(stored.nodes == nodes)
        #expect(try await store.integrateLedger() == 2)
        let sources = try await store.pool.read { db in try String.fetchAll(db, sql: "SELECT source FROM ledger_source ORDER BY idx") }
        #expect(sources == ["192.0.2.10", ""])

        // A node already stored: the whole append is refused, its entry with it.
        let more = LedgerRow(entry: Data("entry 2".utf8), at: Date(millis: 1_767_225_602_000), account: account, requestID: "r-2",
                             persons: [], dossiers: [])
        await #expect(throws: StoreError.duplicate("record")) {
            try await store.appendLedger(start: 2, rows: [more], nodes: [LedgerNode(level: 0, index: 1, hash: Data(repeating: 1, count: 32))])
        }
        // The disk full (the database may not grow by a page): refused as unavailable, nothing written.
        let pages = try await store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        let large = (0..<200).map { i in
            LedgerRow(entry: Data(repeating: UInt8(i % 250), count: 2_000), at: Date(millis: 1_767_225_603_000), account: AccountID(), requestID: "r-\(i)",
                      persons: [], dossiers: [])
        }
        var refused: StoreError?
        do { try await store.appendLedger(start: 2, rows: large, nodes: []) } catch let error as StoreError { refused = error }
        let unavailable = if case .unavailable? = refused { true } else { false }
        #expect(unavailable, "a full disk gave \(String(describing: refused))")
        #expect(try await store.ledgerSize() == 2)
        #expect(try await store.ledgerTailCount() == 0)
        try await store.pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        // A value SQLite refuses to bind (longer than the connection allows; here the account's
        // 22 characters, in a nullable column): the append is refused and nothing written, not
        // stored with a NULL account.
        let limit = try await store.pool.writeWithoutTransaction { db in sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, 21) }
        let small = LedgerRow(entry: Data("e".utf8), at: Date(millis: 1_767_225_604_000), account: account, requestID: "r", persons: [], dossiers: [])
        await #expect(throws: StoreError.self) { try await store.appendLedger(start: 2, rows: [small], nodes: []) }
        #expect(try await store.ledgerSize() == 2)
        _ = try await store.pool.writeWithoutTransaction { db in sqlite3_limit(db.sqliteConnection, SQLITE_LIMIT_LENGTH, limit) }
        try await store.appendLedger(start: 2, rows: [more], nodes: [])
        #expect(try await store.ledgerSize() == 3)
    }

    @Test("a ledger from before the account index was integrated keeps every answer: its integrated entries move to ledger_account, the tail's wait for integration")
    func accountIndexMigration() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("guichet.sqlite").path
        let (one, two) = (AccountID(), AccountID())
        do {
            let queue = try DatabaseQueue(path: path)
            try Migrations.migrator.migrate(queue, upTo: "v-short-terms")
            try await queue.write { db in
                for (idx, account) in [one, two, one, nil, one].enumerated() {
                    try db.execute(sql: "INSERT INTO ledger_entry(idx, entry, at, account_id, request_id) VALUES (?, ?, ?, ?, ?)",
                                   arguments: [idx, Data("entry \(idx)".utf8), 1_767_225_600_000 + Int64(idx), account?.rawValue, "r\(idx)"])
                }
                try db.execute(sql: "UPDATE ledger_integration SET size = 3")
                for idx in [3, 4] {
                    try db.execute(sql: "INSERT INTO ledger_tail(idx, at, refs) VALUES (?, ?, ?)",
                                   arguments: [idx, 1_767_225_600_000 + Int64(idx), LedgerRefs(session: nil, source: nil, persons: [], dossiers: []).encoded()])
                }
            }
        }
        let store = try Store(path: path)
        let moved = try await store.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT account_id, idx FROM ledger_account ORDER BY idx").map { "\($0["account_id"] as String) \($0["idx"] as Int64)" }
        }
        let oldIndex = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ledger_by_account'") }
        #expect(moved == ["\(one.rawValue) 0", "\(two.rawValue) 1", "\(one.rawValue) 2"])
        #expect(oldIndex == 0)
        #expect(try await store.ledgerIndexes(account: one, from: .distantPast, to: .distantFuture, limit: 10) == [0, 2, 4])
        #expect(try await store.ledgerIndexes(.account(one), from: nil, to: nil, below: 4, limit: 10) == [0, 2])
        #expect(try await store.integrateLedger() == 2)
        #expect(try await store.ledgerIndexes(account: one, from: .distantPast, to: .distantFuture, limit: 2) == [0, 2])
        #expect(try await store.ledgerIndexes(.account(two), from: nil, to: nil, below: 5, limit: 10) == [1])
    }
}
