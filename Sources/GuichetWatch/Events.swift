public import GuichetCore
public import Foundation

/// The shape of a search, as the watch needs it: never the values searched for.
public struct SearchShape: Sendable, Equatable {
    /// The request continues an earlier page (`after` was given).
    public var paged: Bool
    /// The criteria include a name (a searchable identity field).
    public var byName: Bool
    /// The criteria hold any term of a person (a name, an identifier, an e-mail...): a search
    /// for someone, not a listing by status.
    public var byTerms: Bool
    /// The first two letters of the name searched, as a number (a=0 … z=25, ×26), for
    /// spotting alphabetical sweeps; nil when not a name search.
    public var initials: Int?
    /// A keyed fingerprint of the query (type, status and the blind indexes of its terms,
    /// never the values): distinct queries are counted whatever their order.
    public var query: UInt64?
    public init(paged: Bool, byName: Bool, initials: Int?, query: UInt64? = nil, byTerms: Bool? = nil) {
        self.paged = paged; self.byName = byName; self.initials = initials; self.query = query; self.byTerms = byTerms ?? byName
    }

    /// The initials key of a name: the first two ASCII letters after folding accents.
    public static func initials(of name: String) -> Int? {
        let letters = name.folding(options: [.diacriticInsensitive, .caseInsensitive], locale: nil).lowercased()
            .unicodeScalars.filter { $0.value >= 97 && $0.value <= 122 }.prefix(2).map { Int($0.value) - 97 }
        guard let first = letters.first else { return nil }
        return first * 26 + (letters.count > 1 ? letters[letters.index(after: letters.startIndex)] : 0)
    }
}

/// One event of the gate as the watch sees it: a candidate access (allowed by the policy,
/// not yet journalled) or a refusal. Identifiers and shapes only, never a personal value.
public struct WatchEvent: Sendable {
    public var at: Date
    public var account: AccountID
    public var role: String
    public var kind: RoleKind
    public var organisation: OrganisationID?
    public var session: SessionID
    public var source: String?
    public var action: String
    /// Allowed by the policy (a candidate access), or refused (a denial, a not-found probe).
    public var allowed: Bool
    public var dossiers: [DossierID]
    /// Persons whose non-public fields the access returns (what ceilings and volumes count).
    public var persons: [PersonID]
    /// Persons of the dossiers a search lists without returning their fields (summary).
    public var listed: [PersonID] = []
    /// The request changes its `dossiers` (a write): they count against the ceiling of
    /// changes, as persons shown count against the ceiling of persons.
    public var writes = false
    /// The request approves an account's creation, role or caseload (with `writes`): counted
    /// against the ceiling of approvals (``Ceiling/approvalsBurst``), by the account approved
    /// (its fingerprint in `dossiers`), not against the changes.
    public var approves = false
    /// The request changes or approves an account (a departure, a factor reset, an approval),
    /// not a file: it reaches no personal data, so the lifecycle detector's "personal data
    /// reached minutes after the account was created" does not apply (a new account
    /// administrator's first approval was throttled for it).
    public var aboutAccounts = false
    public var search: SearchShape?
    /// When the account was created (lifecycle detector).
    public var accountCreatedAt: Date?
    /// When this session last verified a second factor.
    public var secondFactorAt: Date?
    // Filled by the watch from its marks before the engine runs:
    /// A honeytoken person or dossier is among those touched.
    public var honeytoken = false
    /// Watched persons among those touched.
    public var watched: [PersonID] = []
    /// A name search reached a watched person outside the account's caseload.
    public var watchedBySearchOutsideCaseload = false
    /// The justification the caller gave (`Guichet-Justification`), if any.
    public var justification: String?
    /// A security officer on the server's console with the key file: no ceiling applies.
    public var onConsoleWithKeyFile = false
    /// The ledger entries the request writes (one per dossier it reaches: a list of 19 files
    /// is 19): what the rate and the daily volume of entries count.
    public var entries = 1

    public init(at: Date, account: AccountID, role: String, kind: RoleKind, organisation: OrganisationID?, session: SessionID,
                source: String?, action: String, allowed: Bool, dossiers: [DossierID], persons: [PersonID],
                search: SearchShape? = nil, accountCreatedAt: Date? = nil, secondFactorAt: Date? = nil) {
        self.at = at; self.account = account; self.role = role; self.kind = kind; self.organisation = organisation
        self.session = session; self.source = source; self.action = action; self.allowed = allowed
        self.dossiers = dossiers; self.persons = persons; self.search = search
        self.accountCreatedAt = accountCreatedAt; self.secondFactorAt = secondFactorAt
    }
}

/// What a detector noticed. `detail` names counts and limits, never a personal value.
public struct Finding: Sendable, Equatable, Codable {
    /// The detector (`volume-burst`, `honeytoken`, `unusual-hour`...).
    public var detector: String
    public var severity: Severity
    public var detail: String
    /// Repeats of the same key within the cool-down count once.
    public var key: String
    /// The same finding fired within the cool-down: it still calls for its response, but
    /// adds no risk and no new alert.
    public var repeated = false
    public init(detector: String, severity: Severity, detail: String, key: String? = nil) {
        self.detector = detector; self.severity = severity; self.detail = detail; self.key = key ?? detector
    }
}

/// Why the watch refuses a request.
public enum WatchRefusal: Sendable, Equatable {
    /// The account is suspended.
    case suspended
    /// The account is throttled until then.
    case throttled(until: Date)
    /// The account must verify its second factor again.
    case stepUp
    /// A watched person was reached by name outside the caseload: a justification is needed.
    case justification
    /// The role's ceiling of persons was reached: a fresh second factor and a justification
    /// are needed to go on (``Ceiling``).
    case ceiling(limit: Int, window: String)
    /// The role's ceiling of dossiers changed was reached (or the account owes the answer to a
    /// ceiling already): the same step-up and justification are needed to change more.
    case changes(limit: Int, window: String)
    /// The role's ceiling of accounts approved was reached: the same step-up and justification.
    case approvals(limit: Int, window: String)
}

/// A window of the watch's counts as its texts word it: the engine's windows are "10 minutes"
/// (the burst window's length), "hour", "day" and "session".
public enum WatchWindow {
    /// As a finding words it: "in 10 minutes", "in an hour", "in a day", "in one session".
    public static func within(_ window: String) -> String {
        switch window {
        case "hour": "in an hour"
        case "day": "in a day"
        case "session": "in one session"
        default: "in \(window)"
        }
    }

    /// As a refusal words it: "in the last 10 minutes", "in the last hour", "today", "in this session".
    public static func lately(_ window: String) -> String {
        switch window {
        case "day": "today"
        case "session": "in this session"
        default: "in the last \(window)"
        }
    }
}

/// The watch's answer about one event.
public struct Assessment: Sendable, Equatable {
    /// New findings (after the cool-down), with their severity after escalation by risk.
    public var findings: [Finding] = []
    /// The strongest response that these findings call for, if any.
    public var response: WatchResponse?
    /// Set when the request must not go on.
    public var refusal: WatchRefusal?
    /// The account's risk points after this event.
    public var risk: Double = 0
    public init() {}
}
