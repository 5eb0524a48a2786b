public import GuichetCore
import GuichetStore
@_spi(GateOnly) import GuichetPolicy
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetVault
import GuichetAuth
import Foundation

extension Gate {
    /// Creates a dossier with its new persons and partners.
    /// - Throws: 400 for invalid input (nothing written), 403 when no rule allows it.
    public func create(_ input: DossierInput, _ r: GateRequest) async throws -> WriteResult {
        try checkPurpose(r)
        guard let type = profile.dossierTypes[input.type] else {
            throw GuichetError.invalid("unknown dossier type '\(GuichetError.echo(input.type))' (expected one of: \(profile.dossierTypes.keys.sorted().joined(separator: ", ")))")
        }
        var fields = try dossierFields(input.fields, type: type, creating: true).setValues
        var written = Array(fields.keys)
        // Fields the registry fills in (`default: today`) when the request leaves them out:
        // journalled as written, but not asked of the policy (the caller did not write them).
        var defaulted: [String] = []
        for spec in type.fields where spec.defaultsToToday && fields[spec.name] == nil {
            fields[spec.name] = .date(today())
            defaulted.append(spec.name)
        }
        var links: [PersonLink] = []
        var newPersons: [NewPerson] = []
        for link in type.persons {
            let count = input.persons.filter { $0.role == link.role }.count
            guard (link.min...link.max).contains(count) else {
                throw GuichetError.invalid("a '\(type.name)' dossier links \(link.min) to \(link.max) '\(link.role)'")
            }
        }
        let now = clock()
        var clashes: [String] = []
        for person in input.persons {
            guard type.persons.contains(where: { $0.role == person.role }) else {
                throw GuichetError.invalid("unknown person role '\(GuichetError.echo(person.role))' (expected one of: \(type.persons.map(\.role).joined(separator: ", ")))")
            }
            switch person {
            case .caller(let role):
                guard let me = r.principal.person else { throw GuichetError.invalid("your account has no person to link") }
                guard !links.contains(PersonLink(role: role, person: me)) else { throw GuichetError.invalid("the same person is linked twice") }
                links.append(PersonLink(role: role, person: me))
            case .new(let role, let input):
                let values = try personFields(input, prefix: role + ".", creating: true).setValues
                var person = try newPerson(values)
                // A citizen's new person with a national identifier already on file (another
                // family's child's health-insurance number): stored, not made searchable, and
                // alerted, as a sign-up is (an API audit: staff searching by it found both).
                if r.principal.kind == .citizen {
                    let (kept, clashing) = try await withoutClashingIdentifiers(person)
                    person = kept
                    clashes += clashing.map { "\(role).\($0)" }
                }
                links.append(PersonLink(role: role, person: person.record.id))
                newPersons.append(person)
                written += values.keys.map { "\(role).\($0)" }
            }
        }
        try await checkPartners(input.partners, type: type)
        if !input.partners.isEmpty { written.append("partners") }
        let firstPartner = try await input.partners.first.asyncMap { try await store.organisation($0) }
        let id = DossierID()
        let (key, wrapped) = try sealing { try vault.newSubjectKey(subject: id.rawValue) }
        let sealed = try sealing { try vault.seal(fields, subject: id.rawValue, key: key, dossierType: type.name) }
        let record = DossierRecord(id: id, type: type.name, status: type.workflow.initial,
                                   organisation: r.principal.kind == .citizen ? nil : r.principal.organisation,
                                   // A file staff open starts in their own caseload.
                                   assignedAgent: r.principal.kind == .staff ? r.principal.account : nil,
                                   territory: firstPartner??.territory, version: 1,
                                   fields: sealed, persons: links, partners: input.partners,
                                   createdAt: now, updatedAt: now, key: wrapped)
        let grant = try await allow(.create, record, writing: written, r)
        let access = [AllowedAccess(dossier: record.id, grant: grant, persons: links.map(\.person), fields: (written + defaulted).sorted())]
        if r.principal.kind == .citizen, let most = type.perCitizen, let me = r.principal.person {
            // Counted and created one at a time: two registrations sent at the same instant
            // would both have found none open (an attacker's order, in parallel).
            let made = newPersons, typeName = type.name, final = type.workflow.final
            try await Turnstile.registrations.run { [self] in
                try await createCounted(record, made, access, most: most, of: typeName, final: final, linking: me, r)
            }
        } else {
            try await journalledWrite(access, action: .create, r)
            try await store.create(dossier: record, newPersons: newPersons, by: r.principal.account)
        }
        await noteFiledIdentityClash(r, fields: clashes)
        return WriteResult(id: record.id, status: record.status, version: 1, persons: links)
    }

    /// Whether a citizen already holds as many open files of this type as the profile allows
    /// (`perCitizen`): the pages then offer no new application, and say why (an everyday
    /// users' audit: a job seeker filled the whole form in, then met a 409). False for anyone
    /// but a citizen, and for a type without a limit.
    public func holdsMostFiles(of typeName: String, _ r: GateRequest) async throws -> Bool {
        guard r.principal.kind == .citizen, let me = r.principal.person, let type = profile.dossierTypes[typeName],
              let most = type.perCitizen else { return false }
        return try await liveDossiers(linking: me).filter { $0.type == typeName && !type.workflow.final.contains($0.status) }.count >= most
    }

