import ArgumentParser
import Foundation
import GuichetCore
import GuichetSynth
import GuichetStore
import GuichetGate
import GuichetWatch

/// `guichet simulate`: normal work and attacks through the real gate on a simulated clock,
/// and what detection made of them.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate agents' normal work and attacker profiles through the real gate, and report detection's figures.",
        discussion: """
            Builds a synthetic registry in a temporary folder, creates the accounts, and drives the gate (policy, watch, \
            ledger, vault) on a simulated clock: agents with caseloads and working hours, daycare services reviewing their \
            lists, and five attacker profiles from day \(Place05Scenario.attackDay). Prints, per attacker profile, the \
            persons exposed before containment and the time to containment, and the false suspensions per 1,000 agent-days.
            """)

    @Option(help: "Agents of the operator.") var agents = 25
    @Option(help: "Simulated days (from a Monday).") var days = 40
    @Option(help: "Random seed (same seed, same run).") var seed: UInt64 = 1
    @Option(help: "Applications in the synthetic registry.") var size = 6_000
    @Option(help: "Profile name or path (place05).") var profile = "place05"
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard (4...2_000).contains(agents) else { throw ValidationError("--agents must be from 4 to 2000") }
        guard (1...365).contains(days) else { throw ValidationError("--days must be from 1 to 365") }
        guard (100...500_000).contains(size) else { throw ValidationError("--size must be from 100 to 500000") }
    }

    func run() async throws {
        let wall = Date()
        let loaded = try Deployment.loadProfile(try Deployment.resolveProfile(profile))
        guard loaded.dossierTypes["application"] != nil else { throw CommandError("the simulator knows the place05 profile only for now") }
        // On tmpfs where there is one: the figures do not depend on the disk, the run time does.
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory
        let folder = base.appendingPathComponent("guichet-simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = Date(timeIntervalSince1970: 1_767_589_200)  // Monday 5 January 2026, 05:00 UTC (00:00 in Québec)
        let sim = try await Simulation(profile: loaded, folder: folder, start: start)
        let scenario = Place05Scenario(sim: sim, days: days, seed: seed, start: start)
        if !json { note("Generating \(size) applications and \(agents) agents ...") }
        try await scenario.setUp(agentCount: agents, size: size, seed: seed)
        for day in 0..<days {
            for task in scenario.tasks(day: day) {
                sim.clock.set(task.at)
                await task.run()
            }
            try await sim.gate.watch?.flush(at: sim.clock.get())
            if !json && (day + 1) % 5 == 0 { note("  day \(day + 1) / \(days)") }
        }
        let results = try await scenario.results()
        if ProcessInfo.processInfo.environment["GUICHET_SIMULATE_ALERTS"] != nil {
            let names = Dictionary((scenario.agents + scenario.partners).map { ($0.account, $0.username) }, uniquingKeysWith: { a, _ in a })
            for a in try await sim.store.alerts(openOnly: false, limit: 100_000).reversed() where a.severity != "info" {
                note("\(a.at) \(names[a.account!] ?? "?") \(a.detector) \(a.severity) \(a.response): \(a.detail)")
            }
        }
        let report = Report(scenario: scenario, results: results, seconds: Date().timeIntervalSince(wall), command: self)
        say(json ? report.json : report.text)
    }
}

/// The simulator's figures.
struct Report {
    let scenario: Place05Scenario
    let results: [AttackResult]
    let seconds: Double
    let command: Simulate

    var legit: [SimActor] { scenario.agents + scenario.partners }
    func per1000(_ n: Int) -> Double { scenario.agentDays == 0 ? 0 : (Double(n) * 1000 / Double(scenario.agentDays) * 100).rounded() / 100 }
    var caseloadPersons: Int { Place05Scenario.caseloadSize * 3 }

    var object: JSON {
        var attackers: [String: JSON] = [:]
        for r in results {
            let t = r.containedAt.map { $0.timeIntervalSince(r.firstRequest ?? r.started) }
            var o: [String: JSON] = [
                "description": .string(r.description), "personsExposed": .number(Double(r.personsExposed)),
                "contained": .bool(r.containedAt != nil), "timeToContainmentSeconds": t.map { .number($0.rounded()) } ?? .null,
                "detectors": .array(r.detectors.map(JSON.string)),
            ]
            if let b = r.beyondNormalWork { o["personsBeyondNormalWork"] = .number(Double(b)) }
            attackers[r.name] = .object(o)
        }
        return .object([
            "profile": .string(scenario.sim.profile.name), "agents": .number(Double(scenario.agents.count)),
            "partners": .number(Double(scenario.partners.count)), "days": .number(Double(command.days)), "seed": .number(Double(command.seed)),
            "dossiers": .number(Double(scenario.dossiers.count)), "honeytokens": .number(Double(scenario.honeytokens.count)),
            "agentDays": .number(Double(scenario.agentDays)), "requests": .number(Double(scenario.requests)),
            "caseloadPersons": .number(Double(caseloadPersons)),
            "falseSuspensions": .number(Double(scenario.falseSuspensions)),
            "falseSuspensionsPer1000AgentDays": .number(per1000(scenario.falseSuspensions)),
            "stepUpsPer1000AgentDays": .number(per1000(legit.reduce(0) { $0 + $1.stepUps })),
            "throttlesPer1000AgentDays": .number(per1000(legit.reduce(0) { $0 + $1.throttles })),
            "attackers": .object(attackers), "seconds": .number((seconds * 10).rounded() / 10),
        ])
    }

    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(object)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func duration(_ s: Double) -> String {
        s < 120 ? String(format: "%.0f s", s) : s < 7200 ? String(format: "%.0f min", s / 60) : s < 172_800 ? String(format: "%.1f h", s / 3600) : String(format: "%.1f days", s / 86_400)
    }

    static func row(_ a: String, _ b: String, _ c: String, _ d: String) -> String {
        func pad(_ s: String, _ n: Int, left: Bool = false) -> String {
            let fill = String(repeating: " ", count: max(0, n - s.count))
            return left ? fill + s : s + fill
        }
        return "  " + pad(a, 20) + pad(b, 18, left: true) + pad(c, 22, left: true) + "   " + d
    }

    var text: String {
        var lines = [
            "Simulation of \(scenario.sim.profile.name): \(scenario.agents.count) agents and \(scenario.partners.count) daycare accounts over \(command.days) days (seed \(command.seed))",
            "  \(scenario.dossiers.count) applications, \(scenario.honeytokens.count) honeytokens; \(scenario.requests) requests through the gate; \(scenario.agentDays) agent-days",
            "",
            Self.row("attacker", "persons exposed", "time to containment", "detectors"),
        ]
        for r in results {
            let exposed = r.beyondNormalWork.map { "\(r.personsExposed) (\($0) new)" } ?? "\(r.personsExposed)"
            let time = r.containedAt.map { Self.duration($0.timeIntervalSince(r.firstRequest ?? r.started)) } ?? "not contained"
            lines.append(Self.row(r.name, exposed, time, r.detectors.joined(separator: ", ")))
        }
        lines += [
            "",
            "one caseload: \(Place05Scenario.caseloadSize) files, about \(caseloadPersons) persons",
            "false suspensions: \(scenario.falseSuspensions) (\(per1000(scenario.falseSuspensions)) per 1,000 agent-days)",
            "step-ups asked of normal work: \(per1000(legit.reduce(0) { $0 + $1.stepUps })) per 1,000 agent-days; throttles: \(per1000(legit.reduce(0) { $0 + $1.throttles }))",
            String(format: "ran in %.1f s", seconds),
        ]
        return lines.joined(separator: "\n")
    }
}
