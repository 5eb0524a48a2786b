import Foundation
import GRDB
import GuichetDeployment
import GuichetGate
import GuichetLedger
@_spi(LedgerOnly) import GuichetPostgres
import GuichetStore
import PostgresNIO

extension TestBackend {
    /// The arguments of a `guichet` command as the run's back-end wants them: in the
    /// PostgreSQL pass, `guichet init` and `guichet demo` making a new registry get a fresh
    /// database of the test cluster (`--store`), so that the command-line suites run on either
    /// back-end; every later command finds it in the folder's `guichet.yaml`, as an operator's
    /// would. Anything else, or a folder that holds a registry already, is left as it is.
    static func placing(_ args: [String]) async throws -> [String] {
        guard postgres != nil, let command = args.first, command == "init" || command == "demo",
              !args.contains("--store"), let flag = args.firstIndex(of: "--data"), flag + 1 < args.count,
              !FileManager.default.fileExists(atPath: args[flag + 1] + "/guichet.yaml") else { return args }
        return args + ["--store", try await freshStore() ?? "sqlite"]
    }

    /// Where a new registry made in-process goes (``Deployment/initialise(profilePath:admin:keys:store:)``,
    /// ``Deployment/openDemo(profilePath:keys:store:)``): nil (SQLite in its folder), or in the
    /// PostgreSQL pass the address of a fresh database of the test cluster.
    static func freshStore() async throws -> String? {
        guard let server = postgres else { return nil }
        let name = "guichet_cli_\(UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: ""))"
        try await PostgresLedgerTests.admin(server) { try await $0.execute("CREATE DATABASE \(name)") }
        return server.database(name).typed
    }
}

/// A data folder made by the real `guichet init` or `guichet demo`, seen from a test on
/// either back-end: where its registry lives (``Deployment/storeLocation(_:settings:)``, from
/// its `guichet.yaml`), the registry opened as the maintenance commands open it, its row counts,
/// and a statement run directly on its database (as an intruder with the database would).
struct RegistryFolder {
    let data: String
    var deployment: Deployment { Deployment(data) }

    /// The PostgreSQL database of the folder, or nil on SQLite.
    var postgres: PostgresAddress? {
        get throws { if case .postgres(let address) = try deployment.storeLocation() { return address } else { return nil } }
    }

    /// The folder's registry on either back-end, opened as `guichet staff` or `guichet keys`
    /// open it (without taking part in the checkpoint signer's election).
    func open() async throws -> OpenedRegistry {
        try await deployment.openMaintenance(keys: nil).registry
    }

    /// The folder's store and ledger, for what a test reads directly (accounts, the journal).
    func store() async throws -> (store: any WorldStorage, ledger: any LedgerProving) {
        guard let address = try postgres else {
            let sqlite = try Store(path: data + "/guichet.sqlite")
            return (sqlite, sqlite)
        }
        let pg = try await PostgresStore.open(address, connections: 2, timeout: .seconds(60), existing: true)
        return (pg, pg.ledger)
    }

    /// Row counts of the main tables (``Store/countedTables``).
    func rowCounts() async throws -> [String: Int] { try await database.rowCounts() }

    /// The folder's database, for direct reads and writes in either SQL.
    var database: TestDatabase {
        get throws { try postgres.map { .postgres($0) } ?? .sqlite(data + "/guichet.sqlite") }
    }

    func count(_ table: String, where condition: String = "TRUE") async throws -> Int { try await database.count(table, where: condition) }
    func execute(sqlite: [String], postgres: [String]) async throws { try await database.execute(sqlite: sqlite, postgres: postgres) }
    func strings(_ query: String) async throws -> [String] { try await database.strings(query) }
}

/// A registry's database seen directly, beside its store, as its owner (or an intruder who
/// has it) sees it: SQLite's file, or a PostgreSQL database (the test cluster's superuser,
/// past the ledger role's grants). The SQL given must read in both dialects unless it is
/// given for each.
enum TestDatabase {
    case sqlite(String)
    case postgres(PostgresAddress)

