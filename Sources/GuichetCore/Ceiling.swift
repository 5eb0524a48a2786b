/// How many distinct persons' non-public fields an account of a role may receive (DESIGN:
/// "containment is a budget"). The gate counts every person whose identity, contact,
/// national-id or sensitive field it returns, whatever the route, from the first request of
/// a new deployment; learned baselines may only make the watch stricter.
///
/// Crossing any of `burst`, `hour`, `day` or `session` asks for a step-up with a written
/// justification; after it, every window is `grace` higher for the rest of the day; crossing a
/// raised window throttles the account, and the next request that reveals a new person
/// suspends it. So a stolen account at full speed receives at most
/// `min(burst, hour, day, session) + grace` persons before it is contained.
public struct Ceiling: Sendable, Equatable, Codable {
    /// Distinct persons within the watch's burst window (10 minutes by default).
    public var burst: Int
    public var hour: Int
    public var day: Int
    /// Distinct persons within one session.
    public var session: Int
    /// How much higher every window is for the rest of the day once a crossing was justified.
    public var grace: Int
    /// Dossiers changed (created, updated, moved to another state, restored, a person's fields
    /// written) within the burst window, and in a day: the same budget for writes. A stolen
    /// account that withdraws a whole waiting list, or redirects families' addresses, reveals
    /// no person, and the persons' ceiling alone would never stop it.
    public var changesBurst: Int
    public var changesDay: Int
    /// How much higher both change windows are once a crossing was justified.
    public var changesGrace: Int
    /// Accounts an administrator or account administrator approves (a new account, a role, a
    /// caseload) within the burst window, and in a day. Each approval hands a whole ceiling of
    /// persons to an account, so two stolen administrators approving each other's requests
    /// would otherwise multiply the budget without limit (an insider audit made 20 accounts in
    /// 8 s, each good for about 50 persons). A security officer's approval of an archive read
    /// counts here too, once for each account and file. Counted apart from the changes, much lower.
    public var approvalsBurst: Int
    public var approvalsDay: Int
    /// How much higher both approval windows are once a crossing was justified.
    public var approvalsGrace: Int

    public init(burst: Int, hour: Int, day: Int, session: Int, grace: Int,
                changesBurst: Int = 40, changesDay: Int = 300, changesGrace: Int = 20,
                approvalsBurst: Int = 5, approvalsDay: Int = 10, approvalsGrace: Int = 10) {
        self.burst = burst; self.hour = hour; self.day = day; self.session = session; self.grace = grace
        self.changesBurst = changesBurst; self.changesDay = changesDay; self.changesGrace = changesGrace
        self.approvalsBurst = approvalsBurst; self.approvalsDay = approvalsDay; self.approvalsGrace = approvalsGrace
    }

    /// The smallest window's limit: what a fast attacker meets first.
    public var first: Int { Swift.min(burst, hour, day, session) }

    /// The default of each role kind, sized above the normal work of the reference
    /// deployments as the simulator measures it (docs/DETECTION.md), and so that
    /// `first + grace` stays at or under 50.
    public static func defaults(for kind: RoleKind) -> Ceiling {
        switch kind {
        // A family: a parent and their children, a youth, a job seeker.
        // Changes: a family files an application or two and keeps its contact up to date.
        case .citizen: Ceiling(burst: 20, hour: 20, day: 40, session: 20, grace: 5, changesBurst: 20, changesDay: 40, changesGrace: 5)
        // An adviser or agent: a file every few minutes, two or three persons each; a change
        // is one click on a file opened (an offer, a withdrawal asked for by the family).
        case .staff: Ceiling(burst: 35, hour: 80, day: 300, session: 300, grace: 15, changesBurst: 40, changesDay: 300, changesGrace: 20)
        // A partner adviser or a daycare: lists show summaries; files are opened one by one.
        case .partner: Ceiling(burst: 35, hour: 60, day: 200, session: 200, grace: 15, changesBurst: 40, changesDay: 200, changesGrace: 20)
        // Administrators restore versions without reading personal fields (after an
        // intruder's changes, a justified crossing lets them restore more); account
        // administrators read and change no file. Both change accounts (departures, factor
        // resets, password reset codes: a help desk's day), each account one change. Both
        // approve accounts, roles and caseloads: 5 in 10 minutes, 10 a day, 10 more with a
        // reason (the defaults of `approvalsBurst`, `approvalsDay`, `approvalsGrace`); a
        // deployment that takes on staff in bulk does it on the console.
        case .admin: Ceiling(burst: 5, hour: 5, day: 10, session: 5, grace: 0, changesBurst: 40, changesDay: 300, changesGrace: 100)
        case .accountAdmin: Ceiling(burst: 5, hour: 5, day: 10, session: 5, grace: 0, changesBurst: 20, changesDay: 100, changesGrace: 50)
        // Security officers open names and addresses only to write breach letters. Their
        // changes are erasures, which cannot be undone: five dossiers, then a fresh factor and
        // a reason for ten more in the day (a citizen's requests come a few a day).
        case .security: Ceiling(burst: 35, hour: 35, day: 100, session: 35, grace: 15, changesBurst: 5, changesDay: 10, changesGrace: 10)
        }
    }
}
