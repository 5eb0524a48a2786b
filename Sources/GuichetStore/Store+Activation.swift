public import GuichetCore
public import Foundation
import GRDB

extension Migrations {
    /// Activation codes: a staff, partner or admin account enrols its first second factor only
    /// with a single-use code that reached its owner out of band (issue 14, item 3).
    static let vActivation = """
    -- Only the code's hash is kept; rows are never deleted. A hand-delivered code issued again
    -- by an administrator waits, without a code, for a second administrator ('awaiting-approval').
    CREATE TABLE activation_code (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        code_hash BLOB UNIQUE,
        delivery TEXT NOT NULL CHECK (delivery IN ('email', 'hand')),
        issued_by TEXT REFERENCES account(id),
        issued_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL,
        approved_by TEXT REFERENCES account(id),
        status TEXT NOT NULL CHECK (status IN ('awaiting-approval', 'sending', 'issued', 'not-sent', 'used', 'replaced')),
        used_at INTEGER,
        used_session TEXT,
        CHECK (approved_by IS NULL OR approved_by != issued_by),
        CHECK (status = 'awaiting-approval' OR code_hash IS NOT NULL)
    ) STRICT;
    CREATE INDEX activation_code_by_account ON activation_code(account_id, issued_at);
    CREATE INDEX activation_code_by_session ON activation_code(used_session) WHERE used_session IS NOT NULL;
    CREATE TRIGGER activation_code_is_kept BEFORE DELETE ON activation_code
    BEGIN SELECT RAISE(ABORT, 'activation codes are kept'); END;

    -- A TOTP enrolment begun before this version, perhaps by someone holding only the password,
    -- must not be confirmed without a code: pending enrolments start again.
    DELETE FROM second_factor WHERE confirmed = 0;
    """
}

/// An activation code as kept: who issued it, for whom, how it was delivered and what became of it.
public struct ActivationRecord: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let delivery: String
    /// Nil when the server's own command line issued it (`guichet init`, `demo`, `accounts activation`).
    public let issuedBy: AccountID?
    public let issuedAt: Date
    public let expiresAt: Date
    public let approvedBy: AccountID?
    public let status: String
    public let usedAt: Date?

    public init(id: String, account: AccountID, delivery: String, issuedBy: AccountID?, issuedAt: Date, expiresAt: Date,
                approvedBy: AccountID?, status: String, usedAt: Date?) {
        self.id = id; self.account = account; self.delivery = delivery; self.issuedBy = issuedBy; self.issuedAt = issuedAt
        self.expiresAt = expiresAt; self.approvedBy = approvedBy; self.status = status; self.usedAt = usedAt
    }

    init(row: Row) {
        id = row["id"]; account = AccountID(trusted: row["account_id"]); delivery = row["delivery"]
        issuedBy = (row["issued_by"] as String?).map(AccountID.init(trusted:)); issuedAt = Date(millis: row["issued_at"])
        expiresAt = Date(millis: row["expires_at"]); approvedBy = (row["approved_by"] as String?).map(AccountID.init(trusted:))
        status = row["status"]; usedAt = (row["used_at"] as Int64?).map(Date.init(millis:))
    }
}

extension Store {
    /// Records a new activation code for an account (`status`: 'sending', 'issued' or
    /// 'awaiting-approval' with no hash), and replaces the account's codes not yet used: only
    /// the newest one works. A replaced activation that awaited approval gets a random hash (the
    /// table wants one for every status but 'awaiting-approval'; no code has it).
    public func insertActivation(id: String, account: AccountID, codeHash: Data?, delivery: String, by: AccountID?,
                                 at: Date, expiresAt: Date, status: String) async throws {
        try await write { db in
            try db.execute(sql: """
                UPDATE activation_code SET status = 'replaced', code_hash = COALESCE(code_hash, randomblob(32))
                WHERE account_id = ? AND status IN ('awaiting-approval', 'sending', 'issued')
                """, arguments: [account.rawValue])
            try db.execute(sql: """
                INSERT INTO activation_code(id, account_id, code_hash, delivery, issued_by, issued_at, expires_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [id, account.rawValue, codeHash, delivery, by?.rawValue, at.millis, expiresAt.millis, status])
        }
    }

    /// Marks a code being e-mailed as issued (sent) or not sent (it never works).
    public func setActivationStatus(_ id: String, sent: Bool) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE activation_code SET status = ? WHERE id = ? AND status = 'sending'",
                           arguments: [sent ? "issued" : "not-sent", id])
        }
    }

    /// Gives a code to an activation awaiting a second administrator's approval.
    /// - Returns: the approved activation, or nil when none is waiting under this id or the
    ///   approver is the requester (the database refuses that too).
    public func approveActivation(_ id: String, codeHash: Data, by approver: AccountID, at: Date, expiresAt: Date) async throws -> ActivationRecord? {
        try await write { db in
            try db.execute(sql: """
                UPDATE activation_code SET status = 'issued', code_hash = ?, approved_by = ?, expires_at = ?
                WHERE id = ? AND status = 'awaiting-approval' AND issued_by != ?
                """, arguments: [codeHash, approver.rawValue, expiresAt.millis, id, approver.rawValue])
            guard db.changesCount == 1 else { return nil }
            return try Row.fetchOne(db, sql: "SELECT * FROM activation_code WHERE id = ?", arguments: [id]).map(ActivationRecord.init(row:))
        }
    }

    /// Uses an account's code once: it must be issued, unused and unexpired; the session that
    /// used it is noted (it may then finish enrolling a first factor).
    /// - Returns: whether the code was valid.
    public func redeemActivation(account: AccountID, codeHash: Data, session: SessionID, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                UPDATE activation_code SET status = 'used', used_at = ?, used_session = ?
                WHERE account_id = ? AND code_hash = ? AND status = 'issued' AND expires_at > ?
                """, arguments: [at.millis, session.rawValue, account.rawValue, codeHash, at.millis])
            return db.changesCount == 1
        }
    }

    /// Whether this session used an activation code.
    public func sessionActivated(_ session: SessionID) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM activation_code WHERE used_session = ?", arguments: [session.rawValue]) ?? false
        }
    }

    /// The activation codes of an account, newest first.
    public func activations(of account: AccountID) async throws -> [ActivationRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM activation_code WHERE account_id = ? ORDER BY issued_at DESC, rowid DESC",
                             arguments: [account.rawValue]).map(ActivationRecord.init(row:))
        }
    }

    /// Activations waiting for a second administrator, oldest first.
    public func activationsAwaitingApproval() async throws -> [ActivationRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM activation_code WHERE status = 'awaiting-approval' ORDER BY issued_at")
                .map(ActivationRecord.init(row:))
        }
    }
}
