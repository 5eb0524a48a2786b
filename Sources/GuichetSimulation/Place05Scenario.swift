import Foundation
import GuichetCore
import GuichetGate
import GuichetVault
import GuichetWatch
import GuichetStore
import GuichetSynth

/// The place05 scenario (R1): the operator's agents with caseloads and working hours, the
/// daycare services' staff reviewing their lists, and the attackers on top.
final class Place05Scenario: Scenario {
    static let caseloadSize = 120
    var agents: [SimActor] = []
    var partners: [SimActor] = []
    var caseloads: [ObjectIdentifier: [DossierID]] = [:]
    var dossiers: [DossierID] = []
    var searchKeys: [DossierID: SearchKey] = [:]

    override var dossierType: String { "application" }
    override var staffRole: String { "agent" }
    override var partnerRole: String { "daycare" }

    override func setUp() async throws {
        let today = calendar.dateComponents([.year, .month, .day], from: start)
        let todayDate = LocalDate(year: today.year!, month: today.month!, day: today.day!)!  // from a calendar
        var generator = Place05Generator(profile: sim.profile, keys: sim.keys, size: options.size, seed: options.seed, today: todayDate)
        generator.keepSearchKeys = true
        // As many honeytokens per application as the profile plants in a full R1 registry (86,000).
        let planted = sim.profile.watch.honeytokens == 0 ? 0 : max(1, Int((Double(sim.profile.watch.honeytokens) * Double(options.size) / 86_000).rounded(.up)))
        let summary = try await generator.generate(into: sim.store, honeytokens: planted)
        honeytokens = summary.honeytokens.dossiers
        searchKeys = summary.searchKeys
        try await sim.gate.watch?.reloadMarks()
        dossiers = searchKeys.keys.sorted { $0.rawValue < $1.rawValue }
        dossierCount = dossiers.count
        caseloadPersons = Self.caseloadSize * 3
        // Accounts exist for months before the simulation starts.
        sim.clock.set(start.addingTimeInterval(-60 * 86_400))
        officer = try await sim.actor("security.sim", role: "security", organisation: summary.operatorOrg, source: "10.20.0.2")
        // The agents of normal work, then one more per attacked agent account (they work too).
        let victims = 2 * 3 + 2
        for i in 0..<(options.agents + victims) {
            let a = try await sim.actor("agent\(i).sim", role: "agent", organisation: summary.operatorOrg, source: "10.20.1.\(10 + i % 200)")
            agents.append(a)
            caseloads[ObjectIdentifier(a)] = (0..<Self.caseloadSize).map { _ in dossiers.randomElement(using: &rng)! }  // not empty
        }
        for (i, daycare) in summary.busiestDaycares.enumerated() {
            partners.append(try await sim.actor("daycare\(i).sim", role: "daycare", organisation: daycare.id, source: "10.40.\(i).10"))
        }
        // A second account at the two busiest services: the partner attacks' victims.
        var daycareVictims: [SimActor] = []
        for (i, daycare) in summary.busiestDaycares.prefix(2).enumerated() {
            let a = try await sim.actor("daycare\(i)b.sim", role: "daycare", organisation: daycare.id, source: "10.40.\(i).11")
            partners.append(a); daycareVictims.append(a)
        }
        workers = agents + partners
        sim.clock.set(start)
        setUpAttacks(agentVictims: Array(agents.suffix(victims)), daycareVictims: daycareVictims, today: todayDate)
    }

