import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore

/// The factor reset on the admin listener's accounts page: a form per other account, with the
/// reason, the session's CSRF field and a fresh second factor, as the admin API's.
@Suite(.serialized)
struct WebFactorResetPageTests {
    @Test("an administrator resets a colleague's second factors by form (by hand: it waits for a second administrator); without CSRF or a reason nothing changes; no form for their own account")
    func resetByForm() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.token("agent")
        let agent = try #require(try await world.store.account(username: "agent"))
        let admin = try #require(try await world.store.account(username: "admin"))
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password)
            let form = try await browser.get("/web/second-factor?lang=en")
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)),
                                                              ("code", try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30)))])
            let home = try await browser.get("/web/home?lang=en")
            let action = "/web/admin/accounts/\(agent.id.rawValue)/factors/reset"
            #expect(home.status == .ok && home.html.contains(#"action="\#(action)""#) && home.html.contains("Reset second factors"))
            #expect(!home.html.contains("/web/admin/accounts/\(admin.id.rawValue)/factors/reset"), "no form for one's own account")
            let csrf = try #require(home.csrf)

            let without = try await browser.post(action, [("reason", "lost phone, identity checked")])
            #expect(without.status == .forbidden)
            let noReason = try await browser.post(action, [("csrf", csrf), ("reason", " ")])
            #expect(noReason.status == .badRequest)
            #expect(try await world.store.factors(account: agent.id).count == 11, "nothing changed")

            let done = try await browser.post(action, [("csrf", csrf), ("reason", "lost phone, identity checked"), ("delivery", "hand")])
            #expect(done.status == .ok && done.html.contains(#"id="factors-reset""#), "\(done.status)")
            #expect(done.html.contains("second administrat"), "the code waits for a second administrator")
            #expect(try await world.store.factors(account: agent.id).isEmpty)
            #expect(try await world.store.activationsAwaitingApproval().map(\.account) == [agent.id])
            let french = try await browser.get("/web/home?lang=fr")
            #expect(french.html.contains("Réinitialiser les seconds facteurs"))
        }
    }
}

/// The accounts page and the admin API list the accounts that work in Guichet; a citizen's
/// account is found by its user name only (R4 has millions; staff need not see their names).
@Suite(.serialized)
struct WebAccountListTests {
    @Test("citizens' accounts are not listed on the administrators' page nor by the API; found by user name, a citizen's factors can still be reset by form; an unknown name says so")
    func citizensFoundByName() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent.synthetic")
        let parent = try #require(try await world.store.account(username: "parent.synthetic"))
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password)
            let form = try await browser.get("/web/second-factor?lang=en")
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)),
                                                              ("code", try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30)))])
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.status == .ok && home.html.contains("<td>agent</td>"))
            #expect(!home.html.contains("parent.synthetic"), "a citizen's account is not listed")
            let csrf = try #require(home.csrf)
            let found = try await browser.post("/web/admin/accounts/find", [("csrf", csrf), ("username", "parent.synthetic")])
            #expect(found.status == .ok && found.html.contains("<td>parent.synthetic</td>") && found.html.contains(#"id="lookup""#))
            #expect(found.html.contains("/web/admin/accounts/\(parent.id.rawValue)/factors/reset"), "the citizen's factors can be reset from there")
            #expect(!found.html.contains("<td>agent</td>"), "only the account looked for")
            let unknown = try await browser.post("/web/admin/accounts/find", [("csrf", csrf), ("username", "nobody.synthetic")])
            #expect(unknown.status == .badRequest && unknown.html.contains("no account has that user name"))
            let forged = try await browser.post("/web/admin/accounts/find", [("username", "parent.synthetic")])
            #expect(forged.status == .forbidden && !forged.html.contains("parent.synthetic"))

            // The API, with the same session (a cookie, as a script in the page would).
            let listed = try await browser.get("/admin/v1/accounts")
            #expect(listed.status == .ok && listed.html.contains("\"agent\"") && !listed.html.contains("parent.synthetic"))
            let one = try await browser.get("/admin/v1/accounts?username=parent.synthetic")
            #expect(one.status == .ok && one.html.contains("parent.synthetic"))
            let none = try await browser.get("/admin/v1/accounts?username=nobody.synthetic")
            #expect(none.status == .ok && (none.html.contains(#""accounts":[]"#) || none.html.contains(#""accounts": []"#)))
        }
    }
}
