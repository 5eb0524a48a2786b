public import GuichetCore
public import Foundation

/// The detection state machine of a whole deployment: one ``AccountState`` per account,
/// advanced by gate events, with the peers' baselines derived from them. Pure: no clock (the
/// event carries its time), no storage, no randomness; the ``Watch`` actor owns one.
public struct WatchEngine: Sendable {
    public let settings: WatchSettings
    let calendar: Calendar
    var accounts: [AccountID: AccountState] = [:]
    /// Accounts changed since the last ``takeDirty()``.
    var dirty: Set<AccountID> = []
    var peerCache: [String: (day: Int32, baseline: PeerBaseline)] = [:]

    /// How long the same finding stays quiet after it fired.
    static let coolDown: Int64 = 3600
    /// How recent a second factor must be to satisfy a step-up.
    static let stepUpWindow: TimeInterval = 5 * 60

    public init(settings: WatchSettings) {
        self.settings = settings
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(identifier: settings.timezone) ?? TimeZone(identifier: "UTC")!  // UTC always exists
        calendar = c
    }

    /// Assesses one event, advances the account's state, and says whether the request goes on.
    /// A candidate access that is refused leaves no trace in the volume windows (nothing was
    /// revealed); its refusal counts.
    public mutating func assess(_ event: WatchEvent) -> Assessment {
        var e = event
        let t = LocalTime(e.at, calendar: calendar)
        // Taken out of the map while it changes: a copy left there would make every change of
        // its sets and maps copy them whole, a day's persons included (issue 18). The peers'
        // baseline, computed once a day, counts the account as it was before this request.
        if let before = accounts[e.account], peerCache[before.group]?.day != t.day { _ = baseline(for: before, day: t.day) }
        var st = accounts.removeValue(forKey: e.account) ?? AccountState(group: Self.group(e.role, e.organisation), role: e.role,
                                                     createdAt: e.accountCreatedAt.map { Int64($0.timeIntervalSince1970) })
        defer { accounts[e.account] = st; dirty.insert(e.account) }
        st.roll(to: t.day, at: t.second)
        st.recent.advance(burst: t.second - Int64(settings.burstWindow), hour: t.second - 3600)
        var out = Assessment()
        out.risk = st.risk(at: t.second, halfLife: settings.riskHalfLife)
        if st.suspended { out.refusal = .suspended; return out }

        // A decoy reached or asked for counts before anything else holds the request (a
        // throttle, a step-up owed, the ceiling): a stolen account at its ceiling asked for
        // decoys by id and was only told of its ceiling (an attacker's audit). Counted once.
        if settings.enabled, let decoy = Detectors.honeytoken(e) {
            apply([decoy], &st, e, t, &out)
            e.honeytoken = false
            if st.suspended { return out }
        }

        // Standing responses first: a throttled account, or one that owes a step-up.
        if e.allowed {
            if let until = st.throttledUntil, until > t.second {
                out.refusal = .throttled(until: Date(timeIntervalSince1970: TimeInterval(until)))
            } else if st.throttledUntil != nil {
                st.throttledUntil = nil; st.refusals = 0
            }
            if out.refusal == nil, let since = st.stepUpSince, !e.onConsoleWithKeyFile {
                if let sf = e.secondFactorAt, Int64(sf.timeIntervalSince1970) > since, e.at.timeIntervalSince(sf) <= Self.stepUpWindow {
                    st.stepUpSince = nil; st.refusals = 0; st.stepUpAnswered = Int64(sf.timeIntervalSince1970)
                } else {
                    out.refusal = .stepUp
                }
            }
            if out.refusal != nil {
                st.refusals += 1
                if st.refusals >= settings.refusalsBeforeSuspension {
                    apply([Finding(detector: "ignored-containment", severity: .critical,
                                   detail: "\(st.refusals) requests went on while the account was \(out.refusal == .stepUp ? "asked to verify its second factor" : "throttled")")],
                          &st, e, t, &out)
                }
                return out
            }
        }

        // The ceiling holds from the first request, learned or not, watch enabled or not.
        if e.allowed, !e.persons.isEmpty || (e.writes && !e.dossiers.isEmpty), !e.onConsoleWithKeyFile, ceiling(&st, e, t, &out) { return out }
        guard settings.enabled else {
            if e.allowed { commit(&st, e, t) }
            return out
        }

        let peers = baseline(for: st, day: t.day)
        var findings = Detectors.marks(e)
        // The console holds the key file and the database, which open everything anyway: its
        // pace and volume say nothing (a large incident's letters written there raised volume
        // and rate alerts against the officer named, an incident audit). Its marks (a decoy,
        // a watched person), its account's age and its circumstances still count.
        if !e.onConsoleWithKeyFile {
            findings += rate(&st, e, t)
            findings += Detectors.queries(st, e, t, settings)
            findings += Detectors.volume(st, peers, e, t, settings)
            findings += Detectors.enumeration(st, peers, e, t, settings)
        }
        let context = Detectors.context(st, peers, e, t, settings) + Detectors.lifecycle(st, peers, e, t, settings)
        findings += context
        // Kinds of unusual circumstance: the hour (of activity or of sign-in), the network.
        let kinds = Set(context.map { $0.detector == "sign-in-hour" ? "unusual-hour" : $0.detector }).intersection(["unusual-hour", "new-network"])
        if st.sessionContextID != e.session.rawValue { st.sessionContext = []; st.sessionContextID = e.session.rawValue }
        if !kinds.isEmpty {
            let before = st.sessionContext.count
            st.sessionContext.formUnion(kinds)
            if st.sessionContext.count >= 2 && before < 2 {
                findings.append(Finding(detector: "context-combination", severity: .medium,
                                        detail: "several unusual circumstances in one session: \(st.sessionContext.sorted().joined(separator: ", "))",
                                        key: "context-combination:\(e.session.rawValue)"))
            }
        }
        apply(findings, &st, e, t, &out)
        if out.refusal == nil, e.allowed, e.watchedBySearchOutsideCaseload, e.justification == nil {
            out.refusal = .justification
        }
        if e.allowed && out.refusal == nil { commit(&st, e, t) }
        if !e.allowed { st.denials = st.denials.filter { $0 >= t.second - Int64(settings.burstWindow) } + [t.second] }
        return out
    }

