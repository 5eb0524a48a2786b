import Foundation
import GuichetCore
import GuichetGate
import GuichetAuth
import GuichetStore
import GuichetMail

/// A scripted incident among normal traffic: the daycare2 account is compromised and, from
/// an unusual address, reads the applications that chose its service (two families, one with
/// a second parent who gave no contact), searches them, and tries one that did not choose it.
/// Meanwhile the other accounts work as usual.
struct ScriptedIncident {
    static let attackerSource = "203.0.113.7"

    let world: World
    let a1: WriteResult, a2: WriteResult, a3: WriteResult
    let parent1: PersonID, parent2: PersonID, parent3: PersonID, secondParent: PersonID
    let attacker: Principal

    func child(_ a: WriteResult) -> PersonID { a.persons.first { $0.role == "child" }!.person }  // every application links one child

    /// Field paths the daycare rule reveals, for the persons and dossiers the helpers create.
    static let contactParentFields = ["parent.email", "parent.firstName", "parent.lastName", "parent.phone"]
    static let bareParentFields = ["parent.firstName", "parent.lastName"]
    static let childFields = ["child.birthDate", "child.firstName"]
    static let dossierFields = ["daysPerWeek", "desiredStart", "schedule"]

    static func make(mailer: (any Mailer)? = nil) async throws -> ScriptedIncident {
        let world = try await World.make(mailer: mailer)
        let parent1 = try await world.registerParent("parent1", lastName: "Roy")
        let parent2 = try await world.registerParent("parent2", lastName: "Gagnon")
        let parent3 = try await world.registerParent("parent3", lastName: "Bergeron")
        let a1 = try await world.application(by: "parent1", daycares: [0], childName: "Emma")
        let a2 = try await world.application(by: "parent2", daycares: [1], childName: "Noah")
        let a3 = try await world.gate.create(DossierInput(
            type: "application",
            fields: ["desiredStart": .string("2027-01-04"), "daysPerWeek": .number(3), "schedule": .string("part-time")],
            persons: [.caller(role: "parent"),
                      .new(role: "parent", fields: ["firstName": .string("Marc"), "lastName": .string("Bergeron"), "birthDate": .string("1987-11-02")]),
                      .new(role: "child", fields: ["firstName": .string("Liam"), "lastName": .string("Bergeron"), "birthDate": .string("2025-08-19")])],
            partners: [world.daycares[1].id, world.daycares[2].id]), try await world.request("parent3"))
        let secondParent = a3.persons.first { $0.role == "parent" && $0.person != parent3 }!.person  // created just above

        // Normal traffic.
        _ = try await world.gate.read(a1.id, try await world.request("daycare1"))
        _ = try await world.gate.read(a3.id, try await world.request("daycare3"))
        _ = try await world.allApplications()
        for (parent, a) in [("parent1", a1), ("parent2", a2), ("parent3", a3)] { _ = try await world.gate.read(a.id, try await world.request(parent)) }

        // The compromised account.
        let attacker = try await world.principal("daycare2")
        func request() -> GateRequest { GateRequest(principal: attacker, requestID: UUID().uuidString, source: attackerSource, purpose: nil) }
        _ = try await world.gate.read(a2.id, request())
        _ = try await world.gate.read(a3.id, request())
        _ = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 50, request())
        do { _ = try await world.gate.read(a1.id, request()) } catch GuichetError.notFound {}  // refused: it did not choose daycare2

        // More normal traffic afterwards.
        _ = try await world.gate.read(a1.id, try await world.request("daycare1"))
        return ScriptedIncident(world: world, a1: a1, a2: a2, a3: a3, parent1: parent1, parent2: parent2, parent3: parent3,
                                secondParent: secondParent, attacker: attacker)
    }

    /// What the attacker saw, written out by hand: person → field paths.
    var expectedPersons: [PersonID: [String]] {
        [parent2: Self.contactParentFields, parent3: Self.contactParentFields, secondParent: Self.bareParentFields,
         child(a2): Self.childFields, child(a3): Self.childFields]
    }
}