    func setUpAttacks(agentVictims: [SimActor], daycareVictims: [SimActor], today: LocalDate) {
        let fiveYearsAgo = LocalDate(year: today.year - 5, month: today.month, day: min(today.day, 28))!  // a valid date
        let names = QuebecNames.lastNames
        let agentTarget = Attacker.Target(type: "application", purpose: "family-request", nameRole: "child", names: names, births: fiveYearsAgo...today)
        let daycareTarget = Attacker.Target(type: "application", purpose: nil, nameRole: "parent", names: names, births: fiveYearsAgo...today)
        var victims = agentVictims.makeIterator()
        var partnerVictims = daycareVictims.makeIterator()
        for (n, day) in options.attackDays.enumerated() where day < options.days {
            let d = weekday(from: day)
            for (k, strategy) in [Attacker.Strategy.searchSweep, .idEnumeration, .listPaging].enumerated() {
                guard let owner = victims.next() else { continue }
                attackers.append(attacker(strategy, day: d, owner: owner, target: agentTarget, hour: 14 + Double(k) * 0.1, n: n,
                                          "a stolen agent account (password and TOTP secret), three sessions at full speed, pages of 100"))
            }
            if let owner = partnerVictims.next() {
                attackers.append(attacker(.partner, day: d, owner: owner, target: daycareTarget, hour: 14.3, n: n,
                                          "a stolen daycare account (password and TOTP secret): every application of its list, opened"))
            }
        }
        // The earlier slow profiles, after the learning days.
        guard let learned = options.attackDays.last, learned < options.days else { return }
        let day = weekday(from: learned)
        if let owner = victims.next() {
            let slow = attacker(.slowAndLow, day: day, owner: owner, target: agentTarget, hour: 9, n: 9,
                                "an agent's stolen credentials read 25 files a day never seen by the account, in working hours, for 30 days")
            let caseload = Set(caseloads[ObjectIdentifier(owner)] ?? [])
            for d in day..<min(options.days, day + 30) where !isWeekend(d) {
                for h in (0..<25).map({ _ in Double.random(in: 9..<17, using: &rng) }).sorted() {
                    guard let id = dossiers.randomElement(using: &rng), !caseload.contains(id) else { continue }
                    slow.schedule.append((at(day: d, hour: h), id))
                }
            }
            attackers.append(slow)
        }
        if let owner = victims.next(), let honeytoken = honeytokens.first {
            let hit = attacker(.honeytokenHit, day: day, owner: owner, target: agentTarget, hour: 11, n: 10,
                               "an agent's stolen credentials read files by id from a leaked list; the fifth is a honeytoken")
            let list = (0..<4).map { _ in dossiers.randomElement(using: &rng)! } + [honeytoken] + (0..<20).map { _ in dossiers.randomElement(using: &rng)! }
            hit.schedule = list.enumerated().map { (at(day: day, hour: 11).addingTimeInterval(Double($0.offset) * 180), $0.element) }
            attackers.append(hit)
        }
    }

    func attacker(_ s: Attacker.Strategy, day: Int, owner: SimActor, target: Attacker.Target, hour: Double, n: Int, _ description: String) -> Attacker {
        // Three sessions from the attacker's network (one for the slow profiles).
        let count = s == .slowAndLow || s == .honeytokenHit ? 1 : 3
        let sessions = (0..<count).map { _ in owner.stolen(from: "198.51.100.\(20 + n)") }
        let attacker = Attacker(s, day: day, owner: owner, sessions: sessions, target: target, sim: sim, startsAt: at(day: day, hour: hour),
                        seed: options.seed &+ UInt64(day) &* 31 &+ UInt64(s.rawValue.count), description: description)
        attacker.dayStart = at(day: day, hour: 0)
        return attacker
    }

    // MARK: the days

    override func workTasks(day: Int) -> [SimTask] {
        guard !isWeekend(day) else { return [] }
        var out: [SimTask] = []
        for a in agents { out += agentDay(a, day: day) }
        for p in partners { out += partnerDay(p, day: day) }
        return out
    }

    func read(_ a: SimActor, _ id: DossierID, purpose: String? = "family-request") async {
        await sim.work(a, .read(id), type: "application", purpose: purpose)
    }

