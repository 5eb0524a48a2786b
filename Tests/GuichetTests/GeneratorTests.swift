import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetSynth

/// The synthetic R1 registry: valid formats, plausible proportions, and readable through the gate.
@Suite struct GeneratorTests {
    @Test("generated dossiers are valid under the profile, with plausible states and only fictional contacts")
    func generatedDataIsValid() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let generator = Place05Generator(profile: world.profile, keys: world.keys, size: 600, today: LocalDate(year: 2026, month: 11, day: 23)!)
        let summary = try await generator.generate(into: world.store)
        #expect(summary.dossiers == 600)
        #expect(summary.persons > 600 + 400, "each application has a child and one or two parents, some shared by siblings")

        let counts = try await world.store.countByStatus(type: "application")
        #expect(counts.values.reduce(0, +) == 600)
        #expect((380...460).contains(counts["waiting"] ?? 0), "about 70% wait")

        // Read everything through the gate as an agent: every field decodes and has a valid format.
        let views = try await world.allApplications()
        for view in views {
            guard case .date(let start)? = view.fields["desiredStart"] else { Issue.record("desiredStart missing"); continue }
            #expect(start.year >= 2025)
            #expect((1...5).contains(view.partners?.count ?? 0))
            let child = try #require(view.persons.first { $0.role == "child" })
            guard case .date(let birth)? = child.fields["birthDate"] else { Issue.record("child birth date missing"); continue }
            #expect(birth >= LocalDate(year: 2021, month: 11, day: 1)! && birth <= LocalDate(year: 2026, month: 11, day: 23)!, "children are 0 to 5")
            for person in view.persons {
                guard case .text(let nam)? = person.fields["nam"] else { Issue.record("NAM missing"); continue }
                #expect(FieldValidation.isValidNAM(nam))
                if case .text(let email)? = person.fields["email"] {
                    #expect(email.hasSuffix("@example.org") || email.hasSuffix("@example.net") || email.hasSuffix("@example.com"))
                }
                if case .text(let phone)? = person.fields["phone"] {
                    #expect(phone.dropFirst(5).hasPrefix("55501"), "fictional 555-01XX numbers only")
                }
            }
        }
        #expect(views.count == 600)
    }

    @Test("the same seed generates the same registry")
    func deterministic() async throws {
        let a = try await World.make(), b = try await World.make()
        defer { a.remove(); b.remove() }
        let today = LocalDate(year: 2026, month: 11, day: 23)!
        _ = try await Place05Generator(profile: a.profile, keys: a.keys, size: 50, seed: 7, today: today).generate(into: a.store)
        _ = try await Place05Generator(profile: b.profile, keys: b.keys, size: 50, seed: 7, today: today).generate(into: b.store)
        let ids = { (w: World) in try await w.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 100)) }
        #expect(try await ids(a) == ids(b))
    }
}
