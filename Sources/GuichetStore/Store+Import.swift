public import Foundation
public import GuichetCore
import GRDB

extension Store {
    /// Stores many new persons (sealed, each with its wrapped data key and blind-index terms)
    /// and version 1 of each, in one transaction: the bulk path of an import.
    /// - Precondition: every person has a data key (a new person always has one).
    /// - Throws: ``StoreError/duplicate(_:)`` when an id is taken; nothing is stored then.
    public func importPersons(_ persons: [NewPerson], at: Date, by: AccountID?) async throws {
        try await write { db in
            try Self.withImportCache(db, rows: persons.count) {
                try Self.insert(db, persons: persons.map { ($0, at) }, by: by, change: "import")
            }
        }
    }

    /// The page cache of the writing connection while a batch of an import is written (KiB,
    /// as `PRAGMA cache_size` takes it when negative). A batch of 8,000 persons dirties tens
    /// of thousands of pages of the tables keyed by random ids, more than the usual 64 MiB
    /// hold: SQLite would spill them to the WAL before the commit and read them back.
    static let importCacheKiB = 262_144
    static let usualCacheKiB = 65_536

    /// Runs `body` with the import's page cache when the batch is big, then puts the usual
    /// size back (so that a server does not keep the bigger cache after an import).
    static func withImportCache<T>(_ db: Database, rows: Int, _ body: () throws -> T) throws -> T {
        guard rows >= 500 else { return try body() }
        try db.execute(sql: "PRAGMA cache_size = -\(importCacheKiB)")
        defer { try? db.execute(sql: "PRAGMA cache_size = -\(usualCacheKiB)") }
        return try body()
    }

    /// Stores new persons table by table, each table in the order of its primary key (ids
    /// sorted; search terms sorted by field, term and person). The inserts of a batch then go
    /// through each B-tree in one pass instead of jumping between its pages at random. The
    /// rows and checks are those of ``insert(_:person:at:by:change:)`` for each person.
    /// - Precondition: every person has a data key.
    static func insert(_ db: Database, persons: [(person: NewPerson, at: Date)], by: AccountID?, change: String, into t: ImportTables = .live) throws {
        guard !persons.isEmpty else { return }
        let sorted = persons.sorted { $0.person.record.id.rawValue < $1.person.record.id.rawValue }
        for (p, at) in sorted {
            guard let k = p.record.key else { preconditionFailure("a new person has a data key") }
            try insertKey(db, subject: p.record.id.rawValue, k, at: at, into: t)
        }
        let person = try db.cachedStatement(sql: "INSERT INTO \(t("person"))(id, version, fields, updated_at) VALUES (?, 1, ?, ?)")
        for (p, at) in sorted { try person.execute(arguments: [p.record.id.rawValue, p.record.fields.bytes, at.millis]) }
        let version = try db.cachedStatement(sql: """
            INSERT INTO \(t("person_version"))(person_id, version, fields, changed_at, changed_by, change) VALUES (?, 1, ?, ?, ?, ?)
            """)
        for (p, at) in sorted { try version.execute(arguments: [p.record.id.rawValue, p.record.fields.bytes, at.millis, by?.rawValue, change]) }
        var terms: [(field: String, term: String, person: String)] = []
        var years: [(person: String, tag: String)] = []
        terms.reserveCapacity(sorted.count * 4)
        for (p, _) in sorted {
            for t in p.terms {
                if t.field == PersonTerm.birthYearField { years.append((p.record.id.rawValue, t.term)) } else {
                    terms.append((t.field, t.term, p.record.id.rawValue))
                }
            }
        }
        terms.sort { ($0.field, $0.term, $0.person) < ($1.field, $1.term, $1.person) }
        let term = try db.cachedStatement(sql: "INSERT OR IGNORE INTO \(t("person_term"))(field, term, person_id) VALUES (?, ?, ?)")
        for t in terms { try term.execute(arguments: [t.field, t.term, t.person]) }
        // Already in the order of person_birth_year's key (the persons are sorted).
        let year = try db.cachedStatement(sql: "INSERT OR REPLACE INTO \(t("person_birth_year"))(person_id, tag) VALUES (?, ?)")
        for y in years { try year.execute(arguments: [y.person, y.tag]) }
    }
}
