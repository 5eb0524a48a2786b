public import Foundation
public import GuichetCore
import GRDB

extension Store {
    /// Stores many new persons (sealed, each with its wrapped data key and blind-index terms),
    /// each at its version 1, in one transaction: the bulk path of an import.
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

    /// Stores new persons table by table. Into the registry's tables, each table in the order
    /// of its primary key (ids sorted; search terms sorted by field, term and person): the
    /// inserts of a batch then go through each B-tree in one pass instead of jumping between
    /// its pages at random. Into a stage, in the batch's order: a stage has no key, and its
    /// move sorts it (issue 18: sorting was a quarter of a staged batch's writing). The rows
    /// and checks are those of ``insert(_:person:at:by:change:)`` for each person, bound
    /// through ``RawStatement``.
    /// - Precondition: every person has a data key.
    static func insert(_ db: Database, persons: [(person: NewPerson, at: Date)], by: AccountID?, change: String, into t: ImportTables = .live) throws {
        guard !persons.isEmpty else { return }
        let inKeyOrder = t.prefix.isEmpty
        let sorted = inKeyOrder ? persons.sorted { $0.person.record.id.rawValue < $1.person.record.id.rawValue } : persons
        for (p, at) in sorted {
            guard let k = p.record.key else { preconditionFailure("a new person has a data key") }
            try insertKey(db, subject: p.record.id.rawValue, k, at: at, into: t)
        }
        // Version 1 is the current version, in `person` alone (with its author and kind of
        // change): `person_version` holds only the versions a change replaced, so the sealed
        // fields are written once (issue 18).
        let person = try RawStatement(db, "INSERT INTO \(t("person"))(id, version, fields, updated_at, changed_by, change) VALUES (?, 1, ?, ?, ?, ?)")
        for (p, at) in sorted {
            try person.run {
                try $0.text(1, p.record.id.rawValue); try $0.blob(2, p.record.fields.bytes); try $0.int(3, at.millis)
                try $0.text(4, by?.rawValue); try $0.text(5, change)
            }
        }
        let term = try RawStatement(db, "INSERT OR IGNORE INTO \(t("person_term"))(field, term, person_id) VALUES (?, ?, ?)")
        let year = try RawStatement(db, "INSERT OR REPLACE INTO \(t("person_birth_year"))(person_id, tag) VALUES (?, ?)")
        guard inKeyOrder else {
            for (p, _) in sorted {
                for pt in p.terms {
                    if pt.field == PersonTerm.birthYearField {
                        try year.run { try $0.text(1, p.record.id.rawValue); try $0.text(2, pt.term) }
                    } else {
                        try term.run { try $0.text(1, pt.field); try $0.text(2, pt.term); try $0.text(3, p.record.id.rawValue) }
                    }
                }
            }
            return
        }
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
        for t in terms { try term.run { try $0.text(1, t.field); try $0.text(2, t.term); try $0.text(3, t.person) } }
        // Already in the order of person_birth_year's key (the persons are sorted).
        for y in years { try year.run { try $0.text(1, y.person); try $0.text(2, y.tag) } }
    }
}
