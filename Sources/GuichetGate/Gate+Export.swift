public import GuichetCore
import Foundation
import GuichetAuth
@_spi(GateOnly) import GuichetLedger
import GuichetStore
@_spi(GateOnly) import GuichetVault

/// A citizen's own data (GDPR art. 15 and 20): their person's fields and each of their dossiers
/// as they may read them, every read journalled like any other.
public struct CitizenExport: Sendable {
    public let person: PersonResult?
    public let dossiers: [DossierView]
}

extension Gate {
    /// Everything the signed-in citizen may read about themselves, through the gate: each
    /// dossier linking their person (archived or erased ones are left out), then their person.
    /// - Throws: 403 for an account that is not a citizen's with a person.
    public func exportOwnData(_ r: GateRequest) async throws -> CitizenExport {
        guard r.principal.kind == .citizen, let person = r.principal.person else {
            throw GuichetError.forbidden("the export is of a citizen's own data")
        }
        var views: [DossierView] = []
        for id in try await store.dossierIDs(linking: person).prefix(Self.maxLinksPerPerson) {
            do { views.append(try await read(id, r)) } catch GuichetError.notFound, GuichetError.forbidden(_) { continue }
        }
        let own: PersonResult?
        if let alone = try await ownPersonWithoutFile(person, r) { own = alone } else {
            do { own = try await readPerson(person, r) } catch GuichetError.notFound { own = nil }
        }
        return CitizenExport(person: own, dossiers: views)
    }

    /// A citizen's own person when every file that linked it was erased (retention erased the
    /// last; the person is kept with the account, docs/LIFECYCLE.md): GDPR art. 15 still gives
    /// them their data. The fields are those the profile's rules let the citizen's role read of
    /// a person linked to them (`parent.*`), by the link role that opens the most; opened after
    /// one ledger entry naming the person and those fields (`own-person`, no dossier), so that
    /// it shows in their history and in a breach scope. Only in the export, which runs one at a
    /// time on the server. Nil when some file still links the person (archived included: the
    /// usual reads decide), or when the rules open nothing of it.
    /// - Throws: ``GuichetError/unavailable(_:)`` when the entry cannot be written (nothing opened).
    func ownPersonWithoutFile(_ id: PersonID, _ r: GateRequest) async throws -> PersonResult? {
        guard r.principal.kind == .citizen, r.principal.person == id else { return nil }
        let linked = try await store.dossiers(Array(try await store.dossierIDs(linking: id).prefix(Self.maxLinksPerPerson)))
        guard linked.allSatisfy({ $0.lifecycle?.erasedAt != nil }),
              let person = try await store.persons([id])[id], person.key != nil else { return nil }
        let present = try sealing { try vault.keys(person.fields) }
        let rules = profile.rules.filter {
            $0.effect == .allow && $0.roles.contains(r.principal.role) && $0.actions.contains(.read) && $0.relation == .linkedPerson && $0.purposes.isEmpty
        }
        var chosen: (role: String, paths: [String])?
        for role in Set(rules.flatMap(\.linkRoles)).sorted() {
            let paths = present.map { "\(role).\($0)" }.filter { path in rules.contains { $0.linkRoles.contains(role) && $0.read.matches(path) } }.sorted()
            if paths.count > (chosen?.paths.count ?? 0) { chosen = (role, paths) }
        }
        guard let chosen else { return nil }
        _ = try sealing { try vault.keyCheck() }
        do { try await journal.recordOwnPersonDisclosure(id, fields: chosen.paths, context: context(r)) } catch {
            throw GuichetError.unavailable("the access could not be recorded, so no data is returned")
        }
        let fields = try sealing { try vault.open(person: person, role: chosen.role, revealing: Set(chosen.paths)) }
        return PersonResult(id: id, version: person.version, fields: fields)
    }
}

extension Gate {
    /// A person's data produced by staff on their behalf (GDPR art. 15, a request made at the
    /// counter or by post): only by a role and for a purpose the profile's `retention.access`
    /// names, each dossier and the person read through the gate like any read (the policy
    /// decides the fields, the ceilings count), then one `access-request` entry naming the
    /// person, the reference and the dossiers produced. Of the other persons of the dossiers,
    /// only their roles: nothing of theirs is opened, journalled or returned.
    /// - Parameter reference: the request's case reference (1 to 200 characters, no personal data).
    /// - Throws: 403 when the profile does not allow it for this role or purpose; 404 when
    ///   nothing of the person is readable; 503 when the entry cannot be written (nothing returned).
    public func exportOnBehalf(of person: PersonID, reference: String, _ r: GateRequest) async throws -> CitizenExport {
        guard let rule = profile.retention.accessRequests, rule.roles.contains(r.principal.role) else {
            throw GuichetError.forbidden("your role may not answer access requests for someone else")
        }
        guard let purpose = r.purpose, rule.purposes.contains(purpose) else {
            throw GuichetError.forbidden("state the purpose of the request in Guichet-Purpose (one of: \(rule.purposes.sorted().joined(separator: ", ")))")
        }
        // The reference goes into the ledger, which is never erased: a case number, never a name.
        let reference = reference.trimmingCharacters(in: .whitespacesAndNewlines)
        try Self.checkReference(reference)
        try checkReferenceHoldsNoIdentifier(reference)
        var views: [DossierView] = []
        for id in try await store.dossierIDs(linking: person).prefix(Self.maxLinksPerPerson) {
            // An archived file is left out, as from the citizen's own export, unless an approved
            // archive read opens it for this purpose (an attacker test: one archived file
            // refused the whole answer, and told that the person exists).
            if let found = try await store.dossier(id), found.lifecycle?.archivedAt != nil, try await lifecycleRefusal(found, r) != nil { continue }
            // A file outside the caller's scope is not theirs to produce (404, skipped); any other
            // refusal (a ceiling, the watch) stops the answer rather than leaving it silently partial.
            // Never through break-glass: an opening lets its holder see one file for an
            // emergency, not produce the person's whole file and history on their behalf.
            // The person's own fields only: the answer goes to them, and the other persons of
            // their files (a co-parent, whose national id and contact staff may read) are not
            // theirs to receive (a lifecycle audit); they are named by their role.
            do { views.append(try await reveal(id, .read, r, breakGlass: false, only: [person])) } catch GuichetError.notFound { continue }
        }
        let own: PersonResult?
        do { own = try await readPerson(person, r) } catch GuichetError.notFound { own = nil }
        guard own != nil || !views.isEmpty else { throw GuichetError.notFound }
        do {
            _ = try await journal.recordSystemEvent("access-request", reason: "access request \(reference) answered: \(views.count) dossiers",
                                                    persons: [person], dossiers: views.map(\.id), context: context(r))
        } catch { throw GuichetError.unavailable("the answer could not be recorded, so nothing is returned") }
        return CitizenExport(person: own, dossiers: views)
    }
}
