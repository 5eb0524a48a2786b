import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetVault
@testable import GuichetStore

/// An update of a person that meets their erasure (an attacker test: three writers patching a
/// parent's e-mail while an officer erased them brought the search terms back).
@Suite struct ErasureRaceTests {
    @Test("a person update that read the person before an erasure committed writes no search term back, and says not found; an update after it is 404, not 503")
    func updateMeetsErasure() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        // What an update holds once it has read the person: its version, and the terms of a new e-mail.
        let before = try #require(try await world.store.persons([parent])[parent])
        let spec = try #require(world.profile.personField("email"))
        let address = "race.writer@example.org"
        let term = PersonTerm(field: "email", term: try Vault(profile: world.profile, keys: world.keys)
            .blindIndex(field: "email", term: FieldValidation.term(.text(address), type: spec.type)))

        _ = try await world.gate.eraseOnRequest(person: parent, reference: "REQ-RACE-1", try await world.principal("security"), requestID: "t")
        // The update's write comes after the erasure's: refused, and nothing of it stored.
        await #expect(throws: StoreError.notFound) {
            try await world.store.update(person: parent, expectedVersion: before.version, fields: before.fields, terms: [term],
                                         termFields: ["email"], at: Date(), by: nil, change: "update")
        }
        #expect(try await world.store.persons([parent])[parent]?.version == before.version)
        let agent = try await world.request("agent", purpose: "family-request")
        let found = try await world.gate.search(type: "application", status: nil, criteria: ["parent.email": address], after: nil, limit: 10, agent)
        #expect(found.views.isEmpty, "the erased parent is found by an e-mail written after the erasure")
        #expect(try await world.gate.read(app.id, agent).id == app.id, "the application stays (its child is not erased)")

        // Through the gate: the parent's own update of the erased person is not found (not an integrity failure).
        await #expect(throws: GuichetError.notFound) {
            _ = try await world.gate.updatePerson(parent, fields: ["email": .string(address)], expectedVersion: nil, try await world.request("parent1"))
        }
    }
}
