/// One row of a profile's policy table (`profiles/NAME/policy-tests.yaml`): a principal
/// described by its role and its relations to a dossier, an action, a dossier type and
/// state, a purpose, and the decision expected.
public struct PolicyTestCase: Sendable, Equatable {
    /// What the row expects.
    public enum Expected: Sendable, Equatable {
        /// Allowed; if `fields` is given, exactly these readable paths (patterns expanded);
        /// `without` lists paths that must not be readable.
        case allow(fields: FieldSelector?, without: [String])
        /// Denied; if `reason` is given, for this reason (`no-rule`, `explicit-deny`, `purpose-not-allowed`).
        case deny(reason: String?)
    }

    /// The relations a principal can have with a dossier in a table row.
    public enum Link: Sendable, Hashable {
        case assigned, organisation, partner, territory
        /// The principal's own person is linked in this role.
        case linkedPerson(String)

        /// Parses `assigned`, `organisation`, `partner`, `territory`, `linked-person:ROLE`.
        public init?(_ text: String) {
            switch text {
            case "assigned": self = .assigned
            case "organisation": self = .organisation
            case "partner": self = .partner
            case "territory": self = .territory
            default:
                guard text.hasPrefix("linked-person:"), text.count > 14 else { return nil }
                self = .linkedPerson(String(text.dropFirst(14)))
            }
        }
    }

    /// Where the row is written (`policy-tests.yaml:12`), for failure messages.
    public let location: String
    public let name: String
    public let role: String
    public let links: Set<Link>
    public let action: Action
    public let dossierType: String
    public let state: String
    public let purpose: String?
    public let expected: Expected

    public init(location: String, name: String, role: String, links: Set<Link>, action: Action, dossierType: String,
                state: String, purpose: String?, expected: Expected) {
        self.location = location; self.name = name; self.role = role; self.links = links; self.action = action
        self.dossierType = dossierType; self.state = state; self.purpose = purpose; self.expected = expected
    }
}
