import Foundation
import GRDB

/// Why a backup or a restore was refused. Messages name files and counts, never a value.
public enum BackupError: Error, Sendable, Equatable, CustomStringConvertible {
    /// There is no registry database to back up.
    case noDatabase(String)
    /// The file is not a SQLite database (or not a whole one).
    case notABackup(String)
    /// The output file exists already (a backup never overwrites one).
    case outputExists(String)
    /// The output's folder does not exist.
    case noOutputFolder(String)
    /// The target holds a registry already and replacing it was not asked for.
    case targetNotEmpty(String)
    /// SQLite's own check of the copy failed.
    case damaged(String)
    /// The copy's ledger does not verify against its signed checkpoints.
    case ledger(String)

    public var description: String {
        switch self {
        case .noDatabase(let p): "no registry database at \(p)"
        case .notABackup(let p): "\(p) is not a Guichet backup (not a whole SQLite database)"
        case .outputExists(let p): "\(p) exists already; a backup never overwrites a file: choose another name or remove it"
        case .noOutputFolder(let p): "the folder \(p) does not exist: create it, or choose another place for the backup"
        case .targetNotEmpty(let p): "\(p) holds a registry already; stop its server and pass --replace to overwrite it, or restore into an empty folder"
        case .damaged(let m): "the backup is damaged (SQLite integrity check: \(m)); nothing was restored"
        case .ledger(let m): "the backup's ledger does not verify: \(m); nothing was restored"
        }
    }
}

/// What a backup holds.
public struct BackupSummary: Sendable, Equatable {
    public let bytes: Int64
    public let ledgerEntries: Int64
    /// Tree size of the latest signed checkpoint in the copy (nil: none).
    public let checkpointSize: Int64?
}

extension Store {
    /// Whether a backup may be written at `output`: no file there yet, in a folder that exists.
    /// Checked before anything is copied (and before the command says it starts).
    /// - Throws: ``BackupError/outputExists(_:)``, ``BackupError/noOutputFolder(_:)``.
    public static func checkBackupTarget(_ output: String) throws {
        let files = FileManager.default
        guard !files.fileExists(atPath: output) else { throw BackupError.outputExists(output) }
        let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
        var isFolder: ObjCBool = false
        guard files.fileExists(atPath: folder, isDirectory: &isFolder), isFolder.boolValue else { throw BackupError.noOutputFolder(folder) }
    }

