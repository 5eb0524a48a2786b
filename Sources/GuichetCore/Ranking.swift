/// A transparent ordering of a dossier type's waiting list (R1's rank), declared in the
/// profile (`rank:`): which states are ranked, the keys in order, and the rule in words.
/// Keys name public fields only (or the application date), so a rank is computed without
/// decrypting anything; ties end on the dossier's id (random, stable).
public struct Ranking: Sendable, Equatable {
    /// One key of the order.
    public enum Key: Sendable, Equatable {
        /// A public boolean, date or integer field of the dossier; `descending` puts `true`,
        /// the latest date or the largest number first. A dossier without the value comes after.
        case field(String, descending: Bool)
        /// The application date (the dossier's creation, or `dossier.createdAt` of an import).
        case created(descending: Bool)
    }

    /// The states whose dossiers have a rank (the others have none and do not count).
    public let states: Set<String>
    public let keys: [Key]
    /// The rule in words, per language code (fr and en at least).
    public let explanation: [String: String]

    public init(states: Set<String>, keys: [Key], explanation: [String: String]) {
        self.states = states; self.keys = keys; self.explanation = explanation
    }

    /// The public fields the keys read.
    public var fields: Set<String> {
        Set(keys.compactMap { if case .field(let name, _) = $0 { name } else { nil } })
    }
}

/// A transition that takes one of the acting organisation's places (`capacity:` on a
/// transition): it is refused when the dossiers in `holds` whose field `by` names the
/// organisation already fill its capacity.
public struct CapacityRule: Sendable, Equatable {
    public let holds: Set<String>
    /// A public system field the transition sets to the actor's organisation.
    public let by: String
    public init(holds: Set<String>, by: String) { self.holds = holds; self.by = by }
}

/// An e-mail sent to the dossier's persons of some roles after a transition (`notify:`):
/// subject and text per language, without any personal value.
public struct TransitionNotice: Sendable, Equatable {
    public let roles: Set<String>
    /// The person field holding the address (an e-mail field).
    public let field: String
    public let subject: [String: String]
    public let text: [String: String]
    public init(roles: Set<String>, field: String, subject: [String: String], text: [String: String]) {
        self.roles = roles; self.field = field; self.subject = subject; self.text = text
    }
}
