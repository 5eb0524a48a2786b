import Foundation
import Testing
import GuichetCore
import GuichetSimulation

/// The simulator in-process (GuichetSimulation), on small registries and a few days: every
/// attacker on a stolen account (password and TOTP secret), at full speed with the best
/// strategy it has, receives the non-public fields of at most 50 persons before it is
/// contained, on a fresh deployment and two days later; normal work is never suspended.
@Suite(.serialized) struct SimulationContainmentTests {
    static func options(size: Int) -> SimulationOptions {
        var o = SimulationOptions()
        o.agents = 5; o.days = 3; o.size = size; o.seed = 7; o.attackDays = [0, 2]
        return o
    }

    static let fullSpeed: Set<String> = ["search-sweep", "id-enumeration", "list-paging", "partner"]

    static func check(_ f: ProfileFigures) {
        print(f.text)
        #expect(Set(f.attackers.map(\.strategy)).isSuperset(of: fullSpeed), "\(f.attackers.map(\.name))")
        #expect(Set(f.attackers.map(\.day)) == [0, 2], "on a fresh deployment and later")
        for a in f.attackers {
            #expect(a.requests > 0, "\(f.profile) \(a.name) ran")
        }
        for a in f.attackers where fullSpeed.contains(a.strategy) || a.strategy == "honeytoken-hit" {
            // The account's ceiling counts each person once a day, owner's work included.
            #expect((a.personsAtFirstThrottle ?? a.personsBeyondNormalWork) <= 50,
                    "\(f.profile) \(a.name): \(a.personsAtFirstThrottle ?? a.personsBeyondNormalWork) persons before the first throttle")
        }
        for a in f.attackers where fullSpeed.contains(a.strategy) {
            // Waiting out the throttle gives nothing back: past a crossing, every new person of
            // the day counts against the grace, then suspends.
            #expect(a.personsBeyondNormalWork <= 50, "\(f.profile) \(a.name): \(a.personsBeyondNormalWork) persons exposed")
        }
        #expect(f.falseSuspensions == 0, "\(f.profile): \(f.roles.map { "\($0.role) \($0.falseSuspensions)" })")
        #expect(f.workDays > 0 && f.requests > f.workDays * 5, "normal work went through the gate")
        #expect(f.failedSearches == 0, "a caller's name and birth date find their file")
    }

    @Test("on place05, stolen agent and daycare accounts at full speed are held to 50 persons, and normal work is not suspended")
    func place05() async throws {
        let f = try await Simulator.run(try Repo.profile(named: "place05"), options: Self.options(size: 600))
        Self.check(f)
        let sweep = try #require(f.attackers.first { $0.strategy == "search-sweep" })
        #expect(sweep.refusedSearches.contains { $0.hasPrefix("child.lastName:") }, "a name alone is refused: \(sweep.refusedSearches)")
        let honey = try #require(f.attackers.first { $0.strategy == "honeytoken-hit" })
        #expect(honey.contained && honey.detectors.contains("honeytoken"), "\(honey)")
        for a in f.attackers where a.strategy == "id-enumeration" || a.strategy == "list-paging" || a.strategy == "partner" {
            #expect(a.contained, "\(a.name) ends suspended")
        }
    }

    @Test("on emploi, stolen adviser and partner-adviser accounts at full speed are held to 50 persons, and normal work is not suspended")
    func emploi() async throws {
        let f = try await Simulator.run(try Repo.profile(named: "emploi"), options: Self.options(size: 2_500))
        Self.check(f)
        for a in f.attackers where a.strategy == "id-enumeration" || a.strategy == "list-paging" {
            #expect(a.contained, "\(a.name) ends suspended")
        }
        // A partner adviser reaches its own caseload only.
        for a in f.attackers where a.strategy == "partner" { #expect(a.personsExposed <= 15, "\(a.name): \(a.personsExposed)") }
        // R4's honeytokens: a leaked list read file by file is stopped at the decoy, which normal work never reached.
        #expect(f.honeytokens >= 1)
        let honey = try #require(f.attackers.first { $0.strategy == "honeytoken-hit" })
        #expect(honey.contained && honey.detectors.contains("honeytoken"), "\(honey)")
    }
}
