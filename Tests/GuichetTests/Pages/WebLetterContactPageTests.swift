import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import GuichetBreach
import GuichetCore
import GuichetLedger
@testable import GuichetServer

/// A letter to the persons concerned names whom to contact (art. 34(2)). A deployment with no
/// `securityContact` gave French letters the English note "(no securityContact configured in
/// guichet.yaml)" (an operator's audit): now the letters say, in their language, that the
/// contact point is to be completed, the page warns, and none is sent.
@Suite(.serialized)
struct WebLetterContactPageTests {
    @Test("without a contact point the letters say it is to be completed in their language, the page warns, the report says so, and nothing is sent", arguments: ["fr", "en"])
    func noContactPoint(language: String) async throws {
        let mailer = try RefusingMailer()
        let scenario = try await ScriptedIncident.make(mailer: mailer)
        let world = scenario.world
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "confidentiality", facts: "Synthetic facts.", detectedAt: Date().addingTimeInterval(-600),
            scope: ScopeQuery(account: scenario.attacker.account)), by: officer)
        let fr = language == "fr"
        // The same registry served with no security contact.
        let server = GuichetServer(gate: world.gate, auth: world.auth, store: world.store)
        #expect(server.breachContact.isEmpty)
        try await Application(router: server.adminRouter().0).test(.router) { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let letters = try await browser.get("/web/security/incidents/\(incident.id)/letters?language=\(language)&purpose=breach-notification&lang=\(language)")
            #expect(letters.status == .ok && letters.html.contains(#"id="no-contact""#), "the page warns")
            let sample = try #require(letters.html.firstMatch(of: #/<pre class="letter" id="letter-sample">(.*?)</pre>/#.dotMatchesNewlines()).map { String($0.1) })
            #expect(sample.contains(fr ? "[à compléter : le point de contact (securityContact dans guichet.yaml)]"
                                       : "[to be completed: the contact point (securityContact in guichet.yaml)]"), "\(sample)")
            #expect(!sample.contains("no securityContact configured"))
            let sent = try await browser.post("/web/security/incidents/\(incident.id)/letters/send?lang=\(language)",
                                              [("csrf", try #require(letters.csrf)), ("purpose", "breach-notification"), ("language", language)])
            #expect(sent.status == .conflict && sent.html.contains(fr ? "aucune n&#39;a été envoyée" : "none was sent"), "\(sent.status)")
            let page = try await browser.get("/web/security/incidents/\(incident.id)?lang=\(language)")
            #expect(page.html.contains(fr ? "(à compléter) (securityContact, guichet.yaml)" : "(to be completed) (securityContact, guichet.yaml)"))
        }
        #expect(mailer.turn.withLock { $0 } == 0, "no message reached the relay")
        let changes = try await world.store.incidentChanges(incident.id)
        #expect(!changes.contains { $0.change.contains("e-mailed") }, "no sending recorded")
    }
}
