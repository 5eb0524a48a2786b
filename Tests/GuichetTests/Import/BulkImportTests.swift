import Foundation
import Testing
import GRDB
import GuichetCore
import GuichetGate
import GuichetImport
import GuichetProfile
import GuichetDeployment
@testable import GuichetStore

/// `guichet import --bulk` in-process (issue 18): batches staged without indexes, moved into
/// the registry in one transaction with the import's end; resumable, all or nothing.
@Suite(.sqliteOnly) struct BulkImportTests {
    static let third = "\n2024-04-01,Zoé,Essai,2023-10-02,Anne,Essai,1991-06-30,anne.essai@example.org,2026-02-02,4,,CPE 1"

    func importer(_ world: World, bulk: Bool, csv: String = ImporterTests.csv + Self.third) throws -> Importer {
        var importer = try ImporterTests().importer(world, csv: csv)
        importer.bulk = bulk
        return importer
    }

    /// A bulk import of the three lines stopped after its first batch (one line), as a crash
    /// or a full disk stops it: the journal refuses the second batch's entry.
    func interrupted(_ world: World) async throws -> Importer {
        let importer = try importer(world, bulk: true)
        // The first batch's journal entry is written, the second's refused.
        try await world.database.breakJournal(when: "(SELECT COUNT(*) FROM ledger_entry WHERE request_id LIKE 'import-%') >= 1")
        await #expect { try await importer.run() } throws: { error in
            if case GuichetError.unavailable = error { return true } else { return false }
        }
        try await world.database.repairJournal()
        return importer
    }

    /// What the schema declares (tables, indexes, triggers), without the import's own stage.
    static func schema(_ path: String) throws -> [String] {
        try DatabaseQueue(path: path).read { db in
            try String.fetchAll(db, sql: "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'import\\_stage\\_%' ESCAPE '\\' ORDER BY type, name")
        }
    }

    /// Runs `sql` on the stage's own file, as a hand or a disk would change it.
    static func inStage(_ path: String, _ sql: String) throws -> [String] {
        try DatabaseQueue(path: path + "-import-stage").write { db in try String.fetchAll(db, sql: sql) }
    }

    /// Stores a dossier of the registry under the id of the first staged one, so that the
    /// move fails on the dossier table, after the keys and persons have moved in; returns the id.
    static func takeStagedDossierID(_ world: World, _ path: String) async throws -> String {
        let staged = try #require(try inStage(path, "SELECT id FROM import_stage_dossier").first)
        let organisation = try #require(try await world.database.strings("SELECT id FROM organisation").first)
        try await world.database.execute(sqlite: ["""
            INSERT INTO dossier(id, type, status, organisation_id, version, fields, created_at, updated_at)
            VALUES ('\(staged)', 'application', 'waiting', '\(organisation)', 1, X'00', 0, 0)
            """], postgres: [])
        return staged
    }

    /// Row counts of every table an import writes, and of the blind indexes' terms by field.
    static func contents(_ world: World) async throws -> [String: Int] {
        var out: [String: Int] = [:]
        for t in ["data_key", "person", "person_version", "person_term", "person_birth_year", "dossier", "dossier_person",
                  "dossier_partner", "dossier_version"] {
            out[t] = try await world.database.count(t)
        }
        for field in try await world.database.strings("SELECT DISTINCT field FROM person_term") {
            out["term:\(field)"] = try await world.database.count("person_term", where: "field = '\(field)'")
        }
        return out
    }

    @Test("a bulk import stores what the batch-by-batch import stores, reads through the gate the same, and leaves the schema as it was")
    func sameAsDirect() async throws {
        let direct = try await World.make()
        defer { direct.remove() }
        let bulk = try await World.make()
        defer { bulk.remove() }
        let path = try bulk.sqlite.path
        let before = try Self.schema(path)
        let (directBefore, bulkBefore) = (try await Self.contents(direct), try await Self.contents(bulk))
        let a = try await importer(direct, bulk: false).run()
        let b = try await importer(bulk, bulk: true).run()
        for s in [a, b] { #expect(s.outcome == .done && s.lines == 3 && s.dossiers == 3 && s.persons == 6 && s.skipped == 0 && s.resumedAtLine == nil) }
        func added(_ after: [String: Int], _ before: [String: Int]) -> [String: Int] {
            after.merging(before.mapValues { -$0 }) { $0 + $1 }.filter { $0.value != 0 }
        }
        let counts = added(try await Self.contents(bulk), bulkBefore)
        #expect(counts == added(try await Self.contents(direct), directBefore))
        #expect(counts["dossier"] == 3 && counts["person"] == 6 && counts["data_key"] == 9 && (counts["person_term"] ?? 0) >= 12)
        #expect(try Self.schema(path) == before, "an index dropped and not built again, or built otherwise")
        #expect(try await bulk.database.strings("SELECT \"table\" FROM pragma_foreign_key_check").isEmpty, "a row names a missing one")
        #expect(!FileManager.default.fileExists(atPath: path + "-import-stage"), "the stage's file is left behind")
        // Read through the gate, and found by a search term: the indexes work.
        let ids = try await ImporterTests().dossierIDs(bulk)
        let agent = try await bulk.request("agent", purpose: "list-management")
        #expect(ids.count == 3)
        for id in ids {
            let view = try await bulk.gate.read(id, agent)
            #expect(view.persons.count == 2 && view.persons.first { $0.role == "child" }?.fields["firstName"] != nil)
        }
        let criteria = ["child.lastName": "Essai", "child.birthDate": "2023-10-02"]
        let found = try await bulk.gate.search(type: "application", status: nil, criteria: criteria, after: nil, limit: 10,
                                               try await bulk.request("agent", purpose: "family-request"))
        let foundDirect = try await direct.gate.search(type: "application", status: nil, criteria: criteria, after: nil, limit: 10,
                                                       try await direct.request("agent", purpose: "family-request"))
        #expect(found.views.count == 1 && foundDirect.views.count == 1, "a blind index of the bulk import is not found")
        let entries = try await bulk.ledger.journal().filter { $0.reason.hasPrefix("import:") }
        #expect(entries.count == 3 && entries.allSatisfy { $0.action == "create" })
    }

    @Test("the stage's copies of a person's wrapped key and search terms go with its file: after the person's erasure, neither the registry's file nor its WAL holds them")
    func stageLeavesNoKeyBehind() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let path = try world.sqlite.path
        _ = try await importer(world, bulk: true).run()
        #expect(!FileManager.default.fileExists(atPath: path + "-import-stage") && !FileManager.default.fileExists(atPath: path + "-import-stage-journal"))
        let child = try #require(try await world.database.strings("SELECT person_id FROM dossier_person WHERE role = 'child' ORDER BY person_id").first)
        let wrapped = try #require(try await world.database.blobs("SELECT wrapped FROM data_key WHERE subject_id = '\(child)'").first)
        let terms = try await world.database.strings("""
            SELECT term FROM person_term t WHERE person_id = '\(child)'
            AND NOT EXISTS (SELECT 1 FROM person_term o WHERE o.term = t.term AND o.person_id != t.person_id)
            """)
        #expect(!terms.isEmpty)
        #expect(try await world.database.storedBytes().containsBytes(wrapped), "the scan finds the key before the erasure")
        _ = try await world.gate.eraseOnRequest(person: PersonID(trusted: child), reference: "REQ-2027-4", try await world.principal("security"), requestID: "t")
        let after = try await world.database.storedBytes()
        #expect(!after.containsBytes(wrapped), "a copy of the shredded key outlived the erasure (a stage dropped without overwriting?)")
        for term in terms { #expect(!after.containsBytes(Data(term.utf8)), "a copy of an erased search term outlived the erasure") }
    }

    @Test("an interrupted bulk import has put nothing in the registry; resumed, without --bulk even, it ends as a bulk import and moves everything in")
    func interruptedThenResumed() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let path = try world.sqlite.path
        let before = try await Self.contents(world)
        let importer = try await interrupted(world)
        #expect(try await Self.contents(world) == before, "a staged row reached the registry before the import's end")
        #expect(try ImportFolder.stageCount(path, "dossier") == 1 && ImportFolder.stageCount(path, "person") == 2)
        let mode = try #require(try FileManager.default.attributesOfItem(atPath: path + "-import-stage")[.posixPermissions] as? Int)
        #expect(mode == 0o600, "the stage's file is readable by others: \(String(mode, radix: 8))")
        let stopped = try #require(try await world.store.importRun(fileDigest: try Importer.digest(of: importer.file)))
        #expect(stopped.staged && stopped.finishedAt == nil && stopped.nextLine == 3 && stopped.dossiers == 1)
        #expect(try await world.sqlite.hasStagedRows())
        var resumedDirect = importer
        resumedDirect.bulk = false
        let resumed = try await resumedDirect.run()
        #expect(resumed.resumedAtLine == 3 && resumed.outcome == .done && resumed.dossiers == 3 && resumed.persons == 6)
        let after = try await Self.contents(world)
        #expect(after["dossier"] == 3 && after["person"] == 6 && after["dossier_version"] == 3 && after["person_version"] == 0)
        #expect(!FileManager.default.fileExists(atPath: path + "-import-stage"))
        #expect(try await world.store.importRun(fileDigest: try Importer.digest(of: importer.file))?.finishedAt != nil)
        #expect(try await !world.sqlite.hasStagedRows())
    }

    @Test("when moving the stage in fails on a table, that table and the ones after it stay staged, no server may open the registry, and the same command ends the import")
    func failedMoveResumes() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let path = try world.sqlite.path
        let importer = try await interrupted(world)
        // A dossier of the registry already has the staged dossier's id: the move fails on
        // the dossier table, after the keys and persons have moved in.
        let staged = try await Self.takeStagedDossierID(world, path)
        let before = try await Self.contents(world)
        await #expect(throws: StoreError.duplicate("record")) { try await importer.run() }
        let midway = try await Self.contents(world)
        #expect(midway["person"] == before["person"]! + 6 && midway["person_version"] == before["person_version"]!,
                "the tables before the dossiers' moved whole")
        #expect(midway["dossier"] == before["dossier"] && midway["dossier_person"] == before["dossier_person"]
                && midway["dossier_version"] == before["dossier_version"], "the dossiers' table moved in part, or the tables after it")
        #expect(try ImportFolder.stageCount(path, "dossier") == 3 && ImportFolder.stageCount(path, "dossier_person") == 6)
        #expect(try await world.database.strings("SELECT name FROM import_stage_move WHERE moved = 1 ORDER BY name")
                == ["data_key", "person", "person_birth_year", "person_term", "person_version"], "the move's plan does not say which tables moved")
        let run = try #require(try await world.store.importRun(fileDigest: try Importer.digest(of: importer.file)))
        #expect(run.finishedAt == nil && run.dossiers == 3, "the import is marked ended, or lost its progress")
        #expect(try await world.sqlite.bulkImportMoving()?.id == run.id, "a server would open a registry moved in part")
        // Once the cause is gone, the same command ends the import.
        try await world.database.execute(sqlite: ["UPDATE dossier SET id = '\(DossierID().rawValue)' WHERE id = '\(staged)'"], postgres: [])
        #expect(try await importer.run().outcome == .done)
        let after = try await Self.contents(world)
        #expect(after["dossier"] == before["dossier"]! + 3 && after["person"] == before["person"]! + 6 && after["dossier_person"] == before["dossier_person"]! + 6)
        #expect(!FileManager.default.fileExists(atPath: path + "-import-stage"))
        #expect(try await world.sqlite.bulkImportMoving() == nil)
        #expect(try await !world.sqlite.hasStagedRows())
    }

    @Test("a registry without the stage's file of a bulk import that was staging (a copy taken then) starts that import again from its first line, and stores every line once")
    func stageLostWhileStaging() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let path = try world.sqlite.path
        let before = try await Self.contents(world)
        let importer = try await interrupted(world)
        try FileManager.default.removeItem(atPath: path + "-import-stage")
        let run = try #require(try await world.store.importRun(fileDigest: try Importer.digest(of: importer.file)))
        #expect(run.nextLine == 2 && run.dossiers == 0 && run.finishedAt == nil, "the registry's record of the run is not its start")
        let resumed = try await importer.run()
        #expect(resumed.outcome == .done && resumed.resumedAtLine == 2 && resumed.dossiers == 3 && resumed.persons == 6)
        let after = try await Self.contents(world)
        #expect(after["dossier"] == before["dossier"]! + 3 && after["person"] == before["person"]! + 6 && after["data_key"] == before["data_key"]! + 9)
        #expect(try await !world.sqlite.hasStagedRows())
    }

    @Test("a move whose stage's file is gone stops saying so, moves nothing more, and no server may open the registry")
    func stageLostWhileMoving() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let path = try world.sqlite.path
        let importer = try await interrupted(world)
        // The move stops on the dossiers (an id taken), after the keys and persons moved in.
        let staged = try await Self.takeStagedDossierID(world, path)
        await #expect(throws: StoreError.duplicate("record")) { try await importer.run() }
        try await world.database.execute(sqlite: ["UPDATE dossier SET id = '\(DossierID().rawValue)' WHERE id = '\(staged)'"], postgres: [])
        let midway = try await Self.contents(world)
        try FileManager.default.removeItem(atPath: path + "-import-stage")
        await #expect { try await importer.run() } throws: { error in
            guard case StoreError.unavailable(let text) = error else { return false }
            return text.contains("stage of dossier is missing") && text.contains("put the stage file back")
        }
        #expect(try await Self.contents(world) == midway, "a table moved without its stage")
        #expect(try await world.sqlite.bulkImportMoving() != nil, "a server would open a registry moved in part")
    }

    @Test("a stage in the registry's own file, as a Guichet of before December 2026 made it, takes the next batches and is moved in and dropped there")
    func stageInRegistryFile() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let path = try world.sqlite.path
        let schema = try Self.schema(path)
        let before = try await Self.contents(world)
        let importer = try await interrupted(world)
        // The stage as the earlier layout kept it: its tables, and the run's progress, in the registry's file.
        let registry = try DatabaseQueue(path: path)
        try await registry.writeWithoutTransaction { db in
            try db.execute(sql: "ATTACH DATABASE ? AS old", arguments: [path + "-import-stage"])
            try db.inTransaction {
                for t in ImportTables.tables {
                    try db.execute(sql: "CREATE TABLE main.import_stage_\(t) AS SELECT * FROM old.import_stage_\(t)")
                }
                try db.execute(sql: """
                    UPDATE main.import_run SET (next_offset, next_line, dossiers, persons, skipped) =
                        (SELECT next_offset, next_line, dossiers, persons, skipped FROM old.import_stage_run WHERE old.import_stage_run.id = import_run.id)
                    WHERE staged = 1
                    """)
                return .commit
            }
            try db.execute(sql: "DETACH DATABASE old")
        }
        try FileManager.default.removeItem(atPath: path + "-import-stage")
        #expect(try await world.sqlite.hasStagedRows())
        let resumed = try await importer.run()
        #expect(resumed.outcome == .done && resumed.resumedAtLine == 3 && resumed.dossiers == 3 && resumed.persons == 6)
        #expect(!FileManager.default.fileExists(atPath: path + "-import-stage"), "a stage's file was made beside a stage in the registry's")
        let after = try await Self.contents(world)
        #expect(after["dossier"] == before["dossier"]! + 3 && after["person"] == before["person"]! + 6 && after["dossier_person"] == before["dossier_person"]! + 6)
        #expect(try Self.schema(path) == schema)
        #expect(try await world.database.strings("SELECT name FROM sqlite_master WHERE name LIKE 'import\\_stage\\_%' ESCAPE '\\'").isEmpty, "a stage table is left")
        #expect(try await !world.sqlite.hasStagedRows())
    }

    @Test("a staged row that names a person who does not exist is refused before its table moves, as the foreign key would refuse it")
    func referencesChecked() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let importer = try await interrupted(world)
        let (links, dossiers) = (try await world.database.count("dossier_person"), try await world.database.count("dossier"))
        _ = try Self.inStage(try world.sqlite.path, "UPDATE import_stage_dossier_person SET person_id = '\(PersonID().rawValue)' WHERE position = 0 AND role = 'child'")
        await #expect(throws: StoreError.self) { try await importer.run() }
        #expect(try await world.database.count("dossier_person") == links, "a link to nobody was stored")
        #expect(try await world.database.count("dossier") == dossiers + 3, "the dossiers, before the links, moved")
        let violations = try await world.database.strings("SELECT \"table\" FROM pragma_foreign_key_check")
        #expect(violations.isEmpty, "the registry holds rows that name missing ones: \(violations)")
    }

    @Test("indexes a move dropped and had not built again when it stopped are built by the next one, and the schema ends as it was")
    func pendingIndexesBuilt() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let path = try world.sqlite.path
        let before = try Self.schema(path)
        let importer = try await interrupted(world)
        // As a crash between a table's move and the building of its indexes leaves it.
        try await world.database.execute(sqlite: [
            "CREATE TABLE import_stage_index (name TEXT PRIMARY KEY NOT NULL, sql TEXT NOT NULL)",
            "INSERT INTO import_stage_index SELECT name, sql FROM sqlite_master WHERE name = 'person_term_by_person'",
            "DROP INDEX person_term_by_person",
        ], postgres: [])
        #expect(try Self.schema(path) != before)
        #expect(try await importer.run().outcome == .done)
        #expect(try Self.schema(path) == before)
    }

    @Test("a bulk import of another file waits for the one that has not ended; a plain import goes beside it only when asked (--beside-unfinished)")
    func oneStageAtATime() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let first = try await interrupted(world)
        let other = try importer(world, bulk: true, csv: ImporterTests.csv)
        await #expect { try await other.run() } throws: { error in
            (error as? ImportFileError)?.description.contains("has not ended") == true
        }
        #expect(try await world.database.count("dossier") == 0)
        var plain = try importer(world, bulk: false, csv: ImporterTests.csv)
        await #expect { try await plain.run() } throws: { error in
            (error as? ImportFileError)?.description.contains("--beside-unfinished") == true
        }
        plain.besideUnfinished = true
        #expect(try await plain.run().dossiers == 2)
        #expect(try await world.database.count("dossier") == 2, "a plain import stores its batches at once")
        #expect(try await first.run().dossiers == 3)
        #expect(try await world.database.count("dossier") == 5)
    }

    @Test("a server started during a bulk import is refused, and told what holds the folder")
    func serverWaitsForBulkImport() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deployment = Deployment(folder.path)
        let importing = try deployment.lockForServing(.importing)
        #expect { try deployment.lockForServing() } throws: { error in
            let text = (error as? DeploymentError)?.description ?? ""
            return text.contains("a bulk import (guichet import --bulk) is writing") && text.contains("(process \(getpid()))")
        }
        withExtendedLifetime(importing) {}
    }

    @Test("the data keys of a stage count for their key version: it may not be retired before the import ends")
    func stagedKeysCount() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let before = try await world.sqlite.dataKeyCounts().byVersion.values.reduce(0, +)
        _ = try await interrupted(world)
        #expect(try await world.database.count("data_key") == before)
        #expect(try await world.sqlite.dataKeyCounts().byVersion.values.reduce(0, +) == before + 3, "a dossier's key and its two persons'")
    }
}
