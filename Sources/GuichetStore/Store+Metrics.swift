public import Foundation
import GRDB

/// What the metrics endpoint reports from the database: counts only, never a person or a name.
public struct StoreGauges: Sendable {
    public let ledgerEntries: Int64
    public let latestCheckpointSize: Int64?
    public let latestCheckpointAt: Date?
    public let accountsByStatus: [String: Int]
    public let pendingPrivilegedRequests: Int
    public let lockedSignInNames: Int
    /// Caseload assignments and transfers awaiting a second administrator.
    public let pendingCaseloadRequests: Int
    /// Notices transitions owe, by status (`pending`, `sent`, `superseded`, `failed`).
    public let noticesByStatus: [String: Int]

    public init(ledgerEntries: Int64, latestCheckpointSize: Int64?, latestCheckpointAt: Date?, accountsByStatus: [String: Int],
                pendingPrivilegedRequests: Int, lockedSignInNames: Int, pendingCaseloadRequests: Int, noticesByStatus: [String: Int]) {
        self.ledgerEntries = ledgerEntries; self.latestCheckpointSize = latestCheckpointSize; self.latestCheckpointAt = latestCheckpointAt
        self.accountsByStatus = accountsByStatus; self.pendingPrivilegedRequests = pendingPrivilegedRequests
        self.lockedSignInNames = lockedSignInNames; self.pendingCaseloadRequests = pendingCaseloadRequests; self.noticesByStatus = noticesByStatus
    }
}

extension Store {
    /// Counts for monitoring, each answered by an index or a small table.
    public func gauges() async throws -> StoreGauges {
        try await read { db in
            let entries = try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry") ?? 0
            let checkpoint = try Row.fetchOne(db, sql: "SELECT size, at FROM ledger_checkpoint ORDER BY size DESC LIMIT 1")
            var byStatus: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM account GROUP BY status") {
                byStatus[row["status"]] = row["n"]
            }
            let pending = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM account_request WHERE approved_by IS NULL") ?? 0
            let locked = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM sign_in_throttle WHERE locked = 1") ?? 0
            let caseloads = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM caseload_request WHERE approved_by IS NULL") ?? 0
            var notices: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM notice_outbox GROUP BY status") { notices[row["status"]] = row["n"] }
            return StoreGauges(ledgerEntries: entries, latestCheckpointSize: checkpoint?["size"],
                               latestCheckpointAt: (checkpoint?["at"] as Int64?).map(Date.init(millis:)),
                               accountsByStatus: byStatus, pendingPrivilegedRequests: pending, lockedSignInNames: locked,
                               pendingCaseloadRequests: caseloads, noticesByStatus: notices)
        }
    }
}
