import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore

/// No privileged account removed by one hand (C17): one administrator asks for the
/// deactivation of an administrator, an account administrator or a security officer; a second
/// administrator approves it; the last active administrator or security officer is never
/// deactivated. A leaver's staff account is still deactivated at once.
@Suite(.serialized) struct PrivilegedDeactivationTests {
    /// Another account of this role in the operator's organisation, signed in with a fresh second factor.
    func colleague(_ world: World, _ username: String, role: String) async throws -> (AccountID, String) {
        let id = try await world.auth.createAccount(username: username, password: World.password, role: role,
                                                    organisation: world.operatorOrg.id, createdBy: nil)
        return (id, try await world.token(username))
    }

    func deactivate(_ world: World, _ account: AccountID, token: String) async throws -> Reply {
        try await call(world, .post, "/admin/v1/accounts/\(account)/deactivate", token: token, body: #"{"reason": "left the service"}"#)
    }

    @Test("an administrator's deactivation of another administrator is a request (202): the account stays active until a second administrator approves; the requester cannot approve")
    func administratorNeedsASecond() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin")
        let (admin2, admin2Token) = try await colleague(world, "admin2", role: "admin")
        let (_, admin3Token) = try await colleague(world, "admin3", role: "admin")

        let asked = try await deactivate(world, admin2, token: admin)
        #expect(asked.status == .accepted && asked["status"]?.string == "pending" && asked["kind"]?.string == "deactivate")
        let id = try #require(asked["id"]?.string)
        #expect(try await world.store.account(id: admin2)?.status == "active")
        #expect(try await world.store.departure(of: admin2) == nil)
        #expect(try await call(world, .get, "/admin/v1/requests", token: admin2Token).status != .unauthorized, "the account still works")
        // Asked twice: the first request stands.
        #expect(try await deactivate(world, admin2, token: admin).status == .conflict)
        let listed = try await call(world, .get, "/admin/v1/requests", token: admin3Token)
        #expect(listed["requests"]?.array?.contains { $0.object?["id"]?.string == id && $0.object?["kind"]?.string == "deactivate" } == true)
        // Every administrator and security officer is told.
        let security = try await world.principal("security").account
        #expect(try await world.store.notices(account: security).contains { $0.kind == "privileged-deactivation-request" })

        // Neither the requester nor the account concerned approves.
        #expect(try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin).status == .forbidden)
        #expect(try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin2Token).status == .forbidden)
        #expect(try await world.store.account(id: admin2)?.status == "active")

        let approved = try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin3Token)
        #expect(approved.status == .ok && approved["status"]?.string == "approved")
        #expect(try await world.store.account(id: admin2)?.status == "disabled")
        #expect(try await world.store.departure(of: admin2)?.by == world.principal("admin3").account)
        #expect(try await call(world, .get, "/admin/v1/requests", token: admin2Token).status == .unauthorized, "its sessions ended")
        #expect(try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin3Token).status == .notFound, "approved once")
        let actions = try await world.ledgerActions()
        #expect(actions.contains("provision:deactivate-request") && actions.contains("provision:deactivate"))
    }

    @Test("a security officer's deactivation waits for a second administrator; the last active security officer is never deactivated, asked for or approved")
    func securityOfficer() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin")
        let (_, admin2Token) = try await colleague(world, "admin2", role: "admin")
        let security = try await world.principal("security").account

        let last = try await deactivate(world, security, token: admin)
        #expect(last.status == .forbidden && last.text.contains("last active security officer"))
        #expect(try await world.store.pendingDepartureRequests().isEmpty)

        let (security2, _) = try await colleague(world, "security2", role: "security")
        let first = try await deactivate(world, security, token: admin)
        #expect(first.status == .accepted)
        #expect(try await world.store.account(id: security)?.status == "active")
        let second = try await deactivate(world, security2, token: admin)
        #expect(second.status == .accepted, "each alone would leave an officer")
        #expect(try await call(world, .post, "/admin/v1/requests/\(try #require(first["id"]?.string))/approve", token: admin2Token).status == .ok)
        #expect(try await world.store.account(id: security)?.status == "disabled")
        let refused = try await call(world, .post, "/admin/v1/requests/\(try #require(second["id"]?.string))/approve", token: admin2Token)
        #expect(refused.status == .forbidden && refused.text.contains("last active security officer"))
        #expect(try await world.store.account(id: security2)?.status == "active")
    }

    @Test("the last active administrator is never deactivated, even from the console; a staff account is still deactivated at once")
    func lastAdministratorAndLeavers() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let admin = try await world.token("admin")
        let adminID = try await world.principal("admin").account
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        await #expect {
            try await provisioning.deactivate(adminID, reason: "left the service", by: .consoleTrustingTheKeyFile(requestID: "test"))
        } throws: { error in
            if case GuichetError.forbidden(let why) = error { why.contains("last active administrator") } else { false }
        }
        #expect(try await world.store.account(id: adminID)?.status == "active")
        // The console deactivates a privileged account at once (it holds the key file anyway).
        let (admin2, _) = try await colleague(world, "admin2", role: "admin")
        #expect(try await provisioning.deactivate(admin2, reason: "left the service", by: .consoleTrustingTheKeyFile(requestID: "test")) == .deactivated)
        #expect(try await world.store.account(id: admin2)?.status == "disabled")

        let agent = try await world.principal("agent").account
        let done = try await deactivate(world, agent, token: admin)
        #expect(done.status == .ok && done["status"]?.string == "deactivated")
        #expect(try await world.store.account(id: agent)?.status == "disabled")
    }

    @Test("the database refuses an approval of a deactivation by its requester, and a request for oneself")
    func databaseRefusesOneHand() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let adminID = try await world.principal("admin").account
        let (admin2, _) = try await colleague(world, "admin2", role: "admin")
        let r = DepartureRequest(id: "dep-1", account: admin2, reason: "left the service", requestedBy: adminID, requestedAt: Date())
        try await world.store.insert(departureRequest: r)
        await #expect(throws: (any Error).self) { _ = try await world.store.approve(departureRequest: "dep-1", by: adminID, at: Date()) }
        #expect(try await world.store.account(id: admin2)?.status == "active")
        await #expect(throws: (any Error).self) {
            try await world.store.insert(departureRequest: DepartureRequest(id: "dep-2", account: adminID, reason: "x", requestedBy: adminID, requestedAt: Date()))
        }
    }
}
