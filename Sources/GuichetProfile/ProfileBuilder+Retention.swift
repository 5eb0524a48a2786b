import GuichetCore
import Foundation

/// The `retention:` section (docs/LIFECYCLE.md):
///
/// ```yaml
/// retention:
///   dossiers:
///     application:
///       closed:    {archive: 90d, erase: 2y}
///       withdrawn: {erase: 1y}
///   archive: {roles: [agent], purposes: [family-request], approvers: [security], minutes: 60}
///   erasure: {roles: [security]}
///   access: {roles: [agent], purposes: [family-request]}   # access requests answered by staff
/// ```
extension ProfileBuilder {
    func retention(_ c: YAMLCursor, profile: Profile) throws -> Retention {
        var out = Retention()
        let d = try c.dictionary(allowed: ["dossiers", "archive", "erasure", "access"])
        for (typeName, tc) in try d["dossiers"]?.mapping() ?? [] {
            guard let type = profile.dossierTypes[typeName] else {
                throw tc.fail("unknown dossier type '\(typeName)' (expected one of: \(profile.dossierTypes.keys.sorted().joined(separator: ", ")))")
            }
            for (state, sc) in try tc.mapping() {
                guard type.workflow.states.contains(state) else {
                    throw sc.fail("'\(state)' is not a state of '\(typeName)' (expected one of: \(type.workflow.states.joined(separator: ", ")))")
                }
                if state == type.workflow.initial { throw sc.fail("'\(state)' is the initial state: a live dossier is never erased by retention") }
                let sd = try sc.dictionary(allowed: ["archive", "erase"])
                let erase = try retentionDuration(try sd.required("erase", in: sc))
                let archive = try sd["archive"].map { try retentionDuration($0) }
                if let archive, archive >= erase { throw sd["archive"]!.fail("archiving must come before erasure") }  // present: mapped above
                out.rules.append(RetentionRule(dossierType: typeName, state: state, archiveAfter: archive, eraseAfter: erase))
            }
        }
        if let ac = d["archive"] {
            let ad = try ac.dictionary(allowed: ["roles", "purposes", "approvers", "minutes"])
            let roles = try ad.required("roles", in: ac).strings()
            for r in roles {
                guard let role = profile.roles[r] else { throw ad["roles"]!.fail("unknown role '\(r)'") }
                guard role.kind == .staff else { throw ad["roles"]!.fail("'\(r)' is not a staff role: only staff ask for archive reads") }
            }
            let purposes = try ad.required("purposes", in: ac).strings()
            guard !purposes.isEmpty else { throw ad["purposes"]!.fail("name at least one purpose") }
            for p in purposes where !profile.purposes.contains(p) { throw ad["purposes"]!.fail("unknown purpose '\(p)'") }
            let approvers = try ad.required("approvers", in: ac).strings()
            for r in approvers {
                guard let role = profile.roles[r] else { throw ad["approvers"]!.fail("unknown role '\(r)'") }
                guard [.staff, .security, .admin].contains(role.kind) else {
                    throw ad["approvers"]!.fail("'\(r)' cannot approve archive reads (staff, security or admin roles only)")
                }
            }
            let minutes = try ad["minutes"]?.int() ?? 60
            guard (1...1440).contains(minutes) else { throw ad["minutes"]!.fail("an approval lasts 1 to 1440 minutes") }
            out.archive = ArchiveAccess(roles: Set(roles), purposes: Set(purposes), approvers: Set(approvers), minutes: minutes)
        } else if out.rules.contains(where: { $0.archiveAfter != nil }) {
            throw c.fail("a rule archives dossiers: declare who may read the archive ('archive: {roles, purposes, approvers}')")
        }
        if let ec = d["erasure"] {
            let ed = try ec.dictionary(allowed: ["roles"])
            let roles = try ed.required("roles", in: ec).strings()
            for r in roles {
                guard let role = profile.roles[r] else { throw ed["roles"]!.fail("unknown role '\(r)'") }
                guard [.security, .admin].contains(role.kind) else {
                    throw ed["roles"]!.fail("'\(r)' cannot record erasure requests (security or admin roles only)")
                }
            }
            out.erasureOfficers = Set(roles)
        }
        if let xc = d["access"] {
            let xd = try xc.dictionary(allowed: ["roles", "purposes"])
            let roles = try xd.required("roles", in: xc).strings()
            for r in roles {
                guard let role = profile.roles[r] else { throw xd["roles"]!.fail("unknown role '\(r)'") }  // present: read above
                guard role.kind == .staff else { throw xd["roles"]!.fail("'\(r)' is not a staff role: only staff answer access requests") }
            }
            let purposes = try xd.required("purposes", in: xc).strings()
            guard !purposes.isEmpty else { throw xd["purposes"]!.fail("name at least one purpose") }
            for p in purposes where !profile.purposes.contains(p) { throw xd["purposes"]!.fail("unknown purpose '\(p)'") }
            out.accessRequests = AccessRequestRule(roles: Set(roles), purposes: Set(purposes))
        }
        return out
    }

    /// `90d`, `6w`, `2y` (a year is 365 days): from one day to 100 years.
    func retentionDuration(_ c: YAMLCursor) throws -> TimeInterval {
        let text = try c.string()
        let units: [Character: Double] = ["d": 86_400, "w": 7 * 86_400, "y": 365 * 86_400]
        guard let last = text.last, let unit = units[last], let n = Int(text.dropLast()), n >= 1, Double(n) * unit <= 100 * 365 * 86_400 else {
            throw c.fail("expected a duration such as 30d, 6w or 2y (days, weeks, years of 365 days)")
        }
        return Double(n) * unit
    }
}
