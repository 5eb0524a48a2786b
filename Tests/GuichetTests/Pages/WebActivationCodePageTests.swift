import Foundation
import HummingbirdTesting
import Testing
import GuichetCore

/// A wrong activation code on the account page (pages audit #7): said on the account page, by
/// the app's form, not on an error page headed "your role does not allow this action".
@Suite(.serialized)
struct WebActivationCodePageTests {
    @Test("a wrong activation code comes back on the account page by the app's form, in English and French; the right one still works after it")
    func wrongActivationCodeInline() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let activation = try await world.activationCode("daycare1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("daycare1", World.password)
            let account = try await browser.get("/web/account?lang=en")
            let csrf = try #require(account.csrf)
            let wrong = try await browser.post("/web/account/totp", [("csrf", csrf), ("activationCode", "NOT-THE-CODE-42")])
            #expect(wrong.status == .forbidden)
            #expect(wrong.html.contains(#"id="activation-error""#) && wrong.html.contains("The app was not added: the activation code was refused."))
            #expect(wrong.html.contains("wrong, used or expired") && wrong.html.contains(#"id="app-enrol""#), "why, and the form to try again")
            #expect(!wrong.html.contains("Your role does not allow this"), "not a role problem")
            _ = try await browser.get("/web/account?lang=fr")
            let french = try await browser.post("/web/account/totp", [("csrf", csrf), ("activationCode", "NOT-THE-CODE-42")])
            #expect(french.status == .forbidden && french.html.contains(#"id="activation-error""#))
            #expect(french.html.contains("n&#39;a pas été ajoutée") || french.html.contains("n'a pas été ajoutée"))
            let begun = try await browser.post("/web/account/totp", [("csrf", csrf), ("activationCode", activation)])
            #expect(begun.status == .ok && begun.html.contains("otpauth://totp/"))
        }
    }
}
