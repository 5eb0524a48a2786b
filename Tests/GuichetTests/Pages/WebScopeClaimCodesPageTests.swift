import Foundation
import HummingbirdTesting
import Testing
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetLedger
@testable import GuichetServer

/// The claim codes an account issued, on the security officer's pages: whoever held one could
/// make a citizen account that reads the files it opens (an attacker's audit), so the scope and
/// the incident name them and the account that claimed each, a link to its own scope.
@Suite(.serialized)
struct WebScopeClaimCodesPageTests {
    @Test("an agent's scope lists the claim codes it issued and links the account that claimed one; the incident counts them", arguments: ["fr", "en"])
    func claimCodesOnTheScopeAndIncident(language: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        let marc = try await ClaimCodeTests.secondParent(world)
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        guard case .letter(let issued) = try await provisioning.issueClaim(for: marc, try await world.request("agent", purpose: "list-management")) else {
            Issue.record("no relay: the code is shown for a letter"); return
        }
        _ = try await provisioning.claim(username: "claimed.parent", password: World.password, code: issued.code, requestID: "claim", source: "203.0.113.7")
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let officer = try #require(try await world.store.account(username: "security")).id
        let agent = try #require(try await world.store.account(username: "agent")).id
        let incident = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Synthetic drill", nature: "confidentiality", facts: "Synthetic facts.", detectedAt: Date().addingTimeInterval(-600),
            scope: ScopeQuery(account: agent)), by: officer)
        let fr = language == "fr"
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let scope = try await browser.get("/web/security/scope?account=agent&lang=\(language)")
            #expect(scope.status == .ok)
            #expect(scope.html.contains(fr ? "Codes de rattachement émis par ce compte" : "Claim codes this account issued"))
            let row = try #require(scope.html.firstMatch(of: #/<tr class="claim-code">(.*?)</tr>/#).map { String($0.1) })
            #expect(row.contains("<code>\(marc.rawValue)</code>") && row.contains(#"<a href="/web/security/scope?account=claimed%2Eparent">claimed.parent</a>"#)
                    || row.contains(#"<a href="/web/security/scope?account=claimed.parent">claimed.parent</a>"#), "\(row)")
            let page = try await browser.get("/web/security/incidents/\(incident.id)?lang=\(language)")
            #expect(page.html.contains(#"<dd id="incident-claims">1 (1)\#(fr ? " :" : ":") <a href="#), "\(page.html)")
            #expect(page.html.contains(fr ? "Codes de rattachement émis par les mêmes accès : 1 (utilisés : 1 ; dossiers"
                                          : "Claim codes issued by the same accesses: 1 (claimed: 1; dossiers they open: 1)"),
                    "the regulator report in the page's language")
            // An account that issued none shows no such section.
            let daycare = try await browser.get("/web/security/scope?account=daycare1&lang=\(language)")
            #expect(daycare.status == .ok && !daycare.html.contains(#"id="scope-claims""#))
        }
    }

    @Test("an administrator's scope names the accounts it created by what was done, in words, not as a ledger action", arguments: ["fr", "en"])
    func enabledAccountsInWords(language: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        _ = try await provisioning.createAccount(NewAccount(username: "agent.new", password: World.password, role: "agent",
                                                            organisation: world.operatorOrg.id, territory: nil, email: nil),
                                                 by: .administrator(try await world.principal("admin"), requestID: "test", source: "10.0.0.8"))
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let scope = try await browser.get("/web/security/scope?account=admin&lang=\(language)")
            #expect(scope.status == .ok)
            let row = try #require(scope.html.firstMatch(of: #/<tr class="account-enabled">(.*?)</tr>/#).map { String($0.1) }, "\(scope.html)")
            #expect(row.contains("agent.new") && row.contains(language == "fr" ? "compte créé" : "account created"), "\(row)")
            #expect(!row.contains("provision:"), "\(row)")
        }
    }
}
