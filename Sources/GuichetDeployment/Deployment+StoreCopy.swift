import Foundation
public import GuichetPostgres
import GuichetStore
import GuichetGate
import GuichetLedger

extension Deployment {
    /// `guichet store copy`: this folder's SQLite registry copied into an empty PostgreSQL
    /// database (``StoreCopy/copy(from:to:verifier:origin:batch:progressEvery:timeout:progress:)``),
    /// with the folder locked as for a restore (no server may write meanwhile).
    /// - Parameter switchOver: once the copy is verified, write `store: ADDRESS` in the settings
    ///   (without its password), so that `serve` and the console use the copy.
    /// - Returns: the copy's report and where it went.
    /// - Throws: ``DeploymentError`` saying why, and that nothing was changed (never the password).
    public func copyStore(to text: String, keys flag: String?, timeout: Duration = .seconds(30), switchOver: Bool = false,
                          progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> (report: StoreCopyReport, address: PostgresAddress) {
        guard exists else { throw DeploymentError("no registry in \(folder.path); nothing was changed") }
        try requireSQLite("guichet store copy", instead: "it has already moved; nothing was changed")
        let address: PostgresAddress
        do {
            address = try Self.postgresAddress(text)
        } catch let e as PostgresStoreError { throw DeploymentError("\(e.description); nothing was changed") }
        // What a server wrote after the copy began would not be in the copy: none may run.
        let lock: ServeLock
        do { lock = try lockForServing(.restoring) } catch let e as DeploymentError {
            throw DeploymentError("\(e.description.replacingOccurrences(of: "before restoring into this folder", with: "before copying its registry")); nothing was changed")
        }
        defer { withExtendedLifetime(lock) {} }
        let registry = try await openExisting(keys: flag).registry
        progress("copying \(database) into \(address) (one transaction; nothing is committed before it verifies)")
        let report: StoreCopyReport
        do {
            report = try await StoreCopy.copy(from: registry.store, to: address, verifier: registry.gate.auditor.verifier,
                                              origin: registry.gate.auditor.origin, timeout: timeout, progress: progress)
        } catch let e as StoreCopyError { throw DeploymentError(e.description) } catch let e as PostgresStoreError {
            throw DeploymentError("\(e.description); nothing was changed")
        } catch let e as StoreError { throw DeploymentError("the copy failed: \(e.description); nothing was changed") }
        if switchOver {
            var settings = try readSettings()
            settings.store = address.setting  // never its password: PGPASSWORD or GUICHET_STORE gives it
            try writeSettings(settings)
        }
        return (report, address)
    }
}