    /// Row counts of the main tables (``Store/countedTables``).
    func rowCounts() async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for t in Store.countedTables { out[t] = try await count(t) }
        return out
    }

    /// `SELECT COUNT(*) FROM table WHERE condition`.
    func count(_ table: String, where condition: String = "TRUE") async throws -> Int {
        switch self {
        case .postgres(let address): return Int(try await StoreCopyTests.count(address, table, where: condition))
        case .sqlite(let path):
            let queue = try TestDatabase.queue(path)
            return try await queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM \(table) WHERE \(condition)") ?? 0 }
        }
    }

    /// Runs statements: `sqlite` on SQLite, `postgres` on PostgreSQL, in one transaction.
    func execute(sqlite: [String], postgres: [String]) async throws {
        switch self {
        case .postgres(let address):
            try await PostgresLedgerTests.admin(address) { admin in
                try await admin.execute("BEGIN")
                for sql in postgres { try await admin.execute(sql) }
                try await admin.execute("COMMIT")
            }
        case .sqlite(let path):
            let queue = try TestDatabase.queue(path)
            try await queue.write { db in for sql in sqlite { try db.execute(sql: sql) } }
        }
    }

    /// Sets a BLOB (BYTEA) column of the row with this `id`, as an intruder with the database would.
    /// A person's fields change only as the person's next version (the table's trigger refuses
    /// anything else, and keeps the version replaced): the intruder writes one.
    func setBlob(table: String, column: String, id: String, to bytes: Data) async throws {
        let hex = bytes.map { String(format: "%02x", $0) }.joined()
        let next = table == "person" && column == "fields" ? ", version = version + 1" : ""
        try await execute(sqlite: ["UPDATE \(table) SET \(column) = X'\(hex)'\(next) WHERE id = '\(id)'"],
                          postgres: ["UPDATE \(table) SET \(column) = decode('\(hex)', 'hex')\(next) WHERE id = '\(id)'"])
    }

    /// Makes the journal refuse every append (as a full disk or a broken table would), or
    /// only once `when` (a condition in either SQL) holds.
    func breakJournal(when condition: String = "TRUE") async throws {
        try await execute(sqlite: ["CREATE TRIGGER journal_broken BEFORE INSERT ON ledger_entry WHEN \(condition) BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
                          postgres: ["""
                              CREATE FUNCTION journal_broken() RETURNS trigger LANGUAGE plpgsql AS $$
                              BEGIN IF \(condition) THEN RAISE EXCEPTION 'disk full'; END IF; RETURN NEW; END $$
                              """,
                                     "CREATE TRIGGER journal_broken BEFORE INSERT ON ledger_entry FOR EACH ROW EXECUTE FUNCTION journal_broken()"])
    }

    /// Undoes ``breakJournal(when:)``.
    func repairJournal() async throws {
        try await execute(sqlite: ["DROP TRIGGER journal_broken"], postgres: ["DROP TRIGGER journal_broken ON ledger_entry", "DROP FUNCTION journal_broken()"])
    }

    /// Whether the database refuses a statement by one of its own guards (a trigger that
    /// raises: SQLite's constraint error, PostgreSQL's `raise_exception`), and not for
    /// another reason, such as a statement that does not read in this dialect.
    func refuses(_ sql: String) async -> Bool {
        do {
            try await execute(sql)
            return false
        } catch let error as DatabaseError {
            return error.resultCode == .SQLITE_CONSTRAINT
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState] == "P0001"
        } catch {
            return false
        }
    }

    /// Runs the same statements on either back-end.
    func execute(_ statements: String...) async throws { try await execute(sqlite: statements, postgres: statements) }

    /// The text values of the first column of a query.
    func strings(_ query: String) async throws -> [String] { try await firstColumn(query) }

    /// The bytes values (BLOB, BYTEA) of the first column of a query.
    func blobs(_ query: String) async throws -> [Data] { try await firstColumn(query) }

    /// The values of the first column of a query, decoded the same way on either back-end.
    func firstColumn<V: PostgresDecodable & DatabaseValueConvertible & Sendable>(_ query: String) async throws -> [V] {
        switch self {
        case .postgres(let address):
            let admin = try await PostgresAdmin.connect(address)
            defer { Task { await admin.close() } }
            var out: [V] = []
            for try await v in try await admin.client.query(PostgresQuery(unsafeSQL: query)).decode(V.self) { out.append(v) }
            return out
        case .sqlite(let path):
            let queue = try TestDatabase.queue(path)
            return try await queue.read { try V.fetchAll($0, sql: query) }
        }
    }

    /// The values the database holds in clear: found in SQLite's file or its write-ahead
    /// log, or in a dump of the PostgreSQL database (pg_dump), as text or inside a BYTEA.
    func inClear(_ values: [String]) async throws -> [String] {
        let stored = try await storedBytes()
        return values.filter { stored.containsBytes(Data($0.utf8)) }
    }

    /// A connection to SQLite's file beside the registry's own pool, which waits for the
    /// pool's writes to finish (GRDB's default fails at once with "database is locked").
    static func queue(_ path: String) throws -> DatabaseQueue {
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        return try DatabaseQueue(path: path, configuration: configuration)
    }

    static func isPostgres(_ d: TestDatabase) -> Bool { if case .postgres = d { true } else { false } }

    /// What the database holds, as bytes: SQLite's file and its write-ahead log, or a dump of
    /// the PostgreSQL database (pg_dump), followed by the bytes of every BYTEA in it (the dump
    /// writes them in hexadecimal, `\\x…`), so that one search finds a value in either.
    func storedBytes() async throws -> Data {
        switch self {
        case .sqlite(let path):
            var stored = try Data(contentsOf: URL(fileURLWithPath: path))
            stored.append((try? Data(contentsOf: URL(fileURLWithPath: path + "-wal"))) ?? Data())
            return stored
        case .postgres(let address):
            let dump = try await Child.run("/usr/lib/postgresql/15/bin/pg_dump", ["--data-only", "--dbname", address.typed], directory: Repo.root, timeout: 300)
            guard dump.status == 0, !dump.stdout.isEmpty else { throw TestFailure("pg_dump failed: \(dump.stderr)") }
            var stored = Data(dump.stdout.utf8)
            stored.append(Self.byteaContents(stored))
            return stored
        }
    }
}

