/// One field declared by a profile, for persons or for a dossier type.
public struct FieldSpec: Sendable, Equatable {
    /// Name as it appears in the API (`lastName`, `desiredStart`).
    public let name: String
    public let type: FieldType
    public let classification: Classification
    public let required: Bool
    /// Whether callers may search by this field (always through an index, never a scan).
    public let searchable: Bool
    /// Set by the workflow only, never by a caller (for example who offered a place).
    public let system: Bool
    /// What letters and the citizens' page call the field, by language (`fr` → "date de
    /// naissance"); a built-in table, then the name itself, stand in for a missing language.
    public var labels: [String: String] = [:]
    /// Set to the day of creation when a new dossier comes without it (`default: today`): a
    /// registration date is the registry's to record, not the applicant's to choose.
    public var defaultsToToday = false
    /// A date no later than the day it is written (`max: today`): a birth date, which can
    /// never be in the future. The gate refuses a later date on every write.
    public var notAfterToday = false
    /// Append-only (`append: true`, a dossier's text field): what a caller writes is added
    /// after what the field holds, on a line of its own, never replacing it; it cannot be
    /// cleared. For a field its writers may not read, such as the salaries each employer
    /// declares: a save no longer erases the other employers' lines.
    public var appends = false

    public init(name: String, type: FieldType, classification: Classification,
                required: Bool = false, searchable: Bool = false, system: Bool = false) {
        self.name = name; self.type = type; self.classification = classification
        self.required = required; self.searchable = searchable; self.system = system
    }
}

/// How many persons of one role a dossier links (a child, one or two parents).
public struct PersonLinkSpec: Sendable, Equatable {
    public let role: String
    public let min: Int
    public let max: Int
    /// How a field of this person is qualified in letters, by language (`fr` → "de l'enfant",
    /// `en` → "the child's").
    public var labels: [String: String] = [:]
    /// Whether a person linked in this role may hold a citizen's account (a claim code makes
    /// one): `account: false` for a child, whose account would read the child's file and its
    /// history. True unless the profile says otherwise.
    public var account = true
    public init(role: String, min: Int, max: Int) { self.role = role; self.min = min; self.max = max }
}

/// The organisations a dossier is addressed to, in order (daycare services by preference).
public struct PartnerSpec: Sendable, Equatable {
    public let organisationKind: String
    public let min: Int
    public let max: Int
    /// What the pages and letters call them, by language (`fr` → "employeurs"); without it,
    /// "services choisis" / "chosen services".
    public var labels: [String: String] = [:]
    /// What the pages call one of them, by language (`fr` → "employeur"): each slot of a form.
    public var one: [String: String] = [:]
    /// Whether their order is a preference (place05's daycares, the default); `ordered: false`
    /// (secu's employers): the forms ask for no order.
    public var ordered = true
    public init(organisationKind: String, min: Int, max: Int) {
        self.organisationKind = organisationKind; self.min = min; self.max = max
    }
}

/// A named move between workflow states.
public struct Transition: Sendable, Equatable {
    public let name: String
    public let from: Set<String>
    public let to: String
    /// System fields set by the transition, to a value taken from the actor.
    public let sets: [String: ActorAttribute]
    /// The places this transition takes from the actor's organisation, if bounded (Ranking.swift).
    public var capacity: CapacityRule?
    /// A public system field naming an organisation (`by: offeredBy`): only an account of the
    /// organisation it names takes this transition (place05's close, by the daycare that
    /// offered the place; a controls audit closed a competitor's placement).
    public var by: String?
    /// The e-mail this transition sends to the dossier's persons, if any (Ranking.swift).
    public var notice: TransitionNotice?
    public init(name: String, from: Set<String>, to: String, sets: [String: ActorAttribute] = [:]) {
        self.name = name; self.from = from; self.to = to; self.sets = sets
    }
}

/// An attribute of the acting account that a transition may record on the dossier.
public enum ActorAttribute: String, Sendable, Equatable {
    case organisation = "actor.organisation"
    case account = "actor.account"
    case today = "today"
}

/// The states of a dossier type and the moves between them.
public struct Workflow: Sendable, Equatable {
    public let initial: String
    public let states: [String]
    /// Final states accept no update and no transition.
    public let final: Set<String>
    public let transitions: [String: Transition]
    public init(initial: String, states: [String], final: Set<String>, transitions: [String: Transition]) {
        self.initial = initial; self.states = states; self.final = final; self.transitions = transitions
    }
}

