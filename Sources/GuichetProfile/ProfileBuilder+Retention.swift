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
        let d = try c.dictionary(allowed: ["dossiers", "archive", "erasure", "access", "kept"])
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
        if let kc = d["kept"] { try kept(kc, profile: profile, into: &out) }
        return out
    }

    /// `kept:` fields kept for a legal duty through an erasure (GDPR art. 17(3)(b)):
    ///
    /// ```yaml
    /// kept:
    ///   roles: [adviser]
    ///   purposes: [compensation]
    ///   dossiers:
    ///     job-seeker: {fields: [benefitRights, seeker.registryId], years: 10, ground: {fr: "…", en: "…"}}
    /// ```
    func kept(_ c: YAMLCursor, profile: Profile, into out: inout Retention) throws {
        let kd = try c.dictionary(allowed: ["roles", "purposes", "dossiers"])
        let roles = try kd.required("roles", in: c).strings()
        guard !roles.isEmpty else { throw kd["roles"]!.fail("name at least one role") }  // present: required above
        for r in roles {
            guard let role = profile.roles[r] else { throw kd["roles"]!.fail("unknown role '\(r)'") }
            guard [.staff, .security].contains(role.kind) else {
                throw kd["roles"]!.fail("'\(r)' cannot read kept fields (staff or security roles only)")
            }
        }
        let purposes = try kd.required("purposes", in: c).strings()
        guard !purposes.isEmpty else { throw kd["purposes"]!.fail("name at least one purpose") }
        for p in purposes where !profile.purposes.contains(p) { throw kd["purposes"]!.fail("unknown purpose '\(p)'") }
        out.keptAccess = KeptAccess(roles: Set(roles), purposes: Set(purposes))
        for (typeName, tc) in try kd.required("dossiers", in: c).mapping() {
            guard let type = profile.dossierTypes[typeName] else { throw tc.fail("unknown dossier type '\(typeName)'") }
            let td = try tc.dictionary(allowed: ["fields", "years", "ground"])
            let fields = try td.required("fields", in: tc).strings()
            guard !fields.isEmpty else { throw td["fields"]!.fail("name the fields kept") }
            let paths = profile.fieldPaths(of: type)
            for f in fields where !paths.contains(f) || f == "partners" { throw td["fields"]!.fail("'\(f)' is not a field of '\(typeName)'") }
            let years = try td.required("years", in: tc).int()
            guard (1...100).contains(years) else { throw td["years"]!.fail("fields are kept 1 to 100 years") }
            let gc = try td.required("ground", in: tc)
            let ground = try labels(gc, maxLength: 1_000)
            guard ground["fr"] != nil, ground["en"] != nil else { throw gc.fail("the legal ground is written in fr and en") }
            out.kept[typeName] = KeptFields(dossierType: typeName, fields: fields, keptFor: Double(years) * 365 * 86_400, ground: ground)
        }
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
