import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetAuth
import GuichetStore
@testable import GuichetServer

/// The passkey form of a step-up asked in the middle of a form (the search): an account whose
/// second factor is a passkey answers the step-up with it, in process, as `passkey.js` does
/// (a challenge from the API with the page's CSRF token, soft-webauthn's answer, the passkey
/// form's hidden fields posted, the reason copied from the box that asks why). What was typed
/// comes through; a replayed answer passes nothing.
@Suite(.serialized)
struct WebStepUpPasskeyTests {
    /// Enrols a passkey on `device` as the owner would, with the console's activation code.
    static func enrolPasskey(_ auth: Authenticator, _ username: String, _ device: SoftAuthenticator) async throws {
        let session = try await auth.signIn(username: username, password: World.password)
        let code = try #require(try await auth.consoleActivation(username: username)?.code)
        let challenge = try await auth.webAuthnRegistrationChallenge(session.principal, activationCode: code)
        let created = try device.create(challenge: challenge)
        _ = try await auth.registerWebAuthn(session.principal, clientDataJSON: try B64URL.decode(created.clientDataJSON),
                                                  attestationObject: try B64URL.decode(created.attestationObject))
    }

    /// What passkey.js posts from the form `id="passkey-sign-in"` of `html`: its hidden fields,
    /// the fields marked `data-from` filled from the page's other form (`typed`), and the
    /// authenticator's answer to a challenge asked with the form's CSRF token.
    static func passkeyAnswer(_ html: String, typed: [String: String], _ client: any TestClientProtocol, _ browser: PageClient,
                              _ device: SoftAuthenticator) async throws -> [(String, String)] {
        let fields = try WebStepUpKeepsFormTests.hiddenFields(html, form: "passkey-sign-in")
        let csrf = try #require(fields.first { $0.0 == "csrf" }?.1)
        let options = try await WebPasskeyPageTests.challenge(client, browser, "/v1/session/webauthn/challenge", csrf: csrf)
        let assertion = try device.get(challenge: try B64URL.decode(try #require(options["challenge"]?.string)))
        let answer = ["credentialId": assertion.id, "clientDataJSON": assertion.clientDataJSON,
                      "authenticatorData": assertion.authenticatorData, "signature": assertion.signature]
        let copied = Set(try #require(html.firstMatch(of: #/id="passkey-sign-in"(?s:.*?)</form>/#)).0
            .matches(of: #/name="([^"]+)" value="" data-from="([^"]+)"/#).map { String($0.1) })
        return fields.map { name, value in (name, answer[name] ?? (copied.contains(name) ? typed[name] ?? "" : value)) }
    }

    @Test("an account made minutes ago answers a search's step-up with its passkey from the page: the search is done with the terms typed, the session renewed; the same answer again passes nothing")
    func freshAccountSearch() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 20, accounts: [("admin", "admin", "operator"), ("security", "security", "operator")])
        defer { world.remove() }
        let admin = try #require(try await world.store.account(username: "admin")).id
        let officer = try #require(try await world.store.account(username: "security")).id
        let org = try await world.store.organisations(kind: "operator").first
        _ = try await world.auth.createAccount(username: "agent.new", password: World.password, role: "agent", organisation: org?.id,
                                               territory: org?.territory, createdBy: admin)
        if let request = try await world.store.pendingRequests().first { _ = try await world.auth.approve(request: request.id, by: officer) }
        let device = try SoftAuthenticator()
        try await Self.enrolPasskey(world.auth, "agent.new", device)
        try await Application(router: world.server.publicRouter().0).test(.router) { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent.new", World.password)
            let step = try await browser.get("/web/second-factor?lang=en")
            let signIn = try await Self.passkeyAnswer(step.html, typed: [:], client, browser, device)
            let verified = try await browser.post("/web/second-factor", signIn)
            #expect(verified.location == "/web/home", "the passkey passes the second-factor step: \(verified.status)")
            world.clock.advance(6 * 60)  // a factor proved over 5 minutes ago: the fresh-account finding asks for it again

            let home = try await browser.get("/web/home?lang=en")
            let typed: [(String, String)] = [("type", "application"), ("search", "1"), ("purpose", "list-management"), ("status", "waiting"),
                                             ("who", "child"), ("q.lastName", "Fictif-Exemple"), ("q.birthDate", "2024-05-06")]
            let asked = try await browser.post("/web/home", [("csrf", try #require(home.csrf))] + typed)
            #expect(asked.status == .forbidden && asked.html.contains(#"data-key="errStepUp""#), "\(asked.status)")
            #expect(asked.html.contains(#"<form method="post" action="/web/home" class="stack" id="passkey-sign-in""#),
                    "an account with a passkey is offered it, posting the search again")
            #expect(asked.html.contains(#"src="/web/passkey.js""#), "the page loads the script that answers it")
            let carried = try WebStepUpKeepsFormTests.hiddenFields(asked.html, form: "passkey-sign-in")
            for pair in typed { #expect(carried.contains { $0 == pair }, "\(pair.0) carried by the passkey form") }
            #expect(!asked.html.contains("data-from"), "a step-up that does not ask why copies nothing")

            world.clock.advance(30)
            let answer = try await Self.passkeyAnswer(asked.html, typed: [:], client, browser, device)
            let searched = try await browser.post("/web/home", answer)
            #expect(searched.status == .ok && searched.html.contains(#"id="results-title""#), "after the passkey the search is done: \(searched.status) \(searched.html.firstMatch(of: #/data-key="[A-Za-z]+"/#).map { String($0.0) } ?? "")")
            #expect(searched.html.contains(#"name="q.lastName" value="Fictif-Exemple""#), "with the terms typed")
            #expect(searched.csrf != home.csrf, "the passkey renewed the session")

            let replayed = answer.map { $0.0 == "csrf" ? ("csrf", searched.csrf ?? "") : $0 }
            let again = try await browser.post("/web/home", replayed)
            #expect(again.status == .forbidden && again.html.contains(#"id="code-wrong""#), "a replayed answer passes nothing: \(again.status)")
            #expect(try WebStepUpKeepsFormTests.carried(again.html).contains { $0 == ("q.lastName", "Fictif-Exemple") }, "the terms still carried")
        }
    }

    @Test("past the ceiling a partner's export asks a passkey's owner why and for the passkey: the reason typed in the box goes with the passkey's answer, and the file is made")
    func ceilingExport() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 1_500, accounts: [("partner1", "partner-adviser", "partner-network")])
        defer { world.remove() }
        // A caseload above the partner's ceiling (35 persons in 10 minutes): files enough.
        let more = try await world.store.search(DossierQuery(type: "job-seeker", status: nil, scope: [.any], terms: [], after: nil, limit: 130))
        try await world.store.assign(more, to: try #require(try await world.store.account(username: "partner1")).id)
        let device = try SoftAuthenticator()
        try await Self.enrolPasskey(world.auth, "partner1", device)
        let privateKey = Curve25519.KeyAgreement.PrivateKey()
        let recipient = privateKey.publicKey.rawRepresentation.base64EncodedString()
        world.clock.advance(30)
        try await Application(router: world.server.publicRouter().0).test(.router) { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("partner1", World.password)
            let step = try await browser.get("/web/second-factor?lang=en")
            let verified = try await browser.post("/web/second-factor", try await Self.passkeyAnswer(step.html, typed: [:], client, browser, device))
            #expect(verified.location == "/web/home")
            let page = try await browser.get("/web/exports?lang=en")
            let typed = [("purpose", "disability-support"), ("recipientKey", recipient), ("justification", "Synthetic monthly follow-up")]
            let asked = try await browser.post("/web/exports", [("csrf", try #require(page.csrf))] + typed)
            #expect(asked.status == .forbidden && asked.html.contains(#"data-key="errCeiling""#),
                    "a caseload above the partner's ceiling: \(asked.status) \(asked.html.firstMatch(of: #/data-key="[A-Za-z]+"/#).map { String($0.0) } ?? "")")
            #expect(asked.html.contains(#"id="justification""#) && asked.html.contains(#"id="passkey-sign-in""#))
            #expect(asked.html.contains(#"<input type="hidden" name="justification" value="" data-from="justification">"#),
                    "the passkey form takes the reason from the box that asks why")
            #expect(asked.html.contains("Synthetic monthly follow-up"), "the box holds the reason typed in the export's form")

            world.clock.advance(30)
            let reason = "The monthly follow-up of the caseload, checked with the agency."
            let answer = try await Self.passkeyAnswer(asked.html, typed: ["justification": reason], client, browser, device)
            #expect(answer.contains { $0 == ("justification", reason) } && answer.contains { $0 == ("recipientKey", recipient) })
            let made = try await browser.post("/web/exports", answer)
            let rows = try PartnerExportFile.open(Data(made.html.utf8), privateKey: privateKey, at: world.clock.now)
            #expect((36...50).contains(rows.count - 3), "the file holds more persons than the ceiling, fewer than its grace: \(rows.count - 3) and 3 canaries")
            #expect(made.status == .created && made.headers[.contentDisposition]?.hasPrefix("attachment;") == true,
                    "the passkey and the reason answer the ceiling: \(made.status) \(made.html.firstMatch(of: #/data-key="[A-Za-z]+"/#).map { String($0.0) } ?? "") \(made.html.firstMatch(of: #/id="detail">[^<]*/#).map { String($0.0) } ?? "")")
        }
        let reasons = try await world.store.alerts(openOnly: false, account: nil, limit: 50).compactMap { world.gate.justification(of: $0) }
        #expect(reasons.contains("The monthly follow-up of the caseload, checked with the agency."), "the security officers read the reason")
    }
}
