public import GuichetCore
public import Foundation
import GRDB

/// A break-glass opening as stored. The justification and the review note are sealed by the
/// gate (they may name people); the store never sees them in clear.
public struct BreakGlassRecord: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let dossier: DossierID
    public let justification: Data
    public let openedAt: Date
    public let expiresAt: Date
    /// `justified` or `unjustified` once reviewed.
    public let verdict: String?
    public let reviewedBy: AccountID?
    public let reviewedAt: Date?
    public let reviewNote: Data?

    public init(id: String, account: AccountID, dossier: DossierID, justification: Data, openedAt: Date, expiresAt: Date,
                verdict: String? = nil, reviewedBy: AccountID? = nil, reviewedAt: Date? = nil, reviewNote: Data? = nil) {
        self.id = id; self.account = account; self.dossier = dossier; self.justification = justification
        self.openedAt = openedAt; self.expiresAt = expiresAt; self.verdict = verdict
        self.reviewedBy = reviewedBy; self.reviewedAt = reviewedAt; self.reviewNote = reviewNote
    }

    init(row: Row) {
        self.init(id: row["id"], account: AccountID(trusted: row["account_id"]), dossier: DossierID(trusted: row["dossier_id"]),
                  justification: row["justification"], openedAt: Date(millis: row["opened_at"]), expiresAt: Date(millis: row["expires_at"]),
                  verdict: row["verdict"], reviewedBy: (row["reviewed_by"] as String?).map(AccountID.init(trusted:)),
                  reviewedAt: (row["reviewed_at"] as Int64?).map(Date.init(millis:)), reviewNote: row["review_note"])
    }
}

extension Store {
    /// Stores a new opening, unless the account already made `limit` openings since `since`
    /// (checked and written in one transaction, so concurrent openings cannot both pass).
    /// - Returns: whether the opening was stored.
    @discardableResult
    public func insert(breakGlass r: BreakGlassRecord, limit: Int = .max, since: Date = .distantPast) async throws -> Bool {
        try await write { db in
            guard try Self.breakGlassCount(db, account: r.account, since: since) < limit else { return false }
            try db.execute(sql: """
                INSERT INTO break_glass(id, account_id, dossier_id, justification, opened_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [r.id, r.account.rawValue, r.dossier.rawValue, r.justification, r.openedAt.millis, r.expiresAt.millis])
            return true
        }
    }

    /// How many openings an account made since a time.
    public func breakGlassCount(account: AccountID, since: Date) async throws -> Int {
        try await read { db in try Self.breakGlassCount(db, account: account, since: since) }
    }

    static func breakGlassCount(_ db: Database, account: AccountID, since: Date) throws -> Int {
        try Int.fetchOne(db, sql: "SELECT count(*) FROM break_glass WHERE account_id = ? AND opened_at >= ?",
                         arguments: [account.rawValue, since.millis]) ?? 0
    }

    /// The opening that lets `account` read `dossier` at `now`, if any (latest expiry first).
    public func activeBreakGlass(account: AccountID, dossier: DossierID, at now: Date) async throws -> BreakGlassRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT * FROM break_glass WHERE account_id = ? AND dossier_id = ? AND expires_at > ? AND opened_at <= ?
                ORDER BY expires_at DESC LIMIT 1
                """, arguments: [account.rawValue, dossier.rawValue, now.millis, now.millis]).map(BreakGlassRecord.init(row:))
        }
    }

    /// One opening by id.
    public func breakGlass(id: String) async throws -> BreakGlassRecord? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM break_glass WHERE id = ?", arguments: [id]).map(BreakGlassRecord.init(row:)) }
    }

    /// Openings not yet reviewed, oldest first.
    public func pendingBreakGlass(limit: Int = 500) async throws -> [BreakGlassRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM break_glass WHERE verdict IS NULL ORDER BY opened_at LIMIT ?", arguments: [limit])
                .map(BreakGlassRecord.init(row:))
        }
    }

    /// Closes the review of an opening; an `unjustified` verdict also ends the access now.
    /// - Throws: ``StoreError/notFound`` when there is no such opening awaiting review.
    public func review(breakGlass id: String, verdict: String, by reviewer: AccountID, note: Data, at now: Date) async throws -> BreakGlassRecord {
        try await write { db in
            try db.execute(sql: """
                UPDATE break_glass SET verdict = ?, reviewed_by = ?, reviewed_at = ?, review_note = ?,
                    expires_at = CASE WHEN ? = 'unjustified' THEN MIN(expires_at, ?) ELSE expires_at END
                WHERE id = ? AND verdict IS NULL
                """, arguments: [verdict, reviewer.rawValue, now.millis, note, verdict, now.millis, id])
            guard db.changesCount == 1,
                  let r = try Row.fetchOne(db, sql: "SELECT * FROM break_glass WHERE id = ?", arguments: [id]).map(BreakGlassRecord.init(row:))
            else { throw StoreError.notFound }
            return r
        }
    }
}