    /// A citizen's creation of a dossier of a type that allows `most` open ones linking the
    /// citizen's person: refused with 409 when that many are open, else journalled and made.
    func createCounted(_ record: DossierRecord, _ newPersons: [NewPerson], _ access: [AllowedAccess], most: Int, of type: String,
                       final: Set<String>, linking me: PersonID, _ r: GateRequest) async throws {
        let open = try await liveDossiers(linking: me).filter { $0.type == type && !final.contains($0.status) }
        if open.count >= most {
            throw GuichetError.conflict("you have a file of this kind already (a person may have \(most)): change it rather than make another")
        }
        try await journalledWrite(access, action: .create, r)
        try await store.create(dossier: record, newPersons: newPersons, by: r.principal.account)
    }

    /// Decides on a record not yet stored (creation): 403 with a journal entry when refused,
    /// or when the caller may not write every field asked.
    func allow(_ action: Action, _ record: DossierRecord, writing: [String], _ r: GateRequest) async throws -> Grant {
        switch policy.decide(r.principal.subject, action, record.facts, purpose: r.purpose) {
        case .deny(let denial):
            try await refuse(.forbidden("your role may not \(action) this dossier"), reason: denial.description, action: action, dossiers: [], r)
        case .allow(let grant):
            try await checkWritable(grant, writing, action: action, dossier: nil, r)
            return grant
        }
    }

    func checkWritable(_ grant: Grant, _ paths: [String], action: Action, dossier: DossierID?, _ r: GateRequest) async throws {
        if let path = paths.sorted().first(where: { !grant.writable.contains($0) }) {
            try await refuse(.forbidden("your role may not set '\(path)'"), reason: "field-not-writable", action: action,
                             dossiers: dossier.map { [$0] } ?? [], r)
        }
    }

    /// Changes fields and partners of a dossier; the previous version is kept.
    public func update(_ id: DossierID, _ changes: DossierChanges, _ r: GateRequest) async throws -> WriteResult {
        let (record, grant) = try await authorise(id, .update, r)
        guard let type = profile.dossierTypes[record.type] else { throw GuichetError.notFound }
        guard !type.workflow.final.contains(record.status) else {
            throw GuichetError.conflict("a dossier in state '\(record.status)' can no longer be changed")
        }
        if let expected = changes.expectedVersion, expected != record.version {
            throw GuichetError.conflict("the dossier changed since version \(expected); read it again")
        }
        let values = try dossierFields(changes.fields, type: type, creating: false)
        if let partners = changes.partners { try await checkPartners(partners, type: type) }
        guard !values.isEmpty || changes.partners != nil else { throw GuichetError.invalid("nothing to change") }
        let written = Array(values.keys) + (changes.partners == nil ? [] : ["partners"])
        try await checkWritable(grant, written, action: .update, dossier: id, r)
        var updated = record
        updated.fields = try reseal(record, try appended(values, to: record, type: type))
        if let partners = changes.partners { updated.partners = partners }
        try await journalledWrite([AllowedAccess(dossier: id, grant: grant, persons: [], fields: written.sorted())], action: .update, r)
        return try await save(updated, change: "update", r)
    }

    /// The values to store, with what an append-only field held kept before what is written
    /// (``FieldSpec/appends``). The field is opened here only to be sealed again: nothing of it
    /// reaches the caller, who may not be allowed to read it.
    func appended(_ values: [String: FieldValue?], to record: DossierRecord, type: DossierType) throws -> [String: FieldValue?] {
        var out = values
        for (name, value) in values {
            guard let spec = type.field(name), spec.appends else { continue }
            guard case .text(let added)? = value else {
                throw GuichetError.invalid("field '\(name)' keeps every entry written to it: it cannot be cleared")
            }
            let held = try sealing { try vault.open(record, persons: [:], revealing: [name]) }.fields[name]
            guard case .text(let before)? = held, !before.isEmpty else { continue }
            let joined = before + "\n" + added
            if case .text(let maxLength) = spec.type, joined.count > maxLength {
                throw GuichetError.conflict("field '\(name)' is full (at most \(maxLength) characters): nothing was added")
            }
            out[name] = .text(joined)
        }
        return out
    }

    func reseal(_ d: DossierRecord, _ values: [String: FieldValue?]) throws -> SealedFields {
        try sealing { try vault.reseal(d.fields, changing: values, subject: d.id.rawValue, wrapped: d.key, dossierType: d.type) }
    }

    func save(_ record: DossierRecord, change: String, notice: Bool = false, _ r: GateRequest) async throws -> WriteResult {
        do {
            let version = try await store.update(dossier: record, at: clock(), by: r.principal.account, change: change, notice: notice)
            return WriteResult(id: record.id, status: record.status, version: version, persons: record.persons)
        } catch StoreError.versionConflict {
            throw GuichetError.conflict("the dossier changed meanwhile; read it again")
        }
    }