/// A kind of dossier: the unit of access.
public struct DossierType: Sendable, Equatable {
    public let name: String
    public let persons: [PersonLinkSpec]
    public let partners: PartnerSpec?
    public let fields: [FieldSpec]
    public let workflow: Workflow
    /// The order of its waiting list, if it has one (`rank:`, Ranking.swift).
    public var ranking: Ranking?
    /// What the pages call a dossier of this type, by language (`fr` → "compte d'assuré").
    public var labels: [String: String] = [:]
    /// How many dossiers of this type, in a state that is not final, a citizen's account may
    /// have created linking its own person (`perCitizen:`; nil: no limit). A job seeker has one
    /// registration (a citizen's audit: one made 20 at the same agency before a ceiling stopped it).
    public var perCitizen: Int?
    public init(name: String, persons: [PersonLinkSpec], partners: PartnerSpec?, fields: [FieldSpec], workflow: Workflow) {
        self.name = name; self.persons = persons; self.partners = partners; self.fields = fields; self.workflow = workflow
    }
    /// The dossier field of this name, if declared.
    public func field(_ name: String) -> FieldSpec? { fields.first { $0.name == name } }
}

/// The kind of people a role is for.
public enum RoleKind: String, Sendable, CaseIterable {
    /// A member of the public acting on their own (or their children's) dossiers.
    case citizen
    /// Staff of the operating body.
    case staff
    /// Staff of a partner organisation (a daycare service).
    case partner
    /// Administrators: accounts, versions and restore, on the admin listener only.
    case admin
    /// Security officers: alerts, break-glass review, breach response, on the admin listener only.
    case security
    /// Account administrators of one organisation (a local office): on the admin listener,
    /// they ask for accounts of the roles their role `provisions`, in their own organisation,
    /// and approve another's such request; nothing else (R2, 2025).
    case accountAdmin = "account-admin"

    /// Whether accounts of this kind sign in on the admin listener (and only there).
    public var usesAdminListener: Bool { self == .admin || self == .security || self == .accountAdmin }
}

/// A role declared by the profile.
public struct Role: Sendable, Equatable {
    public let name: String
    public let kind: RoleKind
    /// The kind of organisation an account of this role belongs to, if any.
    public let organisationKind: String?
    /// How many distinct persons' non-public fields an account may receive (``Ceiling``).
    public var ceiling: Ceiling
    /// The fields a search or listing returns (its summary); nil: the public fields of the
    /// rules' read masks for staff, partners and officers, the whole mask for citizens (their
    /// own family). The rest comes from opening one dossier.
    public var summary: FieldSelector?
    /// The combinations of search terms this role may use (field names: `[lastName,
    /// birthDate]`, `[nam]`); a search with terms must give every field of one of them.
    /// Empty: any searchable field the role may read, alone.
    public var searchTerms: [[String]] = []
    /// For an account administrator (``RoleKind/accountAdmin``): the staff and partner roles
    /// whose accounts it may ask for, in its own organisation; empty for every other kind.
    public var provisions: [String] = []
    public init(name: String, kind: RoleKind, organisationKind: String?, ceiling: Ceiling? = nil) {
        self.name = name; self.kind = kind; self.organisationKind = organisationKind
        self.ceiling = ceiling ?? .defaults(for: kind)
    }
}

/// What an account asks to do to a dossier.
public enum Action: Sendable, Hashable, CustomStringConvertible {
    case read, search, create, update, withdraw, versions, restore
    case transition(String)

    /// Parses `read`, `transition:offer`...
    public init?(_ text: String) {
        switch text {
        case "read": self = .read
        case "search": self = .search
        case "create": self = .create
        case "update": self = .update
        case "withdraw": self = .withdraw
        case "versions": self = .versions
        case "restore": self = .restore
        default:
            guard text.hasPrefix("transition:"), text.count > 11 else { return nil }
            self = .transition(String(text.dropFirst(11)))
        }
    }

    public var description: String {
        switch self {
        case .read: "read"; case .search: "search"; case .create: "create"; case .update: "update"
        case .withdraw: "withdraw"; case .versions: "versions"; case .restore: "restore"
        case .transition(let t): "transition:\(t)"
        }
    }
}

/// The relation between an account and a dossier that a rule requires.
public enum Relation: String, Sendable, CaseIterable {
    /// Any dossier of the type.
    case any
    /// The account's own person is linked to the dossier (in one of `linkRoles`).
    case linkedPerson = "linked-person"
    /// The account's organisation is among the dossier's partners (chosen services).
    case partner
    /// The account's organisation owns the dossier.
    case organisation
    /// The dossier is assigned to the account (caseload).
    case assigned
    /// The dossier is in the account's territory.
    case territory
}

/// Which fields a rule lets through: named paths (`desiredStart`, `child.birthDate`,
/// `parent.*`, `partners`, `*`).
public struct FieldSelector: Sendable, Equatable {
    public let patterns: [String]
    public init(_ patterns: [String]) { self.patterns = patterns }
    public static let none = FieldSelector([])

    /// Whether the path is selected.
    public func matches(_ path: String) -> Bool {
        for p in patterns {
            if p == "*" || p == path { return true }
            if p.hasSuffix(".*"), path.hasPrefix(p.dropLast(1)) { return true }
        }
        return false
    }
}

