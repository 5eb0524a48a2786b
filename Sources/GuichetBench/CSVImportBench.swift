import Foundation
import GuichetCore
import GuichetGate
import GuichetImport
import GuichetProfile
import GuichetStore
import GuichetSynth
import GuichetVault
import GuichetPostgres

/// `guichet import` of a CSV export (place05's sample mapping: a line is one application with
/// its child and one or two parents) through the gate: parsing, validation, sealing, one
/// journal entry per dossier and a transaction per batch. Compared, in the same run, with the
/// bulk encrypted import of persons (``ImportBench``) as a ratio of persons per second.
struct CSVImportBench {
    let profile: Profile
    let profilesFolder: URL
    let keys: any KeyProvider
    let work: URL
    let plan: Plan
    /// A PostgreSQL server the benchmark may fill (`--postgres`): each size is then imported
    /// into a registry there too, right after SQLite's, from the same file (issue 19).
    var postgres: PostgresAddress? = nil

    struct Point: Codable {
        let lines: Int
        let persons: Int
        let seconds: Double
        let linesPerSecond: Double
        let personsPerSecond: Double
        /// Persons per second of this import / of the encrypted bulk import of as many persons
        /// (the nearest size measured) in the same run.
        let ratioToEncryptedImport: Double?
        let encryptedImportPersons: Int?
    }

    /// The same import into a registry on PostgreSQL.
    struct PostgresPoint: Codable {
        let lines: Int
        let persons: Int
        let seconds: Double
        let linesPerSecond: Double
        let personsPerSecond: Double
        /// Persons per second on PostgreSQL / on SQLite, same file, same run.
        let ratioToSQLite: Double
        /// The same file imported again into another fresh database, each batch's rows written
        /// by `COPY … FROM STDIN` instead of `INSERT … SELECT FROM unnest(arrays)` (``PostgresBulkWrites``).
        let copySeconds: Double?
        let copyPersonsPerSecond: Double?
        /// Persons per second with `COPY` / with `unnest` arrays, same file, same run.
        let copyToArrays: Double?
    }

    struct Results {
        var points: [Point] = []
        var postgres: [PostgresPoint]? = nil
    }

    /// Persons sizes of the encrypted import, up to 1 M (at 10 M the CSV would add most of an hour).
    func run(against imports: [ImportBench.Point]) async throws -> Results {
        var results = Results()
        if postgres != nil { results.postgres = [] }
        for persons in plan.importSizes where persons <= 1_000_000 {
            let lines = persons * 2 / 5  // 2.5 persons a line on average
            note("import: CSV of \(lines) lines (about \(persons) persons) through the gate")
            let folder = try freshFolder(work, "csv-import-\(lines)")
            defer { try? FileManager.default.removeItem(at: folder) }
            let point = try await run(lines: lines, folder: folder, against: imports)
            results.points.append(point)
            if let postgres, plan.postgresImportSizes.contains(persons) {
                note("import: the same CSV into a registry on PostgreSQL, its batches written by INSERT … unnest")
                let pg = try await onPostgres(postgres, lines: lines, folder: folder, writes: .arrays)
                note("import: \(Int(pg.personsPerSecond)) persons/s on PostgreSQL, \(Int(point.personsPerSecond)) on SQLite")
                note("import: the same CSV into another registry on PostgreSQL, its batches written by COPY")
                let copy = try await onPostgres(postgres, lines: lines, folder: folder, writes: .copy)
                note("import: \(Int(copy.personsPerSecond)) persons/s on PostgreSQL with COPY")
                results.postgres?.append(PostgresPoint(lines: pg.lines, persons: pg.persons, seconds: pg.seconds, linesPerSecond: pg.linesPerSecond,
                                                       personsPerSecond: pg.personsPerSecond, ratioToSQLite: pg.personsPerSecond / point.personsPerSecond,
                                                       copySeconds: copy.seconds, copyPersonsPerSecond: copy.personsPerSecond,
                                                       copyToArrays: copy.personsPerSecond / pg.personsPerSecond))
            }
        }
        return results
    }

