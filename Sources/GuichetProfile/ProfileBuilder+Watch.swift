import GuichetCore
import Foundation

/// The `watch:` section: detection thresholds and the response to each severity.
///
/// ```yaml
/// watch:
///   timezone: America/Toronto
///   honeytokens: 40
///   responses: {low: alert, medium: step-up, high: throttle, critical: suspend}
///   volume: {burst-window: 10m, burst: 45, hour: 150, day: 600, factor: 3}
/// ```
extension ProfileBuilder {
    func watchSettings(_ c: YAMLCursor) throws -> WatchSettings {
        var s = WatchSettings.defaults
        let d = try c.dictionary(allowed: ["enabled", "timezone", "honeytokens", "responses", "risk", "throttle",
                                           "volume", "enumeration", "context"])
        if let e = d["enabled"] { s.enabled = try e.bool() }
        if let t = d["timezone"] {
            s.timezone = try t.string()
            guard TimeZone(identifier: s.timezone) != nil else { throw t.fail("unknown time zone (expected an IANA name such as Europe/Paris)") }
        }
        if let h = d["honeytokens"] { s.honeytokens = try count(h, max: 100_000) }
        if let r = d["responses"] {
            for (key, v) in try r.mapping(allowed: Set(Severity.allCases.map(\.name))) {
                guard let response = WatchResponse(name: try v.string()) else {
                    throw v.fail("unknown response (expected one of: \(WatchResponse.allCases.map(\.name).joined(separator: ", ")))")
                }
                s.responses[Severity(name: key)!] = response  // the key was checked against the severity names
            }
            if s.responses[.critical] != .suspend {
                throw r.fail("critical findings (a honeytoken touched) must suspend the account")
            }
        }
        if let r = d["risk"] {
            let rd = try r.dictionary(allowed: ["half-life", "high", "critical", "points"])
            if let v = rd["half-life"] { s.riskHalfLife = try duration(v) }
            if let v = rd["high"] { s.riskHigh = Double(try count(v, max: 1_000_000)) }
            if let v = rd["critical"] { s.riskCritical = Double(try count(v, max: 1_000_000)) }
            guard s.riskHigh <= s.riskCritical else { throw r.fail("'high' must not exceed 'critical'") }
            if let p = rd["points"] {
                for (key, v) in try p.mapping(allowed: Set(Severity.allCases.map(\.name))) {
                    s.points[Severity(name: key)!] = Double(try count(v, max: 1_000_000))  // checked key
                }
            }
        }
        if let t = d["throttle"] {
            let td = try t.dictionary(allowed: ["for", "refusals-before-suspension"])
            if let v = td["for"] { s.throttleFor = try duration(v) }
            if let v = td["refusals-before-suspension"] { s.refusalsBeforeSuspension = max(1, try count(v, max: 1_000)) }
        }
        if let v = d["volume"] {
            let vd = try v.dictionary(allowed: ["burst-window", "burst", "hour", "day", "factor", "learning-days"])
            if let x = vd["burst-window"] { s.burstWindow = try duration(x) }
            if let x = vd["burst"] { s.burstFloor = try count(x, max: 10_000_000) }
            if let x = vd["hour"] { s.hourFloor = try count(x, max: 10_000_000) }
            if let x = vd["day"] { s.dayFloor = try count(x, max: 10_000_000) }
            if let x = vd["factor"] { s.volumeFactor = try factor(x) }
            if let x = vd["learning-days"] { s.learningDays = try count(x, max: 365) }
        }
        if let e = d["enumeration"] {
            let ed = try e.dictionary(allowed: ["sweep-pages", "alphabetical-run", "new-dossiers", "new-dossiers-factor"])
            if let x = ed["sweep-pages"] { s.sweepPages = max(1, try count(x, max: 10_000)) }
            if let x = ed["alphabetical-run"] { s.alphabeticalRun = max(3, try count(x, max: 1_000)) }
            if let x = ed["new-dossiers"] { s.newDossiersFloor = try count(x, max: 10_000_000) }
            if let x = ed["new-dossiers-factor"] { s.newDossiersFactor = try factor(x) }
        }
        if let x = d["context"] {
            let xd = try x.dictionary(allowed: ["denial-burst", "unusual-hour-share", "fresh-account"])
            if let v = xd["denial-burst"] { s.denialBurst = max(1, try count(v, max: 100_000)) }
            if let v = xd["unusual-hour-share"] {
                guard let share = Double(try v.string()), (0...1).contains(share) else { throw v.fail("expected a share from 0 to 1") }
                s.unusualHourShare = share
            }
            if let v = xd["fresh-account"] { s.freshAccountWindow = try duration(v) }
        }
        return s
    }

    private func count(_ c: YAMLCursor, max: Int) throws -> Int {
        let n = try c.int()
        guard (0...max).contains(n) else { throw c.fail("expected a whole number from 0 to \(max)") }
        return n
    }

    private func factor(_ c: YAMLCursor) throws -> Double {
        guard let f = Double(try c.string()), f >= 1, f <= 1_000 else { throw c.fail("expected a factor from 1 to 1000") }
        return f
    }

    /// A duration: seconds, or a number with `s`, `m`, `h` or `d`.
    private func duration(_ c: YAMLCursor) throws -> Double {
        let text = try c.string()
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var value: Double?
        if let last = text.last, let unit = units[last] { value = Double(text.dropLast()).map { $0 * unit } } else { value = Double(text) }
        guard let value, value > 0, value <= 366 * 86_400 else { throw c.fail("expected a duration such as 90s, 15m, 2h or 7d") }
        return value
    }
}
