public import GuichetCore
public import Foundation
import GRDB

/// What a dossier version keeps: enough to restore the dossier exactly. Every back-end stores
/// these same bytes (`dossier_version.snapshot`).
public struct DossierSnapshot: Codable, Sendable {
    public var status: String
    public var fields: Data
    public var persons: [[String]]
    public var partners: [String]

    @_spi(VaultOnly) public init(_ d: DossierRecord) {
        status = d.status; fields = d.fields.bytes
        persons = d.persons.map { [$0.role, $0.person.rawValue] }
        partners = d.partners.map(\.rawValue)
    }
    /// The same bytes for the same version on every run and back-end (keys sorted; without
    /// that, Foundation's key order follows the process's hash seed).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// The dossier `current` as it was in this version: the same id and metadata, this
    /// version's number, time, status, fields and links. (An attacker's audit: an old version
    /// read over the admin API said the current number and time.)
    @_spi(VaultOnly) public func applied(to current: DossierRecord, version: Int, changedAt: Date) -> DossierRecord {
        DossierRecord(id: current.id, type: current.type, status: status, organisation: current.organisation,
                      assignedAgent: current.assignedAgent, territory: current.territory, version: version,
                      fields: SealedFields(bytes: fields), persons: persons.map { PersonLink(role: $0[0], person: PersonID(trusted: $0[1])) },
                      partners: partners.map(OrganisationID.init(trusted:)), createdAt: current.createdAt, updatedAt: changedAt,
                      key: current.key, lifecycle: current.lifecycle)
    }
}

/// A new person to store with its look-up terms.
public struct NewPerson: Sendable {
    public let record: PersonRecord
    public let terms: [PersonTerm]
    public init(record: PersonRecord, terms: [PersonTerm]) { self.record = record; self.terms = terms }
}

extension Store {
    /// Stores a new dossier, its new persons, links and partners, and version 1 of each.
    public func create(dossier d: DossierRecord, newPersons: [NewPerson], by: AccountID?, change: String = "create") async throws {
        try await write { db in try Self.insert(db, dossier: d, newPersons: newPersons, by: by, change: change) }
    }

    /// Stores many dossiers in one transaction (import and synthetic data).
    public func importBatch(_ items: [(DossierRecord, [NewPerson])], by: AccountID?) async throws {
        try await write { db in try Self.insert(db, importing: items, by: by) }
    }

    /// Stores imported dossiers with their new persons: the persons of every dossier first,
    /// table by table in key order (``insert(_:persons:by:change:into:)``), then the dossiers in
    /// id order (in a stage, both as they come), with the import's page cache for a big batch. Same rows as one dossier at a time.
    static func insert(_ db: Database, importing items: [(DossierRecord, [NewPerson])], by: AccountID?, into t: ImportTables = .live) throws {
        try withImportCache(db, rows: items.reduce(0) { $0 + $1.1.count }) {
            try insert(db, persons: items.flatMap { d, persons in persons.map { ($0, d.createdAt) } }, by: by, change: "import", into: t)
            // A stage has no key to keep in order (its move sorts it).
            let dossiers = t.prefix.isEmpty ? items.sorted(by: { $0.0.id.rawValue < $1.0.id.rawValue }) : items
            for (d, _) in dossiers { try insert(db, dossier: d, by: by, change: "import", into: t) }
        }
    }

    static func insert(_ db: Database, dossier d: DossierRecord, newPersons: [NewPerson], by: AccountID?, change: String) throws {
        for p in newPersons { try insert(db, person: p, at: d.createdAt, by: by, change: change) }
        try insert(db, dossier: d, by: by, change: change)
    }

    /// The dossier's own rows (its key, the dossier, links, partners, version 1); its new persons are stored already.
    static func insert(_ db: Database, dossier d: DossierRecord, by: AccountID?, change: String, into t: ImportTables = .live) throws {
        guard let key = d.key else { preconditionFailure("a new dossier has a data key") }
        try insertKey(db, subject: d.id.rawValue, key, at: d.createdAt, into: t)
        try db.cachedStatement(sql: """
            INSERT INTO \(t("dossier"))(id, type, status, organisation_id, assigned_agent_id, territory, version, fields, created_at, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?, ?)
            """).execute(arguments: [d.id.rawValue, d.type, d.status, d.organisation?.rawValue, d.assignedAgent?.rawValue,
                                     d.territory, d.fields.bytes, d.createdAt.millis, d.updatedAt.millis])
        try writeLinks(db, d, into: t, replacing: false)
        try db.cachedStatement(sql: "INSERT INTO \(t("dossier_version"))(dossier_id, version, snapshot, changed_at, changed_by, change) VALUES (?, 1, ?, ?, ?, ?)")
            .execute(arguments: [d.id.rawValue, try DossierSnapshot(d).encoded(), d.createdAt.millis, by?.rawValue, change])
    }