extension TestDatabase {
    /// The bytes of each `\\x` run of hexadecimal digits in a dump (COPY's text form of a
    /// BYTEA), one zero byte after each.
    static func byteaContents(_ dump: Data) -> Data {
        func nibble(_ c: UInt8) -> UInt8? {
            switch c {
            case 48...57: c - 48
            case 97...102: c - 87
            case 65...70: c - 55
            default: nil
            }
        }
        let bytes = [UInt8](dump)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count / 2)
        var i = 0
        while i + 2 < bytes.count {
            guard bytes[i] == 92, bytes[i + 1] == 120 || (bytes[i + 1] == 92 && bytes[i + 2] == 120) else { i += 1; continue }
            i += bytes[i + 1] == 120 ? 2 : 3
            while i + 1 < bytes.count, let high = nibble(bytes[i]), let low = nibble(bytes[i + 1]) {
                out.append(high << 4 | low)
                i += 2
            }
            out.append(0)
        }
        return Data(out)
    }
}

extension World {
    /// The world's store opened again, as a restarted server opens it (the same SQLite file,
    /// or a new pool on the same PostgreSQL database).
    func reopenedStore() async throws -> any WorldStorage {
        if let sqlite = store as? Store { return try Store(path: sqlite.path) }
        return try await PostgresStore.open(try postgresAddress, connections: 2, timeout: .seconds(60), existing: true)
    }

    /// Moves what waits in the ledger's tail into its indexes (session, source, person…), on
    /// either back-end, as the servers do in the background.
    func integrateLedger() async throws {
        if let sqlite = store as? Store {
            while try await sqlite.integrateLedger() > 0 {}
        } else if let pg = store as? PostgresStore {
            while try await pg.ledger.integrateLedger(limit: 4_096) > 0 {}
        }
    }

    /// The notices of the outbox by status, read from the database.
    func noticeCounts() async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for status in try await database.strings("SELECT status FROM notice_outbox") { out[status, default: 0] += 1 }
        return out
    }

    /// This world's database, for direct reads and writes in either SQL.
    var database: TestDatabase {
        get throws {
            if let sqlite = store as? Store { return .sqlite(sqlite.path) }
            return .postgres(try postgresAddress)
        }
    }
}
