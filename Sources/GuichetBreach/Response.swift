import GuichetCore
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
    public static func scopeNow(_ gate: Gate, _ query: ScopeQuery) async throws -> BreachScope {
        _ = try await checkpointNow(gate)
        return try await gate.separatingDecoys(try await gate.auditor.scope(query))
    }
}
