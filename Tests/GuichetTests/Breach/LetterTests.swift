import Foundation
import Testing
import Crypto
import GuichetCore
@_spi(GateOnly) import GuichetGate
@_spi(GateOnly) import GuichetLedger
import GuichetBreach
@testable import GuichetStore

/// Notification letters (GDPR art. 34): each person is told exactly which of their fields were
/// exposed, and nothing about anyone else.
@Suite struct LetterTests {
    static func incident(_ world: World, _ scope: ScopeQuery, safe: Bool = false) async throws -> BreachIncidentRecord {
        try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Compromised daycare account", nature: "A partner account's password was stolen and used to read applications.",
            facts: "Reads from an unusual address on a Saturday evening.", remedial: "The account was suspended and its sessions revoked.",
            consequences: "Phishing attempts using your name and e-mail address.", detectedAt: Date(), encryptedAndKeysSafe: safe, scope: scope), by: nil)
    }

    @Test("emploi (R2): after a partner adviser's account read files, the security officer writes the job seekers' letters, names and contacts opened for breach-notification only")
    func emploiLetters() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let partner = try #require(world.accounts["partner1"])
        let read = Array(world.summary.partnerCaseloads[0].prefix(3))
        try #require(read.count == 3)
        let r = try await world.request("partner1", purpose: "disability-support")
        for id in read { _ = try await world.gate.read(id, r) }
        let query = ScopeQuery(account: partner)
        let scope = try await BreachResponse.scopeNow(world.gate, query)
        #expect(scope.persons.count == 3)
        let record = try await BreachRegister(store: world.store).register(IncidentInput(
            title: "Partner adviser account used from an unknown address", nature: "A partner adviser's password was phished and used to read files.",
            facts: "Reads at night from an address abroad.", remedial: "The account was suspended.", consequences: "Phishing in your name.",
            detectedAt: Date(), encryptedAndKeysSafe: false, scope: query), by: nil)
        let writer = LetterWriter(gate: world.gate, store: world.store, contact: "security@example.org")
        let batch = try await writer.letters(incident: record, scope: scope, language: "en", try await world.request("security", purpose: "breach-notification"))
        #expect(batch.letters.count + batch.unreachable.count == 3 && !batch.letters.isEmpty)
        #expect(batch.letters.allSatisfy { !$0.recipients.isEmpty && $0.html.contains("Dear ") })
        // The same officer reads nothing of the files for another purpose.
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(read[0], try await world.request("security", purpose: "support")) }
    }

    @Test("letters name only the fields exposed for that person, and no other person's data appears")
    func lettersNameOnlyTheirFields() async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        let world = scenario.world
        let query = ScopeQuery(account: scenario.attacker.account)
        let record = try await Self.incident(world, query)
        let scope = try await BreachResponse.scopeNow(world.gate, query)
        let writer = LetterWriter(gate: world.gate, store: world.store, contact: "security@example.org")
        let batch = try await writer.letters(incident: record, scope: scope, language: nil, try await world.request("security", purpose: "breach-notification"))

        // Marc (the second parent) gave no contact and is not anyone's child: reached otherwise.
        #expect(batch.unreachable == [scenario.secondParent])
        #expect(Set(batch.letters.map(\.person)) == Set(scenario.expectedPersons.keys).subtracting([scenario.secondParent]))
        #expect(!batch.article34Exemption && batch.note.contains("does not apply"))

        // What each letter may mention, and what identifies every other family.
        let families: [PersonID: [String]] = [
            scenario.parent1: ["Roy", "parent1@example.org", "Emma"], scenario.parent2: ["Gagnon", "parent2@example.org", "Noah"],
            scenario.parent3: ["Bergeron", "parent3@example.org", "Liam", "Marc"],
        ]
        for letter in batch.letters {
            let expected = (scenario.expectedPersons[letter.person] ?? []) + ScriptedIncident.dossierFields
            #expect(letter.fieldLabels == expected.map { Labels.field($0, language: "fr") }, "letter of \(letter.person)")
            #expect(letter.language == "fr" && letter.html.contains("<html lang=\"fr\">"))
            // "Madame, Monsieur," alone: the name is in the address block (an operator's audit read "Madame, Monsieur Nathalie Blanc,").
            #expect(letter.html.contains("<p>Madame, Monsieur,</p>") || letter.html.contains("<p>Aux parents ou représentants légaux de "), "\(letter.html.prefix(600))")
            for label in letter.fieldLabels { #expect(letter.html.contains(Labels.html(label))) }
            // Never a value of a field: the phone number and health insurance numbers are not in any letter.
            #expect(!letter.html.contains("514-555-0142") && !letter.html.contains("TREJ") && !letter.html.contains("TREE"))
            #expect(letter.html.contains("hameçonnage"), "phishing vigilance is in every letter")
            let family: PersonID = [scenario.parent2, scenario.child(scenario.a2)].contains(letter.person) ? scenario.parent2 : scenario.parent3
            for (other, marks) in families where other != family {
                for mark in marks { #expect(!letter.html.contains(mark), "the letter of \(letter.person) mentions another family") }
            }
        }
        // The child's letter goes to the parent, names the child, and lists only the child's fields.
        let childLetter = try #require(batch.letters.first { $0.person == scenario.child(scenario.a2) })
        #expect(childLetter.recipients.map(\.person) == [scenario.parent2])
        #expect(childLetter.html.contains("Noah") && childLetter.html.contains("parent2@example.org"))
        #expect(!childLetter.html.contains(Labels.html(Labels.field("parent.phone", language: "fr"))))
        let parentLetter = try #require(batch.letters.first { $0.person == scenario.parent2 })
        #expect(!parentLetter.html.contains("Noah"), "the parent's own letter says nothing of the child")

        // Opening names and contacts went through the gate, journalled with the purpose.
        let security = try await world.principal("security")
        let journalled = try await world.ledger.journal(account: security.account)
        #expect(!journalled.isEmpty && journalled.allSatisfy { $0.purpose == "breach-notification" && $0.action == "read" })
        #expect(journalled.allSatisfy { $0.fields.allSatisfy { ["child.firstName", "child.lastName", "parent.firstName", "parent.lastName", "parent.email", "parent.address"].contains($0) } })
    }

    @Test("letters say when the same accesses exported or changed the file; one person's damaged data does not stop the others' letters, and is named")
    func exportedChangedDamaged() async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        let world = scenario.world
        let attacker = scenario.attacker
        // The intruder also exports the stolen daycare's caseload (the application that chose
        // it) and changes that application.
        let export = GateRequest(principal: attacker, requestID: "req-export", source: ScriptedIncident.attackerSource, purpose: "placement")
        let file = try await world.gate.exportCaseload(recipientKey: Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation, export)
        #expect(file.data.count > 0)
        let context = AccessContext(requestID: "req-change", subject: attacker.subject, session: attacker.session,
                                    source: ScriptedIncident.attackerSource, purpose: nil, at: Date())
        try await world.gate.journal.recordWrite([AllowedAccess(dossier: scenario.a2.id, rules: ["test"], breakGlass: false, persons: [], fields: ["schedule"])],
                                                 action: .update, context: context)
        // And swaps one person's sealed fields with another's in the database: they no longer
        // open with that person's key.
        try await world.database.execute(
            sqlite: ["UPDATE person SET fields = (SELECT fields FROM person WHERE id = '\(scenario.parent1.rawValue)'), version = version + 1 WHERE id = '\(scenario.parent3.rawValue)'"],
            postgres: ["UPDATE person SET fields = (SELECT fields FROM person WHERE id = '\(scenario.parent1.rawValue)'), version = version + 1 WHERE id = '\(scenario.parent3.rawValue)'"])

        let query = ScopeQuery(account: attacker.account)
        let record = try await Self.incident(world, query)
        let scope = try await BreachResponse.scopeNow(world.gate, query)
        let writer = LetterWriter(gate: world.gate, store: world.store, contact: "security@example.org")
        let batch = try await writer.letters(incident: record, scope: scope, language: "en", try await world.request("security", purpose: "breach-notification"))
        #expect(batch.damaged == [scenario.parent3], "\(batch.damaged)")
        #expect(batch.unreachable.contains(scenario.parent3) && batch.unreachable.contains(scenario.secondParent))
        let child2 = try #require(scenario.a2.persons.first { $0.role == "child" }).person
        #expect(Set(batch.letters.map(\.person)) == [scenario.parent2, child2], "the family whose file is whole is written to")
        let schedule = Labels.field("schedule", language: "en", profile: world.profile)
        for letter in batch.letters {
            #expect(letter.text.contains("A copy of this data was put in an export file, which was downloaded"), "\(letter.text)")
            #expect(letter.text.contains("was also changed by these accesses (\(schedule))."), "\(letter.text)")
            #expect(letter.text.contains("If you have no account yet"))
        }
        let french = try await writer.letters(incident: record, scope: scope, language: "fr", try await world.request("security", purpose: "breach-notification"))
        let parent = try #require(french.letters.first { $0.person == scenario.parent2 })
        #expect(parent.text.contains("Une copie de ces données a été mise dans un fichier d'export") && parent.text.contains("Votre dossier a aussi été modifié par ces accès"))

        // A family the intruder only looked at is told that, and nothing more.
        let quiet = try await writer.letters(incident: record, scope: BreachResponse.scopeNow(world.gate, ScopeQuery(account: try await world.principal("daycare1").account)),
                                             language: "en", try await world.request("security", purpose: "breach-notification"))
        #expect(Set(quiet.letters.map(\.person)).contains(scenario.parent1), "daycare1 read the first family's file")
        #expect(quiet.damaged.isEmpty)
        #expect(quiet.letters.allSatisfy { $0.text.contains("was viewed without right") && !$0.text.contains("export file") && !$0.text.contains("also changed") })
    }

    @Test("letters in English; without the stated purpose nothing is opened; art. 34(3)(a) is noted")
    func englishAndPurpose() async throws {
        let scenario = try await ScriptedIncident.make()
        defer { scenario.world.remove() }
        let world = scenario.world
        let query = ScopeQuery(account: scenario.attacker.account)
        let record = try await Self.incident(world, query, safe: true)
        let scope = try await BreachResponse.scopeNow(world.gate, query)
        let writer = LetterWriter(gate: world.gate, store: world.store, contact: "security@example.org")
        let before = try await world.store.ledgerSize()
        await #expect(throws: GuichetError.self) {
            _ = try await writer.letters(incident: record, scope: scope, language: "en", try await world.request("security"))
        }
        #expect(try await world.store.ledgerSize() == before, "nothing was opened")
        let batch = try await writer.letters(incident: record, scope: scope, language: "en", try await world.request("security", purpose: "breach-notification"))
        #expect(batch.article34Exemption && batch.note.contains("34(3)(a) applies"))
        let letter = try #require(batch.letters.first { $0.person == scenario.parent2 })
        #expect(letter.html.contains("<html lang=\"en\">") && letter.html.contains("e-mail address") && letter.html.contains("phishing"))
        #expect(letter.text.contains("Be wary of phishing"))
    }

    @Test("the security officer's profile rule opens names and contacts only, and only for the purpose breach-notification")
    func securityRuleIsNarrow() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a.id, try await world.request("security")) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a.id, try await world.request("security", purpose: "list-management")) }
        let view = try await world.gate.read(a.id, try await world.request("security", purpose: "breach-notification"))
        #expect(view.fields.isEmpty, "no dossier field")
        let parent = try #require(view.persons.first { $0.role == "parent" })
        #expect(Set(parent.fields.keys) == ["firstName", "lastName", "email"], "no phone, birth date or health insurance number")
        let child = try #require(view.persons.first { $0.role == "child" })
        #expect(Set(child.fields.keys) == ["firstName", "lastName"])
    }
}
