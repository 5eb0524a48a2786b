import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetLedger
import GuichetMail
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// An incident from scope to letters to the register, one page per step, in process.
@Suite(.serialized)
struct WebIncidentPageTests {
    /// Signs the security officer in on the admin listener with a fresh second factor.
    static func officer(_ browser: inout PageClient, secret: String) async throws {
        _ = try await browser.signIn("security", World.password)
        let form = try await browser.get("/web/second-factor")
        let code = try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30))
        let verified = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", code)])
        #expect(verified.location == "/web/home")
    }

    @Test("a security officer goes from an account's scope to an incident, its letters and the register; without a relay the page says so and nothing is sent")
    func scopeToRegister() async throws {
        let scenario = try await ScriptedIncident.make()
        let world = scenario.world
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let account = scenario.attacker.account.rawValue
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await Self.officer(&browser, secret: secret)
            let scope = try await browser.get("/web/security/scope?account=daycare2&lang=en")
            #expect(scope.status == .ok && scope.html.contains(#"id="incident-form""#) && scope.html.contains(account))
            let expectedScope = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: scenario.attacker.account))
            #expect(scope.html.contains(#"<li id="scope-attempts">Refused attempts (nothing returned): \#(expectedScope.attempts.count)</li>"#)
                    && expectedScope.attempts.count > 0, "the refused attempts at the first step")
            #expect(scope.html.contains(#"id="scope-exports""#) && scope.html.contains(#"id="scope-decoys""#))
            let csrf = try #require(scope.csrf)
            let form: [(String, String)] = [("account", account), ("title", "Compromised daycare account"), ("nature", "A partner account's password was stolen."),
                                            ("facts", "Reads from an unusual address."), ("detectedAt", ScopeFormat.time(Date().addingTimeInterval(-3600)))]
            // Without the CSRF field, or from another site: refused, nothing registered.
            let without = try await browser.post("/web/security/incidents", form)
            #expect(without.status == .forbidden)
            let crossSite = try await browser.post("/web/security/incidents", form + [("csrf", csrf)], headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(crossSite.status == .forbidden)
            #expect(try await world.store.incidents().isEmpty, "nothing registered")
            let bad = try await browser.post("/web/security/incidents", [("csrf", csrf), ("account", account), ("title", "Synthetic title kept"),
                                                                         ("nature", "y"), ("facts", "Synthetic facts kept"), ("detectedAt", "yesterday")])
            #expect(bad.status == .badRequest && bad.html.contains("detectedAt") && bad.html.contains(#"id="incident-error""#))
            #expect(bad.html.contains(#"value="Synthetic title kept""#) && bad.html.contains(">Synthetic facts kept</textarea>"),
                    "the form comes back as typed")
            #expect(bad.html.contains(#"value="yesterday""#), "with the time as typed, to correct it")
            let unknown = try await browser.get("/web/security/scope?account=nobody.here&lang=en")
            #expect(unknown.status == .badRequest && unknown.html.contains("No account has the user name"))
            #expect(try await world.store.incidents().isEmpty, "bad input changes nothing")
            let opened = try await browser.post("/web/security/incidents", form + [("csrf", csrf)])
            let incident = try #require(try await world.store.incidents().first)
            #expect(opened.status == .seeOther && opened.location == "/web/security/incidents/\(incident.id)?done=incident")
            let query = try incident.scopeQuery()
            #expect(query.account?.rawValue == account)
            // Step 2: the incident, with the regulator report's clock.
            let page = try await browser.get("/web/security/incidents/\(incident.id)")
            #expect(page.status == .ok && page.html.contains(#"<dd id="incident-persons">5</dd>"#), "the five persons daycare2 received")
            let deadline = incident.detectedAt.addingTimeInterval(72 * 3600)
            #expect(page.html.contains("h left to notify the authority") && page.html.contains(#"<time datetime="\#(Wire.timestamp(deadline).string ?? "")">"#))
            // People read the deadline as a date and a time in the page's language, the hours with the page's decimal sign.
            #expect(page.html.contains(PageFormat.time(deadline, "en")) && page.html.contains(" UTC</time>"))
            #expect(page.html.contains("70.9 h left") || page.html.contains("71.0 h left"), "\(page.html.firstMatch(of: #/[0-9.,]+ h left/#).map { String($0.0) } ?? "no clock")")
            let inFrench = try await browser.get("/web/security/incidents/\(incident.id)?lang=fr")
            #expect(inFrench.html.contains("70,9 h restantes") || inFrench.html.contains("71,0 h restantes"),
                    "a comma on a French page: \(inFrench.html.firstMatch(of: #/[0-9.,]+ h restantes/#).map { String($0.0) } ?? "no clock")")
            #expect(inFrench.html.contains(PageFormat.time(deadline, "fr")) && !inFrench.html.contains(">\(Wire.timestamp(deadline).string ?? "")<"))
            _ = try await browser.get("/web/security/incidents/\(incident.id)?lang=en")
            #expect(page.html.contains(#"href="/web/security/incidents/\#(incident.id)/letters""#) || page.html.contains(#"action="/web/security/incidents/\#(incident.id)/letters""#))
            // The scope page now links the incident instead of leaving the officer to open another.
            #expect(try await browser.get("/web/security/scope?account=daycare2").html.contains("/web/security/incidents/\(incident.id)"))
            // Several accounts, separated by commas: one scope, each person once, and the incident form carries them all.
            let parent = try #require(try await world.store.account(username: "parent2")).id
            let union = try await BreachResponse.scopeNow(world.gate, ScopeQuery(accounts: [scenario.attacker.account, parent])).persons.count
            let several = try await browser.get("/web/security/scope?account=daycare2%2C%20parent2&lang=en")
            #expect(several.status == .ok && several.html.contains(#"<span id="scope-count">\#(union)</span>"#), "\(union)")
            #expect(several.html.contains(#"name="account" value="\#([account, parent.rawValue].sorted().joined(separator: ","))""#))
            #expect(several.html.contains("/web/security/incidents/\(incident.id)"), "the incident of one of them is linked")
            // Step 3: the letters, previewed. Opening names and contacts needs the purpose, and is journalled with it.
            let noPurpose = try await browser.get("/web/security/incidents/\(incident.id)/letters?language=en")
            #expect(noPurpose.status == .badRequest)
            let security = try #require(try await world.store.account(username: "security")).id
            let before = try await world.ledger.journal(account: security).filter { $0.purpose == "breach-notification" }.count
            let letters = try await browser.get("/web/security/incidents/\(incident.id)/letters?language=en&purpose=breach-notification")
            #expect(letters.status == .ok && letters.html.contains(#"<dd id="letters-count">4</dd>"#), "four letters; the second parent without contact is listed apart")
            #expect(letters.html.contains(scenario.secondParent.rawValue) && letters.html.contains(#"id="letters-unreachable""#))
            #expect(letters.html.contains(#"id="no-relay""#) && !letters.html.contains(#"id="send-form""#), "no relay: said plainly, no send button")
            #expect(letters.html.contains(#"id="letter-sample""#) && letters.html.contains("phishing"))
            for contact in ["parent1@", "parent2@", "parent3@"] { #expect(!letters.html.contains(contact), "contacts are not listed") }
            #expect(!letters.html.contains("514-555-0142"), "labels, never values")
            let after = try await world.ledger.journal(account: security).filter { $0.purpose == "breach-notification" }.count
            #expect(after > before, "every opening is in the ledger with its purpose")
            // Sending without a relay: said plainly, nothing recorded as sent.
            let send = try await browser.post("/web/security/incidents/\(incident.id)/letters/send",
                                              [("csrf", csrf), ("purpose", "breach-notification"), ("language", "en")])
            #expect(send.status == .serviceUnavailable && send.html.contains(#"id="no-relay""#))
            #expect(try await world.store.incidentChanges(incident.id).allSatisfy { !$0.change.contains("e-mailed") })
            // Step 4: the register, after recording that the breach is contained.
            let updated = try await browser.post("/web/security/incidents/\(incident.id)", [("csrf", csrf), ("status", "contained"), ("remedial", "Account suspended.")])
            #expect(updated.status == .seeOther)
            #expect(try await world.store.incident(incident.id)?.status == "contained")
            let register = try await browser.get("/web/security/incidents")
            #expect(register.status == .ok && register.html.contains("Compromised daycare account") && register.html.contains(">contained<"))
            let french = try await browser.get("/web/security/incidents?lang=fr")
            #expect(french.html.contains("Registre des incidents") && french.html.contains(">maîtrisé<"))
        }
    }

    @Test("the incident pages show nothing without a session or to an administrator, and a stale second factor is asked again")
    func refusals() async throws {
        let scenario = try await ScriptedIncident.make()
        let world = scenario.world
        defer { world.remove() }
        let officer = try await world.principal("security")
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "confidentiality", facts: "synthetic", detectedAt: Date(), scope: ScopeQuery(account: scenario.attacker.account)),
            by: officer.account)
        let adminSecret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        try await world.withAdmin { client in
            var anonymous = PageClient(client)
            for path in ["/web/security/incidents", "/web/security/incidents/\(incident.id)",
                         "/web/security/incidents/\(incident.id)/letters?purpose=breach-notification"] {
                let page = try await anonymous.get(path)
                #expect(page.status == .seeOther && page.location?.hasPrefix("/web/sign-in?next=%2Fweb%2Fsecurity%2Fincidents") == true && !page.html.contains("Synthetic drill"))
            }
            var admin = PageClient(client)
            _ = try await admin.signIn("admin", World.password)
            let form = try await admin.get("/web/second-factor")
            _ = try await admin.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", try TOTPSecret(base32: adminSecret).code(at: Date().addingTimeInterval(30)))])
            for path in ["/web/security/incidents", "/web/security/incidents/\(incident.id)",
                         "/web/security/incidents/\(incident.id)/letters?purpose=breach-notification"] {
                let page = try await admin.get(path)
                #expect(page.status == .forbidden && !page.html.contains("Synthetic drill"), "\(path): \(page.status)")
            }
            // A security officer whose session has not verified its second factor is asked for a code first.
            var unverified = PageClient(client)
            _ = try await unverified.signIn("security", World.password)
            let stale = try await unverified.get("/web/security/incidents/\(incident.id)")
            #expect(stale.status == .forbidden && stale.html.contains(#"id="verify-again""#) && !stale.html.contains("Synthetic drill"))
            let home = try await admin.get("/web/home")
            let posted = try await admin.post("/web/security/incidents/\(incident.id)", [("csrf", try #require(home.csrf)), ("status", "closed")])
            #expect(posted.status == .forbidden)
            #expect(try await world.store.incident(incident.id)?.status == "open", "nothing changed")
        }
    }

    @Test("with a relay, the letters page sends them: each recipient with an address gets theirs, and the incident records it")
    func sendThroughRelay() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let scenario = try await ScriptedIncident.make(mailer: try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("dpo@registre.example")))
        let world = scenario.world
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Compromised daycare account", nature: "A partner account's password was stolen.", facts: "Unusual address.",
            detectedAt: Date(), scope: ScopeQuery(account: scenario.attacker.account)), by: officer)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await Self.officer(&browser, secret: secret)
            let letters = try await browser.get("/web/security/incidents/\(incident.id)/letters?language=en&purpose=breach-notification&lang=en")
            #expect(letters.status == .ok && letters.html.contains(#"id="send-form""#) && !letters.html.contains(#"id="no-relay""#))
            let csrf = try #require(letters.csrf)
            let refused = try await browser.post("/web/security/incidents/\(incident.id)/letters/send", [("purpose", "breach-notification"), ("language", "en")])
            #expect(refused.status == .forbidden)
            #expect(try sink.messages().isEmpty, "no CSRF field, nothing sent")
            let sent = try await browser.post("/web/security/incidents/\(incident.id)/letters/send",
                                              [("csrf", csrf), ("purpose", "breach-notification"), ("language", "en")])
            #expect(sent.status == .ok && sent.html.contains("4 message(s) sent, 0 failed, 1 person(s) to reach otherwise"), "\(sent.status)")
            #expect(sent.html.contains(#"href="/web/security/incidents""#), "the next step: the register")
        }
        let mail = try sink.messages()
        #expect(mail.count == 4 && mail.allSatisfy { $0.language == "en" })
        #expect(try await world.store.incidentChanges(incident.id).last?.change == "letters e-mailed: 4 sent, 0 failed, 1 to reach otherwise")
    }
}
