import Foundation
import Testing
import GuichetCore
import GuichetGate
@_spi(VaultOnly) @testable import GuichetStore

/// A person's sealed fields are stored once (issue 18, migration `v-person-current-version`,
/// PostgreSQL's `store-v12-person-current-version`): `person` holds the current version with
/// its author and kind of change, `person_version` every version a change replaced. Runs on
/// both back-ends.
@Suite struct PersonVersionTests {
    @Test("a new person's fields are stored once; each change keeps the version it replaced, with its time, author and kind of change")
    func changesKeepReplacedVersions() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")  // the parent changes their fields through their application
        let db = try world.database
        let id = parent.rawValue
        #expect(try await db.count("person_version", where: "person_id = '\(id)'") == 0, "version 1 is stored once, in person")
        #expect(try await db.strings("SELECT change FROM person WHERE id = '\(id)'") == ["register"])
        let v1 = try #require(try await world.store.persons([parent])[parent])

        _ = try await world.gate.updatePerson(parent, fields: ["email": .string("first.change@example.org")], expectedVersion: nil,
                                              try await world.request("parent1"))
        let v2 = try #require(try await world.store.persons([parent])[parent])
        _ = try await world.gate.updatePerson(parent, fields: ["email": .string("second.change@example.org")], expectedVersion: nil,
                                              try await world.request("parent1"))
        let v3 = try #require(try await world.store.persons([parent])[parent])
        #expect((v1.version, v2.version, v3.version) == (1, 2, 3))

        #expect(try await db.strings("SELECT CAST(version AS TEXT) FROM person_version WHERE person_id = '\(id)' ORDER BY version") == ["1", "2"])
        let kept = try await db.blobs("SELECT fields FROM person_version WHERE person_id = '\(id)' ORDER BY version")
        #expect(kept == [v1.fields.bytes, v2.fields.bytes], "each replaced version is kept as it was sealed")
        #expect(try await db.strings("SELECT change FROM person_version WHERE person_id = '\(id)' ORDER BY version").first == "register")
        let author = try await db.strings("SELECT changed_by FROM person_version WHERE person_id = '\(id)' AND version = 2")
        let current = try await db.strings("SELECT changed_by FROM person WHERE id = '\(id)'")
        #expect(author.count == 1 && author == current, "version 2's author moves with it when version 3 replaces it")
        #expect(try await db.blobs("SELECT fields FROM person WHERE id = '\(id)'") == [v3.fields.bytes])
    }

    @Test("the database itself keeps a replaced version, whatever code updates the row, and refuses a change of fields that is not the next version")
    func databaseKeepsVersions() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let db = try world.database
        let id = parent.rawValue
        let v1 = try #require(try await world.store.persons([parent])[parent])
        for sql in ["UPDATE person SET fields = fields WHERE id = '\(id)'",
                    "UPDATE person SET version = version WHERE id = '\(id)'",
                    "UPDATE person SET version = version + 2 WHERE id = '\(id)'"] {
            #expect(await db.refuses(sql), "\(sql)")
        }
        #expect(try await world.store.persons([parent])[parent]?.version == 1)
        // An update that skips the store (a script, a careless fix by hand) still keeps version 1.
        try await db.execute("UPDATE person SET version = version + 1, updated_at = updated_at + 1 WHERE id = '\(id)'")
        #expect(try await db.blobs("SELECT fields FROM person_version WHERE person_id = '\(id)' AND version = 1") == [v1.fields.bytes])
        #expect(await db.refuses("DELETE FROM person_version"), "kept versions are not deleted")
    }
}
