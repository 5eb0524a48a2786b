import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import GuichetBreach
import GuichetCore
import GuichetLedger
import GuichetMail
import GuichetStore
@testable import GuichetServer

/// A relay that refuses each message in its own way, in turn (synthetic failures).
final class RefusingMailer: Mailer {
    let sender: MailAddress
    let turn = Mutex(0)
    init() throws { sender = try MailAddress("dpo@registre.example") }

    struct Other: Error {}

    func send(_ message: MailMessage) async throws {
        let n = turn.withLock { n in defer { n += 1 }; return n }
        switch n % 4 {
        case 0: throw MailError.refused(step: "RCPT TO", code: 550)
        case 1: throw MailError.timeout
        case 2: throw MailError.unreachable("relay<b>.example:25")
        default: throw Other()
        }
    }
}

/// Why letters were not delivered, on the letters page: in the page's language (the reasons
/// the mail code gives), a relay's own words kept as they are and escaped.
@Suite(.serialized)
struct WebLetterFailureTextTests {
    @Test("the reasons of undelivered letters read in French on a French page and in English on an English one; a relay's name is escaped")
    func reasonsInThePageLanguage() async throws {
        let scenario = try await ScriptedIncident.make(mailer: try RefusingMailer())
        let world = scenario.world
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "A partner account's password was stolen.", facts: "Unusual address.",
            detectedAt: Date(), scope: ScopeQuery(account: scenario.attacker.account)), by: officer)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let letters = try await browser.get("/web/security/incidents/\(incident.id)/letters?language=fr&purpose=breach-notification&lang=fr")
            let csrf = try #require(letters.csrf)
            let french = try await browser.post("/web/security/incidents/\(incident.id)/letters/send?lang=fr",
                                                [("csrf", csrf), ("purpose", "breach-notification"), ("language", "fr")])
            #expect(french.status == .ok && french.html.contains(#"id="failed""#), "\(french.status)")
            #expect(french.html.contains("le relais de messagerie a refusé le message à l&#39;étape RCPT TO (SMTP 550)"), "\(french.html)")
            #expect(french.html.contains("le relais de messagerie n&#39;a pas répondu à temps"))
            #expect(french.html.contains("le relais de messagerie relay&lt;b&gt;.example:25 est injoignable") && !french.html.contains("relay<b>"))
            #expect(french.html.contains("le message n&#39;a pas pu être envoyé"))
            #expect(!french.html.contains("the mail relay") && !french.html.contains("could not be sent"), "no English reason on a French page")
            let english = try await browser.post("/web/security/incidents/\(incident.id)/letters/send?lang=en",
                                                 [("csrf", csrf), ("purpose", "breach-notification"), ("language", "en")])
            #expect(english.status == .ok && english.html.contains("the mail relay did not answer in time"))
        }
    }
}
