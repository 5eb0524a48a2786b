import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetSynth

/// A daycare's list follows the profile's rule, and its offers its capacity, through the gate
/// (issue 16, R1); the whole day over HTTP is `Scenarios/Place05DayTests`.
@Suite struct RankCapacityTests {
    /// A daycare with `capacity` places and its staff account `username`.
    func daycare(_ world: World, _ username: String, capacity: Int?) async throws -> Organisation {
        let o = Organisation(id: OrganisationID(), kind: "daycare", name: "CPE \(username)", territory: "06", capacity: capacity)
        try await world.store.insert(organisations: [o], at: Date())
        _ = try await world.auth.createAccount(username: username, password: World.password, role: "daycare", organisation: o.id, createdBy: nil)
        return o
    }

    /// A parent's application to one daycare, with or without a sibling attending: the parent
    /// declares it, an agent checks it and sets the ranked field.
    func apply(_ world: World, _ parent: String, to daycare: Organisation, sibling: Bool?) async throws -> DossierID {
        _ = try await world.registerParent(parent)
        var fields: [String: JSON] = ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(4)]
        if let sibling { fields["siblingDeclared"] = .bool(sibling) }
        let id = try await world.gate.create(DossierInput(
            type: "application", fields: fields,
            persons: [.caller(role: "parent"),
                      .new(role: "child", fields: ["firstName": .string("Noé"), "lastName": .string("Tremblay"), "birthDate": .string("2025-05-05")])],
            partners: [daycare.id]), try await world.request(parent)).id
        if let sibling {
            _ = try await world.gate.update(id, DossierChanges(fields: ["siblingAttends": .bool(sibling)], partners: nil, expectedVersion: nil),
                                            try await world.request("agent", purpose: "list-management"))
        }
        return id
    }

    @Test("a parent declares a sibling but may not set the ranked field: the declaration alone does not move the rank")
    func declaredIsNotRanked() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let small = try await daycare(world, "small", capacity: 5)
        let older = try await apply(world, "p.older", to: small, sibling: nil)
        _ = try await world.registerParent("p.new")
        let parent = try await world.request("p.new")
        let declared = try await world.gate.create(DossierInput(
            type: "application", fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(4), "siblingDeclared": .bool(true)],
            persons: [.caller(role: "parent"), .new(role: "child", fields: ["firstName": .string("Léa"), "lastName": .string("Roy"), "birthDate": .string("2025-06-06")])],
            partners: [small.id]), parent).id
        await #expect(throws: GuichetError.forbidden("your role may not set 'siblingAttends'")) {
            _ = try await world.gate.update(declared, DossierChanges(fields: ["siblingAttends": .bool(true)], partners: nil, expectedVersion: nil), parent)
        }
        let list = try await world.gate.waitingList(small.id, type: "application", from: 1, limit: 10, try await world.request("small"))
        #expect(list.entries.map(\.view.id) == [older, declared], "declared, not checked: after the older application")
    }

    @Test("a sibling comes first, then the oldest application; one without the value comes last; only waiting applications are ranked")
    func rankFollowsTheRule() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let small = try await daycare(world, "small", capacity: 5)
        let none = try await apply(world, "p.none", to: small, sibling: nil)
        let older = try await apply(world, "p.older", to: small, sibling: false)
        let sibling = try await apply(world, "p.sibling", to: small, sibling: true)
        let list = try await world.gate.waitingList(small.id, type: "application", from: 1, limit: 10, try await world.request("small"))
        #expect(list.entries.map(\.view.id) == [sibling, older, none] && list.entries.map(\.rank) == [1, 2, 3] && list.total == 3)
        #expect(list.entries.allSatisfy { $0.view.persons.isEmpty && $0.view.fields["specialNeeds"] == nil }, "summaries only")
        let ranks = try await world.gate.ranks(of: none, try await world.request("p.none"))
        #expect(ranks.ranks.map(\.rank) == [3] && ranks.ranks.map(\.of) == [3] && ranks.explanation["en"] != nil)
        _ = try await world.gate.transition(sibling, "offer", try await world.request("small"))
        #expect(try await world.gate.ranks(of: sibling, try await world.request("p.sibling")).ranks.isEmpty, "an offered application has no rank")
        #expect(try await world.gate.ranks(of: none, try await world.request("p.none")).ranks.map(\.rank) == [2])
        _ = try await world.gate.transition(sibling, "decline", try await world.request("p.sibling"))
        #expect(try await world.gate.ranks(of: sibling, try await world.request("p.sibling")).ranks.map(\.rank) == [1], "back at its rank")
        // Another daycare does not see this list.
        _ = try await daycare(world, "other", capacity: 5)
        await #expect(throws: GuichetError.notFound) {
            try await world.gate.waitingList(small.id, type: "application", from: 1, limit: 10, try await world.request("other"))
        }
    }

    @Test("two offers racing for a daycare's last place: one is made, the other refused with 409, its dossier unchanged")
    func lastPlace() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let tiny = try await daycare(world, "tiny", capacity: 1)
        let a = try await apply(world, "p.a", to: tiny, sibling: false)
        let b = try await apply(world, "p.b", to: tiny, sibling: false)
        let request = try await world.request("tiny")
        let before = try await world.store.dossiers([a, b])
        async let first = Result { try await world.gate.transition(a, "offer", request) }
        async let second = Result { try await world.gate.transition(b, "offer", request) }
        let results = await [first, second]
        #expect(results.filter { (try? $0.get()) != nil }.count == 1)
        let refused = try #require(results.firstIndex { (try? $0.get()) == nil })
        #expect(throws: GuichetError.self) { try results[refused].get() }
        if case .failure(GuichetError.conflict(let message)) = results[refused] { #expect(message.contains("no place left")) } else { Issue.record("not a 409") }
        #expect(try await world.store.dossiers([[a, b][refused]]) == [before[refused]], "the refused offer changed nothing")
        // An organisation without a capacity is not bounded.
        let open = try await daycare(world, "open", capacity: nil)
        for parent in ["p.c", "p.d"] { _ = try await world.gate.transition(try await apply(world, parent, to: open, sibling: nil), "offer", try await world.request("open")) }
    }

    @Test("decoys planted after a small import come after every real file of a daycare's list, whatever their sibling: the daycare offers from the top without reaching one, and a parent's rank does not count them")
    func decoysComeLast() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let small = try await daycare(world, "small", capacity: nil)
        let older = try await apply(world, "p.older", to: small, sibling: false)
        let newer = try await apply(world, "p.newer", to: small, sibling: nil)
        // As `guichet honeytokens plant` plants them (a new user's audit: three took ranks 1 to 3,
        // with a sibling attending, and the daycare that opened rank 1 was suspended).
        let planted = try await Place05Generator(profile: world.profile, keys: world.keys, size: 60, seed: 11, today: .today())
            .plant(60, into: world.store, daycares: [small])
        try await world.gate.watch?.reloadMarks()
        let decoys = Set(planted.dossiers)
        let list = try await world.gate.waitingList(small.id, type: "application", from: 1, limit: 100, try await world.request("small"))
        let listed = list.entries.map(\.view.id)
        #expect(Array(listed.prefix(2)) == [older, newer] && list.entries.prefix(2).map(\.rank) == [1, 2], "the real files first, in the rule's order")
        #expect(listed.count > 2 && listed.dropFirst(2).allSatisfy(decoys.contains) && list.total == listed.count, "then the decoys waiting, listed")
        #expect(list.entries.contains { decoys.contains($0.view.id) && $0.view.fields["siblingAttends"] == .boolean(true) },
                "some decoy has a sibling attending: the rule alone would have put it first")
        let ranks = try await world.gate.ranks(of: newer, try await world.request("p.newer"))
        #expect(ranks.ranks.map(\.rank) == [2] && ranks.ranks.map(\.of) == [2], "out of the real files: \(ranks.ranks)")
        // The daycare's normal work: the top of its list, offered.
        let daycare = try await world.request("small")
        for id in [older, newer] { _ = try await world.gate.read(id, daycare) }
        #expect(try await world.store.account(username: "small")?.status == "active", "no decoy reached")
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
