import Foundation
import Testing

/// `guichet retention run` as an operator runs it: a dry run lists, a run erases in batches and
/// says what it did, a second run finds nothing, and the ledger still verifies.
@Suite(.serialized) struct RetentionCommandTests {
    @Test("retention run: --dry-run lists what would go and changes nothing; the run erases it; a second run finds nothing")
    func runCommand() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "30", "--no-serve"]).status == 0)
        // Three applications withdrawn 400 days ago (synthetic: the demo's are all recent).
        let registry = RegistryFolder(data: data)
        let old = Int64((Date().timeIntervalSince1970 - 400 * 86_400) * 1000)
        let ids = try await registry.strings("SELECT id FROM dossier WHERE status = 'waiting' ORDER BY id LIMIT 3")
        let updates = ids.map { "UPDATE dossier SET status = 'withdrawn', updated_at = \(old) WHERE id = '\($0)'" }  // identifiers: no quote in them
        try await registry.execute(sqlite: updates, postgres: updates)
        #expect(ids.count == 3)

        let refused = try await CommandLineTests.run(["retention", "run", "--data", data, "--batch", "0"])
        #expect(refused.status != 0 && refused.stderr.contains("--batch"))
        let dry = try await CommandLineTests.run(["retention", "run", "--data", data, "--dry-run", "--batch", "2"])
        #expect(dry.status == 0, "stderr: \(dry.stderr)")
        #expect(Set(dry.stdout.split(separator: "\n").filter { $0.hasPrefix("would erase ") }.map { String($0.dropFirst(12)) }) == Set(ids))
        #expect(dry.stdout.contains("dry run: nothing changed"))
        let marked = try await registry.count("dossier_lifecycle")
        #expect(marked == 0)

        let run = try await CommandLineTests.run(["retention", "run", "--data", data, "--batch", "2"])
        #expect(run.status == 0 && run.stdout.contains("application withdrawn: erased 3 dossiers"), "stdout: \(run.stdout) stderr: \(run.stderr)")
        #expect(run.stderr.contains("erase 2 dossiers") && run.stderr.contains("erase 3 dossiers"), "progress per batch: \(run.stderr)")
        // The dry run counted the persons the run then erased (it said "0 persons" before).
        let persons = { (text: String, prefix: String) -> Int? in
            text.range(of: prefix).flatMap { Int(text[$0.upperBound...].prefix { $0.isNumber }) }
        }
        let erasedPersons = try #require(persons(run.stdout, "erased 3 dossiers ("))
        #expect(erasedPersons > 0 && persons(dry.stdout, "would erase 3 dossiers (") == erasedPersons, "dry: \(dry.stdout) run: \(run.stdout)")
        #expect(dry.stdout.contains("would erase \(erasedPersons) person"), "\(dry.stdout)")
        let shredded = try await registry.count("data_key", where: "wrapped IS NULL AND subject_id IN (\(ids.map { "'\($0)'" }.joined(separator: ", ")))")
        #expect(shredded == 3)
        let again = try await CommandLineTests.run(["retention", "run", "--data", data])
        #expect(again.status == 0 && again.stdout.contains("0 archived, 0 erased"), "stdout: \(again.stdout)")
        #expect(try await CommandLineTests.run(["ledger", "verify", "--data", data]).status == 0)
    }
}
