public import Foundation
public import GuichetCore
import GRDB

/// The tables an import writes: the registry's own, or their stage (same names with a prefix,
/// same columns, no key, no index, no constraint), where a bulk import appends its batches
/// until it ends (``Store/moveStaged(_:)``).
struct ImportTables: Sendable {
    let prefix: String
    static let live = ImportTables(prefix: "")
    static let stage = ImportTables(prefix: "import_stage_")
    func callAsFunction(_ table: String) -> String { prefix + table }

    /// Every table an import writes, in an order where each row's references are stored
    /// before it (keys and persons, then dossiers and their links and versions).
    static let tables = ["data_key", "person", "person_version", "person_term", "person_birth_year",
                         "dossier", "dossier_person", "dossier_partner", "dossier_version"]
}

extension Store {
    /// Stores sealed persons, each with its data key, search terms and version 1.
    /// - Parameter staged: append them to the stage of a bulk import instead of the registry's
    ///   tables: they appear in the registry only at ``finishStagedImport()``.
    public func importPersons(_ persons: [NewPerson], at: Date, by: AccountID?, staged: Bool) async throws {
        guard staged else { return try await importPersons(persons, at: at, by: by) }
        try await write { db in
            try Self.createStage(db)
            try Self.insert(db, persons: persons.map { ($0, at) }, by: by, change: "import", into: .stage)
        }
    }

    /// Moves everything staged by bulk imports into the registry's tables, in one transaction
    /// (see ``moveStaged(_:)``). Returns how many persons it moved.
    @discardableResult
    public func finishStagedImport() async throws -> Int {
        try await write { db in try Self.moveStaged(db) }
    }

    /// Whether rows wait in the stage of a bulk import.
    public func hasStagedRows() async throws -> Bool {
        try await read { db in try Self.stagedTables(db).isEmpty == false }
    }

    /// Creates the stage tables that do not exist: the columns of each registry table, with
    /// neither key, index, constraint nor trigger, so that appending a row costs its bytes
    /// and not a page of a B-tree keyed by random ids.
    static func createStage(_ db: Database) throws {
        for table in ImportTables.tables {
            try db.execute(sql: "CREATE TABLE IF NOT EXISTS \(ImportTables.stage(table)) AS SELECT * FROM \(table) WHERE 0")
        }
    }

    static func stagedTables(_ db: Database) throws -> [String] {
        let existing = try Set(String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'import\\_stage\\_%' ESCAPE '\\'"))
        return ImportTables.tables.filter { existing.contains(ImportTables.stage($0)) }
    }

    /// Moves the staged rows into the registry's tables and drops the stage, in the caller's
    /// transaction: after a crash either every staged row is in the registry or none is.
    ///
    /// Each table is filled in the order of its primary key (SQLite sorts the stage), so that
    /// its B-tree and its key's index are written page after page. When the stage holds at
    /// least a quarter as many rows as the table, the table's other indexes are dropped first
    /// and built again after (`CREATE INDEX` sorts once instead of a page write per row); the
    /// schema is the same afterwards. The rows and conflict rules are those of the direct path:
    /// a search term already stored is kept, a birth-year tag replaced, any other key taken
    /// fails the whole move. Returns how many persons it moved.
    static func moveStaged(_ db: Database) throws -> Int {
        let staged = try stagedTables(db)
        guard !staged.isEmpty else { return 0 }
        try db.execute(sql: "PRAGMA cache_size = -\(importCacheKiB)")
        defer { try? db.execute(sql: "PRAGMA cache_size = -\(usualCacheKiB)") }
        var persons = 0
        for table in staged {
            let stage = ImportTables.stage(table)
            let rows = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(stage)") ?? 0
            if table == "person" { persons = rows }
            if rows > 0 {
                let columns = try Row.fetchAll(db, sql: "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
                let stagedColumns = try Set(String.fetchAll(db, sql: "SELECT name FROM pragma_table_info(?)", arguments: [stage]))
                // Columns added to the table after the stage was made keep their defaults.
                let names = columns.map { $0["name"] as String }.filter(stagedColumns.contains)
                let key = columns.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
                let existing = try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0
                let indexes = rows * 4 >= existing
                    ? try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                                       arguments: [table]).map { (name: $0["name"] as String, sql: $0["sql"] as String) }
                    : []
                for index in indexes { try db.execute(sql: "DROP INDEX \(index.name)") }
                let conflict = switch table {
                case "person_term": " OR IGNORE"
                case "person_birth_year": " OR REPLACE"
                default: ""
                }
                let list = names.joined(separator: ", ")
                let order = key.isEmpty ? "" : " ORDER BY \(key.joined(separator: ", "))"
                try db.execute(sql: "INSERT\(conflict) INTO \(table)(\(list)) SELECT \(list) FROM \(stage)\(order)")
                for index in indexes { try db.execute(sql: index.sql) }
            }
            try db.execute(sql: "DROP TABLE \(stage)")
        }
        return persons
    }
}
