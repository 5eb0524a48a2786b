import Foundation
import GuichetCore
import GuichetGate
import GuichetVault
import GuichetWatch
import GuichetStore
import GuichetSynth

/// One thing to do at a simulated time; it may ask to run again later (an attacker's next
/// request), by returning when.
struct SimTask {
    let at: Date
    let run: () async -> Date?
}

/// What one profile's world needs from its scenario: accounts, then each day's normal work.
/// The attackers are the same for every profile (``Attacker``), each given what its
/// profile's roles may reach.
class Scenario {
    let sim: Simulation
    let options: SimulationOptions
    var rng: SplitMix64
    let start: Date
    let calendar: Calendar
    /// Normal work's accounts, by role (their owners, attacked or not).
    var workers: [SimActor] = []
    var officer: SimActor!
    var attackers: [Attacker] = []
    /// Days of normal work per role (an attacked account's days count until the attack).
    var workDays: [String: Int] = [:]
    var honeytokens: [DossierID] = []
    var dossierCount = 0
    /// The persons of one caseload, for the report.
    var caseloadPersons = 0
    /// Normal-work searches (a caller's name and birth date) that found nothing or were refused.
    var failedSearches = 0
    /// The dossier type, and the roles as the report names them.
    var dossierType: String { "" }
    var staffRole: String { "" }
    var partnerRole: String { "" }

