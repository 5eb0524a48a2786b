import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetMail
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
            #expect(french.html.contains("nouveau code d&#39;activation") && french.html.contains(Self.waits), "the requester sees it wait, with no button")
        }
        // A second administrator approves the new code on the pages (a co-operative's audit:
        // only the API could, and the agent stayed locked out), and hands it over.
        _ = try await world.auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: world.operatorOrg.id, createdBy: nil)
        let second = try await WebPagesBrowserTests.enrolTOTP(world, "admin2")
        let waiting = try #require(try await world.store.activationsAwaitingApproval().first)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin2", World.password, totp: second, at: Date().addingTimeInterval(30))
            let home = try await browser.get("/web/home?lang=en")
            let action = "/web/admin/activations/\(waiting.id)/approve"
            #expect(home.html.contains("new activation code (after a reset of the second factors)") && home.html.contains(#"action="\#(action)""#), "\(home.html)")
            let approved = try await browser.post(action, [("csrf", try #require(home.csrf))])
            #expect(approved.status == .ok && approved.html.contains(#"id="activation-approved""#), "\(approved.status) \(approved.html)")
            let code = try #require(approved.html.firstMatch(of: #/id="approved-code">([^<]+)</#).map { String($0.1) })
            #expect(try await world.store.activationsAwaitingApproval().isEmpty)
            // The agent enrols again with it.
            let session = try await world.auth.signIn(username: "agent", password: World.password)
            _ = try await world.auth.beginTOTP(session.principal, activationCode: code)
        }
    }

    static let waits = "elle attend l&#39;accord d&#39;un autre administrateur"
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
            _ = try await browser.signIn("admin", World.password, totp: secret)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.status == .ok && home.html.contains("<td>agent</td>"))
            #expect(!home.html.contains("parent.synthetic"), "a citizen's account is not listed")
            let csrf = try #require(home.csrf)
            let found = try await browser.post("/web/admin/accounts/find", [("csrf", csrf), ("username", "parent.synthetic")])
            #expect(found.status == .ok && found.html.contains("<td>parent.synthetic</td>") && found.html.contains(#"id="lookup""#))
            #expect(found.html.contains("/web/admin/accounts/\(parent.id.rawValue)/factors/reset"), "the citizen's factors can be reset from there")
            #expect(!found.html.contains("<td>agent</td>"), "only the account looked for")
            let unknown = try await browser.post("/web/admin/accounts/find", [("csrf", csrf), ("username", "nobody.synthetic")])
            #expect(unknown.status == .badRequest && unknown.html.contains("No account has that user name"))
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

