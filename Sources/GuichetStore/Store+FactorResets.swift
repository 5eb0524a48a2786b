public import GuichetCore
public import Foundation
import GRDB

extension Migrations {
    /// Factor resets: an administrator removes an account's second factors after checking the
    /// owner's identity (a lost phone, an account taken over with its password).
    static let vFactorReset = """
    -- Set by a factor reset, cleared when a first factor is enrolled again (with an activation
    -- code): until then the account reaches no personal data, even a citizen's.
    ALTER TABLE account ADD COLUMN factors_reset_at INTEGER;

    -- Every reset: for whom, by whom (NULL: the server's own command line), when, why, and
    -- what it removed. Rows are never changed nor deleted.
    CREATE TABLE factor_reset (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        reset_by TEXT REFERENCES account(id),
        reset_at INTEGER NOT NULL,
        reason TEXT NOT NULL,
        factors_removed INTEGER NOT NULL,
        sessions_ended INTEGER NOT NULL,
        CHECK (reset_by IS NULL OR reset_by != account_id)
    ) STRICT;
    CREATE INDEX factor_reset_by_account ON factor_reset(account_id, reset_at);
    CREATE TRIGGER factor_reset_is_kept BEFORE DELETE ON factor_reset
    BEGIN SELECT RAISE(ABORT, 'factor resets are kept'); END;
    CREATE TRIGGER factor_reset_no_update BEFORE UPDATE ON factor_reset
    BEGIN SELECT RAISE(ABORT, 'factor resets are kept'); END;
    """
}

/// A reset of an account's second factors, as kept.
public struct FactorResetRecord: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    /// Nil when the server's own command line did it (`guichet accounts reset-factors`).
    public let by: AccountID?
    public let at: Date
    public let reason: String
    /// Second-factor rows removed: apps, passkeys, recovery codes and unfinished enrolments.
    public let factorsRemoved: Int
    /// Sessions that were open and were ended.
    public let sessionsEnded: Int

    public init(id: String, account: AccountID, by: AccountID?, at: Date, reason: String, factorsRemoved: Int, sessionsEnded: Int) {
        self.id = id; self.account = account; self.by = by; self.at = at; self.reason = reason
        self.factorsRemoved = factorsRemoved; self.sessionsEnded = sessionsEnded
    }

    init(row: Row) {
        self.init(id: row["id"], account: AccountID(trusted: row["account_id"]), by: (row["reset_by"] as String?).map(AccountID.init(trusted:)),
                  at: Date(millis: row["reset_at"]), reason: row["reason"], factorsRemoved: row["factors_removed"], sessionsEnded: row["sessions_ended"])
    }
}

extension Store {
    /// Resets an account's second factors in one transaction: removes every factor of it
    /// (apps, passkeys, recovery codes, unfinished enrolments), ends its open sessions, voids
    /// its unused activation codes, marks it (``AccountRecord/factorsReset``) so that its next
    /// first factor needs an activation code, and records the reset.
    /// - Returns: the reset as recorded.
    /// - Throws: ``StoreError/notFound`` for no such account (nothing written).
    public func resetFactors(_ account: AccountID, id: String, reason: String, by: AccountID?, at: Date) async throws -> FactorResetRecord {
        try await write { db in
            try db.execute(sql: "UPDATE account SET factors_reset_at = ? WHERE id = ?", arguments: [at.millis, account.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound }
            try db.execute(sql: "DELETE FROM second_factor WHERE account_id = ?", arguments: [account.rawValue])
            let factors = db.changesCount
            try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", arguments: [at.millis, account.rawValue])
            let sessions = db.changesCount
            try db.execute(sql: """
                UPDATE activation_code SET status = 'replaced', code_hash = COALESCE(code_hash, randomblob(32))
                WHERE account_id = ? AND status IN ('awaiting-approval', 'sending', 'issued')
                """, arguments: [account.rawValue])
            let record = FactorResetRecord(id: id, account: account, by: by, at: at, reason: reason, factorsRemoved: factors, sessionsEnded: sessions)
            try db.execute(sql: """
                INSERT INTO factor_reset(id, account_id, reset_by, reset_at, reason, factors_removed, sessions_ended)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, account.rawValue, by?.rawValue, at.millis, reason, factors, sessions])
            return record
        }
    }

    /// Clears an account's factor-reset mark (a first factor was enrolled again).
    public func clearFactorsReset(_ account: AccountID) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE account SET factors_reset_at = NULL WHERE id = ?", arguments: [account.rawValue])
        }
    }

    /// The factor resets of an account, newest first.
    public func factorResets(of account: AccountID) async throws -> [FactorResetRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM factor_reset WHERE account_id = ? ORDER BY reset_at DESC, rowid DESC",
                             arguments: [account.rawValue]).map(FactorResetRecord.init(row:))
        }
    }
}
