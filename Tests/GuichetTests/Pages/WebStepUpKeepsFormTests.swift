import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// A step-up asked in the middle of a form (the search, a partner's export): the page that asks
/// for the new code carries what was typed, so that after the code the search or the export is
/// done with it, rather than leaving an empty form. A password is never carried.
@Suite(.serialized)
struct WebStepUpKeepsFormTests {
    /// A staff or partner account an administrator made just now and the security officer
    /// approved (the watch's fresh-account finding asks it for a step-up at its first access):
    /// the secret of its app.
    static func freshAccount(_ world: StolenAccountWorld, _ username: String, role: String, kind: String) async throws -> String {
        let admin = try #require(try await world.store.account(username: "admin")).id
        let officer = try #require(try await world.store.account(username: "security")).id
        let org = try await world.store.organisations(kind: kind).first
        _ = try await world.auth.createAccount(username: username, password: World.password, role: role, organisation: org?.id,
                                               territory: org?.territory, createdBy: admin)
        if let request = try await world.store.pendingRequests().first { _ = try await world.auth.approve(request: request.id, by: officer) }
        return try await world.enrol(username)
    }

    /// The hidden fields of the step-up form (`id="step-up"`), in order.
    static func carried(_ html: String) throws -> [(String, String)] { try hiddenFields(html, form: "step-up") }

    /// The hidden fields of the form `id="FORM"`, in order.
    static func hiddenFields(_ html: String, form id: String) throws -> [(String, String)] {
        let start = try #require(html.range(of: #"id="\#(id)""#), "a form \(id)")
        let form = html[start.upperBound...]
        let end = form.range(of: "</form>")?.lowerBound ?? form.endIndex
        return form[..<end].matches(of: #/<input type="hidden" name="([^"]+)" value="([^"]*)"[^>]*>/#).map { (String($0.1), Self.unescaped(String($0.2))) }
    }

    static func unescaped(_ s: String) -> String {
        s.replacingOccurrences(of: "&#10;", with: "\n").replacingOccurrences(of: "&#13;", with: "\r").replacingOccurrences(of: "&quot;", with: "\"")
            .replacingOccurrences(of: "&#39;", with: "'").replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    @Test("a search that meets a step-up keeps its terms: the step-up form carries them, and after the code the search is done with them, the form filled in; both languages",
          arguments: ["fr", "en"])
    func searchKeepsTerms(language: String) async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 20, accounts: [("admin", "admin", "operator"), ("security", "security", "operator")])
        defer { world.remove() }
        let secret = try await Self.freshAccount(world, "agent.new", role: "agent", kind: "operator")
        let texts = try #require(try WebPages.bundled.get().texts[language])
        try await Application(router: world.server.publicRouter().0).test(.router) { client in
            var browser = PageClient(client)
            world.clock.advance(30)
            let verified = try await browser.signIn("agent.new", World.password, totp: secret, at: world.clock.now)
            #expect(verified.location == "/web/home")
            world.clock.advance(6 * 60)  // a factor proved over 5 minutes ago: the fresh-account finding asks for it again
            let home = try await browser.get("/web/home?lang=\(language)")
            let typed: [(String, String)] = [("type", "application"), ("search", "1"), ("purpose", "list-management"), ("status", "waiting"),
                                             ("who", "child"), ("q.lastName", "Fictif-Exemple"), ("q.birthDate", "2024-05-06")]
            let asked = try await browser.post("/web/home", [("csrf", try #require(home.csrf))] + typed)
            #expect(asked.status == .forbidden, "the first access of an account made minutes ago asks for the factor again: \(asked.status)")
            let stepUpText = PageClientText.escaped(try #require(texts["errStepUp"]))
            let continueText = try #require(texts["stepUpContinue"])
            #expect(asked.html.contains(#"data-key="errStepUp""#) && asked.html.contains(stepUpText))
            #expect(asked.html.contains(#"<form method="post" action="/web/home" class="stack" id="step-up">"#), "the step-up form posts the search again")
            let carried = try Self.carried(asked.html)
            for (name, value) in typed {
                #expect(carried.contains { $0 == (name, value) }, "\(name) carried through the step-up")
            }
            #expect(!carried.contains { $0.0 == "password" || $0.0 == "code" })
            #expect(asked.html.contains(#"name="code""#) && asked.html.contains(continueText))

            world.clock.advance(30)
            let code = try TOTPSecret(base32: secret).code(at: world.clock.now)
            let searched = try await browser.post("/web/home", carried + [("code", code)])
            #expect(searched.status == .ok, "after the code the search is done: \(searched.status)")
            #expect(searched.html.contains(#"id="results-title""#), "the search was made")
            #expect(searched.html.contains(#"name="q.lastName" value="Fictif-Exemple""#) && searched.html.contains(#"name="q.birthDate" value="2024-05-06""#),
                    "the form shows the terms typed")
            #expect(searched.html.contains(#"<option value="waiting" selected>"#) && searched.html.contains(#"<option value="list-management" selected>"#))
            #expect(searched.csrf != home.csrf, "the code renewed the session")
            // A wrong code: the step-up form again, still carrying the terms.
            world.clock.advance(30)
            let again = try await browser.post("/web/home", try Self.carried(asked.html).map { $0.0 == "csrf" ? ("csrf", try #require(searched.csrf)) : $0 } + [("code", "000000")])
            #expect(again.status == .forbidden && again.html.contains(#"id="step-up""#))
            #expect(try Self.carried(again.html).contains { $0 == ("q.lastName", "Fictif-Exemple") })
        }
    }

    @Test("a partner's export that meets a step-up keeps the pasted key and the reason: after the code the file is made with them")
    func exportKeepsKey() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 40, accounts: [("admin", "admin", "operator"), ("security", "security", "operator")])
        defer { world.remove() }
        let secret = try await Self.freshAccount(world, "partner.new", role: "partner-adviser", kind: "partner-network")
        let recipient = Curve25519.KeyAgreement.PrivateKey()
        let key = recipient.publicKey.rawRepresentation.base64EncodedString()
        let wrapped = String(key.prefix(20)) + "\r\n" + String(key.dropFirst(20))
        try await Application(router: world.server.publicRouter().0).test(.router) { client in
            var browser = PageClient(client)
            world.clock.advance(30)
            _ = try await browser.signIn("partner.new", World.password, totp: secret, at: world.clock.now)
            world.clock.advance(6 * 60)  // a factor proved over 5 minutes ago: the fresh-account finding asks for it again
            let page = try await browser.get("/web/exports?lang=en")
            #expect(page.status == .ok && page.html.contains(#"id="partner-export-form""#))
            let typed = [("purpose", "disability-support"), ("recipientKey", wrapped), ("justification", "Synthetic monthly follow-up")]
            let asked = try await browser.post("/web/exports", [("csrf", try #require(page.csrf))] + typed)
            #expect(asked.status == .forbidden && asked.html.contains(#"data-key="errStepUp""#), "\(asked.status)")
            #expect(asked.html.contains(#"action="/web/exports" class="stack" id="step-up""#))
            let carried = try Self.carried(asked.html)
            for (name, value) in typed { #expect(carried.contains { $0 == (name, value) }, "\(name) carried through the step-up") }
            world.clock.advance(30)
            let made = try await browser.post("/web/exports", carried + [("code", try TOTPSecret(base32: secret).code(at: world.clock.now))])
            #expect(made.status == .created && made.headers[.contentDisposition]?.hasPrefix("attachment;") == true, "\(made.status)")
            #expect(made.headers[.setCookie] != nil, "the renewed session's cookie comes with the file")
        }
    }
}
