public import Foundation
public import GuichetCore
@_spi(VaultOnly) public import GuichetStore
import PostgresNIO

/// Dossiers and persons on PostgreSQL: the same rows as SQLite's store (links by role and
/// position, partners by rank, every version kept as the same snapshot bytes), a dossier read
/// in one statement.
extension PostgresStore {
    // MARK: writing

    /// Stores a new dossier, its new persons, links and partners, and version 1 of each.
    public func create(dossier d: DossierRecord, newPersons: [NewPerson], by: AccountID?, change: String = "create") async throws {
        try await transaction { c in
            for p in newPersons { try await Self.insert(c, person: p, at: d.createdAt, by: by, change: change) }
            try await Self.insert(c, dossier: d, by: by, change: change)
        }
    }

    /// Stores many dossiers and their new persons in one transaction (import and synthetic data).
    public func importBatch(_ items: [(DossierRecord, [NewPerson])], by: AccountID?) async throws {
        let writes = bulkWrites
        try await transaction { c in try await Self.insert(c, importing: items, by: by, writes: writes) }
    }

    /// The rows of a batch, written the way `writes` says: the same rows either way.
    static func insert(_ c: PostgresConnection, importing items: [(DossierRecord, [NewPerson])], by: AccountID?,
                       writes: PostgresBulkWrites) async throws {
        switch writes {
        case .copy: try await copy(c, importing: items, by: by)
        case .arrays: try await insert(c, importing: items, by: by)
        }
    }

    /// The rows of a batch streamed table by table with `COPY … FROM STDIN` (text format). The same rows as the `unnest` path below, in the same order; a search
    /// term given twice for one person is written once (the `unnest` path's `ON CONFLICT DO
    /// NOTHING`), and a person's last birth-year tag wins (its `DO UPDATE`). The persons are all
    /// new, so no row of theirs can be in the tables already.
    static func copy(_ c: PostgresConnection, importing items: [(DossierRecord, [NewPerson])], by: AccountID?) async throws {
        let change = "import", author = by?.rawValue
        var keys = CopyRows(), persons = CopyRows(), termRows = CopyRows(), yearRows = CopyRows()
        var seenTerms = Set<[String]>(), years: [(person: String, tag: String)] = [], yearIndex: [String: Int] = [:]
        for (d, newPersons) in items {
            for p in newPersons {
                guard let key = p.record.key else { preconditionFailure("a new person has a data key") }
                let id = p.record.id.rawValue, at = d.createdAt.millis
                keys.text(id); keys.int(key.kekVersion); keys.bytes(key.bytes); keys.int(at); keys.endRow()
                // Version 1 in `person` alone, with its author and kind of change (store-v12).
                persons.text(id); persons.int(1); persons.bytes(p.record.fields.bytes); persons.int(at)
                persons.text(author); persons.text(change); persons.endRow()
                for t in p.terms {
                    if t.field == PersonTerm.birthYearField {
                        if let i = yearIndex[id] { years[i].tag = t.term } else { yearIndex[id] = years.count; years.append((id, t.term)) }
                    } else if seenTerms.insert([t.field, t.term, id]).inserted {
                        termRows.text(t.field); termRows.text(t.term); termRows.text(id); termRows.endRow()
                    }
                }
            }
        }
        for (person, tag) in years { yearRows.text(person); yearRows.text(tag); yearRows.endRow() }
        try await keys.send(c, table: "data_key", columns: ["subject_id", "kek_version", "wrapped", "created_at"], logger: logger)
        try await persons.send(c, table: "person", columns: ["id", "version", "fields", "updated_at", "changed_by", "change"], logger: logger)
        try await termRows.send(c, table: "person_term", columns: ["field", "term", "person_id"], logger: logger)
        try await yearRows.send(c, table: "person_birth_year", columns: ["person_id", "tag"], logger: logger)

        // Dossiers in id order, their data keys, links, partners and first versions.
        var dKeys = CopyRows(), dossiers = CopyRows(), links = CopyRows(), partners = CopyRows(), dVersions = CopyRows()
        for d in items.map(\.0).sorted(by: { $0.id.rawValue < $1.id.rawValue }) {
            guard let key = d.key else { preconditionFailure("a new dossier has a data key") }
            let id = d.id.rawValue
            dKeys.text(id); dKeys.int(key.kekVersion); dKeys.bytes(key.bytes); dKeys.int(d.createdAt.millis); dKeys.endRow()
            dossiers.text(id); dossiers.text(d.type); dossiers.text(d.status); dossiers.text(d.organisation?.rawValue)
            dossiers.text(d.assignedAgent?.rawValue); dossiers.text(d.territory); dossiers.int(1); dossiers.bytes(d.fields.bytes)
            dossiers.int(d.createdAt.millis); dossiers.int(d.updatedAt.millis); dossiers.endRow()
            var positions: [String: Int] = [:]
            for p in d.persons {
                let position = positions[p.role, default: 0]
                positions[p.role] = position + 1
                links.text(id); links.text(p.person.rawValue); links.text(p.role); links.int(position); links.endRow()
            }
            for (rank, o) in d.partners.enumerated() { partners.text(id); partners.text(o.rawValue); partners.int(rank + 1); partners.endRow() }
            dVersions.text(id); dVersions.int(1); dVersions.bytes(try DossierSnapshot(d).encoded()); dVersions.int(d.createdAt.millis)
            dVersions.text(author); dVersions.text(change); dVersions.endRow()
        }
        try await dKeys.send(c, table: "data_key", columns: ["subject_id", "kek_version", "wrapped", "created_at"], logger: logger)
        try await dossiers.send(c, table: "dossier", columns: ["id", "type", "status", "organisation_id", "assigned_agent_id", "territory",
                                                               "version", "fields", "created_at", "updated_at"], logger: logger)
        try await links.send(c, table: "dossier_person", columns: ["dossier_id", "person_id", "role", "position"], logger: logger)
        try await partners.send(c, table: "dossier_partner", columns: ["dossier_id", "organisation_id", "rank"], logger: logger)
        try await dVersions.send(c, table: "dossier_version", columns: ["dossier_id", "version", "snapshot", "changed_at", "changed_by", "change"],
                                 logger: logger)
    }

