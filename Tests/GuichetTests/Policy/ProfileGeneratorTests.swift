import Foundation
import Testing
import GuichetCore
import GuichetGate
@_spi(GateOnly) import GuichetPolicy
import GuichetProfile
import GuichetStore
@testable import GuichetSynth
import GuichetVault

/// The R2, R3 and R4 generators make data that fits their profile, with valid synthetic
/// identifiers, and relations that the profile's rules can scope.
@Suite struct ProfileGeneratorTests {
    func store(_ folder: URL) throws -> (Store, FileKeyProvider) {
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        return (try Store(path: folder.appendingPathComponent("guichet.sqlite").path), try FileKeyProvider(path: keyFile))
    }

    let today = LocalDate(year: 2026, month: 11, day: 2)!

    @Test("synthetic NIRs carry a valid key, including Corsica and overseas; IBANs have valid check digits")
    func identifiers() {
        var rng = SplitMix64(seed: 7)
        for dept in ["75", "2A", "971", "13"] {
            for _ in 0..<50 {
                let nir = SyntheticNIR.make(female: Bool.random(using: &rng), birthYear: Int.random(in: 1950...2010, using: &rng),
                                            birthMonth: Int.random(in: 1...12, using: &rng), departement: dept, using: &rng)
                #expect(nir.count == 15 && FieldValidation.isValidNIR(nir), "\(nir)")
            }
        }
        for _ in 0..<50 {
            let iban = SecuGenerator.iban(&rng)
            // ISO 13616: move the first four characters to the end, letters to numbers, mod 97 == 1.
            let moved = iban.dropFirst(4) + "1527" + iban.dropFirst(2).prefix(2)
            var r = 0
            for c in moved { r = (r * 10 + Int(String(c))!) % 97 }
            #expect(iban.count == 27 && r == 1, "\(iban)")
        }
    }

    @Test("the jeunes generator puts each young person's file in a local office, with caseloads for advisers")
    func jeunes() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (store, keys) = try store(folder)
        let profile = try Repo.profile(named: "jeunes")
        let s = try await JeunesGenerator(profile: profile, keys: keys, size: 300, today: today).generate(into: store)
        #expect(s.dossiers == 300 && s.offices.count == 16 && s.caseloads.count == 4 && s.caseloads.allSatisfy { !$0.isEmpty })
        #expect(try await store.countByStatus(type: "youth-file").values.reduce(0, +) == 300)
        let files = try await store.dossiers(s.caseloads[0])
        #expect(files.allSatisfy { $0.status == "active" && $0.organisation == s.offices[0].id && $0.persons.count == 1 })
    }

    @Test("the secu generator links dependants and declaring employers; an employer sees only its employees' identity")
    func secu() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (store, keys) = try store(folder)
        let profile = try Repo.profile(named: "secu")
        let s = try await SecuGenerator(profile: profile, keys: keys, size: 300, today: today).generate(into: store)
        #expect(s.dossiers == 300 && s.persons > 300 && s.employers.count == 16)
        let ids = try await store.search(DossierQuery(type: "insured-account", status: nil, scope: [.any], terms: [], after: nil, limit: 300))
        let records = try await store.dossiers(ids)
        #expect(records.contains { $0.persons.contains { $0.role == "dependant" } })
        let employed = try #require(records.first { !$0.partners.isEmpty && $0.status == "open" })
        let policy = Policy(profile: profile)
        let employer = Subject(account: AccountID(), role: "employer", organisation: employed.partners[0], person: nil, territory: nil)
        let grant = try #require(policy.decide(employer, .read, employed.facts, purpose: "salary-declaration").grant)
        #expect(grant.readable == ["insured.firstName", "insured.lastName", "insured.birthDate", "insured.cnss"])
        let other = try #require(records.first { !$0.partners.contains(employed.partners[0]) })
        #expect(policy.decide(employer, .read, other.facts, purpose: "salary-declaration").grant == nil)
    }
}
