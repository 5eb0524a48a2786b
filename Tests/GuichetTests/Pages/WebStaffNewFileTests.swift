import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
@testable import GuichetServer

/// An R2 adviser opens a young person's file from the pages (a lifecycle audit: the profile let
/// advisers create files, but no page offered it, and the citizens' form, sent by an adviser,
/// failed naming a person of no role). Synthetic data only.
@Suite(.serialized)
struct WebStaffNewFileTests {
    static func enrol(_ world: JeunesWorld, _ username: String) async throws -> TOTPSecret {
        let session = try await world.auth.signIn(username: username, password: World.password)
        let code = try #require(try await world.auth.consoleActivation(username: username)?.code)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: code)
        let totp = try TOTPSecret(base32: secret)
        try await world.auth.verifyTOTP(session.principal, code: totp.code(at: Date()))
        return totp
    }

    @Test("an adviser opens a file from the menu, in French: the form asks why and for the young person, and the file starts in the adviser's caseload")
    func adviserOpensAFile() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let secret = try await Self.enrol(world, "adviser-a2")
        let adviserID = try #require(world.accounts["adviser-a2"])
        try await world.withPublic { client in
            var adviser = PageClient(client)
            _ = try await adviser.signIn("adviser-a2", World.password, totp: secret.base32)
            let home = try await adviser.get("/web/home?lang=fr")
            #expect(home.html.contains(#"href="/web/apply""#) && home.html.contains("Nouveau dossier"), "the menu offers it")
            let form = try await adviser.get("/web/apply?lang=fr")
            #expect(form.status == .ok && form.html.contains("Ouvrir un nouveau dossier"))
            #expect(form.html.contains(#"<select id="purpose" name="purpose" required>"#) && form.html.contains("une demande du jeune"), "why, among the rule's purposes")
            #expect(form.html.contains(#"name="p.young.lastName""#) && form.html.contains(#"name="f.enrolledOn""#), "the young person and the file")
            let csrf = try #require(form.csrf)
            // Without the young person's required fields: the form again, as typed, in French.
            let refused = try await adviser.post("/web/apply", [("csrf", csrf), ("purpose", "support"), ("p.young.firstName", "Inès"),
                                                                 ("f.enrolledOn", "2026-12-01"), ("f.programme", "cej")])
            #expect(refused.status == .badRequest && refused.html.contains("Le dossier n&#39;a pas été ouvert"), "\(refused.status)")
            #expect(refused.html.contains("nom de famille du jeune") && refused.html.contains("obligatoire"), "why, in French")
            #expect(!refused.html.contains("(not a name)") && refused.html.contains(#"value="Inès""#))
            let made = try await adviser.post("/web/apply", [("csrf", csrf), ("purpose", "support"), ("p.young.firstName", "Inès"),
                                                              ("p.young.lastName", "Exemple"), ("p.young.birthDate", "2007-03-14"),
                                                              ("f.enrolledOn", "2026-12-01"), ("f.programme", "cej")])
            let location = try #require(made.location, "\(made.status): \(made.html.prefix(400))")
            #expect(location.contains("done=create") && location.contains("purpose=support"), "\(location)")
            let id = try #require(location.firstMatch(of: #/dossiers/([A-Za-z0-9_-]+)\?/#).map { DossierID(trusted: String($0.1)) })
            let record = try #require(try await world.store.dossiers([id]).first)
            #expect(record.type == "youth-file" && record.status == "active" && record.persons.map(\.role) == ["young"])
            #expect(record.assignedAgent == adviserID, "a file an adviser opens starts in their caseload")
            let page = try await adviser.get(location + "&lang=fr")
            #expect(page.status == .ok && page.html.contains("Exemple"), "the new file opens, for the purpose given")
        }
    }

    @Test("an office manager, whose rules open no file, has no link, and the form refuses them")
    func managerOpensNone() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let secret = try await Self.enrol(world, "manager-a")
        try await world.withPublic { client in
            var manager = PageClient(client)
            _ = try await manager.signIn("manager-a", World.password, totp: secret.base32)
            let home = try await manager.get("/web/home?lang=en")
            #expect(home.status == .ok && !home.html.contains(#"href="/web/apply""#))
            let form = try await manager.get("/web/apply?lang=en")
            #expect(form.status == .forbidden)
        }
    }
}