    /// Ledger entries a minute above which an account is reported (`request-rate`, low: an
    /// alert), and ten times which it is contained (`request-flood`, high: a throttle by
    /// default), for staff; a quarter of both for citizens (``rateLimits(_:)``). No person
    /// works the gate that fast; a script does, and each entry is kept, never trimmed (an
    /// attacker test: a citizen reading their own file 235 times a second, which no ceiling
    /// counts, since it shows no new person). Entries, not requests: a citizen's list of their
    /// 19 files writes 19, and a script listing them 70 times a second wrote 1,300 entries a
    /// second, under a limit of requests (a citizens' audit).
    public static let requestsPerMinute = 600

    /// Ledger entries a day past which an account is contained (`ledger-volume`, high: a
    /// throttle, and a third throttle within the day suspends): a bound on what one account
    /// adds to the ledger in a day, whatever its pace. Far above a working day's (a citizen's
    /// page of their files, loaded a thousand times; an adviser's hundreds of pages of 50).
    public static let citizenEntriesPerDay = 20_000
    public static let staffEntriesPerDay = 200_000

    /// The entries a minute past which `request-rate` and `request-flood` fire, and the
    /// entries a day past which `ledger-volume` fires, for an account of `kind`.
    public static func rateLimits(_ kind: RoleKind) -> (alert: Int, flood: Int, day: Int) {
        kind == .citizen ? (requestsPerMinute / 4, 10 * requestsPerMinute / 4, citizenEntriesPerDay)
                         : (requestsPerMinute, 10 * requestsPerMinute, staffEntriesPerDay)
    }

    /// Counts the ledger entries of the account's requests in the current minute and day;
    /// reports the first minute's crossing of each limit (once an hour each, by the cool-down
    /// of their keys), and every request past the day's.
    func rate(_ st: inout AccountState, _ e: WatchEvent, _ t: LocalTime) -> [Finding] {
        let limits = Self.rateLimits(e.kind), entries = max(1, e.entries)
        let minute = t.second / 60
        if st.rateMinute != minute { st.rateMinute = minute; st.rateCount = 0 }
        let before = st.rateCount ?? 0, n = before + entries
        st.rateCount = n
        let day = (st.entriesToday ?? 0) + entries
        st.entriesToday = day
        var found: [Finding] = []
        if before <= limits.alert && n > limits.alert {
            found.append(Finding(detector: "request-rate", severity: .low, detail: "more than \(limits.alert) ledger entries in a minute", key: "request-rate"))
        }
        if before <= limits.flood && n > limits.flood {
            found.append(Finding(detector: "request-flood", severity: .high, detail: "more than \(limits.flood) ledger entries in a minute", key: "request-flood"))
        }
        if day > limits.day {
            found.append(Finding(detector: "ledger-volume", severity: .high, detail: "more than \(limits.day) ledger entries today", key: "ledger-volume"))
        }
        return found
    }

