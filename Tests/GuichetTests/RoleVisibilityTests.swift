import Foundation
import Testing
import GuichetCore
import GuichetStore
import GuichetGate

/// Each role sees exactly what the place05 profile grants, and nothing more.
@Suite struct RoleVisibilityTests {
    static let everything: Set<String> = [
        "desiredStart", "daysPerWeek", "schedule", "specialNeeds", "partners",
        "child.firstName", "child.lastName", "child.birthDate", "child.nam",
        "parent.firstName", "parent.lastName", "parent.birthDate", "parent.nam", "parent.email", "parent.phone",
    ]
    static let daycareView: Set<String> = [
        "desiredStart", "daysPerWeek", "schedule", "child.firstName", "child.birthDate",
        "parent.firstName", "parent.lastName", "parent.email", "parent.phone",
    ]

    enum Expect: Sendable, CustomStringConvertible {
        case fields(Set<String>)
        case notFound
        case forbidden
        var description: String {
            switch self { case .fields(let f): "fields \(f.sorted())"; case .notFound: "404"; case .forbidden: "403" }
        }
    }

    struct Case: Sendable, CustomStringConvertible {
        let account: String
        let purpose: String?
        let expect: Expect
        var description: String { "\(account) (purpose \(purpose ?? "none")) → \(expect)" }
    }

    static let cases: [Case] = [
        Case(account: "parent1", purpose: nil, expect: .fields(everything)),
        Case(account: "parent2", purpose: nil, expect: .notFound),
        Case(account: "daycare1", purpose: nil, expect: .fields(daycareView)),
        Case(account: "daycare2", purpose: nil, expect: .notFound),
        Case(account: "agent", purpose: nil, expect: .forbidden),
        Case(account: "agent", purpose: "list-management", expect: .fields(everything)),
        Case(account: "agent", purpose: "placement", expect: .forbidden),
        Case(account: "analyst", purpose: nil, expect: .notFound),
        Case(account: "admin", purpose: nil, expect: .notFound),
    ]

    @Test("a role reads exactly the fields its rules grant", arguments: cases)
    func roleReadsExactlyItsFields(_ c: Case) async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.registerParent("parent2", lastName: "Gagnon")
        let a = try await world.application(by: "parent1", daycares: [0])
        _ = try await world.application(by: "parent2", daycares: [1], childName: "Noah")

