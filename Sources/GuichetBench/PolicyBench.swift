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
        /// `random`: random subjects against random dossiers (mostly refused); `realistic`:
        /// at least half of the calls are a member of staff or a citizen asking for a file of
        /// their own work (their organisation, partner, territory, caseload or family) with a
        /// purpose their role has, the rest random, as a working day mixes them.
        var mix = "random"
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
        try profiles().flatMap { name, profile in
            note("policy: \(name)")
            let random = cases(profile)
            var realistic = measure(name, profile, realistic(profile, random))
            realistic.mix = "realistic"
            return [measure(name, profile, random), realistic]
        }
    }

    /// A working day's mix: 60 % of the calls allowed (a file of the subject's own work, asked
    /// with a purpose that allows it; every mask computed), 40 % taken from the random cases
    /// as they come. The decisions made to build it are not timed.
    func realistic(_ p: Profile, _ random: [Case]) -> [Case] {
        let policy = Policy(profile: p)
        var rng = SystemRandomNumberGenerator()
        var allowed: [Case] = []
        var attempts = 0
        let wanted = random.count * 6 / 10
        while allowed.count < wanted, attempts < 200_000 {
            attempts += 1
            let c = random[attempts % random.count]
            let s = c.subject, f = c.facts
            // The same dossier as one of the subject's own files.
            let persons = s.person.map { me in f.persons.map { PersonLink(role: $0.role, person: me) } } ?? f.persons
            let facts = DossierFacts(type: f.type, status: f.status, organisation: s.organisation ?? f.organisation, assignedAgent: s.account,
                                     territory: s.territory ?? f.territory, persons: persons,
                                     partners: s.organisation.map { [$0] + f.partners } ?? f.partners)
            let action: Action = Int.random(in: 0..<4, using: &rng) == 0 ? c.action : .read
            for purpose in ([nil] + p.purposes.map(Optional.some)).shuffled(using: &rng)
            where policy.decide(s, action, facts, purpose: purpose).grant != nil {
                allowed.append(Case(subject: s, action: action, facts: facts, purpose: purpose))
                break
            }
        }
        let rest = random.prefix(max(0, random.count - allowed.count))
        return (allowed + rest).shuffled(using: &rng)
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

    func measure(_ name: String, _ p: Profile, _ cases: [Case]) -> Point {
        let policy = Policy(profile: p)
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
