public import GuichetCore
import GuichetStore
public import GuichetVault
import GuichetAuth
import GuichetLedger
import GuichetMFA
import Foundation

/// What a restore did.
public struct RestoreReport: Sendable, Equatable {
    /// The profile the restored registry holds.
    public let profile: String
    public let ledgerEntries: Int64
    public let checkpoints: Int
    /// Tree size of the latest signed checkpoint (nil: none); entries after it were not yet signed.
    public let checkpointSize: Int64?
    /// Whether a registry that was there before was replaced.
    public let replaced: Bool
}

extension Registry {
    /// Restores a backup (made by ``Store/backup(database:to:)``) into `database`, accepting it
    /// only once it has proved whole:
    /// 1. it is a SQLite database that passes SQLite's integrity check;
    /// 2. it opens with these keys (the registry's key check, as `guichet serve` does);
    /// 3. its ledger verifies: the whole tree recomputed from the entries, every stored hash and
    ///    every signed checkpoint checked (``LedgerAuditor/verify(batchSize:progressStep:progress:)``),
    ///    then its look-up indexes against the entries (``LedgerAuditor/verifyIndexes(size:batchSize:progress:)``).
    ///
    /// The checks run on a copy beside the target (`database.restoring`); only a copy that
    /// passed them is put in place, so a refused backup leaves the target as it was.
    /// - Parameters:
    ///   - replace: overwrite a registry that is already at `database` (its server must be stopped).
    ///   - loadProfile: loads the profile named in the backup.
    /// - Throws: ``BackupError`` (not a backup, damaged, target not empty, ledger does not
    ///   verify), ``KeyError/mismatch(_:)`` when the keys are not this registry's.
    public static func restore(from backup: String, into database: String, replace: Bool, keys: any KeyProvider, keysOrigin: String,
                               loadProfile: (String) throws -> Profile) async throws -> RestoreReport {
        let files = FileManager.default
        let exists = files.fileExists(atPath: database)
        if exists && !replace { throw BackupError.targetNotEmpty(database) }
        let candidate = database + ".restoring"
        defer { for f in [candidate, candidate + "-wal", candidate + "-shm"] { try? files.removeItem(atPath: f) } }
        try Store.copyBackup(backup, to: candidate)

        let profileName: String
        do {
            let store = try Store(path: candidate)  // brings an older backup's schema up to date
            guard let name = try await store.meta("profile") else { throw BackupError.notABackup(backup) }
            profileName = name
            try store.close()
        }
        let registry = try await Registry.open(database: candidate, profile: try loadProfile(profileName), keys: keys, keysOrigin: keysOrigin,
                                               options: RegistryOptions(relyingParty: RelyingParty(id: "localhost", origin: "http://localhost"), watch: nil))
        let report = try await registry.gate.auditor.verify()
        if let problem = report.problem { throw BackupError.ledger(problem) }
        if let problem = try await registry.gate.auditor.verifyIndexes(size: report.entries).problem { throw BackupError.ledger(problem) }
        let signed = try await registry.store.latestCheckpoint()?.size
        // The verified copy, made one self-contained file by the backup API (its WAL included),
        // is renamed into place: the registry that was there is removed only once it exists.
        let verified = database + ".verified"
        try? files.removeItem(atPath: verified)
        defer { try? files.removeItem(atPath: verified) }
        _ = try Store.backup(database: candidate, to: verified)
        try? registry.store.close()
        for f in [database, database + "-wal", database + "-shm"] where files.fileExists(atPath: f) { try files.removeItem(atPath: f) }
        try files.moveItem(atPath: verified, toPath: database)
        return RestoreReport(profile: profileName, ledgerEntries: report.entries, checkpoints: report.checkpoints,
                             checkpointSize: signed, replaced: exists)
    }
}
