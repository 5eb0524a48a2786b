import Foundation
import Testing
import GuichetCore

/// The explain admin API: rule by rule, for security officers and administrators, on the
/// admin listener only.
@Suite struct PolicyAdminAPITests {
    @Test("a security officer asks the admin API why a partner adviser cannot read a file")
    func explainOverHTTP() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let partner = try #require(world.accounts["partner1"])
        let outside = try #require(world.summary.agencyCaseload.first)
        let security = try await world.token("security")
        try await world.withAdmin { client in
            let r = try await client.call(.get, "/admin/v1/policy/explain?account=\(partner)&dossier=\(outside)&action=read&purpose=disability-support",
                                          token: security)
            #expect(r.status == .ok, "\(r.text)")
            let rules = try #require(r["rules"]?.array)
            let own = try #require(rules.first { $0.object?["id"]?.string == "partner-adviser-own-caseload" }?.object)
            #expect(own["matched"]?.bool == false && own["why"]?.string?.contains("the dossier is not assigned to the account") == true)
            #expect(r["decision"]?.object?["effect"]?.string == "deny" && r["decision"]?.object?["reason"]?.string == "no-rule")
            let bad = try await client.call(.get, "/admin/v1/policy/explain?account=\(partner)&dossier=\(outside)&action=peek", token: security)
            #expect(bad.status == .badRequest)
            let unknown = try await client.call(.get, "/admin/v1/policy/explain?account=\(partner)&dossier=\(DossierID())&action=read", token: security)
            #expect(unknown.status == .notFound)
            #expect(try await client.call(.get, "/admin/v1/policy/explain?account=\(partner)&dossier=\(outside)&action=read").status == .unauthorized)
        }
        try await world.withPublic { client in
            let token = try await world.token("partner1")
            #expect(try await client.call(.get, "/admin/v1/policy/explain?account=\(partner)&dossier=\(outside)&action=read", token: token).status == .notFound)
        }
        #expect(try await world.ledger.journal(account: world.accounts["security"]).contains { $0.action == "policy-explain" })
    }
}
