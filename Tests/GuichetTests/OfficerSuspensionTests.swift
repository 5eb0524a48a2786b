import Foundation
import Testing
import Hummingbird
import HummingbirdTesting
import GuichetCore
import GuichetStore
@testable import GuichetServer

/// A security officer suspends an account believed taken over (an incident audit: once an
/// account was reinstated, the officers had no way to stop it again; only administrators could
/// deactivate it, for good).
@Suite(.serialized) struct OfficerSuspensionTests {
    @Test("a security officer suspends a staff account over the admin API: its sessions end at once, the reason is sealed with the alert, the step is journalled; an administrator's or officer's account, one's own, a short reason or a second time are refused and change nothing; a reinstatement lifts it")
    func overTheAPI() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        let agentToken = try await world.token("agent")
        let agent = try #require(try await world.store.account(username: "agent")).id
        let admin = try #require(try await world.store.account(username: "admin")).id
        let security = try #require(try await world.store.account(username: "security")).id
        let reason = "Reads at night from an address abroad; the owner is on leave."
        try await world.withAdmin { client in
            let officer = try await world.token("security"), adminToken = try await world.token("admin")
            let before = try await world.snapshot()
            let refusals: [(String, String?, String, Int, String)] = [
                ("/admin/v1/accounts/\(agent)/suspend", adminToken, #"{"reason": "\#(reason)"}"#, 403, "security officer"),
                ("/admin/v1/accounts/\(agent)/suspend", officer, #"{"reason": "short"}"#, 400, "10 to 2000 characters"),
                ("/admin/v1/accounts/\(agent)/suspend", officer, #"{"reason": "line\u202Eone is long enough"}"#, 400, "control or text-direction"),
                ("/admin/v1/accounts/\(agent)/suspend", officer, #"{}"#, 400, "'reason' is required"),
                ("/admin/v1/accounts/\(admin)/suspend", officer, #"{"reason": "\#(reason)"}"#, 403, "deactivated by the administrators"),
                ("/admin/v1/accounts/\(security)/suspend", officer, #"{"reason": "\#(reason)"}"#, 403, "your own account"),
                ("/admin/v1/accounts/\(AccountID())/suspend", officer, #"{"reason": "\#(reason)"}"#, 404, "no such resource"),
                ("/admin/v1/accounts/\(agent)/suspend", nil, #"{"reason": "\#(reason)"}"#, 401, "sign in"),
            ]
            for (path, token, body, status, words) in refusals {
                let r = try await client.call(.post, path, token: token, body: body)
                #expect(Int(r.status.code) == status && r.text.contains(words), "\(body): \(r.status) \(r.text)")
            }
            #expect(try await world.snapshot() == before, "refusals change nothing, not even the ledger")

            let done = try await client.call(.post, "/admin/v1/accounts/\(agent)/suspend", token: officer, body: #"{"reason": "\#(reason)"}"#)
            #expect(done.status == .ok && done["status"]?.string == "suspended", "\(done.text)")
            await #expect(throws: GuichetError.unauthenticated, "its sessions ended") { _ = try await world.auth.authenticate(token: agentToken) }
            await #expect(throws: GuichetError.self, "no new session either") {
                _ = try await world.auth.signIn(username: "agent", password: World.password)
            }
            let again = try await client.call(.post, "/admin/v1/accounts/\(agent)/suspend", token: officer, body: #"{"reason": "\#(reason)"}"#)
            #expect(again.status == .conflict && again.text.contains("already suspended"))

            let alerts = try await client.call(.get, "/admin/v1/watch/alerts", token: officer)
            let alert = try #require(alerts["alerts"]?.array?.compactMap(\.object).first { $0["detector"]?.string == "officer-suspension" })
            #expect(alert["account"]?.string == agent.rawValue && alert["response"]?.string == "suspend" && alert["justification"]?.string == reason,
                    "the officer reads the reason opened: \(alert)")
            let open = try await client.call(.get, "/admin/v1/watch/suspensions", token: officer)
            #expect(open["suspensions"]?.array?.contains { $0.object?["account"]?.string == agent.rawValue } == true)

            // A reinstatement's reason is held to the same rules as a suspension's.
            let reversed = try await client.call(.post, "/admin/v1/accounts/\(agent)/reinstate", token: officer,
                                                 body: #"{"reason": "The owner \u2067changed the password."}"#)
            #expect(reversed.status == .badRequest && reversed.text.contains("control or text-direction"), "\(reversed.status) \(reversed.text)")
            #expect(try await world.store.suspensions(openOnly: true).contains { $0.account == agent }, "still suspended")
            let lifted = try await client.call(.post, "/admin/v1/accounts/\(agent)/reinstate", token: officer,
                                               body: #"{"reason": "The owner changed the password and enrolled a new phone."}"#)
            #expect(lifted.status == .ok, "\(lifted.text)")
        }
        let journal = try await world.ledger.journal()
        #expect(journal.contains { $0.action == "watch:officer-suspend" && $0.account == security && $0.reason.contains(agent.rawValue) && !$0.reason.contains("abroad") },
                "journalled under the officer, without the reason")
        let stored = try await world.database.strings("SELECT justification FROM watch_alert WHERE detector = 'officer-suspension'")
        #expect(stored.count == 1 && !stored[0].contains("abroad"), "the reason is stored sealed")
        #expect(try await world.store.account(username: "agent")?.status == "active")
    }

    @Test("the security officers' page suspends an account by user name, in French and English, and says so; a bad user name changes nothing", arguments: ["fr", "en"])
    func onThePage(_ language: String) async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        // The watch's own suspensions name their detectors by their labels (an incident audit read
        // "suspendu par la surveillance : honeytoken, denial-burst").
        let daycare = try #require(try await world.store.account(username: "daycare1")).id
        try await world.store.suspend(account: daycare, id: "suspension-test", reason: "suspended by the watch: honeytoken, denial-burst", at: Date())
        let pages = try GuichetServer.webPages()
        let expected = (language == "fr" ? "suspendu par la surveillance : " : "suspended by the watch: ")
            + [pages.label("detector_", "honeytoken", language), pages.label("detector_", "denial-burst", language)].joined(separator: ", ")
        // An alert's detail names a role by its label (the same audit read "plafond 35 pour le rôle 'adviser'").
        try await world.store.insert(alerts: [WatchAlert(id: "alert-role", at: Date(), account: daycare, detector: "ceiling-exceeded", severity: "critical",
                                                         response: "suspend", detail: "more persons asked for after the ceiling of role 'daycare' and its grace were passed")])
        let role = try #require(pages.optionalText("role_daycare", language))
        let quoted = language == "fr" ? "«\u{00A0}\(role)\u{00A0}»" : "“\(role)”"
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("security", World.password, totp: secret)
            let home = try await browser.get("/web/home?lang=\(language)")
            #expect(home.html.contains(PageClientText.escaped(expected)) && !home.html.contains("denial-burst<"), "\(expected)")
            #expect(home.html.contains(quoted) && !home.html.contains("&#39;daycare&#39;"), "\(quoted)")
            #expect(home.html.contains(#"id="suspend-form""#) && home.html.contains(#"id="suspend-hint""#))
            let csrf = try #require(home.csrf)
            let unknown = try await browser.post("/web/security/suspend", [("csrf", csrf), ("username", "no.such.name"), ("reason", "Synthetic reason long enough")])
            #expect(unknown.status == .badRequest)
            // Said beside the form, in the page's language, with what was typed kept.
            #expect(unknown.html.contains(#"id="suspend-error""#) && unknown.html.contains(#"value="no.such.name""#)
                    && unknown.html.contains(#"value="Synthetic reason long enough""#), "\(unknown.html.prefix(300))")
            #expect(try await world.store.suspensions(openOnly: true).map(\.account) == [daycare], "nothing more suspended")
            let done = try await browser.post("/web/security/suspend", [("csrf", csrf), ("username", "agent"), ("reason", "Synthetic reason long enough")])
            #expect(done.status == .seeOther && done.location == "/web/home?done=suspend", "\(done.status)")
            let told = try await browser.get("/web/home?done=suspend&lang=\(language)")
            #expect(told.html.contains(language == "fr" ? "Le compte a été suspendu" : "The account was suspended"))
            #expect(told.html.contains(language == "fr" ? "suspendu par un responsable de la sécurité" : "suspended by a security officer"),
                    "the suspension's reason in the page's language")
        }
        #expect(try await world.store.account(username: "agent")?.status == "disabled")
    }
}
