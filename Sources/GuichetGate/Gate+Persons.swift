public import GuichetCore
public import GuichetStore
@_spi(GateOnly) import GuichetPolicy
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetVault
import GuichetAuth
import Foundation
import GuichetWatch
import Logging

extension Gate {
    /// Most dossiers consulted to answer about one person.
    static let maxLinksPerPerson = 50

    /// The person's fields the caller may see through the dossiers that link them.
    public func readPerson(_ id: PersonID, _ r: GateRequest) async throws -> PersonResult {
        try checkPurpose(r)
        let subject = r.principal.subject
        let dossiers = try await liveDossiers(linking: id)
        let person = try await store.persons([id])[id]
        let present: Set<String>
        present = person?.key == nil ? [] : Set(try sealing { try person.map { try vault.keys($0.fields) } ?? [] })
        var accesses: [AllowedAccess] = []
        var through: [(DossierID, String)] = []
        for d in dossiers {
            guard let grant = policy.decide(subject, .read, d.facts, purpose: r.purpose).grant else { continue }
            for link in d.persons where link.person == id {
                let paths = present.map { "\(link.role).\($0)" }.filter(grant.readable.contains).sorted()
                guard !paths.isEmpty else { continue }
                accesses.append(AllowedAccess(dossier: d.id, grant: grant, persons: [id], fields: paths))
                through.append((d.id, link.role))
            }
        }
        guard !accesses.isEmpty else {
            try await refuse(.notFound, reason: dossiers.isEmpty ? "not-found" : "no-rule", action: .read, dossiers: [], r)
        }
        guard let person else { throw GuichetError.notFound }
        let receipt = try await journalled(accesses, action: .read, r)
        var fields: [String: FieldValue] = [:]
        for (dossier, role) in through {
            fields.merge(try sealing { try vault.open(person: person, role: role, revealing: receipt.fields[dossier] ?? []) }) { a, _ in a }
        }
        return PersonResult(id: id, version: person.version, fields: fields)
    }

    /// Changes a person's fields, through a dossier on which the caller may write them.
    /// The previous version is kept.
    public func updatePerson(_ id: PersonID, fields input: [String: JSON], expectedVersion: Int?, _ r: GateRequest) async throws -> Int {
        try checkPurpose(r)
        let values = try personFields(input, prefix: "", creating: false)
        guard !values.isEmpty else { throw GuichetError.invalid("nothing to change") }
        let subject = r.principal.subject
        let dossiers = try await liveDossiers(linking: id)
        var readable = false
        var chosen: (DossierID, Grant, [String])?
        search: for d in dossiers {
            if policy.decide(subject, .read, d.facts, purpose: r.purpose).grant != nil { readable = true }
            guard let grant = policy.decide(subject, .update, d.facts, purpose: r.purpose).grant,
                  !(profile.dossierTypes[d.type]?.workflow.final.contains(d.status) ?? true) else { continue }
            for link in d.persons where link.person == id {
                let paths = values.keys.map { "\(link.role).\($0)" }.sorted()
                if paths.allSatisfy(grant.writable.contains) { chosen = (d.id, grant, paths); break search }
            }
        }
        guard let (dossier, grant, paths) = chosen else {
            if readable {
                try await refuse(.forbidden("your role may not change these fields of this person"), reason: "field-not-writable",
                                 action: .update, dossiers: [], r)
            }
            try await refuse(.notFound, reason: "no-rule", action: .update, dossiers: [], r)
        }
        guard let person = try await store.persons([id])[id] else { throw GuichetError.notFound }
        // An erased person (key shredded) takes no new value: not found, as their dossiers are.
        guard person.key != nil else { try await refuse(.notFound, reason: "erased", action: .update, dossiers: [], r) }
        // A person with an account of their own is changed by that account, or by staff, never
        // by another citizen of the same file: a controls audit's parent rewrote the other
        // parent's name and national id and moved their e-mail, where that parent's password
        // reset codes and place offers go.
        if r.principal.kind == .citizen, r.principal.subject.person != id, try await store.personHasAccount(id) {
            try await refuse(.forbidden("this person has an account of their own: they change their own details, or the office does"),
                             reason: "person-has-account", action: .update, dossiers: [dossier], r)
        }
        if let expectedVersion, expectedVersion != person.version {
            throw GuichetError.conflict("the person changed since version \(expectedVersion); read it again")
        }
        let sealed = try sealing { try vault.reseal(person.fields, changing: values, subject: id.rawValue, wrapped: person.key) }
        let searchable = termFields(values)
        try await journalledWrite([AllowedAccess(dossier: dossier, grant: grant, persons: [id], fields: paths)], action: .update, r)
        do {
            try await store.update(person: id, expectedVersion: person.version, fields: sealed, terms: try terms(values),
                                   termFields: searchable, at: clock(), by: r.principal.account, change: "update")
        } catch StoreError.versionConflict {
            throw GuichetError.conflict("the person changed meanwhile; read it again")
        } catch StoreError.notFound {
            throw GuichetError.notFound  // erased meanwhile
        }
        return person.version + 1
    }

