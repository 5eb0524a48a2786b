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

    public init(burst: Int, hour: Int, day: Int, session: Int, grace: Int) {
        self.burst = burst; self.hour = hour; self.day = day; self.session = session; self.grace = grace
    }

    /// The smallest window's limit: what a fast attacker meets first.
    public var first: Int { Swift.min(burst, hour, day, session) }

    /// The default of each role kind, sized above the normal work of the reference
    /// deployments as the simulator measures it (docs/DETECTION.md), and so that
    /// `first + grace` stays at or under 50.
    public static func defaults(for kind: RoleKind) -> Ceiling {
        switch kind {
        // A family: a parent and their children, a youth, a job seeker.
        case .citizen: Ceiling(burst: 20, hour: 20, day: 40, session: 20, grace: 5)
        // An adviser or agent: a file every few minutes, two or three persons each.
        case .staff: Ceiling(burst: 35, hour: 80, day: 300, session: 300, grace: 15)
        // A partner adviser or a daycare: lists show summaries; files are opened one by one.
        case .partner: Ceiling(burst: 35, hour: 60, day: 200, session: 200, grace: 15)
        // Administrators restore versions without reading personal fields; account
        // administrators read none.
        case .admin, .accountAdmin: Ceiling(burst: 5, hour: 5, day: 10, session: 5, grace: 0)
        // Security officers open names and addresses only to write breach letters.
        case .security: Ceiling(burst: 35, hour: 35, day: 100, session: 35, grace: 15)
        }
    }
}
