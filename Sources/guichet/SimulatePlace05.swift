import Foundation
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetSynth
import GuichetWatch
import GuichetVault

/// One thing to do at a simulated time.
struct SimTask {
    let at: Date
    let run: () async -> Void
}

/// What an attacker profile achieved.
struct AttackResult {
    let name: String
    let description: String
    let started: Date
    /// The attacker's first request.
    var firstRequest: Date?
    var containedAt: Date?
    var personsExposed = 0
    var beyondNormalWork: Int?
    var detectors: [String] = []
}

/// The place05 scenario (R1): the operator's agents with caseloads and working hours, the
/// daycare services' staff reviewing their lists, and five attacker profiles on top. Other
/// profiles plug in as other scenarios with the same shape: set up accounts, then give the
/// tasks of each day.
final class Place05Scenario {
    let sim: Simulation
    var rng: SplitMix64
    let days: Int
    var agents: [SimActor] = []
    var caseloads: [ObjectIdentifier: [DossierID]] = [:]
    var partners: [SimActor] = []
    var officer: SimActor!
    var dossiers: [DossierID] = []
    var honeytokens: [DossierID] = []
    var attacks: [(result: AttackResult, actor: SimActor, owner: SimActor?)] = []
    var agentDays = 0
    var requests = 0
    var falseSuspensions = 0
    let start: Date
    let calendar: Calendar
    static let caseloadSize = 120
    /// The attack profiles start after this many days, when the accounts have a history.
    static let attackDay = 10