    /// Copies a registry's database into `output` with SQLite's online backup API, while its
    /// server keeps running: the copy is one consistent snapshot (one read transaction of the
    /// WAL database), so every transaction committed before the copy began is in it, whole, and
    /// none that committed later is in part. The key file is never part of it: the copy holds
    /// the database only (sealed fields, wrapped data keys, the ledger), and is useless without
    /// the keys, which are backed up apart (docs/KEYS.md).
    ///
    /// The copy is written to a temporary file of mode 0600 beside `output`, made a single
    /// self-contained file (rollback journal, no -wal), flushed to disk, then renamed.
    /// - Throws: ``BackupError/noDatabase(_:)``, ``BackupError/outputExists(_:)``, or
    ///   ``StoreError/io(_:)`` when SQLite or the file system fails.
    public static func backup(database: String, to output: String) throws -> BackupSummary {
        let files = FileManager.default
        guard files.fileExists(atPath: database) else { throw BackupError.noDatabase(database) }
        try checkBackupTarget(output)
        let partial = output + ".partial"
        try? files.removeItem(atPath: partial)
        guard files.createFile(atPath: partial, contents: nil, attributes: [.posixPermissions: fileMode]) else {
            throw StoreError.io("cannot create \(partial)")
        }
        do {
            var config = Configuration()
            config.busyMode = .timeout(30)
            let source = try DatabasePool(path: database, configuration: config)
            let copy = try DatabaseQueue(path: partial)
            try source.backup(to: copy)
            try source.close()
            let summary = try copy.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA journal_mode = DELETE")
                return (try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(idx) + 1, 0) FROM ledger_entry") ?? 0,
                        try Int64.fetchOne(db, sql: "SELECT MAX(size) FROM ledger_checkpoint"))
            }
            try copy.close()
            try Self.flush(partial)
            try files.moveItem(atPath: partial, toPath: output)
            try files.setAttributes([.posixPermissions: fileMode], ofItemAtPath: output)
            let bytes = (try files.attributesOfItem(atPath: output)[.size] as? NSNumber)?.int64Value ?? 0
            return BackupSummary(bytes: bytes, ledgerEntries: summary.0, checkpointSize: summary.1)
        } catch let e as BackupError {
            try? files.removeItem(atPath: partial)
            throw e
        } catch {
            try? files.removeItem(atPath: partial)
            throw StoreError.io("backup failed (\(Self.safe(error)))")
        }
    }

    /// Copies a backup file to `path` (mode 0600) for a restore, after checking that it is a
    /// whole SQLite database that passes SQLite's integrity check.
    /// - Throws: ``BackupError/notABackup(_:)``, ``BackupError/damaged(_:)``.
    public static func copyBackup(_ backup: String, to path: String) throws {
        let files = FileManager.default
        guard let handle = FileHandle(forReadingAtPath: backup) else { throw BackupError.notABackup(backup) }
        let header = (try? handle.read(upToCount: 16)) ?? Data()
        try? handle.close()
        guard header == Data("SQLite format 3\0".utf8) else { throw BackupError.notABackup(backup) }
        for file in [path, path + "-wal", path + "-shm"] { try? files.removeItem(atPath: file) }
        guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: fileMode]) else {
            throw StoreError.io("cannot create \(path)")
        }
        do {
            let source = try DatabaseQueue(path: backup, configuration: { var c = Configuration(); c.readonly = true; return c }())
            let copy = try DatabaseQueue(path: path)
            try source.backup(to: copy)
            try source.close()
            let check = try copy.read { db in try Self.integrityProblems(db) }
            try copy.close()
            guard check.isEmpty else {
                // The first three problems; SQLite may put many in one row, one per line.
                let lines = check.flatMap { $0.split(separator: "\n").map(String.init) }
                let more = lines.count > 3 ? "; and \(lines.count - 3) more" : ""
                throw BackupError.damaged(lines.prefix(3).joined(separator: "; ") + more)
            }
            try files.setAttributes([.posixPermissions: fileMode], ofItemAtPath: path)
        } catch let e as BackupError {
            throw e
        } catch let e as DatabaseError where e.resultCode == .SQLITE_NOTADB || e.resultCode == .SQLITE_CORRUPT {
            throw BackupError.notABackup(backup)
        } catch {
            throw StoreError.io("cannot copy the backup (\(Self.safe(error)))")
        }
    }

    /// SQLite's `quick_check`, less its false reports: SQLite 3.40 reports "NULL value in
    /// T.C" for NOT NULL columns of WITHOUT ROWID tables that hold no NULL (checked here with
    /// a query of its own; a NULL that is really there is still reported).
    static func integrityProblems(_ db: Database) throws -> [String] {
        try String.fetchAll(db, sql: "PRAGMA quick_check").filter { line in
            guard line != "ok" else { return false }
            let prefix = "NULL value in "
            guard line.hasPrefix(prefix) else { return true }
            let parts = line.dropFirst(prefix.count).split(separator: ".")
            guard parts.count == 2, parts.allSatisfy({ $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } }) else { return true }
            let nulls = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(parts[0]) WHERE \(parts[1]) IS NULL") ?? 1
            return nulls > 0
        }
    }

    /// Closes the database (a restore renames the file it verified once it is closed).
    /// - Throws: ``StoreError/io(_:)`` when a statement is still running.
    public func close() throws {
        do { try pool.close() } catch { throw StoreError.io("cannot close the database (\(Self.safe(error)))") }
    }

    /// Writes a file's data to disk (`fsync`) before it is renamed into place.
    static func flush(_ path: String) throws {
        guard let handle = FileHandle(forUpdatingAtPath: path) else { throw StoreError.io("cannot open \(path)") }
        defer { try? handle.close() }
        try handle.synchronize()
    }
}
