import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetStore

/// The place05 workflow: a parent applies, a chosen service offers, the parent accepts or
/// declines, the file closes; versions are kept and an admin can restore them.
@Suite struct WorkflowTests {
    @Test("apply, offer, decline, offer again, accept, close")
    func fullWorkflow() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1", daycares: [0, 1])
        #expect(a.status == "waiting")
        let daycare = try await world.request("daycare2")
        let parent = try await world.request("parent1")
        #expect(try await world.gate.transition(a.id, "offer", daycare).status == "offered")
        let offered = try await world.gate.read(a.id, parent)
        #expect(offered.fields["offeredBy"] == .text(world.daycares[1].id.rawValue))
        #expect(try await world.gate.transition(a.id, "decline", parent).status == "waiting")
        _ = try await world.gate.transition(a.id, "offer", try await world.request("daycare1"))
        #expect(try await world.gate.transition(a.id, "accept", parent).status == "placed")
        // Another service the family chose does not close a placement it did not make (a
        // controls audit: a competitor closed one, a final state); the refusal is journalled.
        let before = try await world.dataCounts()
        do {
            _ = try await world.gate.transition(a.id, "close", daycare)
            Issue.record("daycare2 closed daycare1's placement")
        } catch GuichetError.forbidden(let message) {
            #expect(message.contains("offeredBy"), "\(message)")
        }
        let after = try await world.dataCounts()
        #expect(try await world.store.dossier(a.id)?.status == "placed")
        #expect(after == before, "nothing changed")
        #expect(try await world.ledger.journal().contains { !$0.allowed && $0.reason == "transition-by" && $0.dossiers == [a.id] })
        let closed = try await world.gate.transition(a.id, "close", try await world.request("daycare1"))
        #expect(closed.status == "closed" && closed.version == 6)
    }

    @Test("a transition from the wrong state is a conflict and changes nothing")
    func wrongTransitionIsRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let before = try await world.dataCounts()
        await #expect { try await world.gate.transition(a.id, "accept", try await world.request("parent1")) }
            throws: { if case GuichetError.conflict = $0 { true } else { false } }
        await #expect { try await world.gate.transition(a.id, "offer", try await world.request("parent1")) }
            throws: { if case GuichetError.forbidden = $0 { true } else { false } }
        await #expect(throws: GuichetError.invalid("unknown transition 'delete'")) {
            try await world.gate.transition(a.id, "delete", try await world.request("parent1"))
        }
        #expect(try await world.dataCounts() == before)
        #expect(try await world.store.dossier(a.id)?.status == "waiting")
    }

    @Test("an update keeps the previous version, and an admin restores it")
    func updateKeepsVersionAndAdminRestores() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1", daycares: [0])
        let parent = try await world.request("parent1")
        let updated = try await world.gate.update(a.id, DossierChanges(fields: ["daysPerWeek": .number(3), "specialNeeds": .null],
                                                                       partners: [world.daycares[2].id], expectedVersion: 1), parent)
        #expect(updated.version == 2)
        let admin = try await world.request("admin")
        let versions = try await world.gate.versions(a.id, admin)
        #expect(versions.map(\.version) == [2, 1])
        let v1 = try await world.gate.read(a.id, version: 1, admin)
        #expect(v1.fields["daysPerWeek"] == .integer(5))
        #expect(v1.fields["specialNeeds"] == nil && v1.persons.allSatisfy(\.fields.isEmpty), "an administrator reads no personal field, even of a version")
        #expect(v1.partners == [world.daycares[0].id])

        let restored = try await world.gate.restore(a.id, version: 1, admin)
        #expect(restored.version == 3)
        let now = try await world.gate.read(a.id, parent)
        #expect(now.fields["daysPerWeek"] == .integer(5) && now.partners == [world.daycares[0].id])
        #expect(try await world.gate.versions(a.id, admin).map(\.version) == [3, 2, 1])
    }

    @Test("a withdrawn dossier is kept, and an admin can restore it")
    func withdrawIsNotDeletion() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        _ = try await world.gate.transition(a.id, "withdraw", try await world.request("parent1"))
        #expect(try await world.store.dossier(a.id)?.status == "withdrawn")
        let restored = try await world.gate.restore(a.id, version: 1, try await world.request("admin"))
        #expect(restored.status == "waiting")
        #expect(try await world.gate.read(a.id, try await world.request("daycare1")).status == "waiting")
    }

    @Test("an update with a stale version is a conflict and changes nothing")
    func staleUpdateIsAConflict() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let parent = try await world.request("parent1")
        _ = try await world.gate.update(a.id, DossierChanges(fields: ["daysPerWeek": .number(4)], partners: nil, expectedVersion: 1), parent)
        await #expect { try await world.gate.update(a.id, DossierChanges(fields: ["daysPerWeek": .number(2)], partners: nil, expectedVersion: 1), parent) }
            throws: { if case GuichetError.conflict = $0 { true } else { false } }
        #expect(try await world.gate.read(a.id, parent).fields["daysPerWeek"] == .integer(4))
    }

    @Test("a parent changes their own e-mail through the person route; the old version is kept; a daycare cannot")
    func personUpdate() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let me = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        let version = try await world.gate.updatePerson(me, fields: ["email": .string("New.Address@Example.org")], expectedVersion: nil,
                                                        try await world.request("parent1"))
        #expect(version == 2)
        let seen = try await world.gate.readPerson(me, try await world.request("daycare1"))
        #expect(seen.fields["email"] == .text("new.address@example.org"))
        #expect(seen.fields["nam"] == nil)
        await #expect { try await world.gate.updatePerson(me, fields: ["email": .string("x@example.org")], expectedVersion: nil, try await world.request("daycare1")) }
            throws: { if case GuichetError.forbidden = $0 { true } else { false } }
        await #expect(throws: GuichetError.notFound) { try await world.gate.readPerson(me, try await world.request("daycare2")) }
    }
}
