import GuichetCore
import Foundation

/// A stable 64-bit fingerprint of an identifier (FNV-1a), so that the state kept per account
/// holds no identifier and survives a restart unchanged.
func fingerprint(_ s: String) -> UInt64 {
    var h: UInt64 = 0xcbf2_9ce4_8422_2325
    for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
    return h
}

/// One past day of an account: the largest distinct-person counts seen in each window, and
/// how many dossiers it met for the first time.
struct DayStats: Codable, Sendable, Equatable {
    var day: Int32
    var burst = 0
    var hour = 0
    var persons = 0
    var newDossiers = 0
    /// The most consecutive pages of one search.
    var pages = 0
}

/// Everything the watch remembers about one account: a state machine advanced by the
/// account's events. Codable, so that it survives a restart.
public struct AccountState: Codable, Sendable, Equatable {
    var group: String
    var role: String
    /// Seconds since 1970 of the account's creation and first access, when known.
    var createdAt: Int64?
    var firstAccess: Int64?

    // Volume
    /// Local day number of `today`.
    var day: Int32 = -1
    var today = DayStats(day: -1)
    var dayPersons: Set<UInt64> = []
    /// The last active days, oldest first (at most `historyDays`).
    var history: [DayStats] = []
    /// Person fingerprint → last second it was revealed (within the burst window or the
    /// hour), with the distinct counts of both windows.
    var recent = RecentPersons()

    // Enumeration
    /// Dossier fingerprint → last local day seen.
    var seen: [UInt64: Int32] = [:]
    var sweepDepth = 0
    var initials: [Int] = []

    // Rate
    /// The minute (seconds since 1970 / 60) of `rateCount`, and the account's requests in it
    /// (optional: states kept before they existed decode without them).
    var rateMinute: Int64?
    var rateCount: Int?
    /// The ledger entries the account's requests wrote today (optional, as above).
    var entriesToday: Int?

    // Context
    var activeDays = 0
    /// Per hour bin (weekday hours 0-23, weekend hours 24-47): on how many past days the
    /// account was active, and signed in, in that hour.
    var hourBins = [Int](repeating: 0, count: 48)
    var signInBins = [Int](repeating: 0, count: 48)
    var todayBins: UInt64 = 0
    var todaySignIns: UInt64 = 0
    /// Networks (/24, /48) → local day first seen.
    var networks: [String: Int32] = [:]
    var session: String?
    /// Context detectors that fired in the current session.
    var sessionContext: Set<String> = []
    var sessionContextID: String?
    /// Seconds of recent refusals.
    var denials: [Int64] = []
    /// The network and second of the last allowed access (concurrent sessions).
    var lastNetwork: String?
    var lastAt: Int64 = 0
    /// Seconds at which throttles began (the last day).
    var throttles: [Int64] = []

    // Risk and responses
    var risk = 0.0
    var riskAt: Int64 = 0
    /// Finding key → second it last fired (cool-down).
    var fired: [String: Int64] = [:]
    var throttledUntil: Int64?
    var stepUpSince: Int64?
    /// When the factor that answered the last step-up was verified.
    var stepUpAnswered: Int64?
    var refusals = 0
    var suspended = false

    // Ceiling (optional so that states stored before it existed still decode)
    /// 1: a crossing asks for a step-up with a justification (since `ceilingSince`);
    /// 2: justified, every window `grace` higher for the day; 3: a raised window crossed,
    /// throttled (since `ceilingSince`), and the next new person suspends, for 24 hours
    /// whatever the calendar says. (`graceLeft` is no longer used; kept so that stored states
    /// decode.)
    var ceilingStage: Int?
    var ceilingSince: Int64?
    /// Whether the crossing that set `ceilingStage` was of the ceiling of changes (nil: of
    /// persons, or a state written before this was kept): what a refusal while the answer is
    /// owed names.
    var ceilingOnChanges: Bool?
    /// Whether that crossing was of the ceiling of approvals (nil: not).
    var ceilingOnApprovals: Bool?
    var graceLeft: Int?
    /// Persons revealed in the current session (`ceilingSession`).
    var sessionPersons: Set<UInt64>?
    var ceilingSession: String?
    /// Local days on which the account crossed its ceiling (the last week): a second crossing
    /// within a week is a high alert.
    var ceilingDays: [Int32]?
    /// Search query fingerprint → last second it was asked (the last hour).
    var queries: [UInt64: Int64]?
    /// Dossiers changed (fingerprint → last second) within the burst window, and those
    /// changed today: the ceiling of changes counts distinct dossiers, as the persons'
    /// counts distinct persons.
    var changed: [UInt64: Int64]?
    var changedToday: Set<UInt64>?
    /// Accounts approved (fingerprint → last second) within the burst window, and today.
    var approved: [UInt64: Int64]?
    var approvedToday: Set<UInt64>?

    static let historyDays = 30
    static let seenCap = 20_000

    init(group: String, role: String, createdAt: Int64?) {
        self.group = group; self.role = role; self.createdAt = createdAt
    }

    /// Whether the account has enough days of its own to compare it with itself.
    func learned(_ s: WatchSettings) -> Bool { history.count >= s.learningDays }

    /// The account's own usual maximum of a daily statistic (the largest over its history).
    func usual(_ path: KeyPath<DayStats, Int>) -> Int { history.map { $0[keyPath: path] }.max() ?? 0 }

    /// The account's typical day for a statistic (the median over its history).
    func typical(_ path: KeyPath<DayStats, Int>) -> Int {
        let v = history.map { $0[keyPath: path] }.sorted()
        return v.isEmpty ? 0 : v[v.count / 2]
    }

    /// Risk points now, decayed since they were last changed.
    func risk(at t: Int64, halfLife: Double) -> Double {
        risk * pow(0.5, Double(max(0, t - riskAt)) / halfLife)
    }

    /// Moves to a new local day: yesterday's statistics join the history. The ceiling's stage
    /// starts again, except a throttle after the grace (stage 3) of the last 24 hours: waiting
    /// a throttle out past midnight must not give an account a fresh ceiling.
    mutating func roll(to day: Int32, at second: Int64) {
        guard day != self.day else { return }
        if self.day >= 0, today.persons > 0 || todayBins != 0 {
            history.append(today)
            if history.count > Self.historyDays { history.removeFirst(history.count - Self.historyDays) }
            activeDays += 1
            for b in 0..<48 {
                if todayBins & (1 << UInt64(b)) != 0 { hourBins[b] += 1 }
                if todaySignIns & (1 << UInt64(b)) != 0 { signInBins[b] += 1 }
            }
        }
        self.day = day
        today = DayStats(day: day)
        dayPersons = []
        entriesToday = nil
        changedToday = nil
        approvedToday = nil
        let throttledLately = ceilingStage == 3 && ceilingSince.map { second - $0 < 86_400 } == true
        if !throttledLately { ceilingStage = nil; ceilingSince = nil; ceilingOnChanges = nil; ceilingOnApprovals = nil }
        graceLeft = nil
        todayBins = 0
        todaySignIns = 0
        if seen.count > Self.seenCap {
            let cutoff = seen.values.sorted()[seen.count - Self.seenCap]
            seen = seen.filter { $0.value >= cutoff }
        }
    }

    /// How many of `fps` are not in `set` (without copying the set, which holds up to a day's
    /// persons: a union per request cost a copy of it).
    static func unseen(_ fps: Set<UInt64>, in set: Set<UInt64>) -> Int { fps.reduce(0) { $0 + (set.contains($1) ? 0 : 1) } }
}
