import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate

/// No privileged account by one hand (C17; R1: an intruder created an administrator on a
/// Saturday evening; R2: a stolen local administrator created two accounts that read 1.6 M files).
@Suite struct TwoPersonRuleTests {
    @Test("an account created or elevated by one admin alone cannot act until a second admin approves; privileged accounts are made on the console only")
    func secondAdminMustApprove() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: world.operatorOrg.id, createdBy: nil)
        try await world.withAdmin { client in
            let first = try await world.token("admin")
            let created = try await client.call(.post, "/admin/v1/accounts", token: first,
                                                body: #"{"username": "agent2", "password": "\#(World.password)", "role": "agent", "organisation": "\#(world.operatorOrg.id)"}"#)
            #expect(created.status == .created && created["status"]?.string == "pending")
            // Administrators and security officers are made on the console only (an insider audit:
            // two administrators made administrators, each a fresh approver, then 185 agents).
            let agentID = try await world.principal("agent").account
            for role in ["admin", "security"] {
                let privileged = try await client.call(.post, "/admin/v1/accounts/\(agentID)/role", token: first, body: #"{"role": "\#(role)"}"#)
                #expect(privileged.status == .forbidden && privileged.text.contains("on the server's console"), "\(privileged.text)")
                let made = try await client.call(.post, "/admin/v1/accounts", token: first,
                                                 body: #"{"username": "new.\#(role)", "password": "\#(World.password)", "role": "\#(role)", "organisation": "\#(world.operatorOrg.id)"}"#)
                #expect(made.status == .forbidden && made.text.contains("on the server's console"), "\(made.text)")
            }
            let elevate = try await client.call(.post, "/admin/v1/accounts/\(agentID)/role", token: first, body: #"{"role": "analyst"}"#)
            #expect(elevate.status == .accepted)

            // Not yet: the new account cannot sign in, the elevated one keeps its old role.
            #expect(try await client.call(.post, "/admin/v1/session", body: #"{"username": "agent", "password": "\#(World.password)"}"#).status == .unauthorized)
            let requests = try #require(try await client.call(.get, "/admin/v1/requests", token: first)["requests"]?.array)
            #expect(requests.count == 2)
            let ids = requests.compactMap { $0.object?["id"]?.string }
            for id in ids {
                let own = try await client.call(.post, "/admin/v1/requests/\(id)/approve", token: first)
                #expect(own.status == .forbidden, "the requester cannot approve their own request")
            }
            await #expect(throws: (any Error).self) { try await world.auth.signIn(username: "agent2", password: World.password) }

            let second = try await world.token("admin2")
            for id in ids { #expect(try await client.call(.post, "/admin/v1/requests/\(id)/approve", token: second).status == .ok) }
            #expect(try await client.call(.get, "/admin/v1/requests", token: first)["requests"]?.array?.isEmpty == true)
            #expect(try await world.store.account(username: "agent")?.role == "analyst", "the role change is made once approved")
        }
        _ = try await world.auth.signIn(username: "agent2", password: World.password)
        let notices = try await world.store.notices(account: try await world.principal("admin2").account)
        #expect(notices.filter { $0.kind == "privileged-account-request" }.count == 2, "every administrator was alerted")
    }

    @Test("approvals of one request sent at once: one approves, the others find it decided (404); no 500, one approval in the ledger (an API audit saw three)")
    func concurrentApprovals() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: world.operatorOrg.id, createdBy: nil)
        let before = try await world.ledger.journal().filter { $0.action == "provision:approve" }.count
        try await world.withAdmin { client in
            let first = try await world.token("admin")
            let created = try await client.call(.post, "/admin/v1/accounts", token: first,
                                                body: #"{"username": "agent2", "password": "\#(World.password)", "role": "agent", "organisation": "\#(world.operatorOrg.id)"}"#)
            #expect(created.status == .created)
            let id = try #require(try await client.call(.get, "/admin/v1/requests", token: first)["requests"]?.array?.first?.object?["id"]?.string)
            let second = try await world.token("admin2")
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<4 { group.addTask { try await client.call(.post, "/admin/v1/requests/\(id)/approve", token: second).status.code } }
                var all: [Int] = []
                for try await s in group { all.append(s) }
                return all.sorted()
            }
            #expect(statuses == [200, 404, 404, 404], "\(statuses)")
        }
        let after = try await world.ledger.journal().filter { $0.action == "provision:approve" }.count
        #expect(after - before == 1, "one approval journalled")
        _ = try await world.auth.signIn(username: "agent2", password: World.password)
    }

    @Test("an organisation's kind and name sent three times at once makes one organisation (an API audit made three)")
    func concurrentOrganisations() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        let results = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 {
                group.addTask { (try? await provisioning.addOrganisation(kind: "daycare", name: "CPE Concurrent", territory: nil, capacity: 3, by: .consoleTrustingTheKeyFile(requestID: "t"))) != nil }
            }
            var made = 0
            for await ok in group where ok { made += 1 }
            return made
        }
        #expect(results == 1)
        #expect(try await world.store.organisationExists(kind: "daycare", name: "CPE Concurrent"))
    }
}