    /// Moves a dossier along its workflow (`withdraw` is the withdrawal, never a deletion).
    /// - Parameter expectedVersion: the version the caller read, if it says: another is a 409.
    public func transition(_ id: DossierID, _ name: String, _ r: GateRequest, expectedVersion: Int? = nil) async throws -> WriteResult {
        guard profile.dossierTypes.values.contains(where: { $0.workflow.transitions[name] != nil }) else {
            throw GuichetError.invalid("unknown transition '\(GuichetError.echo(name))'")
        }
        let action: Action = name == "withdraw" ? .withdraw : .transition(name)
        let (record, grant) = try await authorise(id, action, r)
        guard let transition = profile.dossierTypes[record.type]?.workflow.transitions[name] else {
            throw GuichetError.invalid("unknown transition '\(name)' for this dossier type")
        }
        if let expectedVersion, expectedVersion != record.version {
            throw GuichetError.conflict("the dossier changed since version \(expectedVersion); read it again")
        }
        guard transition.from.contains(record.status) else {
            throw GuichetError.conflict("cannot '\(name)' a dossier in state '\(record.status)' (allowed from: \(transition.from.sorted().joined(separator: ", ")))")
        }
        if let by = transition.by {
            // Only the organisation the field names (place05: the daycare that offered the place
            // closes it, not another service the family chose; a controls audit).
            let named = try sealing { try vault.publicValues(record.fields, names: [by], dossierType: record.type)[by] }
            guard let own = r.principal.organisation, named == .text(own.rawValue) else {
                try await refuse(.forbidden("only the organisation recorded in '\(by)' may '\(name)' this dossier"), reason: "transition-by",
                                 action: action, dossiers: [id], r)
            }
        }
        guard let capacity = transition.capacity else { return try await apply(transition, record, grant, action, r) }
        // One at a time, the count and the write: two offers cannot take the last place.
        return try await Turnstile.places.run {
            guard let current = try await self.store.dossier(id), current.version == record.version else {
                throw GuichetError.conflict("the dossier changed meanwhile: read it again, then retry")
            }
            try await self.checkCapacity(capacity, type: record.type, r)
            return try await self.apply(transition, record, grant, action, r)
        }
    }

    /// The day of the gate's clock (UTC), as transitions and defaults record it, and against
    /// which a `max: today` date is checked.
    public func today() -> LocalDate {
        let c = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: clock())
        guard let d = LocalDate(year: c.year!, month: c.month!, day: c.day!) else { preconditionFailure("a calendar day is a valid date") }
        return d
    }

    func apply(_ transition: Transition, _ record: DossierRecord, _ grant: Grant, _ action: Action, _ r: GateRequest) async throws -> WriteResult {
        let id = record.id
        var updated = record
        updated.status = transition.to
        var sets: [String: FieldValue?] = [:]
        for (field, attribute) in transition.sets {
            switch attribute {
            case .organisation: sets[field] = r.principal.organisation.map { .text($0.rawValue) }
            case .account: sets[field] = .text(r.principal.account.rawValue)
            case .today: sets[field] = .date(today())
            }
        }
        if !sets.isEmpty { updated.fields = try reseal(record, sets) }
        try await journalledWrite([AllowedAccess(dossier: id, grant: grant, persons: [], fields: ["status"] + sets.keys.sorted())],
                                action: action, r)
        // A notice (the offer e-mail) goes to the outbox with the transition, in one transaction.
        return try await save(updated, change: transition.name, notice: transition.notice != nil && transition.to == updated.status, r)
    }

    /// Restores a kept version as a new version (admins). Nothing is lost: the version
    /// replaced stays in the history too.
    public func restore(_ id: DossierID, version: Int, _ r: GateRequest) async throws -> WriteResult {
        guard r.principal.hasFreshSecondFactor(now: clock()) else {
            throw GuichetError.forbidden("restoring needs a second factor verified in the last 5 minutes: verify it again, then retry")
        }
        let (current, grant) = try await authorise(id, .restore, r)
        guard version >= 1, version < current.version, var old = try await store.dossier(id, atVersion: version) else {
            throw GuichetError.invalid("version \(version) is not an earlier version of this dossier")
        }
        old = DossierRecord(id: id, type: old.type, status: old.status, organisation: old.organisation,
                            assignedAgent: old.assignedAgent, territory: old.territory, version: current.version,
                            fields: old.fields, persons: old.persons, partners: old.partners,
                            createdAt: old.createdAt, updatedAt: old.updatedAt, key: current.key)
        try await journalledWrite([AllowedAccess(dossier: id, grant: grant, persons: [], fields: ["version"])], action: .restore, r)
        return try await save(old, change: "restore of version \(version)", r)
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        switch self { case .some(let w): return try await transform(w); case .none: return nil }
    }
}
