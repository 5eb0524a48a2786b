import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetMail
import GuichetMFA
import GuichetStore

/// Password resets on pages (a new-user test: the reset e-mail said to enter the code "in
/// Guichet" and no page took it): an administrator sends a code from the accounts page, it
/// arrives through a real SMTP server, the owner chooses the new password on
/// `/web/password-reset` (linked from sign-in) and signs in with it.
@Suite(.serialized)
struct WebPasswordResetPageTests {
    static let newPassword = "a brand new passphrase for winter"

    /// The texts each step shows, in each language.
    static let texts: [String: [String: String]] = [
        "en": ["send": "Send a password reset code", "sent": "Password reset code sent for", "forgot": "Forgot your password?",
               "title": "Choose a new password with a code", "wrong": "This code is wrong, already used or expired",
               "mismatch": "The two new passwords are not the same", "weak": "This new password cannot be used",
               "done": "Your password was changed and every session of yours was ended", "until": "It works until"],
        "fr": ["send": "Envoyer un code de réinitialisation du mot de passe", "sent": "Code de réinitialisation du mot de passe envoyé pour",
               "forgot": "Mot de passe oublié ?", "title": "Choisir un nouveau mot de passe avec un code",
               "wrong": "Ce code est faux, déjà utilisé ou expiré", "mismatch": "Les deux nouveaux mots de passe ne sont pas identiques",
               "weak": "Ce nouveau mot de passe ne peut pas être utilisé", "done": "Votre mot de passe a été changé et toutes vos sessions ont été fermées",
               "until": "Il est valable jusqu&#39;au"],
    ]

    /// An administrator signed in on the admin listener's pages with an app's code.
    static func adminBrowser(_ client: any TestClientProtocol, secret: String, language: String) async throws -> PageClient {
        var browser = PageClient(client)
        let after = try await browser.signIn("admin", World.password, totp: secret)
        #expect(after.status == .seeOther)
        _ = try await browser.get("/web/home?lang=\(language)")
        return browser
    }

