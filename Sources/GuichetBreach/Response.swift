public import GuichetCore
import GuichetStore
public import GuichetLedger
public import GuichetGate
public import Foundation

/// Steps of breach response shared by the CLI and the admin API.
public enum BreachResponse {
    /// Signs a checkpoint if the ledger grew since the latest one (or none exists), so that a
    /// scope covers every entry written until now; returns the checkpoint's reference.
    public static func checkpointNow(_ gate: Gate, at: Date = Date()) async throws -> CheckpointReference {
        let size = try await gate.ledgerSize()
        if let latest = try? await gate.auditor.checkpointReference(), latest.size == size { return latest }
        try await gate.checkpoint(at: at)
        return try await gate.auditor.checkpointReference()
    }

    /// The scope of a query over the whole ledger as it is now (a checkpoint is signed first
    /// when needed, and the scope names it).
    /// Honeytoken records the query reached are set apart (`decoyPersons`, `decoyDossiers`):
    /// nobody is notified for them, and they do not count as persons concerned.
    ///
    /// A scope of accounts (no session nor address named) takes in the citizen accounts that
    /// claimed a code those accounts issued in the window: whoever held the code read through
    /// them what the issuer's role may not (an attacker's audit: a stolen fund agent's codes,
    /// claimed from elsewhere, read bank details and salaries that its scope did not name).
    /// Their ids are added to the scope's accounts, so that the persons, the fields, the letters
    /// and the report count what they read; the incident keeps the accounts it was given.
    public static func scopeNow(_ gate: Gate, _ query: ScopeQuery) async throws -> BreachScope {
        _ = try await checkpointNow(gate)
        var scope = try await gate.auditor.scope(query)
        if !query.accounts.isEmpty, query.session == nil, query.source == nil {
            var accounts = Set(query.accounts)
            // Claimers issue no codes of their own (citizens): one widening is enough.
            let claimers = Set(scope.claimCodes.compactMap(\.claimedBy)).subtracting(accounts)
            if !claimers.isEmpty {
                accounts.formUnion(claimers)
                scope = try await gate.auditor.scope(ScopeQuery(accounts: Array(accounts), from: query.from, to: query.to))
            }
        }
        return try await gate.separatingDecoys(scope)
    }
}

extension BreachResponse {
    /// The account a scope names, given as an account id or as a user name of the registry (an
    /// operator knows the name; the id had to be looked up in `staff list`).
    /// - Throws: ``GuichetError/invalid(_:)`` when no account has that name.
    public static func account(named text: String, store: any GateStorage) async throws -> AccountID {
        if let id = AccountID(validating: text) { return id }
        guard let found = try await store.account(username: text) else { throw GuichetError.invalid("no account has the user name given: check its spelling") }
        return found.id
    }
}
