import Foundation
import GuichetCore
import GuichetGate
import GuichetImport
import GuichetProfile
import GuichetStore
import GuichetSynth
import GuichetVault

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

    /// Persons sizes of the encrypted import, up to 1 M (at 10 M the CSV would add most of an hour).
    func run(against imports: [ImportBench.Point]) async throws -> [Point] {
        var points: [Point] = []
        for persons in plan.importSizes where persons <= 1_000_000 {
            let lines = persons * 2 / 5  // 2.5 persons a line on average
            note("import: CSV of \(lines) lines (about \(persons) persons) through the gate")
            points.append(try await run(lines: lines, against: imports))
        }
        return points
    }

    func run(lines: Int, against imports: [ImportBench.Point]) async throws -> Point {
        let folder = try freshFolder(work, "csv-import-\(lines)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try await Registry.open(database: folder.appendingPathComponent("guichet.sqlite").path, profile: profile, keys: keys,
                                               keysOrigin: "benchmark", options: RegistryOptions(watch: nil))
        let (store, gate) = (registry.store, registry.gate)
        try await store.insert(organisations: ImportSample.organisations("place05").flatMap { kind, names in
            names.map { Organisation(id: OrganisationID(), kind: kind, name: $0, territory: "T1", capacity: nil) }
        }, at: Date())
        let file = folder.appendingPathComponent("export.csv").path
        let persons = try ImportSample.write(profile: "place05", lines: lines, to: file, seed: 1_600)
        let mappingPath = profilesFolder.appendingPathComponent("place05/import-mapping.yaml").path
        let mapping = try MappingLoader.load(path: mappingPath, profile: profile)
        var importer = Importer(gate: gate, store: store, mapping: mapping, mappingDigest: try Importer.digest(of: mappingPath), file: file)
        importer.onError = .skip
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
