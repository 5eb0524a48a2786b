public import GuichetCore
public import Foundation
import GRDB

/// The deactivation of a privileged account (an administrator, an account administrator, a
/// security officer) asked for by one administrator, waiting for a second one (C17): a
/// departure is for good, so one administrator's account must not be able to remove the
/// oversight and the co-administrator that the two-person rule depends on.
public struct DepartureRequest: Sendable, Equatable {
    public let id: String
    /// The account to deactivate.
    public let account: AccountID
    /// Why (no personal detail), recorded with the departure once approved.
    public let reason: String
    public let requestedBy: AccountID
    public let requestedAt: Date

    public init(id: String, account: AccountID, reason: String, requestedBy: AccountID, requestedAt: Date) {
        self.id = id; self.account = account; self.reason = reason; self.requestedBy = requestedBy; self.requestedAt = requestedAt
    }
}

extension Migrations {
    static let vDepartureRequest = """
    CREATE TABLE departure_request (
        id TEXT PRIMARY KEY NOT NULL,
        account_id TEXT NOT NULL REFERENCES account(id),
        reason TEXT NOT NULL,
        requested_by TEXT NOT NULL REFERENCES account(id),
        requested_at INTEGER NOT NULL,
        approved_by TEXT REFERENCES account(id),
        approved_at INTEGER,
        CHECK (requested_by != account_id),
        CHECK (approved_by IS NULL OR approved_by != requested_by),
        CHECK (approved_by IS NULL OR approved_by != account_id),
        CHECK ((approved_by IS NULL) = (approved_at IS NULL))
    ) STRICT;
    CREATE INDEX departure_request_pending ON departure_request(requested_at) WHERE approved_by IS NULL;
    CREATE TRIGGER departure_request_is_kept BEFORE DELETE ON departure_request
    BEGIN SELECT RAISE(ABORT, 'departure requests are kept'); END;
    """
}

extension Store {
    /// Records a departure request.
    public func insert(departureRequest r: DepartureRequest) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO departure_request(id, account_id, reason, requested_by, requested_at) VALUES (?, ?, ?, ?, ?)
                """, arguments: [r.id, r.account.rawValue, r.reason, r.requestedBy.rawValue, r.requestedAt.millis])
        }
    }

    /// Departure requests still waiting, oldest first.
    public func pendingDepartureRequests() async throws -> [DepartureRequest] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM departure_request WHERE approved_by IS NULL ORDER BY requested_at").map(DepartureRequest.init(row:))
        }
    }

    /// Approves a pending departure request and records the departure (as
    /// ``recordDeparture(_:reason:by:at:)``, by the approver), in one transaction. The database
    /// itself refuses an approval by the requester.
    /// - Throws: ``StoreError/notFound`` when there is no such pending request;
    ///   ``StoreError/duplicate(_:)`` when the departure is already recorded (nothing changes).
    public func approve(departureRequest id: String, by approver: AccountID, at: Date) async throws -> DepartureRequest {
        try await write { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT * FROM departure_request WHERE id = ? AND approved_by IS NULL", arguments: [id])
                .map(DepartureRequest.init(row:)) else { throw StoreError.notFound }
            try db.execute(sql: "UPDATE departure_request SET approved_by = ?, approved_at = ? WHERE id = ?",
                           arguments: [approver.rawValue, at.millis, id])
            try Self.recordDeparture(db, r.account, reason: r.reason, by: approver, at: at)
            return r
        }
    }
}

extension DepartureRequest {
    fileprivate init(row: Row) {
        self.init(id: row["id"], account: AccountID(trusted: row["account_id"]), reason: row["reason"],
                  requestedBy: AccountID(trusted: row["requested_by"]), requestedAt: Date(millis: row["requested_at"]))
    }
}
