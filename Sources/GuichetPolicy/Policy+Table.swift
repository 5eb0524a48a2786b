public import GuichetCore

extension Policy {
    /// Runs one row of a policy table against this policy.
    /// - Returns: nil when the row holds, else what went wrong (for a per-row failure line).
    public func check(_ row: PolicyTestCase) -> String? {
        guard profile.roles[row.role] != nil else { return "unknown role '\(row.role)'" }
        guard let type = profile.dossierTypes[row.dossierType] else { return "unknown dossier type '\(row.dossierType)'" }
        guard type.workflow.states.contains(row.state) else { return "'\(row.state)' is not a state of '\(row.dossierType)'" }
        let (subject, facts) = Self.fixture(row, type: type)
        let decision = decide(subject, row.action, facts, purpose: row.purpose)
        switch (row.expected, decision) {
        case (.deny(let reason), .deny(let d)):
            if let reason, reason != d.reason.rawValue { return "expected deny (\(reason)), got deny (\(d))" }
            return nil
        case (.deny, .allow(let g)):
            return "expected deny, got allow by \(g.rules.joined(separator: ", ")) with fields [\(g.readable.sorted().joined(separator: ", "))]"
        case (.allow, .deny(let d)):
            return "expected allow, got deny (\(d))"
        case (.allow(let fields, let without), .allow(let g)):
            var problems: [String] = []
            if let fields {
                let expected = Set(profile.fieldPaths(of: type).filter(fields.matches))
                let extra = g.readable.subtracting(expected).sorted(), missing = expected.subtracting(g.readable).sorted()
                if !extra.isEmpty { problems.append("fields granted but not expected: \(extra.joined(separator: ", "))") }
                if !missing.isEmpty { problems.append("fields expected but not granted: \(missing.joined(separator: ", "))") }
            }
            let leaked = without.filter(g.readable.contains)
            if !leaked.isEmpty { problems.append("fields that must not be readable are: \(leaked.joined(separator: ", "))") }
            return problems.isEmpty ? nil : problems.joined(separator: "; ")
        }
    }

    /// A principal and a dossier that have exactly the row's relations and no other.
    static func fixture(_ row: PolicyTestCase, type: DossierType) -> (Subject, DossierFacts) {
        let me = AccountID(), myOrg = OrganisationID(), myPerson = PersonID(), myTerritory = "T-mine"
        let subject = Subject(account: me, role: row.role, organisation: myOrg, person: myPerson, territory: myTerritory)
        var persons: [PersonLink] = type.persons.map { PersonLink(role: $0.role, person: PersonID()) }
        for case .linkedPerson(let role) in row.links { persons.append(PersonLink(role: role, person: myPerson)) }
        let facts = DossierFacts(type: type.name, status: row.state,
                                 organisation: row.links.contains(.organisation) ? myOrg : OrganisationID(),
                                 assignedAgent: row.links.contains(.assigned) ? me : AccountID(),
                                 territory: row.links.contains(.territory) ? myTerritory : "T-other",
                                 persons: persons,
                                 partners: row.links.contains(.partner) ? [OrganisationID(), myOrg] : [OrganisationID()])
        return (subject, facts)
    }
}
