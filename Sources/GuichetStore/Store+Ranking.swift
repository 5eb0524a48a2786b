public import Foundation
import GRDB
public import GuichetCore

/// A dossier as a waiting list orders it: its id, application date and sealed fields (whose
/// public entries the keys read; nothing here is decrypted).
public struct RankCandidate: Sendable {
    public let id: DossierID
    public let createdAt: Date
    public let fields: SealedFields
    public init(id: DossierID, createdAt: Date, fields: SealedFields) { self.id = id; self.createdAt = createdAt; self.fields = fields }
}

extension Store {
    /// The dossiers of a type in some states that chose an organisation (partner), for a
    /// waiting list or a capacity count. Cost grows with that organisation's dossiers only
    /// (index `dossier_partner_by_organisation`).
    public func rankCandidates(type: String, partner: OrganisationID, states: Set<String>) async throws -> [RankCandidate] {
        let marks = Array(repeating: "?", count: states.count).joined(separator: ",")
        let sql = """
            SELECT d.id, d.created_at, d.fields FROM dossier_partner p JOIN dossier d ON d.id = p.dossier_id
            WHERE p.organisation_id = ? AND d.type = ? AND d.status IN (\(marks))
            """
        let arguments = StatementArguments([partner.rawValue, type] + states.sorted())
        return try await read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map {
                RankCandidate(id: DossierID(trusted: $0["id"]), createdAt: Date(millis: $0["created_at"]), fields: SealedFields(bytes: $0["fields"]))
            }
        }
    }
}
