import Foundation
import Testing
import GRDB
import Synchronization
import GuichetCore
import GuichetGate
import GuichetImport
import GuichetProfile
@testable import GuichetStore

/// The import library through the real gate, in-process: what is stored, what is journalled,
/// and that a batch the journal refuses is not stored.
@Suite struct ImporterTests {
    static let mapping = """
        dossier: application
        columns:
          DEMANDE: dossier.createdAt
          PRENOM: child.firstName
          NOM: child.lastName
          NAISSANCE: child.birthDate
          P_PRENOM: parent.firstName
          P_NOM: parent.lastName
          P_NAISSANCE: parent.birthDate
          P_COURRIEL: parent.email
          DEBUT: desiredStart
          JOURS: daysPerWeek
          BESOINS: specialNeeds
          SERVICE: dossier.partner
        """
    static let csv = """
        DEMANDE,PRENOM,NOM,NAISSANCE,P_PRENOM,P_NOM,P_NAISSANCE,P_COURRIEL,DEBUT,JOURS,BESOINS,SERVICE
        2024-02-01,Léa,Exemple,2024-05-06,Julie,Exemple,1990-04-12,julie.exemple@example.org,2026-09-01,5,"Allergie, suivi",CPE 1
        2024-03-15,Noé,Modèle,2023-11-30,Marc,Modèle,1988-01-20,,2026-01-05,3,,CPE 2
        """

    func importer(_ world: World, csv: String = Self.csv) throws -> Importer {
        let file = world.folder.appendingPathComponent("export-\(UUID().uuidString).csv").path
        try csv.write(toFile: file, atomically: true, encoding: .utf8)
        let mapping = try MappingLoader.parse(yaml: Self.mapping, file: "m.yaml", profile: world.profile)
        var importer = Importer(gate: world.gate, store: world.store, mapping: mapping, mappingDigest: "test", file: file)
        importer.batchSize = 1
        return importer
    }

    func dossierIDs(_ world: World) async throws -> [DossierID] {
        try await world.database.strings("SELECT id FROM dossier ORDER BY created_at, id").map(DossierID.init(trusted:))
    }

