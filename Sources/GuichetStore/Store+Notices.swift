public import GuichetCore
public import Foundation
import GRDB

/// A notice a transition owes (the offer e-mail of R1), kept until it is sent: it is written
/// in the transaction that makes the transition, so a transition that was acknowledged never
/// loses its notice to a relay that was down or a server that stopped. No address is kept:
/// the sender opens it through the gate when it sends.
public struct PendingNotice: Sendable, Equatable {
    public let dossier: DossierID
    /// The dossier's version the transition made.
    public let version: Int
    public let transition: String
    public let createdAt: Date
    /// Attempts made so far.
    public let attempts: Int
    public init(dossier: DossierID, version: Int, transition: String, createdAt: Date, attempts: Int) {
        self.dossier = dossier; self.version = version; self.transition = transition; self.createdAt = createdAt; self.attempts = attempts
    }
}

extension Migrations {
    static let vNoticeOutbox = """
    CREATE TABLE notice_outbox (
        dossier_id TEXT NOT NULL REFERENCES dossier(id),
        version INTEGER NOT NULL,
        transition TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_at INTEGER NOT NULL,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'superseded', 'failed')),
        done_at INTEGER,
        PRIMARY KEY (dossier_id, version)
    ) STRICT;
    CREATE INDEX notice_outbox_due ON notice_outbox(next_at) WHERE status = 'pending';
    """
}

extension Store {
    static func insertNotice(_ db: Database, dossier: DossierID, version: Int, transition: String, at: Date) throws {
        try db.execute(sql: "INSERT INTO notice_outbox(dossier_id, version, transition, created_at, next_at) VALUES (?, ?, ?, ?, ?)",
                       arguments: [dossier.rawValue, version, transition, at.millis, at.millis])
    }

    /// Takes up to `limit` notices that are due, and holds them for `lease` seconds so that
    /// another server sharing the database does not send them too.
    public func claimDueNotices(now: Date, limit: Int, lease: TimeInterval) async throws -> [PendingNotice] {
        try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT dossier_id, version, transition, created_at, attempts FROM notice_outbox
                WHERE status = 'pending' AND next_at <= ? ORDER BY next_at LIMIT ?
                """, arguments: [now.millis, limit])
            let due = rows.map { r in
                PendingNotice(dossier: DossierID(trusted: r["dossier_id"]), version: r["version"], transition: r["transition"],
                              createdAt: Date(millis: r["created_at"]), attempts: r["attempts"])
            }
            for n in due {
                try db.execute(sql: "UPDATE notice_outbox SET next_at = ? WHERE dossier_id = ? AND version = ?",
                               arguments: [now.addingTimeInterval(lease).millis, n.dossier.rawValue, n.version])
            }
            return due
        }
    }

    /// Records how a notice's attempt ended: `sent`, `superseded` (the dossier moved on
    /// before it could go), `failed` (given up), or `pending` again at `retryAt`.
    public func noticeAttempted(_ n: PendingNotice, status: String, retryAt: Date?, at: Date) async throws {
        precondition(["sent", "superseded", "failed", "pending"].contains(status), "a notice's status is one of the table's")
        try await write { db in
            try db.execute(sql: """
                UPDATE notice_outbox SET attempts = attempts + 1, status = ?, next_at = COALESCE(?, next_at), done_at = ?
                WHERE dossier_id = ? AND version = ?
                """, arguments: [status, retryAt?.millis, status == "pending" ? nil : at.millis, n.dossier.rawValue, n.version])
        }
    }

    /// Notices by status (metrics and tests).
    public func noticeCounts() async throws -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM notice_outbox GROUP BY status") { out[row["status"]] = row["n"] }
            return out
        }
    }
}
