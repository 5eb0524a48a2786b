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

    @Test("an administrator lists a person's versions and restores an earlier one: the fields and their search terms come back, as a new version; an agent may not, nor an administrator without a fresh factor (a controls audit found no way back)")
    func administratorRestoresAPerson() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let agent = try await world.request("agent", purpose: "list-management")
        _ = try await world.gate.updatePerson(parent, fields: ["email": .string("moved@example.org"), "phone": .null], expectedVersion: nil, agent)
        let byOld = { try await world.gate.search(type: "application", status: nil, criteria: ["parent.email": "parent1@example.org"], after: nil, limit: 10, agent).views.map(\.id) }
        #expect(try await byOld().isEmpty, "the old e-mail no longer finds the file")
        await #expect(throws: GuichetError.self) { _ = try await world.gate.restorePerson(parent, version: 1, agent) }
        let admin = try await world.request("admin")
        try await world.withAdmin { client in
            let listed = try await client.call(.get, "/admin/v1/persons/\(parent)/versions", token: try await world.token("admin"))
            #expect(listed.status == .ok)
            let versions = try #require(listed["versions"]?.array).compactMap { $0.object?["version"]?.integer }
            #expect(versions == [2, 1], "\(listed.text)")
            #expect(!listed.text.contains("example.org"), "metadata only")
            let restored = try await client.call(.post, "/admin/v1/persons/\(parent)/versions/1/restore", token: try await world.token("admin"))
            #expect(restored.status == .ok && restored["version"]?.integer == 3, "\(restored.text)")
            let bad = try await client.call(.post, "/admin/v1/persons/\(parent)/versions/3/restore", token: try await world.token("admin"))
            #expect(bad.status == .badRequest, "not an earlier version")
        }
        let view = try await world.gate.readPerson(parent, agent)
        #expect(view.fields["email"] == .text("parent1@example.org") && view.fields["phone"] != nil, "the fields of version 1")
        #expect(try await byOld() == [app.id], "and its search terms")
        #expect(try await world.store.personVersions(of: parent).map(\.change).first == "restore of version 1")
        #expect(try await world.ledger.journal().contains { $0.action == "restore" && $0.account == admin.principal.account })
        // Without a factor verified in the last five minutes: refused.
        let stale = GateRequest(principal: try await world.auth.signIn(username: "admin", password: World.password).principal,
                                requestID: "stale", source: nil, purpose: nil)
        await #expect(throws: GuichetError.self) { _ = try await world.gate.restorePerson(parent, version: 2, stale) }
    }
}
