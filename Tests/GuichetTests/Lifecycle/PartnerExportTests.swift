import Foundation
import Testing
import Crypto
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetBreach
@testable import GuichetStore

/// Partner exports (C11): encrypted to the recipient, expiring, watermarked with canary rows
/// that name the recipient when the file leaks, and in the ledger with every person it holds.
@Suite struct PartnerExportTests {
    @Test("emploi: a partner adviser exports its caseload; the file opens with its key only, until it expires; a leak names it")
    func exportAndLeak() async throws {
        let world = try await EmploiWorld.make()
        defer { world.remove() }
        let recipient = Curve25519.KeyAgreement.PrivateKey()
        let partner = try await world.request("partner1", purpose: "disability-support")
        let before = try await world.gate.ledgerSize()
        let file = try await world.gate.exportCaseload(recipientKey: recipient.publicKey.rawRepresentation, partner)

        let rows = try PartnerExportFile.open(file.data, privateKey: recipient, at: world.clock.now)
        let caseload = try await world.store.dossiers(world.summary.partnerCaseloads[0])
        let readable = caseload.filter { $0.status != "deregistered" }
        try #require(!readable.isEmpty, "the generator gives partner1 a caseload")
        let real = rows.filter { row in readable.contains { $0.id.rawValue == row["id"]?.string } }
        #expect(real.count == readable.count, "every file of the caseload the partner may read")
        #expect(rows.count == readable.count + 3, "and three canary rows")
        let allowed: Set<String> = ["id", "category", "seeker.firstName", "seeker.lastName", "seeker.email", "seeker.phone"]
        #expect(rows.allSatisfy { Set($0.keys).isSubset(of: allowed) }, "only the profile's fields")
        #expect(real.allSatisfy { $0["seeker.lastName"]?.string?.isEmpty == false })
        // Canaries are shaped like the real rows of the file (a new-user test told them apart
        // at a glance: phones only on canaries): each holds exactly the fields of some real row,
        // its category is one the real rows have, and its contacts reach nobody.
        let canaryRows = rows.filter { row in !real.contains { $0["id"] == row["id"] } }
        #expect(canaryRows.count == 3)
        let shapes = Set(real.map { Set($0.keys) })
        let categories = Set(real.compactMap { $0["category"]?.string })
        for c in canaryRows {
            #expect(shapes.contains(Set(c.keys)), "the fields of a real row: \(c.keys.sorted())")
            if let category = c["category"]?.string { #expect(categories.contains(category)) }
            if let email = c["seeker.email"]?.string { #expect(email.hasSuffix("@example.org")) }
            if let phone = c["seeker.phone"]?.string { #expect(phone.hasPrefix("+3363998")) }
        }
        // Not the raw data: no identifier, and the file does not open with another key, nor once expired.
        let someName = try #require(real.first?["seeker.lastName"]?.string)
        #expect(!String(decoding: file.data, as: UTF8.self).contains(someName))
        #expect(throws: GuichetError.self) { _ = try PartnerExportFile.open(file.data, privateKey: Curve25519.KeyAgreement.PrivateKey(), at: world.clock.now) }
        #expect(throws: GuichetError.self) { _ = try PartnerExportFile.open(file.data, privateKey: recipient, at: file.expiresAt.addingTimeInterval(1)) }

        // The ledger names every person the file holds, in one partner-export entry.
        let entries = try await world.store.ledgerEntries(before..<(try await world.gate.ledgerSize()))
        let exportEntry = try #require(entries.compactMap { try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any] }
            .first { $0["action"] as? String == "partner-export" })
        let seekers = Set(readable.flatMap(\.persons).map(\.person.rawValue))
        #expect(Set(exportEntry["persons"] as? [String] ?? []) == seekers)

        // A leaked copy (ids only, even reordered, without its header) names the recipient.
        let leaked = rows.compactMap { $0["id"]?.string }.shuffled()
        let found = try await world.gate.identifyLeak(rowIDs: leaked)
        #expect(found.map(\.account) == [try await world.principal("partner1").account])
        #expect(found.first?.id == file.id)
        // Real rows alone name nobody.
        #expect(try await world.gate.identifyLeak(rowIDs: real.compactMap { $0["id"]?.string }).isEmpty)
    }

    @Test("place05: a daycare that decoys chose exports its list without being suspended; no decoy is in the file or journalled as read")
    func exportLeavesDecoysOut() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let planted = try await base.plant(size: 40, honeytokens: 12)
        // A daycare service of the generated registry that decoys chose (their lists hold them).
        let decoys = try await base.store.dossiers(planted.dossiers)
        let own = try #require(decoys.flatMap(\.partners).first)
        _ = try await base.auth.createAccount(username: "daycare-chosen", password: World.password, role: "daycare", organisation: own, createdBy: nil)
        let world = try await base.watched()
        let recipient = Curve25519.KeyAgreement.PrivateKey()
        let before = try await world.gate.ledgerSize()
        let file = try await world.gate.exportCaseload(recipientKey: recipient.publicKey.rawRepresentation,
                                                       try await world.request("daycare-chosen", purpose: "placement"))
        #expect(try await world.store.account(username: "daycare-chosen")?.status == "active", "not suspended")
        let rows = try PartnerExportFile.open(file.data, privateKey: recipient, at: Date())
        let ids = Set(rows.compactMap { $0["id"]?.string })
        #expect(ids.isDisjoint(with: planted.dossiers.map(\.rawValue)), "no decoy row")
        #expect(rows.count > 3, "the real files that chose it, and the canaries")
        let entries = try await world.store.ledgerEntries(before..<(try await world.gate.ledgerSize()))
        let text = entries.map { String(decoding: $0.entry, as: UTF8.self) }.joined()
        for d in planted.dossiers { #expect(!text.contains(d.rawValue), "no decoy journalled") }
        #expect(try await world.store.alerts(openOnly: true, account: nil, limit: 50).allSatisfy { $0.detector != "honeytoken" })
    }

    @Test("after an export, the scope of the exporting account counts it as reads, not as a change, and the regulator's report names the file")
    func exportInScopeAndReport() async throws {
        let world = try await EmploiWorld.make()
        defer { world.remove() }
        let partner = try await world.request("partner1", purpose: "disability-support")
        let account = try await world.principal("partner1").account
        _ = try await world.gate.exportCaseload(recipientKey: Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation, partner)
        let scope = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: account))
        try #require(scope.events.contains { $0.action == "partner-export" }, "the export's entry is in the account's scope")
        // An export changes nothing in the registry: a report that counted it as a change of
        // integrity told the authority that the intruder altered files.
        #expect(!scope.writes.contains { $0.action == "partner-export" }, "\(scope.writes.map(\.action))")
        #expect(scope.writes.isEmpty, "the partner only read and exported: \(scope.writes.map(\.action))")
        let exported = Set(scope.events.filter { $0.action == "partner-export" }.flatMap(\.persons)).subtracting(scope.decoyPersons)
        try #require(!exported.isEmpty)
        let incident = try await BreachRegister(store: world.store).register(
            IncidentInput(title: "test", nature: "a stolen partner account", facts: "exported its caseload", detectedAt: Date(), scope: ScopeQuery(account: account)), by: nil)
        let report = RegulatorReport(incident: incident, scope: scope, profile: world.profile, contact: "mailto:dpo@example.org", now: Date())
        let english = report.markdown()
        #expect(english.contains("Export files made by the same accesses: 1, holding the data of \(exported.count) persons"), "\(english)")
        #expect(english.contains("Allowed changes (integrity): 0."), "\(english)")
        // One job seeker's history shows the export with her own file only: its entry names
        // every file it holds, other people's too (an incident audit).
        let file = try #require(try await world.store.dossiers(world.summary.partnerCaseloads[0]).first { record in
            record.persons.contains { exported.contains($0.person) }
        })
        let seeker = try #require(file.persons.first { exported.contains($0.person) }).person
        let history = try await world.gate.auditor.history(persons: [seeker], dossiers: [file.id], account: nil)
        let exportItem = try #require(history.items.first { $0.action == "partner-export" })
        #expect(exportItem.dossiers == [file.id], "\(exportItem.dossiers.count) files named")
        #expect(report.markdown(language: "fr").contains("Fichiers d'export créés par les mêmes accès : 1, contenant les données de \(exported.count) personnes"))
    }

    @Test("only a role the profile lets export, with the export's purpose and a valid key, gets a file")
    func refusals() async throws {
        let world = try await EmploiWorld.make(size: 100)
        defer { world.remove() }
        let key = Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation
        await #expect(throws: GuichetError.self) { _ = try await world.gate.exportCaseload(recipientKey: key, try await world.request("adviser1", purpose: "support")) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.exportCaseload(recipientKey: key, try await world.request("partner1", purpose: "support")) }
        await #expect(throws: GuichetError.self) {
            _ = try await world.gate.exportCaseload(recipientKey: Data([1, 2, 3]), try await world.request("partner1", purpose: "disability-support"))
        }
        // Points of small order (RFC 7748 §6.1): the shared secret is all zeros whatever the
        // private key, so the file would open without one (an attacker test).
        let smallOrder = [Data(count: 32), Data([1] + [UInt8](repeating: 0, count: 31)),
                          Data(base64Encoded: "4Ot6fDtBuK4WVuP68Z/EatoJjeucMrH9hmIFFl9JuAA=")!]
        for bad in smallOrder {
            await #expect { _ = try await world.gate.exportCaseload(recipientKey: bad, try await world.request("partner1", purpose: "disability-support")) }
                throws: { "\($0)".contains("small order") || "\($0)".contains("raw X25519") }
        }
        #expect(try await world.gate.exports(of: try await world.principal("partner1")).isEmpty, "no export was made")
    }
}

