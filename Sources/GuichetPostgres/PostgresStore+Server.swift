public import Foundation
public import GuichetStore
public import GuichetImport
public import GuichetServer
import PostgresNIO

/// The PostgreSQL back-end serves what SQLite's store serves (issue 19): the HTTP server's
/// reads are all among ``PostgresStore``'s methods.
extension PostgresStore: ServerStorage {}

/// `guichet import` into a registry on PostgreSQL.
extension PostgresStore: ImportStorage {}

/// Which server signs checkpoints among several on one PostgreSQL database.
extension PostgresSignerElection: CheckpointSigning {}

/// The SIEM exports' cursors, shared by the servers on the database (table `siem_cursor`).
extension PostgresStore: SIEMCursorStorage {
    public func siemCursor(_ name: String) async throws -> Int64? {
        try await read { c in
            try await c.query("SELECT next FROM siem_cursor WHERE name = \(name)", logger: Self.logger).decode(Int64.self).collect().first
        }
    }

    public func saveSIEMCursor(_ name: String, next: Int64) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO siem_cursor (name, next) VALUES (\(name), \(next))
                ON CONFLICT (name) DO UPDATE SET next = GREATEST(siem_cursor.next, EXCLUDED.next)
                """, logger: Self.logger)
        }
    }
}

/// What the HTTP server reads of the database itself (its `ServerStorage`): monitoring counts
/// and the ledger's pages, from the ledger in the same database.
extension PostgresStore {
    /// Counts for monitoring, each answered by an index or a small table (as SQLite's).
    public func gauges() async throws -> StoreGauges {
        try await read { c in
            func counts(_ query: PostgresQuery) async throws -> [String: Int] {
                Dictionary(try await c.query(query, logger: Self.logger).decode((String, Int).self).collect(), uniquingKeysWith: +)
            }
            func count(_ query: PostgresQuery) async throws -> Int {
                try await c.query(query, logger: Self.logger).decode(Int.self).collect().first ?? 0
            }
            let entries = try await c.query("SELECT COALESCE(MAX(idx) + 1, 0)::bigint FROM ledger_entry", logger: Self.logger)
                .decode(Int64.self).collect().first ?? 0
            let checkpoint = try await c.query("SELECT size, at FROM ledger_checkpoint ORDER BY size DESC LIMIT 1", logger: Self.logger)
                .decode((Int64, Int64).self).collect().first
            return StoreGauges(
                ledgerEntries: entries, latestCheckpointSize: checkpoint?.0, latestCheckpointAt: checkpoint.map { Date(millis: $0.1) },
                accountsByStatus: try await counts("SELECT status, COUNT(*)::int FROM account GROUP BY status"),
                pendingPrivilegedRequests: try await count("SELECT COUNT(*)::int FROM account_request WHERE approved_by IS NULL"),
                lockedSignInNames: try await count("SELECT COUNT(*)::int FROM sign_in_throttle WHERE locked"),
                pendingCaseloadRequests: try await count("SELECT COUNT(*)::int FROM caseload_request WHERE approved_by IS NULL"),
                noticesByStatus: try await counts("SELECT status, COUNT(*)::int FROM notice_outbox GROUP BY status"))
        }
    }

    /// How many entries the ledger holds.
    public func ledgerSize() async throws -> Int64 { try await ledger.ledgerSize() }

    /// The ledger's entries in a range of indexes, in order.
    public func ledgerEntries(_ range: Range<Int64>) async throws -> [(index: Int64, entry: Data)] { try await ledger.entries(range) }

    /// The signed checkpoints, oldest first.
    public func checkpoints() async throws -> [StoredCheckpoint] { try await ledger.checkpoints() }
}