/// The administrators' forms come back as typed when refused (a new-user test retyped every
/// field after each refusal), and say what was done.
@Suite(.serialized)
struct WebAdminFormTests {
    @Test("a refused account or organisation form comes back as typed (never the password) with why, in the page's language; an account asked with an e-mail address keeps it for its codes; done notices show")
    func refusedFormsKeepWhatWasTyped() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let world = try await World.make(mailer: try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("guichet@registre.example")))
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        let daycare = try #require(world.daycares.first)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password, totp: secret)
            let home = try await browser.get("/web/home?lang=en")
            let csrf = try #require(home.csrf)
            #expect(home.html.contains(#"id="new-email""#), "the owner's address can be given with the account")

            let taken = try await browser.post("/web/admin/accounts", [("csrf", csrf), ("username", "agent"), ("password", "Synthetic-Pass-4821-xyz"),
                                                                      ("role", "daycare"), ("organisation", daycare.id.rawValue), ("email", "owner@exemple.example")])
            #expect(taken.status == .conflict && taken.html.contains(#"id="new-account-error""#), "\(taken.status) \(taken.html.suffix(3000))")
            #expect(taken.html.contains(#"value="agent""#) && taken.html.contains(#"value="owner@exemple.example""#))
            #expect(taken.html.contains(#"<option value="daycare" selected>"#) && taken.html.contains(#"<option value="\#(daycare.id.rawValue)" selected>"#))
            #expect(!taken.html.contains("Synthetic-Pass-4821-xyz"), "never the password")
            #expect(!taken.html.contains("The file has changed"), "no file is involved")
            let weak = try await browser.post("/web/admin/accounts?lang=fr", [("csrf", csrf), ("username", "nouvel.agent"), ("password", "short"),
                                                                             ("role", "daycare"), ("organisation", daycare.id.rawValue)])
            #expect(weak.status == .badRequest && weak.html.contains(#"value="nouvel.agent""#))
            #expect(try await world.store.account(username: "nouvel.agent") == nil, "nothing was created")
            // A role and an organisation of another kind: said with their labels, in French on a French page;
            // the list groups the organisations by kind.
            let wrongKind = try await browser.post("/web/admin/accounts?lang=fr", [("csrf", csrf), ("username", "nouvel.agent"), ("password", "Synthetic-Pass-4821-xyz"),
                                                                                  ("role", "daycare"), ("organisation", world.operatorOrg.id.rawValue)])
            #expect(wrongKind.status == .badRequest && wrongKind.html.contains("Le rôle «\u{00A0}service de garde\u{00A0}» demande une organisation de type «\u{00A0}service de garde\u{00A0}»"),
                    "\(wrongKind.html.firstMatch(of: #/id="new-account-error"[^<]*/#).map { String($0.0) } ?? "no error")")
            #expect(!wrongKind.html.contains("'daycare'"))
            #expect(wrongKind.html.contains(#"<optgroup label="service de garde">"#) && wrongKind.html.contains(#"<optgroup label="exploitant">"#))

            let made = try await browser.post("/web/admin/accounts", [("csrf", csrf), ("username", "new.daycare"), ("password", "Synthetic-Pass-4821-xyz"),
                                                                     ("role", "daycare"), ("organisation", daycare.id.rawValue), ("email", "owner@exemple.example")])
            #expect(made.status == .ok && made.html.contains(#"id="made""#), "\(made.status)")
            #expect(try sink.messages().map(\.rcptTos) == [["owner@exemple.example"]], "the activation code went to the address given")
            let account = try #require(try await world.store.account(username: "new.daycare"))
            #expect(try await world.auth.maskedContact(of: account.id) == "o***@exemple.example", "the address given is kept for its codes")

            let sameName = try await browser.post("/web/admin/organisations", [("csrf", csrf), ("kind", "daycare"), ("name", daycare.name), ("capacity", "12")])
            #expect(sameName.status == .conflict || sameName.status == .badRequest, "\(sameName.status)")
            #expect(sameName.html.contains(#"id="new-organisation-error""#) && sameName.html.contains(#"value="12""#))
            // A capacity typed wrong is said beside the form, the name kept (a new user's audit: a generic error page).
            for capacity in ["abc", "-1"] {
                let wrong = try await browser.post("/web/admin/organisations", [("csrf", csrf), ("kind", "daycare"), ("name", "CPE Synthétique des Pins"), ("capacity", capacity)])
                #expect(wrong.status == .badRequest && wrong.html.contains(#"id="new-organisation-error""#) && wrong.html.contains("Synthétique des Pins"), "\(capacity): \(wrong.status)")
            }
            let added = try await browser.post("/web/admin/organisations", [("csrf", csrf), ("kind", "daycare"), ("name", "CPE Synthétique des Érables")])
            #expect(added.status == .seeOther || added.status == .found, "\(added.status)")
            let after = try await browser.get("/web/home?done=organisation&lang=en")
            #expect(after.html.contains("The organisation was added."))
            let french = try await browser.get("/web/home?done=organisation&lang=fr")
            #expect(french.html.contains("L&#39;organisation a été ajoutée.") || french.html.contains("L'organisation a été ajoutée."))
        }
    }
}
