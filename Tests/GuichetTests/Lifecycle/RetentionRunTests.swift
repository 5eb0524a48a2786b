import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetAuth
import GuichetLedger
@testable import GuichetStore

/// Retention runs at an injected clock (C13): they archive and erase exactly what the profile
/// says, and nothing else; erased data is unreadable (keys gone) while the ledger verifies.
@Suite struct RetentionRunTests {
    static let day: TimeInterval = 86_400

    /// The principals of a world's accounts, signed in once at the start: the tests move the
    /// clock by months, past any session's lifetime, and the gate takes a principal as given.
    struct Actors: Sendable {
        let principals: [String: Principal]
        func request(_ name: String, purpose: String? = nil) throws -> GateRequest {
            GateRequest(principal: try #require(principals[name]), requestID: UUID().uuidString, source: "127.0.0.1", purpose: purpose)
        }
    }

    /// A place05 world with four applications: A closed, B withdrawn, C and D waiting (D is
    /// parent1's second application), and its accounts signed in.
    static func place05() async throws -> (World, ManualClock, [String: WriteResult], Actors) {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        for n in 1...3 { _ = try await world.registerParent("parent\(n)") }
        var principals: [String: Principal] = [:]
        for name in ["agent", "daycare1", "parent1", "parent2", "parent3", "security", "admin"] { principals[name] = try await world.principal(name) }
        let actors = Actors(principals: principals)
        var apps: [String: WriteResult] = [:]
        apps["A"] = try await world.application(by: "parent1", childName: "Alice")
        apps["B"] = try await world.application(by: "parent2", childName: "Basile")
        apps["C"] = try await world.application(by: "parent3", childName: "Chloé")
        apps["D"] = try await world.application(by: "parent1", childName: "Denis")
        let a = try #require(apps["A"]).id
        _ = try await world.gate.transition(a, "offer", try actors.request("daycare1"))
        _ = try await world.gate.transition(a, "accept", try actors.request("parent1"))
        _ = try await world.gate.transition(a, "close", try actors.request("daycare1"))
        _ = try await world.gate.transition(try #require(apps["B"]).id, "withdraw", try actors.request("parent2"))
        return (world, clock, apps, actors)
    }

    /// The first name of a dossier's person of this role, as a read returned it.
    static func firstName(_ view: DossierView, _ role: String) -> FieldValue? {
        view.persons.first { $0.role == role }?.fields["firstName"]
    }

    static func child(_ w: WriteResult) throws -> PersonID { try #require(w.persons.first { $0.role == "child" }).person }

    @Test("place05 at one year and a day: the withdrawn application is erased, the closed one archived, the waiting ones untouched")
    func place05OneYear() async throws {
        let (world, clock, apps, actors) = try await Self.place05()
        defer { world.remove() }
        let (a, b, c, d) = (apps["A"]!, apps["B"]!, apps["C"]!, apps["D"]!)
        let parent2 = try #require(b.persons.first { $0.role == "parent" }).person

        // Before any age is reached, nothing is due.
        clock.advance(29 * Self.day)
        #expect(try await world.gate.runRetention(dryRun: true).steps.allSatisfy { $0.dossiers == 0 })

        clock.advance(336 * Self.day + 60)  // 365 days and a minute after the last changes
        let sizeBefore = try await world.gate.ledgerSize()
        let dry = try await world.gate.runRetention(dryRun: true)
        #expect(dry.wouldErase == [b.id] && dry.wouldArchive == [a.id])
        #expect(dry.personsErased == 1, "the child of B, as the run then erases (its parent has an account)")
        #expect(try await world.gate.ledgerSize() == sizeBefore, "a dry run journals nothing")
        #expect(try await world.store.lifecycle(b.id) == nil, "a dry run changes nothing")
        #expect(try await world.store.hasLiveKey(b.id.rawValue), "a dry run changes nothing")

        let report = try await world.gate.runRetention(batch: 10)
        #expect(report.erased == 1 && report.archived == 1 && report.personsErased == 1)
        // B and its child: keys gone. Its parent has an account and keeps their person.
        #expect(try await world.store.lifecycle(b.id)?.erasedAt != nil)
        #expect(try await !world.store.hasLiveKey(b.id.rawValue))
        #expect(try await !world.store.hasLiveKey(try Self.child(b).rawValue))
        #expect(try await world.store.hasLiveKey(parent2.rawValue))
        // A archived, its data intact; C and D untouched.
        #expect(try await world.store.lifecycle(a.id)?.archivedAt != nil)
        #expect(try await world.store.hasLiveKey(try Self.child(a).rawValue))
        for w in [c, d] {
            #expect(try await world.store.lifecycle(w.id) == nil)
            #expect(try await world.store.hasLiveKey(w.id.rawValue))
        }
        let agent = try actors.request("agent", purpose: "family-request")
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.read(b.id, agent) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a.id, agent) }
        #expect(Self.firstName(try await world.gate.read(c.id, agent), "child") != nil)
        // Neither is listed any more.
        let listed = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 100,
                                                 try actors.request("agent", purpose: "list-management")).views.map(\.id)
        #expect(Set(listed) == [c.id, d.id])
        // The ledger names the erased dossier and person, and still verifies.
        #expect(try await world.gate.auditor.verify().problem == nil)
        // A second run finds nothing left to do.
        let again = try await world.gate.runRetention()
        #expect(again.erased == 0 && again.archived == 0)

