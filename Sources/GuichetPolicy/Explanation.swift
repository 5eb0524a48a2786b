public import GuichetCore

/// Whether one rule applied to a request, and if not, why.
public enum RuleOutcome: Sendable, Equatable {
    case matched
    case skipped(Mismatch)

    /// The first condition of a rule that failed.
    public enum Mismatch: Sendable, Equatable, CustomStringConvertible {
        /// The rule is for other roles; the account's role is given.
        case role(String)
        /// The rule is for other dossier types.
        case dossierType(String)
        /// The rule does not cover this action.
        case action(Action)
        /// The rule is for dossiers in other states.
        case state(String)
        /// The rule needs one of its purposes; the one stated (if any) is not.
        case purpose(stated: String?, allowed: [String])
        /// The relation the rule needs does not hold.
        case relation(Relation, why: String)

        public var description: String {
            switch self {
            case .role(let r): "role: the rule is not for role '\(r)'"
            case .dossierType(let t): "dossier type: the rule is not for '\(t)' dossiers"
            case .action(let a): "action: the rule does not cover '\(a)'"
            case .state(let s): "state: the rule does not apply to dossiers in state '\(s)'"
            case .purpose(let stated, let allowed):
                "purpose: \(stated.map { "'\($0)' is" } ?? "no purpose was") stated; the rule needs one of \(allowed.joined(separator: ", "))"
            case .relation(let r, let why): "relation: the rule needs '\(r.rawValue)': \(why)"
            }
        }
    }
}

/// The answer of ``Policy/explain(_:_:_:purpose:)``: every rule in order with its outcome,
/// and the final decision with its fields.
public struct Explanation: Sendable, Equatable {
    public struct Step: Sendable, Equatable {
        public let rule: String
        public let effect: Rule.Effect
        public let outcome: RuleOutcome
        /// For a matching allow rule: the fields it grants on this dossier type.
        public let fields: [String]
    }
    public let steps: [Step]
    public let decision: Decision

    /// The explanation as lines of text (for the CLI).
    public var lines: [String] {
        var out: [String] = []
        for s in steps {
            switch s.outcome {
            case .matched:
                out.append("  \(s.rule) (\(s.effect.rawValue)): MATCHED" + (s.effect == .allow ? "; fields: \(s.fields.joined(separator: ", "))" : ""))
            case .skipped(let why):
                out.append("  \(s.rule) (\(s.effect.rawValue)): not matched: \(why)")
            }
        }
        switch decision {
        case .allow(let g):
            out.append("decision: ALLOW by \(g.rules.joined(separator: ", "))")
            out.append("readable: \(g.readable.sorted().joined(separator: ", "))")
            out.append("writable: \(g.writable.sorted().joined(separator: ", "))")
        case .deny(let d):
            out.append("decision: DENY (\(d))")
        }
        return out
    }
}
