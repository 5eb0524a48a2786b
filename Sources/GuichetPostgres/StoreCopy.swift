import Foundation
@_spi(StoreCopy) public import GuichetStore
public import GuichetMerkle
import GuichetLedger
import Logging
import PostgresNIO

/// Why a copy of a SQLite registry into PostgreSQL was refused or did not prove whole. Messages
/// name tables, columns and counts, never a value or a password.
public enum StoreCopyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The target database holds rows already (a registry, or the remains of a failed copy).
    case targetNotEmpty(target: String, table: String)
    /// The SQLite store has a table that the copy does not know (the copy's table list drifted
    /// from the schema).
    case unknownTables([String])
    /// A table or column of one side has no place on the other.
    case schema(String)
    /// A table's row count differs on both sides after the copy.
    case countMismatch(table: String, source: Int64, copied: Int64)
    /// The copied ledger does not verify, or its latest checkpoint is not SQLite's.
    case ledger(String)

    public var description: String {
        switch self {
        case .targetNotEmpty(let target, let table):
            "\(target) holds a registry already (its table \(table) has rows); nothing was changed: copy into a new, empty database"
        case .unknownTables(let tables):
            "the SQLite store has tables this version cannot copy (\(tables.joined(separator: ", "))); nothing was changed"
        case .schema(let what): "the PostgreSQL schema does not match the SQLite store: \(what); nothing was changed"
        case .countMismatch(let table, let source, let copied):
            "\(table): \(source) rows in SQLite, \(copied) copied; nothing was changed"
        case .ledger(let problem): "the copied ledger does not verify: \(problem); nothing was changed"
        }
    }
}

/// What a copy did: each table's rows, the ledger's size and its signed checkpoints, all
/// verified before the copy was committed.
public struct StoreCopyReport: Sendable, Equatable {
    public struct Table: Sendable, Equatable {
        public let name: String
        public let rows: Int64
    }
    /// Every copied table, in the order copied, with its row count (equal on both sides).
    public let tables: [Table]
    public let ledgerEntries: Int64
    public let checkpoints: Int
    /// The size of the latest signed checkpoint (nil: none), the same on both sides.
    public let checkpointSize: Int64?
    public var rows: Int64 { tables.reduce(0) { $0 + $1.rows } }
}

/// `guichet store copy` (issue 19): a registry's SQLite store copied whole into an empty
/// PostgreSQL database, in one PostgreSQL transaction that commits only once the copy has
/// proved whole (the same row count in every table, the ledger verified entry by entry against
/// its stored hashes and every signed checkpoint, the latest checkpoint SQLite's). A refused or
/// failed copy leaves the target as it was (its schema may have been created, empty).
///
/// Rows are copied as stored: sealed fields and wrapped data keys stay sealed and wrapped, so
/// the copy opens with the same key file; the `meta` rows (`key-check`, `profile`,
/// `registry-id`) go with them, so the copy's ledger keeps its origin `guichet/PROFILE/ID`. The
/// ledger's tables are written as they are, its tail (`ledger_tail`, entries whose person,
/// dossier, session and address references are not yet in their indexes) and integration mark
/// included, so that its root and its signed checkpoints are the same; the PostgreSQL ledger's
/// own integration takes the tail from there.
public enum StoreCopy {
    /// The tables copied, in an order that satisfies the foreign keys.
    public static let tables: [String] = [
        "meta", "organisation", "territory", "person", "data_key", "person_version", "person_term", "person_birth_year",
        "account", "account_request", "sign_in_throttle", "account_notice", "session", "second_factor", "mfa_challenge",
        "activation_code", "account_departure", "departure_request", "claim_code", "password_reset", "factor_reset", "federated_identity",
        "watch_state", "watch_honeytoken", "watched_person", "watched_person_removed", "watch_alert", "watch_suspension",
        "breach_incident", "breach_incident_change",
        "dossier", "dossier_person", "dossier_partner", "dossier_version", "dossier_lifecycle", "break_glass", "archive_request",
        "erasure_request", "partner_export", "export_canary", "kept_fields", "caseload_request", "notice_outbox", "import_run",
        "ledger_entry", "ledger_node", "ledger_checkpoint", "ledger_person", "ledger_dossier", "ledger_session", "ledger_source",
        "ledger_tail", "ledger_integration",
    ]

