public import Foundation
public import GuichetCore
import GRDB
import Synchronization

/// The tables an import writes: the registry's own, or their stage (same names with a prefix,
/// same columns, no key, no index, no constraint), where a bulk import appends its batches
/// until it ends (``Store/moveStage()``).
struct ImportTables: Sendable {
    let prefix: String
    static let live = ImportTables(prefix: "")
    static let stage = ImportTables(prefix: "import_stage_")
    func callAsFunction(_ table: String) -> String { prefix + table }

    /// Every table an import writes, in an order where each row's references are stored
    /// before it (keys and persons, then dossiers and their links and versions).
    static let tables = ["data_key", "person", "person_version", "person_term", "person_birth_year",
                         "dossier", "dossier_person", "dossier_partner", "dossier_version"]

    /// The indexes a move dropped and has still to build: (name, its `CREATE INDEX`). In the
    /// registry's file.
    static let pendingIndexes = "import_stage_index"

    /// The move's plan, in the registry's file: the tables staged when the move began, and
    /// whether each has moved in (its row set in the transaction that moves it).
    static let movePlan = "import_stage_move"

    /// Where a bulk import stands while it stages, in the stage's file: written in the same
    /// transaction as each batch (the registry's `import_run` keeps the run's start until
    /// the move).
    static let stagedRun = "import_stage_run"

    /// The tables whose rows hold nothing that crypto-shredding removes: fields sealed under a
    /// data key (shredding the key is what erases them), identifiers, links, times. When the
    /// move drops one of their indexes (or their stage, when it is in the registry's file),
    /// the freed pages need not be overwritten with zeros (`secure_delete`): those bytes are
    /// in the registry's tables too, and stay there after an erasure. A stage of `data_key`,
    /// `person_term` and `person_birth_year` in the registry's file is overwritten: an erasure
    /// removes a person's wrapped key, terms and birth-year tag, and a copy of them on a free
    /// page would outlive it. (The stage's own file is deleted whole: ``Store/stagePath``.)
    static let freedWithoutZeros: Set<String> = ["person", "person_version", "dossier", "dossier_person", "dossier_partner", "dossier_version"]
}

/// One step of a bulk import's move into the registry, as it ends: a table's staged rows moved
/// in, or an index that the move dropped built again. A move of tens of millions of persons
/// takes many minutes; these steps are its progress.
public struct StageMoveStep: Sendable {
    public enum Kind: Sendable { case moved(rows: Int), indexBuilt(name: String) }
    /// The registry's table (for an index, the table it indexes when known).
    public let table: String
    public let kind: Kind
    public let seconds: Double
}

extension Store {
    /// Calls `observer` after each step of a bulk import's move (``StageMoveStep``), on the
    /// store's writer: it should only record or print.
    public func observeStageMoves(_ observer: (@Sendable (StageMoveStep) -> Void)?) {
        stageMoveObserver.withLock { $0 = observer }
    }

    func tell(_ step: StageMoveStep) {
        let observer = stageMoveObserver.withLock { $0 }
        observer?(step)
    }

    /// The stage of a bulk import: a database file of its own beside the registry's, made by
    /// the first batch and deleted once the move has ended. Its rows are written once: the
    /// registry's file is in WAL mode, where every page goes to the WAL and then into the file,
    /// while the stage's file keeps a rollback journal, which holds the few pages a batch
    /// changes and none of those it appends (issue 18). Deleting it also frees the stage's
    /// copies of wrapped keys and search terms without overwriting them inside the registry's
    /// file (docs/KEYS.md). The same permissions as the registry's (``fileMode``).
    public var stagePath: String { Self.stagePath(path) }
    static func stagePath(_ path: String) -> String { path + "-import-stage" }

