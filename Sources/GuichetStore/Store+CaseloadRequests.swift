public import GuichetCore
public import Foundation
import GRDB

/// A caseload change asked for by one administrator, waiting for a second one (C17): a
/// caseload opens dossiers to its holder (R4: partner advisers' accounts were used to read
/// millions of files), so no single administrator's account grants one.
public struct CaseloadRequest: Sendable, Equatable {
    public enum Kind: String, Sendable { case assign, transfer }
    public let id: String
    public let kind: Kind
    /// Whose caseload the dossiers leave (a transfer only).
    public let from: AccountID?
    /// Who takes the dossiers.
    public let to: AccountID
    /// The dossiers, fixed when asked: the approver approves exactly these.
    public let dossiers: [DossierID]
    public let requestedBy: AccountID
    public let requestedAt: Date

    public init(id: String, kind: Kind, from: AccountID?, to: AccountID, dossiers: [DossierID], requestedBy: AccountID, requestedAt: Date) {
        self.id = id; self.kind = kind; self.from = from; self.to = to; self.dossiers = dossiers
        self.requestedBy = requestedBy; self.requestedAt = requestedAt
    }
}

extension Migrations {
    static let vCaseloadRequest = """
    CREATE TABLE caseload_request (
        id TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('assign', 'transfer')),
        from_account TEXT REFERENCES account(id),
        to_account TEXT NOT NULL REFERENCES account(id),
        dossiers TEXT NOT NULL,
        requested_by TEXT NOT NULL REFERENCES account(id),
        requested_at INTEGER NOT NULL,
        approved_by TEXT REFERENCES account(id),
        approved_at INTEGER,
        CHECK ((kind = 'transfer') = (from_account IS NOT NULL)),
        CHECK (approved_by IS NULL OR approved_by != requested_by)
    ) STRICT;
    CREATE INDEX caseload_request_pending ON caseload_request(requested_at) WHERE approved_by IS NULL;
    CREATE TRIGGER caseload_request_is_kept BEFORE DELETE ON caseload_request
    BEGIN SELECT RAISE(ABORT, 'caseload requests are kept'); END;
    """
}

extension Store {
    /// Records a caseload request.
    public func insert(caseloadRequest r: CaseloadRequest) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO caseload_request(id, kind, from_account, to_account, dossiers, requested_by, requested_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.id, r.kind.rawValue, r.from?.rawValue, r.to.rawValue, r.dossiers.map(\.rawValue).joined(separator: "\n"),
                                 r.requestedBy.rawValue, r.requestedAt.millis])
        }
    }

    /// Caseload requests still waiting, oldest first.
    public func pendingCaseloadRequests() async throws -> [CaseloadRequest] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM caseload_request WHERE approved_by IS NULL ORDER BY requested_at").map(CaseloadRequest.init(row:))
        }
    }

    /// Approves a pending caseload request and makes the change, in one transaction. The
    /// database itself refuses an approval by the requester.
    /// - Returns: the request approved.
    /// - Throws: ``StoreError/notFound`` when there is no such pending request, or when a
    ///   dossier to transfer has left `from`'s caseload meanwhile (nothing changes).
    public func approve(caseloadRequest id: String, by approver: AccountID, at: Date) async throws -> CaseloadRequest {
        try await write { db in
            guard let r = try Row.fetchOne(db, sql: "SELECT * FROM caseload_request WHERE id = ? AND approved_by IS NULL", arguments: [id])
                .map(CaseloadRequest.init(row:)) else { throw StoreError.notFound }
            try db.execute(sql: "UPDATE caseload_request SET approved_by = ?, approved_at = ? WHERE id = ?",
                           arguments: [approver.rawValue, at.millis, id])
            switch r.kind {
            case .assign: _ = try Self.assign(db, r.dossiers, to: r.to)
            case .transfer: _ = try Self.transfer(db, from: r.from!, to: r.to, only: r.dossiers) // a transfer has `from` (CHECK above)
            }
            return r
        }
    }
}

extension CaseloadRequest {
    fileprivate init(row: Row) {
        let text: String = row["dossiers"]
        self.init(id: row["id"], kind: Kind(rawValue: row["kind"]) ?? .assign, from: (row["from_account"] as String?).map(AccountID.init(trusted:)),
                  to: AccountID(trusted: row["to_account"]), dossiers: text.split(separator: "\n").map { DossierID(trusted: String($0)) },
                  requestedBy: AccountID(trusted: row["requested_by"]), requestedAt: Date(millis: row["requested_at"]))
    }
}
