import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
@testable import GuichetServer

/// A role whose profile declares no search combinations (jeunes' advisers) searches on the
/// pages by any searchable field of persons, as the gate allows (a pages audit: the staff home
/// offered no term at all, while the API found the file by name).
@Suite(.serialized)
struct WebSearchWithoutCombinationsTests {
    @Test("a jeunes adviser finds a file of the caseload by the young person's last name on the staff home")
    func searchByName() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let session = try await world.auth.signIn(username: "adviser-a1", password: World.password)
        let code = try #require(try await world.auth.consoleActivation(username: "adviser-a1")?.code)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: code)
        try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        let token = session.token
        try await world.withPublic { client in
            let made = try await client.call(.post, "/v1/dossiers", token: token, purpose: "support", body: youthFileBody(lastName: "Lemoine"))
            #expect(made.status == .created, "\(made.text)")
            let fileID = try #require(made["id"]?.string)
            // The page session: a new sign-in with the factor enrolled above, one TOTP step later.
            var adviser = PageClient(client)
            _ = try await adviser.signIn("adviser-a1", World.password, totp: secret, at: Date().addingTimeInterval(30))
            let home = try await adviser.get("/web/home?lang=fr")
            #expect(home.html.contains(#"name="q.lastName""#), "the searchable fields are offered")
            let found = try await adviser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "youth-file"), ("search", "1"),
                                                             ("purpose", "support"), ("who", "young"), ("q.lastName", "Lemoine")])
            #expect(found.status == .ok && found.html.contains(fileID), "\(found.status)")
        }
    }
}
