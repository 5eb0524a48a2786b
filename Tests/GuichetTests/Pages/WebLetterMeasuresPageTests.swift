import Foundation
import HummingbirdTesting
import Testing
@testable import GuichetBreach
import GuichetCore
import GuichetLedger
@testable import GuichetServer

/// A notification letter says only what the officer recorded: no measure recorded, no
/// "the account was blocked" (an audit found that default in a letter for an account still
/// active), and the letters page warns that the measures are missing. Dates are written in
/// the letter's language, and the nature is a sentence of its own.
@Suite(.serialized)
struct WebLetterMeasuresPageTests {
    @Test("days are written in the letter's language, the first of the month in French as '1er'")
    func writtenDays() throws {
        let first = try #require(ISO8601DateFormatter().date(from: "2026-12-01T23:30:00Z"))
        #expect(LetterWriter.writtenDay(first, language: "fr") == "1er décembre 2026")
        #expect(LetterWriter.writtenDay(first.addingTimeInterval(5 * 86_400), language: "fr") == "6 décembre 2026")
        #expect(LetterWriter.writtenDay(first.addingTimeInterval(5 * 86_400), language: "en") == "6 December 2026")
    }

    @Test("without a recorded measure the letters claim none and the page warns; once recorded, the letters say exactly that; both languages",
          arguments: ["fr", "en"])
    func onlyRecordedMeasures(language: String) async throws {
        let scenario = try await ScriptedIncident.make()
        let world = scenario.world
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let detected = Date().addingTimeInterval(-600)
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: language == "fr" ? "confidentialité" : "confidentiality", facts: "Synthetic facts.",
            detectedAt: detected, scope: ScopeQuery(account: scenario.attacker.account)), by: officer)
        let fr = language == "fr"
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let uri = "/web/security/incidents/\(incident.id)/letters?language=\(language)&purpose=breach-notification&lang=\(language)"
            let letters = try await browser.get(uri)
            #expect(letters.status == .ok && letters.html.contains(#"id="no-measures""#), "the page warns that no measure is recorded")
            let sample = try #require(letters.html.firstMatch(of: #/<pre class="letter" id="letter-sample">(.*?)</pre>/#.dotMatchesNewlines()).map { String($0.1) })
            #expect(!sample.contains(fr ? "bloqué" : "blocked") && !sample.contains(fr ? "Ce que nous avons fait" : "What we have done"),
                    "no measure claimed: \(sample)")
            #expect(sample.contains(LetterWriter.writtenDay(detected, language: language)), "a written date")
            #expect(!sample.contains(String(ScopeFormat.time(detected).prefix(10))), "no ISO date")
            #expect(sample.contains(fr ? "Nature de la violation : confidentialité." : "Nature of the breach: confidentiality."))
            #expect(!sample.contains(fr ? "sans droit. confidentialité" : "without right. confidentiality"), "no bare word after a sentence")

            let csrf = try #require(letters.csrf)
            let measure = "The account was suspended and its sessions ended."
            let updated = try await browser.post("/web/security/incidents/\(incident.id)", [("csrf", csrf), ("status", "contained"), ("remedial", measure)])
            #expect(updated.status == .seeOther)
            let again = try await browser.get(uri)
            #expect(again.status == .ok && !again.html.contains(#"id="no-measures""#))
            #expect(again.html.contains(fr ? "Ce que nous avons fait" : "What we have done") && again.html.contains(measure))
        }
    }
}
