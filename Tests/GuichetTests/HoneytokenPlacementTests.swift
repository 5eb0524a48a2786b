import Foundation
import Testing
import GuichetCore
import GuichetSynth

/// Where honeytokens sit for legitimate work: outside every name search of real surnames, and
/// late in a daycare service's list taken in start order.
@Suite struct HoneytokenPlacementTests {
    @Test("no real surname's search term finds a reserved honeytoken surname, and each real surname has a reserved one of its lengths")
    func reservedSurnames() throws {
        let type = try #require(try Repo.profile().personField("lastName")).type
        let term = { (name: String) in FieldValidation.term(.text(name), type: type) }
        let real = Set(QuebecNames.lastNames.map(term)), reserved = Set(QuebecNames.reservedLastNames.map(term))
        #expect(real.isDisjoint(with: reserved))
        #expect(reserved.count == QuebecNames.reservedLastNames.count, "no two reserved surnames share a search term")
        var rng = SplitMix64(seed: 5)
        for name in QuebecNames.lastNames {
            let stand = QuebecNames.reservedLastName(like: name, using: &rng)
            #expect(stand.utf8.count == name.utf8.count && stand.count == name.count, "\(name) → \(stand)")
            #expect(SyntheticEmail.make(first: "Julie", last: stand, n: 7).utf8.count == SyntheticEmail.make(first: "Julie", last: name, n: 7).utf8.count,
                    "\(name) → \(stand)")
        }
    }

    @Test("no real French surname's search term finds a reserved one (emploi's honeytokens), and each has a reserved one of its lengths")
    func reservedFrenchSurnames() throws {
        let type = try #require(try Repo.profile(named: "emploi").personField("lastName")).type
        let term = { (name: String) in FieldValidation.term(.text(name), type: type) }
        let real = Set(FrenchNames.last.map(term)), reserved = Set(FrenchNames.reservedLast.map(term))
        #expect(real.isDisjoint(with: reserved))
        #expect(reserved.count == FrenchNames.reservedLast.count, "no two reserved surnames share a search term")
        var rng = SplitMix64(seed: 5)
        for name in FrenchNames.last {
            let stand = FrenchNames.reservedLastName(like: name, using: &rng)
            #expect(stand.utf8.count == name.utf8.count && stand.count == name.count, "\(name) → \(stand)")
            #expect(SyntheticEmail.make(first: "Julie", last: stand, n: 7).utf8.count == SyntheticEmail.make(first: "Julie", last: name, n: 7).utf8.count,
                    "\(name) → \(stand)")
        }
    }

    @Test("in a daycare service's waiting list taken in start order, every honeytoken comes after most real applications")
    func honeytokensComeLate() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let planted = try await world.plant(size: 1_500, honeytokens: 15)
        let honey = Set(planted.dossiers)
        let views = try await world.allApplications()
        var lists: [OrganisationID: [(start: LocalDate, honeytoken: Bool)]] = [:]
        for view in views where view.status == "waiting" {
            guard case .date(let start)? = view.fields["desiredStart"] else { Issue.record("desiredStart missing"); continue }
            for partner in view.partners ?? [] { lists[partner, default: []].append((start, honey.contains(view.id))) }
        }
        var placed = 0, worst = 1.0
        for list in lists.values where list.contains(where: \.honeytoken) {
            let real = list.filter { !$0.honeytoken }
            for decoy in list where decoy.honeytoken {
                // Real applications that a service taking the list in start order reaches first.
                let before = Double(real.filter { $0.start < decoy.start }.count) / Double(max(1, real.count))
                worst = min(worst, before)
                placed += 1
            }
        }
        print("honeytoken placement: \(placed) places in waiting lists; each after at least \(Int(worst * 100)) % of its list's real applications")
        #expect(placed >= 10, "waiting honeytokens in some daycare's list: \(placed)")
        #expect(worst >= 0.75, "a honeytoken comes after \(Int(worst * 100)) % of its list's real applications")
    }
}
