public import GuichetCore
public import Foundation
import GRDB

extension Migrations {
    /// Account contact addresses (sealed by the caller) and password resets.
    static let authReset = """
    ALTER TABLE account ADD COLUMN contact BLOB;

    -- A reset started by an administrator and finished by the account's owner with the code
    -- sent to the owner's own address. Only the code's hash is kept; rows are never deleted.
    CREATE TABLE password_reset (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        token_hash BLOB NOT NULL UNIQUE,
        requested_by TEXT NOT NULL REFERENCES account(id),
        requested_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sending', 'sent', 'not-sent', 'used')),
        used_at INTEGER
    ) STRICT;
    CREATE INDEX password_reset_by_account ON password_reset(account_id, requested_at);
    CREATE TRIGGER password_reset_is_kept BEFORE DELETE ON password_reset
    BEGIN SELECT RAISE(ABORT, 'password resets are kept'); END;
    """
}

/// A password reset: who asked for it, for whom, and what became of it.
public struct PasswordResetRecord: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let requestedBy: AccountID
    public let requestedAt: Date
    public let expiresAt: Date
    public let status: String
    public let usedAt: Date?

    public init(id: String, account: AccountID, requestedBy: AccountID, requestedAt: Date, expiresAt: Date, status: String, usedAt: Date?) {
        self.id = id; self.account = account; self.requestedBy = requestedBy; self.requestedAt = requestedAt
        self.expiresAt = expiresAt; self.status = status; self.usedAt = usedAt
    }

    init(row: Row) {
        id = row["id"]; account = AccountID(trusted: row["account_id"]); requestedBy = AccountID(trusted: row["requested_by"])
        requestedAt = Date(millis: row["requested_at"]); expiresAt = Date(millis: row["expires_at"]); status = row["status"]
        usedAt = (row["used_at"] as Int64?).map(Date.init(millis:))
    }
}

extension Store {
    /// An account's sealed contact address, if it has one.
    public func contact(of account: AccountID) async throws -> Data? {
        try await read { db in try Data.fetchOne(db, sql: "SELECT contact FROM account WHERE id = ?", arguments: [account.rawValue]) }
    }

    /// Sets an account's sealed contact address.
    public func setContact(_ sealed: Data, for account: AccountID) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE account SET contact = ? WHERE id = ?", arguments: [sealed, account.rawValue])
        }
    }

    /// Records a reset about to be sent.
    public func insertReset(id: String, account: AccountID, tokenHash: Data, by: AccountID, at: Date, expiresAt: Date) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO password_reset(id, account_id, token_hash, requested_by, requested_at, expires_at, status)
                VALUES (?, ?, ?, ?, ?, ?, 'sending')
                """, arguments: [id, account.rawValue, tokenHash, by.rawValue, at.millis, expiresAt.millis])
        }
    }

    /// Marks a reset as sent or not sent.
    public func setResetStatus(_ id: String, sent: Bool) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE password_reset SET status = ? WHERE id = ? AND status = 'sending'", arguments: [sent ? "sent" : "not-sent", id])
        }
    }

    /// The password resets of an account, newest first.
    public func resets(of account: AccountID) async throws -> [PasswordResetRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM password_reset WHERE account_id = ? ORDER BY requested_at DESC", arguments: [account.rawValue])
                .map(PasswordResetRecord.init(row:))
        }
    }

    /// Only the newest reset of an account works: a new one replaces the codes sent before
    /// (as activation and claim codes are replaced), and once one is used none of the older
    /// ones works again (an attacker test used an older code after a newer one was issued, and
    /// the newer after the older was used). A condition on `password_reset AS r`.
    static let newestReset = """
        NOT EXISTS (SELECT 1 FROM password_reset n WHERE n.account_id = r.account_id AND n.requested_at > r.requested_at)
        """

    /// The pending reset of this code and its account, if the code was sent, is unused, has
    /// not expired, and no reset of the account was asked for after it.
    public func pendingReset(tokenHash: Data, at: Date) async throws -> (PasswordResetRecord, AccountRecord)? {
        try await read { db in
            guard let reset = try Row.fetchOne(db, sql: "SELECT * FROM password_reset r WHERE token_hash = ? AND \(Self.newestReset)", arguments: [tokenHash])
                    .map(PasswordResetRecord.init(row:)), reset.status == "sent", reset.expiresAt > at,
                  let account = try Row.fetchOne(db, sql: AccountRecord.withFactor + " WHERE id = ?", arguments: [reset.account.rawValue])
                    .map(AccountRecord.init(row:)) else { return nil }
            return (reset, account)
        }
    }

    /// Finishes a reset in one transaction: checks again that it is sent, unused and not
    /// expired, sets the new password hash, marks the reset used, revokes every session of the
    /// account and clears the sign-in throttle of its user name.
    /// - Returns: whether the reset was still pending (false: used or expired meanwhile).
    public func completeReset(_ id: String, passwordHash: String, throttleKey: String, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                UPDATE password_reset AS r SET status = 'used', used_at = ? WHERE id = ? AND status = 'sent' AND expires_at > ? AND \(Self.newestReset)
                """, arguments: [at.millis, id, at.millis])
            guard db.changesCount == 1,
                  let account = try String.fetchOne(db, sql: "SELECT account_id FROM password_reset WHERE id = ?", arguments: [id]) else { return false }
            try db.execute(sql: "UPDATE account SET password_hash = ? WHERE id = ?", arguments: [passwordHash, account])
            try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", arguments: [at.millis, account])
            try db.execute(sql: "DELETE FROM sign_in_throttle WHERE key = ?", arguments: [throttleKey])
            return true
        }
    }
}
