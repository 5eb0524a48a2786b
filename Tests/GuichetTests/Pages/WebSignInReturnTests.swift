import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
@testable import GuichetServer

/// Signing in from a page asked without a session leads back to that page (an audit found the
/// address forgotten), on this site only; a failed sign-in keeps the page's links.
@Suite(.serialized)
struct WebSignInReturnTests {
    @Test("a failed sign-in keeps the links to claim a file and to create an account")
    func failedSignInKeepsLinks() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            var browser = PageClient(client)
            let page = try await browser.get("/web/sign-in?lang=en")
            #expect(page.html.contains(#"id="claim-link""#))
            let wrong = try await browser.signIn("nobody.here", World.password + "-wrong")
            #expect(wrong.status == .unauthorized && wrong.html.contains(#"id="error""#))
            #expect(wrong.html.contains(#"id="claim-link""#), "the claim link stays")
            #expect(wrong.html.contains(#"id="register-link""#) == page.html.contains(#"id="register-link""#), "the registration link as before")
        }
    }

    @Test("a file's page opened without a session sends to sign in with its address, and signing in (even after a wrong password) leads back to it")
    func backToThePageAsked() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let path = "/web/dossiers/\(app.id.rawValue)"
        try await world.withPublic { client in
            var browser = PageClient(client)
            let asked = try await browser.get(path)
            let location = try #require(asked.location)
            // The address percent-encoded whole (a file number's '-' and '_' too).
            #expect(asked.status == .seeOther && location == "/web/sign-in?next=" + (path.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""))
            let signIn = try await browser.get(location)
            #expect(signIn.html.contains(#"<input type="hidden" name="next" value="\#(path)">"#))
            let wrong = try await browser.post("/web/sign-in", [("username", "parent1"), ("password", "wrong password"), ("next", path)])
            #expect(wrong.status == .unauthorized && wrong.html.contains(#"name="next" value="\#(path)""#), "the return address kept")
            let done = try await browser.post("/web/sign-in", [("username", "parent1"), ("password", World.password), ("next", path)])
            #expect(done.status == .seeOther && done.location == path)
            #expect(try await browser.get(path).status == .ok)
        }
    }

    @Test("a return address that is not a page of this site is ignored: home after signing in", arguments: [
        "https://elsewhere.example/web/home", "//elsewhere.example/web/home", "/web//elsewhere.example", "/v1/me", "/web/home\\@x", "javascript:alert(1)",
        "/web/../v1/me/export", "/web/./../v1/me", "/web/%2e%2e/v1/me/export", "/web/%2E%2E/v1/me",
    ])
    func onlySameSitePaths(_ next: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            let encoded = next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
            let page = try await browser.get("/web/sign-in?next=\(encoded)")
            #expect(!page.html.contains(#"name="next""#), "not carried")
            let done = try await browser.post("/web/sign-in", [("username", "parent1"), ("password", World.password), ("next", next)])
            #expect(done.status == .seeOther && done.location == "/web/home", "\(done.location ?? "")")
        }
    }

    @Test("staff signing in from a file's address pass the second factor, then land on that file's address")
    func throughTheSecondFactor() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        let path = "/web/dossiers/\(app.id.rawValue)?purpose=list-management"
        try await world.withPublic { client in
            var browser = PageClient(client)
            let asked = try await browser.get(path)
            let signIn = try await browser.get(try #require(asked.location))
            #expect(signIn.html.contains(#"name="next" value="/web/dossiers/\#(app.id.rawValue)?purpose=list-management""#))
            let first = try await browser.post("/web/sign-in", [("username", "agent"), ("password", World.password), ("next", path)])
            let step = try #require(first.location)
            #expect(step.hasPrefix("/web/second-factor?next="))
            let form = try await browser.get(step)
            let code = try TOTPSecret(base32: secret).code(at: world.clock().addingTimeInterval(30))
            let verified = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", code), ("next", path)])
            #expect(verified.status == .seeOther && verified.location == path)
            #expect(form.html.contains(#"name="next" value="\#(path)""#), "the second factor's form carries it")
        }
    }
}
