public import GuichetCore
public import Foundation
import GRDB

/// Fields kept for a legal duty through an erasure (GDPR art. 17(3)(b)), as stored: sealed
/// under a data key of their own (subject ``subject``), which the erasure does not destroy.
public struct KeptRecord: Sendable, Equatable {
    public let id: String
    public let dossier: DossierID
    /// The person each kept person path belongs to (`seeker.registryId` → the seeker's id).
    public let persons: [String: PersonID]
    public let fields: SealedFields
    /// Nil once shredded (the kept term is over).
    public let key: WrappedKey?
    public let keptAt: Date
    public let keptUntil: Date
    public init(id: String, dossier: DossierID, persons: [String: PersonID], fields: SealedFields, key: WrappedKey?, keptAt: Date, keptUntil: Date) {
        self.id = id; self.dossier = dossier; self.persons = persons; self.fields = fields; self.key = key
        self.keptAt = keptAt; self.keptUntil = keptUntil
    }

    /// The data key's subject: `kept:<id>` (never a dossier's or a person's id).
    public var subject: String { Self.subject(id) }
    public static func subject(_ id: String) -> String { "kept:\(id)" }
}

extension Store {
    /// Inserts kept fields and their data keys, inside an erasure's transaction.
    static func insertKept(_ db: Database, _ kept: [KeptRecord]) throws {
        let stmt = try db.cachedStatement(sql: """
            INSERT INTO kept_fields(id, dossier_id, persons, fields, kept_at, kept_until) VALUES (?, ?, ?, ?, ?, ?)
            """)
        for k in kept {
            guard let key = k.key else { preconditionFailure("kept fields are stored with their data key") }
            try insertKey(db, subject: k.subject, key, at: k.keptAt)
            let persons = String(decoding: try JSONEncoder().encode(k.persons.mapValues(\.rawValue)), as: UTF8.self)
            try stmt.execute(arguments: [k.id, k.dossier.rawValue, persons, k.fields.bytes, k.keptAt.millis, k.keptUntil.millis])
        }
    }

    /// The kept fields of a dossier (every erasure that kept some), oldest first, with their
    /// keys (nil once shredded).
    public func kept(dossier: DossierID) async throws -> [KeptRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.*, k.kek_version, k.wrapped FROM kept_fields f LEFT JOIN data_key k ON k.subject_id = 'kept:' || f.id
                WHERE f.dossier_id = ? ORDER BY f.kept_at, f.id
                """, arguments: [dossier.rawValue]).map(Self.keptRecord)
        }
    }

    /// Kept fields whose term is over (`kept_until` at or before `now`) and whose key is live.
    public func expiredKept(at now: Date, limit: Int) async throws -> [KeptRecord] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.*, k.kek_version, k.wrapped FROM kept_fields f JOIN data_key k ON k.subject_id = 'kept:' || f.id
                WHERE f.kept_until <= ? AND k.wrapped IS NOT NULL ORDER BY f.kept_until, f.id LIMIT ?
                """, arguments: [now.millis, limit]).map(Self.keptRecord)
        }
    }

    /// Shreds the keys of kept fields (their term is over). Returns how many were live.
    public func shredKept(_ ids: [String], at: Date) async throws -> Int {
        try await writeErasing { db in
            let shred = try db.cachedStatement(sql: "UPDATE data_key SET wrapped = NULL, shredded_at = ? WHERE subject_id = ? AND wrapped IS NOT NULL")
            var n = 0
            for id in ids { try shred.execute(arguments: [at.millis, KeptRecord.subject(id)]); n += db.changesCount }
            return n
        }
    }

    static func keptRecord(_ row: Row) throws -> KeptRecord {
        let persons = try JSONDecoder().decode([String: String].self, from: Data((row["persons"] as String).utf8))
        let key = (row["wrapped"] as Data?).map { WrappedKey(kekVersion: row["kek_version"], bytes: $0) }
        return KeptRecord(id: row["id"], dossier: DossierID(trusted: row["dossier_id"]), persons: persons.mapValues(PersonID.init(trusted:)),
                          fields: SealedFields(bytes: row["fields"]), key: key, keptAt: Date(millis: row["kept_at"]),
                          keptUntil: Date(millis: row["kept_until"]))
    }
}