        let request = try await world.request(c.account, purpose: c.purpose)
        switch c.expect {
        case .fields(let expected):
            let view = try await world.gate.read(a.id, request)
            #expect(paths(view) == expected)
        case .notFound:
            await #expect(throws: GuichetError.notFound) { try await world.gate.read(a.id, request) }
        case .forbidden:
            await #expect { try await world.gate.read(a.id, request) } throws: { error in
                if case GuichetError.forbidden = error { return true } else { return false }
            }
        }
    }

    @Test("a daycare service lists only the applications that chose it, with its partial view")
    func daycareListsOnlyItsApplications() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.registerParent("parent2", lastName: "Gagnon")
        let a = try await world.application(by: "parent1", daycares: [0, 1])
        let b = try await world.application(by: "parent2", daycares: [1], childName: "Noah")

        let first = try await world.gate.search(type: "application", status: "waiting", criteria: [:], after: nil, limit: 50, try await world.request("daycare1"))
        #expect(first.views.map(\.id) == [a.id])
        #expect(first.views.allSatisfy { paths($0).isSubset(of: Self.daycareView) })
        let second = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 50, try await world.request("daycare2"))
        #expect(Set(second.views.map(\.id)) == [a.id, b.id])
        let third = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 50, try await world.request("daycare3"))
        #expect(third.views.isEmpty)
        let own = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 50, try await world.request("parent2"))
        #expect(own.views.map(\.id) == [b.id])
    }

    @Test("an agent without a purpose is asked for the Guichet-Purpose header, on a search as on a read, offered its role's purposes only")
    func missingPurposeIsNamed() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let agent = try await world.request("agent")
        let expected = "send the Guichet-Purpose header with an allowed purpose (family-request, list-management)"
        await #expect { try await world.gate.search(type: "application", status: "waiting", criteria: [:], after: nil, limit: 10, agent) } throws: { error in
            guard case GuichetError.forbidden(let m) = error else { return false }
            return m.hasPrefix("state why you search these dossiers") && m.hasSuffix(expected)
        }
        await #expect { try await world.gate.read(a.id, agent) } throws: { error in
            guard case GuichetError.forbidden(let m) = error else { return false }
            return m.hasPrefix("state why you need this dossier") && m.hasSuffix(expected)
        }
        // A role with no rule to search still gets the plain refusal.
        await #expect { try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 10, try await world.request("analyst")) }
            throws: { error in if case GuichetError.forbidden("your role may not search these dossiers") = error { true } else { false } }
    }

    @Test("a daycare service cannot search by a field it may not read, nor can an analyst search at all")
    func searchIsLimitedToReadableSearchableFields() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let daycare = try await world.request("daycare1")
        await #expect(throws: GuichetError.self) {
            try await world.gate.search(type: "application", status: nil, criteria: ["child.nam": "TREE25020399"], after: nil, limit: 10, daycare)
        }
        await #expect { try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 10, try await world.request("analyst")) }
            throws: { if case GuichetError.forbidden = $0 { true } else { false } }
    }

    @Test("an agent finds a child by health-insurance number through the index, whatever its spacing")
    func agentSearchesByNationalID() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let agent = try await world.request("agent", purpose: "family-request")
        let page = try await world.gate.search(type: "application", status: nil, criteria: ["child.nam": "tree 2502 0399"], after: nil, limit: 10, agent)
        #expect(page.views.map(\.id) == [a.id])
        let byName = try await world.gate.search(type: "application", status: nil,
                                                 criteria: ["child.lastName": "TREMBLAY", "child.birthDate": "2025-02-03"], after: nil, limit: 10, agent)
        #expect(byName.views.map(\.id) == [a.id])
        let none = try await world.gate.search(type: "application", status: nil,
                                               criteria: ["child.lastName": "Roy", "child.birthDate": "2025-02-03"], after: nil, limit: 10, agent)
        #expect(none.views.isEmpty)
        // A name alone is not specific enough for an agent: refused, nothing journalled as read.
        do {
            _ = try await world.gate.search(type: "application", status: nil, criteria: ["child.lastName": "TREMBLAY"], after: nil, limit: 10, agent)
            Issue.record("a search by a name alone was accepted")
        } catch let error as GuichetError {
            #expect(error.description.contains("lastName + birthDate"))
        }
    }

    @Test("a daycare service no longer sees an application once it is withdrawn")
    func withdrawnApplicationsAreHiddenFromDaycares() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        _ = try await world.gate.transition(a.id, "withdraw", try await world.request("parent1"))
        await #expect(throws: GuichetError.notFound) { try await world.gate.read(a.id, try await world.request("daycare1")) }
        let parentView = try await world.gate.read(a.id, try await world.request("parent1"))
        #expect(parentView.status == "withdrawn")
    }
}

/// A listing's page and cursor show nothing the caller may not see: the store's scope is
/// coarser than the policy (a daycare's scope holds the withdrawn applications the policy
/// hides from it), so a page cut by the store could end on a hidden dossier and hand its id
/// over as the cursor (found by an attacker test of the demo: `status=withdrawn&limit=1`).
@Suite struct ListingCursorTests {
    @Test("a daycare paging through its list, by 1, 2 or 3, gets exactly what one large page shows, and no cursor is a dossier's id; asking for the withdrawn gives nothing and no cursor")
    func cursorsShowNothingHidden() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent.list")
        var made: [DossierID] = []
        for i in 0..<12 { made.append(try await world.application(by: "parent.list", daycares: [0], childName: "Child\(i)").id) }
        let agent = try await world.request("agent", purpose: "list-management")
        let withdrawn = [0, 2, 3, 5, 6, 8, 11].map { made[$0] }
        for id in withdrawn { _ = try await world.gate.transition(id, "withdraw", agent) }

        let daycare = try await world.request("daycare1")
        let whole = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 100, daycare)
        #expect(whole.next == nil)
        let visible = whole.views.map(\.id)
        #expect(Set(made).subtracting(withdrawn).isSubset(of: Set(visible)) && Set(visible).isDisjoint(with: withdrawn))
        let every = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 500))
        for size in 1...3 {
            var after: DossierID?
            var seen: [DossierID] = []
            var pages = 0
            repeat {
                let page = try await world.gate.search(type: "application", status: nil, criteria: [:], after: after, limit: size, daycare)
                seen += page.views.map(\.id)
                if let next = page.next { #expect(!every.contains(next), "a cursor is never a dossier's id") }
                after = page.next
                pages += 1
            } while after != nil && pages < 100
            #expect(seen == visible, "pages of \(size)")
        }
        let hidden = try await world.gate.search(type: "application", status: "withdrawn", criteria: [:], after: nil, limit: 1, daycare)
        #expect(hidden.views.isEmpty && hidden.next == nil, "nothing, and nothing to page through")
    }
}
