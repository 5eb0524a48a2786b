public import Foundation
import GRDB

/// A value of a column as SQLite stores it (the tables are STRICT: an integer, a real, a
/// text, a blob or NULL).
@_spi(StoreCopy)
public enum StoredValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// One table of a ``StoreSnapshot``: its columns in declaration order, the columns its rows
/// are read in order of (`rowid`, or the primary key of a table WITHOUT ROWID) and its row count.
@_spi(StoreCopy)
public struct StoredTable: Sendable, Equatable {
    public let name: String
    public let columns: [String]
    /// `["rowid"]` for an ordinary table; the primary key's columns for a table WITHOUT ROWID.
    public let key: [String]
    public let rows: Int64
    public var hasRowID: Bool { key == ["rowid"] }
}

/// A consistent, read-only view of the whole database at one instant (one read transaction of
/// the WAL database, held until the snapshot is released), read table by table in batches:
/// what `guichet store copy` copies into another back-end (issue 19). Rows are returned as
/// stored, sealed fields and wrapped keys included; nothing is decrypted here.
///
/// `@_spi(StoreCopy)`: only the copy to another back-end reads raw rows.
@_spi(StoreCopy)
public final class StoreSnapshot: Sendable {
    let snapshot: DatabaseSnapshot

    init(_ snapshot: DatabaseSnapshot) { self.snapshot = snapshot }

    /// The tables of the database (SQLite's own `sqlite_…` tables left out), by name.
    public func tables() async throws -> [String] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name")
        }
    }

    /// A table's columns, read order and row count.
    /// - Throws: ``StoreError/notFound`` when there is no such table.
    public func table(_ name: String) async throws -> StoredTable {
        try await read { db in
            guard let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", arguments: [name]) else {
                throw StoreError.notFound
            }
            let info = try Row.fetchAll(db, sql: "SELECT name, pk FROM pragma_table_info(?) ORDER BY cid", arguments: [name])
            let columns = info.map { $0["name"] as String }
            let withoutRowID = sql.uppercased().replacingOccurrences(of: " ", with: "").contains("WITHOUTROWID")
            let key = withoutRowID ? info.filter { ($0["pk"] as Int) > 0 }.sorted { ($0["pk"] as Int) < ($1["pk"] as Int) }.map { $0["name"] as String }
                                   : ["rowid"]
            let rows = try Int64.fetchOne(db, sql: "SELECT COUNT(*) FROM \(Self.quoted(name))") ?? 0
            return StoredTable(name: name, columns: columns, key: key, rows: rows)
        }
    }

    /// At most `limit` rows of a table after the row whose key is `after` (from the first when
    /// nil), in key order: each row's key values, then the values of `columns`.
    public func rows(_ table: StoredTable, columns: [String], after: [StoredValue]?, limit: Int) async throws
        -> [(key: [StoredValue], values: [StoredValue])] {
        let keys = table.key.map(Self.quoted).joined(separator: ", ")
        let wanted = (table.key + columns).map(Self.quoted).joined(separator: ", ")
        let condition = after == nil ? "" : "WHERE (\(keys)) > (\(table.key.map { _ in "?" }.joined(separator: ", ")))"
        let sql = "SELECT \(wanted) FROM \(Self.quoted(table.name)) \(condition) ORDER BY \(keys) LIMIT ?"
        let arguments = StatementArguments((after ?? []).map(\.databaseValue) + [limit.databaseValue])
        let width = table.key.count
        return try await read { db in
            try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
                let values = (0..<row.count).map { StoredValue(row[$0] as DatabaseValue) }
                return (Array(values[..<width]), Array(values[width...]))
            }
        }
    }

    /// The index references a `ledger_tail` row holds in its `refs` column (the session, the
    /// source address, the persons and dossiers the entry names), as the integration reads them.
    public static func ledgerTailReferences(_ refs: Data) throws -> (session: String?, source: String?, persons: [String], dossiers: [String]) {
        let r = try LedgerRefs(decoding: refs)
        return (r.session, r.source, r.persons, r.dossiers)
    }

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

    func read<T: Sendable>(_ body: @Sendable (Database) throws -> T) async throws -> T {
        do { return try await snapshot.read(body) } catch let e as StoreError { throw e } catch {
            throw StoreError.io(Store.safe(error))
        }
    }
}

extension StoredValue {
    init(_ value: DatabaseValue) {
        switch value.storage {
        case .null: self = .null
        case .int64(let i): self = .integer(i)
        case .double(let d): self = .real(d)
        case .string(let s): self = .text(s)
        case .blob(let b): self = .blob(b)
        }
    }

    var databaseValue: DatabaseValue {
        switch self {
        case .null: .null
        case .integer(let i): i.databaseValue
        case .real(let d): d.databaseValue
        case .text(let s): s.databaseValue
        case .blob(let b): b.databaseValue
        }
    }
}

extension Store {
    /// A consistent view of the whole database as it is now, for a copy to another back-end;
    /// writes that commit later are not in it.
    @_spi(StoreCopy)
    public func snapshot() throws -> StoreSnapshot {
        do { return StoreSnapshot(try pool.makeSnapshot()) } catch { throw StoreError.io("cannot read a snapshot of the database (\(Self.safe(error)))") }
    }
}