    /// Tables of the SQLite store that are deliberately not copied, and why.
    public static let notCopied: [String: String] = [
        "grdb_migrations": "GRDB's record of the SQLite migrations applied; PostgreSQL keeps its own (guichet_migration)",
        "ledger_account": "SQLite's index of the ledger's entries by account; PostgreSQL indexes ledger_entry(account_id, at, idx) itself",
    ]

    /// Copies the registry of `store` into the empty database at `address`, then verifies the
    /// copy and commits it (see ``StoreCopy``).
    /// - Parameters:
    ///   - verifier, origin: the registry's checkpoint key and ledger origin (its gate's auditor's).
    ///   - batch: rows per read and per insert statement, at most.
    ///   - progressEvery: a line to `progress` every this many rows of a table.
    ///   - timeout: how long to wait for the server's first answer.
    /// - Throws: ``StoreCopyError``; ``PostgresStoreError`` when the address is not usable or
    ///   the server does not answer; ``StoreError`` when either database fails.
    public static func copy(from store: Store, to address: PostgresAddress, verifier: NoteVerifier, origin: String,
                            batch: Int = 2_000, progressEvery: Int64 = 100_000, timeout: Duration = .seconds(30),
                            progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> StoreCopyReport {
        precondition(batch > 0 && progressEvery > 0, "a copy moves at least one row at a time")
        let snapshot = try store.snapshot()
        let present = try await snapshot.tables()
        guard !present.contains(where: { $0.hasPrefix("import_stage_") }), !FileManager.default.fileExists(atPath: store.stagePath) else {
            throw StoreCopyError.schema("a bulk import has not ended (its batches wait in the stage tables): run the same guichet import --bulk again to finish it, then copy")
        }
        let unknown = Set(present).subtracting(tables).subtracting(notCopied.keys)
        guard unknown.isEmpty else { throw StoreCopyError.unknownTables(unknown.sorted()) }
        var sources: [StoredTable] = []
        for t in tables {
            do { sources.append(try await snapshot.table(t)) } catch StoreError.notFound {
                throw StoreCopyError.schema("the SQLite store has no table \(t)")
            }
        }

        let target = try await PostgresStore.open(address, connections: 2, timeout: timeout)
        do {
            let plans = try await plan(sources, target)
            let report = try await target.transaction { c in
                try await copy(plans, from: snapshot, on: c, target: address.description, verifier: verifier, origin: origin,
                               batch: batch, progressEvery: progressEvery, progress: progress)
            }
            await target.close()
            return report
        } catch {
            await target.close()
            throw error
        }
    }

    // MARK: planning

    /// How one table is written: its SQLite columns and PostgreSQL types, and the PostgreSQL
    /// columns filled from SQLite's `rowid` (the `seq` that orders rows as SQLite's rowid does).
    struct Plan: Sendable {
        let source: StoredTable
        /// Each SQLite column and the PostgreSQL type of the column of the same name.
        let columns: [(name: String, type: String)]
        let seqFromRowID: Bool
    }

    /// The PostgreSQL columns of every table, checked against SQLite's: every SQLite column has
    /// a place, every PostgreSQL column without one has a default (or is the rowid's `seq`).
    static func plan(_ sources: [StoredTable], _ target: PostgresStore) async throws -> [Plan] {
        let rows = try await target.read { c in
            try await c.query("""
                SELECT table_name::text, column_name::text, data_type::text, (column_default IS NOT NULL OR is_nullable = 'YES')
                FROM information_schema.columns WHERE table_schema = current_schema()
                """, logger: PostgresStore.logger).decode((String, String, String, Bool).self).collect()
        }
        var columns: [String: [String: (type: String, optional: Bool)]] = [:]
        for (t, c, type, optional) in rows { columns[t, default: [:]][c] = (type, optional) }
        return try sources.map { source in
            guard let pg = columns[source.name] else { throw StoreCopyError.schema("PostgreSQL has no table \(source.name)") }
            var sqlite = source.columns
            if source.name == "ledger_tail" {
                // SQLite keeps an entry's references in one encoded column; PostgreSQL in four.
                guard sqlite == ["idx", "at", "refs"] else { throw StoreCopyError.schema("ledger_tail's columns are not idx, at, refs") }
                sqlite = ["idx", "at"]
            }
            var planned: [(name: String, type: String)] = []
            for c in sqlite {
                guard let p = pg[c] else { throw StoreCopyError.schema("PostgreSQL's table \(source.name) has no column \(c)") }
                guard ["text", "bigint", "integer", "boolean", "bytea"].contains(p.type) else {
                    throw StoreCopyError.schema("\(source.name).\(c) is of PostgreSQL type \(p.type), which the copy does not write")
                }
                planned.append((c, p.type))
            }
            let seq = source.hasRowID && pg["seq"] != nil && !sqlite.contains("seq")
            let filled = Set(sqlite + (seq ? ["seq"] : []) + (source.name == "ledger_tail" ? ["session_id", "source", "persons", "dossiers"] : []))
            if let missing = pg.filter({ !filled.contains($0.key) && !$0.value.optional }).keys.sorted().first {
                throw StoreCopyError.schema("PostgreSQL's \(source.name).\(missing) has no counterpart in SQLite and no default")
            }
            return Plan(source: source, columns: planned, seqFromRowID: seq)
        }
    }

    // MARK: copying, in the transaction

    static func copy(_ plans: [Plan], from snapshot: StoreSnapshot, on c: PostgresConnection, target: String, verifier: NoteVerifier,
                     origin: String, batch: Int, progressEvery: Int64, progress: @Sendable (String) -> Void) async throws -> StoreCopyReport {
        // No append nor integration of the ledger meanwhile (a server opened on the target too early).
        try await c.query("SELECT pg_advisory_xact_lock(\(PostgresLedger.appendLock)), pg_advisory_xact_lock(\(PostgresLedger.integrationLock))",
                          logger: PostgresStore.logger)
        for p in plans {
            let sql = p.source.name == "ledger_integration"
                ? "SELECT size > 0 FROM ledger_integration" : "SELECT EXISTS (SELECT 1 FROM \(quoted(p.source.name)))"
            let taken = try await c.query(PostgresQuery(unsafeSQL: sql), logger: PostgresStore.logger).decode(Bool.self).collect()
            if taken.contains(true) { throw StoreCopyError.targetNotEmpty(target: target, table: p.source.name) }
        }
        var latest: (size: Int64, root: Data)?
        for p in plans {
            let last = try await copyTable(p, from: snapshot, on: c, batch: batch, progressEvery: progressEvery, progress: progress)
            if p.source.name == "ledger_checkpoint", let last, case .integer(let size)? = last.first, case .blob(let root)? = last.dropFirst().first {
                latest = (size, root)
            }
        }
        return try await verify(plans, on: c, verifier: verifier, origin: origin, latest: latest)
    }

    /// Copies one table in batches of keyed reads and multi-row inserts; returns the last row
    /// copied (its values in the plan's column order).
    static func copyTable(_ p: Plan, from snapshot: StoreSnapshot, on c: PostgresConnection, batch: Int, progressEvery: Int64,
                          progress: @Sendable (String) -> Void) async throws -> [StoredValue]? {
        let name = p.source.name, total = p.source.rows
        let read = p.columns.map(\.name) + (name == "ledger_tail" ? ["refs"] : [])
        var written = p.columns.map(\.name) + (p.seqFromRowID ? ["seq"] : [])
        if name == "ledger_tail" { written += ["session_id", "source", "persons", "dossiers"] }
        // PostgreSQL takes at most 65,535 parameters in a statement.
        let perStatement = max(1, min(batch, 60_000 / written.count))
        var after: [StoredValue]?, copied: Int64 = 0, last: [StoredValue]?
        while true {
            let rows = try await snapshot.rows(p.source, columns: read, after: after, limit: perStatement)
            guard let final = rows.last else { break }
            if name == "ledger_integration" {
                // One row, made by PostgreSQL's migration with size 0: the SQLite mark moves it forward.
                guard rows.count == 1, case .integer(let size)? = final.values.last else { throw StoreCopyError.schema("ledger_integration is not one row") }
                try await c.query("UPDATE ledger_integration SET size = \(size) WHERE id = 1", logger: PostgresStore.logger)
            } else {
                var bindings = PostgresBindings(capacity: rows.count * written.count)
                for row in rows {
                    for (value, column) in zip(row.values, p.columns) { try bind(value, as: column.type, into: &bindings, table: name, column: column.name) }
                    if p.seqFromRowID, case .integer(let rowid)? = row.key.first { bindings.append(rowid) }
                    if name == "ledger_tail" {
                        guard case .blob(let refs)? = row.values.last else { throw StoreCopyError.schema("a ledger_tail row has no references") }
                        let r = try StoreSnapshot.ledgerTailReferences(refs)
                        bindings.append(r.session); bindings.append(r.source); bindings.append(r.persons); bindings.append(r.dossiers)
                    }
                }
                try await c.query(insert(name, written, rows: rows.count, binds: bindings), logger: PostgresStore.logger)
            }
            let before = copied
            copied += Int64(rows.count)
            if copied / progressEvery > before / progressEvery { progress("copying \(name): \(copied) of \(total)") }
            after = final.key
            last = final.values
            if rows.count < perStatement { break }
        }
        if p.seqFromRowID {
            // The next row PostgreSQL numbers comes after the copied ones.
            try await c.query(PostgresQuery(unsafeSQL: """
                SELECT setval(pg_get_serial_sequence('\(name)', 'seq'), MAX(seq)) FROM \(quoted(name)) HAVING MAX(seq) IS NOT NULL
                """), logger: PostgresStore.logger)
        }
        return last
    }

    static func insert(_ table: String, _ columns: [String], rows: Int, binds: PostgresBindings) -> PostgresQuery {
        var values: [String] = []
        values.reserveCapacity(rows)
        for r in 0..<rows {
            values.append("(" + (0..<columns.count).map { "$\(r * columns.count + $0 + 1)" }.joined(separator: ", ") + ")")
        }
        return PostgresQuery(unsafeSQL: "INSERT INTO \(quoted(table)) (\(columns.map(quoted).joined(separator: ", "))) VALUES \(values.joined(separator: ", "))",
                             binds: binds)
    }

    /// Binds one SQLite value as the PostgreSQL type of its column (yes/no columns are 0 or 1
    /// in SQLite, booleans in PostgreSQL).
    static func bind(_ value: StoredValue, as type: String, into bindings: inout PostgresBindings, table: String, column: String) throws {
        switch (value, type) {
        case (.null, _): bindings.appendNull()
        case (.text(let s), "text"): bindings.append(s)
        case (.integer(let i), "bigint"): bindings.append(i)
        case (.integer(let i), "integer"):
            guard let small = Int32(exactly: i) else { throw StoreCopyError.schema("a value of \(table).\(column) exceeds PostgreSQL's integer") }
            bindings.append(small)
        case (.integer(let i), "boolean") where i == 0 || i == 1: bindings.append(i == 1)
        case (.blob(let b), "bytea"): bindings.append(ByteBuffer(bytes: b))
        default: throw StoreCopyError.schema("a value of \(table).\(column) does not fit its PostgreSQL type \(type)")
        }
    }

    // MARK: verification, before the commit

    /// Row counts on both sides, the ledger verified whole against its stored hashes and every
    /// signed checkpoint, and its latest checkpoint SQLite's.
    static func verify(_ plans: [Plan], on c: PostgresConnection, verifier: NoteVerifier, origin: String,
                       latest: (size: Int64, root: Data)?) async throws -> StoreCopyReport {
        var tables: [StoreCopyReport.Table] = []
        for p in plans {
            let copied = try await c.query(PostgresQuery(unsafeSQL: "SELECT COUNT(*)::bigint FROM \(quoted(p.source.name))"), logger: PostgresStore.logger)
                .decode(Int64.self).collect().first ?? -1
            guard copied == p.source.rows else { throw StoreCopyError.countMismatch(table: p.source.name, source: p.source.rows, copied: copied) }
            tables.append(StoreCopyReport.Table(name: p.source.name, rows: copied))
        }
        let ledger = PostgresLedger.Reads(c)
        let report = try await LedgerAuditor.verify(ledger, verifier: verifier, origin: origin)
        if let problem = report.problem { throw StoreCopyError.ledger(problem) }
        let entries = plans.first { $0.source.name == "ledger_entry" }?.source.rows ?? 0
        guard report.entries == entries else { throw StoreCopyError.ledger("it holds \(report.entries) entries, SQLite's \(entries)") }
        let stored = try await ledger.checkpoints().last
        guard stored?.size == latest?.size, stored?.root == latest?.root else {
            throw StoreCopyError.ledger("its latest signed checkpoint is not SQLite's")
        }
        return StoreCopyReport(tables: tables, ledgerEntries: report.entries, checkpoints: report.checkpoints, checkpointSize: stored?.size)
    }

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
