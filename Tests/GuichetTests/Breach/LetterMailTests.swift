import Foundation
import Testing
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import GuichetCore
import GuichetMail
import GuichetLedger
@testable import GuichetStore

/// Letters by e-mail, through a real SMTP server (aiosmtpd) read back by Python's parser.
@Suite(.serialized) struct LetterMailTests {
    @Test("each recipient gets their letters by e-mail, text and HTML, with only their family's data; the sending is recorded")
    func lettersByEmail() async throws {
        let sink = try SMTPSink()
        defer { sink.stop() }
        let scenario = try await ScriptedIncident.make(mailer: try SMTPMailer(host: "127.0.0.1", port: sink.port, sender: try MailAddress("dpo@registre.example")))
        defer { scenario.world.remove() }
        let world = scenario.world
        let officer = try await world.token("security")
        let account = scenario.attacker.account.rawValue
        try await world.withAdmin { client in
            let created = try await client.call(.post, "/admin/v1/breach/incidents", token: officer, body: """
                {"title": "Compromised daycare account", "nature": "A partner account's password was stolen.", "facts": "Unusual address.",
                 "detectedAt": "\(ScopeFormat.time(Date()))", "scope": {"account": "\(account)"}}
                """)
            let id = try #require(created["id"]?.string)
            #expect(try await client.call(.post, "/admin/v1/breach/incidents/\(id)/letters/send", token: officer).status == .badRequest,
                    "no purpose, nothing opened or sent")
            #expect(try sink.messages().isEmpty)
            let r = try await client.call(.post, "/admin/v1/breach/incidents/\(id)/letters/send?language=en", token: officer, purpose: "breach-notification")
            #expect(r.status == .ok && r["sent"]?.integer == 4 && r["failed"]?.array?.isEmpty == true, "\(r.text)")
            #expect(r["unreachable"]?.array == [.string(scenario.secondParent.rawValue)])
            let changes = try await world.store.incidentChanges(id)
            #expect(changes.last?.change == "letters e-mailed: 4 sent, 0 failed, 1 to reach otherwise")
        }
        let mail = try sink.messages()
        #expect(mail.count == 4)
        #expect(mail.allSatisfy { $0.mailFrom == "dpo@registre.example" && $0.defects.isEmpty && $0.language == "en" })
        // parent2 gets their own letter and their child's; parent3 the same; nobody else gets anything.
        #expect(mail.map { $0.rcptTos }.flatMap { $0 }.sorted() == ["parent2@example.org", "parent2@example.org", "parent3@example.org", "parent3@example.org"])
        for m in mail {
            let body = (m.text ?? "") + (m.html ?? "")
            #expect(body.contains("phishing") && body.contains("security@example.org"))
            let others = m.rcptTos == ["parent2@example.org"] ? ["Bergeron", "parent3@", "Liam", "Marc", "Roy", "Emma"] : ["Gagnon", "parent2@", "Noah", "Roy", "Emma"]
            for mark in others { #expect(!body.contains(mark), "a message to \(m.rcptTos) mentions another family") }
            #expect(!body.contains("514-555-0142"), "labels, never values")
        }
        #expect(mail.contains { $0.rcptTos == ["parent2@example.org"] && ($0.text ?? "").contains("Noah") && ($0.text ?? "").contains("the child's first name") })
    }
}
