public import GuichetCore

/// An account whose session was verified. Only this module can make one, so holding a
/// `Principal` proves that authentication happened.
public struct Principal: Sendable, Equatable {
    public let account: AccountID
    public let username: String
    public let role: String
    public let kind: RoleKind
    public let organisation: OrganisationID?
    public let person: PersonID?
    public let territory: String?
    public let session: SessionID

    init(account: AccountID, username: String, role: String, kind: RoleKind, organisation: OrganisationID?,
         person: PersonID?, territory: String?, session: SessionID) {
        self.account = account; self.username = username; self.role = role; self.kind = kind
        self.organisation = organisation; self.person = person; self.territory = territory; self.session = session
    }

    /// What the policy may know about this principal.
    public var subject: Subject {
        Subject(account: account, role: role, organisation: organisation, person: person, territory: territory)
    }
}
