import Foundation
import Testing
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import GuichetCore
import GuichetLedger
import GuichetBreach
@testable import GuichetStore

/// The breach register (art. 33(5)), the regulator report draft (art. 33(3)) and the admin API
/// a security officer uses during an incident.
@Suite struct BreachRegisterTests {
    @Test("a security officer scopes, registers, updates, exports, drafts the report and the letters over the admin API")
    func incidentOverAdminAPI() async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        let world = scenario.world
        let officer = try await world.token("security")
        let admin = try await world.token("admin")
        let account = scenario.attacker.account.rawValue
        try await world.withAdmin { client in
            #expect(try await client.call(.get, "/admin/v1/breach/scope?account=\(account)", token: admin).status == .forbidden,
                    "breach response is for security officers")
            let scope = try await client.call(.get, "/admin/v1/breach/scope?account=\(account)", token: officer)
            #expect(scope.status == .ok && scope["personCount"]?.integer == 5, "\(scope.text)")
            #expect(scope["checkpoint"]?.object?["size"]?.integer == Int(try await world.store.ledgerSize()))
            let csv = try await client.call(.get, "/admin/v1/breach/scope?account=\(account)&format=csv", token: officer)
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true && csv.text.hasPrefix("kind,person,dossier,field"))
            #expect(try await client.call(.get, "/admin/v1/breach/scope?acount=\(account)", token: officer).status == .badRequest)
            #expect(try await client.call(.get, "/admin/v1/breach/scope?account=nope", token: officer).status == .badRequest)
            #expect(try await client.call(.get, "/admin/v1/breach/scope", token: officer).status == .badRequest)

            // Bad input changes nothing.
            let bad = try await client.call(.post, "/admin/v1/breach/incidents", token: officer,
                                            body: #"{"title": "x", "nature": "n", "facts": "f", "detectedAt": "2026-11-21T18:00:00Z", "scope": {"account": "\#(account)"}, "severity": 3}"#)
            #expect(bad.status == .badRequest && bad.text.contains("severity"))
            #expect(try await world.store.incidents().isEmpty)

            let detected = ScopeFormat.time(Date().addingTimeInterval(-80 * 3600))
            let created = try await client.call(.post, "/admin/v1/breach/incidents", token: officer, body: """
                {"title": "Compromised daycare account", "nature": "Confidentiality breach: a partner account's password was stolen.",
                 "facts": "Reads from an unusual address.", "consequences": "Phishing.", "detectedAt": "\(detected)",
                 "scope": {"account": "\(account)", "source": "\(ScriptedIncident.attackerSource)"}}
                """)
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created["id"]?.string)
            let patched = try await client.call(.patch, "/admin/v1/breach/incidents/\(id)", token: officer,
                                                body: #"{"status": "contained", "remedial": "Account suspended, sessions revoked."}"#)
            #expect(patched["status"]?.string == "contained")
            #expect(try await client.call(.patch, "/admin/v1/breach/incidents/\(id)", token: officer, body: #"{"status": "forgotten"}"#).status == .badRequest)
            let one = try await client.call(.get, "/admin/v1/breach/incidents/\(id)", token: officer)
            #expect(one["changes"]?.array?.count == 2 && one["remedial"]?.string == "Account suspended, sessions revoked.")
            #expect(try await client.call(.get, "/admin/v1/breach/incidents/\(IncidentID().rawValue)", token: officer).status == .notFound)

            let export = try await client.call(.get, "/admin/v1/breach/incidents?format=csv", token: officer)
            let rows = export.text.split(separator: "\r\n")
            #expect(rows.count == 2 && rows[1].hasPrefix("\(id),Compromised daycare account,"))
            // Its changes, one a line in the last (quoted) cell, as in the JSON (an operator's audit).
            #expect(rows[0].hasSuffix(",changes") && rows[1].contains(" by ") && rows[1].contains("→ contained")
                    && rows[1].contains("remedial action updated") && rows[1].hasSuffix("\""), "\(rows[1])")
            let exportJSON = try await client.call(.get, "/admin/v1/breach/incidents", token: officer)
            #expect(exportJSON["incidents"]?.array?.first?.object?["changes"]?.array?.count == 2)

            let report = try await client.call(.get, "/admin/v1/breach/incidents/\(id)/report", token: officer)
            let markdown = try #require(report["markdown"]?.string)
            #expect(markdown.contains("5 persons") && markdown.contains("the 72-hour deadline has passed"))
            #expect(markdown.contains("| parent | 3 |") && markdown.contains("| child | 2 |"))
            #expect(markdown.contains("security@example.org"), "the contact point comes from security.txt")
            #expect(markdown.contains("Refused attempts in the same scope (no data returned): 1"))
            #expect(markdown.contains("## Timeline") && markdown.contains("registered in the breach register"))
            #expect(markdown.contains(scope["checkpoint"]?.object?["rootHash"]?.string ?? "-"))
            #expect(!markdown.contains("Gagnon") && !markdown.contains("parent2@example.org"), "the report holds no personal value")
            let french = try await client.call(.get, "/admin/v1/breach/incidents/\(id)/report?language=fr", token: officer)
            #expect(french["markdown"]?.string?.contains("5 personnes") == true && french["markdown"]?.string?.contains("le délai de 72 heures est dépassé") == true)
            let other = try await client.call(.get, "/admin/v1/breach/incidents/\(id)/report?language=de", token: officer)
            #expect(other.status == .badRequest && other.text.contains("'language' must be fr or en"))

            let noPurpose = try await client.call(.post, "/admin/v1/breach/incidents/\(id)/letters", token: officer)
            #expect(noPurpose.status == .badRequest)
            let letters = try await client.call(.post, "/admin/v1/breach/incidents/\(id)/letters?language=en", token: officer, purpose: "breach-notification")
            #expect(letters.status == .ok && letters["letters"]?.array?.count == 4 && letters["article34_3a"] == .bool(false), "\(letters.text)")
        }
    }

    @Test("a CSV cell a spreadsheet would run as a formula starts with an apostrophe; other cells are as they were")
    func csvFormulas() {
        #expect(BreachScope.csvField("=HYPERLINK(\"http://example.org\",\"x\")") == "\"'=HYPERLINK(\"\"http://example.org\"\",\"\"x\"\")\"")
        #expect(BreachScope.csvField("+cmd|' /C calc'!A0") == "'+cmd|' /C calc'!A0")
        #expect(BreachScope.csvField("-2+3") == "'-2+3")
        #expect(BreachScope.csvField("@SUM(A1:A2)") == "'@SUM(A1:A2)")
        #expect(BreachScope.csvField("\t=1") == "'\t=1")
        #expect(BreachScope.csvField("\r=1") == "\"'\r=1\"")
        #expect(BreachScope.csvField("Compromised daycare account") == "Compromised daycare account")
        #expect(BreachScope.csvField("a, b") == "\"a, b\"")
        #expect(BreachScope.csvField("2026-11-21T18:00:00Z") == "2026-11-21T18:00:00Z")
        #expect(BreachScope.csvField("") == "")
    }

    @Test("the register refuses bad input, keeps every incident and every change")
    func registerRules() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let register = BreachRegister(store: world.store)
        let scope = ScopeQuery(source: "203.0.113.7")
        await #expect(throws: GuichetError.self) {
            _ = try await register.register(IncidentInput(title: " ", nature: "n", facts: "f", detectedAt: Date(), scope: scope), by: nil)
        }
        await #expect(throws: GuichetError.self) {
            _ = try await register.register(IncidentInput(title: "t", nature: "n", facts: "f", detectedAt: Date().addingTimeInterval(3600), scope: scope), by: nil)
        }
        await #expect(throws: GuichetError.self) {
            _ = try await register.register(IncidentInput(title: "t", nature: "n", facts: "f", detectedAt: Date(), scope: ScopeQuery()), by: nil)
        }
        // The texts reach the letters: no text-direction override (an attacker test).
        await #expect(throws: GuichetError.self) {
            _ = try await register.register(IncidentInput(title: "t", nature: "stolen\u{202E}drowssap", facts: "f", detectedAt: Date(), scope: scope), by: nil)
        }
        #expect(try await register.list().isEmpty)
        let r = try await register.register(IncidentInput(title: "t", nature: "n", facts: "f", detectedAt: Date(), scope: scope), by: nil)
        _ = try await register.update(r.id, status: "notified", remedial: nil, effects: nil, notifiedAuthorityAt: Date(), by: nil)
        await #expect(throws: GuichetError.self) { _ = try await register.update(r.id, status: nil, remedial: nil, effects: nil, notifiedAuthorityAt: nil, by: nil) }
        await #expect(throws: GuichetError.self) { _ = try await register.update(r.id, status: nil, remedial: "reset\u{2066}", effects: nil, notifiedAuthorityAt: nil, by: nil) }
        #expect(try await world.store.incidentChanges(r.id).count == 2)
        #expect(await (try world.database).refuses("DELETE FROM breach_incident"))
        #expect(try await register.list().map(\.status) == ["notified"])
    }
}