/// The same on place05: a daycare service exports the applications that chose it.
@Suite struct Place05ExportTests {
    @Test("place05: a daycare exports the applications that chose it (not the others, not the withdrawn), and a leak names it")
    func daycareExport() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let mine = try await world.application(by: "parent1", daycares: [0], childName: "Ines")
        let other = try await world.application(by: "parent1", daycares: [1], childName: "Jules")
        let gone = try await world.application(by: "parent1", daycares: [0], childName: "Karim")
        _ = try await world.gate.transition(gone.id, "withdraw", try await world.request("parent1"))
        let recipient = Curve25519.KeyAgreement.PrivateKey()
        let file = try await world.gate.exportCaseload(recipientKey: recipient.publicKey.rawRepresentation,
                                                       try await world.request("daycare1", purpose: "placement"))
        let rows = try PartnerExportFile.open(file.data, privateKey: recipient, at: Date())
        let ids = Set(rows.compactMap { $0["id"]?.string })
        #expect(ids.contains(mine.id.rawValue) && !ids.contains(other.id.rawValue) && !ids.contains(gone.id.rawValue))
        #expect(rows.count == 1 + 3)
        let row = try #require(rows.first { $0["id"]?.string == mine.id.rawValue })
        #expect(row["child.firstName"] == .string("Ines") && row["parent.email"] == .string("parent1@example.org"))
        #expect(row["specialNeeds"] == nil && row["child.nam"] == nil, "only the profile's fields")
        let found = try await world.gate.identifyLeak(rowIDs: Array(ids))
        #expect(found.map(\.account) == [try await world.principal("daycare1").account])
        #expect(try await world.gate.auditor.verify().problem == nil)
    }

    @Test("every export is an alert in the security officers' queue naming the account and the counts, never a person")
    func exportIsAlerted() async throws {
        let base = try await World.make()
        defer { base.remove() }
        _ = try await base.registerParent("parent1", lastName: "Tremblay")
        let app = try await base.application(by: "parent1", daycares: [0], childName: "Ines")
        let world = try await base.watched()
        let daycare = try await world.principal("daycare1")
        let before = try await world.store.alerts(openOnly: true, account: daycare.account, limit: 50)
        #expect(!before.contains { $0.detector == "caseload-exported" })
        let file = try await world.gate.exportCaseload(recipientKey: Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation,
                                                       try await world.request("daycare1", purpose: "placement"))
        let alert = try #require(try await world.store.alerts(openOnly: true, account: daycare.account, limit: 50)
            .first { $0.detector == "caseload-exported" }, "a stolen account's download is in the queue the next morning")
        #expect(alert.severity == "medium" && alert.detail.contains(file.id) && alert.detail.contains("1 dossiers, 2 persons"), "\(alert.detail)")
        for value in ["Tremblay", "Ines", "parent1@example.org", app.id.rawValue] { #expect(!alert.detail.contains(value)) }
    }
}