    /// Runs `body` on the writer, outside a transaction, with the stage's file attached as
    /// `stage` when it exists, made first when `create`; unqualified names of stage tables
    /// then reach it. A stage in the registry's own file (made by a Guichet of before
    /// December 2026) is used where it is: then nothing is attached, and nothing made.
    func withStage<T: Sendable>(create: Bool = false, _ body: @Sendable @escaping (Database) throws -> T) async throws -> T {
        let file = stagePath
        return try await writeWithoutTransaction { db in
            let exists = FileManager.default.fileExists(atPath: file)
            guard exists || create, try !Self.stageInRegistry(db) else { return try body(db) }
            if !exists {
                // A journal without its file (the file deleted by hand after a crash) would be
                // played back into the new file at its first read.
                try? FileManager.default.removeItem(atPath: file + "-journal")
                guard FileManager.default.createFile(atPath: file, contents: nil, attributes: [.posixPermissions: Self.fileMode]) else {
                    throw StoreError.io("cannot create the bulk import's stage file beside the database")
                }
            }
            try db.execute(sql: "ATTACH DATABASE ? AS stage", arguments: [file])
            db.clearSchemaCache()
            defer {
                try? db.execute(sql: "DETACH DATABASE stage")
                db.clearSchemaCache()
            }
            try db.execute(sql: "PRAGMA stage.journal_mode = DELETE")
            try db.execute(sql: "PRAGMA stage.synchronous = FULL")
            // Small, as the move's (``moveCacheKiB``): a batch appends a few MiB, and the move
            // reads the stage once, in order; 256 MiB held as much of the stage in memory.
            try db.execute(sql: "PRAGMA stage.cache_size = -\(Self.moveCacheKiB)")
            return try body(db)
        }
    }

    /// Whether the stage's own file is attached (``withStage(create:_:)``).
    static func stageAttached(_ db: Database) throws -> Bool {
        try String.fetchAll(db, sql: "SELECT name FROM pragma_database_list").contains("stage")
    }