    /// The rows of a batch written table by table, one statement per table (arrays through
    /// `unnest`), not row by row: a batch of 1,000 lines is about ten round trips instead of
    /// about 20,000. The same rows as ``insert(_:person:at:by:change:)`` and
    /// ``insert(_:dossier:by:change:)`` write one at a time (the parity suites compare them
    /// with SQLite's); persons first, then dossiers in id order, then their links.
    static func insert(_ c: PostgresConnection, importing items: [(DossierRecord, [NewPerson])], by: AccountID?) async throws {
        let change = "import", author = by?.rawValue
        // Persons (all new) and their data keys.
        var ids: [String] = [], versions: [Int] = [], keys: [ByteBuffer] = [], fields: [ByteBuffer] = [], times: [Int64] = []
        var termFields: [String] = [], terms: [String] = [], termPersons: [String] = [], yearPersons: [String] = [], years: [String] = []
        for (d, persons) in items {
            for p in persons {
                guard let key = p.record.key else { preconditionFailure("a new person has a data key") }
                let id = p.record.id.rawValue
                ids.append(id); versions.append(key.kekVersion); keys.append(ByteBuffer(bytes: key.bytes))
                fields.append(ByteBuffer(bytes: p.record.fields.bytes)); times.append(d.createdAt.millis)
                for t in p.terms {
                    if t.field == PersonTerm.birthYearField { yearPersons.append(id); years.append(t.term) } else {
                        termFields.append(t.field); terms.append(t.term); termPersons.append(id)
                    }
                }
            }
        }
        if !ids.isEmpty {
            try await c.query("""
                INSERT INTO data_key(subject_id, kek_version, wrapped, created_at)
                SELECT * FROM unnest(\(ids)::text[], \(versions)::int[], \(keys)::bytea[], \(times)::bigint[])
                """, logger: logger)
            try await c.query("""
                INSERT INTO person(id, version, fields, updated_at, changed_by, change)
                SELECT i, 1, f, t, \(author)::text, \(change) FROM unnest(\(ids)::text[], \(fields)::bytea[], \(times)::bigint[]) AS u(i, f, t)
                """, logger: logger)
        }
        if !terms.isEmpty {
            try await c.query("""
                INSERT INTO person_term(field, term, person_id) SELECT * FROM unnest(\(termFields)::text[], \(terms)::text[], \(termPersons)::text[])
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        if !years.isEmpty {
            try await c.query("""
                INSERT INTO person_birth_year(person_id, tag) SELECT * FROM unnest(\(yearPersons)::text[], \(years)::text[])
                ON CONFLICT (person_id) DO UPDATE SET tag = excluded.tag
                """, logger: logger)
        }
        // Dossiers in id order, their data keys, links, partners and first versions.
        let dossiers = items.map(\.0).sorted { $0.id.rawValue < $1.id.rawValue }
        guard !dossiers.isEmpty else { return }
        var dIDs: [String] = [], dVersions: [Int] = [], dKeys: [ByteBuffer] = [], types: [String] = [], statuses: [String] = []
        var organisations: [String] = [], agents: [String] = [], territories: [String] = []
        var noOrganisation: [Bool] = [], noAgent: [Bool] = [], noTerritory: [Bool] = []
        var dFields: [ByteBuffer] = [], created: [Int64] = [], updated: [Int64] = [], snapshots: [ByteBuffer] = []
        var linkDossiers: [String] = [], linkPersons: [String] = [], linkRoles: [String] = [], linkPlaces: [Int] = []
        var partnerDossiers: [String] = [], partners: [String] = [], ranks: [Int] = []
        for d in dossiers {
            guard let key = d.key else { preconditionFailure("a new dossier has a data key") }
            let id = d.id.rawValue
            dIDs.append(id); dVersions.append(key.kekVersion); dKeys.append(ByteBuffer(bytes: key.bytes))
            types.append(d.type); statuses.append(d.status)
            // Optional columns travel as a value and whether it is absent (NULL).
            organisations.append(d.organisation?.rawValue ?? ""); noOrganisation.append(d.organisation == nil)
            agents.append(d.assignedAgent?.rawValue ?? ""); noAgent.append(d.assignedAgent == nil)
            territories.append(d.territory ?? ""); noTerritory.append(d.territory == nil)
            dFields.append(ByteBuffer(bytes: d.fields.bytes)); created.append(d.createdAt.millis); updated.append(d.updatedAt.millis)
            snapshots.append(ByteBuffer(bytes: try DossierSnapshot(d).encoded()))
            var positions: [String: Int] = [:]
            for p in d.persons {
                let position = positions[p.role, default: 0]
                positions[p.role] = position + 1
                linkDossiers.append(id); linkPersons.append(p.person.rawValue); linkRoles.append(p.role); linkPlaces.append(position)
            }
            for (rank, o) in d.partners.enumerated() { partnerDossiers.append(id); partners.append(o.rawValue); ranks.append(rank + 1) }
        }
        try await c.query("""
            INSERT INTO data_key(subject_id, kek_version, wrapped, created_at)
            SELECT * FROM unnest(\(dIDs)::text[], \(dVersions)::int[], \(dKeys)::bytea[], \(created)::bigint[])
            """, logger: logger)
        try await c.query("""
            INSERT INTO dossier(id, type, status, organisation_id, assigned_agent_id, territory, version, fields, created_at, updated_at)
            SELECT i, ty, s, CASE WHEN no THEN NULL ELSE o END, CASE WHEN na THEN NULL ELSE a END, CASE WHEN nt THEN NULL ELSE te END, 1, f, c, u
            FROM unnest(\(dIDs)::text[], \(types)::text[], \(statuses)::text[], \(organisations)::text[], \(noOrganisation)::bool[], \(agents)::text[],
                        \(noAgent)::bool[], \(territories)::text[], \(noTerritory)::bool[], \(dFields)::bytea[], \(created)::bigint[], \(updated)::bigint[])
                AS u(i, ty, s, o, no, a, na, te, nt, f, c, u)
            """, logger: logger)
        if !linkDossiers.isEmpty {
            try await c.query("""
                INSERT INTO dossier_person(dossier_id, person_id, role, position)
                SELECT * FROM unnest(\(linkDossiers)::text[], \(linkPersons)::text[], \(linkRoles)::text[], \(linkPlaces)::int[])
                """, logger: logger)
        }
        if !partnerDossiers.isEmpty {
            try await c.query("""
                INSERT INTO dossier_partner(dossier_id, organisation_id, rank)
                SELECT * FROM unnest(\(partnerDossiers)::text[], \(partners)::text[], \(ranks)::int[])
                """, logger: logger)
        }
        try await c.query("""
            INSERT INTO dossier_version(dossier_id, version, snapshot, changed_at, changed_by, change)
            SELECT i, 1, s, c, \(author)::text, \(change) FROM unnest(\(dIDs)::text[], \(snapshots)::bytea[], \(created)::bigint[]) AS u(i, s, c)
            """, logger: logger)
    }

    static func insert(_ c: PostgresConnection, person p: NewPerson, at: Date, by: AccountID?, change: String) async throws {
        guard let key = p.record.key else { preconditionFailure("a new person has a data key") }
        let id = p.record.id.rawValue, fields = p.record.fields.bytes
        try await c.query("""
            INSERT INTO data_key(subject_id, kek_version, wrapped, created_at) VALUES (\(id), \(key.kekVersion), \(key.bytes), \(at.millis))
            """, logger: logger)
        try await c.query("""
            INSERT INTO person(id, version, fields, updated_at, changed_by, change) VALUES (\(id), 1, \(fields), \(at.millis), \(by?.rawValue), \(change))
            """, logger: logger)
        try await writeTerms(c, person: p.record.id, terms: p.terms)
    }

    /// Writes a person's search terms (the birth year's tag to its own table), after removing
    /// those of `fields` when they are replaced.
    static func writeTerms(_ c: PostgresConnection, person: PersonID, terms: [PersonTerm], replacing fields: Set<String>? = nil) async throws {
        let id = person.rawValue
        if let fields {
            let plain = fields.filter { $0 != PersonTerm.birthYearField }.sorted()
            if !plain.isEmpty { try await c.query("DELETE FROM person_term WHERE person_id = \(id) AND field = ANY(\(plain))", logger: logger) }
            if fields.contains(PersonTerm.birthYearField) { try await c.query("DELETE FROM person_birth_year WHERE person_id = \(id)", logger: logger) }
        }
        let plain = terms.filter { $0.field != PersonTerm.birthYearField }
        if !plain.isEmpty {
            try await c.query("""
                INSERT INTO person_term(field, term, person_id) SELECT f, t, \(id) FROM unnest(\(plain.map(\.field))::text[], \(plain.map(\.term))::text[]) AS u(f, t)
                ON CONFLICT DO NOTHING
                """, logger: logger)
        }
        for t in terms where t.field == PersonTerm.birthYearField {
            try await c.query("""
                INSERT INTO person_birth_year(person_id, tag) VALUES (\(id), \(t.term)) ON CONFLICT (person_id) DO UPDATE SET tag = excluded.tag
                """, logger: logger)
        }
    }

    /// The dossier's own rows (its key, the dossier, links, partners, version 1).
    static func insert(_ c: PostgresConnection, dossier d: DossierRecord, by: AccountID?, change: String) async throws {
        guard let key = d.key else { preconditionFailure("a new dossier has a data key") }
        let id = d.id.rawValue
        try await c.query("""
            INSERT INTO data_key(subject_id, kek_version, wrapped, created_at) VALUES (\(id), \(key.kekVersion), \(key.bytes), \(d.createdAt.millis))
            """, logger: logger)
        try await c.query("""
            INSERT INTO dossier(id, type, status, organisation_id, assigned_agent_id, territory, version, fields, created_at, updated_at)
            VALUES (\(id), \(d.type), \(d.status), \(d.organisation?.rawValue), \(d.assignedAgent?.rawValue), \(d.territory), 1, \(d.fields.bytes),
                \(d.createdAt.millis), \(d.updatedAt.millis))
            """, logger: logger)
        try await writeLinks(c, d)
        try await c.query("""
            INSERT INTO dossier_version(dossier_id, version, snapshot, changed_at, changed_by, change)
            VALUES (\(id), 1, \(try DossierSnapshot(d).encoded()), \(d.createdAt.millis), \(by?.rawValue), \(change))
            """, logger: logger)
    }

    static func writeLinks(_ c: PostgresConnection, _ d: DossierRecord) async throws {
        let id = d.id.rawValue
        try await c.query("DELETE FROM dossier_person WHERE dossier_id = \(id)", logger: logger)
        try await c.query("DELETE FROM dossier_partner WHERE dossier_id = \(id)", logger: logger)
        var positions: [String: Int] = [:], persons: [String] = [], roles: [String] = [], places: [Int] = []
        for p in d.persons {
            let position = positions[p.role, default: 0]
            positions[p.role] = position + 1
            persons.append(p.person.rawValue); roles.append(p.role); places.append(position)
        }
        if !persons.isEmpty {
            try await c.query("""
                INSERT INTO dossier_person(dossier_id, person_id, role, position)
                SELECT \(id), p, r, n FROM unnest(\(persons)::text[], \(roles)::text[], \(places)::int[]) AS u(p, r, n)
                """, logger: logger)
        }
        if !d.partners.isEmpty {
            try await c.query("""
                INSERT INTO dossier_partner(dossier_id, organisation_id, rank)
                SELECT \(id), o, n::int FROM unnest(\(d.partners.map(\.rawValue))::text[]) WITH ORDINALITY AS u(o, n)
                """, logger: logger)
        }
    }

    /// Saves a changed dossier as a new version, if it is still at `d.version`.
    /// - Throws: ``StoreError/versionConflict`` when someone else changed it first.
    @discardableResult
    public func update(dossier d: DossierRecord, at: Date, by: AccountID?, change: String, notice: Bool = false) async throws -> Int {
        try await transaction { c in
            let updated = try await c.query("""
                UPDATE dossier SET status = \(d.status), fields = \(d.fields.bytes), version = version + 1, updated_at = \(at.millis)
                WHERE id = \(d.id.rawValue) AND version = \(d.version) RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect()
            guard !updated.isEmpty else { throw StoreError.versionConflict }
            try await Self.writeLinks(c, d)
            try await c.query("""
                INSERT INTO dossier_version(dossier_id, version, snapshot, changed_at, changed_by, change)
                VALUES (\(d.id.rawValue), \(d.version + 1), \(try DossierSnapshot(d).encoded()), \(at.millis), \(by?.rawValue), \(change))
                """, logger: Self.logger)
            if notice {
                try await c.query("""
                    INSERT INTO notice_outbox(dossier_id, version, transition, created_at, next_at)
                    VALUES (\(d.id.rawValue), \(d.version + 1), \(change), \(at.millis), \(at.millis))
                    """, logger: Self.logger)
            }
            return d.version + 1
        }
    }

    /// Saves changed person fields as a new version, if still at `expectedVersion`.
    public func update(person id: PersonID, expectedVersion: Int, fields: SealedFields, terms: [PersonTerm],
                       termFields: Set<String>, at: Date, by: AccountID?, change: String) async throws {
        try await transaction { c in
            let updated = try await c.query("""
                UPDATE person SET fields = \(fields.bytes), version = version + 1, updated_at = \(at.millis), changed_by = \(by?.rawValue), change = \(change)
                WHERE id = \(id.rawValue) AND version = \(expectedVersion) RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect()
            guard !updated.isEmpty else { throw StoreError.versionConflict }
            // An erasure that committed since the caller read the person: its search terms
            // must not come back. The key's row is read locked: an erasure shreds the key
            // before it deletes the terms, so either it waits for this transaction and then
            // deletes the terms written here, or this read waits for it and sees the key gone.
            // (Locked by subject only: a condition on `wrapped` would be read from the last
            // committed version and skip the row an erasure is changing, without waiting.)
            let shredded = try await c.query("""
                SELECT (wrapped IS NULL)::int FROM data_key WHERE subject_id = \(id.rawValue) FOR SHARE
                """, logger: Self.logger).decode(Int.self).collect()
            guard !shredded.contains(1) else { throw StoreError.notFound }
            try await Self.writeTerms(c, person: id, terms: terms, replacing: termFields)
        }
    }

    // MARK: reading

    /// The columns of a dossier read: the row, its lifecycle marks, its key, its links.
    static let dossierColumns = """
        SELECT d.id, d.type, d.status, d.organisation_id, d.assigned_agent_id, d.territory, d.version, d.fields, d.created_at, d.updated_at,
            l.archived_at, l.erased_at, k.kek_version, k.wrapped,
            ARRAY(SELECT p.role FROM dossier_person p WHERE p.dossier_id = d.id ORDER BY p.role, p.position),
            ARRAY(SELECT p.person_id FROM dossier_person p WHERE p.dossier_id = d.id ORDER BY p.role, p.position),
            ARRAY(SELECT o.organisation_id FROM dossier_partner o WHERE o.dossier_id = d.id ORDER BY o.rank)
        FROM dossier d LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id LEFT JOIN data_key k ON k.subject_id = d.id
        """
    typealias DossierRow = (String, String, String, String?, String?, String?, Int, Data, Int64, Int64, Int64?, Int64?, Int?, Data?,
                            [String], [String], [String])

    static func dossier(_ r: DossierRow) -> DossierRecord {
        let key = r.13.flatMap { w in r.12.map { WrappedKey(kekVersion: $0, bytes: w) } }
        let mark = r.10 == nil && r.11 == nil ? nil : LifecycleMark(archivedAt: r.10.map(Date.init(millis:)), erasedAt: r.11.map(Date.init(millis:)))
        return DossierRecord(id: DossierID(trusted: r.0), type: r.1, status: r.2, organisation: r.3.map(OrganisationID.init(trusted:)),
                             assignedAgent: r.4.map(AccountID.init(trusted:)), territory: r.5, version: r.6, fields: SealedFields(bytes: r.7),
                             persons: zip(r.14, r.15).map { PersonLink(role: $0, person: PersonID(trusted: $1)) },
                             partners: r.16.map(OrganisationID.init(trusted:)), createdAt: Date(millis: r.8), updatedAt: Date(millis: r.9),
                             key: key, lifecycle: mark)
    }

    static func dossiers(_ c: PostgresConnection, _ ids: [DossierID]) async throws -> [DossierRecord] {
        guard !ids.isEmpty else { return [] }
        var binds = PostgresBindings()
        binds.append(ids.map(\.rawValue))
        let found = try await c.query(PostgresQuery(unsafeSQL: dossierColumns + " WHERE d.id = ANY($1)", binds: binds),
                                      logger: logger).decode(DossierRow.self).collect().map(dossier)
        let byID = Dictionary(found.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        return ids.compactMap { byID[$0] }
    }

    /// One dossier with its links, or nil.
    public func dossier(_ id: DossierID) async throws -> DossierRecord? {
        try await read { c in try await Self.dossiers(c, [id]).first }
    }

    /// Several dossiers, in the order asked (missing ones left out).
    public func dossiers(_ ids: [DossierID]) async throws -> [DossierRecord] {
        try await read { c in try await Self.dossiers(c, ids) }
    }

    /// A dossier and the persons it links, on one connection.
    public func dossierAndPersons(_ id: DossierID) async throws -> (DossierRecord, [PersonID: PersonRecord])? {
        guard let d = try await dossier(id) else { return nil }
        return (d, try await persons(d.persons.map(\.person)))
    }

    /// Dossiers linking a person, whatever the role.
    public func dossierIDs(linking person: PersonID) async throws -> [DossierID] {
        try await read { c in
            try await c.query("SELECT DISTINCT dossier_id FROM dossier_person WHERE person_id = \(person.rawValue) ORDER BY dossier_id", logger: Self.logger)
                .decode(String.self).collect().map(DossierID.init(trusted:))
        }
    }

    /// The kept versions of a dossier, newest first (metadata only).
    public func versions(of id: DossierID) async throws -> [VersionInfo] {
        try await read { c in
            try await c.query("""
                SELECT version, changed_at, changed_by, change, snapshot FROM dossier_version WHERE dossier_id = \(id.rawValue) ORDER BY version DESC
                """, logger: Self.logger).decode((Int, Int64, String?, String, Data).self).collect().map { r in
                VersionInfo(version: r.0, changedAt: Date(millis: r.1), changedBy: r.2.map(AccountID.init(trusted:)), change: r.3,
                            status: try JSONDecoder().decode(DossierSnapshot.self, from: r.4).status)
            }
        }
    }

    /// The dossier as it was at `version` (same id and metadata, old status, fields and links).
    public func dossier(_ id: DossierID, atVersion version: Int) async throws -> DossierRecord? {
        try await read { c in
            guard let current = try await Self.dossiers(c, [id]).first,
                  let row = try await c.query("""
                      SELECT snapshot, changed_at FROM dossier_version WHERE dossier_id = \(id.rawValue) AND version = \(version)
                      """, logger: Self.logger).decode((Data, Int64).self).collect().first else { return nil }
            return try JSONDecoder().decode(DossierSnapshot.self, from: row.0).applied(to: current, version: version, changedAt: Date(millis: row.1))
        }
    }

    /// The versions of a person's fields, newest first (metadata only; `status` is empty): the
    /// current one, then those it replaced (`person_version`).
    public func personVersions(of id: PersonID) async throws -> [VersionInfo] {
        try await read { c in
            guard let row = try await c.query("SELECT version, updated_at, changed_by, change FROM person WHERE id = \(id.rawValue)", logger: Self.logger)
                .decode((Int, Int64, String?, String?).self).collect().first else { return [] }
            var out = [VersionInfo(version: row.0, changedAt: Date(millis: row.1), changedBy: row.2.map(AccountID.init(trusted:)), change: row.3 ?? "unrecorded", status: "")]
            out += try await c.query("""
                SELECT version, changed_at, changed_by, change FROM person_version WHERE person_id = \(id.rawValue) AND version < \(row.0) ORDER BY version DESC
                """, logger: Self.logger).decode((Int, Int64, String?, String).self).collect().map { r in
                VersionInfo(version: r.0, changedAt: Date(millis: r.1), changedBy: r.2.map(AccountID.init(trusted:)), change: r.3, status: "")
            }
            return out
        }
    }

    /// A person's sealed fields as they were at `version`, a version a change replaced.
    public func personFields(_ id: PersonID, atVersion version: Int) async throws -> SealedFields? {
        try await read { c in
            try await c.query("SELECT fields FROM person_version WHERE person_id = \(id.rawValue) AND version = \(version)", logger: Self.logger)
                .decode(Data.self).collect().first.map(SealedFields.init(bytes:))
        }
    }

    /// Whether any person carries this search term (a blind index) for this field.
    public func personCarries(field: String, term: String) async throws -> Bool {
        try await read { c in
            try await c.query("SELECT EXISTS (SELECT 1 FROM person_term WHERE field = \(field) AND term = \(term))", logger: Self.logger)
                .decode(Bool.self).collect().first ?? false
        }
    }

    /// Dossier ids matching a query, in id order, after the cursor.
    public func search(_ q: DossierQuery) async throws -> [DossierID] {
        var sql = "SELECT d.id FROM dossier d WHERE d.type = $1"
        var binds = PostgresBindings()
        binds.append(q.type)
        func bind(_ v: some PostgresNonThrowingEncodable & Sendable) -> String { binds.append(v); return "$\(binds.count)" }
        if let status = q.status { sql += " AND d.status = \(bind(status))" }
        if !q.scope.contains(.any) {
            guard !q.scope.isEmpty else { return [] }
            var parts: [String] = []
            for s in q.scope {
                switch s {
                case .any: break
                case .linkedPerson(let p, let roles):
                    parts.append("d.id IN (SELECT dossier_id FROM dossier_person WHERE person_id = \(bind(p.rawValue)) AND role = ANY(\(bind(roles.sorted()))))")
                case .partner(let o): parts.append("d.id IN (SELECT dossier_id FROM dossier_partner WHERE organisation_id = \(bind(o.rawValue)))")
                case .organisation(let o): parts.append("d.organisation_id = \(bind(o.rawValue))")
                case .assigned(let a): parts.append("d.assigned_agent_id = \(bind(a.rawValue))")
                case .territory(let t): parts.append("d.territory = \(bind(t))")
                }
            }
            sql += " AND (" + parts.joined(separator: " OR ") + ")"
        }
        for t in q.terms {
            sql += " AND d.id IN (SELECT dp.dossier_id FROM person_term t JOIN dossier_person dp ON dp.person_id = t.person_id"
                + " WHERE t.field = \(bind(t.field)) AND t.term = \(bind(t.term)) AND dp.role = \(bind(t.role)))"
        }
        if let after = q.after { sql += " AND d.id > \(bind(after.rawValue))" }
        sql += " ORDER BY d.id LIMIT \(bind(q.limit))"
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await read { c in try await c.query(query, logger: Self.logger).decode(String.self).collect().map(DossierID.init(trusted:)) }
    }

    /// Counts dossiers of a type by status (public statistics; no personal data).
    public func countByStatus(type: String) async throws -> [String: Int] {
        try await read { c in
            var out = Dictionary(uniqueKeysWithValues: try await c.query("SELECT status, COUNT(*)::int FROM dossier WHERE type = \(type) GROUP BY status",
                                                                         logger: Self.logger).decode((String, Int).self).collect())
            // Erased ones left out, as the published tables leave them out (SQLite's store says why).
            for (status, n) in try await c.query("""
                SELECT d.status, COUNT(*)::int FROM dossier_lifecycle l JOIN dossier d ON d.id = l.dossier_id
                WHERE l.erased_at IS NOT NULL AND d.type = \(type) GROUP BY d.status
                """, logger: Self.logger).decode((String, Int).self).collect() {
                let left = (out[status] ?? 0) - n
                out[status] = left > 0 ? left : nil
            }
            return out
        }
    }

    // MARK: the notice outbox

    /// Takes up to `limit` notices that are due, and holds them for `lease` seconds so that
    /// another server does not send them too (the rows are locked, and skipped by a server
    /// that finds them locked).
    public func claimDueNotices(now: Date, limit: Int, lease: TimeInterval) async throws -> [PendingNotice] {
        try await transaction { c in
            try await c.query("""
                UPDATE notice_outbox o SET next_at = \(now.addingTimeInterval(lease).millis)
                FROM (SELECT dossier_id, version FROM notice_outbox WHERE status = 'pending' AND next_at <= \(now.millis)
                      ORDER BY next_at LIMIT \(limit) FOR UPDATE SKIP LOCKED) due
                WHERE o.dossier_id = due.dossier_id AND o.version = due.version
                RETURNING o.dossier_id, o.version, o.transition, o.created_at, o.attempts
                """, logger: Self.logger).decode((String, Int, String, Int64, Int).self).collect().map {
                PendingNotice(dossier: DossierID(trusted: $0.0), version: $0.1, transition: $0.2, createdAt: Date(millis: $0.3), attempts: $0.4)
            }
        }
    }

    /// Records how a notice's attempt ended.
    public func noticeAttempted(_ n: PendingNotice, status: String, retryAt: Date?, at: Date) async throws {
        precondition(["sent", "superseded", "failed", "pending"].contains(status), "a notice's status is one of the table's")
        try await transaction { c in
            try await c.query("""
                UPDATE notice_outbox SET attempts = attempts + 1, status = \(status), next_at = COALESCE(\(retryAt?.millis), next_at),
                    done_at = \(status == "pending" ? nil : at.millis) WHERE dossier_id = \(n.dossier.rawValue) AND version = \(n.version)
                """, logger: Self.logger)
        }
    }

    // MARK: metadata

    /// PostgreSQL's clock (readiness compares this server's with it).
    public func databaseClock() async throws -> Date? {
        try await read { c in
            try await c.query("SELECT (extract(epoch FROM clock_timestamp()) * 1000)::bigint", logger: Self.logger)
                .decode(Int64.self).collect().first.map { Date(millis: $0) }
        }
    }

    /// A value from the metadata table (profile name, creation time).
    public func meta(_ key: String) async throws -> String? {
        try await read { c in try await c.query("SELECT value FROM meta WHERE key = \(key)", logger: Self.logger).decode(String.self).collect().first }
    }

    /// Sets a metadata value.
    public func setMeta(_ key: String, _ value: String) async throws {
        try await transaction { c in
            try await c.query("INSERT INTO meta(key, value) VALUES (\(key), \(value)) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                              logger: Self.logger)
        }
    }
}
