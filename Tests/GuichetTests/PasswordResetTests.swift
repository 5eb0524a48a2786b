import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetMail
import GuichetMFA
import Synchronization
@testable import GuichetStore

/// Recovery without a back door (issue 6, R4): an administrator starts a reset, the code goes
/// to the owner's own address through a real SMTP server, the owner chooses the password, the
/// second factor stays, every reset is kept and the owner is told.
@Suite(.serialized)
struct PasswordResetTests {
    static let newPassword = "a brand new passphrase for spring"

    /// The single-use code in a reset message: the one indented line of 43 base64url characters.
    static func code(in text: String?) -> String? {
        text?.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.count == 43 && $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" } }
    }

    /// The code in a contact address's confirmation message (`XXXXX-XXXXX`).
    static func contactCode(in text: String?) -> String? {
        text?.firstMatch(of: #/\b[A-Z2-9]{5}-[A-Z2-9]{5}\b/#).map { String($0.0) }
    }

    /// A world whose mail goes to a real SMTP server.
    static func mailWorld() async throws -> (SMTPSink, World) {
        let sink = try SMTPSink()
        do {
            return (sink, try await World.make(mailer: try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("guichet@registre.example"))))
        } catch {
            sink.stop()
            throw error
        }
    }

    @Test("an admin starts a reset; only the owner gets the code; the owner's new password still needs the second factor")
    func fullReset() async throws {
        let (sink, world) = try await Self.mailWorld()
        defer { sink.stop(); world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        let agentToken = try await world.token("agent")
        try await world.withPublic { client in
            let asked = try await client.call(.put, "/v1/me/contact", token: agentToken, body: #"{"email": "agent.owner@exemple.example"}"#)
            #expect(asked.status == .accepted && asked["sentTo"]?.string == "a***@exemple.example")
            let code = try #require(Self.contactCode(in: try sink.messages().last?.text))
            let set = try await client.call(.put, "/v1/me/contact", token: agentToken, body: #"{"email": "agent.owner@exemple.example", "code": "\#(code)"}"#)
            #expect(set.status == .noContent)
        }
        let confirmation = try sink.messages()
        #expect(confirmation.count == 1 && confirmation[0].rcptTos == ["agent.owner@exemple.example"])
        try sink.clear()
        let adminToken = try await world.token("admin")
        let started = Mutex<Reply?>(nil)
        try await world.withAdmin { client in
            let r = try await client.call(.post, "/admin/v1/accounts/\(agent.id)/password-reset", token: adminToken)
            started.withLock { $0 = r }
        }
        let reply = try #require(started.withLock { $0 })
        #expect(reply.status == .accepted)
        #expect(reply["sentTo"]?.string == "a***@exemple.example")
        let mail = try sink.messages()
        try #require(mail.count == 1)
        #expect(mail[0].rcptTos == ["agent.owner@exemple.example"])
        let code = try #require(Self.code(in: mail[0].text))
        #expect(!reply.text.contains(code), "the administrator never sees the code")
        #expect(mail[0].text?.contains("second facteur") == true && mail[0].text?.contains("second factor") == true)

        try await world.withPublic { client in
            // A weak password is refused and the code stays usable.
            let weak = try await client.call(.post, "/v1/password-reset", body: #"{"code": "\#(code)", "password": "password"}"#)
            #expect(weak.status == .badRequest)
            let done = try await client.call(.post, "/v1/password-reset", body: #"{"code": "\#(code)", "password": "\#(Self.newPassword)"}"#)
            #expect(done.status == .noContent)
            let again = try await client.call(.post, "/v1/password-reset", body: #"{"code": "\#(code)", "password": "\#(Self.newPassword) again"}"#)
            #expect(again.status == .unauthorized, "a code works once")
            let old = try await client.call(.get, "/v1/me", token: agentToken)
            #expect(old.status == .unauthorized, "every session of the account ended")
            let oldPassword = try await client.call(.post, "/v1/session", body: #"{"username": "agent", "password": "\#(World.password)"}"#)
            #expect(oldPassword.status == .unauthorized)
            let signedIn = try await client.call(.post, "/v1/session", body: #"{"username": "agent", "password": "\#(Self.newPassword)"}"#)
            #expect(signedIn.status == .created)
            let token = try #require(signedIn["token"]?.string)
            let search = try await client.call(.get, "/v1/dossiers?type=application", token: token, purpose: "list-management")
            #expect(search.status == .forbidden, "the reset did not remove the second factor")
            let notices = try await client.call(.get, "/v1/me/notices", token: token)
            #expect(notices.text.contains("password-reset-started") && notices.text.contains("\"password-reset\""))
        }
        let told = try sink.messages()
        #expect(told.count == 2 && told[1].rcptTos == ["agent.owner@exemple.example"] && told[1].subject.contains("mot de passe changé"))
        // The mail says what happened: a reset code, every session ended (not "with the former password").
        let changed = told.count == 2 ? told[1].text ?? "" : ""
        #expect(changed.contains("avec un code de") && changed.contains("Every open session was ended") && !changed.contains("former password"), "\(changed)")
        #expect(changed.contains("votre responsable sécurité"), "staff tell their security officer")
        let adminID = try #require(try await world.store.account(username: "admin")?.id)
        let kept = try await world.database.strings("SELECT status || ' by ' || requested_by FROM password_reset WHERE account_id = '\(agent.id)'")
        #expect(kept == ["used by \(adminID)"])
        #expect(await (try world.database).refuses("DELETE FROM password_reset"), "resets are kept")
    }

    @Test("a citizen who never set a contact address gets the reset code at the address on their own file; the opening is journalled")
    func citizenAddressOnFile() async throws {
        let (sink, world) = try await Self.mailWorld()
        defer { sink.stop(); world.remove() }
        let person = try await world.registerParent("parent1")
        let parent = try #require(try await world.store.account(username: "parent1"))
        let adminToken = try await world.token("admin")
        let started = Mutex<Reply?>(nil)
        try await world.withAdmin { client in
            started.withLock { $0 = nil }
            let r = try await client.call(.post, "/admin/v1/accounts/\(parent.id)/password-reset", token: adminToken)
            started.withLock { $0 = r }
        }
        let reply = try #require(started.withLock { $0 })
        #expect(reply.status == .accepted, "\(reply.text)")
        #expect(reply["sentTo"]?.string == "p***@example.org" && !reply.text.contains("parent1@"), "masked")
        let mail = try sink.messages()
        #expect(mail.count == 1 && mail.first?.rcptTos == ["parent1@example.org"])
        #expect(mail.first?.text?.contains("le service qui tient votre dossier") == true, "a citizen is told to tell the service")
        let opened = try await world.ledger.journal().filter { $0.action == "password-reset-mail" }
        #expect(opened.count == 1 && opened.first?.persons == [person] && opened.first?.account == nil, "journalled as a disclosure to no account")
    }

    @Test("no contact address, one's own account, a security officer, or no relay: the reset is refused and nothing is sent")
    func refusals() async throws {
        let (sink, world) = try await Self.mailWorld()
        defer { sink.stop(); world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        let admin = try #require(try await world.store.account(username: "admin"))
        let adminToken = try await world.token("admin"), officerToken = try await world.token("security")
        try await world.withAdmin { client in
            let none = try await client.call(.post, "/admin/v1/accounts/\(agent.id)/password-reset", token: adminToken)
            #expect(none.status == .conflict)
            let own = try await client.call(.post, "/admin/v1/accounts/\(admin.id)/password-reset", token: adminToken)
            #expect(own.status == .forbidden)
            let officer = try await client.call(.post, "/admin/v1/accounts/\(agent.id)/password-reset", token: officerToken)
            #expect(officer.status == .forbidden)
            let unknown = try await client.call(.post, "/admin/v1/accounts/\(AccountID())/password-reset", token: adminToken)
            #expect(unknown.status == .notFound)
        }
        #expect(try sink.messages().isEmpty)
        #expect(try await world.database.count("password_reset", where: "account_id = '\(agent.id)'") == 0)

        // A relay that does not answer: the reset is recorded as not sent, and its code never works.
        let closed = try ClosedPort()
        let offline = try await World.make(mailer: try SMTPMailer(host: "127.0.0.1", port: closed.port, sender: try MailAddress("guichet@registre.example")))
        defer { offline.remove() }
        try await offline.auth.setContact("agent.owner@exemple.example", for: try await offline.principal("agent"))
        let offlineAgent = try #require(try await offline.store.account(username: "agent"))
        await #expect(throws: GuichetError.self) { try await offline.auth.startReset(of: offlineAgent.id, by: try await offline.principal("admin")) }
        #expect(try await offline.database.strings("SELECT status FROM password_reset WHERE account_id = '\(offlineAgent.id)'") == ["not-sent"])
    }

    @Test("an administrator's reset completes only on the admin listener, and an expired code is refused")
    func adminAccountsAndExpiry() async throws {
        let (sink, world) = try await Self.mailWorld()
        defer { sink.stop(); world.remove() }
        _ = try await world.auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: world.operatorOrg.id, createdBy: nil)
        let admin2 = try #require(try await world.store.account(username: "admin2"))
        try await world.auth.setContact("second.admin@exemple.example", for: try await world.principal("admin2"))
        _ = try await world.auth.startReset(of: admin2.id, by: try await world.principal("admin"))
        let code = try #require(Self.code(in: try sink.messages().first?.text))
        try await world.withPublic { client in
            let r = try await client.call(.post, "/v1/password-reset", body: #"{"code": "\#(code)", "password": "\#(Self.newPassword)"}"#)
            #expect(r.status == .unauthorized, "the public listener does not reset an administrator")
        }
        #expect(try await world.store.pendingReset(tokenHash: Authenticator.tokenHash(code), at: Date().addingTimeInterval(Authenticator.resetLifetime + 1)) == nil,
                "a code expires after an hour")
        try await world.withAdmin { client in
            let r = try await client.call(.post, "/admin/v1/password-reset", body: #"{"code": "\#(code)", "password": "\#(Self.newPassword)"}"#)
            #expect(r.status == .noContent)
        }
        _ = try await world.auth.signIn(username: "admin2", password: Self.newPassword)
    }
}

/// The owner changes their own password with the current one (a new-user test found no way to).
@Suite(.serialized)
struct PasswordChangeTests {
    static let newPassword = "a brand new passphrase for autumn"

    @Test("over the API: the current password is checked, the rules apply, the other sessions end, the old password stops working, the owner is told")
    func overTheAPI() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        let token = try await world.token("agent")
        let other = try await world.auth.signIn(username: "agent", password: World.password)
        try await world.withPublic { client in
            let wrong = try await client.call(.post, "/v1/me/password", token: token, body: #"{"current": "not the password at all", "password": "\#(Self.newPassword)"}"#)
            #expect(wrong.status == .unauthorized)
            _ = try await world.auth.authenticate(token: token)  // the session stays good
            let weak = try await client.call(.post, "/v1/me/password", token: token, body: #"{"current": "\#(World.password)", "password": "password"}"#)
            #expect(weak.status == .badRequest)
            let same = try await client.call(.post, "/v1/me/password", token: token, body: #"{"current": "\#(World.password)", "password": "\#(World.password)"}"#)
            #expect(same.status == .badRequest && same.text.contains("differ"))
            let long = try await client.call(.post, "/v1/me/password", token: token, body: #"{"current": "\#(World.password)", "password": "\#(String(repeating: "x", count: 2_000))"}"#)
            #expect(long.status == .badRequest, "a long new password is a rule's refusal, not a wrong current one")
            _ = try await world.auth.authenticate(token: other.token)  // still open: nothing changed yet
            let done = try await client.call(.post, "/v1/me/password", token: token, body: #"{"current": "\#(World.password)", "password": "\#(Self.newPassword)"}"#)
            #expect(done.status == .noContent, "\(done.text)")
        }
        _ = try await world.auth.authenticate(token: token)  // this session stays
        await #expect(throws: GuichetError.unauthenticated) { _ = try await world.auth.authenticate(token: other.token) }
        await #expect(throws: GuichetError.unauthenticated) { _ = try await world.auth.signIn(username: "agent", password: World.password) }
        _ = try await world.auth.signIn(username: "agent", password: Self.newPassword)
        #expect(try await world.store.notices(account: agent.id).contains { $0.kind == "password-changed" })
    }

    @Test("before the second factor, a staff account cannot change its password; wrong current passwords slow down")
    func guarded() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.token("agent")  // enrols the factor
        let bare = try await world.auth.signIn(username: "agent", password: World.password)
        await #expect(throws: GuichetError.self) { try await world.auth.changePassword(bare.principal, current: World.password, new: Self.newPassword) }
        let p = try await world.principal("agent")
        var slowed = false
        for _ in 0..<12 {
            do { try await world.auth.changePassword(p, current: "a wrong guess of the password", new: Self.newPassword) } catch GuichetError.throttled {
                slowed = true; break
            } catch GuichetError.unauthenticated {}
        }
        #expect(slowed, "guesses of the current password are throttled")
    }

    @Test("a refused new password is refused before any hashing, and password changes that reach the hashing are held to 10 in 10 minutes per account")
    func changesCostBounded() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let p = try await world.principal("agent")
        // Refused by the rules before the current password is hashed: never counted as a wrong
        // current password, never throttled (a denial-of-service audit sent these by the hundred).
        for _ in 0..<50 {
            await #expect(throws: GuichetError.invalid("the password must have at least \(PasswordRules.minimumLength) characters")) {
                try await world.auth.changePassword(p, current: "not the current one at all", new: "short")
            }
        }
        var current = World.password
        for n in 0..<10 {
            let next = "Another long password \(n) for the office"
            try await world.auth.changePassword(p, current: current, new: next)
            current = next
        }
        await #expect(throws: GuichetError.self, "the eleventh waits") {
            try await world.auth.changePassword(p, current: current, new: "Yet another long password for the office")
        }
        do { try await world.auth.changePassword(p, current: current, new: "Yet another long password for the office") } catch GuichetError.throttled(let wait) {
            #expect(wait > 0 && wait <= 600)
        } catch { Issue.record("not throttled: \(error)") }
    }

    @Test("on the account page: a wrong current password says so and changes nothing; the right one changes it")
    func onThePage() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let page = try await browser.get("/web/account?lang=en")
            #expect(page.html.contains(#"id="password-change""#))
            let csrf = try #require(page.csrf)
            let wrong = try await browser.post("/web/account/password", [("csrf", csrf), ("current", "not the password at all"), ("password", Self.newPassword)])
            #expect(wrong.status == .unauthorized && wrong.html.contains(#"id="password-error""#))
            let done = try await browser.post("/web/account/password", [("csrf", csrf), ("current", World.password), ("password", Self.newPassword)])
            #expect(done.status == .ok && done.html.contains("Your password was changed"))
        }
        _ = try await world.auth.signIn(username: "parent1", password: Self.newPassword)
    }
}

/// The times in account mails, as people read them (a new-user test found an ISO time).
@Suite struct AccountMailTimeTests {
    @Test("a code's expiry reads in words in each language, in UTC")
    func readableTimes() {
        let at = Date(timeIntervalSince1970: 1_796_140_020)  // 2026-12-01 15:47 UTC
        #expect(ResetMessages.stamp(at, "fr") == "1er décembre 2026 à 15:47")
        #expect(ResetMessages.stamp(at, "en") == "1 December 2026, 15:47")
        let mail = ResetMessages.code("A-CODE", username: "agent", expires: at, from: try! MailAddress("guichet@registre.example"),
                                      to: try! MailAddress("owner@exemple.example"), language: "fr")
        #expect(mail.text.contains("valable jusqu'au 1er décembre 2026 à 15:47 (UTC)") && mail.text.contains("valid until 1 December 2026, 15:47 (UTC)"))
        let parent = ResetMessages.code("A-CODE", username: "parent", expires: at, from: try! MailAddress("guichet@registre.example"),
                                        to: try! MailAddress("owner@exemple.example"), language: "fr", citizen: true)
        #expect(parent.text.contains("le service qui tient votre dossier") && !parent.text.contains("security officer"), "a citizen has no security officer")
    }

    @Test("a new contact address is used only once the code sent to it comes back: a wrong code, another account's, another address's or an expired one sets nothing; the message names no account; without a relay, 503")
    func contactNeedsProof() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let clock = ManualClock()
        let world = try await World.make(mailer: try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("guichet@registre.example")),
                                         clock: clock.function)
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent"))
        let agentToken = try await world.token("agent"), daycareToken = try await world.token("daycare1")
        let address = #"{"email": "someone.else@exemple.example"}"#
        func put(_ token: String, _ body: String) async throws -> Reply { try await call(world, admin: false, .put, "/v1/me/contact", token: token, body: body) }
        func with(_ code: String, _ email: String = "someone.else@exemple.example") -> String { #"{"email": "\#(email)", "code": "\#(code)"}"# }

        let asked = try await put(agentToken, address)
        #expect(asked.status == .accepted && asked["sentTo"]?.string == "s***@exemple.example")
        let mail = try #require(try sink.messages().last)
        #expect(mail.rcptTos == ["someone.else@exemple.example"])
        #expect(mail.text?.contains("agent") == false && mail.subject.contains("agent") == false, "no account named in a message to an address not yet proved")
        let code = try #require(PasswordResetTests.contactCode(in: mail.text))
        #expect(try await world.auth.maskedContact(of: agent.id) == nil, "nothing set before the code comes back")

        #expect(try await put(agentToken, with("AAAAA-AAAAA")).status == .forbidden)
        #expect(try await put(agentToken, with(code, "other@exemple.example")).status == .forbidden, "a code proves one address")
        _ = try await put(daycareToken, address)
        let daycareCode = try #require(PasswordResetTests.contactCode(in: try sink.messages().last?.text))
        #expect(try await put(agentToken, with(daycareCode)).status == .forbidden, "a code proves it for one account")
        #expect(try await world.auth.maskedContact(of: agent.id) == nil)

        // Lower case and without the dash, as typed by hand, within the day: set.
        #expect(try await put(agentToken, with(code.lowercased().replacingOccurrences(of: "-", with: ""))).status == .noContent)
        #expect(try await world.auth.maskedContact(of: agent.id) == "s***@exemple.example")
        let kinds = try await world.store.notices(account: agent.id).map(\.kind)
        #expect(kinds.contains("contact-code-sent") && kinds.contains("contact-changed"))

        // A code a day old no longer works; one of the last hour does (a citizen's session, made after the clock moved).
        _ = try await world.registerParent("parent.late")
        let parent = try #require(try await world.store.account(username: "parent.late"))
        let late = try MailAddress("late@exemple.example")
        let sentAt = Int64(clock.now.timeIntervalSince1970 / 3600)
        let old = world.auth.contactCode(late, account: parent.id, hour: sentAt)
        clock.advance(Authenticator.contactCodeLifetime + 3_600)
        let session = try await world.auth.signIn(username: "parent.late", password: World.password)
        await #expect(throws: GuichetError.forbidden("this confirmation code is wrong or expired, or was sent for another address: ask for a new one")) {
            try await world.auth.confirmContact(late.value, code: old, for: session.principal)
        }
        let recent = world.auth.contactCode(late, account: parent.id, hour: Int64(clock.now.timeIntervalSince1970 / 3600) - 1)
        try await world.auth.confirmContact(late.value, code: recent, for: session.principal)
        #expect(try await world.auth.maskedContact(of: parent.id) == "l***@exemple.example")

        // Without a relay the address cannot be proved: 503, nothing set.
        let bare = try await World.make()
        defer { bare.remove() }
        let bareToken = try await bare.token("agent")
        let refused = try await call(bare, admin: false, .put, "/v1/me/contact", token: bareToken, body: address)
        #expect(refused.status == .serviceUnavailable)
        #expect(try await bare.auth.maskedContact(of: try #require(try await bare.store.account(username: "agent")).id) == nil)
    }
}
