public import GuichetCore
public import Foundation
import GRDB

/// A claim code as kept (never the code: its hash only).
public struct ClaimRecord: Sendable, Equatable {
    public let id: String
    public let person: PersonID
    /// Nil when the server's own command line issued it.
    public let issuedBy: AccountID?
    public let issuedAt: Date
    public let expiresAt: Date
    public let status: String
    public let usedBy: AccountID?
    /// The address the code was issued from (nil from the command line, or unknown).
    public let issuedFrom: String?

    init(row: Row) {
        id = row["id"]; person = PersonID(trusted: row["person_id"])
        issuedBy = (row["issued_by"] as String?).map(AccountID.init(trusted:)); issuedAt = Date(millis: row["issued_at"])
        expiresAt = Date(millis: row["expires_at"]); status = row["status"]
        usedBy = (row["used_by_account"] as String?).map(AccountID.init(trusted:))
        issuedFrom = row["issued_from"]
    }
}

/// A live claim code as found by its hash: the person it stands for, and who issued it from
/// where (a claim by that account, or from that address, is refused).
public struct LiveClaim: Sendable, Equatable {
    public let person: PersonID
    /// Nil when the server's own command line issued it.
    public let issuedBy: AccountID?
    /// The address the code was issued from, as the request had it; nil when unknown.
    public let issuedFrom: String?
    public let issuedAt: Date
    public init(person: PersonID, issuedBy: AccountID?, issuedFrom: String?, issuedAt: Date) {
        self.person = person; self.issuedBy = issuedBy; self.issuedFrom = issuedFrom; self.issuedAt = issuedAt
    }
}

extension Store {
    /// Records a new claim code for a person and replaces the person's unused ones: only the
    /// newest works.
    /// - Throws: ``StoreError/duplicate(_:)`` when the locator is taken by a live code (draw again).
    public func insertClaim(id: String, locator: String, person: PersonID, codeHash: Data, by: AccountID?, from: String?,
                            at: Date, expiresAt: Date, limits: [(count: Int, since: Date)] = []) async throws {
        let limits = limits.map { (count: $0.count, since: $0.since.millis) }
        try await write { db in
            // One writer at a time: counted and inserted with no other issuance between.
            if let by {
                for (i, limit) in limits.enumerated() {
                    let n = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM claim_code WHERE issued_by = ? AND issued_at >= ?",
                                             arguments: [by.rawValue, limit.since]) ?? 0
                    if n >= limit.count { throw StoreError.limitReached(i) }
                }
            }
            try db.execute(sql: "UPDATE claim_code SET status = 'replaced' WHERE person_id = ? AND status = 'issued'", arguments: [person.rawValue])
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM claim_code WHERE locator = ? AND status = 'issued'", arguments: [locator]) == true {
                throw StoreError.duplicate("claim locator")
            }
            try db.execute(sql: """
                INSERT INTO claim_code(id, locator, person_id, code_hash, issued_by, issued_from, issued_at, expires_at, status)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'issued')
                """, arguments: [id, locator, person.rawValue, codeHash, by?.rawValue, from, at.millis, expiresAt.millis])
        }
    }

    /// A live code (issued, unused, unexpired, matching its hash): its person and issuer.
    public func liveClaim(locator: String, codeHash: Data, at: Date) async throws -> LiveClaim? {
        try await read { db in
            try Row.fetchOne(db, sql: """
                SELECT person_id, issued_by, issued_from, issued_at FROM claim_code
                WHERE locator = ? AND code_hash = ? AND status = 'issued' AND expires_at > ?
                """, arguments: [locator, codeHash, at.millis]).map { row in
                LiveClaim(person: PersonID(trusted: row["person_id"]), issuedBy: (row["issued_by"] as String?).map(AccountID.init(trusted:)),
                          issuedFrom: row["issued_from"], issuedAt: Date(millis: row["issued_at"]))
            }
        }
    }

    /// How many claim codes an account issued since an instant (used, replaced or live).
    public func claimsIssued(by account: AccountID, since: Date) async throws -> Int {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM claim_code WHERE issued_by = ? AND issued_at >= ?",
                             arguments: [account.rawValue, since.millis]) ?? 0
        }
    }

    /// Uses a claim code once and creates the citizen account it links, in one transaction:
    /// the code must still be live and stand for the account's person, the person must have no
    /// account yet, and the user name must be free.
    /// - Returns: false when the code is no longer live (nothing written).
    /// - Throws: ``StoreError/duplicate(_:)`` for a taken user name or a person who has an account.
    public func redeemClaim(locator: String, codeHash: Data, account a: AccountRecord, at: Date) async throws -> Bool {
        try await write { db in
            guard let person = a.person, try String.fetchOne(db, sql: """
                SELECT person_id FROM claim_code WHERE locator = ? AND code_hash = ? AND status = 'issued' AND expires_at > ?
                """, arguments: [locator, codeHash, at.millis]) == person.rawValue else { return false }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE person_id = ?", arguments: [person.rawValue]) == true {
                throw StoreError.duplicate("account of this person")
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE username = ?", arguments: [a.username]) == true {
                throw StoreError.duplicate("user name")
            }
            try db.execute(sql: """
                INSERT INTO account(id, username, password_hash, role, organisation_id, person_id, territory, status, created_at, created_by)
                VALUES (?, ?, ?, ?, NULL, ?, NULL, 'active', ?, NULL)
                """, arguments: [a.id.rawValue, a.username, a.passwordHash, a.role, person.rawValue, a.createdAt.millis])
            try db.execute(sql: """
                UPDATE claim_code SET status = 'used', used_at = ?, used_by_account = ?
                WHERE locator = ? AND code_hash = ? AND status = 'issued'
                """, arguments: [at.millis, a.id.rawValue, locator, codeHash])
            return true
        }
    }

    /// Whether a person has an account (a citizen's own).
    public func personHasAccount(_ person: PersonID) async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE person_id = ?", arguments: [person.rawValue]) ?? false }
    }

    /// The claim codes of a person, newest first.
    public func claims(of person: PersonID) async throws -> [ClaimRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM claim_code WHERE person_id = ? ORDER BY issued_at DESC, rowid DESC",
                             arguments: [person.rawValue]).map(ClaimRecord.init(row:))
        }
    }
}
