import Foundation
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetSynth
// Filling the registry fast means sealing records as the import does, outside the gate.
@_spi(GateOnly) import GuichetVault

/// A retention run (place05's rules, `Gate.runRetention`) over a registry of N persons: N / 2
/// applications of a child and a parent each, 60 % withdrawn over a year ago (erased, with their
/// two persons; the profile's kept fields copied), 20 % closed over 90 days ago (archived, data keys
/// re-wrapped under the archive key), 20 % waiting (untouched). Times the
/// dry run, the run, and a second run that finds nothing left (what the daily task costs on a
/// day without expiries).
struct RetentionBench {
    let profile: Profile
    let keys: any KeyProvider
    let work: URL
    let plan: Plan
    static let fillBatch = 4_000

    struct Point: Codable {
        let persons: Int
        let dossiers: Int
        let fillSeconds: Double
        let dryRunSeconds: Double
        let runSeconds: Double
        let erasedDossiers: Int
        let erasedPersons: Int
        let archivedDossiers: Int
        let dossiersPerSecond: Double
        let ledgerEntries: Int64
        let idleRunSeconds: Double
    }

    func run() async throws -> [Point] {
        var points: [Point] = []
        for n in plan.retentionSizes {
            note("retention: \(n) persons")
            points.append(try await run(n))
        }
        return points
    }

    func run(_ persons: Int) async throws -> Point {
        let folder = try freshFolder(work, "retention-\(persons)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let registry = try await Registry.open(database: folder.appendingPathComponent("guichet.sqlite").path, profile: profile, keys: keys,
                                               keysOrigin: "benchmark", options: RegistryOptions(watch: nil))
        let store = registry.store, gate = registry.gate
        let vault = Vault(profile: profile, keys: keys)
        let daycare = Organisation(id: OrganisationID(), kind: "daycare", name: "CPE", territory: "06", capacity: nil)
        try await store.insert(organisations: [daycare], at: Date())
        let dossiers = persons / 2
        let old = Date().addingTimeInterval(-400 * 86_400)
        var rng = SplitMix64(seed: 20_000_000)
        let (_, fillSeconds) = try await timed {
            var done = 0
            while done < dossiers {
                let count = min(Self.fillBatch, dossiers - done)
                var batch: [(DossierRecord, [NewPerson])] = []
                batch.reserveCapacity(count)
                for k in 0..<count {
                    let x = (done + k) % 10
                    let status = x < 6 ? "withdrawn" : x < 8 ? "closed" : "waiting"
                    var people: [NewPerson] = []
                    for _ in 0..<2 {  // a child and a parent
                        let id = PersonID(using: &rng)
                        let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
                        let values: [String: FieldValue] = ["firstName": .text("Prénom"), "lastName": .text("Nom\(Int.random(in: 0..<1_000, using: &rng))")]
                        people.append(NewPerson(record: PersonRecord(id: id, version: 1, fields: try vault.seal(values, subject: id.rawValue, key: key), key: wrapped),
                                                terms: [PersonTerm(field: "lastName", term: try vault.blindIndex(field: "lastName", term: "nom\(k % 1_000)"))]))
                    }
                    let id = DossierID(using: &rng)
                    let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
                    let fields = try vault.seal(["desiredStart": .date(LocalDate(year: 2027, month: 9, day: 1)!), "daysPerWeek": .integer(5),
                                                 "specialNeeds": .text("note")], subject: id.rawValue, key: key, dossierType: "application")
                    let at = status == "waiting" ? Date() : old
                    batch.append((DossierRecord(id: id, type: "application", status: status, organisation: nil, assignedAgent: nil, territory: "06",
                                                version: 1, fields: fields,
                                                persons: [PersonLink(role: "child", person: people[0].record.id), PersonLink(role: "parent", person: people[1].record.id)],
                                                partners: [daycare.id], createdAt: at, updatedAt: at, key: wrapped), people))
                }
                try await store.importBatch(batch, by: nil)
                done += count
            }
        }
        let before = try await gate.ledgerSize()
        let (dry, drySeconds) = try await timed { try await gate.runRetention(dryRun: true, batch: 1_000) }
        let (report, runSeconds) = try await timed { try await gate.runRetention(batch: 1_000) }
        precondition(report.erased == dry.wouldErase.count && report.archived == dry.wouldArchive.count, "the run did what the dry run listed")
        let (idle, idleSeconds) = try await timed { try await gate.runRetention(batch: 1_000) }
        precondition(idle.erased == 0 && idle.archived == 0, "a second run finds nothing left")
        return Point(persons: dossiers * 2, dossiers: dossiers, fillSeconds: fillSeconds, dryRunSeconds: drySeconds, runSeconds: runSeconds,
                     erasedDossiers: report.erased, erasedPersons: report.personsErased, archivedDossiers: report.archived,
                     dossiersPerSecond: Double(report.erased + report.archived) / runSeconds,
                     ledgerEntries: try await gate.ledgerSize() - before, idleRunSeconds: idleSeconds)
    }
}
