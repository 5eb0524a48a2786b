import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetMail
import GuichetMFA
@testable import GuichetStore

/// Lost second factor, or an account taken over (docs/AUTHENTICATION.md): an administrator
/// with a fresh second factor resets another account's factors after an identity check; until
/// a new one is enrolled with the activation code, whoever knows the password reaches nothing.
@Suite(.serialized) struct FactorResetTests {
    let admin = ActivationAdminTests()

    func call(_ world: World, admin onAdmin: Bool = true, _ method: HTTPRequest.Method, _ path: String, token: String?, body: String? = nil) async throws -> Reply {
        try await admin.call(world, admin: onAdmin, method, path, token: token, body: body)
    }

    /// Enrols a TOTP app in this session over the public API (with an activation code when
    /// given) and verifies it; returns the recovery codes, or nil when the enrolment was refused.
    func enrolTOTP(_ world: World, token: String, code: String?) async throws -> (status: HTTPResponse.Status, recovery: [String]) {
        let begun = try await call(world, admin: false, .post, "/v1/me/mfa/totp", token: token, body: code.map { #"{"activationCode": "\#($0)"}"# })
        guard begun.status == .created, let secret = begun["secret"]?.string else { return (begun.status, []) }
        let verified = try await call(world, admin: false, .post, "/v1/session/totp", token: token,
                                      body: #"{"code": "\#(try TOTPSecret(base32: secret).code(at: world.clock()))"}"#)
        #expect(verified.status == .ok)
        return (begun.status, verified["recoveryCodes"]?.array?.compactMap(\.string) ?? [])
    }

    @Test("a citizen's account taken over with its password: after a reset by hand, the intruder's sessions are gone, the password reaches nothing and enrols nothing; the owner enrols with the code and reaches their file")
    func takeoverStory() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("julie.synthetic")
        let file = try await world.application(by: "julie.synthetic").id
        let citizen = try #require(try await world.store.account(username: "julie.synthetic"))
        let owner = try await world.auth.signIn(username: "julie.synthetic", password: World.password).token
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(file)", token: owner).status == .ok)

        // The intruder knows the password: a citizen's first factor needs no code, so they enrol their own app.
        let intruder = try await world.auth.signIn(username: "julie.synthetic", password: World.password).token
        let (enrolled, intruderRecovery) = try await enrolTOTP(world, token: intruder, code: nil)
        #expect(enrolled == .created && intruderRecovery.count == 10)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(file)", token: intruder).status == .ok)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(file)", token: owner).status == .forbidden, "the owner is locked out")

        // The owner comes to the counter; an administrator checks their identity and resets, by hand.
        let adminToken = try await world.token("admin"), admin2 = try await ActivationAdminTests.secondAdmin(world)
        let reset = try await call(world, .post, "/admin/v1/accounts/\(citizen.id)/factors/reset", token: adminToken,
                                   body: #"{"reason": "account taken over, identity checked at the counter", "delivery": "hand"}"#)
        #expect(reset.status == .accepted && reset["status"]?.string == "awaiting-approval" && reset["code"] == nil)
        #expect(reset["factorsRemoved"]?.integer == 11 && reset["sessionsEnded"]?.integer == 3)
        let activation = try #require(reset["id"]?.string)
        #expect(try await call(world, .post, "/admin/v1/activations/\(activation)/approve", token: adminToken).status == .forbidden)
        let approved = try await call(world, .post, "/admin/v1/activations/\(activation)/approve", token: admin2)
        let code = try #require(approved["code"]?.string)

        // The intruder's sessions are gone; the password reaches no data and enrols nothing without the code.
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(file)", token: intruder).status == .unauthorized)
        let again = try await world.auth.signIn(username: "julie.synthetic", password: World.password).token
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(file)", token: again).status == .forbidden)
        #expect(try await call(world, admin: false, .post, "/v1/session/recovery", token: again,
                               body: #"{"code": "\#(intruderRecovery[0])"}"#).status == .unauthorized, "the intruder's recovery codes are gone")
        #expect(try await enrolTOTP(world, token: again, code: nil).status == .forbidden)
        #expect(try await enrolTOTP(world, token: again, code: "AAAAA-BBBBB-CCCCC-DDDDD").status == .forbidden)
        #expect(try await world.store.account(id: citizen.id)?.factorsReset == true)

        // The owner signs in and enrols a new app with the code, then reaches their file.
        let back = try await world.auth.signIn(username: "julie.synthetic", password: World.password).token
        #expect(try await enrolTOTP(world, token: back, code: code).status == .created)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(file)", token: back).status == .ok)
        #expect(try await world.store.account(id: citizen.id)?.factorsReset == false)
        #expect(try await enrolTOTP(world, token: again, code: code).status == .forbidden, "the code was used once")

        // Kept and told: the reset with its reason, the ledger, the owner and the security officers.
        let kept = try await world.store.factorResets(of: citizen.id)
        #expect(kept.count == 1 && kept.first?.reason == "account taken over, identity checked at the counter")
        #expect(kept.first?.by == (try await world.store.account(username: "admin"))?.id)
        #expect(try await world.ledgerActions().contains("provision:factor-reset"))
        #expect(try await world.store.notices(account: citizen.id).contains { $0.kind == "second-factors-reset" })
        let officer = try #require(try await world.store.account(username: "security"))
        #expect(try await world.store.notices(account: officer.id).contains { $0.kind == "second-factors-reset" })
    }

    @Test("refused: a security officer, an administrator without a fresh factor, one's own account (403); an empty reason or another delivery (400); an unknown account (404); nothing changes")
    func refusals() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let adminToken = try await world.token("admin"), security = try await world.token("security"), agentToken = try await world.token("agent")
        let agent = try #require(try await world.store.account(username: "agent"))
        let me = try #require(try await world.store.account(username: "admin"))
        let stale = try await world.auth.signIn(username: "admin", password: World.password).token
        let body = #"{"reason": "lost phone, identity checked"}"#
        let path = "/admin/v1/accounts/\(agent.id)/factors/reset"
        #expect(try await call(world, .post, path, token: security, body: body).status == .forbidden)
        #expect(try await call(world, .post, path, token: stale, body: body).status == .forbidden)
        #expect(try await call(world, .post, "/admin/v1/accounts/\(me.id)/factors/reset", token: adminToken, body: body).status == .forbidden)
        #expect(try await call(world, .post, path, token: adminToken, body: #"{"reason": ""}"#).status == .badRequest)
        #expect(try await call(world, .post, path, token: adminToken, body: #"{"reason": "   "}"#).status == .badRequest)
        #expect(try await call(world, .post, path, token: adminToken, body: "{}").status == .badRequest)
        #expect(try await call(world, .post, path, token: adminToken, body: #"{"reason": "lost phone", "delivery": "email"}"#).status == .badRequest)
        // The reason is kept for good: no e-mail address, no telephone or identity number in it.
        for personal in ["called, someone@example.org", "called back on 06 12 34 56 78", "card 1850799123456 checked"] {
            let refused = try await call(world, .post, path, token: adminToken, body: #"{"reason": "\#(personal)"}"#)
            #expect(refused.status == .badRequest && refused.text.contains("no personal detail") && !refused.text.contains("example.org"), "\(refused.text)")
        }
        #expect(ReasonText.withoutPersonalDetail("lost phone on 2026-12-01, identity checked at the office") != nil, "a date with separators is fine")
        #expect(try await call(world, .post, "/admin/v1/accounts/\(AccountID())/factors/reset", token: adminToken, body: body).status == .notFound)

        #expect(try await world.store.factors(account: agent.id).count == 11, "the agent's app and recovery codes are still there")
        #expect(try await world.store.account(id: agent.id)?.factorsReset == false)
        #expect(try await world.store.factorResets(of: agent.id).isEmpty)
        #expect(try await world.store.factorResets(of: me.id).isEmpty)
        #expect(try await call(world, admin: false, .get, "/v1/me", token: agentToken).status == .ok, "the agent's session is open")
        #expect(try await !world.ledgerActions().contains("provision:factor-reset"))
    }

    @Test("a colleague who lost their phone: the code goes by e-mail to their address; by hand when the administrator says so; the old session ends")
    func staffLostPhone() async throws {
        let (sink, world) = try await PasswordResetTests.mailWorld()
        defer { sink.stop(); world.remove() }
        let agentToken = try await world.token("agent")
        let agent = try #require(try await world.store.account(username: "agent"))
        #expect(try await call(world, admin: false, .put, "/v1/me/contact", token: agentToken,
                               body: #"{"email": "agent.owner@exemple.example"}"#).status == .accepted)
        let proof = try #require(PasswordResetTests.contactCode(in: try sink.messages().last?.text))
        #expect(try await call(world, admin: false, .put, "/v1/me/contact", token: agentToken,
                               body: #"{"email": "agent.owner@exemple.example", "code": "\#(proof)"}"#).status == .noContent)
        try sink.clear()
        let adminToken = try await world.token("admin")
        let path = "/admin/v1/accounts/\(agent.id)/factors/reset"

        // By hand first, though there is an address: it waits for a second administrator.
        let byHand = try await call(world, .post, path, token: adminToken, body: #"{"reason": "lost phone, identity checked", "delivery": "hand"}"#)
        #expect(byHand.status == .accepted && byHand["status"]?.string == "awaiting-approval" && byHand["delivery"]?.string == "hand")
        #expect(try sink.messages().isEmpty)
        #expect(try await call(world, admin: false, .get, "/v1/me", token: agentToken).status == .unauthorized)

        // Then the usual way: to the address, and the administrator never sees the code.
        let mailed = try await call(world, .post, path, token: adminToken, body: #"{"reason": "lost phone, identity checked"}"#)
        #expect(mailed.status == .accepted && mailed["delivery"]?.string == "email" && mailed["sentTo"]?.string == "a***@exemple.example", "\(mailed.status) \(mailed.text)")
        #expect(mailed["code"] == nil && mailed["factorsRemoved"]?.integer == 0)
        let mail = try sink.messages()
        try #require(mail.count == 1)
        #expect(mail[0].rcptTos == ["agent.owner@exemple.example"] && mail[0].text?.contains("reset") == true)
        let code = try #require(ActivationAdminTests.code(in: mail[0].text))
        #expect(!mailed.text.contains(code))
        #expect(try await world.store.activationsAwaitingApproval().isEmpty, "the hand-over still waiting was replaced")

        let session = try await world.auth.signIn(username: "agent", password: World.password).token
        #expect(try await enrolTOTP(world, token: session, code: nil).status == .forbidden)
        #expect(try await enrolTOTP(world, token: session, code: code).status == .created)
        #expect(try await world.store.account(id: agent.id)?.factorsReset == false)
        #expect(try await world.store.factorResets(of: agent.id).count == 2)
    }

    @Test("an administrator's session resets no privileged account's factors (403, nothing changes): one stolen session would lock the other administrators and the security officers out; the console does it")
    func privilegedAccountsOnTheConsole() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let adminToken = try await world.token("admin"), admin2 = try await ActivationAdminTests.secondAdmin(world)
        let security = try await world.token("security")
        for name in ["admin2", "security"] {
            let other = try #require(try await world.store.account(username: name))
            let factors = try await world.store.factors(account: other.id).count
            let reset = try await call(world, .post, "/admin/v1/accounts/\(other.id)/factors/reset", token: adminToken,
                                       body: #"{"reason": "lost phone and recovery codes"}"#)
            #expect(reset.status == .forbidden && reset.text.contains("guichet accounts reset-factors"), "\(reset.text)")
            #expect(try await world.store.factors(account: other.id).count == factors && factors > 0, "its factors stay")
            #expect(try await world.store.factorResets(of: other.id).isEmpty)
        }
        #expect(try await call(world, .get, "/admin/v1/watch/alerts", token: security).status == .ok, "the officer's session still works")
        #expect(try await call(world, .get, "/admin/v1/activations", token: admin2).status == .ok, "and the other administrator's")
        // The operator on the server resets it (the way back for a lost phone).
        let other = try #require(try await world.store.account(username: "admin2"))
        let done = try await world.auth.consoleResetFactors(of: other.id, reason: "lost phone, identity checked at the office")
        guard case .handed = done.activation else { Issue.record("the console hands the code to its operator: \(done.activation)"); return }
        #expect(try await world.store.factors(account: other.id).isEmpty)
    }
}
