public import GuichetCore
public import Foundation
import GRDB

/// A stored second factor.
public struct SecondFactorRecord: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let kind: String
    public let secret: Data
    public let credentialID: Data?
    public let counter: Int64
    public let confirmed: Bool
    public init(id: String, account: AccountID, kind: String, secret: Data, credentialID: Data?, counter: Int64, confirmed: Bool) {
        self.id = id; self.account = account; self.kind = kind; self.secret = secret
        self.credentialID = credentialID; self.counter = counter; self.confirmed = confirmed
    }
}

extension Store {
    /// Adds a second factor (unconfirmed TOTP until its first code, or confirmed).
    public func insert(factor f: SecondFactorRecord, at: Date) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO second_factor(id, account_id, kind, secret, credential_id, counter, confirmed, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [f.id, f.account.rawValue, f.kind, f.secret, f.credentialID, f.counter, f.confirmed ? 1 : 0, at.millis])
        }
    }

    /// The second factors of an account, optionally of one kind.
    public func factors(account: AccountID, kind: String? = nil) async throws -> [SecondFactorRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM second_factor WHERE account_id = ?1 AND (?2 IS NULL OR kind = ?2) ORDER BY created_at",
                             arguments: [account.rawValue, kind]).map { row in
                SecondFactorRecord(id: row["id"], account: AccountID(trusted: row["account_id"]), kind: row["kind"], secret: row["secret"],
                                   credentialID: row["credential_id"], counter: row["counter"], confirmed: (row["confirmed"] as Int) == 1)
            }
        }
    }

    /// Moves a factor's counter forward only if it still holds `expected` (no replay, no race),
    /// and confirms it. Returns false when someone else moved it first.
    public func advance(factor id: String, from expected: Int64, to counter: Int64) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE second_factor SET counter = ?, confirmed = 1 WHERE id = ? AND counter = ?",
                           arguments: [counter, id, expected])
            return db.changesCount == 1
        }
    }

    /// Replaces an account's unconfirmed factors of a kind (a new enrolment attempt).
    public func dropUnconfirmed(account: AccountID, kind: String) async throws {
        try await write { db in
            try db.execute(sql: "DELETE FROM second_factor WHERE account_id = ? AND kind = ? AND confirmed = 0", arguments: [account.rawValue, kind])
        }
    }

    /// Notes that a session verified a second factor now.
    public func markSecondFactor(session: SessionID, at: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE session SET second_factor_at = ? WHERE id = ?", arguments: [at.millis, session.rawValue])
        }
    }

    /// Keeps a WebAuthn challenge for a session (replacing any earlier one).
    public func putChallenge(_ challenge: Data, kind: String, session: SessionID, expires: Date) async throws {
        try await write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO mfa_challenge(session_id, challenge, kind, expires_at) VALUES (?, ?, ?, ?)",
                           arguments: [session.rawValue, challenge, kind, expires.millis])
        }
    }

    /// Takes (and so spends) a session's challenge of a kind, if not expired.
    public func takeChallenge(kind: String, session: SessionID, now: Date) async throws -> Data? {
        try await write { db in
            let row = try Row.fetchOne(db, sql: "SELECT challenge, expires_at FROM mfa_challenge WHERE session_id = ? AND kind = ?",
                                       arguments: [session.rawValue, kind])
            try db.execute(sql: "DELETE FROM mfa_challenge WHERE session_id = ?", arguments: [session.rawValue])
            guard let row, Date(millis: row["expires_at"]) > now else { return nil }
            return row["challenge"]
        }
    }
}
