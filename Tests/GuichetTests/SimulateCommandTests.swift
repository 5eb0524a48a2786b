import Foundation
import Testing
import GuichetCore

/// `guichet simulate`, run as a user runs it, on a small registry: the figures are sane and
/// `--json` is one well-formed JSON object.
@Suite struct SimulateCommandTests {
    @Test("a small simulation prints sane figures for every attacker profile, as one JSON object")
    func smallRun() throws {
        let r = try CommandLineTests.run(["simulate", "--agents", "5", "--days", "17", "--size", "600", "--seed", "3", "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try JSONDecoder().decode(JSON.self, from: Data(r.stdout.utf8))
        let o = try #require(json.object)
        #expect(o["agents"]?.integer == 5 && o["days"]?.integer == 17)
        let agentDays = try #require(o["agentDays"]?.integer)
        let accounts = 5 + (o["partners"]?.integer ?? 0)
        #expect(agentDays > 8 * accounts && agentDays <= 13 * accounts, "agent-days: \(agentDays) (13 weekdays)")
        #expect((o["requests"]?.integer ?? 0) > agentDays * 10, "normal work went through the gate")
        #expect((o["falseSuspensionsPer1000AgentDays"].flatMap { if case .number(let n) = $0 { n } else { nil } } ?? -1) >= 0)
        let attackers = try #require(o["attackers"]?.object)
        #expect(Set(attackers.keys) == ["fast-scraper", "slow-and-low", "search-enumeration", "honeytoken-hit", "compromised-partner"])
        for (name, value) in attackers {
            let a = try #require(value.object, "\(name)")
            let exposed = try #require(a["personsExposed"]?.integer, "\(name)")
            #expect(exposed >= 0, "\(name)")
            if a["contained"] == .bool(true) {
                #expect((a["timeToContainmentSeconds"]?.integer ?? -1) >= 0, "\(name)")
            } else {
                #expect(a["timeToContainmentSeconds"] == .null, "\(name)")
            }
        }
        let honeytoken = try #require(attackers["honeytoken-hit"]?.object)
        #expect(honeytoken["contained"] == .bool(true) && honeytoken["detectors"]?.array?.contains(.string("honeytoken")) == true,
                "the honeytoken hit is contained by the honeytoken: \(honeytoken)")
        let fast = try #require(attackers["fast-scraper"]?.object)
        #expect(fast["contained"] == .bool(true))
    }
}
