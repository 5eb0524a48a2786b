import Foundation
import GuichetCore
// Decision latency is measured on the policy itself: loudly, through the gate's SPI.
@_spi(GateOnly) import GuichetPolicy
import GuichetProfile

/// Decision latency of each profile's rule set (every `profiles/NAME/profile.yaml`), over
/// random subjects of every role, dossiers of every type in every state, every action and
/// purpose. Each call is timed on its own; the timer's own cost is measured and reported.
struct PolicyBench {
    let profilesFolder: URL
    let plan: Plan

    struct Point: Codable {
        let profile: String
        let rules: Int
        let decisions: Int
        let allowedShare: Double
        let medianNanos: Double
        let p99Nanos: Double
        let meanNanos: Double
        /// The cost of reading the clock twice, included in the figures above.
        let timerNanos: Double
    }

    func profiles() throws -> [(String, Profile)] {
        let names = try FileManager.default.contentsOfDirectory(atPath: profilesFolder.path).sorted()
        return try names.compactMap { name in
            let dir = profilesFolder.appendingPathComponent(name)
            guard FileManager.default.fileExists(atPath: dir.appendingPathComponent("profile.yaml").path) else { return nil }
            return (name, try ProfileLoader.load(path: dir.path))
        }
    }

    func run() throws -> [Point] {
        try profiles().map { name, profile in
            note("policy: \(name)")
            return measure(name, profile)
        }
    }

    struct Case { let subject: Subject; let action: Action; let facts: DossierFacts; let purpose: String? }

    func cases(_ p: Profile) -> [Case] {
        var rng = SystemRandomNumberGenerator()
        let orgs = (0..<12).map { _ in OrganisationID() }
        let persons = (0..<40).map { _ in PersonID() }
        let accounts = (0..<40).map { _ in AccountID() }
        let territories = (1...8).map { String(format: "%02d", $0) }
        let subjects: [Subject] = p.roles.values.sorted { $0.name < $1.name }.flatMap { role in
            (0..<8).map { _ in
                Subject(account: accounts.randomElement(using: &rng)!, role: role.name,
                        organisation: role.organisationKind == nil ? nil : orgs.randomElement(using: &rng),
                        person: role.kind == .citizen ? persons.randomElement(using: &rng) : nil,
                        territory: Bool.random(using: &rng) ? territories.randomElement(using: &rng) : nil)
            }
        }
        let types = p.dossierTypes.values.sorted { $0.name < $1.name }
        var out: [Case] = []
        for _ in 0..<4_096 {
            let type = types.randomElement(using: &rng)!
            let links = type.persons.flatMap { spec in
                (0..<Int.random(in: max(spec.min, 0)...max(spec.max, spec.min, 0), using: &rng)).map { _ in
                    PersonLink(role: spec.role, person: persons.randomElement(using: &rng)!)
                }
            }
            let partners = type.partners.map { spec in (0..<Int.random(in: spec.min...max(spec.min, min(spec.max, 5)), using: &rng)).map { _ in orgs.randomElement(using: &rng)! } } ?? []
            let facts = DossierFacts(type: type.name, status: type.workflow.states.randomElement(using: &rng) ?? type.workflow.initial,
                                     organisation: orgs.randomElement(using: &rng), assignedAgent: accounts.randomElement(using: &rng),
                                     territory: territories.randomElement(using: &rng), persons: links, partners: partners)
            let actions: [Action] = [.read, .read, .read, .search, .update, .create] + type.workflow.transitions.keys.sorted().map { .transition($0) }
            let purpose = Int.random(in: 0..<3, using: &rng) == 0 ? nil : p.purposes.randomElement(using: &rng)
            out.append(Case(subject: subjects.randomElement(using: &rng)!, action: actions.randomElement(using: &rng)!, facts: facts, purpose: purpose))
        }
        return out
    }

    func measure(_ name: String, _ p: Profile) -> Point {
        let policy = Policy(profile: p)
        let cases = cases(p)
        var timer: [Double] = []
        for _ in 0..<10_000 { let a = now(); let b = now(); timer.append(Double(b - a)) }
        var samples: [Double] = []
        samples.reserveCapacity(plan.policyDecisions)
        var allowed = 0, sink = 0
        for i in 0..<min(50_000, plan.policyDecisions) { sink &+= policy.decide(cases[i % cases.count].subject, cases[i % cases.count].action, cases[i % cases.count].facts, purpose: cases[i % cases.count].purpose).grant?.readable.count ?? 0 }  // warm-up
        for i in 0..<plan.policyDecisions {
            let c = cases[i % cases.count]
            let t0 = now()
            let d = policy.decide(c.subject, c.action, c.facts, purpose: c.purpose)
            let t1 = now()
            samples.append(Double(t1 - t0))
            if let g = d.grant { allowed += 1; sink &+= g.readable.count }
        }
        if sink == 42 { note("") }  // keeps the decisions observable
        samples.sort()
        return Point(profile: name, rules: p.rules.count, decisions: samples.count, allowedShare: Double(allowed) / Double(samples.count),
                     medianNanos: quantile(samples, 0.5), p99Nanos: quantile(samples, 0.99),
                     meanNanos: samples.reduce(0, +) / Double(samples.count), timerNanos: median(timer))
    }
}
