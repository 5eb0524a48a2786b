import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import GuichetCore

/// Passkeys on pages, in process, with a soft authenticator standing for the browser's: what
/// `passkey.js` does (a challenge from the API with the cookie and the CSRF header, the
/// authenticator's answer posted in the page's form), checked by the same verifiers as the API.
@Suite(.serialized)
struct WebPasskeyPageTests {
    /// `fetch()` as passkey.js calls it: JSON, the session's cookie and CSRF header, same origin.
    static func challenge(_ client: any TestClientProtocol, _ browser: PageClient, _ uri: String, csrf: String,
                          body: String = "{}") async throws -> [String: JSON] {
        var fields: HTTPFields = [.contentType: "application/json", HTTPField.Name("Guichet-CSRF")!: csrf,
                                  HTTPField.Name("Sec-Fetch-Site")!: "same-origin"]
        if let c = browser.cookieHeader { fields[.cookie] = c }
        let (status, text) = try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body)) {
            ($0.status, String(buffer: $0.body))
        }
        #expect(status == .ok, "\(uri): \(status) \(text)")
        return try #require(try JSONDecoder().decode(JSON.self, from: Data(text.utf8)).object)
    }

    @Test("an agent enrols a passkey on the account page with the activation code, then passes the second-factor step with it; a forged post or a replayed answer passes nothing")
    func enrolAndUse() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let activation = try await world.activationCode("agent")
        let device = try SoftAuthenticator()
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password)
            let account = try await browser.get("/web/account?lang=en")
            #expect(account.html.contains(#"id="passkey-enrol""#) && account.html.contains(#"data-api="/v1""#))
            let csrf = try #require(account.csrf)
            let options = try await Self.challenge(client, browser, "/v1/me/mfa/webauthn/challenge", csrf: csrf,
                                                   body: #"{"activationCode": "\#(activation)"}"#)
            let created = try device.create(challenge: try B64URL.decode(try #require(options["challenge"]?.string)))
            let answer = [("clientDataJSON", created.clientDataJSON), ("attestationObject", created.attestationObject)]
            let forged = try await browser.post("/web/account/passkey", answer)
            #expect(forged.status == .forbidden, "no CSRF field: refused")
            let enrolled = try await browser.post("/web/account/passkey", [("csrf", csrf)] + answer)
            #expect(enrolled.status == .ok && enrolled.html.contains(#"id="done""#), "\(enrolled.status)")
            #expect(enrolled.html.matches(of: #/class="recovery-code"/#).count == 10)
            #expect(enrolled.html.contains(#"id="app-enrol""#), "the passkey just verified counts: another factor may be added now")
            let replayed = try await browser.post("/web/account/passkey", [("csrf", try #require(enrolled.csrf))] + answer)
            #expect(replayed.status == .conflict, "the challenge was used once: no registration is in progress (409)")
            _ = try await browser.post("/web/sign-out", [("csrf", try #require(enrolled.csrf))])

            _ = try await browser.signIn("agent", World.password)
            let step = try await browser.get("/web/second-factor?lang=en")
            #expect(step.html.contains(#"id="passkey-sign-in""#) && step.html.contains(#"name="credentialId""#))
            let stepCSRF = try #require(step.csrf)
            let get = try await Self.challenge(client, browser, "/v1/session/webauthn/challenge", csrf: stepCSRF)
            let assertion = try device.get(challenge: try B64URL.decode(try #require(get["challenge"]?.string)))
            let fields = [("csrf", stepCSRF), ("credentialId", assertion.id), ("clientDataJSON", assertion.clientDataJSON),
                          ("authenticatorData", assertion.authenticatorData), ("signature", assertion.signature), ("next", "/web/account")]
            let cross = try await browser.post("/web/second-factor", fields, headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(cross.status == .forbidden)
            let passed = try await browser.post("/web/second-factor", fields)
            #expect(passed.status == .seeOther && passed.location == "/web/account", "\(passed.status)")
            let stale = try await browser.post("/web/second-factor", fields)
            #expect(stale.status == .forbidden, "the session's token changed with the factor: the old page's CSRF field is refused")
            let newCSRF = try #require(try await browser.get("/web/account").csrf)
            #expect(newCSRF != stepCSRF)
            let again = try await browser.post("/web/second-factor", [("csrf", newCSRF)] + fields.dropFirst())
            #expect(again.status == .unauthorized, "a replayed answer is refused")
            #expect(try await browser.get("/web/home").status == .ok)
        }
    }
}
