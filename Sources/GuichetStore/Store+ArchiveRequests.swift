public import GuichetCore
public import Foundation
import GRDB

/// A request to read an archived dossier, as stored.
public struct ArchiveRequestRecord: Sendable, Equatable {
    public let id: String
    public let dossier: DossierID
    public let account: AccountID
    public let purpose: String
    public let reference: String
    public let requestedAt: Date
    public let approvedBy: AccountID?
    public let expiresAt: Date?
    public init(id: String, dossier: DossierID, account: AccountID, purpose: String, reference: String, requestedAt: Date,
                approvedBy: AccountID?, expiresAt: Date?) {
        self.id = id; self.dossier = dossier; self.account = account; self.purpose = purpose; self.reference = reference
        self.requestedAt = requestedAt; self.approvedBy = approvedBy; self.expiresAt = expiresAt
    }
}

/// An erasure request as stored, with its receipt (canonical JSON, no personal value).
public struct ErasureRequestRecord: Sendable, Equatable {
    public let id: String
    public let person: PersonID
    public let recordedBy: AccountID
    public let reference: String
    public let recordedAt: Date
    public let ledgerIndex: Int64
    public let receipt: String
    public init(id: String, person: PersonID, recordedBy: AccountID, reference: String, recordedAt: Date, ledgerIndex: Int64, receipt: String) {
        self.id = id; self.person = person; self.recordedBy = recordedBy; self.reference = reference
        self.recordedAt = recordedAt; self.ledgerIndex = ledgerIndex; self.receipt = receipt
    }
}

extension Store {
    /// Stores a new archive read request (pending).
    public func insertArchiveRequest(id: String, dossier: DossierID, account: AccountID, purpose: String, reference: String, at: Date) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO archive_request(id, dossier_id, account_id, purpose, reference, requested_at) VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [id, dossier.rawValue, account.rawValue, purpose, reference, at.millis])
        }
    }

    /// One archive read request.
    public func archiveRequest(_ id: String) async throws -> ArchiveRequestRecord? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM archive_request WHERE id = ?", arguments: [id]).map(Self.archiveRequest) }
    }

    /// Pending archive read requests, oldest first.
    public func pendingArchiveRequests(limit: Int = 100) async throws -> [ArchiveRequestRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM archive_request WHERE approved_by IS NULL ORDER BY requested_at, id LIMIT ?",
                             arguments: [limit]).map(Self.archiveRequest)
        }
    }

    /// Approves a pending request by another account. Returns false when it was not pending
    /// or the approver is the requester (the table refuses that too).
    public func approveArchiveRequest(_ id: String, by approver: AccountID, at: Date, expires: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                UPDATE archive_request SET approved_by = ?, approved_at = ?, expires_at = ?
                WHERE id = ? AND approved_by IS NULL AND account_id != ?
                """, arguments: [approver.rawValue, at.millis, expires.millis, id, approver.rawValue])
            return db.changesCount == 1
        }
    }

    /// Whether an approved, unexpired archive read lets this account read this dossier for this purpose.
    public func archiveReadApproved(account: AccountID, dossier: DossierID, purpose: String, at: Date) async throws -> Bool {
        try await read { db in
            try Int.fetchOne(db, sql: """
                SELECT 1 FROM archive_request WHERE account_id = ? AND dossier_id = ? AND purpose = ?
                AND approved_by IS NOT NULL AND expires_at > ? LIMIT 1
                """, arguments: [account.rawValue, dossier.rawValue, purpose, at.millis]) != nil
        }
    }

    static func archiveRequest(_ row: Row) -> ArchiveRequestRecord {
        ArchiveRequestRecord(id: row["id"], dossier: DossierID(trusted: row["dossier_id"]), account: AccountID(trusted: row["account_id"]),
                             purpose: row["purpose"], reference: row["reference"], requestedAt: Date(millis: row["requested_at"]),
                             approvedBy: (row["approved_by"] as String?).map(AccountID.init(trusted:)),
                             expiresAt: (row["expires_at"] as Int64?).map(Date.init(millis:)))
    }

    /// Stores a completed erasure request and its receipt.
    public func insertErasureRequest(_ r: ErasureRequestRecord) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO erasure_request(id, person_id, recorded_by, reference, recorded_at, ledger_index, receipt) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.id, r.person.rawValue, r.recordedBy.rawValue, r.reference, r.recordedAt.millis, r.ledgerIndex, r.receipt])
        }
    }

    /// An erasure request by id.
    public func erasureRequest(_ id: String) async throws -> ErasureRequestRecord? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM erasure_request WHERE id = ?", arguments: [id]).map {
                ErasureRequestRecord(id: $0["id"], person: PersonID(trusted: $0["person_id"]), recordedBy: AccountID(trusted: $0["recorded_by"]),
                                     reference: $0["reference"], recordedAt: Date(millis: $0["recorded_at"]),
                                     ledgerIndex: $0["ledger_index"], receipt: $0["receipt"])
            }
        }
    }
}
