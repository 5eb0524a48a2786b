/// What the policy knows about the acting account. Built by the gate from a verified principal.
public struct Subject: Sendable, Equatable {
    public let account: AccountID
    public let role: String
    public let organisation: OrganisationID?
    public let person: PersonID?
    public let territory: String?
    public init(account: AccountID, role: String, organisation: OrganisationID?, person: PersonID?, territory: String?) {
        self.account = account; self.role = role; self.organisation = organisation
        self.person = person; self.territory = territory
    }
}

/// What the policy knows about a dossier: its relations, never its personal fields.
public struct DossierFacts: Sendable, Equatable {
    public let type: String
    public let status: String
    public let organisation: OrganisationID?
    public let assignedAgent: AccountID?
    public let territory: String?
    public let persons: [PersonLink]
    public let partners: [OrganisationID]

    public init(type: String, status: String, organisation: OrganisationID?, assignedAgent: AccountID?,
                territory: String?, persons: [PersonLink], partners: [OrganisationID]) {
        self.type = type; self.status = status; self.organisation = organisation
        self.assignedAgent = assignedAgent; self.territory = territory; self.persons = persons; self.partners = partners
    }
}

/// A person linked to a dossier in a role (`child`, `parent`).
public struct PersonLink: Sendable, Hashable {
    public let role: String
    public let person: PersonID
    public init(role: String, person: PersonID) { self.role = role; self.person = person }
}
