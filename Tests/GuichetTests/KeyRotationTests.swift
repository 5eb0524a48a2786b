import Foundation
import Testing
import GuichetLedger
import GuichetCore
import GuichetGate
@_spi(VaultOnly) @testable import GuichetStore
import GuichetSynth
@testable import GuichetVault

/// Key rotation that keeps reads working, and crypto-shredding.
@Suite struct KeyRotationTests {
    func readAll(_ world: World) async throws -> Int {
        let views = try await world.allApplications()
        for view in views where view.persons.contains(where: { $0.fields["lastName"] == nil }) { Issue.record("a person lost their fields") }
        return views.count
    }

    @Test("a rotation interrupted half-way, then resumed, leaves every record readable, and the old key can then be retired")
    func interruptedRotation() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await Place05Generator(profile: world.profile, keys: world.keys, size: 60, today: LocalDate(year: 2026, month: 11, day: 23)!)
            .generate(into: world.store)
        let total = try await world.store.dataKeyCounts().byVersion[1] ?? 0
        #expect(total > 150)

        var set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: world.keyFile)), origin: world.keyFile)
        #expect(set.rotate() == 2)
        try set.write(to: world.keyFile)
        let vault = Vault(profile: world.profile, keys: world.keys)
        // Interrupted: only one batch of 70 committed.
        #expect(try await world.store.rewrapBatch(to: 2, limit: 70) { try vault.rewrap($1, subject: $0) } == 70)
        #expect(try await world.store.dataKeyCounts().byVersion == [1: total - 70, 2: 70])
        #expect(try await readAll(world) == 60, "reads work with both versions in use")
        // New records made meanwhile use the new version.
        _ = try await world.registerParent("parent1")
        #expect(try await world.store.dataKeyCounts().byVersion[2] == 71)

        // Resumed.
        while try await world.store.rewrapBatch(to: 2, limit: 70, { try vault.rewrap($1, subject: $0) }) > 0 {}
        #expect(try await world.store.dataKeyCounts().byVersion == [2: total + 1])
        set.retire(1)
        try set.write(to: world.keyFile)
        #expect(try await readAll(world) == 60, "reads work once version 1 is gone")
    }

    @Test("a crypto-shredded person can no longer be read; other persons are unaffected")
    func shredding() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let p1 = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        _ = try await world.gate.updatePerson(p1, fields: ["phone": .string("438-555-0100")], expectedVersion: nil, try await world.request("parent1"))
        let before = try await world.gate.read(a.id, try await world.request("agent", purpose: "list-management"))
        let child = try #require(before.persons.first { $0.role == "child" })
        let searchable = { (id: PersonID) in
            [try await world.database.count("person_term", where: "person_id = '\(id)'"),
             try await world.database.count("person_birth_year", where: "person_id = '\(id)'")]
        }
        let childID = try #require(try await world.store.dossier(a.id)?.persons.first { $0.role == "child" }?.person)
        #expect(try await searchable(p1)[0] > 0, "the parent can be found by their search terms before")
        let childBefore = try await searchable(childID)

        #expect(try await world.gate.shred(person: p1, reason: "erasure request (test)", requestID: "t1"))
        #expect(try await searchable(p1) == [0, 0], "no search term nor birth-year tag of the shredded person is left")
        #expect(try await searchable(childID) == childBefore, "the child's are untouched")
        #expect(try await world.gate.shred(person: p1, reason: "again", requestID: "t2") == false)

        let after = try await world.gate.read(a.id, try await world.request("agent", purpose: "list-management"))
        #expect(!after.persons.contains { $0.role == "parent" }, "nothing of the shredded parent is returned")
        #expect(after.persons.first { $0.role == "child" }?.fields == child.fields, "the child is unaffected")
        #expect(after.fields["desiredStart"] != nil)

        // Both kept versions of the person are still stored, and neither can be opened any more.
        // The replaced version in person_version, the current one in person.
        let versions = try await world.database.blobs("SELECT fields FROM person_version WHERE person_id = '\(p1)' UNION ALL SELECT fields FROM person WHERE id = '\(p1)'")
        #expect(versions.count == 2)
        #expect(try await world.store.persons([p1])[p1]?.key == nil)
        let vault = Vault(profile: world.profile, keys: world.keys)
        for v in versions {
            let opened = try vault.open(SealedFields(bytes: v), subject: p1.rawValue, wrapped: nil, specs: world.profile.personFields, allowed: { _ in true })
            #expect(opened.isEmpty, "nothing personal opens without the data key")
        }
        let journal = try await world.ledger.journal()
        #expect(journal.contains { $0.action == "shred" && $0.persons == [p1] })
    }
}