    init(sim: Simulation, days: Int, seed: UInt64, start: Date) {
        self.sim = sim; self.days = days; self.rng = SplitMix64(seed: seed); self.start = start
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: sim.profile.watch.timezone) ?? TimeZone(identifier: "UTC")!  // UTC exists
        calendar = c
    }

    func at(day: Int, hour: Double) -> Date { start.addingTimeInterval(Double(day) * 86_400 + hour * 3600) }

    func setUp(agentCount: Int, size: Int, seed: UInt64) async throws {
        let today = calendar.dateComponents([.year, .month, .day], from: start)
        let generator = Place05Generator(profile: sim.profile, keys: sim.keys, size: size, seed: seed,
                                         today: LocalDate(year: today.year!, month: today.month!, day: today.day!)!)
        // As many honeytokens per application as the profile plants in a full R1 registry (86,000).
        let planted = sim.profile.watch.honeytokens == 0 ? 0 : max(1, Int((Double(sim.profile.watch.honeytokens) * Double(size) / 86_000).rounded(.up)))
        let summary = try await generator.generate(into: sim.store, honeytokens: planted)
        honeytokens = summary.honeytokens.dossiers
        try await sim.gate.watch?.reloadMarks()
        var after: DossierID?
        repeat {
            let page = try await sim.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: after, limit: 1000))
            dossiers += page
            after = page.count == 1000 ? page.last : nil
        } while after != nil
        let honey = Set(honeytokens)
        dossiers.removeAll { honey.contains($0) }
        // Accounts exist for months before the simulation starts.
        sim.clock.set(start.addingTimeInterval(-60 * 86_400))
        officer = try await sim.actor("security.sim", role: "security", organisation: summary.operatorOrg, source: "10.20.0.2")
        for i in 0..<agentCount {
            let a = try await sim.actor("agent\(i).sim", role: "agent", organisation: summary.operatorOrg, source: "10.20.1.\(10 + i % 200)")
            agents.append(a)
            caseloads[ObjectIdentifier(a)] = (0..<Self.caseloadSize).map { _ in dossiers.randomElement(using: &rng)! }  // not empty
        }
        for (i, daycare) in summary.busiestDaycares.enumerated() {
            partners.append(try await sim.actor("daycare\(i).sim", role: "daycare", organisation: daycare.id, source: "10.40.\(i).10"))
        }
        try await setUpAttacks(summary)
    }

    /// The attacker profiles, each on its own account.
    func setUpAttacks(_ summary: Place05Generator.Summary) async throws {
        func victim(_ index: Int) -> SimActor { agents[agents.count - 1 - index] }
        let attackStart = at(day: Self.attackDay, hour: 0)
        func add(_ name: String, _ description: String, owner: SimActor, source: String, canStepUp: Bool) async throws {
            let a = SimActor(username: owner.username, account: owner.account, role: owner.role, secret: owner.secret, source: source)
            a.canStepUp = canStepUp
            a.ignoresThrottle = name == "fast-scraper"
            attacks.append((AttackResult(name: name, description: description, started: attackStart), a, owner))
        }
        try await add("fast-scraper", "malware on an agent's workstation rides the agent's own session (same network, working hours) and pages through every application, 10 a page, every 2 s",
                      owner: victim(0), source: victim(0).office, canStepUp: false)
        try await add("slow-and-low", "an agent's full credentials (password and TOTP secret) read 25 files a day never seen by the account, in working hours, for weeks",
                      owner: victim(1), source: "198.51.100.77", canStepUp: true)
        try await add("search-enumeration", "an insider searches every surname in alphabetical order, 10 results each, every 20 s",
                      owner: victim(2), source: victim(2).source, canStepUp: true)
        try await add("honeytoken-hit", "an agent's credentials read files by id from a leaked list; the fifth is a honeytoken",
                      owner: victim(3), source: "198.51.100.90", canStepUp: true)
        if let partner = partners.first {
            try await add("compromised-partner", "a daycare service's stolen session reads every application of its list, at night, from a new network",
                          owner: partner, source: "203.0.113.45", canStepUp: false)
        }
    }

    var attackers: Set<ObjectIdentifier> { Set(attacks.compactMap { $0.owner.map(ObjectIdentifier.init) }) }

    // MARK: the days

    func tasks(day: Int) -> [SimTask] {
        var out: [SimTask] = []
        let date = at(day: day, hour: 12)
        let weekend = calendar.isDateInWeekend(date)
        if !weekend {
            for a in agents { out += agentDay(a, day: day) }
            for p in partners { out += partnerDay(p, day: day) }
        }
        if day >= Self.attackDay { out += attackTasks(day: day, weekend: weekend) }
        return out.sorted { $0.at < $1.at }
    }

    func read(_ a: SimActor, _ id: DossierID, purpose: String? = "family-request") async -> SimOutcome {
        requests += 1
        return await sim.request(a, purpose: purpose) { [sim] r in [try await sim.gate.read(id, r)] }
    }

    func search(_ a: SimActor, status: String?, criteria: [String: String], after: DossierID? = nil, limit: Int,
                purpose: String? = "list-management") async -> (SimOutcome, SearchPage?) {
        requests += 1
        var page: SearchPage?
        let outcome = await sim.request(a, purpose: purpose) { [sim] r in
            let p = try await sim.gate.search(type: "application", status: status, criteria: criteria, after: after, limit: limit, r)
            page = p
            return p.views
        }
        return (outcome, page)
    }

    /// An agent's day: arrives between 8:00 and 9:00, lunch around noon, two short breaks,
    /// leaves between 16:00 and 17:00; a task every 6 to 14 minutes on average (busier on one
    /// day in ten); most tasks on the caseload, some for families never seen before, a few
    /// name searches.
    func agentDay(_ a: SimActor, day: Int) -> [SimTask] {
        guard Double.random(in: 0..<1, using: &rng) >= 0.05 else { return [] }  // away
        if !attackers.contains(ObjectIdentifier(a)) || day < Self.attackDay { agentDays += 1 }
        let busy = Double.random(in: 0..<1, using: &rng) < 0.1
        let pace = (busy ? 5.0 : 10.0) * Double.random(in: 0.7...1.3, using: &rng)
        var hour = 8 + Double.random(in: 0..<1, using: &rng)
        let lunch = 11.75 + Double.random(in: 0..<0.75, using: &rng)
        let end = 16 + Double.random(in: 0..<1, using: &rng)
        let breaks = [10 + Double.random(in: 0..<0.5, using: &rng), 14.5 + Double.random(in: 0..<0.5, using: &rng)]
        let caseload = caseloads[ObjectIdentifier(a)] ?? []
        let homeDay = Double.random(in: 0..<1, using: &rng) < 0.05
        var out: [SimTask] = []
        let attacked = attackers.contains(ObjectIdentifier(a)) && day >= Self.attackDay
        out.append(SimTask(at: at(day: day, hour: hour - 0.01)) { [sim] in
            // A false suspension is lifted by the security officer the next morning; an
            // attacked account stays suspended.
            if a.suspendedAt != nil && !attacked { try? await sim.reinstate(a, officer: self.officer) }
            a.source = homeDay ? "10.99.\(a.username.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 200 }).5" : a.office
        })
        while hour < end {
            if hour >= lunch && hour < lunch + 1 { hour = lunch + 1 }
            for b in breaks where hour >= b && hour < b + 0.25 { hour = b + 0.25 }
            let x = Double.random(in: 0..<1, using: &rng)
            let t = at(day: day, hour: hour)
            if x < 0.7, let id = caseload.randomElement(using: &rng) {
                out.append(SimTask(at: t) { _ = await self.read(a, id) })
            } else if x < 0.92, let id = dossiers.randomElement(using: &rng) {
                out.append(SimTask(at: t) { _ = await self.read(a, id) })
            } else {
                // Real surnames only: honeytoken families carry reserved ones, which no real family has.
                let name = QuebecNames.lastNames.randomElement(using: &rng)!  // not empty
                let pick = Int.random(in: 0..<5, using: &rng)
                out.append(SimTask(at: t) {
                    let (_, page) = await self.search(a, status: nil, criteria: ["child.lastName": name], limit: 5, purpose: "family-request")
                    if let views = page?.views, !views.isEmpty {
                        self.sim.clock.set(t.addingTimeInterval(40))
                        _ = await self.read(a, views[min(pick, views.count - 1)].id)
                    }
                })
            }
            hour += -log(max(1e-9, Double.random(in: 0..<1, using: &rng))) * pace / 60
        }
        return out
    }

    /// A daycare service's day: reviews its waiting list page by page in the morning, opens a
    /// few of the files that ask for the earliest start (as a service offering places does),
    /// and looks again in the afternoon.
    func partnerDay(_ p: SimActor, day: Int) -> [SimTask] {
        guard Double.random(in: 0..<1, using: &rng) >= 0.05 else { return [] }
        if !attackers.contains(ObjectIdentifier(p)) || day < Self.attackDay { agentDays += 1 }
        var out: [SimTask] = []
        for start in [8.5 + Double.random(in: 0..<1, using: &rng), 13.5 + Double.random(in: 0..<2, using: &rng)] {
            let reads = Int.random(in: 1...4, using: &rng)
            out.append(SimTask(at: at(day: day, hour: start)) {
                if p.suspendedAt != nil && !(self.attackers.contains(ObjectIdentifier(p)) && day >= Self.attackDay) {
                    try? await self.sim.reinstate(p, officer: self.officer)
                }
                var after: DossierID?
                var seen: [(id: DossierID, start: LocalDate?)] = []
                repeat {
                    let (outcome, page) = await self.search(p, status: "waiting", criteria: [:], after: after, limit: 20, purpose: nil)
                    guard case .ok = outcome, let page else { return }
                    seen += page.views.map { view in
                        if case .date(let start)? = view.fields["desiredStart"] { (view.id, start) } else { (view.id, nil) }
                    }
                    after = page.next
                    self.sim.clock.set(self.sim.clock.get().addingTimeInterval(45))
                } while after != nil
                // The list in start order (a file without a visible start last); a few of the
                // first twenty are opened.
                let never = LocalDate(year: 9999, month: 12, day: 31)!  // a valid date
                let earliest = seen.sorted { ($0.start ?? never, $0.id.rawValue) < ($1.start ?? never, $1.id.rawValue) }.prefix(20)
                for id in earliest.map(\.id).shuffled(using: &self.rng).prefix(reads) {
                    self.sim.clock.set(self.sim.clock.get().addingTimeInterval(120))
                    _ = await self.read(p, id, purpose: nil)
                }
            })
        }
        return out
    }
}