    /// Checks a self-registration's person fields as ``registerPerson(fields:requestID:source:)``
    /// does, without writing anything (the registration page answers the same whether or not
    /// the user name is taken, so bad fields must be refused before that is looked at).
    /// - Throws: ``GuichetError/invalid(_:)`` naming the field.
    public func checkRegistration(fields input: [String: JSON]) throws {
        _ = try personFields(input, prefix: "person.", creating: true)
    }

    /// Queues the alert of a sign-up whose national identifier another person carries
    /// (``registerPersonNotingClashes(fields:requestID:source:)``), naming the new account and
    /// the field, never a value.
    /// The account is made all the same: an alert that cannot be queued is logged.
    public func noteIdentityClash(account: AccountID, fields: [String]) async {
        guard !fields.isEmpty else { return }
        do {
            try await watch?.raise(account, detector: "identity-clash", severity: .medium,
                                   detail: "signed up with a national identifier (\(fields.joined(separator: ", "))) that a person on file already carries: stored, not searchable; check the identity before opening a file under it",
                                   at: clock())
        } catch {
            logger.error("the alert of an identity clash could not be queued")
        }
    }

    /// Stores the person of a citizen who signs up (before their account exists), journalled
    /// without an actor. Returns the new person's id.
    public func registerPerson(fields input: [String: JSON], requestID: String, source: String?) async throws -> PersonID {
        try await registerPersonNotingClashes(fields: input, requestID: requestID, source: source).id
    }

    /// Stores the person of a citizen who signs up, as ``registerPerson(fields:requestID:source:)``,
    /// and returns the national identifiers (searchable fields of type `national-id`) it holds
    /// that a person on file already carries. Those are stored without being made searchable:
    /// the sign-up is answered as any other, so that it tells nobody whether an identifier is
    /// on file (on a job seekers' registry, that a person is one), while an impostor's file no
    /// longer shows up beside the real person's when staff search by that identifier (a
    /// hostile citizen's audit signed up with a job seeker's NIR). The caller alerts the
    /// security officers once the account exists (``noteIdentityClash(account:fields:)``).
    public func registerPersonNotingClashes(fields input: [String: JSON], requestID: String,
                                            source: String?) async throws -> (id: PersonID, clashes: [String]) {
        let values = try personFields(input, prefix: "person.", creating: true).setValues
        let (person, clashes) = try await withoutClashingIdentifiers(try newPerson(values))
        let id = person.record.id
        let now = clock()
        let context = AccessContext(requestID: requestID, subject: nil, session: nil, source: source, purpose: nil, at: now)
        do {
            try await journal.recordUnauthenticatedWrite("self-registration", action: .create, persons: [id],
                                                         fields: values.keys.sorted().map { "person.\($0)" }, context: context)
        } catch {
            throw GuichetError.unavailable("the registration could not be recorded, so nothing was stored")
        }
        try await store.create(person: person, at: now)
        return (id, clashes.sorted())
    }

    /// A new person whose national identifiers (searchable `national-id` fields) a person on
    /// file already carries, without those look-up terms, and the fields concerned: stored, not
    /// searchable, so that staff searching by the identifier find the person who carried it first.
    func withoutClashingIdentifiers(_ person: NewPerson) async throws -> (NewPerson, [String]) {
        var clashes: [String] = []
        for term in person.terms {
            guard let spec = profile.personField(term.field), case .nationalID = spec.type else { continue }
            if try await store.personCarries(field: term.field, term: term.term) { clashes.append(term.field) }
        }
        guard !clashes.isEmpty else { return (person, []) }
        return (NewPerson(record: person.record, terms: person.terms.filter { !clashes.contains($0.field) }), clashes.sorted())
    }

