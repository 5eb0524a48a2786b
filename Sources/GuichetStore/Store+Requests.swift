public import GuichetCore
public import Foundation
import GRDB

/// A request to create or elevate a privileged account, waiting for a second administrator.
public struct AccountRequest: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let kind: String
    public let role: String
    public let requestedBy: AccountID
    public let requestedAt: Date
    public let approvedBy: AccountID?

    public init(id: String, account: AccountID, kind: String, role: String, requestedBy: AccountID, requestedAt: Date, approvedBy: AccountID?) {
        self.id = id; self.account = account; self.kind = kind; self.role = role
        self.requestedBy = requestedBy; self.requestedAt = requestedAt; self.approvedBy = approvedBy
    }
}

extension Store {
    /// Records a request.
    public func insert(request r: AccountRequest) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO account_request(id, account_id, kind, role, requested_by, requested_at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [r.id, r.account.rawValue, r.kind, r.role, r.requestedBy.rawValue, r.requestedAt.millis])
        }
    }

    /// Requests still waiting, oldest first.
    public func pendingRequests() async throws -> [AccountRequest] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM account_request WHERE approved_by IS NULL
                AND account_id NOT IN (SELECT account_id FROM account_departure) ORDER BY requested_at
                """).map(AccountRequest.init(row:))
        }
    }

    /// Approves a pending request and applies it, in one transaction: the account becomes
    /// active, or takes its new role. The database itself refuses an approval by the requester.
    /// - Throws: ``StoreError/notFound`` if there is no such pending request.
    public func approve(request id: String, by approver: AccountID, at: Date) async throws -> AccountRequest {
        try await write { db in
            guard let r = try Row.fetchOne(db, sql: """
                SELECT * FROM account_request WHERE id = ? AND approved_by IS NULL
                AND account_id NOT IN (SELECT account_id FROM account_departure)
                """, arguments: [id])
                .map(AccountRequest.init(row:)) else { throw StoreError.notFound }
            try db.execute(sql: "UPDATE account_request SET approved_by = ?, approved_at = ? WHERE id = ?",
                           arguments: [approver.rawValue, at.millis, id])
            if r.kind == "create" {
                try db.execute(sql: "UPDATE account SET status = 'active' WHERE id = ? AND status = 'pending'", arguments: [r.account.rawValue])
            } else {
                try db.execute(sql: "UPDATE account SET role = ? WHERE id = ?", arguments: [r.role, r.account.rawValue])
            }
            return AccountRequest(id: r.id, account: r.account, kind: r.kind, role: r.role, requestedBy: r.requestedBy,
                                  requestedAt: r.requestedAt, approvedBy: approver)
        }
    }
}

extension AccountRequest {
    fileprivate init(row: Row) {
        self.init(id: row["id"], account: AccountID(trusted: row["account_id"]), kind: row["kind"], role: row["role"],
                  requestedBy: AccountID(trusted: row["requested_by"]), requestedAt: Date(millis: row["requested_at"]),
                  approvedBy: (row["approved_by"] as String?).map(AccountID.init(trusted:)))
    }
}
