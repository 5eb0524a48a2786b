import Foundation
import Testing
import GuichetCore
import GuichetStore
import GuichetSynth
import GuichetVault

/// R4's honeytokens (THREATS C7): job-seeker files planted among the generated ones, that no
/// adviser's normal work reaches and that suspend whoever opens one, even where the policy
/// refuses the opening.
@Suite struct EmploiHoneytokenTests {
    static let purpose = ["Guichet-Purpose": "support"]

    @Test("the emploi generator plants its honeytokens outside every caseload and the demo's job seeker, and keeps only their keyed tags")
    func placement() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 600, accounts: [], honeytokens: 9)
        defer { world.remove() }
        let decoys = world.planted.dossiers
        #expect(decoys.count == 9 && world.planted.persons.count == 9)
        // The decoys are files of the registry like the others: in agencies, in the states of real files.
        let records = try await world.store.dossiers(decoys)
        #expect(records.count == 9 && records.allSatisfy { $0.type == "job-seeker" && $0.organisation != nil && $0.assignedAgent == nil })
        #expect(try await world.store.honeytokenTags().count == 18, "one tag per file and per job seeker")

        // The same generator, run again as the demo does: no caseload and no sample holds a decoy.
        let keys = try FileKeyProvider(path: world.folder.appendingPathComponent("guichet.keys").path)
        let other = try await World.make()
        defer { other.remove() }
        var generator = EmploiGenerator(profile: world.profile, keys: keys, size: 600, today: LocalDate(year: 2026, month: 11, day: 23)!)
        generator.keepSearchKeys = true
        let summary = try await generator.generate(into: other.store, honeytokens: 9)
        let planted = Set(summary.honeytokens.dossiers)
        #expect(summary.dossiers == 600 && summary.searchKeys.count == 600, "the size counts real files only")
        #expect(planted.isDisjoint(with: summary.agencyCaseload) && planted.isDisjoint(with: summary.partnerCaseloads.joined()))
        #expect(planted.isDisjoint(with: summary.searchKeys.keys), "a decoy is not among the files normal work searches for")
        #expect(!summary.honeytokens.persons.contains(summary.sampleSeeker))
    }

    @Test("a stolen agency adviser reading files by id from a leaked list is suspended at the honeytoken, whichever agency holds it, and its breach scope sets the decoy apart")
    func leakedListSuspends() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 600, accounts: [("adviser", "adviser", "agency")], honeytokens: 9)
        defer { world.remove() }
        let adviser = try #require(try await world.store.account(username: "adviser"))
        let found = try await world.store.search(DossierQuery(type: "job-seeker", status: "registered", scope: [.organisation(try #require(adviser.organisation))],
                                                              terms: [], after: nil, limit: 3))
        #expect(found.count == 3, "the adviser's agency holds registered files")
        let decoy = world.planted.dossiers[0]
        let secret = try await world.enrol("adviser")
        let token = try await world.signIn("adviser", secret: secret)
        try await world.withPublic { client in
            for id in found {
                let read = try await client.send(.get, "/v1/dossiers/\(id)", token: token, headers: Self.purpose)
                #expect(read.status == .ok, "\(read.text)")
            }
            // Allowed (its agency) or refused (another one): the opening trips the honeytoken.
            let hit = try await client.send(.get, "/v1/dossiers/\(decoy)", token: token, headers: Self.purpose)
            #expect(hit.status == .ok || hit.status == .notFound || hit.status == .forbidden, "\(hit.text)")
            let next = try await client.send(.get, "/v1/dossiers/\(found[0])", token: token, headers: Self.purpose)
            #expect(next.status == .unauthorized || next.status == .forbidden, "the account is suspended after the honeytoken: \(next.text)")
        }
        #expect(try await world.store.account(username: "adviser")?.status == "disabled")
        let alerts = try await world.store.alerts(openOnly: true, account: adviser.id, limit: 20)
        #expect(alerts.contains { $0.detector == "honeytoken" && $0.severity == "critical" }, "\(alerts.map(\.detector))")
        #expect(!alerts.contains { $0.detail.contains(decoy.rawValue) }, "an alert never says which record is the decoy")
        let scope = try await world.scope(of: "adviser")
        #expect(!scope.dossiers.contains { $0.dossier == decoy }, "the decoy is set apart from the files concerned")
    }
}

/// R2's honeytokens (THREATS C7 names R2): youth files planted among the generated ones; in
/// 2025 an intruder read 1.6 million of them by id.
@Suite struct JeunesHoneytokenTests {
    static let purpose = ["Guichet-Purpose": "support"]

    @Test("jeunes: the generator plants its honeytokens outside every caseload and the demo's young person; an adviser who opens one is suspended, and its scope sets it apart")
    func plantedAndTripped() async throws {
        let world = try await StolenAccountWorld.make(profile: "jeunes", size: 600, accounts: [("adviser", "adviser", "local-office")], honeytokens: 7)
        defer { world.remove() }
        let decoys = world.planted.dossiers
        #expect(decoys.count == 7 && world.planted.persons.count == 7)
        let records = try await world.store.dossiers(decoys)
        #expect(records.count == 7 && records.allSatisfy { $0.type == "youth-file" && $0.organisation != nil && $0.assignedAgent == nil })
        #expect(try await world.store.honeytokenTags().count == 14, "one tag per file and per young person")
        // The same generator as the demo runs it: no caseload and no sample holds a decoy, and
        // the real files are as many as asked.
        let keys = try FileKeyProvider(path: world.folder.appendingPathComponent("guichet.keys").path)
        let other = try await World.make()
        defer { other.remove() }
        let summary = try await JeunesGenerator(profile: world.profile, keys: keys, size: 600, today: LocalDate(year: 2026, month: 11, day: 23)!)
            .generate(into: other.store, honeytokens: 7)
        let planted = Set(summary.honeytokens.dossiers)
        #expect(summary.dossiers == 600 && planted.count == 7)
        #expect(planted.isDisjoint(with: summary.caseloads.joined()) && !summary.honeytokens.persons.contains(summary.sampleYoung))

        // A stolen adviser reading files by id: allowed or refused, the decoy suspends it.
        let adviser = try #require(try await world.store.account(username: "adviser"))
        let secret = try await world.enrol("adviser")
        let token = try await world.signIn("adviser", secret: secret)
        let decoy = decoys[0]
        let real = try await world.store.search(DossierQuery(type: "youth-file", status: "active", scope: [.any], terms: [], after: nil, limit: 20))
            .filter { !decoys.contains($0) }
        try await world.withPublic { client in
            let hit = try await client.send(.get, "/v1/dossiers/\(decoy)", token: token, headers: Self.purpose)
            #expect(hit.status == .ok || hit.status == .notFound || hit.status == .forbidden, "\(hit.text)")
            let next = try await client.send(.get, "/v1/dossiers/\(try #require(real.first))", token: token, headers: Self.purpose)
            #expect(next.status == .unauthorized || next.status == .forbidden, "the account is suspended after the honeytoken: \(next.text)")
        }
        #expect(try await world.store.account(username: "adviser")?.status == "disabled")
        let alerts = try await world.store.alerts(openOnly: true, account: adviser.id, limit: 20)
        #expect(alerts.contains { $0.detector == "honeytoken" && $0.severity == "critical" }, "\(alerts.map(\.detector))")
        #expect(!alerts.contains { $0.detail.contains(decoy.rawValue) }, "an alert never says which record is the decoy")
        let scope = try await world.scope(of: "adviser")
        #expect(!scope.dossiers.contains { $0.dossier == decoy }, "the decoy is set apart from the files concerned")
    }
}
