import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import GuichetBreach
import GuichetCore
@testable import GuichetServer

/// A refusal that names a field, on a page, names it as people read it (the profile's label,
/// or the usual one, in the page's language), never by its code (`person.phone`); the API's
/// problem details keep the code.
@Suite(.serialized)
struct WebRefusalFieldLabelTests {
    @Test("a refused registration and a refused search name their fields by label in the page's language, not by code; the API keeps the code",
          arguments: ["fr", "en"])
    func labelsNotCodes(language: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        @Sendable func label(_ path: String) -> String {
            Labels.field(path, language: language, profile: world.profile).replacingOccurrences(of: "'", with: "&#39;")
        }
        try await world.withPublic { client in
            var browser = PageClient(client)
            let fields = WebRegisterPageTests.fields("zoe.exemple") + [("p.phone", "12")]
            let refused = try await browser.post("/web/register?lang=\(language)", fields)
            #expect(refused.status == .badRequest && refused.html.contains(#"id="error""#))
            #expect(!refused.html.contains("person.phone"), "no field code on the page")
            #expect(refused.html.contains(label("person.phone")), "the field's label: \(label("person.phone"))")
            if language == "fr" { #expect(refused.html.contains("Champ «\u{00A0}numéro de téléphone\u{00A0}»")) }

            var agent = PageClient(client)
            _ = try await agent.signIn("agent", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let home = try await agent.get("/web/home?lang=\(language)")
            let search = try await agent.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "application"), ("search", "1"),
                                                             ("purpose", "list-management"), ("who", "child"), ("q.lastName", "Fictif")])
            #expect(search.status == .badRequest)
            let detail = try #require(search.html.firstMatch(of: #/<span id="detail">([^<]*)</span>/#).map { String($0.1) })
            #expect(!detail.contains("lastName") && !detail.contains("birthDate") && !detail.contains("nam;"), "no field code: \(detail)")
            #expect(detail.contains(label("lastName") + " + " + label("birthDate")), "the combinations by label: \(detail)")

            // The API's problem details keep the field's code.
            let api = try await client.execute(uri: "/v1/accounts", method: .post, headers: [.contentType: "application/json"],
                                               body: ByteBuffer(string: #"{"username":"zoe.exemple","password":"a long synthetic passphrase","person":{"firstName":"Zoé","lastName":"Exemple","birthDate":"1990-01-02","phone":"12"}}"#)) {
                String(buffer: $0.body)
            }
            #expect(api.contains("person.phone"), "\(api)")
        }
    }

    @Test("a field named in quotes inside a refusal takes its label; a quoted word that is no field of the profile stays as it is")
    func onlyFieldsReplaced() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let server = world.server
        #expect(server.refusal("field 'child.birthDate': expected a date as YYYY-MM-DD", "en") == "Field “the child's date of birth”: expected a date as YYYY-MM-DD")
        #expect(server.refusal("'daysPerWeek' must be a whole number", "fr") == "«\u{00A0}nombre de jours par semaine\u{00A0}» doit être un nombre entier")
        #expect(server.refusal("'code' is required", "fr") == "«\u{00A0}Code\u{00A0}» est obligatoire", "a form's own field, by its label")
        // A form's own fields by their labels on the pages (an everyday users' audit read
        // "'title' est obligatoire" under a box titled "Titre de l'incident").
        #expect(server.refusal("'title' is required", "fr") == "«\u{00A0}Titre de l'incident\u{00A0}» est obligatoire")
        #expect(server.refusal("'reason' is required", "en") == "“Reason” is required")
        #expect(server.refusal("'nosuchkey' is required", "fr") == "'nosuchkey' est obligatoire", "no field and no form's field: as it is")
        #expect(server.refusal("unknown field 'age'", "en") == "Unknown field 'age'", "a sentence of its own: capitalised")
        // A full service: the states by their labels, joined in the page's language (a
        // co-operative's audit read "à l'état offered or placed" on a French page).
        let full = "no place left: the 2 places of your organisation are held by dossiers in state offered or placed; nothing was changed"
        #expect(server.refusal(full, "fr") == "Ses 2 places sont occupées par des dossiers à l'état place offerte ou place acceptée ; rien n'a été modifié. "
                + "Une place se libère quand l'un d'eux est refusé, retiré ou clos.")
        #expect(!server.refusal(full, "en").contains("offered or placed"))
        // A workflow step's entry names the file's state: a parent's history read "status".
        #expect(Labels.field("status", language: "fr", profile: world.profile) == "état du dossier")
        #expect(Labels.field("status", language: "en", profile: world.profile) == "the file's status")
    }
}
