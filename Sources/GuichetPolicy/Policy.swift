public import GuichetCore

/// The policy of one profile: a pure function from (subject, action, dossier, purpose) to a
/// ``Decision``. Default deny; an explicit deny wins; a rule whose condition cannot be
/// evaluated (the account has no organisation, say) does not match, so a broken rule never
/// grants access. It touches no storage.
///
/// Deciding is `@_spi(GateOnly)`: a decision is made from a verified principal, and only the
/// gate has one to give; ``explain(_:_:_:purpose:)`` and ``check(_:)`` describe decisions and
/// stay public, since a ``Grant`` opens nothing outside the gate.
public struct Policy: Sendable {
    public let profile: Profile
    private let rules: [CompiledRule]
    /// Per role and dossier type, the paths a search or listing may return (the role's
    /// summary); a role without an entry (citizens by default) gets its whole read mask.
    private let summaries: [String: [String: Set<String>]]

    /// For each role and dossier type, the rules that name both, in the profile's order: a
    /// decision looks at those only (issue 18: two look-ups per decision instead of hashing
    /// the role and type again for every rule).
    private let byRoleAndType: [String: [String: RuleList]]

    /// The rules of one role and dossier type, with the masks of every set of them that can
    /// match together, united once here rather than on every decision that more than one
    /// rule allows (at most 2^10 sets; a longer list unites on each decision).
    private final class RuleList: Sendable {
        let rules: [CompiledRule]
        /// Indexed by the bits of the matching rules' positions in `rules`.
        let unions: [(readable: Set<String>, writable: Set<String>)]

        init(_ rules: [CompiledRule], type: String) {
            self.rules = rules
            guard rules.count <= 10 else { unions = []; return }
            var unions: [(readable: Set<String>, writable: Set<String>)] = [([], [])]
            for (i, rule) in rules.enumerated() {
                // The sets with bit i are those without it, each with rule i's masks added.
                for m in 0..<(1 << i) {
                    unions.append((unions[m].readable.union(rule.read[type] ?? []), unions[m].writable.union(rule.write[type] ?? [])))
                }
            }
            self.unions = unions
        }
    }

    /// A class, so that walking the rules shares them instead of copying each rule's sets.
    private final class CompiledRule: Sendable {
        let rule: Rule
        init(rule: Rule, read: [String: Set<String>], write: [String: Set<String>]) { self.rule = rule; self.read = read; self.write = write }
        /// Field paths per dossier type, resolved once from the selectors.
        let read: [String: Set<String>]
        let write: [String: Set<String>]
    }

    /// Compiles the profile's rules.
    public init(profile: Profile) {
        self.profile = profile
        self.rules = profile.rules.map { rule in
            var read: [String: Set<String>] = [:], write: [String: Set<String>] = [:]
            for typeName in rule.dossierTypes {
                guard let type = profile.dossierTypes[typeName] else { continue }
                let sealedOK = profile.letsSealedThrough(rule)
                let paths = profile.fieldPaths(of: type).filter { sealedOK || !profile.isSealed($0, in: type) }
                read[typeName] = Set(paths.filter(rule.read.matches))
                write[typeName] = Set(paths.filter(rule.write.matches))
            }
            return CompiledRule(rule: rule, read: read, write: write)
        }
        var summaries: [String: [String: Set<String>]] = [:]
        for role in profile.roles.values where role.summary != nil || role.kind != .citizen {
            for type in profile.dossierTypes.values {
                let paths = profile.fieldPaths(of: type)
                summaries[role.name, default: [:]][type.name] = Set(paths.filter { path in
                    !profile.isSealed(path, in: type)
                        && (role.summary.map { $0.matches(path) } ?? (profile.classification(of: path, in: type) == .public))
                })
            }
        }
        self.summaries = summaries
        var index: [String: [String: [CompiledRule]]] = [:]
        for compiled in rules {
            for role in compiled.rule.roles {
                for type in compiled.rule.dossierTypes { index[role, default: [:]][type, default: []].append(compiled) }
            }
        }
        self.byRoleAndType = index.mapValues { types in Dictionary(uniqueKeysWithValues: types.map { ($0.key, RuleList($0.value, type: $0.key)) }) }
    }

