import GuichetCore

extension ProfileBuilder {
    /// A role's `ceiling` (``Ceiling``); keys left out keep the role kind's default:
    /// ```yaml
    /// agent: {kind: staff, organisation: operator, ceiling: {burst: 35, hour: 80, day: 300, session: 300, grace: 15,
    ///                                                  changesBurst: 40, changesDay: 300, changesGrace: 20,
    ///                                                  approvalsBurst: 5, approvalsDay: 10, approvalsGrace: 10}}
    /// ```
    func ceiling(_ c: YAMLCursor, kind: RoleKind) throws -> Ceiling {
        let d = try c.dictionary(allowed: ["burst", "hour", "day", "session", "grace", "changesBurst", "changesDay", "changesGrace",
                                                 "approvalsBurst", "approvalsDay", "approvalsGrace"])
        var out = Ceiling.defaults(for: kind)
        func read(_ key: String, _ path: WritableKeyPath<Ceiling, Int>, min: Int) throws {
            guard let v = d[key] else { return }
            let n = try v.int()
            let what = key.hasPrefix("changes") ? "dossiers changed" : key.hasPrefix("approvals") ? "accounts approved" : "persons"
            guard (min...1_000_000).contains(n) else { throw v.fail("'\(key)' is a number of \(what) from \(min) to 1000000") }
            out[keyPath: path] = n
        }
        try read("burst", \.burst, min: 1); try read("hour", \.hour, min: 1); try read("day", \.day, min: 1)
        try read("session", \.session, min: 1); try read("grace", \.grace, min: 0)
        try read("changesBurst", \.changesBurst, min: 1); try read("changesDay", \.changesDay, min: 1); try read("changesGrace", \.changesGrace, min: 0)
        try read("approvalsBurst", \.approvalsBurst, min: 1); try read("approvalsDay", \.approvalsDay, min: 1)
        try read("approvalsGrace", \.approvalsGrace, min: 0)
        return out
    }

    /// A role's `search`: the combinations of person or dossier field names a search with
    /// terms must cover (`[[lastName, birthDate], [nam]]`); each field must be searchable.
    func searchTerms(_ c: YAMLCursor, profile: Profile) throws -> [[String]] {
        try c.sequence().map { combo in
            let names = try combo.strings()
            guard !names.isEmpty else { throw combo.fail("a search combination names at least one field") }
            for n in names {
                let field = profile.personField(n) ?? profile.dossierTypes.values.lazy.compactMap { $0.field(n) }.first
                guard let field else { throw combo.fail("unknown field '\(n)'") }
                guard field.searchable else { throw combo.fail("'\(n)' is not searchable (mark it searchable: true)") }
            }
            return names
        }
    }

    /// Administrators restore versions and manage accounts: no rule may let a role of kind
    /// admin read a non-public field (R1's intruder was an administrator reading files).
    func checkAdministratorsReadNoPersonalField(_ rules: [Rule], roles: [String: Role], profile: Profile, cursors: [YAMLCursor]) throws {
        for (rule, c) in zip(rules, cursors) where rule.effect == .allow {
            guard rule.roles.contains(where: { roles[$0]?.kind == .admin || roles[$0]?.kind == .accountAdmin }) else { continue }
            for typeName in rule.dossierTypes {
                guard let type = profile.dossierTypes[typeName] else { continue }
                for path in profile.fieldPaths(of: type) where rule.read.matches(path) {
                    if let k = profile.classification(of: path, in: type), k != .public {
                        throw c.fail("rule '\(rule.id)' lets administrators read '\(path)' (\(k.rawValue)): administrators read public fields only")
                    }
                }
            }
        }
    }
}

extension ProfileBuilder {
    /// An account administrator's `provisions`: the staff and partner roles of its own kind of
    /// organisation whose accounts it may ask for. Required for kind `account-admin`, refused
    /// for every other kind; never an administrator's, an officer's or another account
    /// administrator's role (R2, 2025: such an account made accounts that read 1.6 M files).
    func provisions(_ c: YAMLCursor?, of name: String, in roleCursor: YAMLCursor, roles: [String: Role]) throws -> [String] {
        guard let me = roles[name] else { return [] }
        guard me.kind == .accountAdmin else {
            if let c { throw c.fail("only a role of kind account-admin provisions accounts") }
            return []
        }
        guard me.organisationKind != nil else { throw roleCursor.fail("an account-admin role must name its organisation kind") }
        guard let c else { throw roleCursor.fail("an account-admin role must list the roles it 'provisions'") }
        let names = try c.strings()
        guard !names.isEmpty else { throw c.fail("list at least one role") }
        for n in names {
            guard let r = roles[n] else { throw c.fail("unknown role '\(n)'") }
            guard r.kind == .staff || r.kind == .partner else {
                throw c.fail("an account administrator provisions staff and partner roles only ('\(n)' is \(r.kind.rawValue))")
            }
            guard r.organisationKind == me.organisationKind else {
                throw c.fail("'\(n)' belongs to another kind of organisation than the account administrator's")
            }
        }
        return names
    }
}
