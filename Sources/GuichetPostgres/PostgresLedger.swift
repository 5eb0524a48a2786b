public import Foundation
public import GuichetCore
@_spi(LedgerOnly) public import GuichetLedger
@_spi(LedgerOnly) public import GuichetStore
public import GuichetMerkle
public import Crypto
import Logging
import PostgresNIO

/// The access ledger's storage on PostgreSQL (issue 19): the same tables as SQLite's, the
/// same append-only rules enforced by the database, and appends of several processes
/// serialised by one advisory lock (docs/SCALING.md, "The ledger append with several
/// writers", way A).
///
/// An append is one statement in its own transaction (`guichet_ledger_append`): it takes the
/// ledger's advisory lock, checks the stored size, inserts the entries, their references
/// (`ledger_tail`) and the subtree hashes they complete, and commits; the lock is released
/// with the commit, once it is durable (`synchronous_commit = on`, the default). When another
/// process appended since, the batch is rebased on the stored right edge under the lock.
public final class PostgresLedger: Sendable {
    let client: PostgresClient
    private let runner: Task<Void, Never>?
    public let address: PostgresAddress
    static let logger = Logger(label: "guichet.postgres")
    /// Advisory lock keys (any fixed numbers; one per serialised task).
    static let appendLock: Int64 = 0x6775_6963_6865_7401  // "guichet" 01
    static let integrationLock: Int64 = 0x6775_6963_6865_7402
    static let migrationLock: Int64 = 0x6775_6963_6865_7403

    private init(_ address: PostgresAddress, connections: Int) {
        (client, runner) = PostgresPool.start(address, connections: connections)
        self.address = address
    }

    /// A ledger over the connections of a ``PostgresStore`` (the same database): the store
    /// owns the pool and has already brought the ledger's tables up to date.
    init(sharing client: PostgresClient, address: PostgresAddress) {
        self.client = client
        self.address = address
        runner = nil
    }

    /// Connects (at most `connections` at once; the first within `timeout`) and brings the
    /// ledger's tables up to date.
    /// - Throws: ``PostgresStoreError/unavailable(_:)`` when the server does not answer.
    public static func open(_ address: PostgresAddress, connections: Int = 8, timeout: Duration = .seconds(30)) async throws -> PostgresLedger {
        let ledger = PostgresLedger(address, connections: connections)
        do {
            try await PostgresPool.ready(ledger.client, address, timeout: timeout, migrations: [Self.migrations])
        } catch {
            await ledger.close()
            throw error
        }
        return ledger
    }

    /// An access journal that appends to this ledger (what the gate records its accesses
    /// with), signing checkpoints with `signer` under `origin`, source addresses tagged with
    /// `sourceKey`.
    public func journal(signer: NoteSigner? = nil, origin: String = "guichet.local/ledger", sourceKey: SymmetricKey? = nil) -> AccessJournal {
        AccessJournal(storage: self, signer: signer, origin: origin, sourceKey: sourceKey)
    }

    /// Shuts the connection pool down. It does not wait for the pool to end: under load a
    /// request still waiting for a connection (a journal's integration started a quarter of a
    /// second after its last append) held the pool's shutdown, and the caller, for ever.
    public func close() async {
        runner?.cancel()
    }

    // MARK: LedgerStorage

    @_spi(LedgerOnly)
    public func ledgerSize() async throws -> Int64 {
        try await onConnection { try await Reads($0).ledgerSize() }
    }

    @_spi(LedgerOnly)
    public func ledgerEntryTime(_ index: Int64) async throws -> Date? {
        try await onConnection { c in
            try await Self.one(c.query("SELECT at FROM ledger_entry WHERE idx = \(index)", logger: Self.logger), Int64.self).map(Date.init(millis:))
        }
    }

    @_spi(LedgerOnly)
    public func ledgerNodes(_ ids: [(level: Int, index: Int64)]) async throws -> [LedgerNode] {
        let ids = ids.map { IndexedNode(level: $0.level, index: $0.index) }
        return try await onConnection { try await Self.nodes(ids.map { (level: $0.level, index: $0.index) }, on: $0) }
    }

