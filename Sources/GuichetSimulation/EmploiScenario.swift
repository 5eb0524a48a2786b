import Foundation
import GuichetCore
import GuichetGate
import GuichetVault
import GuichetWatch
import GuichetStore
import GuichetSynth

/// The emploi scenario (R4): advisers of local agencies with a caseload in their agency, and
/// partner advisers (disabled job seekers) who reach only their own caseload; each works a
/// few files an hour. The R4 breach was stolen partner-adviser accounts: they are attacked
/// here, and so are agency advisers, whose reach (their whole agency) is larger.
final class EmploiScenario: Scenario {
    static let caseloadSize = 60
    static let partnerCaseloadSize = 15
    var advisers: [SimActor] = []
    var partnerAdvisers: [SimActor] = []
    var caseloads: [ObjectIdentifier: [DossierID]] = [:]
    var agencyFiles: [OrganisationID: [DossierID]] = [:]
    var agencyOf: [ObjectIdentifier: OrganisationID] = [:]
    var searchKeys: [DossierID: SearchKey] = [:]

    override var dossierType: String { "job-seeker" }
    override var staffRole: String { "adviser" }
    override var partnerRole: String { "partner-adviser" }

    override func setUp() async throws {
        let today = calendar.dateComponents([.year, .month, .day], from: start)
        let todayDate = LocalDate(year: today.year!, month: today.month!, day: today.day!)!  // from a calendar
        var generator = EmploiGenerator(profile: sim.profile, keys: sim.keys, size: options.size, seed: options.seed, today: todayDate)
        generator.keepSearchKeys = true
        // As many honeytokens per file as the profile plants in a demo registry of 86,000 files.
        let planted = sim.profile.watch.honeytokens == 0 ? 0 : max(1, Int((Double(sim.profile.watch.honeytokens) * Double(options.size) / 86_000).rounded(.up)))
        let summary = try await generator.generate(into: sim.store, honeytokens: planted)
        honeytokens = summary.honeytokens.dossiers
        try await sim.gate.watch?.reloadMarks()
        searchKeys = summary.searchKeys
        dossierCount = summary.dossiers
        caseloadPersons = Self.caseloadSize
        // Each agency's open files (registered or suspended), the largest agencies first.
        let ids = searchKeys.keys.sorted { $0.rawValue < $1.rawValue }
        var open: [OrganisationID: [DossierID]] = [:]
        for chunk in stride(from: 0, to: ids.count, by: 500) {
            for r in try await sim.store.dossiers(Array(ids[chunk..<min(ids.count, chunk + 500)])) where r.status != "deregistered" {
                if let o = r.organisation { open[o, default: []].append(r.id) }
            }
        }
        agencyFiles = open
        let agencies = summary.agencies.filter { (open[$0.id]?.count ?? 0) > 0 }
            .sorted { (open[$0.id]?.count ?? 0) > (open[$1.id]?.count ?? 0) }.prefix(5)
        guard !agencies.isEmpty else { throw GuichetError.invalid("the registry is too small for a caseload") }
        sim.clock.set(start.addingTimeInterval(-60 * 86_400))
        officer = try await sim.actor("security.sim", role: "security", organisation: summary.operatorOrg, source: "10.20.0.2")
        // Three adviser accounts attacked on each of two days, and one that reads from a leaked list.
        let victims = 2 * 3 + 1
        for i in 0..<(options.agents + victims) {
            let agency = agencies[agencies.index(agencies.startIndex, offsetBy: i % agencies.count)]
            let a = try await sim.actor("adviser\(i).sim", role: "adviser", organisation: agency.id, territory: agency.territory,
                                        source: "10.30.\(i % 200).10")
            let caseload = Array((open[agency.id] ?? []).shuffled(using: &rng).prefix(Self.caseloadSize))
            _ = try await sim.store.assign(caseload, to: a.account)
            advisers.append(a)
            caseloads[ObjectIdentifier(a)] = caseload
            agencyOf[ObjectIdentifier(a)] = agency.id
        }
        // Partner advisers: the networks' caseloads of disabled job seekers, a few files each;
        // at least four accounts, two of them attacked.
        var pool = summary.partnerCaseloads.enumerated().flatMap { n, files in files.map { (n, $0) } }
        let count = max(4, options.agents / 5)
        let size = max(1, min(Self.partnerCaseloadSize, pool.count / count))
        for i in 0..<count {
            let take = pool.prefix(size)
            guard let n = take.first?.0 else { break }
            pool.removeFirst(take.count)
            let network = summary.partnerNetworks[n]
            let a = try await sim.actor("partner\(i).sim", role: "partner-adviser", organisation: network.id, territory: network.territory,
                                        source: "10.50.\(i % 200).10")
            _ = try await sim.store.assign(take.map(\.1), to: a.account)
            partnerAdvisers.append(a)
            caseloads[ObjectIdentifier(a)] = take.map(\.1)
        }
        workers = advisers + partnerAdvisers
        sim.clock.set(start)
        setUpAttacks(adviserVictims: Array(advisers.suffix(victims)), partnerVictims: Array(partnerAdvisers.suffix(2)), today: todayDate)
    }

