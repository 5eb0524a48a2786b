import Foundation
import GuichetCore
import GuichetGate
import GuichetVault
import GuichetWatch
import GuichetSynth

/// An attacker on a stolen account: its password and TOTP secret are known, so it signs in,
/// answers every step-up, writes a justification when asked, and waits out every throttle.
/// The full-speed strategies send a request every few milliseconds from three sessions in
/// turn, with the largest page (100), and stop only when the account is suspended or nothing
/// is left within reach.
final class Attacker {
    enum Strategy: String, CaseIterable {
        /// Name searches in random order (with a birth date where the role must give one),
        /// opening every file found; a name alone is tried first.
        case searchSweep = "search-sweep"
        /// Lists every id it may list (summaries), then opens every file.
        case idEnumeration = "id-enumeration"
        /// Opens each file of a listing's page before asking for the next page.
        case listPaging = "list-paging"
        /// A stolen partner account: a name alone tried, then every id of its reach, opened.
        case partner
        /// 25 files a day never seen by the account, in working hours, from another network.
        case slowAndLow = "slow-and-low"
        /// Files by id from a leaked list whose fifth is a honeytoken, one every 3 minutes.
        case honeytokenHit = "honeytoken-hit"
    }

    /// What a strategy knows of the profile: where and how to search.
    struct Target {
        let type: String
        let purpose: String?
        /// The person role searched by name (`child`, `seeker`) and the names to try.
        let nameRole: String
        let names: [String]
        /// Birth dates to combine with a name.
        let births: ClosedRange<LocalDate>
    }

    static let pace = 0.004  // seconds between requests at full speed
    static let maxRequests = 6_000
    /// GUICHET_SIMULATE_TRACE=1: one line per attacker request (kinds and counts, no identifier).
    static let trace = ProcessInfo.processInfo.environment["GUICHET_SIMULATE_TRACE"] != nil
    static let justification = "Le dossier a été demandé par la famille aujourd'hui au téléphone."

    let strategy: Strategy
    let day: Int
    let owner: SimActor
    let sessions: [SimActor]
    let target: Target
    let sim: Simulation
    let startsAt: Date
    var name: String { "\(strategy.rawValue)@day\(day)" }
    var description: String

    var rng: SplitMix64
    var firstRequest: Date?
    var lastRequest: Date?
    var requests = 0
    var opened = 0
    var refusedSearches: [String] = []
    /// Persons exposed when the account was first throttled (nil: never throttled).
    var exposedAtFirstThrottle: Int?
    var ended: String?
    /// Planned reads at set times (slow-and-low, honeytoken-hit).
    var schedule: [(at: Date, id: DossierID)] = []

    // The plan's state.
    var current: SimCall?
    var retries = 0
    var justify = false
    var toOpen: [DossierID] = []
    var seen = Set<DossierID>()
    var listAfter: DossierID?
    var listDone = false
    var probed = false
    var turn = 0

    init(_ strategy: Strategy, day: Int, owner: SimActor, sessions: [SimActor], target: Target, sim: Simulation, startsAt: Date,
         seed: UInt64, description: String) {
        self.strategy = strategy; self.day = day; self.owner = owner; self.sessions = sessions; self.target = target; self.sim = sim
        self.startsAt = startsAt; self.rng = SplitMix64(seed: seed); self.description = description
    }

    /// The next call of the plan, and when; nil when the plan is done.
    func next(_ now: Date) -> (SimCall, Date)? {
        switch strategy {
        case .slowAndLow, .honeytokenHit:
            guard !schedule.isEmpty else { ended = "plan done"; return nil }
            let s = schedule.removeFirst()
            return (.read(s.id), s.at)
        default: break
        }
        guard requests < Self.maxRequests else { ended = "request cap (\(Self.maxRequests))"; return nil }
        let soon = now.addingTimeInterval(Self.pace)
        if !probed && (strategy == .searchSweep || strategy == .partner) {
            probed = true
            let name = target.names.randomElement(using: &rng)!  // names are not empty
            return (.search(criteria: ["\(target.nameRole).lastName": name], status: nil, after: nil, limit: 100), soon)
        }
        if strategy == .listPaging || strategy == .searchSweep, !toOpen.isEmpty { return (.read(toOpen.removeFirst()), soon) }
        switch strategy {
        case .searchSweep:
            let days = target.births.lowerBound.daysUntil(target.births.upperBound)
            let birth = target.births.lowerBound.adding(days: Int.random(in: 0...days, using: &rng))
            let name = target.names.randomElement(using: &rng)!  // not empty
            let criteria = ["\(target.nameRole).lastName": name, "\(target.nameRole).birthDate": birth.iso]
            return (.search(criteria: criteria, status: nil, after: nil, limit: 100), soon)
        default:
            if !listDone { return (.search(criteria: [:], status: nil, after: listAfter, limit: 100), soon) }
            if !toOpen.isEmpty { return (.read(toOpen.removeFirst()), soon) }
            ended = "reach exhausted"
            return nil
        }
    }

