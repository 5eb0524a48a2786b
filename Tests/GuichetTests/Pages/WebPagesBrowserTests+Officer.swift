import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetAuth
import GuichetCore
import GuichetLedger
import GuichetMail
import GuichetStore
@testable import GuichetServer

/// The incident, keys and export pages in Chromium, part of the heavy browser suite (run alone).
extension WebPagesBrowserTests {
    @Test("in Chromium: a security officer goes from an account's scope to an incident, e-mails the letters and finds it in the register; an administrator sees the keys' status; a parent opens their data",
          arguments: ["fr", "en"])
    func officerPages(_ language: String) async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let scenario = try await ScriptedIncident.make(mailer: try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("dpo@registre.example")))
        let world = scenario.world
        defer { world.remove() }
        var secrets: [String: String] = [:]
        for name in ["security", "admin"] { secrets[name] = try await Self.enrolTOTP(world, name) }
        let enrolledAt = Self.afterEnrolment()
        let incident = language == "fr"
            ? ["title": "Compte de crèche compromis", "nature": "Le mot de passe d'un compte partenaire a été volé.", "facts": "Lectures depuis une adresse inhabituelle."]
            : ["title": "Compromised daycare account", "nature": "A partner account's password was stolen.", "facts": "Reads from an unusual address."]
        let config: [String: Any] = [
            "lang": language, "password": World.password, "screens": Self.screens(language), "enrolledAt": enrolledAt,
            "accounts": ["security": "security", "admin": "admin"], "secrets": secrets, "scopeAccount": "daycare2", "incident": incident,
        ]
        let answer = try await Self.run("officer", config, router: world.server.adminRouter().0)
        let t = try Self.texts(language)

        #expect(answer["scopeCount"]?.string == "5", "the five persons daycare2 received")
        let opened = answer["incident"]?.object ?? [:]
        #expect(opened["done"]?.string == t["done_incident"] && opened["persons"]?.string == "5")
        let registered = try #require(try await world.store.incidents().first)
        let query = try registered.scopeQuery()
        #expect(registered.title == incident["title"] && query.account == scenario.attacker.account)
        let letters = answer["letters"]?.object ?? [:]
        #expect(letters["count"]?.string == "4" && letters["noRelay"] == .bool(false) && Self.number(letters["rows"]) == 4)
        #expect(answer["sent"]?.string?.hasPrefix("4 ") == true, "\(answer["sent"] ?? .null)")
        let mail = try sink.messages()
        #expect(mail.count == 4 && mail.allSatisfy { $0.language == language }, "one message per recipient with an address, in the page's language")
        #expect(answer["register"]?.array?.compactMap(\.string).contains { $0.contains(incident["title"]!) } == true)
        let keys = answer["keys"]?.object ?? [:]
        #expect(keys["current"]?.string == "1" && keys["readable"] == .bool(true) && keys["versions"]?.array?.count == 1)
        #expect(keys["commands"]?.string?.contains("guichet keys rotate") == true)
        Self.expectAccessible(answer, atLeast: 8)

        // The parent's export, on the public listener: through the gate, journalled.
        let parent = try #require(try await world.store.account(username: "parent1")).id
        let before = try await world.ledger.journal(account: parent).count
        let exported = try await Self.run("export", ["lang": language, "password": World.password, "screens": "", "accounts": ["parent": "parent1"]],
                                          router: world.server.publicRouter().0)
        let page = exported["export"]?.object ?? [:]
        #expect(page["person"]?.string?.contains("parent1@example.org") == true)
        #expect(page["dossiers"]?.array?.count == 1 && page["dossiers"]?.array?.first?.string?.contains("Emma") == true)
        #expect(page["accesses"]?.array?.isEmpty == false, "the accesses to the parent's file are listed")
        #expect(page["download"]?.string?.hasSuffix("/web/export.json") == true)
        #expect(try await world.ledger.journal(account: parent).count > before, "the page's reads are in the ledger")
        Self.expectAccessible(exported, atLeast: 1)
    }
}