    @Test("an imported application is sealed, dated as the file says, journalled without a value, and its daycare reads it through the gate")
    func importedLikeCreated() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let summary = try await importer(world).run()
        #expect(summary.outcome == .done && summary.dossiers == 2 && summary.persons == 4 && summary.skipped == 0)
        let ids = try await dossierIDs(world)
        #expect(ids.count == 2)
        let view = try await world.gate.read(ids[0], try await world.request("daycare1"))
        #expect(view.status == "waiting")
        #expect(view.fields["desiredStart"] == .date(LocalDate(year: 2026, month: 9, day: 1)!))
        #expect(view.persons.first { $0.role == "child" }?.fields["firstName"] == .text("Léa"))
        #expect(view.persons.first { $0.role == "parent" }?.fields["email"] == .text("julie.exemple@example.org"))
        #expect(view.fields["specialNeeds"] == nil, "a daycare does not see sensitive fields, imported or not")
        #expect(Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: view.createdAt).month == 2)
        let entries = try await world.ledger.journal().filter { $0.reason.hasPrefix("import:") }
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.action == "create" && $0.account == nil && $0.allowed })
        #expect(Set(entries[0].fields).isSuperset(of: ["child.lastName", "parent.email", "specialNeeds", "partners"]))
        #expect(try await world.ledger.journal().contains { $0.action == "import" && $0.reason.contains("2 dossiers, 4 persons") })
        let stored = try await world.database.blobs("SELECT fields FROM person")
        #expect(!stored.contains { $0.range(of: Data("Exemple".utf8)) != nil }, "a name is stored in clear")
    }

    @Test("when the journal cannot be written, the batch is not stored and the import does not move past it")
    func journalFailureStoresNothing() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let importer = try importer(world)
        try await world.database.breakJournal()
        await #expect { try await importer.run() } throws: { error in
            if case GuichetError.unavailable = error { return true } else { return false }
        }
        #expect(try await dossierIDs(world).isEmpty)
        try await world.database.repairJournal()
        let resumed = try await importer.run()
        #expect(resumed.resumedAtLine == 2, "the import resumes at its first line of data")
        #expect(try await dossierIDs(world).count == 2)
    }

    @Test("an interrupted import resumed with another mapping file is refused")
    func resumeKeepsItsMapping() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let first = try importer(world)
        try await world.store.save(importRun: ImportRun(id: "interrupted", fileDigest: try Importer.digest(of: first.file),
                                                        mappingDigest: "another", dossierType: "application", startedAt: Date()))
        await #expect(throws: ImportFileError("an interrupted import of this file used another mapping file: resume it with the same mapping")) {
            try await first.run()
        }
    }

    @Test("a changed file while another file's import is unfinished is refused (its stored lines would be stored twice), unless asked for")
    func changedFileBesideUnfinished() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let first = try importer(world)
        // The first file's import stopped after its first line (a batch of one).
        try await world.store.save(importRun: {
            var run = ImportRun(id: "interrupted", fileDigest: try Importer.digest(of: first.file), mappingDigest: "test",
                                dossierType: "application", startedAt: Date())
            let lines = Self.csv.split(separator: "\n")
            run.nextOffset = UInt64(lines[0].utf8.count + 1 + lines[1].utf8.count + 1)
            run.nextLine = 3; run.dossiers = 1
            return run
        }())
        // The same lines with one cell changed: another file.
        let changed = try importer(world, csv: Self.csv.replacingOccurrences(of: "Allergie, suivi", with: "Allergie"))
        await #expect { try await changed.run() } throws: { error in
            let text = "\(error)"
            return text.contains("the import interrupted of another file has not ended") && text.contains("stopped before line 3")
                && text.contains("--beside-unfinished") && !text.contains("Allergie")
        }
        #expect(try await dossierIDs(world).isEmpty, "nothing was stored")
        var dry = changed
        dry.dryRun = true
        #expect(try await dry.run().outcome == .done, "a dry run is not refused")
        var beside = changed
        beside.besideUnfinished = true
        #expect(try await beside.run().dossiers == 2)
        // The interrupted file itself still resumes.
        #expect(try await first.run().resumedAtLine == 3)
        #expect(try await dossierIDs(world).count == 3)
    }

    @Test("dossier.updatedAt dates the last change (retention counts from it); after today or before the application date, the line is bad")
    func lastChangeDate() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let mapping = try MappingLoader.parse(yaml: Self.mapping + "\n  MAJ: dossier.updatedAt\n", file: "m.yaml", profile: world.profile)
        let lines = Self.csv.split(separator: "\n")
        let csv = [lines[0] + ",MAJ", lines[1] + ",2024-06-30", lines[2] + ",2099-01-01", lines[2].replacingOccurrences(of: "2024-03-15", with: "2024-03-16") + ",2024-03-01"]
            .joined(separator: "\n")
        let file = world.folder.appendingPathComponent("dated.csv").path
        try csv.write(toFile: file, atomically: true, encoding: .utf8)
        let problems = ProblemLog()
        var importer = Importer(gate: world.gate, store: world.store, mapping: mapping, mappingDigest: "dated", file: file)
        importer.onError = .skip
        importer.problem = { problems.add($0) }
        let summary = try await importer.run()
        #expect(summary.dossiers == 1 && summary.skipped == 2)
        #expect(problems.all.map(\.description) == ["line 3, column MAJ: the day of the last change is in the future",
                                                                     "line 4, column MAJ: the day of the last change is before the day the dossier began"])
        let changed: [Int64] = try await world.database.firstColumn("SELECT updated_at FROM dossier")
        let day = Int64(DateComponents(calendar: Calendar(identifier: .gregorian), timeZone: TimeZone(identifier: "UTC"), year: 2024, month: 6, day: 30).date!.timeIntervalSince1970 * 1000)
        #expect(changed == [day])
    }

    @Test("a line naming an unknown daycare is reported by line and column, and the others are imported")
    func unknownPartner() async throws {
        let world = try await World.make()
        defer { world.remove() }
        var importer = try importer(world, csv: Self.csv.replacingOccurrences(of: ",CPE 2", with: ",CPE 99"))
        importer.onError = .skip
        let problems = ProblemLog()
        importer.problem = { p in problems.add(p) }
        let summary = try await importer.run()
        #expect(summary.dossiers == 1 && summary.skipped == 1)
        #expect(problems.all == [ImportProblem(line: 3, column: "SERVICE", message: "no organisation of kind 'daycare' has this name or id")])
    }

    @Test("abort mode checks the whole file: every bad line, every bad cell of each in the file's column order, and nothing written")
    func everyFaultInOneRun() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let rows = Self.csv.split(separator: "\n").map(String.init)
        // Line 2: a bad request day, a bad birth date, a bad e-mail, 9 days a week and an
        // unknown daycare; line 3 is good; line 4: a child born in 2030 (birth dates are not
        // in the future).
        let bad = "2024-13-01,Léa,Exemple,2024/05/06,Julie,Exemple,1990-04-12,pas-une-adresse,2026-09-01,9,,CPE 99"
        let future = rows[2].replacingOccurrences(of: "2023-11-30", with: "2030-01-01")
        var importer = try importer(world, csv: [rows[0], bad, rows[2], future].joined(separator: "\n"))
        let problems = ProblemLog()
        importer.problem = { problems.add($0) }
        importer.onError = .abort
        let summary = try await importer.run()
        #expect(summary.outcome == .aborted && summary.skipped == 2)
        #expect(problems.all.map(\.line) == [2, 2, 2, 2, 2, 4], "\(problems.all)")
        #expect(problems.all.compactMap(\.column) == ["DEMANDE", "NAISSANCE", "P_COURRIEL", "JOURS", "SERVICE", "NAISSANCE"], "\(problems.all)")
        #expect(!problems.all.contains { $0.message.contains("pas-une-adresse") || $0.message.contains("2030") }, "a cell's content is never echoed")
        #expect(try await dossierIDs(world).isEmpty)
    }

    @Test("when the journal fails in the middle of a pipelined import, the batches before are stored, none after, and the import resumes after the last stored one")
    func journalFailureMidImport() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let third = "\n2024-04-01,Zoé,Essai,2023-10-02,Anne,Essai,1991-06-30,,2026-02-02,4,,CPE 1"
        let importer = try importer(world, csv: Self.csv + third)
        let personsBefore = try await world.rowCounts()["person"] ?? 0
        // The journal refuses every entry once a dossier is stored: the first batch (one line)
        // goes through, the second is refused while the third is being sealed.
        try await world.database.breakJournal(when: "(SELECT COUNT(*) FROM dossier) >= 1")
        await #expect { try await importer.run() } throws: { error in
            if case GuichetError.unavailable = error { return true } else { return false }
        }
        #expect(try await dossierIDs(world).count == 1)
        let stopped = try #require(try await world.store.importRun(fileDigest: try Importer.digest(of: importer.file)))
        #expect(stopped.nextLine == 3 && stopped.dossiers == 1 && stopped.finishedAt == nil)
        try await world.database.repairJournal()
        let resumed = try await importer.run()
        #expect(resumed.resumedAtLine == 3)
        #expect(resumed.outcome == .done && resumed.dossiers == 3 && resumed.persons == 6)
        #expect(try await dossierIDs(world).count == 3, "a line stored twice, or one lost")
        let persons = try await world.database.count("person")
        #expect(persons == personsBefore + 6)
    }
}

final class ProblemLog: Sendable {
    private let list = Mutex<[ImportProblem]>([])
    func add(_ p: ImportProblem) { list.withLock { $0.append(p) } }
    var all: [ImportProblem] { list.withLock { $0 } }
}