    /// Adds findings (after the cool-down) to the account's risk, escalates them by the risk,
    /// and applies the strongest response.
    mutating func apply(_ found: [Finding], _ st: inout AccountState, _ e: WatchEvent, _ t: LocalTime, _ out: inout Assessment) {
        var risk = st.risk(at: t.second, halfLife: settings.riskHalfLife)
        var marked: [Finding] = []
        for var f in found {
            if f.severity < .critical, let last = st.fired[f.key], t.second - last < Self.coolDown {
                f.repeated = true
            } else {
                st.fired[f.key] = t.second
                risk += settings.points[f.severity] ?? 0
            }
            marked.append(f)
        }
        if st.fired.count > 256 { st.fired = st.fired.filter { t.second - $0.value < 86_400 } }
        st.risk = risk; st.riskAt = t.second
        out.risk = risk
        var strongest: WatchResponse?
        var stepUpBeyondFreshAccount = false
        for var f in marked {
            if f.severity >= .low && !f.repeated {
                if risk >= settings.riskCritical { f.severity = .critical } else if risk >= settings.riskHigh { f.severity = max(f.severity, .high) }
            }
            out.findings.append(f)
            let response = settings.responses[f.severity] ?? .alert
            // A repeat within the cool-down asks no new step-up (the account answered one);
            // a repeat that calls for a throttle or a suspension still gets it (a veto).
            if !f.repeated || response >= .throttle { strongest = max(strongest ?? .alert, response) }
            if !f.repeated, response >= .stepUp, f.detector != "fresh-account" { stepUpBeyondFreshAccount = true }
        }
        guard var response = strongest else { return }
        // A citizen has no second factor to verify again: a step-up is an alert for them.
        // The console's operator holds the key file and has no session to verify again: an
        // alert, as for a citizen (an operator's audit: `guichet breach letters` run by a new
        // security officer was refused three times with a step-up it could not answer).
        if response == .stepUp && (e.kind == .citizen || e.onConsoleWithKeyFile) { response = .alert }
        switch response {
        case .alert:
            if out.findings.contains(where: { !$0.repeated }) { out.response = .alert }
        case .stepUp:
            // A factor verified before the finding does not answer it (a stolen session
            // carries one), unless it answered a step-up a moment ago.
            if let sf = e.secondFactorAt, let answered = st.stepUpAnswered, Int64(sf.timeIntervalSince1970) >= answered,
               e.at.timeIntervalSince(sf) <= Self.stepUpWindow { break }
            // A new account's first access, minutes after its session proved the factor: that
            // proof is what a step-up would ask for again (a co-operative's audit: every new staff
            // member was asked at once, and the code just typed at sign-in was refused as used).
            // The finding stays an alert for the security officer, and the proof counts as a
            // step-up answered, as it would have been a moment later.
            if !stepUpBeyondFreshAccount, let sf = e.secondFactorAt, e.at >= sf, e.at.timeIntervalSince(sf) <= Self.stepUpWindow {
                if out.findings.contains(where: { !$0.repeated }) { out.response = .alert }
                st.stepUpAnswered = Int64(sf.timeIntervalSince1970)
                break
            }
            if st.stepUpSince == nil { out.response = .stepUp }
            st.stepUpSince = st.stepUpSince ?? t.second
            if e.allowed { out.refusal = .stepUp }
        case .throttle:
            if let until = st.throttledUntil, until > t.second {  // already throttled (a refusal's repeat)
                if e.allowed { out.refusal = .throttled(until: Date(timeIntervalSince1970: TimeInterval(until))) }
                break
            }
            st.throttles = st.throttles.filter { t.second - $0 < 86_400 }
            if st.throttles.count >= 2 && marked.contains(where: { !$0.repeated || $0.severity >= .high }) {
                // A third throttle within a day: the account keeps doing what it was stopped for.
                out.findings.append(Finding(detector: "repeated-throttle", severity: .critical,
                                            detail: "throttled \(st.throttles.count + 1) times within a day"))
                out.response = .suspend
                st.suspended = true
                out.refusal = .suspended
                return
            }
            st.throttles.append(t.second)
            // Throttled by a detector on a day the account already went past its ceiling: the
            // next new person suspends, as after the ceiling's own throttle (waiting the
            // throttle out must not give the windows back).
            if (st.ceilingStage ?? 0) >= 1 { st.ceilingStage = 3; st.ceilingSince = t.second }
            out.response = .throttle
            let until = t.second + Int64(settings.throttleFor)
            st.throttledUntil = until
            st.refusals = 0
            if e.allowed { out.refusal = .throttled(until: Date(timeIntervalSince1970: TimeInterval(until))) }
        case .suspend:
            out.response = .suspend
            st.suspended = true
            out.refusal = .suspended
        }
    }