    func setUpAttacks(adviserVictims: [SimActor], partnerVictims: [SimActor], today: LocalDate) {
        let births = LocalDate(year: today.year - 64, month: 1, day: 1)!...LocalDate(year: today.year - 16, month: 12, day: 31)!  // valid dates
        let adviserTarget = Attacker.Target(type: "job-seeker", purpose: "support", nameRole: "seeker", names: FrenchNames.last, births: births)
        let partnerTarget = Attacker.Target(type: "job-seeker", purpose: "disability-support", nameRole: "seeker", names: FrenchNames.last, births: births)
        var victims = adviserVictims.makeIterator()
        var partners = partnerVictims.makeIterator()
        for (n, day) in options.attackDays.enumerated() where day < options.days {
            let d = weekday(from: day)
            for (k, strategy) in [Attacker.Strategy.searchSweep, .idEnumeration, .listPaging].enumerated() {
                guard let owner = victims.next() else { continue }
                attackers.append(attacker(strategy, day: d, owner: owner, target: adviserTarget, hour: 14 + Double(k) * 0.1, n: n,
                                          "a stolen agency adviser account (password and TOTP secret), three sessions at full speed, pages of 100"))
            }
            if let owner = partners.next() {
                attackers.append(attacker(.partner, day: d, owner: owner, target: partnerTarget, hour: 14.3, n: n,
                                          "a stolen partner-adviser account (R4): every file within its reach, opened"))
            }
        }
        // After the learning days: files by id from a leaked list (an old extraction), at the
        // pace of a person reading them; the fifth is a honeytoken, in whatever agency it is.
        guard let learned = options.attackDays.last, learned < options.days, let owner = victims.next(), let honeytoken = honeytokens.first,
              let agency = agencyOf[ObjectIdentifier(owner)], let files = agencyFiles[agency], !files.isEmpty else { return }
        let day = weekday(from: learned)
        let hit = attacker(.honeytokenHit, day: day, owner: owner, target: adviserTarget, hour: 11, n: 10,
                           "an agency adviser's stolen credentials read files by id from a leaked list; the fifth is a honeytoken")
        let list = (0..<4).map { _ in files.randomElement(using: &rng)! } + [honeytoken] + (0..<20).map { _ in files.randomElement(using: &rng)! }
        hit.schedule = list.enumerated().map { (at(day: day, hour: 11).addingTimeInterval(Double($0.offset) * 180), $0.element) }
        attackers.append(hit)
    }

    func attacker(_ s: Attacker.Strategy, day: Int, owner: SimActor, target: Attacker.Target, hour: Double, n: Int, _ description: String) -> Attacker {
        let sessions = (0..<(s == .honeytokenHit ? 1 : 3)).map { _ in owner.stolen(from: "198.51.100.\(40 + n)") }
        let attacker = Attacker(s, day: day, owner: owner, sessions: sessions, target: target, sim: sim, startsAt: at(day: day, hour: hour),
                        seed: options.seed &+ UInt64(day) &* 37 &+ UInt64(s.rawValue.count), description: description)
        attacker.dayStart = at(day: day, hour: 0)
        return attacker
    }

