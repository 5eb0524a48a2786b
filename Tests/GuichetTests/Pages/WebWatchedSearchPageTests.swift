import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
@testable import GuichetServer

/// A search on the staff home that reaches a watched person outside the searcher's files is
/// refused until the searcher says why (as the API's `Guichet-Justification`). The page asks
/// why, and only why, keeping the terms typed; the search then runs with the reason, which the
/// security officers read in the alert.
@Suite(.serialized)
struct WebWatchedSearchPageTests {
    @Test("a search that reaches a watched person asks why on the page, keeps the terms, then finds the file with the reason given; both languages",
          arguments: ["fr", "en"])
    func watchedSearchAsksWhy(language: String) async throws {
        let base = try await World.make()
        defer { base.remove() }
        _ = try await base.registerParent("parent1", lastName: "Tremblay")
        let application = try await base.application(by: "parent1")
        let child = try #require(application.persons.first { $0.role == "child" }?.person)
        let world = try await base.watched()
        try await world.withAdmin { client in
            let r = try await client.call(.put, "/admin/v1/watch/persons/\(child)", token: try await world.token("security"),
                                          body: #"{"reason": "synthetic reason for the test"}"#)
            #expect(r.status == .ok)
        }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        let texts = try #require(try WebPages.bundled.get().texts[language])
        try await world.withPublic { client in
            var agent = PageClient(client)
            _ = try await agent.signIn("agent", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let home = try await agent.get("/web/home?lang=\(language)")
            let typed: [(String, String)] = [("type", "application"), ("search", "1"), ("purpose", "family-request"), ("who", "child"),
                                             ("q.lastName", "Tremblay"), ("q.birthDate", "2025-02-03")]
            let asked = try await agent.post("/web/home", [("csrf", try #require(home.csrf))] + typed)
            #expect(asked.status == .forbidden)
            #expect(asked.html.contains(WebPageTests.escaped(try #require(texts["errJustification"]))), "the page says why it stops")
            #expect(asked.html.contains(#"id="justification""#), "a box for the reason")
            #expect(!asked.html.contains(#"id="code""#) && !asked.html.contains(#"id="passkey-sign-in""#), "no second factor is asked for a reason")
            #expect(asked.html.contains(WebPageTests.escaped(try #require(texts["justificationSearch"]))))
            let carried = try WebStepUpKeepsFormTests.carried(asked.html).filter { $0.0 != "csrf" }
            for pair in typed { #expect(carried.contains { $0 == pair }, "\(pair.0) is carried") }
            #expect(!asked.html.contains(application.id.rawValue), "nothing of the file before a reason is given")

            // An empty reason is refused again, as the API refuses it.
            let empty = try await agent.post("/web/home", [("csrf", try #require(home.csrf))] + carried + [("justification", "  ")])
            #expect(empty.status == .forbidden && !empty.html.contains(application.id.rawValue))

            let found = try await agent.post("/web/home", [("csrf", try #require(home.csrf))] + carried
                                             + [("justification", "the parent called about the offer")])
            #expect(found.status == .ok, "\(found.status)")
            #expect(found.html.contains(application.id.rawValue), "the file is found once the reason is given")
            #expect(found.html.contains("Tremblay"), "the search form keeps its terms")
        }
        let alert = try #require(try await world.store.alerts(openOnly: true, account: nil, limit: 10).first { $0.justification != nil })
        #expect(world.gate.justification(of: alert) == "the parent called about the offer", "the security officers read the reason")
    }
}