    /// The alert of a citizen's new file whose new person carries a national identifier a
    /// person on file already carries (``withoutClashingIdentifiers(_:)``), naming the field.
    func noteFiledIdentityClash(_ r: GateRequest, fields: [String]) async {
        guard !fields.isEmpty else { return }
        do {
            try await watch?.raise(r.principal.account, detector: "identity-clash", severity: .medium,
                                   detail: "filed a new person with a national identifier (\(fields.joined(separator: ", "))) that a person on file already carries: stored, not searchable; check the identity before acting on that file",
                                   at: clock())
        } catch {
            logger.error("the alert of an identity clash could not be queued", metadata: ["request": .string(r.requestID)])
        }
    }

    /// The versions of a person's fields (metadata only, the current one first), for a role
    /// that may list the versions of a dossier linking the person (administrators): C9, a
    /// person's fields overwritten or removed are kept, and put back by ``restorePerson(_:version:_:)``.
    public func personVersions(_ id: PersonID, _ r: GateRequest) async throws -> [VersionInfo] {
        let (dossier, grant) = try await throughDossier(id, .versions, r)
        _ = try await journalled([AllowedAccess(dossier: dossier, grant: grant, persons: [], fields: [])], action: .versions, r)
        return try await store.personVersions(of: id)
    }

    /// Restores a kept version of a person's fields as a new version (a controls audit: a
    /// person's name blanked or national id removed could be put back by nobody). The version
    /// replaced stays kept too. The search terms are those of the version restored, opened by
    /// the system to index them and returned to nobody.
    /// - Returns: the new version's number.
    /// - Throws: 403 without a second factor verified in the last 5 minutes; 404 when the caller
    ///   may restore no dossier linking the person; 400 for a version that is not an earlier one.
    public func restorePerson(_ id: PersonID, version: Int, _ r: GateRequest) async throws -> Int {
        guard r.principal.hasFreshSecondFactor(now: clock()) else {
            throw GuichetError.forbidden("restoring needs a second factor verified in the last 5 minutes: verify it again, then retry")
        }
        let (dossier, grant) = try await throughDossier(id, .restore, r)
        guard let person = try await store.persons([id])[id], person.key != nil else { throw GuichetError.notFound }
        guard version >= 1, version < person.version, let old = try await store.personFields(id, atVersion: version) else {
            throw GuichetError.invalid("version \(version) is not an earlier version of this person")
        }
        var indexed = profile.personFields.filter(\.searchable).map(\.name)
        if let age = profile.statistics.age { indexed.append(age.field) }
        let opened = try sealing {
            try vault.open(person: PersonRecord(id: id, version: version, fields: old, key: person.key), role: "person",
                           revealing: Set(indexed.map { "person." + $0 }))
        }
        var values: [String: FieldValue?] = [:]
        for name in indexed { values[name] = .some(opened[name]) }
        try await journalledWrite([AllowedAccess(dossier: dossier, grant: grant, persons: [], fields: ["version"])], action: .restore, r)
        do {
            try await store.update(person: id, expectedVersion: person.version, fields: old, terms: try terms(values), termFields: termFields(values),
                                   at: clock(), by: r.principal.account, change: "restore of version \(version)")
        } catch StoreError.versionConflict {
            throw GuichetError.conflict("the person changed meanwhile; read the versions again")
        } catch StoreError.notFound {
            throw GuichetError.notFound
        }
        return person.version + 1
    }

    /// A live dossier linking the person on which the caller's role may take `action`.
    func throughDossier(_ id: PersonID, _ action: Action, _ r: GateRequest) async throws -> (DossierID, Grant) {
        try checkPurpose(r)
        for d in try await liveDossiers(linking: id) {
            if let grant = policy.decide(r.principal.subject, action, d.facts, purpose: r.purpose).grant { return (d.id, grant) }
        }
        try await refuse(.notFound, reason: "no-rule", action: action, dossiers: [], r)
    }

    /// The dossiers linking a person that are neither archived nor erased (a person is read or
    /// changed through those only: an archived dossier is read through an archive read).
    func liveDossiers(linking person: PersonID) async throws -> [DossierRecord] {
        let ids = Array(try await store.dossierIDs(linking: person).prefix(Self.maxLinksPerPerson))
        return try await store.dossiers(ids).filter { $0.lifecycle == nil }
    }
}
