import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
@testable import GuichetServer

/// R2's local account administrator sees on its page only what it may do: ask for accounts of
/// the roles its role provisions, in its own office (a pages audit: it was shown the
/// administrator's whole page, roles, other offices, organisations, transfers and departures,
/// every form of which answered 403).
@Suite(.serialized)
struct WebAccountAdminPageTests {
    @Test("a jeunes account administrator's page offers its provisioned roles in its own office, and no organisation, transfer or departure form")
    func onlyWhatItMayDo() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let session = try await world.auth.signIn(username: "accounts-a1", password: World.password)
        let code = try #require(try await world.auth.consoleActivation(username: "accounts-a1")?.code)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: code)
        try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("accounts-a1", World.password, totp: secret, at: Date().addingTimeInterval(30))
            let home = try await browser.get("/web/home?lang=fr")
            #expect(home.status == .ok, "\(home.status)")
            let select = try #require(home.html.firstMatch(of: #/<select id="new-role" name="role" required>(.*?)</select>/#.dotMatchesNewlines()).map { String($0.1) })
            let roles = Set(select.matches(of: #/value="([^"]+)"/#).map { String($0.1) })
            #expect(roles == ["adviser", "office-manager"], "\(roles)")
            let orgs = try #require(home.html.firstMatch(of: #/<select id="new-organisation" name="organisation">(.*?)</select>/#.dotMatchesNewlines()).map { String($0.1) })
            #expect(orgs.contains(world.officeA.id.rawValue) && !orgs.contains(world.officeB.id.rawValue), "its own office only")
            #expect(!home.html.contains(#"id="new-organisation-form""#) && !home.html.contains(#"id="territories-link""#))
            #expect(!home.html.contains(#"class="stack deactivate""#) && !home.html.contains("/caseload/transfer"))
        }
    }
}
