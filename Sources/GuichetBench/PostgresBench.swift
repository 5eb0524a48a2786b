import Foundation
import GuichetCore
import GuichetStore
import GuichetGate
import GuichetImport
import GuichetServer
import GuichetVault
import GuichetPostgres
import GRDB
import PostgresNIO

// The PostgreSQL variants of the gate's and the import's benchmarks (issue 19).

/// Throw-away databases on the server given with `--postgres` (scripts/bench starts a
/// throw-away cluster): one per registry a benchmark fills.
enum PostgresDatabases {
    static func admin(_ server: PostgresAddress, _ sql: String) async throws {
        let tls: PostgresClient.Configuration.TLS = server.tls == .disable ? .disable : .prefer(.makeClientConfiguration())
        let client = PostgresClient(configuration: .init(host: server.host, port: server.port, username: server.user, password: server.password,
                                                         database: server.database, tls: tls))
        let runner = Task { await client.run() }
        defer { runner.cancel() }
        try await client.query(PostgresQuery(unsafeSQL: sql))
    }

    /// A new, empty database `name` (dropped first if a previous run left it).
    static func fresh(_ server: PostgresAddress, _ name: String) async throws -> PostgresAddress {
        try await drop(server.database(name), on: server)
        try await admin(server, "CREATE DATABASE \(name)")
        return server.database(name)
    }

    static func drop(_ database: PostgresAddress, on server: PostgresAddress) async throws {
        try await admin(server, "DROP DATABASE IF EXISTS \(database.database) WITH (FORCE)")
    }

    /// A registry on PostgreSQL opened as `guichet serve` opens one (Registry.open's start-up
    /// checks), without the watch.
    static func openRegistry(_ store: PostgresStore, profile: Profile, keys: any KeyProvider, keysOrigin: String) async throws -> OpenedRegistry {
        try await Registry.open(storage: store, ledger: store.ledger,
                                journal: { store.ledger.journal(signer: $0, origin: $1, sourceKey: $2) },
                                profile: profile, keys: keys, keysOrigin: keysOrigin, options: RegistryOptions(watch: nil))
    }

    /// Copies the organisations, dossiers and persons of a SQLite registry (as the generator
    /// wrote them: sealed fields, wrapped data keys, search terms, birth-year tags) into a
    /// registry on PostgreSQL opened with the same keys, through the store's own import path
    /// (`importBatch`, 1,000 dossiers a transaction). Returns the dossiers copied.
    static func copyRegistry(from store: Store, to target: PostgresStore) async throws -> Int {
        try await target.insert(organisations: try await store.organisations(kind: nil), at: Date())
        let queue = try DatabaseQueue(path: store.path)
        let ids = try await queue.read { db in try String.fetchAll(db, sql: "SELECT id FROM dossier ORDER BY id").map(DossierID.init(trusted:)) }
        var copied = Set<PersonID>()
        var done = 0
        for start in stride(from: 0, to: ids.count, by: 1_000) {
            let dossiers = try await store.dossiers(Array(ids[start..<min(start + 1_000, ids.count)]))
            let personIDs = Array(Set(dossiers.flatMap { $0.persons.map(\.person) }).subtracting(copied))
            let persons = try await store.persons(personIDs)
            let raw = personIDs.map(\.rawValue)
            let terms = try await queue.read { db -> [String: [PersonTerm]] in
                var out: [String: [PersonTerm]] = [:]
                for chunk in stride(from: 0, to: raw.count, by: 500).map({ Array(raw[$0..<min($0 + 500, raw.count)]) }) {
                    let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    for row in try Row.fetchAll(db, sql: "SELECT person_id, field, term FROM person_term WHERE person_id IN (\(marks))",
                                                arguments: StatementArguments(chunk)) {
                        let person: String = row["person_id"]
                        out[person, default: []].append(PersonTerm(field: row["field"], term: row["term"]))
                    }
                    for row in try Row.fetchAll(db, sql: "SELECT person_id, tag FROM person_birth_year WHERE person_id IN (\(marks))",
                                                arguments: StatementArguments(chunk)) {
                        let person: String = row["person_id"]
                        out[person, default: []].append(PersonTerm(field: PersonTerm.birthYearField, term: row["tag"]))
                    }
                }
                return out
            }
            var batch: [(DossierRecord, [NewPerson])] = []
            for d in dossiers {
                var new: [NewPerson] = []
                for link in d.persons where !copied.contains(link.person) {
                    guard let p = persons[link.person] else { throw BenchError("a dossier links a person the store does not hold") }
                    new.append(NewPerson(record: p, terms: terms[link.person.rawValue] ?? []))
                    copied.insert(link.person)
                }
                batch.append((d, new))
            }
            try await target.importBatch(batch, by: nil)
            done += dossiers.count
            if done % 10_000 < 1_000 || done == ids.count { note("http: copied \(done) of \(ids.count) dossiers to PostgreSQL") }
        }
        return done
    }
}