    init(sim: Simulation, options: SimulationOptions, start: Date) {
        self.sim = sim; self.options = options; self.rng = SplitMix64(seed: options.seed); self.start = start
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: sim.profile.watch.timezone) ?? TimeZone(identifier: "UTC")!  // UTC exists
        calendar = c
    }

    func at(day: Int, hour: Double) -> Date { start.addingTimeInterval(Double(day) * 86_400 + hour * 3600) }

    func isWeekend(_ day: Int) -> Bool { calendar.isDateInWeekend(at(day: day, hour: 12)) }

    /// The first weekday on or after `day`.
    func weekday(from day: Int) -> Int {
        var d = day
        while isWeekend(d) { d += 1 }
        return d
    }

    func setUp() async throws { preconditionFailure("a scenario sets up its accounts") }
    func workTasks(day: Int) -> [SimTask] { [] }

    /// Counts a day of normal work for the account (not once an attacker works on it).
    func countDay(_ a: SimActor, day: Int) {
        if a.countsAsNormalWork(at: at(day: day, hour: 0)) { workDays[a.role, default: 0] += 1 }
    }

    /// The morning's first thing: a false suspension is lifted by the security officer (an
    /// attacked account stays suspended); the day's network.
    func morning(_ a: SimActor, day: Int, home: Bool) async {
        if a.suspendedAt != nil && a.countsAsNormalWork(at: sim.clock.get()) { await sim.reinstate(a, officer: officer) }
        a.source = home ? "10.99.\(a.username.utf8.reduce(0) { ($0 &* 31 &+ Int($1)) % 200 }).5" : a.office
    }

    /// Working hours of a staff member: arrives between 8 and 9, lunch around noon, two short
    /// breaks, leaves between 16 and 17; `pace` minutes between tasks on average.
    func workTimes(day: Int, pace: Double) -> [Double] {
        var hour = 8 + Double.random(in: 0..<1, using: &rng)
        let lunch = 11.75 + Double.random(in: 0..<0.75, using: &rng)
        let end = 16 + Double.random(in: 0..<1, using: &rng)
        let breaks = [10 + Double.random(in: 0..<0.5, using: &rng), 14.5 + Double.random(in: 0..<0.5, using: &rng)]
        var out: [Double] = []
        while hour < end {
            if hour >= lunch && hour < lunch + 1 { hour = lunch + 1 }
            for b in breaks where hour >= b && hour < b + 0.25 { hour = b + 0.25 }
            out.append(hour)
            hour += -log(max(1e-9, Double.random(in: 0..<1, using: &rng))) * pace / 60
        }
        return out
    }

    // MARK: the run

    /// Runs the days: each day's normal work and the attackers' requests in time order, the
    /// watch's state flushed at the end of each day; then what the attackers left to do.
    func run(progress: (String) -> Void) async throws {
        var queue: [(at: Date, seq: Int, run: () async -> Date?)] = []
        var seq = 0
        func insert(_ at: Date, _ run: @escaping () async -> Date?) {
            seq += 1
            var lo = 0, hi = queue.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if (queue[mid].at, queue[mid].seq) < (at, seq) { lo = mid + 1 } else { hi = mid }
            }
            queue.insert((at, seq, run), at: lo)
        }
        func drain(until end: Date) async {
            while let first = queue.first, first.at < end {
                queue.removeFirst()
                sim.clock.set(first.at)
                if let again = await first.run() { insert(max(again, sim.clock.get()), first.run) }
            }
        }
        for day in 0..<options.days {
            for task in workTasks(day: day) { insert(task.at, task.run) }
            for attacker in attackers where attacker.day == day {
                insert(attacker.startsAt) { await attacker.step() }
            }
            await drain(until: at(day: day + 1, hour: 0))
            try await sim.gate.watch?.flush(at: sim.clock.get())
            if (day + 1) % 5 == 0 { progress("  \(sim.profile.name): day \(day + 1) / \(options.days)") }
        }
        await drain(until: .distantFuture)
        try await sim.gate.watch?.flush(at: sim.clock.get())
    }

    // MARK: figures

    func figures(seconds: Double) async throws -> ProfileFigures {
        let suspensions = try await sim.store.suspensions(openOnly: false)
        var attacks: [AttackFigures] = []
        for a in attackers {
            let begin = a.firstRequest ?? a.startsAt
            let contained = suspensions.filter { $0.account == a.owner.account && $0.at >= begin }.map(\.at).min()
            let alerts = try await sim.store.alerts(openOnly: false, account: a.owner.account, limit: 100_000)
            let until = contained ?? a.lastRequest ?? .distantFuture
            let detectors = Set(alerts.filter { $0.at >= begin && $0.at <= until && $0.severity != "info" }.map(\.detector)).sorted()
            let exposed = a.sessions.reduce(into: Set<PersonID>()) { $0.formUnion($1.exposed) }
            attacks.append(AttackFigures(
                name: a.name, strategy: a.strategy.rawValue, day: a.day, role: a.owner.role, description: a.description,
                personsExposed: exposed.count,
                personsBeyondNormalWork: exposed.subtracting(a.owner.exposed).count, personsAtFirstThrottle: a.exposedAtFirstThrottle,
                requests: a.requests, dossiersOpened: a.opened, refusedSearches: a.refusedSearches,
                contained: contained != nil, timeToContainment: contained.map { $0.timeIntervalSince(begin) },
                ended: contained != nil ? "suspended" : a.ended ?? "still going", detectors: detectors))
        }
        // False suspensions: of accounts not under attack, or before their attack began.
        let attackedFrom = Dictionary(attackers.map { ($0.owner.account, $0.firstRequest ?? $0.startsAt) }, uniquingKeysWith: min)
        let roleOf = Dictionary(workers.map { ($0.account, $0.role) }, uniquingKeysWith: { a, _ in a })
        var roles: [String: RoleFigures] = [:]
        for w in workers {
            roles[w.role, default: RoleFigures(role: w.role)].accounts += 1
            roles[w.role]!.stepUps += w.stepUps  // set just above
            roles[w.role]!.ceilings += w.ceilings
            roles[w.role]!.throttles += w.throttles
        }
        for s in suspensions where attackedFrom[s.account].map({ s.at < $0 }) ?? true {
            if let role = roleOf[s.account] { roles[role, default: RoleFigures(role: role)].falseSuspensions += 1 }
        }
        for (role, days) in workDays { roles[role, default: RoleFigures(role: role)].workDays = days }
        return ProfileFigures(profile: sim.profile.name, dossierType: dossierType, staffRole: staffRole, partnerRole: partnerRole,
                              dossiers: dossierCount, honeytokens: honeytokens.count, requests: sim.requests, caseloadPersons: caseloadPersons,
                              roles: roles.values.sorted { $0.role < $1.role }, attackers: attacks, seconds: seconds)
    }
}
