public import GuichetCore
public import Foundation
import GRDB
import GRDBSQLite

/// One ledger entry to store: its canonical bytes and the index columns derived from them.
public struct LedgerRow: Sendable {
    public let entry: Data
    public let at: Date
    public let account: AccountID?
    public let requestID: String
    public let persons: [PersonID]
    public let dossiers: [DossierID]
    /// The session of the entry's actor: written in the session index (breach scopes by session).
    public let session: SessionID?
    /// The source address of the request: written in the address index, beside the entry
    /// (which carries only its keyed tag, or the address itself in older entries).
    public let source: String?
    /// The index references as SQLite's `ledger_tail` stores them, encoded here, on the
    /// caller's task, and not on the one writer that every append waits for (issue 18).
    let refs: Data
    public init(entry: Data, at: Date, account: AccountID?, requestID: String, persons: [PersonID], dossiers: [DossierID],
                session: SessionID? = nil, source: String? = nil) {
        self.entry = entry; self.at = at; self.account = account; self.requestID = requestID; self.persons = persons; self.dossiers = dossiers
        self.session = session; self.source = source
        refs = LedgerRefs(session: session?.rawValue, source: source, persons: persons.map(\.rawValue), dossiers: dossiers.map(\.rawValue)).encoded()
    }
}

/// A stored subtree hash: level 0 is a leaf hash.
public struct LedgerNode: Sendable, Equatable {
    public let level: Int
    public let index: Int64
    public let hash: Data
    public init(level: Int, index: Int64, hash: Data) { self.level = level; self.index = index; self.hash = hash }
}

/// Synchronous reads of stored node hashes, valid only inside ``Store/withLedgerNodes(_:)``
/// (it is not `Sendable`, so it cannot leave the reader thread that runs that closure).
public struct LedgerNodeReader {
    let statement: Statement

    /// The stored hash of the node of `level` and `index`, or nil when none is stored.
    public func hash(level: Int, index: Int64) throws -> Data? {
        try Data.fetchOne(statement, arguments: [level, index])
    }
}

@available(*, unavailable, message: "a node reader belongs to the reader thread of one withLedgerNodes call")
extension LedgerNodeReader: Sendable {}

/// A stored signed checkpoint.
public struct StoredCheckpoint: Sendable, Equatable {
    public let size: Int64
    public let root: Data
    public let note: String
    public let at: Date
    public init(size: Int64, root: Data, note: String, at: Date) {
        self.size = size; self.root = root; self.note = note; self.at = at
    }
}

extension Store {
    /// Number of entries in the ledger.
    public func ledgerSize() async throws -> Int64 {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry") ?? 0 }
    }

    /// When the entry at `index` was appended (nil: no such entry).
    public func ledgerEntryTime(_ index: Int64) async throws -> Date? {
        try await read { db in try Int64.fetchOne(db, sql: "SELECT at FROM ledger_entry WHERE idx = ?", arguments: [index]).map(Date.init(millis:)) }
    }

