public import GuichetCore
public import Foundation
import GRDB

extension Store {
    /// Adds an account.
    /// - Throws: ``StoreError/duplicate(_:)`` when the user name is taken.
    public func insert(account a: AccountRecord, createdBy: AccountID?) async throws {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE username = ?", arguments: [a.username]) == true {
                throw StoreError.duplicate("user name")
            }
            try db.execute(sql: """
                INSERT INTO account(id, username, password_hash, role, organisation_id, person_id, territory, status, created_at, created_by)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [a.id.rawValue, a.username, a.passwordHash, a.role, a.organisation?.rawValue, a.person?.rawValue,
                                 a.territory, a.status, a.createdAt.millis, createdBy?.rawValue])
        }
    }

    /// The account with this user name.
    public func account(username: String) async throws -> AccountRecord? {
        // SQLite binds text up to its first NUL: `name\0x` would find `name`. No user name has one.
        guard !username.contains("\0") else { return nil }
        return try await read { db in try Row.fetchOne(db.cachedStatement(sql: AccountRecord.withFactor + " WHERE username = ?"), arguments: [username]).map(AccountRecord.init(row:)) }
    }

    /// The account with this id.
    public func account(id: AccountID) async throws -> AccountRecord? {
        try await read { db in try Row.fetchOne(db.cachedStatement(sql: AccountRecord.withFactor + " WHERE id = ?"), arguments: [id.rawValue]).map(AccountRecord.init(row:)) }
    }

    /// All accounts, by user name.
    public func accounts() async throws -> [AccountRecord] {
        try await read { db in try Row.fetchAll(db, sql: AccountRecord.withFactor + " ORDER BY username").map(AccountRecord.init(row:)) }
    }

    /// The accounts of these roles, by user name (through `account_by_role`).
    public func accounts(roles: [String]) async throws -> [AccountRecord] {
        guard !roles.isEmpty else { return [] }
        let marks = Array(repeating: "?", count: roles.count).joined(separator: ", ")
        return try await read { db in
            try Row.fetchAll(db, sql: AccountRecord.withFactor + " WHERE role IN (\(marks)) ORDER BY username", arguments: StatementArguments(roles))
                .map(AccountRecord.init(row:))
        }
    }

    /// Replaces a password hash (parameter upgrade on sign-in, or password change).
    public func setPasswordHash(_ hash: String, for id: AccountID) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE account SET password_hash = ? WHERE id = ?", arguments: [hash, id.rawValue])
        }
    }

    /// Enables or disables an account; disabling revokes its sessions in the same transaction.
    public func setStatus(_ status: String, for id: AccountID, at: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE account SET status = ? WHERE id = ?", arguments: [status, id.rawValue])
            guard db.changesCount == 1 else { throw StoreError.notFound }
            if status != "active" {
                try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                               arguments: [at.millis, id.rawValue])
            }
        }
    }

    // MARK: sessions

    /// Records a new session by the hash of its token.
    public func insertSession(id: SessionID, tokenHash: Data, account: AccountID, at: Date, expiresAt: Date) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO session(token_hash, id, account_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [tokenHash, id.rawValue, account.rawValue, at.millis, at.millis, expiresAt.millis])
        }
    }

    /// The session whose token hashes to `tokenHash`.
    public func session(tokenHash: Data) async throws -> SessionRecord? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT id, account_id, last_seen_at, expires_at, revoked_at, second_factor_at FROM session WHERE token_hash = ?"),
                             arguments: [tokenHash]).map { row in
                SessionRecord(id: SessionID(trusted: row["id"]), account: AccountID(trusted: row["account_id"]),
                              lastSeenAt: Date(millis: row["last_seen_at"]),
                              expiresAt: Date(millis: row["expires_at"]), revoked: (row["revoked_at"] as Int64?) != nil,
                              secondFactorAt: (row["second_factor_at"] as Int64?).map(Date.init(millis:)))
            }
        }
    }

    /// Notes that a session was used (for the idle time-out).
    public func touchSession(_ id: SessionID, at: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE session SET last_seen_at = ? WHERE id = ?", arguments: [at.millis, id.rawValue])
        }
    }

    /// Revokes every open session of an account (sign out everywhere; suspension).
    /// - Returns: how many were open.
    @discardableResult
    public func revokeSessions(account: AccountID, at: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                           arguments: [at.millis, account.rawValue])
            return db.changesCount
        }
    }

    /// Revokes the open sessions of an account but `keeping` of them: the newest (the one just
    /// made), then those that passed a second factor, then the most recently created (an
    /// attacker's audit: 33 sign-ins with a stolen password alone pushed the owner's verified
    /// session out).
    @discardableResult
    public func revokeSessions(account: AccountID, keeping: Int, at: Date) async throws -> Int {
        try await write { db in
            try db.execute(sql: """
                UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ? AND id NOT IN (
                    SELECT id FROM session WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ?
                    ORDER BY (id = (SELECT id FROM session WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ?
                                    ORDER BY created_at DESC, id DESC LIMIT 1)) DESC,
                             (second_factor_at IS NOT NULL) DESC, created_at DESC, id DESC LIMIT ?)
                """, arguments: [at.millis, account.rawValue, at.millis, account.rawValue, at.millis, account.rawValue, at.millis, keeping])
            return db.changesCount
        }
    }

    /// The sessions of an account that are neither revoked nor past their absolute lifetime,
    /// most recently used first (the account page's list; the idle time-out is the caller's).
    public func openSessions(account: AccountID, now: Date) async throws -> [OpenSession] {
        try await read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT id, created_at, last_seen_at, expires_at, second_factor_at FROM session
                WHERE account_id = ? AND revoked_at IS NULL AND expires_at > ? ORDER BY last_seen_at DESC, created_at DESC LIMIT 100
                """), arguments: [account.rawValue, now.millis]).map { row in
                OpenSession(id: SessionID(trusted: row["id"]), createdAt: Date(millis: row["created_at"]),
                            lastSeenAt: Date(millis: row["last_seen_at"]), expiresAt: Date(millis: row["expires_at"]),
                            secondFactorAt: (row["second_factor_at"] as Int64?).map(Date.init(millis:)))
            }
        }
    }

    /// Revokes one session of an account, by its id (a session of another account is left as it is).
    /// - Returns: whether an open session of that account was ended.
    @discardableResult
    public func revokeSession(id: SessionID, account: AccountID, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE id = ? AND account_id = ? AND revoked_at IS NULL",
                           arguments: [at.millis, id.rawValue, account.rawValue])
            return db.changesCount == 1
        }
    }

    /// Revokes one session.
    public func revokeSession(tokenHash: Data, at: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
                           arguments: [at.millis, tokenHash])
        }
    }

    public func rekeySession(tokenHash old: Data, to new: Data) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE session SET token_hash = ? WHERE token_hash = ? AND revoked_at IS NULL", arguments: [new, old])
            return db.changesCount == 1
        }
    }
}

extension AccountRecord {
    init(row: Row) {
        self.init(id: AccountID(trusted: row["id"]), username: row["username"], passwordHash: row["password_hash"],
                  role: row["role"], organisation: (row["organisation_id"] as String?).map(OrganisationID.init(trusted:)),
                  person: (row["person_id"] as String?).map(PersonID.init(trusted:)), territory: row["territory"],
                  status: row["status"], createdAt: Date(millis: row["created_at"]))
        if let has = row["has_factor"] as Bool? { hasSecondFactor = has }
        factorsReset = (row["factors_reset_at"] as Int64?) != nil
    }

    /// The account's columns, and whether it has a confirmed factor (`has_factor`).
    static let withFactor = "SELECT account.*, EXISTS (SELECT 1 FROM second_factor f WHERE f.account_id = account.id AND f.confirmed = 1 AND f.kind IN ('totp', 'webauthn')) AS has_factor FROM account"

}
