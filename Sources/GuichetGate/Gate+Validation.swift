import GuichetCore
import GuichetStore
@_spi(GateOnly) import GuichetVault
import Foundation

extension Gate {
    /// Validates dossier field input: declared, not set by the workflow, well-typed.
    /// JSON null removes an optional field (updates only).
    func dossierFields(_ input: [String: JSON], type: DossierType, creating: Bool) throws -> [String: FieldValue?] {
        var out: [String: FieldValue?] = [:]
        for (name, json) in input {
            guard let spec = type.field(name) else {
                throw GuichetError.invalid("unknown field '\(GuichetError.echo(name))' (dossier type '\(type.name)' has: \(type.fields.filter { !$0.system }.map(\.name).joined(separator: ", ")))")
            }
            guard !spec.system else { throw GuichetError.invalid("field '\(name)' is set by the workflow, not by a request") }
            if json == .null {
                guard !spec.required, !creating else { throw GuichetError.invalid("field '\(name)' is required") }
                out[name] = .some(nil)
            } else {
                out[name] = try FieldValidation.value(json, for: spec, path: name, today: today())
            }
        }
        if creating {
            for spec in type.fields where spec.required && !spec.defaultsToToday && out[spec.name] == nil {
                throw GuichetError.invalid("field '\(spec.name)' is required")
            }
        }
        return out
    }

    /// Validates person field input against the profile's person fields.
    func personFields(_ input: [String: JSON], prefix: String, creating: Bool) throws -> [String: FieldValue?] {
        var out: [String: FieldValue?] = [:]
        for (name, json) in input {
            guard let spec = profile.personField(name) else {
                throw GuichetError.invalid("unknown field '\(prefix)\(GuichetError.echo(name))' (persons have: \(profile.personFields.map(\.name).joined(separator: ", ")))")
            }
            if json == .null {
                guard !spec.required, !creating else { throw GuichetError.invalid("field '\(prefix)\(name)' is required") }
                out[name] = .some(nil)
            } else {
                out[name] = try FieldValidation.value(json, for: spec, path: prefix + name, today: today())
            }
        }
        if creating {
            for spec in profile.personFields where spec.required && out[spec.name] == nil {
                throw GuichetError.invalid("field '\(prefix)\(spec.name)' is required")
            }
        }
        return out
    }

    /// Look-up terms of the searchable person fields among `values`.
    func terms(_ values: [String: FieldValue?]) throws -> [PersonTerm] {
        try values.compactMap { name, value in
            guard let value, let spec = profile.personField(name), spec.searchable else { return nil }
            return PersonTerm(field: name, term: try sealing { try vault.blindIndex(field: name, term: FieldValidation.term(value, type: spec.type)) })
        } + [try sealing { try PersonTerm.birthYear(values, profile: profile, tag: vault.birthYearTag) }].compactMap { $0 }
    }

    /// The term fields a change of these person fields replaces: the searchable ones, and the
    /// birth year kept for statistics when its field changes.
    func termFields(_ values: [String: FieldValue?]) -> Set<String> {
        var out = Set(values.keys.filter { profile.personField($0)?.searchable == true })
        if let age = profile.statistics.age, values.keys.contains(age.field) { out.insert(PersonTerm.birthYearField) }
        return out
    }

    /// A new person with a fresh data key (made by `keys`, a batch's, when given), sealed and indexed.
    func newPerson(_ values: [String: FieldValue], keys: SubjectKeys? = nil) throws -> NewPerson {
        let id = PersonID()
        let (key, wrapped) = try sealing { try keys?.new(subject: id.rawValue) ?? vault.newSubjectKey(subject: id.rawValue) }
        let sealed = try sealing { try vault.seal(values, subject: id.rawValue, key: key) }
        return NewPerson(record: PersonRecord(id: id, version: 1, fields: sealed, key: wrapped), terms: try terms(values))
    }

    /// Validates a partner list: count, no repeats, organisations that exist and are of the right kind.
    func checkPartners(_ partners: [OrganisationID], type: DossierType) async throws {
        guard let spec = type.partners else {
            if !partners.isEmpty { throw GuichetError.invalid("dossier type '\(type.name)' takes no partners") }
            return
        }
        guard (spec.min...spec.max).contains(partners.count) else {
            throw GuichetError.invalid("choose from \(spec.min) to \(spec.max) partners")
        }
        guard Set(partners).count == partners.count else { throw GuichetError.invalid("a partner appears twice") }
        for id in partners {
            guard let org = try await store.organisation(id), org.kind == spec.organisationKind else {
                throw GuichetError.invalid("partner '\(id)' is not a known organisation of kind '\(spec.organisationKind)'")
            }
        }
    }
}

extension Dictionary where Key == String, Value == FieldValue? {
    /// Only the values set (not the removals).
    var setValues: [String: FieldValue] { compactMapValues { $0 } }
}
