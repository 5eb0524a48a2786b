import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import GuichetCore

/// A citizen's self-registration on a page: the API's rules, and the same answer whether or
/// not the user name is taken.
@Suite(.serialized)
struct WebRegisterPageTests {
    static func fields(_ username: String, password: String = "a long synthetic passphrase") -> [(String, String)] {
        [("username", username), ("password", password), ("p.firstName", "Léa"), ("p.lastName", "Bouchard"),
         ("p.birthDate", "1991-02-03"), ("p.email", "\(username)@example.org")]
    }

    @Test("a parent registers by form from the sign-in page and signs in; a weak password or a cross-site post makes no account")
    func register() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            var browser = PageClient(client)
            let signIn = try await browser.get("/web/sign-in?lang=en")
            #expect(signIn.html.contains(#"href="/web/register""#))
            let form = try await browser.get("/web/register")
            #expect(form.status == .ok && form.html.contains(#"id="register""#) && form.html.contains(#"name="p.lastName""#))
            #expect(WebPageTests.strictPolicy(form), "the registration page loads no script")
            // One's own details: the browser may fill them (WCAG 1.3.5; a co-operative's audit
            // ran axe-core here and found every field marked autocomplete="off").
            for (name, purpose) in [("p.firstName", "given-name"), ("p.lastName", "family-name"), ("p.email", "email"), ("p.birthDate", "bday")] {
                #expect(form.html.contains(#"name="\#(name)" value="" autocomplete="\#(purpose)""#), "\(name)")
            }
            let before = try await world.store.ledgerSize()

            let weak = try await browser.post("/web/register", Self.fields("lea.bouchard", password: "password1234"))
            #expect(weak.status == .badRequest && weak.html.contains(#"id="error""#))
            #expect(weak.html.contains(#"value="lea.bouchard""#) && !weak.html.contains("password1234"), "the form is kept, never the password")
            let cross = try await browser.post("/web/register", Self.fields("lea.bouchard"), headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(cross.status == .forbidden)
            #expect(try await world.store.account(username: "lea.bouchard") == nil)
            #expect(try await world.store.ledgerSize() == before, "no person written")

            let made = try await browser.post("/web/register", Self.fields("lea.bouchard"))
            #expect(made.status == .seeOther && made.location == "/web/sign-in")
            let account = try #require(try await world.store.account(username: "lea.bouchard"))
            #expect(account.role == "parent" && account.person != nil)
            #expect(try await browser.signIn("lea.bouchard", "a long synthetic passphrase").location == "/web/home")
        }
    }

    @Test("registering a user name that is taken gets the same answer as a new one, and writes nothing")
    func duplicate() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            let fresh = try await browser.post("/web/register", Self.fields("new.parent"))
            let before = try await world.store.ledgerSize()
            let taken = try await browser.post("/web/register", Self.fields("parent1"))
            #expect(fresh.status == taken.status && fresh.location == taken.location && fresh.html == taken.html, "one answer both ways")
            #expect(try await world.store.ledgerSize() == before, "no person written for a taken name")
            let landing = try await browser.get(try #require(taken.location) + "?lang=en")
            #expect(landing.html.contains(#"id="registered""#))
            #expect(try await browser.signIn("parent1", "a long synthetic passphrase").status == .unauthorized, "the taken account is unchanged")
        }
    }
}
