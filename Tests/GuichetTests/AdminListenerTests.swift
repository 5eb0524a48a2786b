import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetServer

/// The admin surface lives on its own listener (loopback by default): the public one has none of it.
@Suite struct AdminListenerTests {
    @Test("the public listener answers 404 to every admin path", arguments: OpenAPIRoutes.admin.filter { $0.path.hasPrefix("/admin") })
    func publicListenerHasNoAdminPath(_ route: OpenAPIRoutes.Route) async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            let token = try await world.token("agent")
            let path = route.path.replacingOccurrences(of: "{id}", with: DossierID().rawValue).replacingOccurrences(of: "{version}", with: "1")
            let r = try await client.call(HTTPRequest.Method(route.method.uppercased())!, path, token: token, body: route.method == "get" ? nil : "{}")
            #expect(r.status == .notFound)
        }
    }

    @Test("an admin or security officer cannot sign in on the public listener, and a public account cannot on the admin one")
    func listenersKeepTheirAccounts() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            for name in ["admin", "security"] {
                let r = try await client.call(.post, "/v1/session", body: #"{"username": "\#(name)", "password": "\#(World.password)"}"#)
                #expect(r.status == .unauthorized)
            }
        }
        try await world.withAdmin { client in
            let r = try await client.call(.post, "/admin/v1/session", body: #"{"username": "security", "password": "\#(World.password)"}"#)
            #expect(r.status == .created)
        }
        try await world.withAdmin { client in
            let r = try await client.call(.post, "/admin/v1/session", body: #"{"username": "agent", "password": "\#(World.password)"}"#)
            #expect(r.status == .unauthorized)
        }
    }

    @Test("an admin lists versions of a withdrawn dossier and restores it over the admin API")
    func adminRestoresOverHTTP() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        _ = try await world.gate.transition(a.id, "withdraw", try await world.request("parent1"))
        try await world.withAdmin { client in
            let token = try await world.token("admin")
            let versions = try await client.call(.get, "/admin/v1/dossiers/\(a.id)/versions", token: token)
            #expect(versions["versions"]?.array?.compactMap { $0.object?["status"]?.string } == ["withdrawn", "waiting"])
            let old = try await client.call(.get, "/admin/v1/dossiers/\(a.id)/versions/1", token: token)
            #expect(old["status"]?.string == "waiting")
            // The old version's own number and time, not the current ones (an attacker's audit).
            let changedAt = versions["versions"]?.array?.last?.object?["changedAt"]?.string
            #expect(old["version"]?.integer == 1 && changedAt != nil && old["updatedAt"]?.string == changedAt, "\(old.text)")
            let restored = try await client.call(.post, "/admin/v1/dossiers/\(a.id)/versions/1/restore", token: token)
            #expect(restored.status == .ok && restored["version"]?.integer == 3 && restored["status"]?.string == "waiting")
            let bad = try await client.call(.post, "/admin/v1/dossiers/\(a.id)/versions/9/restore", token: token)
            #expect(bad.status == .badRequest)
            let accounts = try await client.call(.get, "/admin/v1/accounts", token: token)
            #expect(accounts.text.contains("\"agent\"") && !accounts.text.contains("scrypt"), "accounts are listed without their hashes")
        }
    }

    @Test("an admin listener on a public address is refused unless explicitly allowed")
    func adminOnPublicAddressIsRefused() throws {
        #expect(throws: ConfigurationError.self) { try ListenerConfiguration(adminHost: "0.0.0.0").check(allowPublicAdmin: false) }
        #expect(throws: ConfigurationError.self) { try ListenerConfiguration(publicPort: 9000, adminPort: 9000).check(allowPublicAdmin: false) }
        try ListenerConfiguration(adminHost: "0.0.0.0").check(allowPublicAdmin: true)
        try ListenerConfiguration().check(allowPublicAdmin: false)
    }

    @Test("a public listener off loopback without a TLS proxy in front is refused")
    func publicWithoutTLSIsRefused() throws {
        #expect { try ListenerConfiguration(publicHost: "0.0.0.0").check(allowPublicAdmin: false) } throws: { error in
            (error as? ConfigurationError)?.description.contains("without TLS") == true
        }
        try ListenerConfiguration(publicHost: "0.0.0.0").check(allowPublicAdmin: false, behindTLSProxy: true)
    }
}