    /// An agent's day: a task every 6 to 14 minutes on average (busier on one day in ten);
    /// most tasks on the caseload, some for families never seen before, and a few calls from
    /// a family that gives its child's name and birth date (a search, then the file).
    func agentDay(_ a: SimActor, day: Int) -> [SimTask] {
        guard Double.random(in: 0..<1, using: &rng) >= 0.05 else { return [] }  // away
        countDay(a, day: day)
        let busy = Double.random(in: 0..<1, using: &rng) < 0.1
        let pace = (busy ? 5.0 : 10.0) * Double.random(in: 0.7...1.3, using: &rng)
        let times = workTimes(day: day, pace: pace)
        let caseload = caseloads[ObjectIdentifier(a)] ?? []
        let home = Double.random(in: 0..<1, using: &rng) < 0.05
        var out = [SimTask(at: at(day: day, hour: (times.first ?? 8) - 0.01)) { await self.morning(a, day: day, home: home); return nil }]
        for hour in times {
            let x = Double.random(in: 0..<1, using: &rng)
            let t = at(day: day, hour: hour)
            if x < 0.7, let id = caseload.randomElement(using: &rng) {
                out.append(SimTask(at: t) { await self.read(a, id); return nil })
            } else if x < 0.92, let id = dossiers.randomElement(using: &rng) {
                out.append(SimTask(at: t) { await self.read(a, id); return nil })
            } else if let id = dossiers.randomElement(using: &rng), let key = searchKeys[id] {
                let criteria = ["child.lastName": key.lastName, "child.birthDate": key.birthDate.iso]
                out.append(SimTask(at: t) {
                    let search = SimCall.search(criteria: criteria, status: nil, after: nil, limit: 5)
                    let outcome = await self.sim.work(a, search, type: "application", purpose: "family-request")
                    guard case .ok(let views, _) = outcome, !views.isEmpty else {
                        if a.countsAsNormalWork(at: t) { self.failedSearches += 1 }
                        if Attacker.trace { print("normal search failed: \(outcome.label)") }
                        return nil
                    }
                    self.sim.clock.set(t.addingTimeInterval(40))
                    await self.read(a, views.first { $0.id == id }?.id ?? views[0].id)
                    return nil
                })
            }
        }
        return out
    }

    /// A daycare service's day: reviews its waiting list page by page in the morning, opens a
    /// few of the files that ask for the earliest start (as a service offering places does),
    /// and looks again in the afternoon.
    func partnerDay(_ p: SimActor, day: Int) -> [SimTask] {
        guard Double.random(in: 0..<1, using: &rng) >= 0.05 else { return [] }
        countDay(p, day: day)
        var out: [SimTask] = []
        for start in [8.5 + Double.random(in: 0..<1, using: &rng), 13.5 + Double.random(in: 0..<2, using: &rng)] {
            let reads = Int.random(in: 1...4, using: &rng)
            let order = UInt64.random(in: 0...UInt64.max, using: &rng)
            out.append(SimTask(at: at(day: day, hour: start)) {
                await self.morning(p, day: day, home: false)
                var after: DossierID?
                var seen: [(id: DossierID, start: LocalDate?)] = []
                repeat {
                    let outcome = await self.sim.work(p, .search(criteria: [:], status: "waiting", after: after, limit: 20), type: "application", purpose: nil)
                    guard case .ok(let views, let next) = outcome else { return nil }
                    seen += views.map { view in
                        if case .date(let start)? = view.fields["desiredStart"] { (view.id, start) } else { (view.id, nil) }
                    }
                    after = next
                    self.sim.clock.advance(45)
                } while after != nil
                // The list in start order (a file without a visible start last); a few of the
                // first twenty are opened.
                let never = LocalDate(year: 9999, month: 12, day: 31)!  // a valid date
                let earliest = seen.sorted { ($0.start ?? never, $0.id.rawValue) < ($1.start ?? never, $1.id.rawValue) }.prefix(20)
                var pick = SplitMix64(seed: order)
                for id in earliest.map(\.id).shuffled(using: &pick).prefix(reads) {
                    self.sim.clock.advance(120)
                    await self.read(p, id, purpose: nil)
                }
                return nil
            })
        }
        return out
    }
}
