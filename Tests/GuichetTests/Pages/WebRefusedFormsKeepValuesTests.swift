import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
@testable import GuichetServer

/// Forms refused for what was typed (or not ticked) come back on their own page, as typed,
/// with why, rather than as a bare error page (a pages audit of jeunes and secu found three
/// that lost what was typed). Synthetic data only.
@Suite(.serialized)
struct WebRefusedFormsKeepValuesTests {
    @Test("a security officer's 'watch this person' form with a bad number comes back with the number and the reason typed, and why")
    func watchFormKeepsValues() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var officer = PageClient(client)
            _ = try await officer.signIn("security", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let home = try await officer.get("/web/home?lang=fr")
            let refused = try await officer.post("/web/security/watched", [("csrf", try #require(home.csrf)), ("person", "pas-un-numero"),
                                                                           ("reason", "motif synthétique de surveillance")])
            #expect(refused.status == .badRequest, "\(refused.status)")
            #expect(refused.html.contains(#"id="watch-form""#) && refused.html.contains(#"id="watch-error""#), "the officer's page, the form, why")
            #expect(refused.html.contains(#"value="pas-un-numero""#) && refused.html.contains(#"value="motif synthétique de surveillance""#),
                    "what was typed is kept")
            #expect(refused.html.contains("numéro de personne"), "why, in French")
            #expect(!refused.html.contains("data-key="), "not the error page")
            #expect(try await world.store.watchedPersons().isEmpty)
        }
    }

    @Test("a staff search sent without the purpose its rules ask for comes back with the terms typed, asking for the purpose")
    func searchWithoutPurposeKeepsTerms() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var agent = PageClient(client)
            _ = try await agent.signIn("agent", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let home = try await agent.get("/web/home?lang=en")
            let refused = try await agent.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "application"), ("search", "1"),
                                                             ("purpose", ""), ("status", "waiting"), ("who", "parent"), ("q.lastName", "Exemple")])
            #expect(refused.status == .forbidden, "\(refused.status)")
            #expect(refused.html.contains(#"id="search""#) && !refused.html.contains("data-key="), "the search form, not the error page")
            #expect(refused.html.contains(#"id="error""#) && refused.html.contains("The search was not made: <span id=\"detail\">choose the purpose of your search first."))
            #expect(refused.html.contains(#"name="q.lastName" value="Exemple""#) || refused.html.contains(#"value="Exemple""#), "the term typed is kept")
            #expect(refused.html.contains(#"<option value="waiting" selected>"#), "the status chosen is kept")
        }
    }

    @Test("closing a youth file without ticking the box comes back on the file's page, saying so at the step, the file unchanged")
    func unconfirmedFinalStepOnTheFilePage() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let (file, _) = try await world.youngPerson("young1")
        let session = try await world.auth.signIn(username: "adviser-a2", password: World.password)
        let code = try #require(try await world.auth.consoleActivation(username: "adviser-a2")?.code)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: code)
        try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        // The file goes to adviser-a2's caseload, who closes it.
        _ = try await world.store.assign([file], to: try #require(world.accounts["adviser-a2"]))
        try await world.withPublic { client in
            var adviser = PageClient(client)
            _ = try await adviser.signIn("adviser-a2", World.password, totp: secret)
            let page = try await adviser.get("/web/dossiers/\(file.rawValue)?purpose=support&lang=fr")
            #expect(page.html.contains(#"id="do-close""#), "the adviser may close the file")
            let refused = try await adviser.post("/web/dossiers/\(file.rawValue)/transitions/close",
                                                 [("csrf", try #require(page.csrf)), ("purpose", "support")])
            #expect(refused.status == .badRequest, "\(refused.status)")
            #expect(refused.html.contains(#"id="file-number""#) && refused.html.contains(#"id="do-close-error""#), "the file's page, why at the step")
            #expect(refused.html.contains("cochez la case de confirmation"))
            #expect(!refused.html.contains("data-key="), "not the error page")
            let status = try await world.store.dossiers([file]).first?.status
            #expect(status == "active", "nothing changed: \(status ?? "?")")
        }
    }
}