    @_spi(LedgerOnly)
    public func appendLedger<Edge: Sendable>(start: Int64, rows: [LedgerRow], nodes: [LedgerNode],
                                             rebase: @escaping @Sendable (_ size: Int64, _ stored: ([(level: Int, index: Int64)]) throws -> [LedgerNode]) throws -> ([LedgerNode], Edge))
        async throws -> (start: Int64, rebased: Edge?) {
        // Usually nobody else appended: one statement, its own durable transaction, one round
        // trip (`guichet_ledger_append` takes the lock, checks the size, inserts).
        let stored = try await onConnection(answer: PostgresPool.appendDeadline) { c in
            try await Self.one(c.query(Self.append(start, rows, nodes), logger: Self.logger), Int64.self)
        }
        if stored == start { return (start, nil) }
        // Another process appended: under the lock, rebase on the stored edge, then append.
        return try await inTransaction(answer: PostgresPool.appendDeadline) { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(Self.appendLock))", logger: Self.logger)
            let size = try await Self.one(c.query("SELECT COALESCE(MAX(idx) + 1, 0)::bigint FROM ledger_entry", logger: Self.logger), Int64.self) ?? 0
            // The edge's ids are a function of the size alone: read them before the
            // synchronous rebase asks.
            let ids = CompactRange.nodeIDs(forSize: UInt64(size)).map { (level: Int($0.level), index: Int64($0.index)) }
            let edge = try await Self.nodes(ids, on: c)
            let byID = Dictionary(edge.map { ("\($0.level)/\($0.index)", $0) }, uniquingKeysWith: { a, _ in a })
            let (again, rebased) = try rebase(size) { asked in asked.compactMap { byID["\($0.level)/\($0.index)"] } }
            let appended = try await Self.one(c.query(Self.append(size, rows, again), logger: Self.logger), Int64.self)
            guard appended == size else { throw PostgresStoreError.unavailable("the ledger moved while its append lock was held") }
            return (size, rebased)
        }
    }

    /// The call of `guichet_ledger_append` for entries at `start`: each column one array, so
    /// that the statement is parsed and planned once whatever the batch's size. Identifiers
    /// are base64url, so ',' separates a list of them.
    static func append(_ start: Int64, _ rows: [LedgerRow], _ nodes: [LedgerNode]) -> PostgresQuery {
        let indexes = rows.indices.map { start + Int64($0) }
        return """
            SELECT guichet_ledger_append(\(start), \(indexes), \(rows.map { ByteBuffer(bytes: $0.entry) }), \(rows.map(\.at.millis)),
                \(rows.map { $0.account?.rawValue ?? "" }), \(rows.map(\.requestID)), \(rows.map { $0.session?.rawValue ?? "" }),
                \(rows.map { $0.source ?? "" }), \(rows.map { $0.persons.map(\.rawValue).joined(separator: ",") }),
                \(rows.map { $0.dossiers.map(\.rawValue).joined(separator: ",") }),
                \(nodes.map { Int32($0.level) }), \(nodes.map(\.index)), \(nodes.map { ByteBuffer(bytes: $0.hash) }))
            """
    }

    @discardableResult
    @_spi(LedgerOnly)
    public func integrateLedger(limit: Int) async throws -> Int {
        try await inTransaction { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(Self.integrationLock))", logger: Self.logger)
            let rows = try await c.query("""
                SELECT COALESCE(MAX(idx), -1)::bigint, COUNT(*)::bigint FROM (SELECT idx FROM ledger_tail ORDER BY idx LIMIT \(Int64(limit))) t
                """, logger: Self.logger)
            var last: Int64 = -1, count: Int64 = 0
            for try await (l, n) in rows.decode((Int64, Int64).self) { last = l; count = n }
            guard count > 0 else { return 0 }
            // Each index's rows in key order; ON CONFLICT: an integration cut short by a crash
            // and run again writes nothing twice.
            try await c.query("""
                INSERT INTO ledger_person(person_id, idx) SELECT p, t.idx FROM ledger_tail t, unnest(t.persons) p
                WHERE t.idx <= \(last) ORDER BY 1, 2 ON CONFLICT DO NOTHING
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO ledger_dossier(dossier_id, idx) SELECT d, t.idx FROM ledger_tail t, unnest(t.dossiers) d
                WHERE t.idx <= \(last) ORDER BY 1, 2 ON CONFLICT DO NOTHING
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO ledger_session(session_id, at, idx) SELECT session_id, at, idx FROM ledger_tail
                WHERE idx <= \(last) AND session_id IS NOT NULL ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO ledger_source(source, at, idx) SELECT source, at, idx FROM ledger_tail
                WHERE idx <= \(last) AND source IS NOT NULL ORDER BY 1, 2, 3 ON CONFLICT DO NOTHING
                """, logger: Self.logger)
            try await c.query("UPDATE ledger_integration SET size = GREATEST(size, \(last + 1)) WHERE id = 1", logger: Self.logger)
            try await c.query("DELETE FROM ledger_tail WHERE idx <= \(last)", logger: Self.logger)
            return Int(count)
        }
    }

    @_spi(LedgerOnly)
    public func ledgerTailCount() async throws -> Int {
        try await onConnection { c in Int(try await Self.one(c.query("SELECT COUNT(*)::bigint FROM ledger_tail", logger: Self.logger), Int64.self) ?? 0) }
    }

    @_spi(LedgerOnly)
    public func insertCheckpoint(size: Int64, root: Data, note: String, at: Date) async throws {
        try await onConnection { c in
            try await c.query("""
                INSERT INTO ledger_checkpoint(size, root, note, at) VALUES (\(size), \(root), \(note), \(at.millis)) ON CONFLICT (size) DO NOTHING
                """, logger: Self.logger)
        }
    }

    // MARK: reads for verification and the indexes

    /// Entries of an index range, in order.
    public func entries(_ range: Range<Int64>) async throws -> [(index: Int64, entry: Data)] {
        try await client.withConnection { try await Reads($0).entries(range) }
    }

    /// Every stored subtree hash, by level then index.
    public func allNodes() async throws -> [LedgerNode] {
        let rows = try await client.query("SELECT level, idx, hash FROM ledger_node ORDER BY level, idx", logger: Self.logger)
        var out: [LedgerNode] = []
        for try await (l, i, h) in rows.decode((Int32, Int64, Data).self) { out.append(LedgerNode(level: Int(l), index: i, hash: h)) }
        return out
    }

    /// The signed checkpoints, smallest first.
    public func checkpoints() async throws -> [StoredCheckpoint] {
        try await client.withConnection { try await Reads($0).checkpoints() }
    }

    /// What `body` makes of each entry of an index range, in order (verification).
    public func ledgerEntries<T: Sendable>(_ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) async throws -> [(index: Int64, value: T)] {
        try await entries(range).map { ($0.index, $0.entry.withUnsafeBytes(body)) }
    }

    /// The stored subtree hashes of one level in an index range, in order (verification).
    public func ledgerNodes(level: Int, _ range: Range<Int64>) async throws -> [LedgerNode] {
        try await client.withConnection { try await Reads($0).ledgerNodes(level: level, range) }
    }

    /// The digest of the look-up index rows of the entries below `size`, in one snapshot
    /// (``LedgerVerifying/ledgerIndexDigest(below:key:)``).
    public func ledgerIndexDigest(below size: Int64, key: LedgerIndexDigest.Key) async throws -> LedgerIndexDigest {
        try await client.withTransaction(logger: Self.logger) { c in
            try await c.query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY", logger: Self.logger)
            return try await Reads(c).ledgerIndexDigest(below: size, key: key)
        }
    }

    /// What a verification reads of the ledger, on one connection: the pool's (the methods
    /// above), or the one of a transaction that has not committed yet (``StoreCopy`` verifies
    /// the ledger it copied before committing it).
    struct Reads: LedgerVerifying {
        let connection: PostgresConnection
        init(_ connection: PostgresConnection) { self.connection = connection }

        func ledgerSize() async throws -> Int64 {
            try await PostgresLedger.one(connection.query("SELECT COALESCE(MAX(idx) + 1, 0)::bigint FROM ledger_entry", logger: PostgresLedger.logger),
                                         Int64.self) ?? 0
        }

        func entries(_ range: Range<Int64>) async throws -> [(index: Int64, entry: Data)] {
            let rows = try await connection.query("""
                SELECT idx, entry FROM ledger_entry WHERE idx >= \(range.lowerBound) AND idx < \(range.upperBound) ORDER BY idx
                """, logger: PostgresLedger.logger)
            var out: [(index: Int64, entry: Data)] = []
            for try await (i, e) in rows.decode((Int64, Data).self) { out.append((i, e)) }
            return out
        }

        func ledgerEntries<T: Sendable>(_ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) async throws -> [(index: Int64, value: T)] {
            try await entries(range).map { ($0.index, $0.entry.withUnsafeBytes(body)) }
        }

        func checkpoints() async throws -> [StoredCheckpoint] {
            let rows = try await connection.query("SELECT size, root, note, at FROM ledger_checkpoint ORDER BY size", logger: PostgresLedger.logger)
            var out: [StoredCheckpoint] = []
            for try await (s, r, n, at) in rows.decode((Int64, Data, String, Int64).self) {
                out.append(StoredCheckpoint(size: s, root: r, note: n, at: Date(millis: at)))
            }
            return out
        }

        /// The accounts and times from the entries' columns; sessions, persons and dossiers
        /// from the integrated indexes below the integration mark, and from the tail from it.
        func ledgerIndexDigest(below size: Int64, key: LedgerIndexDigest.Key) async throws -> LedgerIndexDigest {
            var digest = LedgerIndexDigest(key: key)
            let logger = PostgresLedger.logger
            let mark = min(size, try await PostgresLedger.one(connection.query("SELECT size FROM ledger_integration", logger: logger), Int64.self) ?? 0)
            for try await (a, at, i) in try await connection.query("SELECT account_id, at, idx FROM ledger_entry WHERE idx < \(size)", logger: logger)
                .decode((String?, Int64, Int64).self) {
                if let a { digest.add(.account, entry: i, id: a, at: at) }
                digest.add(.time, entry: i, at: at)
            }
            for try await (s, at, i) in try await connection.query("SELECT session_id, at, idx FROM ledger_session WHERE idx < \(mark)", logger: logger)
                .decode((String, Int64, Int64).self) {
                digest.add(.session, entry: i, id: s, at: at)
            }
            for try await (p, i) in try await connection.query("SELECT person_id, idx FROM ledger_person WHERE idx < \(mark)", logger: logger)
                .decode((String, Int64).self) {
                digest.add(.person, entry: i, id: p)
            }
            for try await (d, i) in try await connection.query("SELECT dossier_id, idx FROM ledger_dossier WHERE idx < \(mark)", logger: logger)
                .decode((String, Int64).self) {
                digest.add(.dossier, entry: i, id: d)
            }
            for try await (i, at) in try await connection.query("SELECT idx, at FROM ledger_source WHERE idx < \(mark)", logger: logger)
                .decode((Int64, Int64).self) {
                digest.add(.source, entry: i, at: at)
            }
            for try await (i, at, s, source, persons, dossiers) in try await connection.query("""
                SELECT idx, at, session_id, source IS NOT NULL, persons, dossiers FROM ledger_tail WHERE idx >= \(mark) AND idx < \(size)
                """, logger: logger).decode((Int64, Int64, String?, Bool, [String], [String]).self) {
                if let s { digest.add(.session, entry: i, id: s, at: at) }
                if source { digest.add(.source, entry: i, at: at) }
                for p in LedgerIndexDigest.once(persons) { digest.add(.person, entry: i, id: p) }
                for d in LedgerIndexDigest.once(dossiers) { digest.add(.dossier, entry: i, id: d) }
            }
            return digest
        }

        func ledgerNodes(level: Int, _ range: Range<Int64>) async throws -> [LedgerNode] {
            let rows = try await connection.query("""
                SELECT idx, hash FROM ledger_node WHERE level = \(Int32(level)) AND idx >= \(range.lowerBound) AND idx < \(range.upperBound) ORDER BY idx
                """, logger: PostgresLedger.logger)
            var out: [LedgerNode] = []
            for try await (i, h) in rows.decode((Int64, Data).self) { out.append(LedgerNode(level: level, index: i, hash: h)) }
            return out
        }
    }

    /// The ledger entries that name a person, from the integrated index and the tail alike.
    public func entries(person: PersonID) async throws -> [Int64] {
        let rows = try await client.query("""
            SELECT idx FROM ledger_person WHERE person_id = \(person.rawValue)
            UNION SELECT idx FROM ledger_tail WHERE \(person.rawValue) = ANY(persons) ORDER BY 1
            """, logger: Self.logger)
        var out: [Int64] = []
        for try await i in rows.decode(Int64.self) { out.append(i) }
        return out
    }

    // MARK: helpers

    /// A node's id, Sendable (a tuple array is not, to cross into a lease's task).
    struct IndexedNode: Sendable { let level: Int; let index: Int64 }

    /// `body` on a connection of the pool, within the pool's deadlines: a connection within
    /// ``PostgresPool/leaseDeadline``, then an answer within `answer` (what the request path
    /// and the signer use: a query that never ends holds neither).
    func onConnection<T: Sendable>(answer: Duration = PostgresPool.answerDeadline,
                                   _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await within(transaction: false, answer: answer, body)
    }

    /// `body` in one transaction, within the pool's deadlines (as ``onConnection(answer:_:)``).
    func inTransaction<T: Sendable>(answer: Duration = PostgresPool.answerDeadline,
                                    _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await within(transaction: true, answer: answer, body)
    }

    private func within<T: Sendable>(transaction: Bool, answer: Duration,
                                     _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await PostgresPool.run(client, transaction: transaction, answer: answer, body)
        } catch let e as PostgresTransactionError {
            throw Self.unavailable(e.closureError ?? e.commitError ?? e.beginError ?? e)
        } catch {
            throw Self.unavailable(error)
        }
    }

    /// The deadlines' failures said as the store says them; any other error as it is.
    static func unavailable(_ error: any Error) -> any Error {
        switch error {
        case is PostgresPool.NoConnection: PostgresStoreError.unavailable("no connection within \(PostgresPool.leaseDeadline) (the database does not answer)")
        case is PostgresPool.NoAnswer: PostgresStoreError.unavailable("no answer once the statement was sent (its outcome is not known)")
        default: error
        }
    }

    static func one<T: PostgresDecodable & Sendable>(_ rows: PostgresRowSequence, _ type: T.Type) async throws -> T? {
        var out: T?
        for try await v in rows.decode(T.self) where out == nil { out = v }
        return out
    }

    static func nodes(_ ids: [(level: Int, index: Int64)], on c: PostgresConnection) async throws -> [LedgerNode] {
        guard !ids.isEmpty else { return [] }
        let levels = ids.map { Int32($0.level) }, indexes = ids.map(\.index)
        let rows = try await c.query("""
            SELECT n.level, n.idx, n.hash FROM ledger_node n JOIN unnest(\(levels)::int[], \(indexes)::bigint[]) AS w(level, idx)
            ON n.level = w.level AND n.idx = w.idx
            """, logger: logger)
        var found: [String: LedgerNode] = [:]
        for try await (l, i, h) in rows.decode((Int32, Int64, Data).self) { found["\(l)/\(i)"] = LedgerNode(level: Int(l), index: i, hash: h) }
        return ids.compactMap { found["\($0.level)/\($0.index)"] }
    }
}