    /// The role's ceiling (``Ceiling``): whether this access, counted with the persons the
    /// account already received, crosses it, and what follows. Returns true when the request
    /// is refused. A refused request reveals nothing, so it adds nothing to the counts.
    mutating func ceiling(_ st: inout AccountState, _ e: WatchEvent, _ t: LocalTime, _ out: inout Assessment) -> Bool {
        let c = settings.ceilings[e.role] ?? .defaults(for: e.kind)
        if st.ceilingSession != e.session.rawValue { st.ceilingSession = e.session.rawValue; st.sessionPersons = [] }
        let burstLabel = "\(Int(settings.burstWindow / 60)) minutes"
        // A write is counted against the ceiling of changes, a read against that of persons;
        // both share the stages below, so an account that owes a step-up for one owes it for
        // the other (a stolen account stopped from reading cannot go on withdrawing files).
        let counts: [(Int, Int, String)]
        let grace: Int
        let writes = e.writes, approves = e.writes && e.approves
        // Whether the request adds to a count: persons the account already received today,
        // and dossiers it already changed (accounts it already approved) today, cost nothing.
        let adds: Bool
        if writes {
            let since = t.second - Int64(settings.burstWindow)
            let fps = Set(e.dossiers.map { fingerprint($0.rawValue) })
            let changed = (approves ? st.approved : st.changed) ?? [:], today = (approves ? st.approvedToday : st.changedToday) ?? []
            let recent = changed.values.reduce(0) { $0 + ($1 > since ? 1 : 0) }
                + fps.reduce(0) { $0 + ((changed[$1].map { $0 > since } ?? false) ? 0 : 1) }
            let newToday = AccountState.unseen(fps, in: today)
            counts = approves ? [(recent, c.approvalsBurst, burstLabel), (today.count + newToday, c.approvalsDay, "day")]
                              : [(recent, c.changesBurst, burstLabel), (today.count + newToday, c.changesDay, "day")]
            grace = approves ? c.approvalsGrace : c.changesGrace
            adds = newToday > 0
        } else {
            let fps = Set(e.persons.map { fingerprint($0.rawValue) })
            let (burst, hour) = st.recent.counts(adding: fps.filter { !st.dayPersons.contains($0) })
            let newToday = AccountState.unseen(fps, in: st.dayPersons)
            counts = [(burst, c.burst, burstLabel), (hour, c.hour, "hour"), (st.dayPersons.count + newToday, c.day, "day"),
                      ((st.sessionPersons?.count ?? 0) + AccountState.unseen(fps, in: st.sessionPersons ?? []), c.session, "session")]
            grace = c.grace
            adds = newToday > 0
        }
        func refusal(_ limit: Int, _ window: String) -> WatchRefusal {
            approves ? .approvals(limit: limit, window: window) : writes ? .changes(limit: limit, window: window) : .ceiling(limit: limit, window: window)
        }
        let what = approves ? "accounts approved" : writes ? "dossiers changed" : "distinct persons"
        let stage = st.ceilingStage ?? 0
        if stage == 0 {
            guard let over = counts.first(where: { $0.0 > $0.1 }) else { return false }
            // A second crossing within a week is a high alert (a slow, patient misuse).
            let again = !(st.ceilingDays ?? []).filter { $0 != t.day && t.day - $0 < 7 }.isEmpty
            st.ceilingStage = 1; st.ceilingSince = t.second; st.ceilingOnChanges = writes ? true : nil; st.ceilingOnApprovals = approves ? true : nil
            st.ceilingDays = (st.ceilingDays ?? []).filter { t.day - $0 < 7 } + [t.day]
            out.findings.append(Finding(detector: "ceiling", severity: again ? .high : .medium,
                                        detail: "\(over.0) \(what) \(WatchWindow.within(over.2)) (ceiling \(over.1) for role '\(e.role)')"
                                            + (again ? ", the second time this week" : "") + ": step-up and justification asked",
                                        key: "ceiling:\(t.day)"))
            out.response = .stepUp
            out.refusal = refusal(over.1, over.2)
            return true
        }
        let since = st.ceilingSince ?? t.second
        let answered = (e.justification.map { DisplayText.visibleCount($0) >= 10 } ?? false)
            && e.secondFactorAt.map { Int64($0.timeIntervalSince1970) > since && e.at.timeIntervalSince($0) <= Self.stepUpWindow } == true
        // A request that adds nothing passes, unless it brings the answer a crossing owes
        // (the pages send it with the file reopened, before the change is tried again).
        if !adds && !(stage == 1 && answered) { return false }
        let first = counts.min(by: { $0.1 < $1.1 }) ?? (0, c.first, "day")
        switch stage {
        case 1:
            guard answered else {
                // Requests already in flight when the demand was made (the same second) do
                // not count as ignoring it.
                if t.second > since { st.refusals += 1 }
                // The refusal names the ceiling that was crossed: a write refused because reads
                // met the ceiling of persons says so, not that it changed files.
                let crossedOnChanges = st.ceilingOnChanges ?? false, crossedOnApprovals = st.ceilingOnApprovals ?? false
                if crossedOnChanges == writes && crossedOnApprovals == approves {
                    out.refusal = refusal(first.1, first.2)
                } else if crossedOnApprovals {
                    let (limit, window) = c.approvalsBurst <= c.approvalsDay ? (c.approvalsBurst, burstLabel) : (c.approvalsDay, "day")
                    out.refusal = .approvals(limit: limit, window: window)
                } else if crossedOnChanges {
                    let (limit, window) = c.changesBurst <= c.changesDay ? (c.changesBurst, burstLabel) : (c.changesDay, "day")
                    out.refusal = .changes(limit: limit, window: window)
                } else {
                    let (limit, window) = [(c.burst, burstLabel), (c.hour, "hour"), (c.day, "day"), (c.session, "session")].min { $0.0 < $1.0 }!  // four elements
                    out.refusal = .ceiling(limit: limit, window: window)
                }
                if st.refusals >= settings.refusalsBeforeSuspension {
                    return suspend(&st, "ceiling", "\(st.refusals) requests past the ceiling without a step-up and a justification", &out)
                }
                return true
            }
            st.ceilingStage = 2; st.refusals = 0
            out.findings.append(Finding(detector: "ceiling-justified", severity: .low,
                                        detail: "past the ceiling of role '\(e.role)' with a fresh second factor and a justification (every window of \(what) \(grace) higher today)",
                                        key: "ceiling-justified:\(t.day)"))
            out.response = .alert
            fallthrough
        case 2:
            // Justified: every window is `grace` higher for the rest of the day. Crossing a
            // raised window throttles; the next new person after that suspends.
            guard let over = counts.first(where: { $0.0 > $0.1 + grace }) else { return false }
            st.ceilingStage = 3; st.ceilingSince = t.second
            let until = t.second + Int64(settings.throttleFor)
            st.throttledUntil = until; st.throttles.append(t.second); st.refusals = 0
            out.findings.append(Finding(detector: "ceiling-exceeded", severity: .high,
                                        detail: "\(over.0) \(what) \(WatchWindow.within(over.2)), past the ceiling and its grace (\(over.1 + grace)); throttled",
                                        key: "ceiling-exceeded:\(t.day)"))
            out.response = .throttle
            out.refusal = .throttled(until: Date(timeIntervalSince1970: TimeInterval(until)))
            return true
        default:
            return suspend(&st, "ceiling-exceeded", "more \(approves ? "approvals" : writes ? "changes" : "persons") asked for after the ceiling of role '\(e.role)' and its grace were passed", &out)
        }
    }

