import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetStore

/// Provisioning over the admin API (issue 16, item 1): territories, organisations of the
/// profile's kinds, accounts under the two-person rule, leavers; every step in the ledger, bad
/// input changing nothing.
@Suite(.serialized) struct ProvisioningAPITests {
    static let newPassword = "a long passphrase for a new colleague"

    @Test("an administrator adds a territory, an organisation and its partner account, which works only after a second administrator approves; each step is in the ledger")
    func provisionsUnderTwoPersons() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin"), admin2 = try await world.secondAdmin()
        let territory = try await call(world, .post, "/admin/v1/territories", token: admin, body: #"{"code": "13", "name": "Bouches-du-Rhône"}"#)
        #expect(territory.status == .created && territory["code"]?.string == "13")
        #expect(try await call(world, .get, "/admin/v1/territories", token: admin)["territories"]?.array?.count == 1)
        let org = try await call(world, .post, "/admin/v1/organisations", token: admin,
                                 body: #"{"kind": "daycare", "name": "CPE Les Calanques", "territory": "13", "capacity": 60}"#)
        #expect(org.status == .created && org["kind"]?.string == "daycare" && org["capacity"]?.integer == 60)
        let orgID = try #require(org["id"]?.string)
        let listed = try await call(world, admin: false, .get, "/v1/organisations?kind=daycare")
        #expect(listed["organisations"]?.array?.contains { $0.object?["id"]?.string == orgID } == true)

        let created = try await call(world, .post, "/admin/v1/accounts", token: admin, body: """
            {"username": "calanques.service", "password": "\(Self.newPassword)", "role": "daycare", "organisation": "\(orgID)", "territory": "13"}
            """)
        #expect(created.status == .created && created["status"]?.string == "pending")
        let code = try #require(created["activation"]?.object?["code"]?.string)
        await #expect(throws: GuichetError.self) { try await world.auth.signIn(username: "calanques.service", password: Self.newPassword) }
        let request = try #require(try await world.store.pendingRequests().first)
        #expect(try await call(world, .post, "/admin/v1/requests/\(request.id)/approve", token: admin).status == .forbidden)
        #expect(try await call(world, .post, "/admin/v1/requests/\(request.id)/approve", token: admin2).status == .ok)
        let session = try await world.auth.signIn(username: "calanques.service", password: Self.newPassword)
        #expect(session.principal.organisation?.rawValue == orgID && session.principal.territory == "13")
        _ = try await world.auth.beginTOTP(session.principal, activationCode: code)

        let actions = try await world.ledgerActions()
        for step in ["provision:territory", "provision:organisation", "provision:account-create", "provision:approve"] {
            #expect(actions.contains(step), "\(step) is journalled")
        }
        let entries = try await world.ledger.journal().filter { $0.action.hasPrefix("provision:") }
        #expect(entries.allSatisfy { $0.account != nil && !$0.reason.contains("calanques") }, "journalled under the administrator, no user name")
    }

    @Test("bad provisioning input is refused with a clear error and changes nothing, not even the ledger")
    func badInputChangesNothing() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin"), security = try await world.token("security")
        #expect(try await call(world, .post, "/admin/v1/territories", token: admin, body: #"{"code": "06", "name": "Alpes-Maritimes"}"#).status == .created)
        let before = try await world.snapshot()
        let cases: [(String, String, Int, String)] = [
            ("/admin/v1/territories", #"{"code": "06", "name": "again"}"#, 409, "exists"),
            ("/admin/v1/territories", #"{"code": "a b", "name": "x"}"#, 400, "territory code"),
            ("/admin/v1/territories", #"{"code": "07"}"#, 400, "name"),
            ("/admin/v1/organisations", #"{"kind": "bakery", "name": "X"}"#, 400, "expected one of: operator, daycare, ministry"),
            ("/admin/v1/organisations", #"{"kind": "daycare", "name": "X", "territory": "99"}"#, 400, "unknown territory"),
            ("/admin/v1/organisations", #"{"kind": "daycare", "name": "X", "capacity": -1}"#, 400, "capacity"),
            ("/admin/v1/organisations", #"{"kind": "daycare", "name": "CPE 1"}"#, 409, "exists"),
            ("/admin/v1/organisations", #"{"kind": "daycare", "name": "X", "colour": "red"}"#, 400, "colour"),
            ("/admin/v1/accounts", #"{"username": "p1", "password": "\#(Self.newPassword)", "role": "parent"}"#, 400, "citizens"),
            ("/admin/v1/accounts", #"{"username": "agent", "password": "\#(Self.newPassword)", "role": "agent", "organisation": "\#(world.operatorOrg.id)"}"#, 409, "taken"),
            ("/admin/v1/accounts", #"{"username": "agent9", "password": "\#(Self.newPassword)", "role": "agent", "organisation": "\#(world.operatorOrg.id)", "territory": "99"}"#, 400, "unknown territory"),
            ("/admin/v1/accounts", #"{"username": "agent9", "password": "\#(Self.newPassword)", "role": "daycare", "organisation": "\#(world.operatorOrg.id)"}"#, 400, "kind 'daycare'"),
        ]
        for (path, body, status, words) in cases {
            let r = try await call(world, .post, path, token: admin, body: body)
            #expect(Int(r.status.code) == status && r.text.contains(words), "\(path) \(body): \(r.status) \(r.text)")
        }
        // A security officer is not an administrator; no token at all is no one.
        #expect(try await call(world, .post, "/admin/v1/territories", token: security, body: #"{"code": "08", "name": "x"}"#).status == .forbidden)
        #expect(try await call(world, .post, "/admin/v1/organisations", body: #"{"kind": "daycare", "name": "Y"}"#).status == .unauthorized)
        let after = try await world.snapshot()
        #expect(after == before)
    }

    @Test("a leaver's account is deactivated for good: sessions end, sign-in fails, a reinstatement cannot bring it back")
    func leaverIsDeactivated() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin"), security = try await world.token("security")
        let agentToken = try await world.token("agent")
        let agent = try await world.principal("agent").account
        let adminID = try await world.principal("admin").account
        #expect(try await call(world, admin: false, .get, "/v1/me", token: agentToken).status == .ok)
        let before = try await world.snapshot()
        #expect(try await call(world, .post, "/admin/v1/accounts/\(agent)/deactivate", token: admin, body: #"{"reason": ""}"#).status == .badRequest)
        #expect(try await call(world, .post, "/admin/v1/accounts/\(adminID)/deactivate", token: admin, body: #"{"reason": "left"}"#).status == .forbidden)
        #expect(try await call(world, .post, "/admin/v1/accounts/\(AccountID())/deactivate", token: admin, body: #"{"reason": "left"}"#).status == .notFound)
        #expect(try await world.snapshot() == before)

        let done = try await call(world, .post, "/admin/v1/accounts/\(agent)/deactivate", token: admin, body: #"{"reason": "left the service"}"#)
        #expect(done.status == .ok && done["status"]?.string == "deactivated")
        #expect(try await call(world, admin: false, .get, "/v1/me", token: agentToken).status == .unauthorized)
        await #expect(throws: GuichetError.self) { try await world.auth.signIn(username: "agent", password: World.password) }
        #expect(try await call(world, .post, "/admin/v1/accounts/\(agent)/deactivate", token: admin, body: #"{"reason": "left"}"#).status == .conflict)
        #expect(try await call(world, .post, "/admin/v1/accounts/\(agent)/role", token: admin, body: #"{"role": "admin"}"#).status == .conflict)
        // Nothing that lifts a suspension lifts a departure, not even the database's own path.
        let reinstated = try await call(world, .post, "/admin/v1/accounts/\(agent)/reinstate", token: security,
                                        body: #"{"reason": "reinstating a leaver by mistake"}"#)
        #expect(reinstated.status != .ok)
        #expect(await (try world.database).refuses("UPDATE account SET status = 'active' WHERE id = '\(agent)'"), "the database itself refuses to bring a leaver back")
        #expect(try await world.store.account(id: agent)?.status == "disabled")
        #expect(try await world.ledgerActions().contains("provision:deactivate"))
    }
}
