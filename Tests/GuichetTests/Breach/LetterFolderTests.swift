import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetBreach
import GuichetStore

/// `guichet breach letters --out` and `guichet ledger history`, in-process: the same library
/// functions as the admin API and the citizens' page.
@Suite struct LetterFolderTests {
    @Test("letters go to a folder of the operator's own, one file per person (mode 600), and the register notes it")
    func lettersToFiles() async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        let world = scenario.world
        let record = try await LetterTests.incident(world, ScopeQuery(account: scenario.attacker.account))
        let out = world.folder.appendingPathComponent("letters").path
        let folder = try LetterFolder(path: out)
        let officer = try await world.request("security", purpose: LetterWriter.purpose)
        let (incident, scope, batch) = try await BreachResponse.letters(incident: record.id, gate: world.gate, store: world.store,
                                                                        contact: "security@example.org", language: "en", officer)
        #expect(incident.id == record.id && !scope.persons.isEmpty && !batch.letters.isEmpty)
        #expect(try await folder.write(batch, store: world.store, by: officer.principal.account) == batch.letters.count)
        let files = try FileManager.default.contentsOfDirectory(atPath: out).sorted()
        #expect(files == batch.letters.map { "\($0.person.rawValue).en.html" }.sorted())
        for file in files {
            #expect(try FileManager.default.attributesOfItem(atPath: out + "/" + file)[.posixPermissions] as? Int == 0o600)
        }
        #expect(try await world.store.incidentChanges(record.id).last?.change == "letters written to files by the console: \(batch.letters.count)")
        // A second run never overwrites a letter.
        await #expect(throws: (any Error).self) { _ = try await folder.write(batch, store: world.store, by: nil) }
    }

    @Test("a folder that other users can read is refused before any name is opened")
    func sharedFolderRefused() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
        #expect { _ = try LetterFolder(path: folder.path) } throws: { error in
            if case GuichetError.invalid(let m) = error { m.contains("can be read by other users") } else { false }
        }
    }

    @Test("a person's history, as the command line prints it, lists the accesses to them with proofs; a language other than fr or en is refused")
    func history() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        _ = try await world.gate.read(a.id, try await world.request("daycare1"))
        try await world.gate.checkpoint(at: Date())
        let h = try await BreachResponse.history(of: parent, account: nil, gate: world.gate, store: world.store, language: "en")
        let accesses = try #require(h.object?["accesses"]?.array?.compactMap { $0.object })
        #expect(accesses.contains { $0["action"]?.string == "read" && $0["role"]?.string == "daycare" })
        #expect(accesses.allSatisfy { $0["proof"] != nil && $0["byYou"] == .bool(false) })
        await #expect(throws: GuichetError.invalid("'language' must be fr or en")) {
            _ = try await BreachResponse.history(of: parent, account: nil, gate: world.gate, store: world.store, language: "de")
        }
    }
}
