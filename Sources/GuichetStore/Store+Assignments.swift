public import GuichetCore
import GRDB

extension Store {
    /// Puts dossiers in an account's caseload (the `assigned` relation of the policy). Used
    /// by imports and the demo; the dossiers' content is not touched.
    /// - Returns: how many dossiers were assigned.
    @discardableResult
    public func assign(_ dossiers: [DossierID], to account: AccountID) async throws -> Int {
        try await write { db in
            var n = 0
            for id in dossiers {
                try db.execute(sql: "UPDATE dossier SET assigned_agent_id = ? WHERE id = ?", arguments: [account.rawValue, id.rawValue])
                n += db.changesCount
            }
            return n
        }
    }
}
