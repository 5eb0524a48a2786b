public import GuichetCore
public import GuichetPolicy
import GuichetGate
import GuichetStore
import GuichetPostgres
import Foundation

/// What `guichet policy explain` says: the account, the dossier and the policy's reasons.
public struct ConsoleExplanation: Sendable {
    /// `USER (role R) → ACTION on TYPE ID in state S, purpose P`.
    public let heading: String
    public let explanation: Explanation
}

extension Deployment {
    /// Explains, rule by rule, what the policy decides for an account of this folder, a dossier,
    /// an action and a purpose, from the account and the dossier's relations only (no personal
    /// field is read, no key is needed): the operator's tool on the server itself. The admin API's
    /// `Gate.explain` does the same for a signed-in officer, journalled.
    /// - Throws: ``DeploymentError`` for an unknown purpose, account or dossier.
    public func explain(username: String, dossier: DossierID, action: Action, purpose: String?) async throws -> ConsoleExplanation {
        guard exists else { throw DeploymentError("no registry in \(folder.path)") }
        guard let name = try readSettings().profile else { throw DeploymentError("no profile in \(configFile)") }
        let profile = try Self.loadProfile(try Self.resolveProfile(name))
        if let purpose, !profile.purposes.contains(purpose) {
            throw DeploymentError("unknown purpose '\(purpose)' (expected one of: \(profile.purposes.joined(separator: ", ")))")
        }
        func read(_ store: any GateStorage) async throws -> (AccountRecord, DossierRecord) {
            guard let account = try await store.account(username: username) else { throw DeploymentError("no account '\(username)'") }
            guard let record = try await store.dossier(dossier) else { throw DeploymentError("no dossier \(dossier)") }
            return (account, record)
        }
        let account: AccountRecord, record: DossierRecord
        switch try storeLocation() {
        case .sqlite: (account, record) = try await read(try Store(path: database))
        case .postgres(let address):
            let store = try await Self.connect(address)
            do { (account, record) = try await read(store) } catch { await store.close(); throw error }
            await store.close()
        }
        let e = Policy(profile: profile).explain(Gate.subject(of: account), action, record.facts, purpose: purpose)
        return ConsoleExplanation(
            heading: "\(username) (role \(account.role)) → \(action) on \(record.type) \(dossier) in state \(record.status), purpose \(purpose ?? "none")",
            explanation: e)
    }
}