    static func insertKey(_ db: Database, subject: String, _ key: WrappedKey, at: Date, into t: ImportTables = .live) throws {
        try RawStatement(db, "INSERT INTO \(t("data_key"))(subject_id, kek_version, wrapped, created_at) VALUES (?, ?, ?, ?)").run {
            try $0.text(1, subject); try $0.int(2, Int64(key.kekVersion)); try $0.blob(3, key.bytes); try $0.int(4, at.millis)
        }
    }

    static func fetchKey(_ db: Database, _ subject: String) throws -> WrappedKey? {
        try Row.fetchOne(db.cachedStatement(sql: "SELECT kek_version, wrapped FROM data_key WHERE subject_id = ?"), arguments: [subject])
            .flatMap { row in (row["wrapped"] as Data?).map { WrappedKey(kekVersion: row["kek_version"], bytes: $0) } }
    }

    static func insert(_ db: Database, person p: NewPerson, at: Date, by: AccountID?, change: String) throws {
        guard let key = p.record.key else { preconditionFailure("a new person has a data key") }
        try insertKey(db, subject: p.record.id.rawValue, key, at: at)
        // Version 1 is the current version: `person` holds it with its author and kind of
        // change, and `person_version` receives it when a change replaces it (migration
        // `v-person-current-version`).
        try db.cachedStatement(sql: "INSERT INTO person(id, version, fields, updated_at, changed_by, change) VALUES (?, 1, ?, ?, ?, ?)")
            .execute(arguments: [p.record.id.rawValue, p.record.fields.bytes, at.millis, by?.rawValue, change])
        try writeTerms(db, person: p.record.id, terms: p.terms)
    }

    /// Writes a person's search terms; the birth year's tag (``PersonTerm/birthYearField``) goes
    /// to its own table.
    static func writeTerms(_ db: Database, person: PersonID, terms: [PersonTerm], replacing fields: Set<String>? = nil) throws {
        if let fields {
            let delete = try db.cachedStatement(sql: "DELETE FROM person_term WHERE person_id = ? AND field = ?")
            for f in fields where f != PersonTerm.birthYearField { try delete.execute(arguments: [person.rawValue, f]) }
            if fields.contains(PersonTerm.birthYearField) {
                try db.cachedStatement(sql: "DELETE FROM person_birth_year WHERE person_id = ?").execute(arguments: [person.rawValue])
            }
        }
        let stmt = try db.cachedStatement(sql: "INSERT OR IGNORE INTO person_term(field, term, person_id) VALUES (?, ?, ?)")
        let year = try db.cachedStatement(sql: "INSERT OR REPLACE INTO person_birth_year(person_id, tag) VALUES (?, ?)")
        for t in terms {
            if t.field == PersonTerm.birthYearField {
                try year.execute(arguments: [person.rawValue, t.term])
            } else {
                try stmt.execute(arguments: [t.field, t.term, person.rawValue])
            }
        }
    }

    /// Writes a dossier's links and partners; `replacing` first deletes those it had (a new
    /// dossier has none, and the stage of a bulk import has no index to find them by).
    static func writeLinks(_ db: Database, _ d: DossierRecord, into t: ImportTables = .live, replacing: Bool = true) throws {
        if replacing {
            try db.cachedStatement(sql: "DELETE FROM dossier_person WHERE dossier_id = ?").execute(arguments: [d.id.rawValue])
            try db.cachedStatement(sql: "DELETE FROM dossier_partner WHERE dossier_id = ?").execute(arguments: [d.id.rawValue])
        }
        var positions: [String: Int] = [:]
        let link = try db.cachedStatement(sql: "INSERT INTO \(t("dossier_person"))(dossier_id, person_id, role, position) VALUES (?, ?, ?, ?)")
        for p in d.persons {
            let position = positions[p.role, default: 0]
            positions[p.role] = position + 1
            try link.execute(arguments: [d.id.rawValue, p.person.rawValue, p.role, position])
        }
        let partner = try db.cachedStatement(sql: "INSERT INTO \(t("dossier_partner"))(dossier_id, organisation_id, rank) VALUES (?, ?, ?)")
        for (i, o) in d.partners.enumerated() { try partner.execute(arguments: [d.id.rawValue, o.rawValue, i + 1]) }
    }

