public import GuichetCore
public import Foundation
import GRDB
import Synchronization
import GRDBSQLite

/// Errors of the store. Messages carry no personal data.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The record changed since it was read (optimistic concurrency).
    case versionConflict
    case notFound
    /// A uniqueness rule was broken (for example a user name already taken).
    case duplicate(String)
    /// The database could not be opened or written.
    case io(String)
    /// The storage refused a write for now: the disk is full, the filesystem turned
    /// read-only, or an I/O error (SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR). The
    /// transaction was rolled back; the same write may succeed once the storage is back.
    case unavailable(String)
    /// A limit checked in the same transaction as the write was reached (the index of the
    /// limit in the list the caller gave): nothing was written.
    case limitReached(Int)

    public var description: String {
        switch self {
        case .versionConflict: "the record changed since it was read"
        case .notFound: "not found"
        case .duplicate(let what): "\(what) already exists"
        case .io(let m): "storage error: \(m)"
        case .unavailable(let m): "storage unavailable: \(m)"
        case .limitReached(let i): "limit \(i) reached"
        }
    }
}

/// The persistence façade over SQLite (GRDB `DatabasePool`, WAL). Its methods are the only
/// transactions that exist; each keeps the invariants (versions kept, nothing deleted).
public final class Store: Sendable {
    let pool: DatabasePool
    /// Told of each step of a bulk import's move (``observeStageMoves(_:)``).
    let stageMoveObserver = Mutex<(@Sendable (StageMoveStep) -> Void)?>(nil)
    /// The database file.
    public let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    /// - Throws: ``StoreError/io(_:)`` when the file cannot be opened or migrated.
    public init(path: String) throws {
        var config = Configuration()
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(Self.busySeconds)
        config.prepareDatabase { db in
            // Durability: a committed transaction survives a power cut (WAL + FULL).
            try db.execute(sql: "PRAGMA synchronous = FULL")
            // Random identifiers scatter inserts over the B-trees: keep the working set in
            // memory (64 MiB page cache per connection, allocated as used).
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // Not mapped: in WAL mode a reader whose next transaction finds the database
            // changed drops its whole mapping, and the gate appends to the ledger on every
            // read, so each read paid an munmap, a new mmap and page faults (issue 18: about a
            // tenth of the gate's CPU, and the process's memory map lock held meanwhile).
            try db.execute(sql: "PRAGMA mmap_size = 0")
            // Deleted content is overwritten with zeros, in the page and on the free list:
            // crypto-shredding sets a wrapped key to NULL and deletes search terms, and their
            // bytes must not stay readable in the file. Debian's SQLite is built with this on;
            // it is set here so that no other build of SQLite turns it off.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        do {
            // Owner-only, like the key file: SQLite gives the -wal and -shm files the mode of
            // the database file, so a new one is created 0600 before SQLite opens it, and the
            // files of an existing one are brought to 0600 before and after.
            let files = FileManager.default
            try Self.requireWritable(path)
            if !files.fileExists(atPath: path) {
                guard files.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: Self.fileMode]) else {
                    throw StoreError.io("cannot create the database file")
                }
            }
            try Self.restrictFiles(path)
            pool = try DatabasePool(path: path, configuration: config)
            // GRDB sets `synchronous = NORMAL` on the writer when it turns WAL on, after
            // `prepareDatabase`: put FULL back, or the last commits before a power cut or a
            // filesystem failure are lost, ledger entries of data already returned among them
            // (found by the storage drill, Tests/peers/storage_drill.py).
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
            try Self.restrictFiles(path)
            try Migrations.migrator.migrate(pool)
        } catch let e as StoreError {
            throw e
        } catch {
            throw StoreError.io("cannot open the database (\(Self.safe(error)))")
        }
        self.path = path
    }

    /// Refuses, saying why, a database whose folder or file cannot be written: SQLite in WAL
    /// mode writes beside the file even to read it, and Guichet journals every access.
    static func requireWritable(_ path: String) throws {
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        for target in [folder] + (FileManager.default.fileExists(atPath: path) ? [path] : []) where access(target, W_OK) != 0 {
            let why = errno == EROFS ? "is on a read-only file system" : "is not writable by this user"
            throw StoreError.io("\(target) \(why): Guichet writes its database even to read it (the ledger, SQLite's WAL); "
                                + "give it a writable folder, or copy the data folder to one (a copy verifies and serves as the original)")
        }
    }

    /// The mode of the database file and of its -wal and -shm files: read and write by the
    /// owner only.
    public static let fileMode = 0o600

    /// Sets ``fileMode`` on the database file and on its -wal and -shm files where they exist,
    /// and on a bulk import's stage and its journal (``stagePath``).
    static func restrictFiles(_ path: String) throws {
        let stage = stagePath(path)
        for file in [path, path + "-wal", path + "-shm", stage, stage + "-journal"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: fileMode], ofItemAtPath: file)
        }
    }

    /// A short, value-free description of a database error.
    static func safe(_ error: any Error) -> String {
        if let e = error as? DatabaseError {
            // Said in words where an operator can act (a lifecycle audit met "SQLite code 13").
            switch e.resultCode {
            case .SQLITE_FULL: return "the disk holding the database is full: free space, then retry (nothing was written)"
            case .SQLITE_READONLY: return "the database cannot be written (a read-only file or filesystem)"
            case .SQLITE_IOERR: return "the disk returned an input/output error (SQLite code \(e.extendedResultCode.rawValue))"
            case .SQLITE_CANTOPEN: return "the database file cannot be opened: check the data folder and its permissions"
            default: return "SQLite code \(e.resultCode.rawValue)"
            }
        }
        return String(describing: type(of: error))
    }

    /// Whether a database error means the storage cannot take writes for now (disk full,
    /// read-only filesystem, I/O error) rather than a fault of the request or the schema.
    static func isStorageFault(_ error: any Error) -> Bool {
        guard let e = error as? DatabaseError else { return false }
        return [.SQLITE_FULL, .SQLITE_READONLY, .SQLITE_IOERR, .SQLITE_CANTOPEN].contains(e.resultCode)
    }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await pool.read(body) } catch let e as StoreError { throw e } catch where Self.isStorageFault(error) {
            throw StoreError.unavailable(Self.safe(error))
        } catch {
            throw StoreError.io(Self.safe(error))
        }
    }

    /// ``write(_:)`` without the transaction around `body`, which opens its own (for the
    /// settings that cannot change inside one, such as `PRAGMA foreign_keys`).
    func writeWithoutTransaction<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        try await write(body, transaction: false)
    }

    /// A write that destroys key material or search terms (crypto-shredding), then
    /// ``purgeWAL()``: so that neither the database file nor its WAL still holds the bytes the
    /// write removed once it has returned. (An archive that re-wraps keys purges too.)
    func writeErasing<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        let result = try await write(body)
        await purgeWAL()
        return result
    }

    /// How long a connection waits for another's lock before SQLITE_BUSY.
    static let busySeconds: TimeInterval = 10

    /// Copies the WAL into the database file and truncates it to zero bytes. `secure_delete`
    /// zeroes removed bytes in the pages a transaction writes, but the WAL keeps the earlier
    /// images of those pages (a wrapped key before it was shredded) until later commits write
    /// over them, which may be never.
    ///
    /// Each attempt holds the one writer, which every ledger append needs, so it waits at most
    /// ``purgeWaitMillis`` for readers to leave the WAL (a backup or a long query may hold it
    /// for minutes). When they do not, it tries twice more a quarter of a second apart before
    /// the write returns, then again in the background once a second until it succeeds (for
    /// an hour at most).
    func purgeWAL() async {
        for attempt in 0..<3 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(250)) }
            guard await truncateWAL() == .busy else { return }
        }
        Task.detached { [self] in
            for _ in 0..<3_600 {
                try? await Task.sleep(for: .seconds(1))
                if await truncateWAL() != .busy { return }
            }
        }
    }

    enum Checkpointed { case done, busy, failed }

    /// How long one attempt of ``purgeWAL()`` waits for readers to leave the WAL.
    static let purgeWaitMillis: Int32 = 200

    /// A `TRUNCATE` checkpoint: done (every frame copied, the WAL emptied), busy (readers or
    /// another process held the WAL), or failed otherwise (a closed or broken store: no retry).
    private func truncateWAL() async -> Checkpointed {
        do {
            _ = try await pool.writeWithoutTransaction { db in
                sqlite3_busy_timeout(db.sqliteConnection, Self.purgeWaitMillis)
                defer { sqlite3_busy_timeout(db.sqliteConnection, Int32(Self.busySeconds * 1_000)) }
                return try db.checkpoint(.truncate)
            }
            return .done
        } catch let e as DatabaseError where e.resultCode == .SQLITE_BUSY || e.resultCode == .SQLITE_LOCKED {
            return .busy
        } catch {
            return .failed
        }
    }

    func write<T: Sendable>(_ body: @Sendable (Database) throws -> T, transaction: Bool = true) async throws -> T {
        do { return try await transaction ? pool.write(body) : pool.writeWithoutTransaction(body) } catch let e as StoreError { throw e } catch let e as DatabaseError
            where e.resultCode == .SQLITE_CONSTRAINT && (e.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE || e.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY) {
            throw StoreError.duplicate("record")
        } catch where Self.isStorageFault(error) {
            throw StoreError.unavailable(Self.safe(error))
        } catch {
            throw StoreError.io(Self.safe(error))
        }
    }

    // MARK: meta

    /// A value from the metadata table (profile name, creation time).
    public func meta(_ key: String) async throws -> String? {
        try await read { db in try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = ?", arguments: [key]) }
    }

    /// Sets a metadata value.
    public func setMeta(_ key: String, _ value: String) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO meta(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                           arguments: [key, value])
        }
    }

    // MARK: organisations

    /// Adds organisations.
    public func insert(organisations: [Organisation], at: Date) async throws {
        try await write { db in
            let stmt = try db.makeStatement(sql: "INSERT INTO organisation(id, kind, name, territory, capacity, created_at) VALUES (?, ?, ?, ?, ?, ?)")
            for o in organisations {
                try stmt.execute(arguments: [o.id.rawValue, o.kind, o.name, o.territory, o.capacity, at.millis])
            }
        }
    }

    /// Sets or removes (nil) an organisation's capacity; false when there is no such organisation.
    public func setCapacity(of id: OrganisationID, to capacity: Int?) async throws -> Bool {
        try await write { db in
            try db.execute(sql: "UPDATE organisation SET capacity = ? WHERE id = ?", arguments: [capacity, id.rawValue])
            return db.changesCount > 0
        }
    }

    /// Organisations, optionally of one kind, by name.
    public func organisations(kind: String?) async throws -> [Organisation] {
        try await read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM organisation WHERE (?1 IS NULL OR kind = ?1) ORDER BY name, id", arguments: [kind])
            return rows.map(Organisation.init(row:))
        }
    }

    /// One organisation.
    public func organisation(_ id: OrganisationID) async throws -> Organisation? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM organisation WHERE id = ?", arguments: [id.rawValue]).map(Organisation.init(row:))
        }
    }
}

extension Organisation {
    init(row: Row) {
        self.init(id: OrganisationID(trusted: row["id"]), kind: row["kind"], name: row["name"],
                  territory: row["territory"], capacity: row["capacity"])
    }
}

extension Date {
    /// Milliseconds since 1970, as stored.
    /// Rounded to the nearest: compare a stored instant with `Date(millis: now.millis)`, not
    /// with `now`, or an instant of the same millisecond may look up to 0.5 ms in the future.
    public var millis: Int64 { Int64((timeIntervalSince1970 * 1000).rounded()) }
    /// From stored milliseconds.
    public init(millis: Int64) { self.init(timeIntervalSince1970: Double(millis) / 1000) }
}