    static let organisations = ImportSample.organisations("place05").flatMap { kind, names in
        names.map { Organisation(id: OrganisationID(), kind: kind, name: $0, territory: "T1", capacity: nil) }
    }

    /// The importer of `guichet import`, skipping bad lines, with a progress line on standard
    /// error every 100,000 lines.
    func makeImporter(gate: Gate, store: any ImportStorage, file: String, lines: Int, on backEnd: String) throws -> Importer {
        let mappingPath = profilesFolder.appendingPathComponent("place05/import-mapping.yaml").path
        let mapping = try MappingLoader.load(path: mappingPath, profile: profile)
        var importer = Importer(gate: gate, store: store, mapping: mapping, mappingDigest: try Importer.digest(of: mappingPath), file: file)
        importer.onError = .skip
        let batch = importer.batchSize
        importer.progress = { p in
            if p.phase == .importing, p.lines > 0, p.lines % 100_000 < batch { note("import: \(backEnd), \(p.lines) of \(lines) lines") }
        }
        return importer
    }

    /// Imports the file the SQLite run wrote into a fresh registry on PostgreSQL.
    func onPostgres(_ cluster: PostgresAddress, lines: Int, folder: URL, writes: PostgresBulkWrites)
        async throws -> (lines: Int, persons: Int, seconds: Double, linesPerSecond: Double, personsPerSecond: Double) {
        let address = try await PostgresDatabases.fresh(cluster, "guichet_bench_csv_\(lines)_\(writes.rawValue)")
        let store = try await PostgresStore.open(address, timeout: .seconds(120), bulkWrites: writes)
        do {
            let registry = try await PostgresDatabases.openRegistry(store, profile: profile, keys: keys, keysOrigin: "benchmark")
            try await store.insert(organisations: Self.organisations, at: Date())
            let importer = try makeImporter(gate: registry.gate, store: store, file: folder.appendingPathComponent("export.csv").path,
                                        lines: lines, on: "PostgreSQL")
            let (summary, seconds) = try await timed { try await importer.run() }
            guard summary.dossiers == lines, summary.skipped == 0 else {
                throw BenchError("the CSV import on PostgreSQL stored \(summary.dossiers) of \(lines) lines (\(summary.skipped) bad)")
            }
            await store.close()
            try await PostgresDatabases.drop(address, on: cluster)
            return (lines, summary.persons, seconds, Double(lines) / seconds, Double(summary.persons) / seconds)
        } catch {
            await store.close()
            throw error
        }
    }

    func run(lines: Int, folder: URL, against imports: [ImportBench.Point]) async throws -> Point {
        let registry = try await Registry.open(database: folder.appendingPathComponent("guichet.sqlite").path, profile: profile, keys: keys,
                                               keysOrigin: "benchmark", options: RegistryOptions(watch: nil))
        let (store, gate) = (registry.store, registry.gate)
        try await store.insert(organisations: Self.organisations, at: Date())
        let file = folder.appendingPathComponent("export.csv").path
        let persons = try ImportSample.write(profile: "place05", lines: lines, to: file, seed: 1_600)
        let importer = try makeImporter(gate: gate, store: store, file: file, lines: lines, on: "SQLite")
        let (summary, seconds) = try await timed { try await importer.run() }
        guard summary.dossiers == lines, summary.persons == persons, summary.skipped == 0 else {
            throw BenchError("the CSV import stored \(summary.dossiers) of \(lines) lines (\(summary.skipped) bad)")
        }
        let rate = Double(persons) / seconds
        let reference = imports.filter { $0.variant == "encrypted" }.min { abs($0.persons - persons) < abs($1.persons - persons) }
        return Point(lines: lines, persons: persons, seconds: seconds, linesPerSecond: Double(lines) / seconds, personsPerSecond: rate,
                     ratioToEncryptedImport: reference.map { rate / $0.personsPerSecond }, encryptedImportPersons: reference?.persons)
    }
}