@_spi(LedgerOnly)
extension PostgresLedger: LedgerStorage {}

extension PostgresLedger: LedgerVerifying {}

/// Proofs, histories and breach scopes over the PostgreSQL ledger: the stored hashes a proof
/// reads are fetched in one query (``LedgerProving``'s default proofs).
extension PostgresLedger: LedgerProving {
    /// One statement, one snapshot: an index-only scan of the primary key.
    public func ledgerEntryCount() async throws -> (held: Int64, numbered: Int64) {
        let rows = try await client.query("SELECT COUNT(*)::bigint, COALESCE(MAX(idx) + 1, 0)::bigint FROM ledger_entry", logger: Self.logger)
        for try await (held, numbered) in rows.decode((Int64, Int64).self) { return (held, numbered) }
        return (0, 0)
    }

    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await onConnection { c in
            let rows = try await c.query("SELECT size, root, note, at FROM ledger_checkpoint ORDER BY size DESC LIMIT 1", logger: Self.logger)
            for try await (size, root, note, at) in rows.decode((Int64, Data, String, Int64).self) {
                return StoredCheckpoint(size: size, root: root, note: note, at: Date(millis: at))
            }
            return nil
        }
    }

    public func ledgerEntries(_ indexes: [Int64]) async throws -> [(index: Int64, entry: Data)] {
        guard !indexes.isEmpty else { return [] }
        let rows = try await client.query("SELECT idx, entry FROM ledger_entry WHERE idx = ANY(\(indexes))", logger: Self.logger)
        var found: [Int64: Data] = [:]
        for try await (i, e) in rows.decode((Int64, Data).self) { found[i] = e }
        return indexes.compactMap { i in found[i].map { (i, $0) } }
    }

    public func ledgerIndexes(persons: [PersonID], dossiers: [DossierID], after: Int64, below: Int64, limit: Int) async throws -> [Int64] {
        let p = persons.map(\.rawValue), d = dossiers.map(\.rawValue)
        return try await Self.indexes(client.query("""
            SELECT idx FROM (
                SELECT idx FROM ledger_person WHERE person_id = ANY(\(p)) AND idx > \(after) AND idx < \(below)
                UNION SELECT idx FROM ledger_dossier WHERE dossier_id = ANY(\(d)) AND idx > \(after) AND idx < \(below)
                UNION SELECT idx FROM ledger_tail WHERE (persons && \(p)::text[] OR dossiers && \(d)::text[]) AND idx > \(after) AND idx < \(below)
            ) u ORDER BY idx LIMIT \(Int64(limit))
            """, logger: Self.logger))
    }

    public func ledgerIndexes(_ key: LedgerIndexKey, from: Date?, to: Date?, below: Int64, limit: Int) async throws -> [Int64] {
        let lo = from?.millis ?? Int64.min, hi = to?.millis ?? Int64.max, n = Int64(limit)
        switch key {
        case .account(let a):
            return try await Self.indexes(client.query("""
                SELECT idx FROM ledger_entry WHERE account_id = \(a.rawValue) AND at >= \(lo) AND at < \(hi) AND idx < \(below) ORDER BY at, idx LIMIT \(n)
                """, logger: Self.logger))
        case .session(let s):
            return try await Self.indexes(client.query("""
                SELECT idx FROM (SELECT at, idx FROM ledger_session WHERE session_id = \(s.rawValue)
                                 UNION SELECT at, idx FROM ledger_tail WHERE session_id = \(s.rawValue)) u
                WHERE at >= \(lo) AND at < \(hi) AND idx < \(below) ORDER BY at, idx LIMIT \(n)
                """, logger: Self.logger))
        case .source(let s):
            return try await Self.indexes(client.query("""
                SELECT idx FROM (SELECT at, idx FROM ledger_source WHERE source = \(s) UNION SELECT at, idx FROM ledger_tail WHERE source = \(s)) u
                WHERE at >= \(lo) AND at < \(hi) AND idx < \(below) ORDER BY at, idx LIMIT \(n)
                """, logger: Self.logger))
        case .time:
            return try await Self.indexes(client.query("""
                SELECT idx FROM ledger_entry WHERE at >= \(lo) AND at < \(hi) AND idx < \(below) ORDER BY at, idx LIMIT \(n)
                """, logger: Self.logger))
        }
    }

    public func ledgerSources(_ indexes: [Int64]) async throws -> [Int64: String] {
        guard !indexes.isEmpty else { return [:] }
        let rows = try await client.query("""
            SELECT idx, source FROM ledger_source WHERE idx = ANY(\(indexes))
            UNION SELECT idx, source FROM ledger_tail WHERE idx = ANY(\(indexes)) AND source IS NOT NULL
            """, logger: Self.logger)
        var out: [Int64: String] = [:]
        for try await (i, s) in rows.decode((Int64, String).self) { out[i] = s }
        return out
    }

    public func storedLedgerNodes(_ ids: [(level: Int, index: Int64)]) async throws -> [LedgerNode] { try await ledgerNodes(ids) }

    static func indexes(_ rows: PostgresRowSequence) async throws -> [Int64] {
        var out: [Int64] = []
        for try await i in rows.decode(Int64.self) { out.append(i) }
        return out
    }
}
