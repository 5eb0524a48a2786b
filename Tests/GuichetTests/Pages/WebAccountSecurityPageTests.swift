import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA

/// The account's security on pages: enrolling an authenticator app (with the activation code,
/// a wrong then a right code, recovery codes shown once), the list of one's sessions and
/// ending one, and the policy of the pages that load the passkey script.
@Suite(.serialized)
struct WebAccountSecurityPageTests {
    /// The secret the page shows once after "add an authenticator app".
    static func secret(_ page: PageClient.Page) -> String? {
        page.html.firstMatch(of: #/id="app-secret">([A-Z2-7]+)</#).map { String($0.1) }
    }

    /// The session ids listed on the account page, and the one marked current.
    static func sessions(_ page: PageClient.Page) -> (all: [String], current: String?) {
        let all = page.html.matches(of: #/data-session="([A-Za-z0-9_-]+)"/#).map { String($0.1) }
        let current = page.html.firstMatch(of: #/class="session-row current" data-session="([A-Za-z0-9_-]+)"/#).map { String($0.1) }
        return (all, current)
    }

    @Test("a daycare enrols an authenticator app on the account page with its activation code: a post without the CSRF field changes nothing, a wrong code is refused, the right one confirms the app and shows recovery codes once")
    func enrolApp() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let activation = try await world.activationCode("daycare1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            let signedIn = try await browser.signIn("daycare1", World.password)
            #expect(signedIn.status == .seeOther)
            let account = try await browser.get("/web/account?lang=en")
            #expect(account.status == .ok && account.html.contains(#"id="app-enrol""#) && account.html.contains(#"name="activationCode""#))
            #expect(account.html.contains(#"id="passkey-enrol""#) && account.html.contains(#"<script src="/web/passkey.js" defer></script>"#))
            let policy = try #require(account.policy)
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe") && policy.contains("default-src 'none'"))
            #expect(account.headers[.cacheControl] == "no-store")
            let csrf = try #require(account.csrf)
            let owner = try #require(try await world.store.account(username: "daycare1")).id

            let forged = try await browser.post("/web/account/totp", [("activationCode", activation)])
            #expect(forged.status == .forbidden)
            let cross = try await browser.post("/web/account/totp", [("csrf", csrf), ("activationCode", activation)], headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(cross.status == .forbidden)
            #expect(try await world.store.factors(account: owner).isEmpty, "nothing enrolled by a forged post")

            let begun = try await browser.post("/web/account/totp", [("csrf", csrf), ("activationCode", activation)])
            #expect(begun.status == .ok && begun.html.contains("otpauth://totp/"), "\(begun.status)")
            let secret = try TOTPSecret(base32: try #require(Self.secret(begun)))
            let right = secret.code(at: world.clock())
            let wrong = String(format: "%06d", (Int(right)! + 1) % 1_000_000)  // six digits: an Int
            let refused = try await browser.post("/web/account/totp/confirm", [("csrf", csrf), ("code", wrong)])
            #expect(refused.status == .unauthorized && refused.html.contains(#"id="error""#) && refused.html.contains(#"id="app-confirm""#))
            #expect(try await world.store.factors(account: owner).allSatisfy { !$0.confirmed }, "a wrong code confirms nothing")
            #expect(Self.secret(refused) == nil, "the secret is shown once")

            let confirmed = try await browser.post("/web/account/totp/confirm", [("csrf", csrf), ("code", right)])
            #expect(confirmed.status == .ok && confirmed.html.contains(#"id="done""#))
            #expect(confirmed.html.matches(of: #/class="recovery-code"/#).count == 10, "ten recovery codes, shown with the first factor")
            #expect(try await world.store.factors(account: owner).contains { $0.kind == "totp" && $0.confirmed })
            let again = try await browser.get("/web/account?lang=en")
            #expect(!again.html.contains("recovery-code") && !again.html.contains(#"id="app-confirm""#), "recovery codes are shown once")
            let home = try await browser.get("/web/home")
            #expect(home.status == .ok, "the session passed its second factor with the app")
        }
    }

    @Test("a parent lists their sessions with the current one marked and ends another: that session's cookie is useless, the current one still works; a cross-site post or another account's session changes nothing")
    func endOneSession() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.registerParent("parent2", lastName: "Gagnon")
        try await world.withPublic { client in
            var a = PageClient(client), b = PageClient(client), stranger = PageClient(client)
            #expect(try await a.signIn("parent1", World.password).location == "/web/home")
            #expect(try await b.signIn("parent1", World.password).location == "/web/home")
            #expect(try await stranger.signIn("parent2", World.password).location == "/web/home")
            let page = try await a.get("/web/account?lang=en")
            let (all, current) = Self.sessions(page)
            #expect(all.count == 2, "both sessions of the account are listed: \(all)")
            let mine = try #require(current)
            let other = try #require(all.first { $0 != mine })
            let csrf = try #require(page.csrf)

            let cross = try await a.post("/web/account/sessions/end", [("csrf", csrf), ("session", other)], headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(cross.status == .forbidden)
            let noToken = try await a.post("/web/account/sessions/end", [("session", other)])
            #expect(noToken.status == .forbidden)
            let strangerPage = try await stranger.get("/web/account")
            let foreign = try await stranger.post("/web/account/sessions/end", [("csrf", try #require(strangerPage.csrf)), ("session", other)])
            #expect(foreign.status == .notFound, "another account's session is not one's own")
            #expect(try await b.get("/web/home").status == .ok, "still open after refused posts")

            let ended = try await a.post("/web/account/sessions/end", [("csrf", csrf), ("session", other)])
            #expect(ended.status == .ok && ended.html.contains(#"id="done""#))
            #expect(Self.sessions(ended).all == [mine])
            let useless = try await b.get("/web/home")
            #expect(useless.status == .seeOther && useless.location == "/web/sign-in", "the ended session's cookie is no session")
            #expect(try await a.get("/web/home").status == .ok, "the current session goes on")

            let self_ = try await a.post("/web/account/sessions/end", [("csrf", csrf), ("session", mine)])
            #expect(self_.status == .seeOther && self_.location == "/web/sign-in", "ending the current session signs out")
        }
    }

    @Test("the second-factor step offers a passkey only to an account that has one, the code form always; the script is served from this site")
    func secondFactorPage() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            let signedIn = try await browser.signIn("agent", World.password)
            #expect(signedIn.status == .seeOther)
            let page = try await browser.get("/web/second-factor?lang=en")
            #expect(page.html.contains(#"id="totp""#) && !page.html.contains(#"id="passkey-sign-in""#), "no passkey yet")
            #expect(page.policy?.contains("script-src 'self'") == true)
            let script = try await browser.get("/web/passkey.js")
            #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(script.html.contains("navigator.credentials.create") && script.html.contains("navigator.credentials.get"))
            let bad = try await browser.post("/web/second-factor", [("csrf", try #require(page.csrf)), ("credentialId", "AAAA"),
                                                                    ("clientDataJSON", "AAAA"), ("authenticatorData", "AAAA"), ("signature", "AAAA")])
            #expect(bad.status == .unauthorized, "a made-up passkey answer is no second factor")
            #expect(try await browser.get("/web/home").status == .seeOther, "still not past the second factor")
            let code = try TOTPSecret(base32: secret).code(at: world.clock().addingTimeInterval(30))
            let passed = try await browser.post("/web/second-factor", [("csrf", try #require(page.csrf)), ("code", code)])
            #expect(passed.status == .seeOther && passed.location == "/web/home", "the code path works as before")
        }
    }
}
