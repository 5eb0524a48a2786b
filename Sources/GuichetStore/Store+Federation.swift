public import Foundation
public import GuichetCore
import GRDB

extension Migrations {
    /// Federated sign-in (issue #21 item 6): an OpenID Connect subject, per issuer, linked to
    /// one existing account. A link is made by an explicit, journalled step; rows are kept (an
    /// unlink marks the row, so that who was linked when stays known).
    static let vFederation = """
    CREATE TABLE federated_identity (
        issuer TEXT NOT NULL,
        subject TEXT NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        linked_at INTEGER NOT NULL,
        unlinked_at INTEGER,
        PRIMARY KEY (issuer, subject)
    ) STRICT;
    CREATE INDEX federated_identity_by_account ON federated_identity(account_id);
    CREATE TRIGGER federated_identity_is_kept BEFORE DELETE ON federated_identity
    BEGIN SELECT RAISE(ABORT, 'federated identity links are kept'); END;
    """
}

extension Store {
    /// Links a provider's subject to an account.
    /// - Throws: ``StoreError/duplicate(_:)`` when the subject is already linked (to any account).
    public func linkFederatedIdentity(issuer: String, subject: String, account: AccountID, at: Date) async throws {
        try await write { db in
            if let row = try Row.fetchOne(db, sql: "SELECT unlinked_at FROM federated_identity WHERE issuer = ? AND subject = ?",
                                          arguments: [issuer, subject]) {
                guard (row["unlinked_at"] as Int64?) != nil else { throw StoreError.duplicate("link") }
                try db.execute(sql: "UPDATE federated_identity SET account_id = ?, linked_at = ?, unlinked_at = NULL WHERE issuer = ? AND subject = ?",
                               arguments: [account.rawValue, at.millis, issuer, subject])
                return
            }
            try db.execute(sql: "INSERT INTO federated_identity(issuer, subject, account_id, linked_at) VALUES (?, ?, ?, ?)",
                           arguments: [issuer, subject, account.rawValue, at.millis])
        }
    }

    /// Ends a link. - Returns: whether a live link existed.
    public func unlinkFederatedIdentity(issuer: String, subject: String, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE federated_identity SET unlinked_at = ? WHERE issuer = ? AND subject = ? AND unlinked_at IS NULL",
                           arguments: [at.millis, issuer, subject])
            return db.changesCount > 0
        }
    }

    /// The account a provider's subject is linked to, if any.
    public func federatedAccount(issuer: String, subject: String) async throws -> AccountID? {
        try await read { db in
            try String.fetchOne(db, sql: "SELECT account_id FROM federated_identity WHERE issuer = ? AND subject = ? AND unlinked_at IS NULL",
                                arguments: [issuer, subject]).map(AccountID.init(trusted:))
        }
    }
}
