import Foundation
import HTTPTypes
import Testing
import Hummingbird
import HummingbirdTesting
import GuichetCore
import GuichetStore
import GuichetGate
@testable import GuichetServer

/// A hostile citizen's audit (emploi): anyone could sign up with a job seeker's NIR, open a
/// file under it, and the adviser's search by that NIR returned the impostor's file beside the
/// real one. The same on place05 with a health-insurance number (NAM).
@Suite struct IdentityClashTests {
    static func signUp(_ username: String, nam: String) -> String {
        """
        {"username": "\(username)", "password": "\(World.password)",
         "person": {"firstName": "Julie", "lastName": "Tremblay", "birthDate": "1990-04-12", "nam": "\(nam)", "email": "\(username)@example.org"}}
        """
    }

    @Test("a sign-up with a national identifier on file is answered as any other, is not found by staff searching by it, and alerts the security officers without the value")
    func clashingIdentifier() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        _ = try await world.registerParent("parent.first")  // carries TREJ90541201
        let first = try await world.application(by: "parent.first")

        try await world.withPublic { client in
        let clash = try await client.call(.post, "/v1/accounts", body: Self.signUp("parent.other", nam: "TREJ90541201"))
        let fresh = try await client.call(.post, "/v1/accounts", body: Self.signUp("parent.fresh", nam: "TREJ90542201"))
        #expect(clash.status == .created && fresh.status == .created, "the same answer: nobody learns whether an identifier is on file")
        #expect(Set(clash.json?.object?.keys.map { $0 } ?? []) == Set(fresh.json?.object?.keys.map { $0 } ?? []))

        let other = try #require(clash["account"]?.string.flatMap(AccountID.init(validating:)))
        let freshAccount = try #require(fresh["account"]?.string.flatMap(AccountID.init(validating:)))
        let alerts = try await world.store.alerts(openOnly: true, account: other, limit: 10).filter { $0.detector == "identity-clash" }
        #expect(alerts.count == 1 && alerts.first?.severity == "medium", "\(alerts.map(\.detector))")
        #expect(alerts.first.map { $0.detail.contains("nam") && !$0.detail.contains("TREJ") } == true, "the field is named, never its value")
        #expect(try await world.store.alerts(openOnly: true, account: freshAccount, limit: 10).allSatisfy { $0.detector != "identity-clash" })

        // Both open a file; the agent's search by each identifier finds one file each.
        let impostorFile = try await world.application(by: "parent.other")
        let freshFile = try await world.application(by: "parent.fresh")
        let agent = try await world.request("agent", purpose: "list-management")
        let byClash = try await world.gate.search(type: "application", status: nil, criteria: ["parent.nam": "TREJ90541201"], after: nil, limit: 20, agent)
        #expect(byClash.views.map(\.id) == [first.id], "the impostor's file \(impostorFile.id) is not found under another's identifier")
        let byFresh = try await world.gate.search(type: "application", status: nil, criteria: ["parent.nam": "TREJ90542201"], after: nil, limit: 20, agent)
        #expect(byFresh.views.map(\.id) == [freshFile.id], "an identifier nobody else carries is searchable as before")
        }
        // On the security officer's home, the alert names the citizen account to check (a new
        // user's audit found its account cell empty).
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var officer = PageClient(client)
            _ = try await officer.signIn("security", World.password, totp: secret)
            let home = try await officer.get("/web/home?lang=en")
            let row = try #require(home.html.components(separatedBy: "<tr").first { ($0.contains("identity") || $0.contains("identité")) && $0.contains("signed up") },
                                   "\(home.status)")
            #expect(row.contains(">parent.other<"), "\(row)")
        }
    }

    @Test("a citizen's new file whose child carries a national identifier on file: made, but staff searching by it find the first carrier only, and the officers are alerted (an API audit)")
    func clashingIdentifierInANewFile() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        _ = try await world.registerParent("parent.first")
        let first = try await world.application(by: "parent.first")
        let firstChild = try #require(first.persons.first { $0.role == "child" }?.person)
        _ = try await world.gate.updatePerson(firstChild, fields: ["nam": .string("TREE25020359")], expectedVersion: nil,
                                              try await world.request("parent.first"))
        _ = try await world.registerParent("parent.other", lastName: "Lefebvre")
        let other = try await world.request("parent.other")
        let made = try await world.gate.create(DossierInput(
            type: "application", fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(4)],
            persons: [.caller(role: "parent"),
                      .new(role: "child", fields: ["firstName": .string("Noé"), "lastName": .string("Lefebvre"), "birthDate": .string("2025-02-03"),
                                                   "nam": .string("TREE25020359")])],
            partners: [world.daycares[0].id]), other)
        let agent = try await world.request("agent", purpose: "list-management")
        let found = try await world.gate.search(type: "application", status: nil, criteria: ["child.nam": "TREE25020359"], after: nil, limit: 10, agent)
        #expect(found.views.map(\.id) == [first.id], "the first carrier only, not \(made.id)")
        let alerts = try await world.store.alerts(openOnly: true, account: other.principal.account, limit: 10).filter { $0.detector == "identity-clash" }
        #expect(alerts.count == 1 && alerts.first.map { $0.detail.contains("child.nam") && !$0.detail.contains("TREE") } == true, "\(alerts.map(\.detail))")
        // The new child's file is made and readable by its parent, identifier included.
        let view = try await world.gate.read(made.id, other)
        #expect(view.persons.first { $0.role == "child" }?.fields["nam"] == .text("TREE25020359"))
    }
}
