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

/// Activation codes issued by administrators over the admin API (issue 14, item 3): given once
/// to the creating administrator, e-mailed to the account's address through a real SMTP server,
/// or, issued again for hand delivery, only after a second administrator's approval.
@Suite(.serialized) struct ActivationAdminTests {
    static let newPassword = "a long passphrase for a new colleague"

    /// The activation code in a message: the one indented line of four groups of five.
    static func code(in text: String?) -> String? {
        text?.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }.first { line in
            let groups = line.split(separator: "-")
            return groups.count == 4 && groups.allSatisfy { $0.count == 5 && $0.allSatisfy { $0.isUppercase || $0.isNumber } }
        }
    }

    /// A second administrator, signed in with a fresh second factor.
    static func secondAdmin(_ world: World) async throws -> String {
        _ = try await world.auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: world.operatorOrg.id, createdBy: nil)
        return try await world.token("admin2")
    }

    func call(_ world: World, admin: Bool = true, _ method: HTTPRequest.Method, _ path: String, token: String?, body: String? = nil) async throws -> Reply {
        let out = Mutex<Reply?>(nil)
        let run: @Sendable (any TestClientProtocol) async throws -> Void = { client in
            let r = try await client.call(method, path, token: token, body: body)
            out.withLock { $0 = r }
        }
        if admin { try await world.withAdmin(run) } else { try await world.withPublic(run) }
        return try #require(out.withLock { $0 })
    }

    /// Signs in on the public listener and enrols a TOTP factor with this activation code.
    func enrol(_ world: World, _ username: String, password: String, code: String?) async throws -> Reply {
        let session = try await world.auth.signIn(username: username, password: password)
        return try await call(world, admin: false, .post, "/v1/me/mfa/totp", token: session.token,
                              body: code.map { #"{"activationCode": "\#($0)"}"# })
    }

    @Test("an administrator creating an account without an address receives its activation code once, to hand over")
    func creationHandsTheCode() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin"), admin2 = try await Self.secondAdmin(world)
        let created = try await call(world, .post, "/admin/v1/accounts", token: admin, body: """
            {"username": "agent2", "password": "\(Self.newPassword)", "role": "agent", "organisation": "\(world.operatorOrg.id)"}
            """)
        #expect(created.status == .created)
        let activation = try #require(created["activation"]?.object)
        #expect(activation["delivery"]?.string == "hand" && activation["expiresAt"]?.string != nil)
        let code = try #require(activation["code"]?.string)
        // The account waits for the second administrator (C17), then its owner enrols with the code.
        let request = try #require(try await world.store.pendingRequests().first)
        #expect(try await call(world, .post, "/admin/v1/requests/\(request.id)/approve", token: admin2).status == .ok)
        #expect(try await enrol(world, "agent2", password: Self.newPassword, code: nil).status == .forbidden)
        #expect(try await enrol(world, "agent2", password: Self.newPassword, code: code).status == .created)
    }

    @Test("a new code to hand over waits for a second administrator, and only the approver receives it")
    func reissueNeedsTwoAdministrators() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin"), admin2 = try await Self.secondAdmin(world)
        let agent = try #require(try await world.store.account(username: "agent"))
        let asked = try await call(world, .post, "/admin/v1/accounts/\(agent.id)/activation", token: admin)
        #expect(asked.status == .accepted && asked["status"]?.string == "awaiting-approval" && asked["code"] == nil)
        let id = try #require(asked["id"]?.string)
        let listed = try await call(world, .get, "/admin/v1/activations", token: admin2)
        #expect(listed["activations"]?.array?.count == 1)
        #expect(try await world.store.notices(account: try #require(try await world.store.account(username: "admin2")).id)
                    .contains { $0.kind == "activation-code-request" })
        #expect(try await call(world, .post, "/admin/v1/activations/\(id)/approve", token: admin).status == .forbidden)
        let approved = try await call(world, .post, "/admin/v1/activations/\(id)/approve", token: admin2)
        #expect(approved.status == .ok && approved["delivery"]?.string == "hand")
        let code = try #require(approved["code"]?.string)
        #expect(try await call(world, .post, "/admin/v1/activations/\(id)/approve", token: admin2).status == .notFound, "approved once")
        #expect(try await enrol(world, "agent", password: World.password, code: code).status == .created)
    }

    @Test("no new code for an account with a second factor, and none issued by a security officer")
    func reissueRefusals() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin"), security = try await world.token("security")
        _ = try await world.token("agent")
        let agent = try #require(try await world.store.account(username: "agent"))
        let analyst = try #require(try await world.store.account(username: "analyst"))
        #expect(try await call(world, .post, "/admin/v1/accounts/\(agent.id)/activation", token: admin).status == .conflict)
        #expect(try await call(world, .post, "/admin/v1/accounts/\(analyst.id)/activation", token: security).status == .forbidden)
        #expect(try await call(world, .post, "/admin/v1/accounts/\(AccountID())/activation", token: admin).status == .notFound)
        #expect(try await world.database.count("activation_code", where: "account_id = '\(analyst.id)'") == 0)
    }

    @Test("an activation code goes through a real SMTP server to the address set at creation; the administrator never sees it")
    func codeByEmail() async throws {
        let (sink, world) = try await PasswordResetTests.mailWorld()
        defer { sink.stop(); world.remove() }
        let admin = try await world.token("admin"), admin2 = try await Self.secondAdmin(world)
        let created = try await call(world, .post, "/admin/v1/accounts", token: admin, body: """
            {"username": "agent2", "password": "\(Self.newPassword)", "role": "agent", "organisation": "\(world.operatorOrg.id)",
             "email": "new.colleague@exemple.example"}
            """)
        #expect(created.status == .created)
        let activation = try #require(created["activation"]?.object)
        #expect(activation["delivery"]?.string == "email" && activation["sentTo"]?.string == "n***@exemple.example" && activation["code"] == nil)
        let mail = try sink.messages()
        try #require(mail.count == 1)
        #expect(mail[0].rcptTos == ["new.colleague@exemple.example"] && mail[0].defects.isEmpty)
        let code = try #require(Self.code(in: mail[0].text))
        #expect(!created.text.contains(code), "the administrator never sees the code")
        let account = try #require(try await world.store.account(username: "agent2"))
        let request = try #require(try await world.store.pendingRequests().first)
        #expect(try await call(world, .post, "/admin/v1/requests/\(request.id)/approve", token: admin2).status == .ok)

        // A new code goes to the same address at once (it reaches only the owner); the first one is void.
        let again = try await call(world, .post, "/admin/v1/accounts/\(account.id)/activation", token: admin)
        #expect(again.status == .accepted && again["delivery"]?.string == "email" && again["code"] == nil)
        let second = try #require(Self.code(in: try sink.messages().last?.text))
        #expect(try await enrol(world, "agent2", password: Self.newPassword, code: code).status == .forbidden)
        #expect(try await enrol(world, "agent2", password: Self.newPassword, code: second).status == .created)
    }

    @Test("an address given where no mail relay is configured is refused, and no account is created")
    func addressWithoutRelay() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin")
        let r = try await call(world, .post, "/admin/v1/accounts", token: admin, body: """
            {"username": "agent2", "password": "\(Self.newPassword)", "role": "agent", "organisation": "\(world.operatorOrg.id)",
             "email": "new.colleague@exemple.example"}
            """)
        #expect(r.status == .serviceUnavailable)
        #expect(try await world.store.account(username: "agent2") == nil)
        let bad = try await call(world, .post, "/admin/v1/accounts", token: admin, body: """
            {"username": "agent3", "password": "\(Self.newPassword)", "role": "agent", "organisation": "\(world.operatorOrg.id)", "email": "not an address"}
            """)
        #expect(bad.status == .badRequest && bad["detail"]?.string == "'email' is not a valid e-mail address")
        #expect(try await world.store.account(username: "agent3") == nil)
    }
}
