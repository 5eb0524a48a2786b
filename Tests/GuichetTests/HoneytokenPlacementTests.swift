import Foundation
import Testing
import GuichetCore
import GuichetSynth

/// Where honeytokens sit for legitimate work: outside every name search of real surnames, and
/// late in a daycare service's list taken in start order.
@Suite struct HoneytokenPlacementTests {
    /// A profile's real surnames, its reserved ones, and how one stands for a real one.
    struct Vocabulary: Sendable, CustomStringConvertible {
        let profile: String
        let real: [String], reserved: [String]
        let standIn: @Sendable (String, inout SplitMix64) -> String
        var description: String { profile }
    }

    static let vocabularies = [
        Vocabulary(profile: "place05", real: QuebecNames.lastNames, reserved: QuebecNames.reservedLastNames) { QuebecNames.reservedLastName(like: $0, using: &$1) },
        Vocabulary(profile: "emploi", real: FrenchNames.last, reserved: FrenchNames.reservedLast) { FrenchNames.reservedLastName(like: $0, using: &$1) },
    ]

    @Test("no real surname's search term finds a reserved honeytoken surname, and each real surname has a reserved one of its lengths",
          arguments: vocabularies)
    func reservedSurnames(_ v: Vocabulary) throws {
        let type = try #require(try Repo.profile(named: v.profile).personField("lastName")).type
        let term = { (name: String) in FieldValidation.term(.text(name), type: type) }
        let real = Set(v.real.map(term)), reserved = Set(v.reserved.map(term))
        #expect(real.isDisjoint(with: reserved))
        #expect(reserved.count == v.reserved.count, "no two reserved surnames share a search term")
        var rng = SplitMix64(seed: 5)
        for name in v.real {
            let stand = v.standIn(name, &rng)
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
