public import GuichetCore
@_spi(GateOnly) import GuichetPolicy
import GuichetStore
import GuichetAuth

/// What a caller may change on one dossier, for a form to offer: the policy's answer for an
/// update, read from the dossier's relations. It holds no personal field, only field names
/// and version numbers.
public struct Changeable: Sendable {
    /// The dossier's own fields the update grant lets the caller set, and `partners` when it does.
    public let fields: Set<String>
    /// The linked persons whose fields the caller may both read and set through this dossier.
    public let persons: [ChangeablePerson]

    /// Nothing to change.
    public static let none = Changeable(fields: [], persons: [])
}

/// One linked person the caller may change, with the version a change is made against.
public struct ChangeablePerson: Sendable, Equatable {
    public let role: String
    public let id: PersonID
    /// The person's version now (``Gate/updatePerson(_:fields:expectedVersion:_:)`` refuses a stale one).
    public let version: Int
    /// Person field names (`email`, not `parent.email`) in both the read and the update grant.
    public let fields: Set<String>
}

extension Gate {
    /// What the caller may change on a dossier, as the gate would decide an update of it now
    /// (for the purpose stated): the update grant's writable paths, a person's fields only where
    /// the read grant shows them too. Nothing when the policy allows no update, or the dossier is
    /// archived, erased or in a final state. Not journalled: it opens no field (the page asks
    /// after a journalled read), and the gate decides again on the change itself.
    /// - Throws: ``GuichetError/notFound`` for an unknown dossier.
    public func changeable(_ id: DossierID, _ r: GateRequest) async throws -> Changeable {
        try checkPurpose(r)
        guard let record = try await store.dossier(id) else { throw GuichetError.notFound }
        guard record.lifecycle == nil, let type = profile.dossierTypes[record.type], !type.workflow.final.contains(record.status),
              let update = policy.decide(r.principal.subject, .update, record.facts, purpose: r.purpose).grant else { return .none }
        let readable = policy.decide(r.principal.subject, .read, record.facts, purpose: r.purpose).grant?.readable ?? []
        let fields = update.writable.filter { !$0.contains(".") }
        var candidates: [(PersonLink, Set<String>)] = []
        for link in record.persons {
            let names = Set(profile.personFields.map(\.name).filter {
                update.writable.contains("\(link.role).\($0)") && readable.contains("\(link.role).\($0)")
            })
            if !names.isEmpty { candidates.append((link, names)) }
        }
        let stored = try await store.persons(candidates.map(\.0.person))
        // An erased person (key shredded) takes no new value.
        let persons = candidates.compactMap { link, names in
            stored[link.person].flatMap { $0.key == nil ? nil : ChangeablePerson(role: link.role, id: link.person, version: $0.version, fields: names) }
        }
        return Changeable(fields: fields, persons: persons)
    }

    /// The workflow steps the policy allows the caller on this dossier now, for the page to
    /// offer (the gate decides again on the step itself): decided on the dossier's own
    /// relations, not on the role alone, so a file opened by break-glass, whose grant reads
    /// only, offers none (a pages audit: its buttons answered "this file does not exist").
    /// Not journalled: it opens no field.
    public func allowedSteps(_ id: DossierID, _ r: GateRequest) async throws -> [String] {
        try checkPurpose(r)
        guard let record = try await store.dossier(id), record.lifecycle == nil, let type = profile.dossierTypes[record.type] else { return [] }
        let subject = r.principal.subject
        var names = type.workflow.transitions.values.filter { $0.from.contains(record.status) }.map(\.name)
            .filter { policy.decide(subject, .transition($0), record.facts, purpose: r.purpose).grant != nil }.sorted()
        if !type.workflow.final.contains(record.status), record.status != "withdrawn",
           policy.decide(subject, .withdraw, record.facts, purpose: r.purpose).grant != nil {
            names.append("withdraw")
        }
        return names
    }
}
