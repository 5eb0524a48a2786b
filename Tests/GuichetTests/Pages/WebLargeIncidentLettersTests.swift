import Foundation
import HummingbirdTesting
import Testing
@testable import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMFA
@testable import GuichetServer
import GuichetStore

/// The letters of an incident larger than the officer's ceiling of persons are prepared on
/// the pages: the ceiling's demand comes as the step-up form, which asks for a code and why,
/// and carries the letters' purpose and language (an operator's audit: the page could not be
/// answered, and each reload counted past the ceiling until the officer was suspended).
@Suite(.serialized)
struct WebLargeIncidentLettersTests {
    @Test("an officer prepares the letters of a 40-person incident on the pages by answering the step-up with a code and why")
    func largeIncident() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 400,
                                                      accounts: [("agent", "agent", "operator"), ("security", "security", "operator")])
        defer { world.remove() }
        // A stolen agent reads well past 35 persons, answering its step-up with a reason.
        let agentSecret = try await world.enrol("agent")
        let token = try await world.signIn("agent", secret: agentSecret)
        let files = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 400))
        var justified = false
        for id in files {
            world.clock.advance(1)
            guard let p = try? await world.auth.authenticate(token: token) else { break }
            var r = GateRequest(principal: p, requestID: "attack", source: "198.51.100.7", purpose: "list-management")
            if justified { r.justification = "the families asked for news of their applications" }
            do { _ = try await world.gate.read(id, r) } catch GuichetError.forbidden(let m) where m.contains("ceiling") && !justified {
                try await world.stepUp([token], secret: agentSecret)
                justified = true
            } catch { break }
        }
        let agent = try #require(try await world.store.account(username: "agent")).id
        let scope = try await world.scope(of: "agent")
        #expect(scope.persons.count > 35, "an incident larger than the officer's ceiling: \(scope.persons.count) persons")

        let officerSecret = try await world.enrol("security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "confidentiality", facts: "Synthetic facts.",
            detectedAt: world.clock.now.addingTimeInterval(-600), scope: ScopeQuery(account: agent)), by: officer)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            world.clock.advance(30)
            _ = try await browser.signIn("security", World.password, totp: officerSecret, at: world.clock.now)
            let page = try await browser.get("/web/security/incidents/\(incident.id)?lang=en")
            #expect(page.html.contains(#"<form method="post" action="/web/security/incidents/\#(incident.id)/letters""#), "letters are prepared by a form that posts")
            let asked = try await browser.post("/web/security/incidents/\(incident.id)/letters",
                                               [("csrf", try #require(page.csrf)), ("purpose", "breach-notification"), ("language", "en")])
            #expect(asked.html.contains(#"id="justification""#) && asked.html.contains(#"id="step-up""#), "the step-up form asks why: \(asked.status)")
            #expect(asked.html.contains("Why do you need to go on?") && !asked.html.contains("Why do you need this file?"),
                    "the letters' step-up asks why the officer goes on, not why one file")
            // Refused before any person was opened: the officer's scope holds nobody (an insider
            // audit: 50 persons were journalled as disclosed by letters refused at the ceiling).
            let refusedScope = try await world.scope(of: "security")
            #expect(refusedScope.persons.isEmpty, "letters refused at the ceiling disclosed \(refusedScope.persons.count) persons")
            let carried = try WebStepUpKeepsFormTests.carried(asked.html).filter { $0.0 != "csrf" }
            #expect(carried.contains { $0 == ("purpose", "breach-notification") } && carried.contains { $0 == ("language", "en") })
            world.clock.advance(30)
            let code = try TOTPSecret(base32: officerSecret).code(at: world.clock.now)
            let letters = try await browser.post("/web/security/incidents/\(incident.id)/letters",
                                                 [("csrf", try #require(page.csrf))] + carried
                                                 + [("code", code), ("justification", "letters to the families of incident drill 1")])
            #expect(letters.status == .ok && letters.html.contains(#"id="send-form""#) || letters.html.contains(#"id="no-relay""#), "\(letters.status)")
            #expect(letters.html.contains("\(scope.persons.count)"), "every person of the incident has a letter")
        }
        #expect(try await world.store.account(username: "security")?.status == "active", "the officer is not suspended")
    }

    @Test("letters of an incident larger than a session may open are refused before any name is opened, with the console's command, on the API's path and on the page in its language", arguments: ["fr", "en"])
    func tooLargeForASession(_ language: String) async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        var settings = scenario.world.profile.watch
        settings.ceilings["security"] = Ceiling(burst: 2, hour: 2, day: 10, session: 2, grace: 1, changesBurst: 5, changesDay: 10, changesGrace: 10)
        let world = try await scenario.world.watched(settings)
        let officer = try #require(try await world.store.account(username: "security")).id
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "confidentiality", facts: "Synthetic facts.",
            detectedAt: Date().addingTimeInterval(-600), scope: ScopeQuery(account: scenario.attacker.account)), by: officer)
        let persons = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: scenario.attacker.account)).persons.count
        #expect(persons > 3)
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("security", World.password, totp: secret)
            let page = try await browser.get("/web/security/incidents/\(incident.id)?lang=\(language)")
            let refused = try await browser.post("/web/security/incidents/\(incident.id)/letters?lang=\(language)",
                                                 [("csrf", try #require(page.csrf)), ("purpose", "breach-notification"), ("language", language)])
            #expect(refused.status == .conflict, "\(refused.status)")
            #expect(refused.html.contains("guichet breach letters --data") && refused.html.contains("--incident \(incident.id)"), "the console's command")
            #expect(refused.html.contains(language == "fr" ? "cet incident concerne \(persons) personnes" : "this incident concerns \(persons) persons")
                    || refused.html.contains(language == "fr" ? "Cet incident concerne \(persons) personnes" : "This incident concerns \(persons) persons"))
        }
        let opened = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: officer))
        #expect(opened.persons.isEmpty, "no name was opened: \(opened.persons.count)")
        #expect(try await world.store.account(username: "security")?.status == "active")
    }
}