    /// Suspends the account with one critical finding.
    mutating func suspend(_ st: inout AccountState, _ detector: String, _ detail: String, _ out: inout Assessment) -> Bool {
        out.findings.append(Finding(detector: detector, severity: .critical, detail: detail, key: "\(detector):suspend"))
        out.response = .suspend
        out.refusal = .suspended
        st.suspended = true
        return true
    }

    /// Suspends an account from outside the detectors (a break-glass ceiling crossed).
    public mutating func suspend(_ account: AccountID) {
        accounts[account]?.suspended = true
        dirty.insert(account)
    }

    /// Records what an allowed access revealed.
    func commit(_ st: inout AccountState, _ e: WatchEvent, _ t: LocalTime) {
        let hourSince = t.second - 3600
        if e.writes {
            let since = t.second - Int64(settings.burstWindow)
            var changed = ((e.approves ? st.approved : st.changed) ?? [:]).filter { $0.value > since }
            var today = (e.approves ? st.approvedToday : st.changedToday) ?? []
            for d in e.dossiers {
                let f = fingerprint(d.rawValue)
                changed[f] = t.second
                if today.count < 100_000 { today.insert(f) }
            }
            if e.approves { st.approved = changed; st.approvedToday = today } else { st.changed = changed; st.changedToday = today }
        }
        // In place: a copy of the session's set per request cost as much as the set is large.
        if st.sessionPersons == nil { st.sessionPersons = [] }
        for p in e.persons {
            let f = fingerprint(p.rawValue)
            // The windows count persons first received today: one received again the same day
            // costs nothing (a containment audit: 30 files reopened after 10 minutes, then 5
            // new ones, met the ceiling of 35 at 35 distinct persons in the day).
            if !st.dayPersons.contains(f) { st.recent.show(f, at: t.second) }
            if st.dayPersons.count < 100_000 { st.dayPersons.insert(f) }
            if st.sessionPersons!.count < 100_000 { st.sessionPersons!.insert(f) }
        }
        if let q = e.search?.query, e.search?.paged == false {
            var qs = (st.queries ?? [:]).filter { $0.value >= hourSince }
            qs[q] = t.second
            st.queries = qs
        }
        st.today.persons = st.dayPersons.count
        let (burst, hour) = st.recent.counts
        st.today.burst = max(st.today.burst, burst)
        st.today.hour = max(st.today.hour, hour)
        for d in e.dossiers {
            let f = fingerprint(d.rawValue)
            if st.seen[f] == nil && e.search == nil { st.today.newDossiers += 1 }
            st.seen[f] = t.day
        }
        if let net = Detectors.network(e.source) { st.lastNetwork = net }
        st.lastAt = t.second
        if let shape = e.search {
            st.sweepDepth = shape.paged ? st.sweepDepth + 1 : 0
            st.today.pages = max(st.today.pages, st.sweepDepth)
            if shape.byName, let k = shape.initials { st.initials = Array((st.initials + [k]).suffix(max(1, settings.alphabeticalRun - 1))) }
        }
        st.todayBins |= 1 << UInt64(t.bin)
        if st.session != e.session.rawValue {
            st.todaySignIns |= 1 << UInt64(t.bin)
            st.session = e.session.rawValue
        }
        if let net = Detectors.network(e.source), st.networks[net] == nil {
            if st.networks.count >= 64, let oldest = st.networks.min(by: { $0.value < $1.value }) { st.networks[oldest.key] = nil }
            st.networks[net] = t.day
        }
        if st.firstAccess == nil, !e.aboutAccounts { st.firstAccess = t.second }  // the first personal data, not an approval
    }