    /// One dossier with its links, or nil.
    public func dossier(_ id: DossierID) async throws -> DossierRecord? {
        try await read { db in try Self.fetchDossier(db, id) }
    }

    /// Several dossiers, in the order asked (missing ones left out).
    public func dossiers(_ ids: [DossierID]) async throws -> [DossierRecord] {
        try await read { db in try ids.compactMap { try Self.fetchDossier(db, $0) } }
    }

    static func fetchDossier(_ db: Database, _ id: DossierID) throws -> DossierRecord? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT d.*, l.archived_at AS lifecycle_archived_at, l.erased_at AS lifecycle_erased_at
            FROM dossier d LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id WHERE d.id = ?
            """), arguments: [id.rawValue]) else { return nil }
        let persons = try Row.fetchAll(db.cachedStatement(sql: "SELECT person_id, role FROM dossier_person WHERE dossier_id = ? ORDER BY role, position"),
                                       arguments: [id.rawValue]).map { PersonLink(role: $0["role"], person: PersonID(trusted: $0["person_id"])) }
        let partners = try String.fetchAll(db.cachedStatement(sql: "SELECT organisation_id FROM dossier_partner WHERE dossier_id = ? ORDER BY rank"),
                                           arguments: [id.rawValue]).map(OrganisationID.init(trusted:))
        return DossierRecord(id: id, type: row["type"], status: row["status"],
                             organisation: (row["organisation_id"] as String?).map(OrganisationID.init(trusted:)),
                             assignedAgent: (row["assigned_agent_id"] as String?).map(AccountID.init(trusted:)),
                             territory: row["territory"], version: row["version"],
                             fields: SealedFields(bytes: row["fields"]), persons: persons, partners: partners,
                             createdAt: Date(millis: row["created_at"]), updatedAt: Date(millis: row["updated_at"]),
                             key: try fetchKey(db, id.rawValue), lifecycle: Self.lifecycleMark(row))
    }

    /// Persons by id.
    public func persons(_ ids: [PersonID]) async throws -> [PersonID: PersonRecord] {
        try await read { db in try Self.fetchPersons(db, ids) }
    }

    /// A dossier and the persons it links, in one read transaction: what a read of one file
    /// needs, for the price of one trip to a reader (issue 18).
    public func dossierAndPersons(_ id: DossierID) async throws -> (DossierRecord, [PersonID: PersonRecord])? {
        try await read { db in
            guard let record = try Self.fetchDossier(db, id) else { return nil }
            return (record, try Self.fetchPersons(db, record.persons.map(\.person)))
        }
    }

    static func fetchPersons(_ db: Database, _ ids: [PersonID]) throws -> [PersonID: PersonRecord] {
        var out: [PersonID: PersonRecord] = [:]
        for id in ids {
            if let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT p.version, p.fields, k.kek_version, k.wrapped FROM person p
                LEFT JOIN data_key k ON k.subject_id = p.id WHERE p.id = ?
                """), arguments: [id.rawValue]) {
                let key = (row["wrapped"] as Data?).map { WrappedKey(kekVersion: row["kek_version"], bytes: $0) }
                out[id] = PersonRecord(id: id, version: row["version"], fields: SealedFields(bytes: row["fields"]), key: key)
            }
        }
        return out
    }

    /// Stores a person on their own (a citizen signing up), with version 1.
    public func create(person: NewPerson, at: Date) async throws {
        try await write { db in try Self.insert(db, person: person, at: at, by: nil, change: "register") }
    }

    /// Dossiers linking a person, with the role of the link.
    public func dossierIDs(linking person: PersonID) async throws -> [DossierID] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT dossier_id FROM dossier_person WHERE person_id = ? ORDER BY dossier_id",
                                arguments: [person.rawValue]).map(DossierID.init(trusted:))
        }
    }

    /// Saves a changed dossier as a new version, if it is still at `d.version`.
    /// - Throws: ``StoreError/versionConflict`` when someone else changed it first.
    /// - Parameter notice: the change is a transition that owes a notice: it goes to the
    ///   notice outbox in the same transaction.
    @discardableResult
    public func update(dossier d: DossierRecord, at: Date, by: AccountID?, change: String, notice: Bool = false) async throws -> Int {
        try await write { db in
            try db.execute(sql: "UPDATE dossier SET status = ?, fields = ?, version = version + 1, updated_at = ? WHERE id = ? AND version = ?",
                           arguments: [d.status, d.fields.bytes, at.millis, d.id.rawValue, d.version])
            guard db.changesCount == 1 else { throw StoreError.versionConflict }
            try Self.writeLinks(db, d)
            try db.execute(sql: "INSERT INTO dossier_version(dossier_id, version, snapshot, changed_at, changed_by, change) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [d.id.rawValue, d.version + 1, try DossierSnapshot(d).encoded(), at.millis, by?.rawValue, change])
            if notice { try Self.insertNotice(db, dossier: d.id, version: d.version + 1, transition: change, at: at) }
            return d.version + 1
        }
    }

    /// Saves changed person fields as a new version, if still at `expectedVersion`.
    /// - Parameter termFields: the searchable fields whose terms `terms` replaces.
    public func update(person id: PersonID, expectedVersion: Int, fields: SealedFields, terms: [PersonTerm],
                       termFields: Set<String>, at: Date, by: AccountID?, change: String) async throws {
        try await write { db in
            // The version replaced goes to `person_version` by the table's trigger
            // (`person_keeps_versions`), in this statement.
            try db.execute(sql: "UPDATE person SET fields = ?, version = version + 1, updated_at = ?, changed_by = ?, change = ? WHERE id = ? AND version = ?",
                           arguments: [fields.bytes, at.millis, by?.rawValue, change, id.rawValue, expectedVersion])
            guard db.changesCount == 1 else { throw StoreError.versionConflict }
            // An erasure that committed since the caller read the person: its search terms
            // must not come back (the writer's lock orders the two transactions).
            if try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM data_key WHERE subject_id = ? AND wrapped IS NULL)", arguments: [id.rawValue]) == true {
                throw StoreError.notFound
            }
            try Self.writeTerms(db, person: id, terms: terms, replacing: termFields)
        }
    }

    /// The kept versions of a dossier, newest first (metadata only).
    public func versions(of id: DossierID) async throws -> [VersionInfo] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT version, changed_at, changed_by, change, snapshot FROM dossier_version WHERE dossier_id = ? ORDER BY version DESC",
                             arguments: [id.rawValue]).map { row in
                let snap = try JSONDecoder().decode(DossierSnapshot.self, from: row["snapshot"] as Data)
                return VersionInfo(version: row["version"], changedAt: Date(millis: row["changed_at"]),
                                   changedBy: (row["changed_by"] as String?).map(AccountID.init(trusted:)),
                                   change: row["change"], status: snap.status)
            }
        }
    }

    /// The dossier as it was at `version` (same id and metadata, old status, fields and links).
    public func dossier(_ id: DossierID, atVersion version: Int) async throws -> DossierRecord? {
        try await read { db in
            guard let current = try Self.fetchDossier(db, id),
                  let row = try Row.fetchOne(db, sql: "SELECT snapshot, changed_at FROM dossier_version WHERE dossier_id = ? AND version = ?",
                                             arguments: [id.rawValue, version]) else { return nil }
            return try JSONDecoder().decode(DossierSnapshot.self, from: row["snapshot"] as Data)
                .applied(to: current, version: version, changedAt: Date(millis: row["changed_at"]))
        }
    }

    /// The versions of a person's fields, newest first (metadata only; `status` is empty): the
    /// current one, then those it replaced (`person_version`).
    public func personVersions(of id: PersonID) async throws -> [VersionInfo] {
        try await read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT version, updated_at, changed_by, change FROM person WHERE id = ?",
                                             arguments: [id.rawValue]) else { return [] }
            let current: Int = row["version"]
            var out = [VersionInfo(version: current, changedAt: Date(millis: row["updated_at"]), changedBy: (row["changed_by"] as String?).map(AccountID.init(trusted:)),
                                   change: row["change"] ?? "unrecorded", status: "")]
            out += try Row.fetchAll(db, sql: "SELECT version, changed_at, changed_by, change FROM person_version WHERE person_id = ? AND version < ? ORDER BY version DESC",
                                    arguments: [id.rawValue, current]).map { r in
                VersionInfo(version: r["version"], changedAt: Date(millis: r["changed_at"]), changedBy: (r["changed_by"] as String?).map(AccountID.init(trusted:)),
                            change: r["change"], status: "")
            }
            return out
        }
    }

    /// A person's sealed fields as they were at `version`, a version a change replaced.
    public func personFields(_ id: PersonID, atVersion version: Int) async throws -> SealedFields? {
        try await read { db in
            try Data.fetchOne(db, sql: "SELECT fields FROM person_version WHERE person_id = ? AND version = ?", arguments: [id.rawValue, version])
                .map(SealedFields.init(bytes:))
        }
    }

    /// Whether any person carries this search term (a blind index) for this field.
    public func personCarries(field: String, term: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM person_term WHERE field = ? AND term = ?)", arguments: [field, term]) ?? false
        }
    }

    /// Dossier ids matching a query, in id order, after the cursor.
    public func search(_ q: DossierQuery) async throws -> [DossierID] {
        var sql = "SELECT d.id FROM dossier d WHERE d.type = ?"
        var args: [(any DatabaseValueConvertible)?] = [q.type]
        if let status = q.status { sql += " AND d.status = ?"; args.append(status) }
        if !q.scope.contains(.any) {
            guard !q.scope.isEmpty else { return [] }
            var parts: [String] = []
            for s in q.scope {
                switch s {
                case .any: break
                case .linkedPerson(let p, let roles):
                    let marks = Array(repeating: "?", count: roles.count).joined(separator: ",")
                    parts.append("d.id IN (SELECT dossier_id FROM dossier_person WHERE person_id = ? AND role IN (\(marks)))")
                    args.append(p.rawValue); args += roles.sorted().map { $0 }
                case .partner(let o):
                    parts.append("d.id IN (SELECT dossier_id FROM dossier_partner WHERE organisation_id = ?)"); args.append(o.rawValue)
                case .organisation(let o): parts.append("d.organisation_id = ?"); args.append(o.rawValue)
                case .assigned(let a): parts.append("d.assigned_agent_id = ?"); args.append(a.rawValue)
                case .territory(let t): parts.append("d.territory = ?"); args.append(t)
                }
            }
            sql += " AND (" + parts.joined(separator: " OR ") + ")"
        }
        for t in q.terms {
            sql += " AND d.id IN (SELECT dp.dossier_id FROM person_term t JOIN dossier_person dp ON dp.person_id = t.person_id WHERE t.field = ? AND t.term = ? AND dp.role = ?)"
            args += [t.field, t.term, t.role]
        }
        if let after = q.after { sql += " AND d.id > ?"; args.append(after.rawValue) }
        sql += " ORDER BY d.id LIMIT ?"
        args.append(q.limit)
        let finalSQL = sql
        let arguments = StatementArguments(args.map { $0?.databaseValue ?? .null })
        return try await read { db in
            try String.fetchAll(db, sql: finalSQL, arguments: arguments).map(DossierID.init(trusted:))
        }
    }

    /// Counts dossiers by type and status (public statistics; no personal data), erased ones
    /// left out, as the published tables leave them out (a lifecycle audit found them counted
    /// here only). They are subtracted, counted through the lifecycle marks, which are few
    /// beside the dossiers.
    public func countByStatus(type: String) async throws -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM dossier WHERE type = ? GROUP BY status", arguments: [type]) {
                out[row["status"]] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT d.status AS status, COUNT(*) AS n FROM dossier_lifecycle l JOIN dossier d ON d.id = l.dossier_id
                WHERE l.erased_at IS NOT NULL AND d.type = ? GROUP BY d.status
                """, arguments: [type]) {
                let status: String = row["status"], n: Int = row["n"]
                let left = (out[status] ?? 0) - n
                out[status] = left > 0 ? left : nil
            }
            return out
        }
    }

    /// The tables ``rowCounts()`` counts (the same names on PostgreSQL).
    public static let countedTables = ["organisation", "person", "person_version", "account", "session", "dossier", "dossier_person",
                                       "dossier_partner", "dossier_version", "person_term", "ledger_entry", "territory", "account_request",
                                       "account_departure", "activation_code", "claim_code", "caseload_request", "person_birth_year", "kept_fields",
                                       "departure_request"]

    /// Counts of rows per table (tests check that refused requests write nothing).
    public func rowCounts() async throws -> [String: Int] {
        try await read { db in
            var out: [String: Int] = [:]
            for t in Self.countedTables {
                out[t] = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(t)") ?? 0
            }
            return out
        }
    }
}
