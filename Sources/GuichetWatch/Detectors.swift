import GuichetCore
import Foundation

/// What the peers of an account (same role and organisation, or same role when the
/// organisation has fewer than three accounts with history) usually do.
struct PeerBaseline: Sendable, Equatable {
    var burst = 0
    var hour = 0
    var persons = 0
    var newDossiers = 0
    var pages = 0
    /// Share of peers' active days that used each hour bin.
    var hourShare = [Double](repeating: 1, count: 48)
    var members = 0
}

/// Where an event stands in time, in the deployment's time zone.
struct LocalTime: Sendable {
    let second: Int64
    let day: Int32
    /// 0-23 on weekdays, 24-47 on Saturdays and Sundays.
    let bin: Int

    init(_ date: Date, calendar: Calendar) {
        second = Int64(date.timeIntervalSince1970.rounded(.down))
        let c = calendar.dateComponents([.hour, .weekday], from: date)
        let offset = Int64(calendar.timeZone.secondsFromGMT(for: date))
        day = Int32((second + offset).floorDiv(86_400))
        let weekend = c.weekday == 1 || c.weekday == 7
        bin = (c.hour ?? 0) + (weekend ? 24 : 0)
    }
}

extension Int64 {
    func floorDiv(_ d: Int64) -> Int64 { self >= 0 ? self / d : (self - d + 1) / d }
}

/// The detectors: pure functions of an account's state, its peers' baseline and one event.
/// Each returns findings; none changes the state (the engine commits what was allowed).
enum Detectors {
    /// A honeytoken reached or asked for: critical (the engine counts it before anything else).
    static func honeytoken(_ e: WatchEvent) -> Finding? {
        guard e.honeytoken else { return nil }
        return Finding(detector: "honeytoken", severity: .critical,
                       detail: "a honeytoken record (no legitimate work touches it) was \(e.allowed ? "reached" : "asked for") by '\(e.action)'")
    }

    /// Honeytokens: any touch is critical. Watched persons: every access is an alert, and a
    /// name search that reaches one outside the caseload needs a justification.
    static func marks(_ e: WatchEvent) -> [Finding] {
        var out = honeytoken(e).map { [$0] } ?? []
        if !e.watched.isEmpty && e.allowed {
            if e.watchedBySearchOutsideCaseload && e.justification == nil {
                out.append(Finding(detector: "watched-name-search", severity: .low,
                                   detail: "a search by a person's details reached \(e.watched.count) watched person(s) outside the caseload without a justification; refused"))
            } else {
                out.append(Finding(detector: "watched-person", severity: .info,
                                   detail: "\(e.watched.count) watched person(s) accessed by '\(e.action)'\(e.justification == nil ? "" : " with a justification")",
                                   key: "watched-person:\(e.at.timeIntervalSince1970)"))
            }
        }
        return out
    }

    /// Volume: distinct persons over the burst window, the hour and the day, against
    /// `factor` × the larger of the account's own usual maximum and its peers'.
    static func volume(_ st: AccountState, _ peers: PeerBaseline, _ e: WatchEvent, _ t: LocalTime, _ s: WatchSettings) -> [Finding] {
        guard e.allowed, !e.persons.isEmpty else { return [] }
        let fps = Set(e.persons.map { fingerprint($0.rawValue) })
        // Persons first received today, as the ceilings count them (WatchEngine.ceiling).
        let (burst, hour) = st.recent.counts(adding: fps.filter { !st.dayPersons.contains($0) })
        let day = st.dayPersons.count + AccountState.unseen(fps, in: st.dayPersons)
        let own = st.learned(s)
        func limit(_ floor: Int, _ path: KeyPath<DayStats, Int>, _ peer: Int, factor: Double) -> Int {
            let usual = max(own ? st.usual(path) : 0, peer)
            return max(floor, Int((Double(usual) * factor).rounded(.up)))
        }
        // Learning: neither the account nor its peers have a history yet (a new deployment):
        // volume only alerts, so that normal work sets the baselines instead of being stopped.
        let severity: Severity = own || peers.members >= 3 ? .high : .info
        var out: [Finding] = []
        let lb = limit(s.burstFloor, \.burst, peers.burst, factor: max(1, s.volumeFactor / 2))
        if burst > lb {
            out.append(Finding(detector: "volume-burst", severity: severity,
                               detail: "\(burst) distinct persons within \(Int(s.burstWindow / 60)) min (limit \(lb))"))
        }
        let lh = limit(s.hourFloor, \.hour, peers.hour, factor: s.volumeFactor)
        if hour > lh {
            out.append(Finding(detector: "volume-hour", severity: severity, detail: "\(hour) distinct persons within an hour (limit \(lh))"))
        }
        let ld = limit(s.dayFloor, \.persons, peers.persons, factor: s.volumeFactor)
        if day > ld {
            out.append(Finding(detector: "volume-day", severity: severity, detail: "\(day) distinct persons today (limit \(ld))", key: "volume-day:\(t.day)"))
        }
        return out
    }

