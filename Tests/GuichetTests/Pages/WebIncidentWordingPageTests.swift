import Foundation
import HummingbirdTesting
import Testing
import GuichetBreach
import GuichetCore
import GuichetLedger
import GuichetVault
@testable import GuichetServer

/// The incident page's words, as a French and an English officer read them (an audit found
/// the French saying the opposite of the English).
@Suite(.serialized)
struct WebIncidentWordingPageTests {
    @Test("the honeytokens an intruder reached are said to be nobody real, in French as in English", arguments: ["fr", "en"])
    func decoysAreNobodyReal(language: String) async throws {
        let scenario = try await ScriptedIncident.make()
        let world = scenario.world
        defer { world.remove() }
        let key = try Vault(profile: world.profile, keys: world.keys).honeytokenKey()
        try await world.store.insertHoneytokenTags([Honeytoken.tag(scenario.a2.id.rawValue, kind: "dossier", key: key),
                                                    Honeytoken.tag(scenario.parent2.rawValue, kind: "person", key: key)])
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "confidentiality", facts: "Synthetic facts.", detectedAt: Date().addingTimeInterval(-600),
            scope: ScopeQuery(account: scenario.attacker.account)), by: officer)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let page = try await browser.get("/web/security/incidents/\(incident.id)?lang=\(language)")
            #expect(page.status == .ok)
            let label = try #require(page.html.firstMatch(of: #/<dt>([^<]*)</dt><dd>[0-9]+</dd>/#).map { String($0.1) })
            #expect(label == (language == "fr" ? "Leurres atteints (aucune personne réelle)" : "Decoys reached (nobody real)"), "\(label)")
        }
    }

    @Test("the incident page shows the likely consequences the officer recorded; French headings put a space before the colon", arguments: ["fr", "en"])
    func consequencesAndColons(language: String) async throws {
        let scenario = try await ScriptedIncident.make()
        let world = scenario.world
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let consequences = "Synthetic consequences: phishing in the family name."
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "confidentiality", facts: "Synthetic facts.", consequences: consequences,
            detectedAt: Date().addingTimeInterval(-600), scope: ScopeQuery(account: scenario.attacker.account)), by: officer)
        let fr = language == "fr"
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let page = try await browser.get("/web/security/incidents/\(incident.id)?lang=\(language)")
            #expect(page.status == .ok)
            #expect(page.html.contains(#"<dd id="incident-consequences">\#(consequences)</dd>"#), "the consequences recorded")
            #expect(page.html.contains(fr ? "<h1>Incident : <span" : "<h1>Incident: <span"))
            let letters = try await browser.get("/web/security/incidents/\(incident.id)/letters?language=\(language)&purpose=breach-notification&lang=\(language)")
            #expect(letters.html.contains(fr ? "<h1>Lettres : Synthetic drill</h1>" : "<h1>Letters: Synthetic drill</h1>"))
        }
    }
}
