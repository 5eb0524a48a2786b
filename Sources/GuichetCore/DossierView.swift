public import Foundation

/// A dossier as a caller may see it: only the fields its grant allows. The vault builds one
/// for the gate; holding one grants nothing, so it lives here where every layer can name it.
public struct DossierView: Sendable {
    public let id: DossierID
    public let type: String
    public let status: String
    public let version: Int
    public let createdAt: Date
    public let updatedAt: Date
    /// Dossier fields the caller may see.
    public let fields: [String: FieldValue]
    /// The chosen partners in order, when the caller may see `partners`.
    public let partners: [OrganisationID]?
    /// Linked persons of whom the caller may see at least one field (a crypto-shredded person
    /// has none left, so does not appear).
    public let persons: [PersonView]
    /// Roles of the linked persons the caller may read who were erased (right to erasure):
    /// their data is gone, the file is not (a lifecycle audit: staff saw a live application
    /// whose child had vanished, and could offer it a place).
    public var erasedRoles: [String] = []

    public init(id: DossierID, type: String, status: String, version: Int, createdAt: Date, updatedAt: Date,
                fields: [String: FieldValue], partners: [OrganisationID]?, persons: [PersonView]) {
        self.id = id; self.type = type; self.status = status; self.version = version; self.createdAt = createdAt
        self.updatedAt = updatedAt; self.fields = fields; self.partners = partners; self.persons = persons
    }
}

/// A person linked to a dossier, as the caller may see them.
public struct PersonView: Sendable {
    public let role: String
    public let id: PersonID
    public let fields: [String: FieldValue]

    public init(role: String, id: PersonID, fields: [String: FieldValue]) { self.role = role; self.id = id; self.fields = fields }
}