    /// Distinct search queries within an hour, whatever their order (an alphabetical sweep is
    /// one order among many): a step-up past the limit, a throttle past twice the limit.
    static func queries(_ st: AccountState, _ e: WatchEvent, _ t: LocalTime, _ s: WatchSettings) -> [Finding] {
        guard e.allowed, let shape = e.search, !shape.paged, let q = shape.query else { return [] }
        let since = t.second - 3600
        var asked = (st.queries ?? [:]).filter { $0.value >= since }
        asked[q] = t.second
        let n = asked.count
        if n > 2 * s.queryFloor {
            return [Finding(detector: "distinct-queries", severity: .high, detail: "\(n) distinct searches within an hour (limit \(s.queryFloor))",
                            key: "distinct-queries-high")]
        }
        if n > s.queryFloor {
            return [Finding(detector: "distinct-queries", severity: .medium, detail: "\(n) distinct searches within an hour (limit \(s.queryFloor))")]
        }
        return []
    }

    /// Enumeration: deep paging through one search, alphabetical name sweeps, and many
    /// dossiers never seen before by this account in one day.
    static func enumeration(_ st: AccountState, _ peers: PeerBaseline, _ e: WatchEvent, _ t: LocalTime, _ s: WatchSettings) -> [Finding] {
        guard e.allowed else { return [] }
        var out: [Finding] = []
        if let shape = e.search {
            // Paging through one's own list is some accounts' daily work (a daycare's waiting
            // list): the limit is twice the account's (or its peers') usual depth.
            let depth = shape.paged ? st.sweepDepth + 1 : 0
            let own = st.learned(s)
            let limit = max(s.sweepPages, 2 * max(own ? st.usual(\.pages) : 0, peers.pages))
            if depth >= limit {
                out.append(Finding(detector: "search-sweep", severity: own || peers.members >= 3 ? .high : .info,
                                   detail: "\(depth + 1) consecutive pages of one search (limit \(limit))"))
            }
            if shape.byName, let k = shape.initials {
                let run = Array((st.initials + [k]).suffix(s.alphabeticalRun))
                if run.count == s.alphabeticalRun, zip(run, run.dropFirst()).allSatisfy({ $0 <= $1 }), Set(run).count >= s.alphabeticalRun / 2 {
                    out.append(Finding(detector: "alphabetical-sweep", severity: .high,
                                       detail: "\(run.count) name searches in a row in alphabetical order"))
                }
            }
        }
        // Files opened one by one (a search result list is not counted: the sweep and volume
        // detectors watch those).
        // Only once the account has its own history: a new account's first days are all new.
        let fresh = e.search != nil || !st.learned(s) ? 0 : Set(e.dossiers.map { fingerprint($0.rawValue) }).filter { st.seen[$0] == nil }.count
        if fresh > 0 {
            let projected = st.today.newDossiers + fresh
            let usual = max(st.learned(s) ? st.typical(\.newDossiers) : 0, peers.newDossiers)
            let limit = max(s.newDossiersFloor, Int((Double(usual) * s.newDossiersFactor).rounded(.up)))
            if projected > limit {
                out.append(Finding(detector: "new-dossiers", severity: .medium,
                                   detail: "\(projected) dossiers never seen before by this account today (limit \(limit))", key: "new-dossiers:\(t.day)"))
            }
        }
        return out
    }