    /// Decides one action on one dossier.
    ///
    /// Default deny; the first deny rule that matches wins over every allow; an allow rule
    /// bound to purposes applies only when the request states one of them. The grant names
    /// exactly the readable and writable field paths: the union of the matching allow rules'
    /// selectors for this dossier type.
    @_spi(GateOnly)
    public func decide(_ subject: Subject, _ action: Action, _ dossier: DossierFacts, purpose: String?) -> Decision {
        guard let list = byRoleAndType[subject.role]?[dossier.type] else { return .deny(Denial(reason: .noRule, rule: nil)) }
        var purposeMismatch = false
        var allowing = 0  // the bits of the matching allow rules' positions (lists of up to 62 rules)
        var positions: [Int] = []  // the same, for longer lists
        for (position, compiled) in list.rules.enumerated()
        where Self.applies(compiled.rule, subject, action, dossier, purpose: purpose, purposeMismatch: &purposeMismatch) {
            if compiled.rule.effect == .deny { return .deny(Denial(reason: .explicitDeny, rule: compiled.rule.id)) }
            if list.rules.count <= 62 { allowing |= 1 << position } else { positions.append(position) }
        }
        if list.rules.count <= 62 { positions = (0..<list.rules.count).filter { allowing & (1 << $0) != 0 } }
        guard !positions.isEmpty else { return .deny(Denial(reason: purposeMismatch ? .purpose : .noRule, rule: nil)) }
        let united = list.unions.isEmpty ? nil : list.unions[allowing]
        var readable = united?.readable ?? [], writable = united?.writable ?? []
        if united == nil {
            for p in positions {
                readable.formUnion(list.rules[p].read[dossier.type] ?? [])
                writable.formUnion(list.rules[p].write[dossier.type] ?? [])
            }
        }
        // A search returns the role's summary only.
        if action == .search, let summary = summaries[subject.role]?[dossier.type] { readable.formIntersection(summary) }
        return .allow(Grant(rules: positions.map { list.rules[$0].rule.id }, readable: readable, writable: writable))
    }

    /// Whether a rule of the subject's role and the dossier's type applies: the checks of
    /// ``check(_:_:_:_:purpose:)`` after those two, in its order, without building the reason
    /// a refusal would explain. Notes an allow rule that only the purpose kept from applying.
    static func applies(_ rule: Rule, _ subject: Subject, _ action: Action, _ dossier: DossierFacts, purpose: String?,
                        purposeMismatch: inout Bool) -> Bool {
        guard rule.actions.contains(action), rule.states.isEmpty || rule.states.contains(dossier.status),
              relationHolds(rule, subject, dossier) else { return false }
        if !rule.purposes.isEmpty, !(purpose.map(rule.purposes.contains) ?? false) {
            if rule.effect == .allow { purposeMismatch = true }
            return false
        }
        return true
    }

    /// Explains a decision: for every rule, in order, whether it matched and, if not, the
    /// first condition that failed; then the decision itself (the same as ``decide``).
    public func explain(_ subject: Subject, _ action: Action, _ dossier: DossierFacts, purpose: String?) -> Explanation {
        var steps: [Explanation.Step] = []
        for compiled in rules {
            let outcome = Self.check(compiled.rule, subject, action, dossier, purpose: purpose)
            var fields: [String] = []
            if case .matched = outcome, compiled.rule.effect == .allow { fields = (compiled.read[dossier.type] ?? []).sorted() }
            steps.append(Explanation.Step(rule: compiled.rule.id, effect: compiled.rule.effect, outcome: outcome, fields: fields))
        }
        return Explanation(steps: steps, decision: decide(subject, action, dossier, purpose: purpose))
    }

    /// Whether one rule applies; the checks run in a fixed order (role, dossier type, action,
    /// state, relation, purpose) and the first that fails is the reason.
    static func check(_ rule: Rule, _ subject: Subject, _ action: Action, _ dossier: DossierFacts, purpose: String?) -> RuleOutcome {
        guard rule.roles.contains(subject.role) else { return .skipped(.role(subject.role)) }
        guard rule.dossierTypes.contains(dossier.type) else { return .skipped(.dossierType(dossier.type)) }
        guard rule.actions.contains(action) else { return .skipped(.action(action)) }
        guard rule.states.isEmpty || rule.states.contains(dossier.status) else { return .skipped(.state(dossier.status)) }
        guard relationHolds(rule, subject, dossier) else { return .skipped(.relation(rule.relation, why: relationGap(rule, subject))) }
        // Last, so that a purpose mismatch means "this would be allowed with another purpose".
        if !rule.purposes.isEmpty, !(purpose.map(rule.purposes.contains) ?? false) {
            return .skipped(.purpose(stated: purpose, allowed: rule.purposes.sorted()))
        }
        return .matched
    }

