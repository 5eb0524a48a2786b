public import Foundation

/// How long dossiers of one type in one state are kept (the profile's `retention:` section,
/// docs/LIFECYCLE.md). Times count from the dossier's last change: for a final state (no
/// update, no transition) that is the moment it entered the state.
public struct RetentionRule: Sendable, Equatable {
    public let dossierType: String
    public let state: String
    /// Seconds after which the dossier is archived (readable only through an approved archive
    /// read); nil: not archived before it is erased.
    public let archiveAfter: TimeInterval?
    /// Seconds after which the dossier, and every person linked to no other live dossier, is
    /// erased by crypto-shredding.
    public let eraseAfter: TimeInterval
    public init(dossierType: String, state: String, archiveAfter: TimeInterval?, eraseAfter: TimeInterval) {
        self.dossierType = dossierType; self.state = state; self.archiveAfter = archiveAfter; self.eraseAfter = eraseAfter
    }
}

/// Who may read an archived dossier, and why: one account asks (with a purpose the profile
/// allows here), another of an approving role approves, and the approval lasts `minutes`.
public struct ArchiveAccess: Sendable, Equatable {
    public let roles: Set<String>
    public let purposes: Set<String>
    public let approvers: Set<String>
    public let minutes: Int
    public init(roles: Set<String>, purposes: Set<String>, approvers: Set<String>, minutes: Int) {
        self.roles = roles; self.purposes = purposes; self.approvers = approvers; self.minutes = minutes
    }
}

/// Staff who may produce a person's data on their behalf (an access request made at a
/// counter or by post), for one of the purposes named: the profile's `retention.access`.
public struct AccessRequestRule: Sendable, Equatable {
    public let roles: Set<String>
    public let purposes: Set<String>
    public init(roles: Set<String>, purposes: Set<String>) { self.roles = roles; self.purposes = purposes }
}

/// Fields of a dossier type kept for a legal duty through an erasure (GDPR art. 17(3)(b)): at
/// erasure, their values are sealed again under a data key of their own that the erasure does
/// not destroy, and kept `keptFor` seconds from the erasure, readable only through the gate by
/// the roles and purposes ``KeptAccess`` names.
public struct KeptFields: Sendable, Equatable {
    public let dossierType: String
    /// Field paths: the dossier's own fields (`benefitRights`) and its persons' (`seeker.registryId`).
    public let fields: [String]
    /// Seconds the fields are kept after the erasure (then their key is destroyed too).
    public let keptFor: TimeInterval
    /// The legal ground, per language: what the law requires and for how long.
    public let ground: [String: String]
    public init(dossierType: String, fields: [String], keptFor: TimeInterval, ground: [String: String]) {
        self.dossierType = dossierType; self.fields = fields; self.keptFor = keptFor; self.ground = ground
    }
}

/// Who reads fields kept for a legal duty, and why.
public struct KeptAccess: Sendable, Equatable {
    public let roles: Set<String>
    public let purposes: Set<String>
    public init(roles: Set<String>, purposes: Set<String>) { self.roles = roles; self.purposes = purposes }
}

/// The lifecycle of a profile's data: retention rules, archive reads, erasure requests.
public struct Retention: Sendable, Equatable {
    public var rules: [RetentionRule] = []
    /// Archive reads; nil: an archived dossier is readable by nobody.
    public var archive: ArchiveAccess?
    /// Roles that record a citizen's erasure request (GDPR art. 17); empty: none may.
    public var erasureOfficers: Set<String> = []
    /// Who answers a person's access request (GDPR art. 15) on their behalf; nil: nobody
    /// (citizens still export their own data).
    public var accessRequests: AccessRequestRule?
    /// Per dossier type, the fields kept for a legal duty through an erasure; empty: none.
    public var kept: [String: KeptFields] = [:]
    /// Who reads kept fields; nil when nothing is kept.
    public var keptAccess: KeptAccess?
    public init() {}
    /// No retention, no archive, no erasure request.
    public static let none = Retention()

    /// The rule for dossiers of this type in this state, if any.
    public func rule(type: String, state: String) -> RetentionRule? {
        rules.first { $0.dossierType == type && $0.state == state }
    }

    /// Whether a dossier of this type in this state, last changed at `lastChange`, is due to
    /// be archived or erased by `now + margin` (what a planted decoy must not be: the next
    /// retention run would name it alone in its ledger entry, an operator's audit).
    public func due(type: String, state: String, lastChange: Date, now: Date, margin: TimeInterval = 0) -> Bool {
        guard let rule = rule(type: type, state: state) else { return false }
        return now.addingTimeInterval(margin).timeIntervalSince(lastChange) >= min(rule.archiveAfter ?? rule.eraseAfter, rule.eraseAfter)
    }
}
