public import GuichetCore
public import GuichetAuth
import Foundation

/// One request as the gate sees it: who (verified), from where, why.
public struct GateRequest: Sendable {
    public let principal: Principal
    public let requestID: String
    public let source: String?
    /// The declared purpose (`Guichet-Purpose` header), checked against the profile.
    public let purpose: String?
    /// Why the caller reaches a watched person outside their caseload (`Guichet-Justification`).
    public var justification: String?
    public init(principal: Principal, requestID: String, source: String?, purpose: String?) {
        self.principal = principal; self.requestID = requestID; self.source = source; self.purpose = purpose
    }
}

/// A person to link to a new dossier: the caller's own person, or a new person with fields.
public enum PersonInput: Sendable {
    case caller(role: String)
    case new(role: String, fields: [String: JSON])

    var role: String { switch self { case .caller(let r), .new(let r, _): r } }
}

/// A new dossier as asked for.
public struct DossierInput: Sendable {
    public let type: String
    public let fields: [String: JSON]
    public let persons: [PersonInput]
    public let partners: [OrganisationID]
    public init(type: String, fields: [String: JSON], persons: [PersonInput], partners: [OrganisationID]) {
        self.type = type; self.fields = fields; self.persons = persons; self.partners = partners
    }
}

/// Changes to a dossier: fields to set (JSON null removes an optional field), new partner list.
public struct DossierChanges: Sendable {
    public let fields: [String: JSON]
    public let partners: [OrganisationID]?
    /// If given, the update applies only if the dossier is still at this version.
    public let expectedVersion: Int?
    public init(fields: [String: JSON], partners: [OrganisationID]?, expectedVersion: Int?) {
        self.fields = fields; self.partners = partners; self.expectedVersion = expectedVersion
    }
}

/// What a write returns: no personal field, only where the dossier now stands.
public struct WriteResult: Sendable, Equatable {
    public let id: DossierID
    public let status: String
    public let version: Int
    public let persons: [PersonLink]
}

/// A page of search results.
public struct SearchPage: Sendable {
    public let views: [DossierView]
    /// Pass as `after` to get the next page; nil at the end.
    public let next: DossierID?
}

/// Person fields as seen through the caller's dossiers.
public struct PersonResult: Sendable {
    public let id: PersonID
    public let version: Int
    public let fields: [String: FieldValue]
}
