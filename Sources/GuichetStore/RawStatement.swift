public import Foundation
import GRDB
import GRDBSQLite

/// A cached statement that a write runs many times, with its values bound through SQLite's own
/// interface: GRDB's argument arrays (a boxed value each, an allocation and exclusivity checks
/// per statement) cost more than SQLite's insert on the one writer (issue 18). Used for the
/// ledger's appends and an import's rows.
///
/// `@_spi(Bench)`: the benchmark's plaintext import binds its rows the same way, so that the
/// comparison of the encrypted and plaintext imports measures encryption, not binding.
@_spi(Bench) public struct RawStatement {
    let handle: OpaquePointer
    let connection: OpaquePointer?

    /// A statement prepared on a connection: its `sqlite3_stmt` and `sqlite3` handles (GRDB's
    /// `Statement.sqliteStatement` and `Database.sqliteConnection`).
    public init(statement: OpaquePointer, connection: OpaquePointer?) {
        handle = statement
        self.connection = connection
    }

    init(_ db: Database, _ sql: String) throws {
        self.init(statement: try db.cachedStatement(sql: sql).sqliteStatement, connection: db.sqliteConnection)
    }

    /// Binds the statement's parameters (numbered from 1) and steps it to its end.
    /// - Throws: SQLite's error (a value it refuses to bind, a constraint, a full disk) as
    ///   GRDB's `DatabaseError`; nothing is stepped after a refused value.
    public func run(_ bind: (Binder) throws -> Void) throws {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        defer { sqlite3_reset(handle) }
        try bind(Binder(handle: handle, connection: connection))
        let rc = sqlite3_step(handle)
        guard rc == SQLITE_DONE else { throw Self.error(rc, connection) }
    }

    static func error(_ rc: Int32, _ connection: OpaquePointer?) -> DatabaseError {
        let code = connection.map { sqlite3_extended_errcode($0) } ?? rc
        return DatabaseError(resultCode: ResultCode(rawValue: code), message: connection.map { String(cString: sqlite3_errmsg($0)) })
    }

    public struct Binder {
        let handle: OpaquePointer
        let connection: OpaquePointer?
        /// SQLite copies the value before the call returns (`SQLITE_TRANSIENT`).
        private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

        private func check(_ rc: Int32) throws { guard rc == SQLITE_OK else { throw RawStatement.error(rc, connection) } }

        public func int(_ i: Int32, _ value: Int64) throws { try check(sqlite3_bind_int64(handle, i, value)) }

        /// NULL for nil; an empty text stays an empty text.
        public func text(_ i: Int32, _ value: String?) throws {
            guard var value else { return try check(sqlite3_bind_null(handle, i)) }
            try check(value.withUTF8 { b in
                guard let base = b.baseAddress, b.count > 0 else { return sqlite3_bind_text(handle, i, "", 0, Self.transient) }
                return sqlite3_bind_text64(handle, i, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), sqlite3_uint64(b.count),
                                           Self.transient, UInt8(SQLITE_UTF8))
            })
        }

        /// An empty blob stays an empty blob, not NULL.
        public func blob(_ i: Int32, _ value: Data) throws {
            try check(value.withUnsafeBytes { b in
                guard let base = b.baseAddress, b.count > 0 else { return sqlite3_bind_zeroblob(handle, i, 0) }
                return sqlite3_bind_blob64(handle, i, base, sqlite3_uint64(b.count), Self.transient)
            })
        }
    }
}
