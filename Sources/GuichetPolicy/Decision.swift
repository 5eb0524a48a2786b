import GuichetCore

/// The policy's answer. Never a Bool: an allow says exactly which fields, a deny says why.
public enum Decision: Sendable, Equatable {
    case allow(Grant)
    case deny(Denial)

    /// The grant, when allowed.
    public var grant: Grant? { if case .allow(let g) = self { g } else { nil } }
}

/// What an allow lets through. Only the policy module can make one, so no other code can
/// claim that an access was allowed.
public struct Grant: Sendable, Equatable {
    /// The rules that allowed the action (for the journal and for "explain").
    public let rules: [String]
    /// The field paths the caller may see (`desiredStart`, `child.birthDate`, `partners`).
    public let readable: Set<String>
    /// The field paths the caller may set.
    public let writable: Set<String>
    /// The break-glass record that this grant rests on, when it rests on one (not on a rule).
    public let breakGlass: String?

    init(rules: [String], readable: Set<String>, writable: Set<String>, breakGlass: String? = nil) {
        self.rules = rules; self.readable = readable; self.writable = writable; self.breakGlass = breakGlass
    }
}

/// Why an action was refused.
public struct Denial: Sendable, Equatable, CustomStringConvertible {
    public enum Reason: String, Sendable {
        /// No rule allows it: the default.
        case noRule = "no-rule"
        /// A deny rule matched; it wins over every allow.
        case explicitDeny = "explicit-deny"
        /// A rule would allow it for another purpose, or with a stated purpose.
        case purpose = "purpose-not-allowed"
        /// The profile does not let this role break the glass on this dossier type.
        case breakGlassNotAllowed = "break-glass-not-allowed"
    }
    public let reason: Reason
    /// The deny rule that matched, if any.
    public let rule: String?
    /// A refusal carries no capability, so anyone may describe one.
    public init(reason: Reason, rule: String?) { self.reason = reason; self.rule = rule }

    public var description: String { rule.map { "\(reason.rawValue) (\($0))" } ?? reason.rawValue }
}
