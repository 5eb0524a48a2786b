import Foundation
import GRDB
import Testing
import GuichetCore
@_spi(GateOnly) import GuichetGate
@_spi(GateOnly) import GuichetLedger
@testable import GuichetBreach
import GuichetMerkle
import GuichetVault
@testable import GuichetStore

/// Breach scope (C10): exactly which fields of whom, from the ledger, never an estimate.
@Suite struct BreachScopeTests {
    @Test("a compromised account's scope lists exactly the persons and fields it saw, no more and no fewer")
    func scopeOfCompromisedAccount() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let scope = try await BreachResponse.scopeNow(incident.world.gate, ScopeQuery(account: incident.attacker.account))

        #expect(Dictionary(uniqueKeysWithValues: scope.persons.map { ($0.person, $0.fields) }) == incident.expectedPersons)
        #expect(!scope.persons.map(\.person).contains(incident.parent1) && !scope.persons.map(\.person).contains(incident.child(incident.a1)))
        #expect(Set(scope.dossiers.map(\.dossier)) == [incident.a2.id, incident.a3.id])
        #expect(scope.dossiers.allSatisfy { $0.fields == ScriptedIncident.dossierFields })
        #expect(scope.persons.allSatisfy { $0.dossierFields == ScriptedIncident.dossierFields })
        #expect(scope.fieldCounts == ["parent.firstName": 3, "parent.lastName": 3, "parent.email": 2, "parent.phone": 2,
                                      "child.firstName": 2, "child.birthDate": 2, "desiredStart": 2, "daysPerWeek": 2, "schedule": 2])
        #expect(scope.attempts.count == 1 && scope.attempts.first?.dossiers == [incident.a1.id] && scope.attempts.first?.allowed == false)
        #expect(scope.writes.isEmpty && !scope.approximate)
        // read a2, read a3, search (two entries), the refused read.
        #expect(scope.entriesMatched == 5)
    }

    @Test("changes in a scope are the account's writes and steps, not the watch's records about it nor reads that returned no field")
    func changesAreTheAccountsOwn() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let world = incident.world
        let context = AccessContext(requestID: "req-scope-changes", subject: incident.attacker.subject, session: incident.attacker.session,
                                    source: ScriptedIncident.attackerSource, purpose: nil, at: Date())
        // What the watch did to the account, and an explanation asked for: the account changed nothing.
        try await world.gate.journal.recordSystemEvent("watch:step-up", reason: "unusual activity", persons: [], dossiers: [], context: context)
        try await world.gate.journal.recordSystemEvent("policy-explain", reason: "explained", persons: [], dossiers: [], context: context)
        // A change by the account: a dossier written.
        try await world.gate.journal.recordWrite([AllowedAccess(dossier: incident.a2.id, rules: ["test"], breakGlass: false, persons: [], fields: ["schedule"])],
                                                 action: .update, context: context)
        // A step that changes the registry's accounts is a change too.
        try await world.gate.journal.recordSystemEvent("provision:caseload-assign", reason: "1 dossier assigned", persons: [], dossiers: [incident.a2.id],
                                                       context: context)
        let scope = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: incident.attacker.account))
        #expect(scope.writes.map(\.action) == ["update", "provision:caseload-assign"], "\(scope.writes.map(\.action))")
        #expect(scope.entriesMatched == 9)
        let incidentRecord = try await BreachRegister(store: world.store).register(
            IncidentInput(title: "test", nature: "a stolen daycare account", facts: "read two applications", detectedAt: Date(),
                          scope: ScopeQuery(account: incident.attacker.account)), by: nil)
        let report = RegulatorReport(incident: incidentRecord, scope: scope, profile: world.profile, contact: "mailto:dpo@example.org", now: Date()).markdown()
        #expect(report.contains("Allowed changes (integrity): 2.") && report.contains("returned by 2 allowed reads") && report.contains("in 2 dossiers (records)"), "\(report)")
        // The same report in French, for a French-speaking authority.
        let french = RegulatorReport(incident: incidentRecord, scope: scope, profile: world.profile, contact: "mailto:dpo@example.org", now: Date())
            .markdown(language: "fr")
        #expect(french.hasPrefix("# Violation de données personnelles : projet de notification (RGPD, art. 33)"))
        #expect(french.contains("Modifications autorisées (intégrité) : 2.") && french.contains("renvoyés par 2 consultations autorisées"), "\(french)")
        #expect(french.contains("## Chronologie") && french.contains(" : inscrite au registre des violations") && french.contains("Statut : ouvert."))
        // Persons and fields by their labels in the report's language, not by their codes (an incident audit read `seeker` and `seeker.email`).
        #expect(french.contains("| parent | ") && french.contains("| enfant | ") && !french.contains("| child | "), "\(french)")
        #expect(french.contains("date de naissance de l'enfant") && !french.contains("`child.birthDate`"))
        #expect(report.contains("| child | ") && report.contains("the child's date of birth"))
        #expect(Labels.personCategory("seeker", language: "fr", profile: try Repo.profile(named: "emploi")) == "demandeur d'emploi")
        #expect(Labels.personCategory("seeker", language: "en", profile: try Repo.profile(named: "emploi")) == "job seeker")
        #expect(french.range(of: #"\{[a-zA-Z]+\}"#, options: .regularExpression) == nil, "every value put in: \(french)")
        #expect(RegulatorReport.texts["fr"].map { Set($0.keys) } == RegulatorReport.texts["en"].map { Set($0.keys) }, "every text in both languages")
        // A title holding braces is written as typed, not read as a value's name.
        let braces = try await BreachRegister(store: world.store).register(
            IncidentInput(title: "{id} {persons}", nature: "n", facts: "f", detectedAt: Date(), scope: ScopeQuery(account: incident.attacker.account)), by: nil)
        #expect(RegulatorReport(incident: braces, scope: scope, profile: world.profile, contact: "c", now: Date()).markdown()
            .contains("Incident `\(braces.id)`: {id} {persons}."))
    }

    @Test("the regulator draft counts as records and reads only what returned personal fields, not a listing's public summary")
    func listingsAreNoRecords() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let world = incident.world
        let query = ScopeQuery(account: incident.attacker.account)
        let record = try await BreachRegister(store: world.store).register(
            IncidentInput(title: "test", nature: "a stolen daycare account", facts: "listed and read applications", detectedAt: Date(), scope: query), by: nil)
        func counts() async throws -> (String, String) {
            let scope = try await BreachResponse.scopeNow(world.gate, query)
            let report = RegulatorReport(incident: record, scope: scope, profile: world.profile, contact: "c", now: Date()).markdown()
            let reads = try #require(report.firstMatch(of: #/returned by (\d+) allowed reads/#)).1
            let records = try #require(report.firstMatch(of: #/in (\d+) dossiers \(records\)/#)).1
            return (String(reads), String(records))
        }
        let before = try await counts()
        // A listing of twenty files: their public fields only (what a search's summary returns).
        let context = AccessContext(requestID: "req-listing", subject: incident.attacker.subject, session: incident.attacker.session,
                                    source: ScriptedIncident.attackerSource, purpose: nil, at: Date())
        let listed = (0..<20).map { _ in AllowedAccess(dossier: DossierID(), rules: ["test"], breakGlass: false, persons: [], fields: ["desiredStart", "daysPerWeek"]) }
        _ = try await world.gate.journal.recordDisclosure(listed, action: .search, context: context)
        let after = try await counts()
        #expect(after == before, "before \(before), after a listing \(after)")
        // Two files opened; the search that listed them returned their summaries only.
        #expect(before == ("2", "2"), "\(before)")
    }

    @Test("honeytoken records the intruder reached are set apart: not persons concerned, not counted, not written to")
    func decoysAreSetApart() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let world = incident.world
        // Mark the second application (which the intruder read) and its family as honeytokens,
        // as the generator does: keyed tags only.
        let key = try Vault(profile: world.profile, keys: world.keys).honeytokenKey()
        let decoyPersons = [incident.parent2, incident.child(incident.a2)]
        try await world.store.insertHoneytokenTags([Honeytoken.tag(incident.a2.id.rawValue, kind: "dossier", key: key)]
                                                   + decoyPersons.map { Honeytoken.tag($0.rawValue, kind: "person", key: key) })
        let scope = try await BreachResponse.scopeNow(world.gate, ScopeQuery(account: incident.attacker.account))

        var expected = incident.expectedPersons
        for p in decoyPersons { expected[p] = nil }
        #expect(Dictionary(uniqueKeysWithValues: scope.persons.map { ($0.person, $0.fields) }) == expected)
        #expect(Set(scope.decoyPersons) == Set(decoyPersons) && scope.decoyDossiers == [incident.a2.id])
        #expect(scope.dossiers.map(\.dossier) == [incident.a3.id])
        #expect(scope.fieldCounts == ["parent.firstName": 2, "parent.lastName": 2, "parent.email": 1, "parent.phone": 1,
                                      "child.firstName": 1, "child.birthDate": 1, "desiredStart": 1, "daysPerWeek": 1, "schedule": 1])
        #expect(scope.entriesMatched == 5, "the events are kept whole, as evidence")
        let json = scope.json().object ?? [:]
        #expect(json["decoys"]?.object?["persons"] == JSON.number(2) && json["decoys"]?.object?["dossiers"] == JSON.number(1) && json["personCount"] == JSON.number(3))
        // How many decoys, never which (a stolen officer's account would learn them; insider audit).
        #expect(scope.csv().contains("decoys,,,persons:2 dossiers:1,"))
        for decoy in decoyPersons.map(\.rawValue) + [incident.a2.id.rawValue] {
            #expect(!scope.csv().contains(decoy) && !"\(scope.json())".contains(decoy), "a decoy's id is in no export of the scope")
        }

        // Without honeytokens the same scope is unchanged (the decoys list is empty).
        let plain = try await world.gate.auditor.scope(ScopeQuery(account: incident.attacker.account))
        #expect(plain.persons.count == 5 && plain.decoyPersons.isEmpty)
    }

    @Test("entries carry a keyed tag of the source address; the address is kept beside them, and checked against the tag")
    func sourceAddressKeptBeside() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let gate = incident.world.gate
        let scope = try await BreachResponse.scopeNow(gate, ScopeQuery(source: ScriptedIncident.attackerSource))
        #expect(scope.entriesMatched == 5 && scope.events.allSatisfy { $0.source == ScriptedIncident.attackerSource })
        let raw = try await incident.world.ledger.ledgerEntries(scope.events.map(\.index))
        #expect(raw.count == 5 && raw.allSatisfy { !String(decoding: $0.entry, as: UTF8.self).contains(ScriptedIncident.attackerSource) })
        // Someone rewrites the kept address to hide where the intruder came from: refused.
        try await incident.world.integrateLedger()  // the address is in ledger_source, not waiting in the tail
        let rewrite = "UPDATE ledger_source SET source = '192.0.2.1' WHERE idx = \(scope.events[0].index)"
        try await incident.world.database.execute(sqlite: ["DROP TRIGGER ledger_source_no_update", rewrite],
                                                  postgres: ["ALTER TABLE ledger_source DISABLE TRIGGER USER", rewrite])
        await #expect(throws: LedgerError.self) { _ = try await gate.auditor.scope(ScopeQuery(account: incident.attacker.account)) }
    }

    @Test("rows deleted from the ledger's look-up indexes are found by verification, and a scope never answers from an entry deleted or rewritten")
    func damagedLedgerIsNamed() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let world = incident.world, gate = world.gate
        let scope = try await BreachResponse.scopeNow(gate, ScopeQuery(account: incident.attacker.account))
        #expect(scope.persons.count == 5 && scope.entriesMatched == 5)
        #expect(try await gate.auditor.verifyIndexes().problem == nil, "the indexes match the entries, those waiting in the tail included")
        try await world.integrateLedger()
        #expect(try await gate.auditor.verifyIndexes().problem == nil, "and once integrated")
        // An intruder who owns the database removes its account's rows (an incident audit: the
        // scope by account came back empty, and the tree still verified).
        let account = incident.attacker.account.rawValue
        try await world.database.execute(
            sqlite: ["DROP TRIGGER ledger_account_no_delete", "DELETE FROM ledger_account WHERE account_id = '\(account)'"],
            postgres: ["ALTER TABLE ledger_entry DISABLE TRIGGER USER", "UPDATE ledger_entry SET account_id = NULL WHERE account_id = '\(account)'"])
        #expect(try await gate.auditor.verify().problem == nil, "the tree covers the entries, not their indexes")
        let problem = try await gate.auditor.verifyIndexes().problem
        #expect(problem?.contains("the account index") == true && problem?.contains("rows were deleted") == true, "\(problem ?? "nothing found")")

        // A witness keeps the latest checkpoint outside the database. The intruder cuts the
        // ledger short from its first entry, with the stored checkpoints and subtree hashes
        // that covered the end: the database alone looks whole, the kept checkpoint does not.
        let kept = try await gate.checkpoint(at: Date())
        let signed = Int64(try gate.auditor.verifier.verifyCheckpoint(kept, origin: gate.auditor.origin).size)
        let cut = try #require(scope.events.map(\.index).min())
        try await world.database.execute(
            sqlite: ["DROP TRIGGER ledger_entry_no_delete", "DROP TRIGGER ledger_node_no_delete", "DROP TRIGGER ledger_checkpoint_no_delete",
                     "DELETE FROM ledger_entry WHERE idx >= \(cut)", "DELETE FROM ledger_node WHERE (idx + 1) * (1 << level) > \(cut)",
                     "DELETE FROM ledger_checkpoint WHERE size > \(cut)"],
            postgres: ["ALTER TABLE ledger_node DISABLE TRIGGER USER", "ALTER TABLE ledger_checkpoint DISABLE TRIGGER USER",
                       "DELETE FROM ledger_entry WHERE idx >= \(cut)", "DELETE FROM ledger_node WHERE (idx + 1) * (1::bigint << level) > \(cut)",
                       "DELETE FROM ledger_checkpoint WHERE size > \(cut)"])
        #expect(try await gate.auditor.verify().problem == nil, "cut with its checkpoints, the stored ledger alone looks whole")
        // The server that signed the longer ledger does not sign the cut one.
        await #expect(throws: LedgerError.self) { _ = try await gate.checkpoint(at: Date()) }
        #expect(try await gate.auditor.verify(kept: [kept]).problem
                    == "entries are missing at the end: a checkpoint kept outside the database signed \(signed) entries, the ledger has \(cut)")
        let forged = kept.replacingOccurrences(of: "\n\(signed)\n", with: "\n\(signed + 1)\n")
        #expect(try await gate.auditor.verify(kept: [forged]).problem?.hasPrefix("a checkpoint kept outside the database does not verify") == true)

        // One of the persons' rows removed: the citizen's history would miss the access.
        let person = try #require(scope.persons.first?.person.rawValue)
        let second = try await ScriptedIncident.make()
        defer { second.world.remove() }
        try await second.world.integrateLedger()
        let unindexed = try #require(try await second.world.database.strings("SELECT person_id FROM ledger_person ORDER BY person_id LIMIT 1").first)
        try await second.world.database.execute(
            sqlite: ["DROP TRIGGER ledger_person_no_delete", "DELETE FROM ledger_person WHERE person_id = '\(unindexed)'"],
            postgres: ["ALTER TABLE ledger_person DISABLE TRIGGER USER", "DELETE FROM ledger_person WHERE person_id = '\(unindexed)'"])
        let personProblem = try await second.world.gate.auditor.verifyIndexes().problem
        #expect(personProblem?.contains("the person index") == true, "\(personProblem ?? "nothing found")")
        #expect(!(personProblem ?? "").contains(person), "the problem names entries, not persons")

        // An entry the source index still names is deleted: the scope says the ledger is damaged.
        let bySource = try await BreachResponse.scopeNow(second.world.gate, ScopeQuery(source: ScriptedIncident.attackerSource))
        let deleted = try #require(bySource.events.last { $0.persons.contains { $0.rawValue != unindexed } }?.index)
        try await second.world.database.execute(
            sqlite: ["DROP TRIGGER ledger_entry_no_delete", "DELETE FROM ledger_entry WHERE idx = \(deleted)"],
            postgres: ["ALTER TABLE ledger_entry DISABLE TRIGGER USER", "DELETE FROM ledger_entry WHERE idx = \(deleted)"])
        let damaged = LedgerError.corrupt("1 of the \(try await second.world.gate.ledgerSize()) entries the ledger numbers are missing from it: they were deleted; run 'guichet ledger verify'")
        await #expect(throws: damaged) {
            _ = try await second.world.gate.auditor.scope(ScopeQuery(source: ScriptedIncident.attackerSource))
        }
        // Nor by account or by time window, which find entries through the entries' own
        // columns, where a deleted entry leaves no trace (an incident audit: both came back
        // one person's sensitive fields short).
        await #expect(throws: damaged) { _ = try await second.world.gate.auditor.scope(ScopeQuery(account: second.attacker.account)) }
        let window = try #require(bySource.events.first?.at)
        await #expect(throws: damaged) {
            _ = try await second.world.gate.auditor.scope(ScopeQuery(from: window.addingTimeInterval(-60), to: Date().addingTimeInterval(60)))
        }
        // A citizen's history that the person index still names it in says the ledger is
        // damaged, rather than show the other entries as whole.
        // A person the index still names (not the one whose rows were deleted above: which one
        // that was depends on the random ids, and the check failed when they were the same).
        let readOf = try #require(bySource.events.last { $0.index == deleted }?.persons.first { $0.rawValue != unindexed })
        await #expect(throws: LedgerError.corrupt("entry \(deleted) is named by the ledger's indexes but missing from the ledger: it was deleted; run 'guichet ledger verify'")) {
            _ = try await second.world.gate.auditor.history(persons: [readOf], dossiers: [], account: nil)
        }

        // The source index's rows of the intruder's address deleted: verification names the
        // index (an incident audit: verify and restore passed, and the scope by that address
        // said 0 persons).
        let fourth = try await ScriptedIncident.make()
        defer { fourth.world.remove() }
        try await fourth.world.integrateLedger()
        #expect(try await fourth.world.gate.auditor.verifyIndexes().problem == nil)
        let hide = "DELETE FROM ledger_source WHERE source = '\(ScriptedIncident.attackerSource)'"
        try await fourth.world.database.execute(sqlite: ["DROP TRIGGER ledger_source_no_delete", hide],
                                                postgres: ["ALTER TABLE ledger_source DISABLE TRIGGER USER", hide])
        let sourceProblem = try await fourth.world.gate.auditor.verifyIndexes().problem
        #expect(sourceProblem?.contains("the source index (ledger_source") == true && sourceProblem?.contains("rows were deleted") == true,
                "\(sourceProblem ?? "nothing found")")

        // An entry rewritten (its decision): the scope refuses it too.
        let third = try await ScriptedIncident.make()
        defer { third.world.remove() }
        let thirdScope = try await BreachResponse.scopeNow(third.world.gate, ScopeQuery(account: third.attacker.account))
        let rewritten = try #require(thirdScope.events.first?.index)
        try await third.world.database.execute(
            sqlite: ["DROP TRIGGER ledger_entry_no_update",
                     "UPDATE ledger_entry SET entry = CAST(replace(CAST(entry AS TEXT), '\"reason\":\"', '\"reason\":\"x') AS BLOB) WHERE idx = \(rewritten)"],
            postgres: ["ALTER TABLE ledger_entry DISABLE TRIGGER USER",
                       "UPDATE ledger_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), '\"reason\":\"', '\"reason\":\"x'), 'UTF8') WHERE idx = \(rewritten)"])
        await #expect(throws: LedgerError.corrupt("entry \(rewritten) is not the entry the signed checkpoint of size \(thirdScope.checkpoint.size) covers: it was changed; run 'guichet ledger verify'")) {
            _ = try await third.world.gate.auditor.scope(ScopeQuery(account: third.attacker.account))
        }
    }

    @Test("entries that recorded an IPv4 client mapped into IPv6 (a listener bound to ::, before one spelling per address) are scoped by its IPv4 address")
    func scopeFindsMappedSpelling() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let gate = incident.world.gate
        // Reads of the same account from the same client, recorded in the old spelling.
        let request = GateRequest(principal: incident.attacker, requestID: UUID().uuidString,
                                  source: "::ffff:" + ScriptedIncident.attackerSource, purpose: nil)
        _ = try await gate.read(incident.a1.id, try await incident.world.request("daycare1"))
        _ = try await gate.read(incident.a2.id, request)
        let byAccount = try await BreachResponse.scopeNow(gate, ScopeQuery(account: incident.attacker.account))
        for spelling in [ScriptedIncident.attackerSource, "::ffff:" + ScriptedIncident.attackerSource, "::FFFF:cb00:7107"] {
            let bySource = try await gate.auditor.scope(ScopeQuery(source: spelling))
            #expect(bySource.events.count == byAccount.events.count, "\(spelling): every entry of the client, in either spelling")
            #expect(bySource.persons == byAccount.persons)
        }
    }

    @Test("the same incident scoped by session, by source address and by time window gives the same answer")
    func scopeBySessionSourceAndWindow() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let gate = incident.world.gate
        let byAccount = try await BreachResponse.scopeNow(gate, ScopeQuery(account: incident.attacker.account))
        let bySession = try await gate.auditor.scope(ScopeQuery(session: incident.attacker.session))
        let bySource = try await gate.auditor.scope(ScopeQuery(source: ScriptedIncident.attackerSource))
        let first = try #require(byAccount.events.first?.at), last = try #require(byAccount.events.last?.at)
        let byWindow = try await gate.auditor.scope(ScopeQuery(source: ScriptedIncident.attackerSource, from: first, to: last.addingTimeInterval(0.001)))
        // The address as a dual-stack listener or another tool writes it: the same address.
        let bySpelling = try await gate.auditor.scope(ScopeQuery(source: "::ffff:" + ScriptedIncident.attackerSource))
        #expect(!bySpelling.persons.isEmpty)
        for other in [bySession, bySource, byWindow, bySpelling] {
            #expect(other.persons == byAccount.persons && other.attempts == byAccount.attempts && other.fieldCounts == byAccount.fieldCounts)
        }
        // The session of a normal account shows none of it.
        let normal = try await gate.auditor.scope(ScopeQuery(session: try await incident.world.principal("daycare1").session))
        #expect(Set(normal.persons.map(\.person)).isDisjoint(with: [incident.parent2, incident.parent3]))
        // An empty query or an inverted window is refused.
        await #expect(throws: GuichetError.self) { _ = try await gate.auditor.scope(ScopeQuery()) }
        await #expect(throws: GuichetError.self) { _ = try await gate.auditor.scope(ScopeQuery(from: last, to: first)) }
    }

    @Test("a scope is computed from one signed checkpoint and names it; later entries are not in it until a new checkpoint")
    func scopeNamesItsCheckpoint() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let gate = incident.world.gate
        let scope = try await BreachResponse.scopeNow(gate, ScopeQuery(account: incident.attacker.account))
        let head = try await gate.journal.head()
        #expect(scope.checkpoint.size == head.size && scope.checkpoint.rootHash == head.root)
        let verified = try gate.auditor.verifier.verifyCheckpoint(scope.checkpoint.note, origin: gate.auditor.origin)
        #expect(Int64(verified.size) == scope.checkpoint.size && verified.rootHash == scope.checkpoint.rootHash)

        // The attacker reads one more dossier after the checkpoint.
        _ = try await gate.read(incident.a2.id, GateRequest(principal: incident.attacker, requestID: "late", source: ScriptedIncident.attackerSource, purpose: nil))
        let stale = try await gate.auditor.scope(ScopeQuery(account: incident.attacker.account))
        #expect(stale.entriesMatched == scope.entriesMatched && stale.checkpoint == scope.checkpoint)
        let fresh = try await BreachResponse.scopeNow(gate, ScopeQuery(account: incident.attacker.account))
        #expect(fresh.entriesMatched == scope.entriesMatched + 1 && fresh.checkpoint.size == scope.checkpoint.size + 1)
    }

    @Test("the ledger entry says which fields are whose when two persons share a role")
    func entryRecordsPersonFields() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let rows = try await incident.world.ledger.journal(account: incident.attacker.account)
        let read = try #require(rows.first { $0.action == "read" && $0.dossiers == [incident.a3.id] })
        #expect(read.personFields?[incident.parent3] == ScriptedIncident.contactParentFields)
        #expect(read.personFields?[incident.secondParent] == ScriptedIncident.bareParentFields)
        #expect(read.fields.contains("parent.email"), "the entry's fields are the union, as before")
    }

    @Test("scope CSV has one row per person field and attempt, each naming the checkpoint")
    func scopeCSV() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let scope = try await BreachResponse.scopeNow(incident.world.gate, ScopeQuery(account: incident.attacker.account))
        let lines = scope.csv().split(separator: "\r\n").map(String.init)
        #expect(lines.first == "kind,person,dossier,field,entries,first_at,last_at,checkpoint_size,checkpoint_root")
        let personRows = lines.filter { $0.hasPrefix("person-field,") }
        #expect(personRows.count == incident.expectedPersons.values.map(\.count).reduce(0, +))
        #expect(lines.filter { $0.hasPrefix("attempt,") }.count == 1)
        #expect(lines.dropFirst().allSatisfy { $0.hasSuffix(",\(scope.checkpoint.size),\(scope.checkpoint.rootHash.base64)") })
        #expect(personRows.contains { $0.hasPrefix("person-field,\(incident.secondParent.rawValue),") && $0.contains(",parent.lastName,") })
        #expect(!personRows.contains { $0.hasPrefix("person-field,\(incident.secondParent.rawValue),") && $0.contains(",parent.email,") })
    }

    @Test("scopes by session, source and time use indexes, not a scan of the ledger", .sqliteOnly)
    func scopeUsesIndexes() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let plans = try await world.sqlite.pool.read { db in
            try ["SELECT idx FROM ledger_session WHERE session_id = 'x' AND at >= 0 AND at < 1 AND idx < 9 ORDER BY at, idx LIMIT 10",
                 "SELECT idx FROM ledger_source WHERE source = 'x' AND at >= 0 AND at < 1 AND idx < 9 ORDER BY at, idx LIMIT 10",
                 "SELECT idx FROM ledger_entry WHERE at >= 0 AND at < 1 AND idx < 9 ORDER BY at, idx LIMIT 10",
                 "SELECT idx FROM ledger_entry WHERE account_id = 'x' AND at >= 0 AND at < 1 AND idx < 9 ORDER BY at, idx LIMIT 10"].map { sql in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql).map { $0["detail"] as String }.joined(separator: " ")
            }
        }
        for plan in plans { #expect(plan.contains("SEARCH") && !plan.contains("SCAN") && !plan.contains("TEMP B-TREE"), "\(plan)") }
    }

    @Test("session and source indexes are filled for every new entry and are append-only")
    func actorIndexesFilled() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        try await incident.world.integrateLedger()  // what waits in the tail goes into the indexes
        let database = try incident.world.database
        let (sessions, sources, entries) = (try await database.count("ledger_session", where: "session_id = '\(incident.attacker.session)'"),
                                            try await database.count("ledger_source", where: "source = '\(ScriptedIncident.attackerSource)'"),
                                            try await database.count("ledger_entry", where: "account_id = '\(incident.attacker.account)'"))
        #expect(sessions == 5 && sources == 5 && entries == 5)
        #expect(await database.refuses("DELETE FROM ledger_session"))
    }
}

/// Times given to a breach scope or an incident are read whole (operator's audit: a time typed
/// after the page's pre-filled one was read as the pre-filled one).
@Suite struct ScopeTimeTests {
    @Test("an ISO 8601 time is read whole: trailing text is refused, not dropped")
    func wholeTimes() throws {
        #expect(try ScopeFormat.parseTime("2026-12-01T08:00:00Z", "detectedAt") == Date(timeIntervalSince1970: 1_796_112_000))
        #expect(try ScopeFormat.parseTime("2026-12-01T08:00:00.500Z", "from").timeIntervalSince1970 == 1_796_112_000.5)
        #expect(try ScopeFormat.parseTime("2026-12-01", "from") == Date(timeIntervalSince1970: 1_796_083_200))
        for bad in ["2026-12-01T08:00:00Z-garbage-here", "2026-12-06T12:55:03.026Z2026-12-06T12:53:01Z", "yesterday", " 2026-12-01T08:00:00Z"] {
            #expect(throws: GuichetError.self, "\(bad)") { _ = try ScopeFormat.parseTime(bad, "detectedAt") }
        }
    }
}
