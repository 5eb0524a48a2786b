import Foundation
import Testing
import GuichetCore

/// `guichet simulate`, run as a user runs it, on small registries: the figures are sane and
/// `--json` is one well-formed JSON object, with one entry per profile.
@Suite struct SimulateCommandTests {
    @Test("a small simulation prints sane figures for every attacker and role of both profiles, as one JSON object")
    func smallRun() async throws {
        let r = try await CommandLineTests.run(["simulate", "--agents", "5", "--days", "3", "--learned-day", "2", "--size", "600", "--seed", "3", "--json"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try JSONDecoder().decode(JSON.self, from: Data(r.stdout.utf8))
        let o = try #require(json.object)
        #expect(o["agents"]?.integer == 5 && o["days"]?.integer == 3)
        let profiles = try #require(o["profiles"]?.object)
        #expect(Set(profiles.keys) == ["place05", "emploi"])
        for (name, value) in profiles {
            let p = try #require(value.object, "\(name)")
            let agentDays = try #require(p["agentDays"]?.integer, "\(name)")
            #expect(agentDays > 0 && (p["requests"]?.integer ?? 0) > agentDays * 5, "\(name): normal work went through the gate")
            #expect(p["falseSuspensionsPer1000AgentDays"] != nil && p["roles"]?.object?.isEmpty == false, "\(name)")
            let attackers = try #require(p["attackers"]?.object, "\(name)")
            let strategies = Set(attackers.values.compactMap { $0.object?["strategy"]?.string })
            #expect(strategies.isSuperset(of: ["search-sweep", "id-enumeration", "list-paging", "partner"]), "\(name): \(strategies)")
            for (attacker, a) in attackers {
                let a = try #require(a.object, "\(attacker)")
                #expect((a["personsExposed"]?.integer ?? -1) >= 0, "\(name) \(attacker)")
                if a["contained"] == .bool(true) {
                    #expect((a["timeToContainmentSeconds"]?.integer ?? -1) >= 0, "\(name) \(attacker)")
                } else {
                    #expect(a["timeToContainmentSeconds"] == .null, "\(name) \(attacker)")
                }
            }
        }
        let place05 = try #require(profiles["place05"]?.object?["attackers"]?.object)
        let honeytoken = try #require(place05["honeytoken-hit@day2"]?.object)
        #expect(honeytoken["contained"] == .bool(true) && honeytoken["detectors"]?.array?.contains(.string("honeytoken")) == true,
                "the honeytoken hit is contained by the honeytoken: \(honeytoken)")
    }
}
