import ArgumentParser
import Foundation
import GuichetSimulation
import GuichetDeployment

/// `guichet simulate`: normal work and attacks through the real gate on a simulated clock,
/// and what containment and detection made of them (GuichetSimulation does the work).
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate normal work and attackers through the real gate, and report containment's figures.",
        discussion: """
            Builds a synthetic registry per profile in a temporary folder, creates the accounts, and drives the gate \
            (policy, watch, ledger, vault) on a simulated clock: staff and partners with caseloads and working hours, \
            and attackers on stolen accounts (password and TOTP secret) at full speed, on a fresh deployment and after \
            the learning days. Prints, per attacker, the persons exposed before containment, the time to containment \
            and the detectors that fired; per role, false suspensions per 1,000 days of work and step-ups per day.
            """)

    @Option(help: "Staff accounts of normal work per profile (the attacked accounts come on top).") var agents = 25
    @Option(help: "Simulated days (from a Monday).") var days = 40
    @Option(help: "Random seed (same seed, same run).") var seed: UInt64 = 1
    @Option(help: "Files in each synthetic registry.") var size = 6_000
    @Option(help: "Profile name or path (place05, emploi), or 'all' for both.") var profile = "all"
    @Option(help: "The day the second wave of attackers starts, after the learning days (the first starts on day 0).")
    var learnedDay = 10
    @Flag(help: "Print the figures as one JSON object.") var json = false

    func validate() throws {
        guard (4...2_000).contains(agents) else { throw ValidationError("--agents must be from 4 to 2000") }
        guard (1...365).contains(days) else { throw ValidationError("--days must be from 1 to 365") }
        guard (100...500_000).contains(size) else { throw ValidationError("--size must be from 100 to 500000") }
        guard (1...365).contains(learnedDay) else { throw ValidationError("--learned-day must be from 1 to 365") }
    }

    func run() async throws {
        let names = profile == "all" ? ["place05", "emploi"] : [profile]
        let profiles = try names.map { try Deployment.loadProfile(try Deployment.resolveProfile($0)) }
        guard profiles.allSatisfy(Simulator.supports) else { throw CommandError("the simulator knows the place05 and emploi profiles only") }
        var options = SimulationOptions()
        options.agents = agents; options.days = days; options.seed = seed; options.size = size
        options.attackDays = [0, learnedDay]
        let quiet = json
        let report = try await Simulator.run(profiles, options: options) { if !quiet { note($0) } }
        say(json ? report.json : report.text)
    }
}
