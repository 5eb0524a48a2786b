/// How serious a detection finding is. Each level carries risk points that add up (with
/// decay) per account, and maps to a response through the profile's `watch.responses`.
public enum Severity: Int, Sendable, Comparable, CaseIterable, Codable {
    /// Worth a look (a watched person was read); no risk points.
    case info = 0
    case low, medium, high, critical

    public static func < (a: Severity, b: Severity) -> Bool { a.rawValue < b.rawValue }

    public var name: String { ["info", "low", "medium", "high", "critical"][rawValue] }

    public init?(name: String) {
        guard let s = Severity.allCases.first(where: { $0.name == name }) else { return nil }
        self = s
    }
}

/// What Guichet does about a finding, from the mildest to the strongest.
public enum WatchResponse: Int, Sendable, Comparable, CaseIterable, Codable {
    /// An alert in the security officer's queue; the request goes on.
    case alert = 0
    /// The account must verify its second factor again before it reads more.
    case stepUp
    /// The account's requests for personal data are refused for a while.
    case throttle
    /// The account is disabled and every session revoked, until a security officer reinstates it.
    case suspend

    public static func < (a: WatchResponse, b: WatchResponse) -> Bool { a.rawValue < b.rawValue }

    public var name: String { ["alert", "step-up", "throttle", "suspend"][rawValue] }

    public init?(name: String) {
        guard let r = WatchResponse.allCases.first(where: { $0.name == name }) else { return nil }
        self = r
    }
}

/// The detection settings of a deployment: the profile's `watch:` section, with defaults for
/// every key left out. Times are in seconds, counts in distinct persons unless named otherwise.
public struct WatchSettings: Sendable, Equatable {
    /// Whether the gate consults the watch at all.
    public var enabled = true
    /// The time zone of working hours (IANA name).
    public var timezone = "UTC"
    /// How many honeytoken dossiers the synthetic generator plants.
    public var honeytokens = 0
    /// Severity → response.
    public var responses: [Severity: WatchResponse] = [.info: .alert, .low: .alert, .medium: .stepUp, .high: .throttle, .critical: .suspend]
    /// Risk points per severity; an account's points decay with `riskHalfLife`.
    public var points: [Severity: Double] = [.info: 0, .low: 5, .medium: 15, .high: 40, .critical: 100]
    public var riskHalfLife: Double = 7 * 86_400
    /// Accumulated risk at which a finding is treated as high, and as critical.
    public var riskHigh: Double = 60
    public var riskCritical: Double = 100
    /// How long a throttle lasts, and how many refused requests during one mean suspension.
    public var throttleFor: Double = 15 * 60
    public var refusalsBeforeSuspension = 5

    // Volume: distinct persons revealed over a short window, an hour and a day.
    public var burstWindow: Double = 10 * 60
    public var burstFloor = 45
    public var hourFloor = 150
    public var dayFloor = 600
    /// The limit is `factor` × the larger of the account's own usual maximum and its peers'.
    public var volumeFactor = 2.6
    /// Days of activity before an account's own history counts (peers before that).
    public var learningDays = 5

    // Enumeration.
    /// Consecutive pages of one search (paging with `after`) that make a sweep.
    public var sweepPages = 5
    /// Name searches in a row with ever-increasing initials that make an alphabetical sweep.
    public var alphabeticalRun = 8
    /// Dossiers opened one by one and never seen before, in a day: limit = max(floor,
    /// factor × the account's typical day (median), or its peers').
    public var newDossiersFloor = 25
    public var newDossiersFactor = 2.0

    // Context.
    /// Refused requests within `burstWindow` that make a burst of denials (medium; twice: high).
    public var denialBurst = 10
    /// An hour bin that the account used on fewer than this share of its active days is unusual.
    public var unusualHourShare = 0.02
    /// A new session or access this soon after the account's creation is suspicious.
    public var freshAccountWindow: Double = 30 * 60

    /// Each role's ceiling of distinct persons (``Ceiling``), from the profile's roles; a role
    /// missing here gets its kind's default. Enforced even when `enabled` is false.
    public var ceilings: [String: Ceiling] = [:]

    // Searches.
    /// Distinct search queries (criteria, not pages) within an hour before a step-up, whatever
    /// their order: `max(floor, factor × usual)`; twice the limit throttles.
    public var queryFloor = 30

    public init() {}

    /// The defaults, as applied when the profile has no `watch:` section.
    public static let defaults = WatchSettings()
}
