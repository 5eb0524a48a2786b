import Foundation
import Testing
import GuichetCore
@_spi(GateOnly) import GuichetPolicy
import GuichetProfile
import GuichetSynth

/// `Policy.decide` walks only the rules of the subject's role and the dossier's type and
/// builds no refusal text (issue 18), while `explain` checks every rule one by one with its
/// reason. For every reference profile and many cases, half of them files of the subject's own
/// work, the decision must be the one the rule-by-rule steps imply.
@Suite struct PolicyDecisionIndexTests {
    static let profiles = ["place05", "jeunes", "emploi", "secu"]

    /// The decision the steps of `explain` imply: the first matching deny wins; otherwise the
    /// matching allows, their masks united (a search keeps the role's summary only, so only
    /// the rules are compared there); otherwise a refusal for the purpose or for want of a rule.
    func implied(_ e: Explanation, action: Action) -> (rules: [String], readable: Set<String>?, refusal: Denial.Reason?) {
        if let deny = e.steps.first(where: { if case .matched = $0.outcome { $0.effect == .deny } else { false } }) {
            return ([deny.rule], nil, .explicitDeny)
        }
        let allows = e.steps.filter { if case .matched = $0.outcome { $0.effect == .allow } else { false } }
        if !allows.isEmpty {
            return (allows.map(\.rule), action == .search ? nil : Set(allows.flatMap(\.fields)), nil)
        }
        let purpose = e.steps.contains { step in
            if case .skipped(.purpose) = step.outcome { step.effect == .allow } else { false }
        }
        return ([], nil, purpose ? .purpose : .noRule)
    }

    @Test("the indexed decision is the one explain's rule-by-rule steps imply", arguments: profiles)
    func indexedDecisionMatchesSteps(_ name: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let profile = try ProfileLoader.load(path: root.appendingPathComponent("profiles/\(name)").path)
        let policy = Policy(profile: profile)
        var rng = SplitMix64(seed: 0x1_8018)
        let orgs = (0..<4).map { _ in OrganisationID(using: &rng) }
        let persons = (0..<6).map { _ in PersonID(using: &rng) }
        let accounts = (0..<6).map { _ in AccountID(using: &rng) }
        let territories = ["01", "02", "03"]
        let types = profile.dossierTypes.values.sorted { $0.name < $1.name }
        let purposes: [String?] = [nil] + profile.purposes
        var allowed = 0, checked = 0
        for role in profile.roles.values.sorted(by: { $0.name < $1.name }) {
            for _ in 0..<300 {
                let subject = Subject(account: accounts.randomElement(using: &rng)!, role: role.name,
                                      organisation: role.organisationKind == nil ? nil : orgs.randomElement(using: &rng),
                                      person: role.kind == .citizen ? persons.randomElement(using: &rng) : nil,
                                      territory: Bool.random(using: &rng) ? territories.randomElement(using: &rng) : nil)
                let type = types.randomElement(using: &rng)!
                let own = Bool.random(using: &rng)
                let links = type.persons.flatMap { spec in
                    (0..<max(spec.min, 1)).map { _ in
                        PersonLink(role: spec.role, person: own ? (subject.person ?? persons[0]) : persons.randomElement(using: &rng)!)
                    }
                }
                let facts = DossierFacts(type: type.name, status: type.workflow.states.randomElement(using: &rng) ?? type.workflow.initial,
                                         organisation: own ? (subject.organisation ?? orgs[0]) : orgs.randomElement(using: &rng),
                                         assignedAgent: own ? subject.account : accounts.randomElement(using: &rng),
                                         territory: own ? (subject.territory ?? "01") : territories.randomElement(using: &rng),
                                         persons: links, partners: own ? subject.organisation.map { [$0] } ?? [] : [orgs.randomElement(using: &rng)!])
                let actions: [Action] = [.read, .read, .search, .update, .create] + type.workflow.transitions.keys.sorted().map { .transition($0) }
                let action = actions.randomElement(using: &rng)!
                let purpose = purposes.randomElement(using: &rng)!
                let decision = policy.decide(subject, action, facts, purpose: purpose)
                let expected = implied(policy.explain(subject, action, facts, purpose: purpose), action: action)
                checked += 1
                switch decision {
                case .allow(let grant):
                    allowed += 1
                    #expect(expected.refusal == nil && grant.rules == expected.rules, "\(name) \(role.name) \(action): \(grant.rules) against \(expected)")
                    if let readable = expected.readable { #expect(grant.readable == readable) }
                case .deny(let denial):
                    #expect(denial.reason == expected.refusal, "\(name) \(role.name) \(action): \(denial.reason) against \(expected)")
                    if denial.reason == .explicitDeny { #expect(denial.rule == expected.rules.first) }
                }
            }
        }
        // The cases reach both answers, or the comparison says little.
        #expect(allowed >= checked / 20 && allowed < checked, "\(allowed) of \(checked) allowed")
    }
}