    /// The persons it received today that the account had not received earlier today (its
    /// owner's work): what the account's day ceiling counts of the attack.
    func newToAccountToday(at now: Date) -> Int {
        let today = dayStart.addingTimeInterval((now.timeIntervalSince(dayStart) / 86_400).rounded(.down) * 86_400)
        var first: [PersonID: Date] = [:]
        for s in sessions {
            for (p, times) in s.seenAt {
                guard let t = times.filter({ $0 >= today }).min() else { continue }
                first[p] = min(first[p] ?? .distantFuture, t)
            }
        }
        return first.filter { p, at in !(owner.seenAt[p] ?? []).contains { $0 >= today && $0 < at } }.count
    }

    /// Midnight of the attack's first day, in the profile's time zone (set by the scenario).
    var dayStart = Date.distantPast

    /// One request; returns when to send the next one (nil: the attack is over).
    func step() async -> Date? {
        let now = sim.clock.get()
        if current == nil {
            guard let (call, at) = next(now) else { return nil }
            current = call
            retries = 0
            if at > now { return at }
        }
        guard let call = current else { return nil }
        let session = sessions[turn % sessions.count]
        turn += 1
        if firstRequest == nil {
            firstRequest = now
            owner.attackedFrom = owner.attackedFrom ?? now
        }
        lastRequest = now
        requests += 1
        let outcome = await sim.call(session, call, type: target.type, purpose: target.purpose, justification: justify ? Self.justification : nil)
        let after = sim.clock.get().addingTimeInterval(Self.pace)
        if Self.trace {
            let total = sessions.reduce(into: Set<PersonID>()) { $0.formUnion($1.exposed) }.count
            let kind = if case .read = call { "read" } else { "search" }
            print("\(name) \(Int(now.timeIntervalSince(startsAt)))s s\(turn % sessions.count) \(kind) \(outcome.label) exposed=\(total)")
        }
        switch outcome {
        case .ok(let views, let nextPage):
            current = nil
            switch call {
            case .read: opened += 1
            case .search(let criteria, _, _, _):
                for v in views where seen.insert(v.id).inserted { toOpen.append(v.id) }
                if criteria.isEmpty { listAfter = nextPage; listDone = nextPage == nil }
            }
        case .refused(let why):
            current = nil
            if case .search(let criteria, _, _, _) = call, !criteria.isEmpty {
                let shape = criteria.keys.sorted().joined(separator: " + ")
                let verdict = why.contains("search by one of") ? "refused (400: a combination of terms is required)" : "refused (\(why.prefix(60)))"
                if !refusedSearches.contains(where: { $0.hasPrefix(shape) }) { refusedSearches.append("\(shape): \(verdict)") }
            }
            if why == "unauthenticated" { retries += 1 }
        case .stepUp, .ceiling:
            if case .ceiling = outcome { justify = true }
            retries += 1
            _ = await sim.stepUp(session)  // each session answers when it is asked
        case .justification:
            justify = true
            retries += 1
        case .throttled(let seconds):
            retries += 1
            if exposedAtFirstThrottle == nil { exposedAtFirstThrottle = newToAccountToday(at: now) }
            if retries > 20 { current = nil }
            return sim.clock.get().addingTimeInterval(Double(seconds) + 1)
        case .suspended:
            ended = "suspended"
            return nil
        }
        if retries > 6 { current = nil }  // a request that keeps failing is given up
        return after
    }
}

extension LocalDate {
    /// Days from this date to `other`.
    func daysUntil(_ other: LocalDate) -> Int {
        Int((other.date.timeIntervalSince(date) / 86_400).rounded())
    }

    func adding(days: Int) -> LocalDate {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!  // UTC exists
        let d = date.addingTimeInterval(Double(days) * 86_400)
        let parts = c.dateComponents([.year, .month, .day], from: d)
        return LocalDate(year: parts.year!, month: parts.month!, day: parts.day!)!  // a calendar date is valid
    }

    /// Midnight UTC of the date.
    var date: Date {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: "UTC")!  // UTC exists
        return c.date(from: DateComponents(year: year, month: month, day: day))!  // a valid date
    }
}