        // One more year: A is erased too; parent1 keeps their person (account, and D is live).
        clock.advance(366 * Self.day)
        let later = try await world.gate.runRetention()
        #expect(later.erased == 1 && later.archived == 0)
        #expect(try await !world.store.hasLiveKey(a.id.rawValue))
        #expect(try await !world.store.hasLiveKey(try Self.child(a).rawValue))
        #expect(try await world.store.hasLiveKey(d.id.rawValue))
        #expect(try await world.store.hasLiveKey(try Self.child(d).rawValue))
        try await world.gate.checkpoint(at: clock.now)
        #expect(try await world.gate.auditor.verify().problem == nil)
    }

    @Test("a citizen whose every file retention erased still exports their own person, journalled: in their history and in a breach scope; staff still find nothing")
    func ownPersonAfterLastFileErased() async throws {
        let (world, clock, apps, actors) = try await Self.place05()
        defer { world.remove() }
        let b = try #require(apps["B"])
        let parent2 = try #require(b.persons.first { $0.role == "parent" }).person
        clock.advance(366 * Self.day)
        #expect(try await world.gate.runRetention().erased == 1)
        #expect(try await world.store.lifecycle(b.id)?.erasedAt != nil)

        let citizen = try actors.request("parent2")
        let export = try await world.gate.exportOwnData(citizen)
        #expect(export.dossiers.isEmpty)
        let own = try #require(export.person, "the person is kept with the account: the export gives it")
        #expect(own.id == parent2 && own.fields["firstName"] == .text("Julie") && own.fields["nam"] != nil, "\(own.fields.keys.sorted())")
        let entries = try await world.ledger.journal().filter { $0.action == "read" && $0.reason == "own-person" }
        #expect(entries.count == 1 && entries[0].persons == [parent2] && entries[0].dossiers.isEmpty)
        #expect(Set(entries[0].fields) == Set(own.fields.keys.map { "parent.\($0)" }), "the entry names exactly the fields opened")

        let history = try await world.gate.auditor.history(persons: [parent2], dossiers: [], account: citizen.principal.account)
        #expect(history.items.contains { $0.byThemself && $0.fields.contains("parent.nam") })
        try await world.gate.checkpoint(at: clock.now)
        let scope = try await world.gate.auditor.scope(ScopeQuery(account: citizen.principal.account))
        #expect(scope.persons.first { $0.person == parent2 }?.fields.contains("parent.nam") == true, "\(scope.persons)")

        // Nobody else reads it: staff, another parent, the person's own read route.
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.readPerson(parent2, try actors.request("agent", purpose: "family-request")) }
        #expect(try await world.gate.exportOwnData(try actors.request("parent3")).person?.id != parent2)
        // A parent with a live file reads their person through it, as before: no own-person entry.
        _ = try await world.gate.exportOwnData(try actors.request("parent1"))
        #expect(try await world.ledger.journal().filter { $0.reason == "own-person" }.count == 1)
        #expect(try await world.gate.auditor.verify().problem == nil)
    }

    @Test("an interrupted run goes on where it stopped, batch by batch, each batch journalled once")
    func resumable() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        var ids: [DossierID] = []
        for n in 1...5 {
            let w = try await world.application(by: "parent1", childName: "Enfant\(n)")
            _ = try await world.gate.transition(w.id, "withdraw", try await world.request("parent1"))
            ids.append(w.id)
        }
        clock.advance(366 * Self.day)
        let first = try await world.gate.runRetention(batch: 2, stopAfter: 1)
        #expect(first.erased == 2)
        let marks = try await world.store.lifecycle(ids)
        #expect(marks.values.filter { $0.erasedAt != nil }.count == 2)
        let rest = try await world.gate.runRetention(batch: 2)
        #expect(rest.erased == 3)
        #expect(try await world.store.lifecycle(ids).values.allSatisfy { $0.erasedAt != nil })
        let entries = try await world.store.ledgerEntries(0..<(try await world.gate.ledgerSize()))
        let erasures = entries.compactMap { try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any] }
            .filter { $0["action"] as? String == "retention:erase" }
        #expect(erasures.map { ($0["dossiers"] as? [String])?.count ?? 0 } == [2, 2, 1])
        #expect(Set(erasures.flatMap { $0["dossiers"] as? [String] ?? [] }) == Set(ids.map(\.rawValue)))
    }

    @Test("a bad batch size is refused and nothing changes")
    func badBatch() async throws {
        let world = try await World.make()
        defer { world.remove() }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.runRetention(batch: 0) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.runRetention(batch: Gate.maxRetentionBatch + 1) }
    }
}