    // MARK: the days

    override func workTasks(day: Int) -> [SimTask] {
        guard !isWeekend(day) else { return [] }
        var out: [SimTask] = []
        for a in advisers { out += adviserDay(a, day: day) }
        for p in partnerAdvisers { out += partnerDay(p, day: day) }
        return out
    }

    /// An agency adviser's day: a file every 10 to 20 minutes, mostly of the caseload; one
    /// task in five is a job seeker of the agency who calls or walks in and gives their name
    /// and birth date (a search, then the file).
    func adviserDay(_ a: SimActor, day: Int) -> [SimTask] {
        guard Double.random(in: 0..<1, using: &rng) >= 0.05 else { return [] }
        countDay(a, day: day)
        let times = workTimes(day: day, pace: 15 * Double.random(in: 0.7...1.3, using: &rng))
        let caseload = caseloads[ObjectIdentifier(a)] ?? []
        let agency = agencyOf[ObjectIdentifier(a)].flatMap { agencyFiles[$0] } ?? []
        let home = Double.random(in: 0..<1, using: &rng) < 0.05
        var out = [SimTask(at: at(day: day, hour: (times.first ?? 8) - 0.01)) { await self.morning(a, day: day, home: home); return nil }]
        for hour in times {
            let t = at(day: day, hour: hour)
            if Double.random(in: 0..<1, using: &rng) < 0.8, let id = caseload.randomElement(using: &rng) {
                out.append(SimTask(at: t) { await self.sim.work(a, .read(id), type: "job-seeker", purpose: "support"); return nil })
            } else if let id = agency.randomElement(using: &rng), let key = searchKeys[id] {
                let criteria = ["seeker.lastName": key.lastName, "seeker.birthDate": key.birthDate.iso]
                out.append(SimTask(at: t) {
                    let outcome = await self.sim.work(a, .search(criteria: criteria, status: nil, after: nil, limit: 5), type: "job-seeker", purpose: "support")
                    guard case .ok(let views, _) = outcome, !views.isEmpty else {
                        if a.countsAsNormalWork(at: t) { self.failedSearches += 1 }
                        if Attacker.trace { print("normal search failed: \(outcome.label)") }
                        return nil
                    }
                    self.sim.clock.set(t.addingTimeInterval(60))
                    await self.sim.work(a, .read(views.first { $0.id == id }?.id ?? views[0].id), type: "job-seeker", purpose: "support")
                    return nil
                })
            }
        }
        return out
    }

    /// A partner adviser's day: a file of the caseload every 20 to 40 minutes, and the
    /// caseload's list now and then.
    func partnerDay(_ p: SimActor, day: Int) -> [SimTask] {
        guard Double.random(in: 0..<1, using: &rng) >= 0.05 else { return [] }
        countDay(p, day: day)
        let times = workTimes(day: day, pace: 30 * Double.random(in: 0.7...1.3, using: &rng))
        let caseload = caseloads[ObjectIdentifier(p)] ?? []
        var out = [SimTask(at: at(day: day, hour: (times.first ?? 8) - 0.01)) { await self.morning(p, day: day, home: false); return nil }]
        for hour in times {
            let t = at(day: day, hour: hour)
            if Double.random(in: 0..<1, using: &rng) < 0.8, let id = caseload.randomElement(using: &rng) {
                out.append(SimTask(at: t) { await self.sim.work(p, .read(id), type: "job-seeker", purpose: "disability-support"); return nil })
            } else {
                out.append(SimTask(at: t) {
                    await self.sim.work(p, .search(criteria: [:], status: nil, after: nil, limit: 50), type: "job-seeker", purpose: "disability-support")
                    return nil
                })
            }
        }
        return out
    }
}
