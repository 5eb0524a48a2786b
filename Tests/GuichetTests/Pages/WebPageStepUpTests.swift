import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore
import GuichetGate
@testable import GuichetServer

/// The containment messages on the pages: past the role's ceiling (or on unusual activity) the
/// page explains in plain words, asks for a new code and, for a ceiling, why; then opens the
/// file through the same gate with that justification.
@Suite(.serialized)
struct WebPageStepUpTests {
    /// - Parameter viaSecondFactorStep: the factor is verified at the second-factor step (the
    ///   way a passkey is, since a passkey cannot go in the step-up form), and the reason then
    ///   given with the code left empty; otherwise the app's code goes in the step-up form.
    @Test("past the ceiling an agent's page explains it in plain words and asks for a code (or a passkey, verified at the second-factor step) and a reason, then opens the file",
          arguments: [false, true])
    func ceilingStepUp(viaSecondFactorStep: Bool) async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 60, accounts: [("agent", "agent", "operator")])
        defer { world.remove() }
        let secret = try await world.enrol("agent")
        let ids = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 60))
        let texts = try #require(try WebPages.bundled.get().texts["en"])
        try await Application(router: world.server.publicRouter().0).test(.router) { client in
            var browser = PageClient(client)
            let signedIn = try await browser.signIn("agent", World.password)
            #expect(signedIn.location == "/web/second-factor")
            let blocked = try await browser.get("/web/home")
            #expect(blocked.location == "/web/second-factor", "no page of personal data before the second factor")
            world.clock.advance(30)
            let verified = try await browser.post("/web/second-factor", [("csrf", try #require(browser.get("/web/second-factor?lang=en").csrf)),
                                                                          ("code", try TOTPSecret(base32: secret).code(at: world.clock.now))])
            #expect(verified.location == "/web/home")

            var refused: (id: DossierID, page: PageClient.Page)?
            for id in ids {
                let page = try await browser.get("/web/dossiers/\(id.rawValue)?purpose=list-management")
                if page.status != .ok { refused = (id, page); break }
            }
            let (id, page) = try #require(refused, "the agent meets a limit before opening 60 files")
            #expect(page.status == .forbidden)
            let key = try #require(page.html.firstMatch(of: #/data-key="([A-Za-z]+)"/#).map { String($0.1) })
            #expect(key == "errCeiling" || key == "errStepUp", "a step-up, in plain words: \(key)")
            #expect(page.html.contains(PageClientText.escaped(try #require(texts[key]))))
            #expect(page.html.contains(#"id="step-up""#) && page.html.contains(#"name="code""#))
            #expect(!page.html.contains("POST /v1") && !page.html.contains("Guichet-Justification"), "no API words on a page")
            if key == "errCeiling" { #expect(page.html.contains(#"name="justification""#)) }
            let back = "/web/dossiers/\(id.rawValue)?purpose=list-management"
            #expect(page.html.contains(#"id="verify-passkey""#) && page.html.contains("next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")),
                    "a passkey's way: the second-factor step, then back to this file")

            world.clock.advance(30)
            var csrf = try #require(page.csrf)
            var form = [("csrf", csrf), ("purpose", "list-management"), ("justification", "The family called about their file and asked for an update.")]
            if viaSecondFactorStep {
                let step = try await browser.get("/web/second-factor?next=" + (back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
                let verified = try await browser.post("/web/second-factor", [("csrf", try #require(step.csrf)), ("next", back),
                                                                               ("code", try TOTPSecret(base32: secret).code(at: world.clock.now))])
                #expect(verified.location == back, "back to the file after the factor")
                csrf = try #require(try await browser.get(back).csrf)
                form[0] = ("csrf", csrf)
            } else {
                form.append(("code", try TOTPSecret(base32: secret).code(at: world.clock.now)))
            }
            let opened = try await browser.post("/web/dossiers/\(id.rawValue)/open", form)
            #expect(opened.status == .ok && opened.html.contains(#"id="fields""#), "after the step-up the file opens: \(opened.status)")
        }
    }
}

/// The ceiling of changes on the pages: an agent withdrawing files one click after another is
/// stopped at its role's ceiling with the same step-up form; the code and a reason given there
/// answer it, and the refused click then goes through.
@Suite(.serialized)
struct WebPageChangeCeilingTests {
    @Test("past the ceiling of changes an agent's page explains it and asks for a code and a reason; after them the refused change goes through")
    func changeCeilingStepUp() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 150, accounts: [("agent", "agent", "operator")])
        defer { world.remove() }
        let secret = try await world.enrol("agent")
        let waiting = try await world.store.search(DossierQuery(type: "application", status: "waiting", scope: [.any], terms: [], after: nil, limit: 150))
        let limit = Ceiling.defaults(for: .staff).changesBurst
        try #require(waiting.count > limit + 1, "\(waiting.count) waiting applications")
        let texts = try #require(try WebPages.bundled.get().texts["en"])
        try await Application(router: world.server.publicRouter().0).test(.router) { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password)
            world.clock.advance(30)
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(browser.get("/web/second-factor?lang=en").csrf)),
                                                              ("code", try TOTPSecret(base32: secret).code(at: world.clock.now))])
            let csrf = try #require(try await browser.get("/web/home").csrf)
            var refused: (id: DossierID, page: PageClient.Page)?
            var withdrawn = 0
            for id in waiting {
                let page = try await browser.post("/web/dossiers/\(id.rawValue)/transitions/withdraw", [("csrf", csrf), ("purpose", "list-management"), ("confirm", "yes")])
                if page.status == .seeOther { withdrawn += 1 } else { refused = (id, page); break }
            }
            #expect(withdrawn == limit)
            let (id, page) = try #require(refused, "the agent meets the ceiling of changes")
            #expect(page.status == .forbidden)
            let key = try #require(page.html.firstMatch(of: #/data-key="([A-Za-z]+)"/#).map { String($0.1) })
            #expect(key == "errCeilingChanges")
            #expect(page.html.contains(PageClientText.escaped(try #require(texts[key]))))
            #expect(page.html.contains(#"id="step-up""#) && page.html.contains(#"name="code""#) && page.html.contains(#"name="justification""#))
            #expect(!page.html.contains("Guichet-Justification"), "no API words on a page")

            world.clock.advance(30)
            // A wrong code: the same step-up again, saying so, with the reason as typed.
            let reason = "The families asked at the counter to withdraw these applications."
            let good = try TOTPSecret(base32: secret).code(at: world.clock.now)
            let wrong = try await browser.post("/web/dossiers/\(id.rawValue)/open", [
                ("csrf", try #require(page.csrf)), ("purpose", "list-management"), ("justification", reason), ("code", good == "000000" ? "111111" : "000000")])
            #expect(wrong.html.contains(#"id="code-wrong""#) && wrong.html.contains(#"id="step-up""#) && wrong.html.contains(">\(reason)</textarea>"),
                    "\(wrong.status)")
            let opened = try await browser.post("/web/dossiers/\(id.rawValue)/open", [
                ("csrf", try #require(wrong.csrf)), ("purpose", "list-management"),
                ("justification", reason),
                ("code", good)])
            #expect(opened.status == .ok, "the file opens with the code and the reason: \(opened.status)")
            let again = try await browser.post("/web/dossiers/\(id.rawValue)/transitions/withdraw", [("csrf", try #require(opened.csrf)), ("purpose", "list-management"), ("confirm", "yes")])
            #expect(again.status == .seeOther, "the refused change goes through once answered: \(again.status)")
        }
    }
}

enum PageClientText {
    static func escaped(_ s: String) -> String { s.replacingOccurrences(of: "'", with: "&#39;") }
}

/// Break-glass on the pages (emploi: an adviser outside the agency's files).
@Suite(.serialized)
struct WebPageBreakGlassTests {
    @Test("an adviser's page for a file of another agency offers break-glass; with a reason and a new code the gate opens it, without the NIR; the security officer reviews it")
    func breakGlass() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let session = try await world.auth.signIn(username: "adviser2", password: EmploiWorld.password)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: try await world.activationCode("adviser2"))
        _ = try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: world.clock.now))
        let target = try #require(world.summary.agencyCaseload.first)
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("adviser2", EmploiWorld.password)
            world.clock.advance(30)
            let form = try await browser.get("/web/second-factor?lang=en")
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", try TOTPSecret(base32: secret).code(at: world.clock.now))])
            let outside = try await browser.get("/web/dossiers/\(target.rawValue)?purpose=support")
            #expect(outside.status == .notFound && outside.html.contains(#"id="break-glass""#) && outside.html.contains("at least 40 characters"))
            #expect(!outside.html.contains(#"id="fields""#), "nothing of the file before the glass is broken")
            let csrf = try #require(outside.csrf)
            world.clock.advance(30)
            let code = try TOTPSecret(base32: secret).code(at: world.clock.now)
            let short = try await browser.post("/web/dossiers/\(target.rawValue)/break-glass", [("csrf", csrf), ("purpose", "support"), ("code", code), ("justification", "urgent")])
            #expect(short.status == .badRequest, "a reason too short is refused")
            // On the same form, as typed, with why; the browser is told the rule too.
            #expect(short.html.contains(#"id="break-glass-error""#) && short.html.contains("40 to 2000 characters"))
            #expect(short.html.contains(#"minlength="40""#) && short.html.contains(">urgent</textarea>"))
            // Refused before the code was checked: the code is not spent, the session is the same.
            let renewed = try #require(short.csrf)
            #expect(renewed == csrf)
            // A wrong code is said as one, beside the form, with the reason as typed (an
            // everyday users' audit: it read "unusual activity", and the reason was lost).
            let reason = "The job seeker came to our agency in person and asked about the file."
            let wrong = try await browser.post("/web/dossiers/\(target.rawValue)/break-glass", [
                ("csrf", renewed), ("purpose", "support"), ("code", code == "000000" ? "111111" : "000000"), ("justification", reason)])
            #expect(wrong.status == .unauthorized && wrong.html.contains(#"id="code-wrong""#) && wrong.html.contains(#"id="break-glass""#), "\(wrong.status)")
            #expect(wrong.html.contains(">\(reason)</textarea>") && !wrong.html.contains("unusual activity"))
            #expect(!wrong.html.contains(#"id="fields""#))
            let opened = try await browser.post("/web/dossiers/\(target.rawValue)/break-glass", [
                ("csrf", renewed), ("purpose", "support"), ("code", code),
                ("justification", "The job seeker came to our agency in person and asked about the file."),
            ])
            #expect(opened.status == .ok && opened.html.contains(#"id="fields""#), "\(opened.status)")
            #expect(opened.html.contains("security will review"))
            #expect(!opened.html.contains("NIR"), "break-glass shows no national identifier")
            // A file opened by break-glass reads only: no workflow step, no claim code, no change
            // is offered (a pages audit: its buttons answered "this file does not exist").
            #expect(!opened.html.contains("/transitions/") && !opened.html.contains(#"class="claim-code""#) && !opened.html.contains(#"id="edit""#),
                    "no action the gate would refuse")
            #expect(try await world.gate.pendingBreakGlass(try await world.auth.consoleOfficerTrustingTheKeyFile(username: "security")).count == 1,
                    "the opening waits for the security officer's review")
        }
        // The security officer reviews it on the admin listener's page.
        let officer = try await world.auth.signIn(username: "security", password: EmploiWorld.password)
        let (officerSecret, _) = try await world.auth.beginTOTP(officer.principal, activationCode: try await world.activationCode("security"))
        _ = try await world.auth.verifyTOTP(officer.principal, code: try TOTPSecret(base32: officerSecret).code(at: world.clock.now))
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("security", EmploiWorld.password)
            world.clock.advance(30)
            let form = try await browser.get("/web/second-factor?lang=en")
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", try TOTPSecret(base32: officerSecret).code(at: world.clock.now))])
            let home = try await browser.get("/web/home")
            #expect(home.html.contains("asked about the file"), "the justification is shown to the officer")
            let action = try #require(home.html.firstMatch(of: #/action="(/web/security/break-glass/[^"]+/review)"/#).map { String($0.1) })
            let done = try await browser.post(action, [("csrf", try #require(home.csrf)), ("verdict", "justified"), ("note", "Confirmed with the agency.")])
            #expect(done.status == .seeOther, "\(done.status)")
            #expect(try await world.gate.pendingBreakGlass(try await world.auth.consoleOfficerTrustingTheKeyFile(username: "security")).isEmpty)
        }
    }
}
