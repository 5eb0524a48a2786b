import Foundation
import Testing
import GRDB
import GuichetCore
@_spi(VaultOnly) @testable import GuichetStore
import GuichetVault

/// The bulk import path of persons (used by imports and by the benchmark suite).
@Suite struct ImportPersonsTests {
    func sealed(_ world: World, _ id: PersonID, lastName: String, email: String) throws -> NewPerson {
        let vault = Vault(profile: world.profile, keys: world.keys)
        let values: [String: FieldValue] = ["firstName": .text("Léa"), "lastName": .text(lastName),
                                            "birthDate": .date(LocalDate(year: 1988, month: 3, day: 14)!), "email": .text(email)]
        let (key, wrapped) = try vault.newSubjectKey(subject: id.rawValue)
        return NewPerson(record: PersonRecord(id: id, version: 1, fields: try vault.seal(values, subject: id.rawValue, key: key), key: wrapped),
                         terms: [PersonTerm(field: "lastName", term: try vault.blindIndex(field: "lastName", term: lastName.lowercased())),
                                 PersonTerm(field: "email", term: try vault.blindIndex(field: "email", term: email))])
    }

    @Test("imported persons are stored sealed, each with its data key, at version 1 (stored once) and with blind-index terms", .sqliteOnly)
    func importsSealedPersons() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let before = try await world.rowCounts()
        let people = try (0..<3).map { i in try sealed(world, PersonID(), lastName: "Gagnon\(i)", email: "lea.gagnon\(i)@example.org") }
        try await world.sqlite.importPersons(people, at: Date(), by: nil)
        let after = try await world.rowCounts()
        #expect(after["person"] == before["person"]! + 3)
        #expect(after["person_version"] == before["person_version"]!, "version 1 is stored once, in person (issue 18)")
        #expect(after["person_term"] == before["person_term"]! + 6)
        let stored = try await world.store.persons(people.map(\.record.id))
        for p in people {
            let record = try #require(stored[p.record.id])
            #expect(record.key == p.record.key)
            #expect(record.version == 1)
            let vault = Vault(profile: world.profile, keys: world.keys)
            #expect(Set(try vault.keys(record.fields)) == ["firstName", "lastName", "birthDate", "email"])
            #expect(!String(decoding: record.fields.bytes, as: UTF8.self).contains("Gagnon"))
        }
    }

    @Test("a batch with an id already taken stores nothing of the batch", .sqliteOnly)
    func duplicateStoresNothing() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let first = try sealed(world, PersonID(), lastName: "Roy", email: "roy@example.org")
        try await world.sqlite.importPersons([first], at: Date(), by: nil)
        let before = try await world.rowCounts()
        let batch = [try sealed(world, PersonID(), lastName: "Côté", email: "cote@example.org"),
                     try sealed(world, first.record.id, lastName: "Roy", email: "roy2@example.org")]
        await #expect(throws: StoreError.duplicate("record")) { try await world.sqlite.importPersons(batch, at: Date(), by: nil) }
        #expect(try await world.rowCounts() == before)
    }

    @Test("a big batch in random order stores each person's row, key, version and terms as the one-by-one path does, and puts the writer's page cache back", .sqliteOnly)
    func bigBatchInKeyOrder() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let before = try await world.rowCounts()
        // More than the 500 persons from which the import's page cache is used, in id order reversed.
        let people = try (0..<600).map { i in try sealed(world, PersonID(), lastName: "Tremblay\(i % 7)", email: "p\(i)@example.org") }
            .sorted { $0.record.id.rawValue > $1.record.id.rawValue }
        let alone = try sealed(world, PersonID(), lastName: "Tremblay3", email: "alone@example.org")
        try await world.store.create(person: alone, at: Date())
        try await world.sqlite.importPersons(people, at: Date(), by: nil)
        let after = try await world.rowCounts()
        #expect(after["person"] == before["person"]! + 601)
        #expect(after["person_version"] == before["person_version"]!, "version 1 is stored once, in person (issue 18)")
        #expect(after["person_term"] == before["person_term"]! + 1_202)
        let stored = try await world.store.persons(people.map(\.record.id))
        #expect(stored.count == 600)
        #expect(people.allSatisfy { stored[$0.record.id]?.key == $0.record.key && stored[$0.record.id]?.fields == $0.record.fields })
        // A search by last name finds the imported persons with that name and the one stored alone.
        let term = try #require(people.first { $0.terms.contains { $0.term == alone.terms[0].term } }).terms[0]
        let found = try await world.sqlite.pool.read { db in
            try String.fetchAll(db, sql: "SELECT person_id FROM person_term WHERE field = ? AND term = ? ORDER BY person_id", arguments: [term.field, term.term])
        }
        let expected = (people.filter { $0.terms.contains(term) }.map(\.record.id.rawValue) + [alone.record.id.rawValue]).sorted()
        #expect(found == expected && found.count > 80)
        let cache = try await world.sqlite.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA cache_size") }
        #expect(cache == -Store.usualCacheKiB, "the writer keeps the import's bigger cache")
    }
}