    @Test("an administrator sends a code from the accounts page; the mail names the page; a wrong code, two different passwords, a weak one or a cross-site post change nothing; the right one changes the password, which then signs in", arguments: ["en", "fr"])
    func resetByPages(_ language: String) async throws {
        let t = try #require(Self.texts[language])
        let (sink, world) = try await PasswordResetTests.mailWorld()
        defer { sink.stop(); world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        try await world.auth.setContact("agent.owner@exemple.example", for: try await world.principal("agent"))
        let adminSecret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        let action = "/web/admin/accounts/\(agent.id.rawValue)/password-reset"

        // The administrator's side: a form per account, with the session's CSRF field.
        try await world.withAdmin { client in
            var browser = try await Self.adminBrowser(client, secret: adminSecret, language: language)
            let home = try await browser.get("/web/home")
            #expect(home.status == .ok && home.html.contains(#"action="\#(action)""#) && home.html.contains(t["send"]!))
            let admin = try #require(try await world.store.account(username: "admin"))
            #expect(!home.html.contains("/web/admin/accounts/\(admin.id.rawValue)/password-reset"), "no form for one's own account")
            let forged = try await browser.post(action, [])
            #expect(forged.status == .forbidden)
            #expect(try sink.messages().isEmpty, "a post without the CSRF field sends nothing")
            let sent = try await browser.post(action, [("csrf", try #require(home.csrf))])
            #expect(sent.status == .ok, "\(sent.status)")
            #expect(sent.html.contains(#"id="password-reset-sent""#) && sent.html.contains(t["sent"]!) && sent.html.contains(t["until"]!))
            #expect(sent.html.contains(#"<span id="reset-sent-to">a***@exemple.example</span>"#), "the address masked, as the API gives it")
            #expect(!sent.html.contains("agent.owner@exemple.example"))
        }
        let mail = try sink.messages()
        try #require(mail.count == 1)
        #expect(mail[0].rcptTos == ["agent.owner@exemple.example"])
        let code = try #require(PasswordResetTests.code(in: mail[0].text))
        let text = try #require(mail[0].text)
        #expect(text.contains("« Mot de passe oublié ? »") && text.contains("\"Forgot your password?\""), "the mail says where to enter the code, in both languages")
        #expect(try await world.store.pendingReset(tokenHash: Authenticator.tokenHash(code), at: Date()) != nil)

        // The owner's side, without a session.
        try await world.withPublic { client in
            var browser = PageClient(client)
            let signIn = try await browser.get("/web/sign-in?lang=\(language)")
            #expect(signIn.html.contains(#"href="/web/password-reset""#) && signIn.html.contains(t["forgot"]!))
            let form = try await browser.get("/web/password-reset")
            #expect(form.status == .ok && form.html.contains(t["title"]!) && form.html.contains(#"id="password-reset""#))
            #expect(form.csrf == nil, "no session, so no CSRF field: like the sign-in form, same-site posts only")

            let wrong = try await browser.post("/web/password-reset", [("code", String(code.reversed())), ("password", Self.newPassword), ("confirm", Self.newPassword)])
            #expect(wrong.status == .unauthorized && wrong.html.contains(t["wrong"]!))
            #expect(wrong.html.contains(#"value="\#(String(code.reversed()))""#), "the code typed is kept")
            #expect(!wrong.html.contains(Self.newPassword), "never the passwords")
            let mismatch = try await browser.post("/web/password-reset", [("code", code), ("password", Self.newPassword), ("confirm", Self.newPassword + "!")])
            #expect(mismatch.status == .badRequest && mismatch.html.contains(t["mismatch"]!) && mismatch.html.contains(#"value="\#(code)""#))
            #expect(!mismatch.html.contains(Self.newPassword))
            let weak = try await browser.post("/web/password-reset", [("code", code), ("password", "password1234"), ("confirm", "password1234")])
            #expect(weak.status == .badRequest && weak.html.contains(t["weak"]!) && weak.html.contains(#"id="detail""#))
            #expect(!weak.html.contains("password1234"))
            let cross = try await browser.post("/web/password-reset", [("code", code), ("password", Self.newPassword), ("confirm", Self.newPassword)],
                                               headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(cross.status == .forbidden)
            #expect(try await world.store.pendingReset(tokenHash: Authenticator.tokenHash(code), at: Date()) != nil, "the code still works")
            _ = try await world.auth.signIn(username: "agent", password: World.password)  // nothing changed yet

            let done = try await browser.post("/web/password-reset", [("code", code), ("password", Self.newPassword), ("confirm", Self.newPassword)])
            #expect(done.status == .seeOther && done.location == "/web/sign-in")
            let notice = try await browser.get(try #require(done.location))
            #expect(notice.html.contains(#"id="password-reset-done""#) && notice.html.contains(t["done"]!))
            let again = try await browser.post("/web/password-reset", [("code", code), ("password", Self.newPassword + " two"), ("confirm", Self.newPassword + " two")])
            #expect(again.status == .unauthorized && again.html.contains(t["wrong"]!), "a code works once")

            let old = try await browser.signIn("agent", World.password)
            #expect(old.status == .unauthorized, "the old password no longer signs in")
            let signedIn = try await browser.signIn("agent", Self.newPassword)
            #expect(signedIn.status == .seeOther && signedIn.location == "/web/second-factor", "the new password signs in; the second factor is still asked")
        }
        #expect(try await world.database.strings("SELECT status FROM password_reset WHERE account_id = '\(agent.id)'") == ["used"])
        #expect(try await world.store.notices(account: agent.id).map(\.kind).contains("password-reset"))
        let told = try sink.messages()
        #expect(told.count == 2 && told[1].rcptTos == ["agent.owner@exemple.example"], "the owner is told of the change")
    }

    @Test("an administrator's reset code works on the admin listener's page only; the public page says it is wrong and changes nothing")
    func adminAccountOnAdminListener() async throws {
        let (sink, world) = try await PasswordResetTests.mailWorld()
        defer { sink.stop(); world.remove() }
        _ = try await world.auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: world.operatorOrg.id, createdBy: nil)
        let admin2 = try #require(try await world.store.account(username: "admin2"))
        try await world.auth.setContact("second.admin@exemple.example", for: try await world.principal("admin2"))
        _ = try await world.auth.startReset(of: admin2.id, by: try await world.principal("admin"))
        let code = try #require(PasswordResetTests.code(in: try sink.messages().first?.text))
        let fields = [("code", code), ("password", Self.newPassword), ("confirm", Self.newPassword)]
        try await world.withPublic { client in
            var browser = PageClient(client)
            let refused = try await browser.post("/web/password-reset?lang=en", fields)
            #expect(refused.status == .unauthorized && refused.html.contains("This code is wrong"))
        }
        #expect(try await world.store.pendingReset(tokenHash: Authenticator.tokenHash(code), at: Date()) != nil)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            let form = try await browser.get("/web/sign-in?lang=en")
            #expect(form.html.contains(#"href="/web/password-reset""#), "the admin listener's sign-in links to its own reset page")
            let done = try await browser.post("/web/password-reset", fields)
            #expect(done.status == .seeOther && done.location == "/web/sign-in")
        }
        _ = try await world.auth.signIn(username: "admin2", password: Self.newPassword, adminListener: true)
    }

    @Test("the accounts page says plainly when an account has no contact address, and when no mail relay is set; nothing is sent or kept")
    func refusals() async throws {
        let (sink, world) = try await PasswordResetTests.mailWorld()
        defer { sink.stop(); world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        let adminSecret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        try await world.withAdmin { client in
            var browser = try await Self.adminBrowser(client, secret: adminSecret, language: "en")
            for (language, words) in [("en", "this account has no contact address"), ("fr", "ce compte n&#39;a pas d&#39;adresse de contact")] {
                let home = try await browser.get("/web/home?lang=\(language)")
                let none = try await browser.post("/web/admin/accounts/\(agent.id.rawValue)/password-reset", [("csrf", try #require(home.csrf))])
                #expect(none.status == .conflict && none.html.contains(words) && none.html.contains(#"id="reset-failed""#), "\(none.status)")
            }
        }
        #expect(try sink.messages().isEmpty)
        #expect(try await world.database.count("password_reset", where: "account_id = '\(agent.id)'") == 0)

        // Without a relay: no form, a line that says why; a post anyway is refused plainly.
        let offline = try await World.make()
        defer { offline.remove() }
        let offlineAgent = try #require(try await offline.store.account(username: "agent"))
        try await offline.auth.setContact("agent.owner@exemple.example", for: try await offline.principal("agent"))
        let secret = try await WebPagesBrowserTests.enrolTOTP(offline, "admin")
        try await offline.withAdmin { client in
            var browser = try await Self.adminBrowser(client, secret: secret, language: "en")
            let home = try await browser.get("/web/home")
            #expect(home.html.contains(#"id="reset-no-relay""#) && home.html.contains("No mail relay is configured"))
            #expect(!home.html.contains("/password-reset\""), "no form that could not work")
            let posted = try await browser.post("/web/admin/accounts/\(offlineAgent.id.rawValue)/password-reset", [("csrf", try #require(home.csrf))])
            #expect(posted.status == .serviceUnavailable && posted.html.contains(#"id="reset-failed""#) && posted.html.contains("No mail relay is configured"))
        }
        #expect(try await offline.database.count("password_reset", where: "account_id = '\(offlineAgent.id)'") == 0)
    }

    @Test("wrong codes from one address are throttled on the page as over the API: past the limit even the right code waits")
    func throttled() async throws {
        let (sink, world) = try await PasswordResetTests.mailWorld()
        defer { sink.stop(); world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        try await world.auth.setContact("agent.owner@exemple.example", for: try await world.principal("agent"))
        _ = try await world.auth.startReset(of: agent.id, by: try await world.principal("admin"))
        let code = try #require(PasswordResetTests.code(in: try sink.messages().first?.text))
        // A live listener, so that the request has a source address to count.
        let app = Application(router: world.server.publicRouter().0)
        try await app.test(.live) { client in
            var browser = PageClient(client)
            var last: PageClient.Page?
            for i in 0..<31 {
                last = try await browser.post("/web/password-reset?lang=en", [("code", "not-the-code-\(i)"), ("password", Self.newPassword), ("confirm", Self.newPassword)])
                if last?.status == .tooManyRequests { break }
            }
            let page = try #require(last)
            #expect(page.status == .tooManyRequests && page.html.contains("Too many attempts") && page.headers[.retryAfter] != nil)
            let right = try await browser.post("/web/password-reset", [("code", code), ("password", Self.newPassword), ("confirm", Self.newPassword)])
            #expect(right.status == .tooManyRequests, "the limit holds for the right code too")
        }
        #expect(try await world.store.pendingReset(tokenHash: Authenticator.tokenHash(code), at: Date()) != nil, "nothing was changed")
    }
}

/// The contact address on the account page (where reset codes go), as `PUT /v1/me/contact`:
/// only the owner, with a second factor verified in the last five minutes, and only once the
/// code sent to the address comes back.
@Suite(.serialized)
struct WebContactPageTests {
    @Test("the owner sets the address on the account page with a fresh factor and sees it masked; a forged post, a bad address or a stale factor change nothing; the reset code then goes there")
    func setOnThePage() async throws {
        let clock = ManualClock()
        let sink = try SMTPSink()
        defer { sink.stop() }
        let world = try await World.make(mailer: try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("guichet@registre.example")),
                                         clock: clock.function)
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret, at: clock.now.addingTimeInterval(30))
            let page = try await browser.get("/web/account?lang=en")
            #expect(page.html.contains(#"id="contact-form""#) && page.html.contains("No address set") && page.html.contains("Set the address"))
            let csrf = try #require(page.csrf)

            let forged = try await browser.post("/web/account/contact", [("email", "thief@exemple.example")])
            #expect(forged.status == .forbidden)
            let cross = try await browser.post("/web/account/contact", [("csrf", csrf), ("email", "thief@exemple.example")], headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(cross.status == .forbidden)
            let bad = try await browser.post("/web/account/contact", [("csrf", csrf), ("email", "not an address")])
            #expect(bad.status == .badRequest && bad.html.contains("This address cannot be used") && bad.html.contains(#"value="not an address""#))
            #expect(try await world.auth.maskedContact(of: agent.id) == nil, "nothing was set")

            // Two steps: a code goes to the address; until it comes back nothing is set.
            let asked = try await browser.post("/web/account/contact", [("csrf", csrf), ("email", "agent.owner@exemple.example")])
            #expect(asked.status == .ok && asked.html.contains(#"id="contact-confirm""#) && asked.html.contains("a***@exemple.example"))
            #expect(try await world.auth.maskedContact(of: agent.id) == nil, "not set before the code comes back")
            let mail = try #require(try sink.messages().last)
            #expect(mail.rcptTos == ["agent.owner@exemple.example"] && mail.text?.contains("agent") == false, "the message names no account")
            let code = try #require(PasswordResetTests.contactCode(in: mail.text))
            let wrong = try await browser.post("/web/account/contact", [("csrf", csrf), ("email", "agent.owner@exemple.example"), ("code", "AAAAA-AAAAA")])
            #expect(wrong.status == .forbidden && wrong.html.contains(#"id="contact-confirm""#) && wrong.html.contains("The address was not confirmed"))
            let elsewhere = try await browser.post("/web/account/contact", [("csrf", csrf), ("email", "other@exemple.example"), ("code", code)])
            #expect(elsewhere.status == .forbidden, "a code proves one address only")
            #expect(try await world.auth.maskedContact(of: agent.id) == nil)
            let set = try await browser.post("/web/account/contact", [("csrf", csrf), ("email", "agent.owner@exemple.example"), ("code", code)])
            #expect(set.status == .ok && set.html.contains("Your contact address was set"))
            #expect(set.html.contains("<strong>a***@exemple.example</strong>") && set.html.contains("Change the address"))
            #expect(!set.html.contains("agent.owner@exemple.example"), "shown masked")
            #expect(try await world.auth.maskedContact(of: agent.id) == "a***@exemple.example")
            #expect(try await world.store.notices(account: agent.id).map(\.kind).contains("contact-changed"))
            let french = try await browser.get("/web/account?lang=fr")
            #expect(french.html.contains("Adresse de contact") && french.html.contains("Changer l&#39;adresse"), "French, apostrophes escaped")

            // Five minutes later the factor is stale: no form, a link to verify it again; a post changes nothing.
            clock.advance(6 * 60)
            let stale = try await browser.get("/web/account?lang=en")
            #expect(!stale.html.contains(#"id="contact-form""#) && stale.html.contains(#"id="contact-verify-again""#))
            let refused = try await browser.post("/web/account/contact", [("csrf", try #require(stale.csrf)), ("email", "other@exemple.example")])
            #expect(refused.status == .forbidden && refused.html.contains("verify your second factor again"))
            #expect(try await world.auth.maskedContact(of: agent.id) == "a***@exemple.example")
        }
        // The address set on the page is where an administrator's reset code goes.
        try sink.clear()
        _ = try await world.auth.startReset(of: agent.id, by: try await world.principal("admin"))
        #expect(try sink.messages().map(\.rcptTos) == [["agent.owner@exemple.example"]])
    }

    @Test("a citizen without a second factor is told to add one before setting an address, and a post is refused", arguments: ["en", "fr"])
    func citizenWithoutFactor(_ language: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let parent = try #require(try await world.store.account(username: "parent1"))
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let page = try await browser.get("/web/account?lang=\(language)")
            #expect(page.html.contains(#"id="contact-needs-factor""#) && !page.html.contains(#"id="contact-form""#))
            #expect(page.html.contains(language == "en" ? "first add a second factor" : "ajoutez d&#39;abord un second facteur"))
            let refused = try await browser.post("/web/account/contact", [("csrf", try #require(page.csrf)), ("email", "parent@exemple.example")])
            #expect(refused.status == .forbidden)
        }
        #expect(try await world.auth.maskedContact(of: parent.id) == nil)
    }
}
