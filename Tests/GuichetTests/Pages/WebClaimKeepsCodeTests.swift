import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
@testable import GuichetServer

/// A refused claim keeps the 25-character code the office's letter gave, as the password
/// reset keeps its code (an audit found it emptied); never the password.
@Suite(.serialized)
struct WebClaimKeepsCodeTests {
    @Test("a password refused at claiming comes back with the user name and the claim code as typed, the password empty; then the claim works")
    func refusedPasswordKeepsCode() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let person = try await world.gate.registerPerson(fields: ["firstName": .string("Zoé"), "lastName": .string("Exemple"), "birthDate": .string("1990-01-02")],
                                                         requestID: "test", source: nil)
        let code = try await world.auth.issueClaim(for: person, by: nil).code
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.get("/web/claim?lang=en")
            let short = "short pw"
            let refused = try await browser.post("/web/claim", [("username", "zoe.exemple"), ("password", short), ("code", code)])
            #expect(refused.status == .badRequest && refused.html.contains(#"id="error""#))
            #expect(refused.html.contains(#"value="zoe.exemple""#))
            #expect(refused.html.contains(#"name="code" autocomplete="off" required value="\#(code)""#), "the code kept")
            #expect(!refused.html.contains(short), "never the password")
            #expect(try await world.store.personHasAccount(person) == false)
            let made = try await browser.post("/web/claim", [("username", "zoe.exemple"), ("password", "a long synthetic passphrase"), ("code", code)])
            #expect(made.status == .seeOther && made.location == "/web/sign-in")
        }
    }
}
