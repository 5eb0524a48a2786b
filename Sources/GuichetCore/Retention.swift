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
    public init() {}
    /// No retention, no archive, no erasure request.
    public static let none = Retention()

    /// The rule for dossiers of this type in this state, if any.
    public func rule(type: String, state: String) -> RetentionRule? {
        rules.first { $0.dossierType == type && $0.state == state }
    }
}
