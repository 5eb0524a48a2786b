public import GuichetCore
public import GuichetLedger
public import GuichetStore
import Foundation

/// A dossier as a caller may see it: only the fields its grant allows.
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
    /// Linked persons of whom the caller may see at least one field.
    public let persons: [PersonView]
}

/// A person linked to a dossier, as the caller may see them.
public struct PersonView: Sendable {
    public let role: String
    public let id: PersonID
    public let fields: [String: FieldValue]
}

/// Vault errors collapse into one case: a sealed value that does not open is an integrity
/// failure, never a partial answer.
public enum VaultError: Error, Sendable, Equatable {
    case integrity
}

/// Seals field values for storage and opens them, but only against an ``AccessReceipt``
/// and only for the fields that receipt names.
///
/// - Warning: field encryption is not implemented yet: sealed bytes are a JSON map in clear.
///   The vault's own issue adds envelope encryption behind this same interface.
public struct Vault: Sendable {
    let profile: Profile

    public init(profile: Profile) { self.profile = profile }

    /// Seals a map of field values.
    public func seal(_ values: [String: FieldValue]) -> SealedFields {
        var object: [String: JSON] = [:]
        for (k, v) in values { object[k] = v.revealedJSON }
        // Encoding a [String: JSON] cannot fail: every case encodes to plain JSON.
        let data = try! JSONEncoder.sorted.encode(JSON.object(object))
        return SealedFields(bytes: data)
    }

    /// Replaces some fields of a sealed map (nil removes a field) without revealing the others.
    public func reseal(_ sealed: SealedFields, changing changes: [String: FieldValue?]) throws -> SealedFields {
        var values = try decode(sealed, specs: nil)
        for (k, v) in changes { values[k] = v }
        return seal(values)
    }

    /// The paths of the fields a dossier and its persons actually hold (names only, no
    /// value), so that the journal records what is returned, not what could have been.
    /// - Throws: ``VaultError/integrity`` when stored data does not decode.
    public func presentPaths(_ d: DossierRecord, persons: [PersonID: PersonRecord]) throws -> Set<String> {
        var out = Set(try keys(d.fields))
        if !d.partners.isEmpty { out.insert("partners") }
        for link in d.persons {
            guard let record = persons[link.person] else { continue }
            for k in try keys(record.fields) { out.insert("\(link.role).\(k)") }
        }
        return out
    }

    /// The names of the fields a sealed map holds (no value).
    /// - Throws: ``VaultError/integrity`` when stored data does not decode.
    public func keys(_ sealed: SealedFields) throws -> [String] {
        guard case .object(let object)? = try? JSONDecoder().decode(JSON.self, from: sealed.bytes) else { throw VaultError.integrity }
        return Array(object.keys)
    }

    /// Opens the permitted fields of a dossier and of its linked persons.
    /// - Precondition: the receipt covers this dossier; a dossier it does not name opens to nothing.
    /// - Throws: ``VaultError/integrity`` when stored data does not decode.
    public func open(_ d: DossierRecord, persons: [PersonID: PersonRecord], receipt: AccessReceipt) throws -> DossierView {
        let allowed = receipt.fields[d.id] ?? []
        let type = profile.dossierTypes[d.type]
        var fields: [String: FieldValue] = [:]
        if !allowed.isEmpty {
            for (k, v) in try decode(d.fields, specs: type?.fields) where allowed.contains(k) { fields[k] = v }
        }
        var views: [PersonView] = []
        for link in d.persons {
            let prefix = link.role + "."
            guard allowed.contains(where: { $0.hasPrefix(prefix) }), let record = persons[link.person] else { continue }
            var pf: [String: FieldValue] = [:]
            for (k, v) in try decode(record.fields, specs: profile.personFields) where allowed.contains(prefix + k) { pf[k] = v }
            views.append(PersonView(role: link.role, id: link.person, fields: pf))
        }
        return DossierView(id: d.id, type: d.type, status: d.status, version: d.version, createdAt: d.createdAt,
                           updatedAt: d.updatedAt, fields: fields, partners: allowed.contains("partners") ? d.partners : nil,
                           persons: views)
    }

    /// Opens the permitted fields of one person as reached through one dossier link.
    public func open(person: PersonRecord, role: String, through dossier: DossierID, receipt: AccessReceipt) throws -> [String: FieldValue] {
        let allowed = receipt.fields[dossier] ?? []
        var out: [String: FieldValue] = [:]
        for (k, v) in try decode(person.fields, specs: profile.personFields) where allowed.contains("\(role).\(k)") { out[k] = v }
        return out
    }

    private func decode(_ sealed: SealedFields, specs: [FieldSpec]?) throws -> [String: FieldValue] {
        guard case .object(let object)? = try? JSONDecoder().decode(JSON.self, from: sealed.bytes) else { throw VaultError.integrity }
        var out: [String: FieldValue] = [:]
        for (k, json) in object {
            let spec = specs?.first { $0.name == k }
            switch (json, spec?.type) {
            case (.string(let s), .date?): out[k] = LocalDate(iso: s).map(FieldValue.date) ?? .text(s)
            case (.string(let s), _): out[k] = .text(s)
            case (.bool(let b), _): out[k] = .boolean(b)
            case (.number, _): guard let i = json.integer else { throw VaultError.integrity }; out[k] = .integer(i)
            default: throw VaultError.integrity
            }
        }
        return out
    }
}

extension JSONEncoder {
    static var sorted: JSONEncoder {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return e
    }
}