    /// How many entries the ledger holds, and its largest index plus one, in one read: they
    /// differ when entries were deleted. A count of the whole table, which SQLite reads from
    /// its smallest index.
    public func ledgerEntryCount() async throws -> (held: Int64, numbered: Int64) {
        try await read { db in
            let row = try Row.fetchOne(db, sql: "SELECT COUNT(*), COALESCE(MAX(idx) + 1, 0) FROM ledger_entry")
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    /// Appends entries at `start` with the subtree hashes they complete, in one durable
    /// transaction (group commit). Refuses if the ledger is not exactly `start` long.
    /// `@_spi(LedgerOnly)`: only the access journal writes the ledger.
    ///
    /// The entry, its time index and its Merkle nodes are written here; its persons,
    /// dossiers, session and source address go to `ledger_tail` in the same transaction, and
    /// ``integrateLedger(limit:)`` moves them, and the entry's account, into their indexes
    /// later, in batches. Every query of those indexes reads the tail too, so an answer never
    /// depends on whether integration has run (issue 18: the random-keyed index pages were
    /// most of an append's write).
    @_spi(LedgerOnly)
    public func appendLedger(start: Int64, rows: [LedgerRow], nodes: [LedgerNode]) async throws {
        _ = try await appendLedger(start: start, rows: rows, nodes: nodes) { (_: Int64, _: ([(level: Int, index: Int64)]) throws -> [LedgerNode]) -> ([LedgerNode], Int) in
            throw StoreError.versionConflict
        }
    }

    /// Appends entries at the end of the ledger, however long it has become: when another
    /// process appended since the caller's `start` (a `guichet import` beside the server),
    /// `rebase` is called inside the same write transaction with the stored size and a reader
    /// of stored subtree hashes, and returns the nodes the entries complete from there and
    /// the caller's new right edge. Nothing can append in between: the transaction holds the
    /// database's one write lock.
    /// - Returns: the index of the first entry, and the right edge `rebase` returned (nil
    ///   when the ledger was `start` long and `nodes` were written as given).
    @_spi(LedgerOnly)
    public func appendLedger<Edge: Sendable>(start: Int64, rows: [LedgerRow], nodes: [LedgerNode],
                                             rebase: @escaping @Sendable (_ size: Int64, _ stored: ([(level: Int, index: Int64)]) throws -> [LedgerNode]) throws -> ([LedgerNode], Edge))
        async throws -> (start: Int64, rebased: Edge?) {
        try await write { db in
            let size = try Int64.fetchOne(db.cachedStatement(sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry")) ?? 0
            var nodes = nodes, rebased: Edge?
            if size != start {
                let stmt = try db.cachedStatement(sql: "SELECT hash FROM ledger_node WHERE level = ? AND idx = ?")
                let (again, edge) = try rebase(size) { ids in
                    try ids.compactMap { id in try Data.fetchOne(stmt, arguments: [id.level, id.index]).map { LedgerNode(level: id.level, index: id.index, hash: $0) } }
                }
                nodes = again; rebased = edge
            }
            let start = size
            let entry = try RawStatement(db, "INSERT INTO ledger_entry(idx, entry, at, account_id, request_id) VALUES (?, ?, ?, ?, ?)")
            let tail = try RawStatement(db, "INSERT INTO ledger_tail(idx, at, refs) VALUES (?, ?, ?)")
            for (offset, r) in rows.enumerated() {
                let idx = start + Int64(offset), at = r.at.millis
                try entry.run { try $0.int(1, idx); try $0.blob(2, r.entry); try $0.int(3, at); try $0.text(4, r.account?.rawValue); try $0.text(5, r.requestID) }
                try tail.run { try $0.int(1, idx); try $0.int(2, at); try $0.blob(3, r.refs) }
            }
            let node = try RawStatement(db, "INSERT INTO ledger_node(level, idx, hash) VALUES (?, ?, ?)")
            for n in nodes { try node.run { try $0.int(1, Int64(n.level)); try $0.int(2, n.index); try $0.blob(3, n.hash) } }
            return (start, rebased)
        }
    }

    /// Moves the references of at most `limit` of the oldest entries still in `ledger_tail`
    /// into the person, dossier, session, address and account indexes. Any number of callers
    /// may run it at once: every step is idempotent.
    ///
    /// How (issue 18: integration was half of the one writer's time under 256 writers, each
    /// step rewriting most pages of the random-keyed person and dossier indexes):
    /// - the tail is read, decoded and sorted on a reader connection, while the writer goes
    ///   on appending;
    /// - the sorted rows are written in transactions of about `chunk` entries' worth, each
    ///   holding one slice of every index's key space, so that a step of many entries writes
    ///   each index page about once, and an append waits behind one short transaction only;
    /// - the last transaction also moves the integration mark and deletes the tail records.
    ///
    /// Until then an entry is both in the tail and, in part, in the indexes: every query of
    /// the indexes removes the duplicates, and a crash in between leaves the tail whole for
    /// the next integration (`OR IGNORE`). The deletion is safe because a tail record never
    /// changes once written, and an entry appended after the read has a larger index than
    /// every entry the read saw.
    /// - Returns: how many entries it moved out of the tail: 0 once the tail is empty, and
    ///   only those it moved itself when another integration ran at the same time (the
    ///   journal's count of waiting entries, and so its back-pressure, stays exact).
    @discardableResult
    public func integrateLedger(limit: Int = 8_192) async throws -> Int {
        try await integrateLedger(limit: limit, chunk: Self.integrationChunk)
    }

    /// Entries' worth of index rows per integration transaction (``integrateLedger(limit:chunk:)``):
    /// an append queued behind one waits a few milliseconds.
    public static let integrationChunk = 1_024

    /// ``integrateLedger(limit:)`` in transactions of about `chunk` entries' worth of rows.
    @discardableResult
    public func integrateLedger(limit: Int, chunk: Int) async throws -> Int {
        let batch = try await read { db in try IntegrationBatch(db, limit: limit) }
        guard batch.count > 0 else { return 0 }
        let parts = max(1, (batch.count + max(1, chunk) - 1) / max(1, chunk))
        var moved = 0
        for part in 0..<parts {
            moved += try await write { db -> Int in
                try batch.insert(db, part: part, of: parts)
                guard part == parts - 1 else { return 0 }
                try db.execute(sql: "UPDATE ledger_integration SET size = MAX(size, ?) WHERE id = 1", arguments: [batch.last + 1])
                try db.execute(sql: "DELETE FROM ledger_tail WHERE idx <= ?", arguments: [batch.last])
                return db.changesCount
            }
        }
        return moved
    }

    /// The index rows of the oldest tail records, each index's rows sorted in key order.
    struct IntegrationBatch: Sendable {
        var persons: [(String, Int64)] = [], dossiers: [(String, Int64)] = []
        var sessions: [(String, Int64, Int64)] = [], sources: [(String, Int64, Int64)] = [], accounts: [(String, Int64, Int64)] = []
        /// The index of the last record read (-1 when none was), and how many were read.
        var last: Int64 = -1, count = 0

        init(_ db: Database, limit: Int) throws {
            let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                SELECT t.idx, t.at, t.refs, e.account_id FROM ledger_tail t CROSS JOIN ledger_entry e ON e.idx = t.idx ORDER BY t.idx LIMIT ?
                """), arguments: [limit])
            while let row = try rows.next() {
                let idx: Int64 = row[0], at: Int64 = row[1]
                let refs = try LedgerRefs(decoding: row[2])
                for p in refs.persons { persons.append((p, idx)) }
                for d in refs.dossiers { dossiers.append((d, idx)) }
                if let s = refs.session { sessions.append((s, at, idx)) }
                if let s = refs.source { sources.append((s, at, idx)) }
                if let a: String = row[3] { accounts.append((a, at, idx)) }
                last = idx; count += 1
            }
            persons.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            dossiers.sort { ($0.0, $0.1) < ($1.0, $1.1) }
            sessions.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
            sources.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
            accounts.sort { ($0.0, $0.1, $0.2) < ($1.0, $1.1, $1.2) }
        }

        /// Writes slice `part` of `parts` of every index's sorted rows: one contiguous range
        /// of each index's keys.
        func insert(_ db: Database, part: Int, of parts: Int) throws {
            func slice<T>(_ rows: [T]) -> ArraySlice<T> { rows[rows.count * part / parts ..< rows.count * (part + 1) / parts] }
            let p = try RawStatement(db, "INSERT OR IGNORE INTO ledger_person(person_id, idx) VALUES (?, ?)")
            for (id, idx) in slice(persons) { try p.run { try $0.text(1, id); try $0.int(2, idx) } }
            let d = try RawStatement(db, "INSERT OR IGNORE INTO ledger_dossier(dossier_id, idx) VALUES (?, ?)")
            for (id, idx) in slice(dossiers) { try d.run { try $0.text(1, id); try $0.int(2, idx) } }
            let se = try RawStatement(db, "INSERT OR IGNORE INTO ledger_session(session_id, at, idx) VALUES (?, ?, ?)")
            for (id, at, idx) in slice(sessions) { try se.run { try $0.text(1, id); try $0.int(2, at); try $0.int(3, idx) } }
            let so = try RawStatement(db, "INSERT OR IGNORE INTO ledger_source(source, at, idx) VALUES (?, ?, ?)")
            for (s, at, idx) in slice(sources) { try so.run { try $0.text(1, s); try $0.int(2, at); try $0.int(3, idx) } }
            let ac = try RawStatement(db, "INSERT OR IGNORE INTO ledger_account(account_id, at, idx) VALUES (?, ?, ?)")
            for (a, at, idx) in slice(accounts) { try ac.run { try $0.text(1, a); try $0.int(2, at); try $0.int(3, idx) } }
        }
    }

    /// How many entries wait in `ledger_tail` for their indexes.
    public func ledgerTailCount() async throws -> Int {
        try await read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_tail") ?? 0 }
    }

    /// The entries of the tail (not yet in the person, dossier, session and address indexes)
    /// whose references `matches` accepts, with their time; read in the caller's transaction.
    static func tailEntries(_ db: Database, below: Int64 = .max, _ matches: (LedgerRefs) -> Bool) throws -> [(idx: Int64, at: Int64, refs: LedgerRefs)] {
        var out: [(idx: Int64, at: Int64, refs: LedgerRefs)] = []
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT idx, at, refs FROM ledger_tail WHERE idx < ? ORDER BY idx"), arguments: [below])
        while let row = try rows.next() {
            let refs = try LedgerRefs(decoding: row[2])
            if matches(refs) { out.append((row[0], row[1], refs)) }
        }
        return out
    }

    /// The source addresses kept beside these entries (entries without one are left out).
    public func ledgerSources(_ indexes: [Int64]) async throws -> [Int64: String] {
        guard !indexes.isEmpty else { return [:] }
        return try await read { db in
            let stmt = try db.cachedStatement(sql: "SELECT source FROM ledger_source WHERE idx = ?")
            let tail = try db.cachedStatement(sql: "SELECT refs FROM ledger_tail WHERE idx = ?")
            var out: [Int64: String] = [:]
            for i in indexes {
                if let s = try String.fetchOne(stmt, arguments: [i]) { out[i] = s } else if let refs = try Data.fetchOne(tail, arguments: [i]),
                    let s = try LedgerRefs(decoding: refs).source { out[i] = s }
            }
            return out
        }
    }

    /// Entries by index range, in order.
    public func ledgerEntries(_ range: Range<Int64>) async throws -> [(index: Int64, entry: Data)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT idx, entry FROM ledger_entry WHERE idx >= ? AND idx < ? ORDER BY idx",
                             arguments: [range.lowerBound, range.upperBound]).map { ($0["idx"], $0["entry"]) }
        }
    }

    /// Stored node hashes by (level, index); missing ones are left out.
    public func ledgerNodes(_ ids: [(level: Int, index: Int64)]) async throws -> [LedgerNode] {
        try await read { db in
            let stmt = try db.cachedStatement(sql: "SELECT hash FROM ledger_node WHERE level = ? AND idx = ?")
            return try ids.compactMap { id in
                try Data.fetchOne(stmt, arguments: [id.level, id.index]).map { LedgerNode(level: id.level, index: id.index, hash: $0) }
            }
        }
    }

    /// Stored node hashes of one level in an index range (verification compares them).
    public func ledgerNodes(level: Int, _ range: Range<Int64>) async throws -> [LedgerNode] {
        try await read { db in
            var out: [LedgerNode] = []
            out.reserveCapacity(range.count)
            let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT idx, hash FROM ledger_node WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx"),
                                           arguments: [level, range.lowerBound, range.upperBound])
            while let row = try rows.next() { out.append(LedgerNode(level: level, index: row[0], hash: row[1])) }
            return out
        }
    }

    /// What `body` makes of each stored subtree hash of one level in an index range, in
    /// order, given the bytes where SQLite holds them (verification: not copied).
    public func ledgerNodes<T: Sendable>(level: Int, _ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) async throws -> [(index: Int64, value: T)] {
        try await read { db in
            var out: [(index: Int64, value: T)] = []
            out.reserveCapacity(range.count)
            try Self.eachBlob(db, sql: "SELECT idx, hash FROM ledger_node WHERE level = ? AND idx >= ? AND idx < ? ORDER BY idx",
                              [Int64(level), range.lowerBound, range.upperBound]) { out.append(($0, body($1))) }
            return out
        }
    }

    /// What `body` makes of each entry of an index range, in order, given the entry's bytes
    /// where SQLite holds them (not copied: verification hashes a few gigabytes this way).
    public func ledgerEntries<T: Sendable>(_ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) async throws -> [(index: Int64, value: T)] {
        try await read { db in
            var out: [(index: Int64, value: T)] = []
            out.reserveCapacity(range.count)
            try Self.eachBlob(db, sql: "SELECT idx, entry FROM ledger_entry WHERE idx >= ? AND idx < ? ORDER BY idx",
                              [range.lowerBound, range.upperBound]) { out.append(($0, body($1))) }
            return out
        }
    }

    /// Steps a cached statement that selects (integer, blob) rows, bound to `arguments`, and
    /// hands each row's integer and blob to `row` where SQLite holds them, through SQLite's own
    /// interface: verification reads two rows an entry, and GRDB's row and `Data` wrappers
    /// (an allocation and exclusivity checks each) cost more than SQLite's stepping.
    static func eachBlob(_ db: Database, sql: String, _ arguments: [Int64], _ row: (Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        let handle = try db.cachedStatement(sql: sql).sqliteStatement
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        defer { sqlite3_reset(handle) }
        for (i, value) in arguments.enumerated() { sqlite3_bind_int64(handle, Int32(i + 1), value) }
        while true {
            let rc = sqlite3_step(handle)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw DatabaseError(resultCode: ResultCode(rawValue: rc)) }
            let index = sqlite3_column_int64(handle, 0)
            let bytes = sqlite3_column_blob(handle, 1)  // before sqlite3_column_bytes, as SQLite asks
            try row(index, UnsafeRawBufferPointer(start: bytes, count: Int(sqlite3_column_bytes(handle, 1))))
        }
    }

    /// Runs `body` with synchronous access to the stored node hashes, inside one read
    /// transaction on one of the database's own reader threads (proof generation reads
    /// O(log² n) nodes per proof, and a page of proofs shares the one transaction).
    ///
    /// - Warning: never read the database synchronously from an async function instead: a
    ///   Swift concurrency thread blocked waiting for a reader starves the runtime's
    ///   cooperative pool, and with every reader held by tasks waiting for that pool, the
    ///   whole process stops for good (issue #22).
    public func withLedgerNodes<T: Sendable>(_ body: @Sendable (LedgerNodeReader) throws -> T) async throws -> T {
        try await read { db in
            try body(LedgerNodeReader(statement: try db.cachedStatement(sql: "SELECT hash FROM ledger_node WHERE level = ? AND idx = ?")))
        }
    }

    /// Records a signed checkpoint.
    public func insertCheckpoint(size: Int64, root: Data, note: String, at: Date) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR IGNORE INTO ledger_checkpoint(size, root, note, at) VALUES (?, ?, ?, ?)",
                           arguments: [size, root, note, at.millis])
        }
    }

    /// All checkpoints, oldest first.
    /// The latest signed checkpoint (the largest), read alone.
    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM ledger_checkpoint ORDER BY size DESC LIMIT 1").map {
                StoredCheckpoint(size: $0["size"], root: $0["root"], note: $0["note"], at: Date(millis: $0["at"]))
            }
        }
    }

    /// Proves the database takes a write now (the time of the probe, committed): a read-only
    /// file, a full disk or a lost lock fails here before a request does.
    public func probeWrite(at: Date = Date()) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES ('ready-probe', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [String(at.millis)])
        }
    }

    public func checkpoints() async throws -> [StoredCheckpoint] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM ledger_checkpoint ORDER BY size").map {
                StoredCheckpoint(size: $0["size"], root: $0["root"], note: $0["note"], at: Date(millis: $0["at"]))
            }
        }
    }

    /// Entry indexes of one account's accesses in a time window (answer-sized: indexed).
    public func ledgerIndexes(account: AccountID, from: Date, to: Date, limit: Int) async throws -> [Int64] {
        try await read { db in try Self.accountIndexes(db, account, lo: from.millis, hi: to.millis, below: .max, limit: limit) }
    }

    /// An account's entries below `below` in the time window `lo..<hi`, oldest first, at most
    /// `limit`: those integrated from `ledger_account`, the others from the tail's entries.
    /// An entry whose integration is under way is in both (``integrateLedger(limit:chunk:)``):
    /// `UNION` counts it once.
    static func accountIndexes(_ db: Database, _ account: AccountID, lo: Int64, hi: Int64, below: Int64, limit: Int) throws -> [Int64] {
        try Int64.fetchAll(db.cachedStatement(sql: accountIndexesSQL), arguments: [account.rawValue, lo, hi, below, limit])
    }

    /// The query of ``accountIndexes(_:_:lo:hi:below:limit:)``: account, from, to, below, limit.
    /// `CROSS JOIN` keeps the tail the outer loop: ledger_entry has no index by account any more.
    static let accountIndexesSQL = """
        SELECT idx FROM (
            SELECT at, idx FROM ledger_account WHERE account_id = ?1 AND at >= ?2 AND at < ?3 AND idx < ?4
            UNION
            SELECT e.at, e.idx FROM ledger_tail t CROSS JOIN ledger_entry e ON e.idx = t.idx
            WHERE e.account_id = ?1 AND e.at >= ?2 AND e.at < ?3 AND e.idx < ?4
        ) ORDER BY at, idx LIMIT ?5
        """

    /// Entry indexes of every access that named a person (answer-sized: indexed).
    public func ledgerIndexes(person: PersonID, limit: Int) async throws -> [Int64] {
        try await read { db in
            let indexed = try Int64.fetchAll(db, sql: "SELECT idx FROM ledger_person WHERE person_id = ? ORDER BY idx LIMIT ?", arguments: [person.rawValue, limit])
            let tail = try Self.tailEntries(db) { $0.persons.contains(person.rawValue) }.map(\.idx)
            // Sorted again: an entry whose integration is under way is in both, and the index
            // may already hold some of the tail's entries (``integrateLedger(limit:chunk:)``).
            return Array(Set(indexed + tail).sorted().prefix(limit))
        }
    }

    /// The digest of the look-up index rows of the entries below `size`, read in one
    /// transaction: the integrated indexes' rows below the integration mark, the tail's
    /// references (and the entry's account column) from it, and every entry's time column
    /// (``LedgerIndexDigest``). Reads each index whole, once.
    public func ledgerIndexDigest(below size: Int64, key: LedgerIndexDigest.Key) async throws -> LedgerIndexDigest {
        try await read { db in
            var digest = LedgerIndexDigest(key: key)
            let mark = min(size, try Int64.fetchOne(db, sql: "SELECT size FROM ledger_integration") ?? 0)
            var rows = try Row.fetchCursor(db, sql: "SELECT account_id, at, idx FROM ledger_account WHERE idx < ?", arguments: [mark])
            while let r = try rows.next() { digest.add(.account, entry: r[2], id: r[0], at: r[1]) }
            rows = try Row.fetchCursor(db, sql: "SELECT session_id, at, idx FROM ledger_session WHERE idx < ?", arguments: [mark])
            while let r = try rows.next() { digest.add(.session, entry: r[2], id: r[0], at: r[1]) }
            rows = try Row.fetchCursor(db, sql: "SELECT person_id, idx FROM ledger_person WHERE idx < ?", arguments: [mark])
            while let r = try rows.next() { digest.add(.person, entry: r[1], id: r[0]) }
            rows = try Row.fetchCursor(db, sql: "SELECT dossier_id, idx FROM ledger_dossier WHERE idx < ?", arguments: [mark])
            while let r = try rows.next() { digest.add(.dossier, entry: r[1], id: r[0]) }
            rows = try Row.fetchCursor(db, sql: "SELECT idx, at FROM ledger_source WHERE idx < ?", arguments: [mark])
            while let r = try rows.next() { digest.add(.source, entry: r[0], at: r[1]) }
            rows = try Row.fetchCursor(db, sql: "SELECT idx, at FROM ledger_entry WHERE idx < ?", arguments: [size])
            while let r = try rows.next() { digest.add(.time, entry: r[0], at: r[1]) }
            rows = try Row.fetchCursor(db, sql: """
                SELECT t.idx, t.at, t.refs, e.account_id FROM ledger_tail t LEFT JOIN ledger_entry e ON e.idx = t.idx
                WHERE t.idx >= ? AND t.idx < ?
                """, arguments: [mark, size])
            while let r = try rows.next() {
                let idx: Int64 = r[0], at: Int64 = r[1]
                let refs = try LedgerRefs(decoding: r[2])
                if let a: String = r[3] { digest.add(.account, entry: idx, id: a, at: at) }
                if let s = refs.session { digest.add(.session, entry: idx, id: s, at: at) }
                if refs.source != nil { digest.add(.source, entry: idx, at: at) }
                for p in LedgerIndexDigest.once(refs.persons) { digest.add(.person, entry: idx, id: p) }
                for d in LedgerIndexDigest.once(refs.dossiers) { digest.add(.dossier, entry: idx, id: d) }
            }
            return digest
        }
    }

    /// Entries by index list.
    public func ledgerEntries(_ indexes: [Int64]) async throws -> [(index: Int64, entry: Data)] {
        try await read { db in
            let stmt = try db.cachedStatement(sql: "SELECT entry FROM ledger_entry WHERE idx = ?")
            return try indexes.compactMap { i in try Data.fetchOne(stmt, arguments: [i]).map { (i, $0) } }
        }
    }
}

/// The index references of one ledger entry while it waits in `ledger_tail`: a small binary
/// record (a version byte; the session and source, each absent or a length and UTF-8 bytes; a
/// count of persons and each; a count of dossiers and each).
struct LedgerRefs: Sendable, Equatable {
    var session: String?
    var source: String?
    var persons: [String]
    var dossiers: [String]

    func encoded() -> Data {
        var out: [UInt8] = [1]
        func put(_ s: String?) {
            guard let s else { out.append(contentsOf: [0xFF, 0xFF]); return }
            let bytes = s.utf8.prefix(0xFFFE)
            out.append(UInt8(bytes.count >> 8)); out.append(UInt8(bytes.count & 0xFF)); out.append(contentsOf: bytes)
        }
        func count(_ n: Int) { out.append(UInt8(n >> 8)); out.append(UInt8(n & 0xFF)) }
        put(session); put(source)
        count(persons.count); for p in persons { put(p) }
        count(dossiers.count); for d in dossiers { put(d) }
        return Data(out)
    }

    init(session: String?, source: String?, persons: [String], dossiers: [String]) {
        precondition(persons.count < 0xFFFF && dossiers.count < 0xFFFF, "an entry names fewer than 65,535 persons and dossiers")
        self.session = session; self.source = source; self.persons = persons; self.dossiers = dossiers
    }

    init(decoding data: Data) throws {
        let bytes = [UInt8](data)
        var at = 0
        func u16() throws -> Int {
            guard at + 2 <= bytes.count else { throw StoreError.io("a ledger tail record is truncated") }
            defer { at += 2 }
            return Int(bytes[at]) << 8 | Int(bytes[at + 1])
        }
        func string() throws -> String? {
            let n = try u16()
            if n == 0xFFFF { return nil }
            guard at + n <= bytes.count else { throw StoreError.io("a ledger tail record is truncated") }
            defer { at += n }
            return String(decoding: bytes[at..<at + n], as: UTF8.self)
        }
        guard bytes.first == 1 else { throw StoreError.io("a ledger tail record has an unknown version") }
        at = 1
        session = try string(); source = try string()
        persons = try (0..<u16()).map { _ in try string() ?? "" }
        dossiers = try (0..<u16()).map { _ in try string() ?? "" }
    }
}
