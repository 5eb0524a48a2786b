import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import GuichetCore

/// The sign-in page's notices ("your account is ready", "your password was changed") show only
/// to the browser that just did it, once: a link to `sign-in?reset=1` sent by someone else
/// claims nothing.
@Suite(.serialized)
struct WebSignInNoticeTests {
    @Test("a link with ?claimed=1, ?registered=1 or ?reset=1 shows no notice; a registration shows its notice once, to its browser only, through a short-lived one-shot cookie")
    func noticeOnlyAfterTheAction() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            var stranger = PageClient(client)
            for query in ["claimed=1", "registered=1", "reset=1", "claimed=1&registered=1&reset=1"] {
                for lang in ["fr", "en"] {
                    let page = try await stranger.get("/web/sign-in?\(query)&lang=\(lang)")
                    #expect(page.status == .ok && page.html.contains(#"id="sign-in""#))
                    #expect(!page.html.contains(#"class="notice""#), "no notice from a link: \(query)")
                }
            }
            // A notice cookie a page of another site cannot have set, given by hand: an unknown value shows nothing.
            let forged = try await stranger.get("/web/sign-in?lang=en", headers: ["Cookie": "__Host-guichet-notice=other"])
            #expect(!forged.html.contains(#"class="notice""#))

            var browser = PageClient(client)
            let made = try await browser.post("/web/register?lang=en", WebRegisterPageTests.fields("lea.exemple"))
            #expect(made.status == .seeOther && made.location == "/web/sign-in", "\(made.status) \(made.location ?? "")")
            let cookie = try #require(made.headers[values: .setCookie].first { $0.hasPrefix("__Host-guichet-notice=registered;") })
            for attribute in ["Path=/", "Secure", "HttpOnly", "SameSite=Strict", "Max-Age=300"] {
                #expect(cookie.contains("; \(attribute)"), "\(attribute) in \(cookie)")
            }
            let shown = try await browser.get("/web/sign-in?lang=en")
            #expect(shown.html.contains(#"id="registered""#), "the browser that registered is told")
            #expect(shown.headers[values: .setCookie].contains { $0.hasPrefix("__Host-guichet-notice=;") && $0.contains("Max-Age=0") }, "the notice is used up")
            let again = try await browser.get("/web/sign-in?lang=en&registered=1")
            #expect(!again.html.contains(#"class="notice""#), "once only")
        }
        try await world.withAdmin { client in
            let page = try await client.execute(uri: "/web/sign-in?lang=en", method: .get, headers: [.cookie: "__Host-guichet-notice=reset"]) {
                String(buffer: $0.body)
            }
            #expect(!page.contains(#"class="notice""#), "the public listener's notice does not show on the admin listener")
        }
    }
}