    /// Whether the stage's tables are in the registry's own file (a stage made before the stage
    /// had a file of its own): it is then used, moved and dropped there, as it was made.
    static func stageInRegistry(_ db: Database) throws -> Bool {
        let names = ImportTables.tables.map { "'\(ImportTables.stage($0))'" }.joined(separator: ", ")
        return try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name IN (\(names)))") ?? false
    }

    /// Stores sealed persons, each with its data key, search terms and version 1.
    /// - Parameter staged: append them to the stage of a bulk import instead of the registry's
    ///   tables: they appear in the registry only at ``finishStagedImport()``.
    public func importPersons(_ persons: [NewPerson], at: Date, by: AccountID?, staged: Bool) async throws {
        guard staged else { return try await importPersons(persons, at: at, by: by) }
        try await withStage(create: true) { db in
            try db.inTransaction {
                try Self.createStage(db)
                try Self.insert(db, persons: persons.map { ($0, at) }, by: by, change: "import", into: .stage)
                return .commit
            }
        }
    }

    /// Moves everything staged into the registry's tables (``moveStage()``), outside any
    /// import run: the benchmark's bulk path. Returns how many persons it moved.
    @discardableResult
    public func finishStagedImport() async throws -> Int {
        let persons = try await moveStage()
        try await endStage { _ in }
        return persons
    }

    /// Whether rows wait in the stage of a bulk import, or indexes that its move dropped.
    public func hasStagedRows() async throws -> Bool {
        if FileManager.default.fileExists(atPath: stagePath) { return true }
        return try await read { db in
            try Self.stageInRegistry(db) || db.tableExists(ImportTables.pendingIndexes) || db.tableExists(ImportTables.movePlan)
        }
    }

    /// A bulk import that stopped while moving its stage into the registry: some tables may
    /// hold their part of it and others not yet, so no server may open the registry before
    /// the same `guichet import` has ended it.
    public func bulkImportMoving() async throws -> ImportRun? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM import_run WHERE staged = 2 AND finished_at IS NULL ORDER BY started_at LIMIT 1")
                .map(ImportRun.init(row:))
        }
    }

    /// `run` as its stage says it stands: a bulk import records its batches' progress in the
    /// stage, with the batches (``ImportTables/stagedRun``). Without a stage (a copy of the
    /// registry taken while it staged, without its stage file), the run stands where the
    /// registry says, at its start, and starts again from there.
    func withStagedProgress(_ run: ImportRun?) async throws -> ImportRun? {
        guard let run, run.staged, run.finishedAt == nil, FileManager.default.fileExists(atPath: stagePath) else { return run }
        return try await withStage { db in
            guard try Self.stageAttached(db), try db.tableExists(ImportTables.stagedRun, in: "stage") else { return run }
            return try Row.fetchOne(db, sql: "SELECT * FROM stage.\(ImportTables.stagedRun) WHERE id = ?", arguments: [run.id])
                .map(ImportRun.init(row:)) ?? run
        }
    }

    /// Records where a staging bulk import stands, in the transaction of its batch: in the
    /// stage's file, or in the registry's when the stage is there (``stageInRegistry(_:)``).
    static func recordStaged(_ db: Database, _ run: ImportRun) throws {
        guard try stageAttached(db), try db.tableExists(ImportTables.stagedRun, in: "stage") else { return try upsert(db, run) }
        try upsert(db, run, into: "stage.\(ImportTables.stagedRun)")
    }

    /// Ends a bulk import whose last batch is staged: records where it stands, marked as
    /// moving, moves the stage in (``moveStage()``), then deletes the stage and records its
    /// end (`run`, with `finishedAt`).
    func endBulkImport(_ run: ImportRun) async throws {
        let moving = run.unfinished
        try await write { db in
            try Self.upsert(db, moving)
            try db.execute(sql: "UPDATE import_run SET staged = 2 WHERE id = ?", arguments: [moving.id])
        }
        _ = try await moveStage()
        try await endStage { db in try Self.upsert(db, run) }
    }

    /// Deletes the stage's file (every table of it has moved), then, in one transaction of
    /// the registry, drops the move's plan and list of indexes and runs `then`. After a crash
    /// between the two, the same end finds the plan done and no file, and ends the same way.
    func endStage(_ then: @Sendable @escaping (Database) throws -> Void) async throws {
        let file = stagePath
        try await writeWithoutTransaction { db in
            // The journal first: left without its file, it would be played back into the next
            // import's stage file of the same name.
            for f in [file + "-journal", file] where FileManager.default.fileExists(atPath: f) {
                do { try FileManager.default.removeItem(atPath: f) } catch {
                    throw StoreError.io("cannot delete the bulk import's stage file, whose rows have all moved in: delete \(URL(fileURLWithPath: f).lastPathComponent) beside the database")
                }
            }
            try db.inTransaction {
                try db.execute(sql: "DROP TABLE IF EXISTS \(ImportTables.pendingIndexes)")
                try db.execute(sql: "DROP TABLE IF EXISTS \(ImportTables.movePlan)")
                try then(db)
                return .commit
            }
        }
    }

    /// Creates the stage tables that do not exist: the columns of each registry table, with
    /// neither key, index, constraint nor trigger, so that appending a row costs its bytes
    /// and not a page of a B-tree keyed by random ids; and the table of the run's progress.
    /// In the stage's file when it is attached, else (a stage of before) in the registry's.
    ///
    /// A stage made by an earlier version of Guichet (an import resumed after an upgrade) gets
    /// the columns its table gained since (`person`'s `changed_by` and `change`), so that the
    /// batches that follow can be appended to it.
    static func createStage(_ db: Database) throws {
        let schema = try stageAttached(db) ? "stage" : "main"
        if schema == "stage" {
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS stage.\(ImportTables.stagedRun) AS SELECT * FROM main.import_run WHERE 0")
            try db.execute(sql: "CREATE UNIQUE INDEX IF NOT EXISTS stage.\(ImportTables.stagedRun)_id ON \(ImportTables.stagedRun)(id)")
        }
        for table in ImportTables.tables {
            let stage = ImportTables.stage(table)
            guard try db.tableExists(stage) else {
                try db.execute(sql: "CREATE TABLE \(schema).\(stage) AS SELECT * FROM main.\(table) WHERE 0")
                continue
            }
            let staged = try Set(String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [stage]))
            for column in try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?, 'main') ORDER BY cid", arguments: [table]) where !staged.contains(column) {
                try db.execute(sql: "ALTER TABLE \(schema).\(stage) ADD COLUMN \(column)")
            }
        }
    }

    /// The registry's tables that have a stage (in the stage's file when attached, or in the registry's).
    static func stagedTables(_ db: Database) throws -> [String] {
        try ImportTables.tables.filter { try db.tableExists(ImportTables.stage($0)) }
    }

    /// Moves the staged rows into the registry's tables, table by table, and returns how many
    /// persons it moved. Resumable: the move's plan (``ImportTables/movePlan``), written
    /// first, names the staged tables, and each table moves whole in one transaction that
    /// also marks it moved, so after a crash the same call moves the tables left. The stage's
    /// file is read, never written: it is deleted whole at the end (``endStage(_:)``).
    ///
    /// Each table is filled in the order of its primary key (SQLite sorts the stage: it reads
    /// it whole before writing), so that its B-tree and its key's index are written page after
    /// page. When the stage holds at least a quarter as many rows as the table, the table's
    /// other indexes are dropped in that transaction and built in the next one, from the
    /// table as committed: a transaction's pages are read back through the WAL's index, whose
    /// look-up grows with the transaction (a 10 M-person move in one transaction spent most of
    /// its time in `sqlite3WalFindFrame`), so each transaction reads what the ones before
    /// wrote and checkpointed. The schema is the same afterwards. The rows and conflict rules
    /// are those of the direct path: a search term already stored is kept, a birth-year tag
    /// replaced, any other key taken fails that table's move.
    func moveStage() async throws -> Int {
        var persons = 0
        try await withStage { db in
            try db.inTransaction(.immediate) {
                guard try !db.tableExists(ImportTables.movePlan, in: "main") else { return .commit }
                try db.execute(sql: "CREATE TABLE main.\(ImportTables.movePlan) (name TEXT PRIMARY KEY NOT NULL, moved INTEGER NOT NULL DEFAULT 0)")
                for table in try Self.stagedTables(db) {
                    try db.execute(sql: "INSERT INTO main.\(ImportTables.movePlan)(name) VALUES (?)", arguments: [table])
                }
                return .commit
            }
        }
        try await buildPendingIndexes()
        for table in ImportTables.tables {
            let start = ContinuousClock.now
            // The foreign keys are checked once, before the rows go in (``checkReferences(_:_:)``),
            // not by SQLite row by row during the insert.
            guard let moved = try await withStage({ db -> Int? in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
                var moved: Int?
                try db.inTransaction(.immediate) {
                    moved = try Self.moveStaged(db, table)
                    return .commit
                }
                return moved
            }) else { continue }
            if table == "person" { persons = moved }
            await checkpoint()
            tell(StageMoveStep(table: table, kind: .moved(rows: moved), seconds: start.secondsSince))
            try await buildPendingIndexes()
        }
        return persons
    }

    /// One table's move (see ``moveStage()``), marked done in its plan; nil when the plan does
    /// not name it or it has moved.
    /// - Throws: ``StoreError/unavailable(_:)`` when the plan names a stage that is not there
    ///   (the stage's file lost, or a copy of the registry taken during the move without it).
    static func moveStaged(_ db: Database, _ table: String) throws -> Int? {
        let stage = ImportTables.stage(table)
        guard try Int.fetchOne(db, sql: "SELECT moved FROM main.\(ImportTables.movePlan) WHERE name = ?", arguments: [table]) == 0 else { return nil }
        guard try db.tableExists(stage) else {
            throw StoreError.unavailable("the bulk import's stage of \(table) is missing (its file is not beside the database): put the stage file back "
                                         + "and run the same guichet import --bulk, or restore a backup taken before the import")
        }
        let rows = try withMoveSettings(db) { try moveRows(db, table, stage) }
        try db.execute(sql: "UPDATE main.\(ImportTables.movePlan) SET moved = 1 WHERE name = ?", arguments: [table])
        return rows
    }

    /// The page cache of a move's transactions, in KiB: small on purpose (issue 18). SQLite's
    /// sorter fills as much memory as the page cache holds before it sorts it and writes it
    /// out as a run, and it sorts a run as a linked list, whose merge passes miss the CPU's
    /// caches once the list is large; runs of a few MiB are sorted by the helper threads while
    /// the writer fills the next one. With the import's 256 MiB, 1 M persons' search terms
    /// took 13.1 s to move and 5.3 s to index; with 16 MiB, 9.1 s and 2.7 s, and the move's
    /// memory fell from 722 to 233 MiB (BENCHMARKS.md, "Sealing with one expanded key, and a
    /// move with a small sorter"). A move inserts in key order: its B-trees need few pages.
    static let moveCacheKiB = 16_384

    /// Runs `body` with the move's page cache (``moveCacheKiB``) and a helper thread per core
    /// for SQLite's sorter, then puts the usual settings back.
    static func withMoveSettings<T>(_ db: Database, _ body: () throws -> T) throws -> T {
        try db.execute(sql: "PRAGMA threads = \(max(1, ProcessInfo.processInfo.activeProcessorCount))")
        try db.execute(sql: "PRAGMA cache_size = -\(moveCacheKiB)")
        defer {
            try? db.execute(sql: "PRAGMA threads = 0")
            try? db.execute(sql: "PRAGMA cache_size = -\(usualCacheKiB)")
        }
        return try body()
    }

    /// Moves one table's staged rows in (and drops its stage when it is in the registry's file); returns how many rows it had.
    static func moveRows(_ db: Database, _ table: String, _ stage: String) throws -> Int {
        let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(stage)") ?? 0
        if rows > 0 {
            let columns = try Row.fetchAll(db, sql: "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
            let stagedColumns = try Set(String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [stage]))
            // Columns added to the table after the stage was made keep their defaults.
            let names = columns.map { $0["name"] as String }.filter(stagedColumns.contains)
            let key = columns.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
            try checkReferences(db, table)
            let existing = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
            if rows * 4 >= existing {
                try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(ImportTables.pendingIndexes) (name TEXT PRIMARY KEY NOT NULL, sql TEXT NOT NULL)")
                for index in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                                              arguments: [table]) {
                    let name: String = index["name"]
                    try db.execute(sql: "INSERT INTO \(ImportTables.pendingIndexes)(name, sql) VALUES (?, ?)", arguments: [name, index["sql"] as String])
                    try withoutZeroing(db, table) { try db.execute(sql: "DROP INDEX \(name)") }
                }
            }
            let conflict = switch table {
            case "person_term": " OR IGNORE"
            case "person_birth_year": " OR REPLACE"
            default: ""
            }
            let list = names.joined(separator: ", ")
            let order = key.isEmpty ? "" : " ORDER BY \(key.joined(separator: ", "))"
            try db.execute(sql: "INSERT\(conflict) INTO \(table)(\(list)) SELECT \(list) FROM \(stage)\(order)")
        }
        // A stage in the registry's file goes with its move; the stage's own file is deleted at the end.
        if try db.tableExists(stage, in: "main") { try withoutZeroing(db, table) { try db.execute(sql: "DROP TABLE main.\(stage)") } }
        return rows
    }

    /// Runs `body` (a drop of `table`'s stage or indexes) with `secure_delete` off when
    /// ``ImportTables/freedWithoutZeros`` names the table (issue 18: overwriting a stage of
    /// gigabytes wrote every page of it once more, through the WAL and into the file).
    static func withoutZeroing(_ db: Database, _ table: String, _ body: () throws -> Void) throws {
        guard ImportTables.freedWithoutZeros.contains(table) else { return try body() }
        try db.execute(sql: "PRAGMA secure_delete = OFF")
        defer { try? db.execute(sql: "PRAGMA secure_delete = ON") }
        try body()
    }

    /// Checks that every staged row of `table` names rows that exist, for each of the table's
    /// foreign keys, before the move inserts them: what SQLite checks row by row during an
    /// insert, done first, while the transaction has written nothing. During the insert each
    /// check that misses the page cache looks its page up in the WAL's index, whose cost grows
    /// with what the transaction has written (half of a 10 M-person move was spent there),
    /// so the move inserts with the foreign keys off (its caller), after this check.
    /// - Throws: a foreign-key constraint error when a staged row names a missing row.
    static func checkReferences(_ db: Database, _ table: String) throws {
        let stage = ImportTables.stage(table)
        let keys = try Row.fetchAll(db, sql: "SELECT id, \"table\" AS parent, \"from\" AS child, \"to\" AS target FROM pragma_foreign_key_list(?) ORDER BY id, seq",
                                    arguments: [table])
        for (_, group) in Dictionary(grouping: keys, by: { $0["id"] as Int }).sorted(by: { $0.key < $1.key }) {
            let parent: String = group[0]["parent"]
            let pairs = group.map { (child: $0["child"] as String, target: ($0["target"] as String?) ?? "id") }
            let present = pairs.map { "\($0.child) IS NOT NULL" }.joined(separator: " AND ")
            let named = pairs.map(\.child).joined(separator: ", ")
            let match = pairs.map { "p.\($0.target) = s.\($0.child)" }.joined(separator: " AND ")
            // The names are looked up in their order (GROUP BY sorts them, once each), so the
            // look-ups walk the parent's key page after page: in the stage's order they jump
            // at random: 40 M search terms' look-ups in 10 M persons took two minutes, 24 s
            // sorted (BENCHMARKS.md, "Sealing with one expanded key, and a move with a small
            // sorter").
            let sql = "SELECT EXISTS (SELECT 1 FROM (SELECT \(named) FROM \(stage) WHERE \(present) GROUP BY \(named)) s "
                + "WHERE NOT EXISTS (SELECT 1 FROM \(parent) p WHERE \(match)))"
            if try Bool.fetchOne(db, sql: sql) == true {
                throw DatabaseError(resultCode: .SQLITE_CONSTRAINT_FOREIGNKEY, message: "a staged row of \(table) names a row of \(parent) that does not exist")
            }
        }
    }

    /// Builds the indexes a move dropped, each in a transaction of its own (with its row of
    /// ``ImportTables/pendingIndexes``), then checkpoints.
    func buildPendingIndexes() async throws {
        while true {
            let start = ContinuousClock.now
            guard let built = try await write({ db -> (name: String, table: String)? in
                guard try db.tableExists(ImportTables.pendingIndexes),
                      let index = try Row.fetchOne(db, sql: "SELECT name, sql FROM \(ImportTables.pendingIndexes) ORDER BY name LIMIT 1") else { return nil }
                try Self.withMoveSettings(db) { try db.execute(sql: index["sql"] as String) }
                let name: String = index["name"]
                try db.execute(sql: "DELETE FROM \(ImportTables.pendingIndexes) WHERE name = ?", arguments: [name])
                let table = try String.fetchOne(db, sql: "SELECT tbl_name FROM sqlite_master WHERE type = 'index' AND name = ?", arguments: [name])
                return (name, table ?? "")
            }) else { return }
            await checkpoint()
            tell(StageMoveStep(table: built.table, kind: .indexBuilt(name: built.name), seconds: start.secondsSince))
        }
    }

    /// Copies the WAL into the database file and empties it, when no reader holds it (else
    /// later): the next transaction then starts with a short WAL index.
    func checkpoint() async {
        _ = try? await pool.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
    }
}

extension ContinuousClock.Instant {
    /// Seconds from this instant to now.
    var secondsSince: Double {
        let d = ContinuousClock.now - self
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