    static func group(_ role: String, _ organisation: OrganisationID?) -> String { "\(role)|\(organisation?.rawValue ?? "-")" }

    /// The peers' baseline for an account's group, computed once a day: the median of the
    /// learned members' own maxima; the role as a whole when the group has fewer than three.
    mutating func baseline(for st: AccountState, day: Int32) -> PeerBaseline {
        if let cached = peerCache[st.group], cached.day == day { return cached.baseline }
        var members = accounts.values.filter { $0.group == st.group && $0.learned(settings) }
        if members.count < 3 { members = accounts.values.filter { $0.role == st.role && $0.learned(settings) } }
        var b = PeerBaseline()
        b.members = members.count
        if members.count >= 3 {
            func median(_ path: KeyPath<DayStats, Int>) -> Int {
                let v = members.map { $0.usual(path) }.sorted()
                return v[v.count / 2]
            }
            b.burst = median(\.burst); b.hour = median(\.hour); b.persons = median(\.persons); b.pages = median(\.pages)
            let typical = members.map { $0.typical(\.newDossiers) }.sorted()
            b.newDossiers = typical[typical.count / 2]
            let days = Double(members.reduce(0) { $0 + $1.activeDays })
            b.hourShare = (0..<48).map { bin in days == 0 ? 1 : Double(members.reduce(0) { $0 + $1.hourBins[bin] }) / days }
        }
        peerCache[st.group] = (day, b)
        return b
    }