    /// Why a relation does not hold: the account lacks the attribute it needs, or the dossier does not match.
    static func relationGap(_ rule: Rule, _ s: Subject) -> String {
        switch rule.relation {
        case .any: return ""
        case .linkedPerson: return s.person == nil ? "the account has no person" : "the account's person is not linked as \(rule.linkRoles.sorted().joined(separator: " or "))"
        case .partner: return s.organisation == nil ? "the account has no organisation" : "the account's organisation is not a partner of the dossier"
        case .organisation: return s.organisation == nil ? "the account has no organisation" : "the dossier belongs to another organisation (or none)"
        case .assigned: return "the dossier is not assigned to the account"
        case .territory: return s.territory == nil ? "the account has no territory" : "the dossier is in another territory (or none)"
        }
    }

    /// The purposes for which a rule allows the subject's role `action` on dossiers of `type`
    /// (sorted; empty when the role's rules for it name none, or none allows it): what a
    /// refusal for want of a purpose offers, rather than every purpose of the profile.
    public func purposes(_ subject: Subject, _ action: Action, type: String) -> [String] {
        let list = byRoleAndType[subject.role]?[type]?.rules ?? []
        let allowing = list.filter { $0.rule.effect == .allow && $0.rule.actions.contains(action) }
        return Set(allowing.flatMap(\.rule.purposes)).sorted()
    }

    /// The relations under which `subject` may search dossiers of `type` (empty: none). The
    /// store turns them into a filter; the gate still decides on every dossier found.
    @_spi(GateOnly)
    public func searchScope(_ subject: Subject, type: String, purpose: String?) -> SearchScope {
        var scope = SearchScope(relations: [], linkRoles: [], searchable: [])
        let type = profile.dossierTypes[type]
        for compiled in rules where compiled.rule.effect == .allow {
            let rule = compiled.rule
            guard let type, rule.roles.contains(subject.role), rule.dossierTypes.contains(type.name),
                  rule.actions.contains(.search),
                  rule.purposes.isEmpty || (purpose.map(rule.purposes.contains) ?? false) else { continue }
            scope.relations.insert(rule.relation)
            scope.linkRoles.formUnion(rule.linkRoles)
            let readable = compiled.read[type.name] ?? []
            for path in readable where isSearchable(path, in: type) { scope.searchable.insert(path) }
        }
        return scope
    }

    private func isSearchable(_ path: String, in type: DossierType) -> Bool {
        if let field = type.field(path) { return field.searchable }
        guard let dot = path.firstIndex(of: ".") else { return false }
        return profile.personField(String(path[path.index(after: dot)...]))?.searchable ?? false
    }

    static func relationHolds(_ rule: Rule, _ s: Subject, _ d: DossierFacts) -> Bool {
        switch rule.relation {
        case .any: return true
        case .linkedPerson:
            guard let me = s.person else { return false }
            return d.persons.contains { $0.person == me && rule.linkRoles.contains($0.role) }
        case .partner:
            guard let org = s.organisation else { return false }
            return d.partners.contains(org)
        case .organisation:
            guard let org = s.organisation, let owner = d.organisation else { return false }
            return org == owner
        case .assigned:
            guard let agent = d.assignedAgent else { return false }
            return agent == s.account
        case .territory:
            guard let mine = s.territory, let theirs = d.territory else { return false }
            return mine == theirs
        }
    }
}

/// Where a search may look, from the rules that allow `search`.
public struct SearchScope: Sendable, Equatable {
    /// Relations that admit a dossier; `.any` means no restriction.
    public var relations: Set<Relation>
    /// For `linked-person`: the link roles that count.
    public var linkRoles: Set<String>
    /// Field paths the caller may search by: searchable in the profile and readable by the caller.
    public var searchable: Set<String>
    /// True when no rule lets the caller search at all.
    public var isEmpty: Bool { relations.isEmpty }
}
