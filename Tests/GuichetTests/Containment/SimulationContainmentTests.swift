import Foundation
import Testing
import GuichetCore
import GuichetSimulation

/// The simulator in-process (GuichetSimulation), on small registries and a few days: every
/// attacker on a stolen account, at full speed with the best strategy it has, receives the
/// non-public fields of at most 50 persons before it is contained, on a fresh deployment and
/// two days later; normal work is never suspended.
@Suite(.serialized) struct SimulationContainmentTests {
    static func options(size: Int) -> SimulationOptions {
        var o = SimulationOptions()
        o.agents = 5; o.days = 3; o.size = size; o.seed = 7; o.attackDays = [0, 2]
        return o
    }

    static func check(_ f: ProfileFigures, strategies: Set<String>) {
        #expect(Set(f.attackers.map(\.strategy)).isSuperset(of: strategies), "\(f.attackers.map(\.name))")
        for a in f.attackers {
            #expect(a.personsExposed <= 50, "\(f.profile) \(a.name): \(a.personsExposed) persons exposed")
            #expect(a.requests > 0, "\(f.profile) \(a.name) ran")
        }
        #expect(f.falseSuspensions == 0, "\(f.profile): \(f.roles.map { "\($0.role) \($0.falseSuspensions)" })")
        #expect(f.workDays > 0 && f.requests > f.workDays * 5, "normal work went through the gate")
    }

    @Test("on place05, stolen agent and daycare accounts at full speed are held to 50 persons, and normal work is not suspended")
    func place05() async throws {
        let f = try await Simulator.run(try Repo.profile(named: "place05"), options: Self.options(size: 600))
        Self.check(f, strategies: ["search-sweep", "id-enumeration", "list-paging", "partner", "slow-and-low", "honeytoken-hit"])
        let sweep = try #require(f.attackers.first { $0.strategy == "search-sweep" })
        #expect(sweep.refusedSearches.contains { $0.hasPrefix("child.lastName:") }, "a name alone is refused: \(sweep.refusedSearches)")
        let honey = try #require(f.attackers.first { $0.strategy == "honeytoken-hit" })
        #expect(honey.contained && honey.detectors.contains("honeytoken"), "\(honey)")
        for a in f.attackers where a.strategy == "id-enumeration" || a.strategy == "list-paging" {
            #expect(a.contained, "\(a.name) ends suspended")
        }
    }

    @Test("on emploi, stolen adviser and partner-adviser accounts at full speed are held to 50 persons, and normal work is not suspended")
    func emploi() async throws {
        let f = try await Simulator.run(try Repo.profile(named: "emploi"), options: Self.options(size: 2_500))
        Self.check(f, strategies: ["search-sweep", "id-enumeration", "list-paging", "partner"])
        for a in f.attackers where a.strategy == "id-enumeration" || a.strategy == "list-paging" {
            #expect(a.contained, "\(a.name) ends suspended")
        }
    }
}
