import GuichetCore

extension ProfileBuilder {
    /// Top-level keys of the policy side beyond `rules`.
    static let policyKeys: Set<String> = ["break-glass"]

    /// The `break-glass` section:
    /// ```yaml
    /// break-glass:
    ///   roles: [adviser]
    ///   dossiers: [job-seeker]
    ///   read: [category, job-seeker.firstName]
    ///   minutes: 30
    ///   justification: 40      # shortest justification, in characters
    ///   per-day: 3             # most openings per account in 24 hours (1 to 20)
    /// ```
    func breakGlass(_ c: YAMLCursor, profile: Profile) throws -> BreakGlassSpec {
        let d = try c.dictionary(allowed: ["roles", "dossiers", "read", "minutes", "justification", "per-day"])
        let roles = try d.required("roles", in: c).strings()
        for r in roles {
            guard let role = profile.roles[r] else { throw d["roles"]!.fail("unknown role '\(r)'") }
            guard role.kind == .staff else { throw d["roles"]!.fail("only staff roles may break the glass ('\(r)' is \(role.kind.rawValue))") }
        }
        let types = try d.required("dossiers", in: c).strings()
        for t in types where profile.dossierTypes[t] == nil { throw d["dossiers"]!.fail("unknown dossier type '\(t)'") }
        let paths = types.flatMap { profile.fieldPaths(of: profile.dossierTypes[$0]!) }  // checked just above
        let read = try d.required("read", in: c).strings()
        for p in read where !paths.contains(where: { FieldSelector([p]).matches($0) }) {
            throw d["read"]!.fail("'\(p)' matches no field of the break-glass dossier types")
        }
        let minutesCursor = try d.required("minutes", in: c)
        let minutes = try minutesCursor.int()
        guard (1...480).contains(minutes) else { throw minutesCursor.fail("a break-glass opening lasts from 1 to 480 minutes") }
        let justification = try d["justification"]?.int() ?? 30
        guard (10...2_000).contains(justification) else { throw d["justification"]!.fail("the shortest justification is from 10 to 2000 characters") }
        let perDay = try d["per-day"]?.int() ?? 3
        guard (1...20).contains(perDay) else { throw d["per-day"]!.fail("'per-day' is a handful of openings: from 1 to 20") }
        return BreakGlassSpec(roles: Set(roles), dossierTypes: Set(types), read: FieldSelector(read), minutes: minutes,
                              minJustification: justification, perDay: perDay)
    }
}