    /// Context: hours this account (and its peers) never work, a network it never used, and
    /// bursts of refused requests.
    static func context(_ st: AccountState, _ peers: PeerBaseline, _ e: WatchEvent, _ t: LocalTime, _ s: WatchSettings) -> [Finding] {
        var out: [Finding] = []
        if !e.allowed {
            let since = t.second - Int64(s.burstWindow)
            let count = st.denials.filter { $0 >= since }.count + 1
            if count >= 2 * s.denialBurst {
                out.append(Finding(detector: "denial-burst", severity: .high, detail: "\(count) refused requests within \(Int(s.burstWindow / 60)) min",
                                   key: "denial-burst-high"))
            } else if count >= s.denialBurst {
                out.append(Finding(detector: "denial-burst", severity: .medium, detail: "\(count) refused requests within \(Int(s.burstWindow / 60)) min"))
            }
            return out
        }
        let learned = st.activeDays >= s.learningDays
        if learned, unusual(st.hourBins[t.bin], st.activeDays, s), peers.hourShare[t.bin] < s.unusualHourShare {
            out.append(Finding(detector: "unusual-hour", severity: .low,
                               detail: "activity at an hour this account and its peers almost never work (\(t.bin % 24)h, \(t.bin >= 24 ? "weekend" : "weekday"))",
                               key: "unusual-hour:\(t.day):\(t.bin)"))
        }
        let net = network(e.source)
        if let net, st.networks[net] == nil, st.activeDays >= s.learningDays {
            out.append(Finding(detector: "new-network", severity: .low, detail: "first access from a network this account never used", key: "new-network:\(net)"))
        }
        if let net, let last = st.lastNetwork, last != net, let session = st.session, session != e.session.rawValue,
           t.second - st.lastAt < Int64(s.burstWindow) {
            out.append(Finding(detector: "concurrent-sessions", severity: .medium,
                               detail: "two sessions from different networks within \(Int(s.burstWindow / 60)) min", key: "concurrent-sessions:\(t.day)"))
        }
        return out
    }

    static func unusual(_ used: Int, _ days: Int, _ s: WatchSettings) -> Bool {
        Double(used) < s.unusualHourShare * Double(max(1, days))
    }

    /// Lifecycle: personal data reached within minutes of the account's creation, and a new
    /// session at an hour the account never signed in.
    static func lifecycle(_ st: AccountState, _ peers: PeerBaseline, _ e: WatchEvent, _ t: LocalTime, _ s: WatchSettings) -> [Finding] {
        guard e.allowed else { return [] }
        var out: [Finding] = []
        // Citizens act right after signing up; staff, partner and admin accounts should not.
        // Once per account: a first access refused by the response (a throttle) leaves
        // `firstAccess` unset, and a finding at each retry would throttle again, then suspend
        // (a new-user test: a new security officer was stopped for the whole window).
        if st.firstAccess == nil, st.fired["fresh-account"] == nil, e.kind != .citizen, !e.aboutAccounts, let created = e.accountCreatedAt,
           e.at.timeIntervalSince(created) < s.freshAccountWindow {
            // Administrators reach almost no personal data: high (a throttle). A security
            // officer's first personal data is usually an incident's letters, the reason the
            // account was just made: medium (a step-up, answered at once), alerted all the same.
            out.append(Finding(detector: "fresh-account", severity: e.kind.usesAdminListener && e.kind != .security ? .high : .medium,
                               detail: "personal data reached \(Int(e.at.timeIntervalSince(created) / 60)) min after the account was created"))
        }
        if st.session != e.session.rawValue, st.activeDays >= s.learningDays, unusual(st.signInBins[t.bin], st.activeDays, s),
           unusual(st.hourBins[t.bin], st.activeDays, s) {
            out.append(Finding(detector: "sign-in-hour", severity: .low,
                               detail: "a session started at an hour this account never signed in nor worked (\(t.bin % 24)h, \(t.bin >= 24 ? "weekend" : "weekday"))",
                               key: "sign-in-hour:\(e.session.rawValue)"))
        }
        return out
    }

    /// The network of an address: /24 for IPv4 (an IPv4 address mapped into IPv6 included),
    /// /48 for IPv6, however the address is written (``SourceAddress``); text that is no
    /// address is its own network.
    static func network(_ source: String?) -> String? {
        guard let source, !source.isEmpty else { return nil }
        return SourceAddress.network(source, ipv4: 24, ipv6: 48) ?? source
    }
}