    // MARK: state outside events

    /// Lifts a suspension (a security officer reinstated the account): risk, throttle and
    /// step-up are cleared; the history stays. `restartCeilings`: false for an account already
    /// reinstated in the last week, whose ceilings keep what they counted.
    public mutating func reinstate(_ account: AccountID, restartCeilings: Bool = true) {
        guard var st = accounts[account] else { return }
        st.suspended = false; st.risk = 0; st.throttledUntil = nil; st.stepUpSince = nil; st.refusals = 0
        st.throttles = []; st.initials = []; st.sweepDepth = 0; st.denials = []
        // The officer vouched for the account: the ceilings' counts start again (the persons of
        // the burst, hour and day windows), so the owner is not stopped again at the next new
        // person (a multi-server test: reinstated three minutes after a suspension, the account
        // was throttled at once). A second crossing within the week is still a high alert.
        // Not a second time within the week: each reinstatement gave a stolen account its whole
        // ceiling again, so an officer's account reinstating a staff account over and over read
        // about 49 persons a minute (an insider audit).
        if restartCeilings {
            st.ceilingStage = nil; st.ceilingSince = nil; st.ceilingOnChanges = nil; st.ceilingOnApprovals = nil; st.graceLeft = nil
            st.recent = RecentPersons(); st.dayPersons = []
        }
        accounts[account] = st
        dirty.insert(account)
    }

    /// Whether the watch holds the account as suspended.
    public func isSuspended(_ account: AccountID) -> Bool { accounts[account]?.suspended ?? false }

    /// Until when the account is throttled, if it is at that time.
    public func throttledUntil(_ account: AccountID, at: Date) -> Date? {
        guard let until = accounts[account]?.throttledUntil, until > Int64(at.timeIntervalSince1970) else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(until))
    }

    /// The account's risk points at a time.
    public func risk(_ account: AccountID, at: Date) -> Double {
        accounts[account]?.risk(at: Int64(at.timeIntervalSince1970), halfLife: settings.riskHalfLife) ?? 0
    }

    /// The states changed since the last call, encoded for storage.
    public mutating func takeDirty() -> [(AccountID, Data)] {
        let encoder = JSONEncoder()
        let out = dirty.compactMap { id in accounts[id].flatMap { try? encoder.encode($0) }.map { (id, $0) } }
        dirty = []
        return out
    }

    /// One account's state as stored; nil when the account has none.
    public func encoded(_ account: AccountID) -> Data? {
        accounts[account].flatMap { try? JSONEncoder().encode($0) }
    }

    /// Replaces one account's state by a stored one (nil, or one that does not decode: none),
    /// as another server left it; it is not dirty.
    public mutating func replace(_ account: AccountID, with stored: Data?) {
        accounts[account] = stored.flatMap { try? JSONDecoder().decode(AccountState.self, from: $0) }
        dirty.remove(account)
    }

    /// Notes that an account's state is stored as it is.
    public mutating func markStored(_ account: AccountID) { dirty.remove(account) }

    /// Loads stored states (at start-up); a state that does not decode is dropped, so the
    /// account starts learning again rather than the watch failing.
    public mutating func load(_ stored: [(AccountID, Data)]) {
        let decoder = JSONDecoder()
        for (id, data) in stored { if let st = try? decoder.decode(AccountState.self, from: data) { accounts[id] = st } }
        peerCache = [:]
    }
}