/// One rule of a profile's policy.
public struct Rule: Sendable, Equatable {
    public enum Effect: String, Sendable { case allow, deny }
    public let id: String
    public let effect: Effect
    public let roles: Set<String>
    public let dossierTypes: Set<String>
    public let relation: Relation
    /// For `linked-person`: the link roles that count (for example `parent`).
    public let linkRoles: Set<String>
    public let actions: Set<Action>
    /// Fields returned by reads (and by the response of any allowed action).
    public let read: FieldSelector
    /// Fields the caller may set on create and update.
    public let write: FieldSelector
    /// If not empty, the stated purpose must be one of these.
    public let purposes: Set<String>
    /// If not empty, the dossier must be in one of these states.
    public let states: Set<String>

    public init(id: String, effect: Effect, roles: Set<String>, dossierTypes: Set<String>, relation: Relation,
                linkRoles: Set<String> = [], actions: Set<Action>, read: FieldSelector = .none,
                write: FieldSelector = .none, purposes: Set<String> = [], states: Set<String> = []) {
        self.id = id; self.effect = effect; self.roles = roles; self.dossierTypes = dossierTypes
        self.relation = relation; self.linkRoles = linkRoles; self.actions = actions
        self.read = read; self.write = write; self.purposes = purposes; self.states = states
    }
}

/// A deployment's declarative description: what is held, how sensitive it is, who may do what.
public struct Profile: Sendable, Equatable {
    public let name: String
    public let title: [String: String]
    public let defaultLanguage: String
    public let personFields: [FieldSpec]
    public let organisationKinds: [String]
    public let dossierTypes: [String: DossierType]
    public let roles: [String: Role]
    public let rules: [Rule]
    public let purposes: [String]
    /// Who may open a dossier outside their scope, for how long and seeing what; nil: nobody.
    public let breakGlass: BreakGlassSpec?
    /// Detection settings (the `watch:` section); defaults when absent.
    public var watch: WatchSettings = .defaults
    /// Retention, archive reads and erasure requests (the `retention:` section); none when absent.
    public var retention: Retention = .none
    /// Published aggregates with small-count suppression (the `statistics:` section).
    public var statistics = StatisticsSpec()
    /// Partner exports by role (the `exports:` section); none when absent.
    public var exports: [String: ExportRule] = [:]

    public init(name: String, title: [String: String], defaultLanguage: String, personFields: [FieldSpec],
                organisationKinds: [String], dossierTypes: [String: DossierType], roles: [String: Role],
                rules: [Rule], purposes: [String], breakGlass: BreakGlassSpec? = nil) {
        self.name = name; self.title = title; self.defaultLanguage = defaultLanguage
        self.personFields = personFields; self.organisationKinds = organisationKinds
        self.dossierTypes = dossierTypes; self.roles = roles; self.rules = rules; self.purposes = purposes
        self.breakGlass = breakGlass
    }

    /// The person field of this name, if declared.
    public func personField(_ name: String) -> FieldSpec? { personFields.first { $0.name == name } }

    /// Whether a role's work goes through a caseload: an allowing rule reaches its files by
    /// assignment (`when: assigned`); a partner export then takes its caseload. Pages offer
    /// caseload controls for those roles only (a co-operative's audit: place05, which has no
    /// caseloads, showed "0 files followed, assign a file" on every account).
    public func usesCaseloads(_ role: String) -> Bool {
        rules.contains { $0.effect == .allow && $0.relation == .assigned && $0.roles.contains(role) }
    }

    /// The names of the roles of the kinds that `kinds` accepts, sorted: what the store's
    /// `accounts(roles:)` takes, so that finding the security officers or the staff never reads
    /// the citizens' accounts (millions in R4).
    public func roleNames(_ kinds: (RoleKind) -> Bool) -> [String] {
        roles.values.filter { kinds($0.kind) }.map(\.name).sorted()
    }

    /// The classification of a field path of a dossier type (`desiredStart`,
    /// `child.birthDate`); `partners` (organisation ids) is public; nil for an unknown path.
    public func classification(of path: String, in type: DossierType) -> Classification? {
        if path == "partners" { return type.partners == nil ? nil : .public }
        if let field = type.field(path) { return field.classification }
        guard let dot = path.firstIndex(of: "."), type.persons.contains(where: { $0.role == path[..<dot] }) else { return nil }
        return personField(String(path[path.index(after: dot)...]))?.classification
    }

    /// Every field path of a dossier type, in a stable order: dossier fields, `partners`,
    /// then `<linkRole>.<personField>` for each link role.
    public func fieldPaths(of type: DossierType) -> [String] {
        var paths = type.fields.map(\.name)
        if type.partners != nil { paths.append("partners") }
        for link in type.persons { paths += personFields.map { "\(link.role).\($0.name)" } }
        return paths
    }
}

extension Profile {
    /// Whether a person linked to files in these (dossier type, link role) pairs may hold a
    /// citizen's account (a claim code): unless every one of those links is declared
    /// `account: false` (place05's `child`). A person linked to no file is not refused.
    public func mayHoldAccount(links: [(type: String, role: String)]) -> Bool {
        links.isEmpty || links.contains { link in dossierTypes[link.type]?.persons.first { $0.role == link.role }?.account ?? true }
    }
}
