public import GuichetCore
public import Foundation
import GRDB

/// A partner export as recorded: who received it and until when (its content is not kept).
public struct PartnerExportRecord: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let createdAt: Date
    public let expiresAt: Date
    public let dossiers: Int
    public let persons: Int
    public let ledgerIndex: Int64
    public init(id: String, account: AccountID, createdAt: Date, expiresAt: Date, dossiers: Int, persons: Int, ledgerIndex: Int64) {
        self.id = id; self.account = account; self.createdAt = createdAt; self.expiresAt = expiresAt
        self.dossiers = dossiers; self.persons = persons; self.ledgerIndex = ledgerIndex
    }
}

extension Store {
    /// Records an export and the ids of its canary rows, in one transaction.
    public func insertExport(_ e: PartnerExportRecord, canaries: [String]) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO partner_export(id, account_id, created_at, expires_at, dossiers, persons, ledger_index) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [e.id, e.account.rawValue, e.createdAt.millis, e.expiresAt.millis, e.dossiers, e.persons, e.ledgerIndex])
            let stmt = try db.cachedStatement(sql: "INSERT INTO export_canary(row_id, export_id) VALUES (?, ?)")
            for c in canaries { try stmt.execute(arguments: [c, e.id]) }
        }
    }

    /// The exports whose canary rows are among these row ids.
    public func exports(withCanaries rows: [String]) async throws -> [PartnerExportRecord] {
        try await read { db in
            var ids = Set<String>()
            let stmt = try db.cachedStatement(sql: "SELECT export_id FROM export_canary WHERE row_id = ?")
            for r in rows { if let id = try String.fetchOne(stmt, arguments: [r]) { ids.insert(id) } }
            return try ids.sorted().compactMap { id in
                try Row.fetchOne(db, sql: "SELECT * FROM partner_export WHERE id = ?", arguments: [id]).map(Self.exportRecord)
            }
        }
    }

    /// The exports an account made, newest first (at most `limit`).
    public func exports(account: AccountID, limit: Int = 100) async throws -> [PartnerExportRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM partner_export WHERE account_id = ? ORDER BY created_at DESC, id LIMIT ?",
                             arguments: [account.rawValue, limit]).map(Self.exportRecord)
        }
    }

    static func exportRecord(_ row: Row) -> PartnerExportRecord {
        PartnerExportRecord(id: row["id"], account: AccountID(trusted: row["account_id"]), createdAt: Date(millis: row["created_at"]),
                            expiresAt: Date(millis: row["expires_at"]), dossiers: row["dossiers"], persons: row["persons"],
                            ledgerIndex: row["ledger_index"])
    }
}
