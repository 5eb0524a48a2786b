public import Foundation
public import GuichetCore
@_spi(VaultOnly) public import GuichetStore
import NIOCore
import PostgresNIO

/// Retention on PostgreSQL: lifecycle marks, archiving, erasure with its kept fields, and the
/// data keys (counts, rotation, crypto-shredding). The same rows and the same answers as
/// SQLite's `Store+Lifecycle`, `Store+Kept` and `Store+Keys`.
///
/// Text is ordered with `COLLATE "C"` (bytewise, as SQLite orders it), so that identifiers,
/// which mix cases, come in the same order whatever the database's collation.
///
/// Where SQLite's single writer makes a check-then-write exact, a row lock does it here:
/// ``erase(dossiers:persons:at:kept:)`` locks the persons' rows before checking that they are
/// left without a live dossier or an account, ``erase(person:dossiers:at:kept:)`` locks the
/// dossiers' rows before checking that every linked person is shredded, and
/// ``rewrapBatch(to:limit:_:)`` locks the keys it re-wraps (so that a key shredded meanwhile is
/// never written back).
extension PostgresStore {
    // MARK: lifecycle marks

    /// The lifecycle mark of a dossier; nil when it was never archived nor erased.
    public func lifecycle(_ id: DossierID) async throws -> LifecycleMark? {
        try await lifecycle([id])[id]
    }

    /// The lifecycle marks of several dossiers (those that have one).
    public func lifecycle(_ ids: [DossierID]) async throws -> [DossierID: LifecycleMark] {
        guard !ids.isEmpty else { return [:] }
        return try await read { c in
            let rows = try await c.query("""
                SELECT dossier_id, archived_at, erased_at FROM dossier_lifecycle WHERE dossier_id = ANY(\(ids.map(\.rawValue)))
                """, logger: Self.logger).decode((String, Int64?, Int64?).self).collect()
            var out: [DossierID: LifecycleMark] = [:]
            for (id, archived, erased) in rows {
                out[DossierID(trusted: id)] = LifecycleMark(archivedAt: archived.map(Date.init(millis:)), erasedAt: erased.map(Date.init(millis:)))
            }
            return out
        }
    }

    /// Dossiers of a type in a state, last changed at or before `changedBefore`, that the step
    /// has not done yet (an erased dossier is never archived), in order of last change then id,
    /// after `after` (the last candidate of the previous batch). The index
    /// `dossier_by_type_status_age` bounds the scan to the dossiers due.
    public func retentionCandidates(type: String, state: String, step: RetentionStep, changedBefore: Date,
                                    after: RetentionCandidate?, limit: Int) async throws -> [RetentionCandidate] {
        let archiving = step == .archive
        return try await read { c in
            let rows = try await c.query("""
                SELECT d.id, d.updated_at, COALESCE(
                    (SELECT array_agg(dp.person_id ORDER BY dp.role COLLATE "C", dp.position) FROM dossier_person dp WHERE dp.dossier_id = d.id),
                    '{}'::text[])
                FROM dossier d LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id
                WHERE d.type = \(type) AND d.status = \(state) AND d.updated_at <= \(changedBefore.millis)
                  AND (d.updated_at, d.id COLLATE "C") > (\(after?.changedAt.millis ?? Int64.min), \(after?.dossier.rawValue ?? "") COLLATE "C")
                  AND l.erased_at IS NULL AND (NOT \(archiving) OR l.archived_at IS NULL)
                ORDER BY d.updated_at, d.id COLLATE "C" LIMIT \(limit)
                """, logger: Self.logger).decode((String, Int64, [String]).self).collect()
            return rows.map { RetentionCandidate(dossier: DossierID(trusted: $0.0), changedAt: Date(millis: $0.1), persons: $0.2.map(PersonID.init(trusted:))) }
        }
    }

    /// Of these persons, those that erasing `dossiers` leaves with no dossier that is not
    /// erased, and that no account is linked to (a citizen's own person stays with the account).
    public func personsFreed(_ persons: [PersonID], erasing dossiers: Set<DossierID>) async throws -> [PersonID] {
        try await self.persons(persons, leftWithout: dossiers, archived: false)
    }

    /// Of these persons, those that archiving `dossiers` leaves with no dossier that is live
    /// (neither archived nor erased), and that no account is linked to: their data keys go
    /// under the archive KEK with the dossiers.
    public func personsArchived(_ persons: [PersonID], archiving dossiers: Set<DossierID>) async throws -> [PersonID] {
        try await self.persons(persons, leftWithout: dossiers, archived: true)
    }

    /// Of these persons (each once, by id), those whose dossiers still counted (not erased;
    /// not archived either when `archived`) are all among `dossiers`, and that no account is
    /// linked to. A read: ``erase(dossiers:persons:at:kept:)`` checks again under lock.
    private func persons(_ persons: [PersonID], leftWithout dossiers: Set<DossierID>, archived: Bool) async throws -> [PersonID] {
        let ids = Set(persons.map(\.rawValue)).sorted()
        guard !ids.isEmpty else { return [] }
        let set = dossiers.map(\.rawValue)
        let kept = try await read { c in
            try await c.query("""
                SELECT p FROM unnest(\(ids)::text[]) AS u(p)
                WHERE NOT EXISTS (SELECT 1 FROM account a WHERE a.person_id = u.p)
                  AND NOT EXISTS (SELECT 1 FROM dossier_person dp LEFT JOIN dossier_lifecycle l ON l.dossier_id = dp.dossier_id
                                  WHERE dp.person_id = u.p AND l.erased_at IS NULL AND (NOT \(archived) OR l.archived_at IS NULL)
                                    AND NOT (dp.dossier_id = ANY(\(set)::text[])))
                """, logger: Self.logger).decode(String.self).collect()
        }
        let freed = Set(kept)
        return ids.filter(freed.contains).map(PersonID.init(trusted:))
    }

    // MARK: archiving

    /// Marks dossiers archived (those not archived nor erased yet). Returns how many.
    /// - Parameter rewrapped: data keys re-wrapped under the archive KEK (subject → key),
    ///   stored in the same transaction as the marks (live keys only: a shredded one stays so,
    ///   which the `UPDATE … WHERE wrapped IS NOT NULL` re-checks against a concurrent shred).
    public func archive(_ ids: [DossierID], at: Date, rewrapped: [String: WrappedKey] = [:]) async throws -> Int {
        try await transaction { c in
            var n = 0
            if !ids.isEmpty {
                // Each id once: a repeated one counts once, as SQLite's second insert changes nothing.
                n = try await c.query("""
                    INSERT INTO dossier_lifecycle(dossier_id, archived_at) SELECT DISTINCT u.id, \(at.millis)::bigint FROM unnest(\(ids.map(\.rawValue))::text[]) AS u(id)
                    ON CONFLICT (dossier_id) DO UPDATE SET archived_at = excluded.archived_at
                    WHERE dossier_lifecycle.archived_at IS NULL AND dossier_lifecycle.erased_at IS NULL
                    RETURNING 1::int
                    """, logger: Self.logger).decode(Int.self).collect().count
            }
            if !rewrapped.isEmpty {
                let keys = rewrapped.sorted { $0.key < $1.key }
                try await c.query("""
                    UPDATE data_key k SET kek_version = u.v, wrapped = u.w
                    FROM unnest(\(keys.map(\.key))::text[], \(keys.map(\.value.kekVersion))::int[], \(keys.map { ByteBuffer(bytes: $0.value.bytes) })::bytea[]) AS u(s, v, w)
                    WHERE k.subject_id = u.s AND k.wrapped IS NOT NULL
                    """, logger: Self.logger)
            }
            return n
        }
    }

    /// The live wrapped data keys of these subjects (shredded or unknown ones are absent).
    public func wrappedKeys(_ subjects: [String]) async throws -> [String: WrappedKey] {
        guard !subjects.isEmpty else { return [:] }
        return try await read { c in
            let rows = try await c.query("""
                SELECT subject_id, kek_version, wrapped FROM data_key WHERE subject_id = ANY(\(subjects)) AND wrapped IS NOT NULL
                """, logger: Self.logger).decode((String, Int, Data).self).collect()
            var out: [String: WrappedKey] = [:]
            for (s, v, w) in rows { out[s] = WrappedKey(kekVersion: v, bytes: w) }
            return out
        }
    }

    // MARK: erasure

    /// Erases in one transaction: marks the dossiers erased and shreds their data keys, then
    /// shreds the data keys of the persons given (and removes their search terms), each only
    /// if it still has no dossier that is not erased and no account (checked again here).
    /// Returns the persons actually shredded (in the order given, as SQLite does).
    ///
    /// The persons' rows are locked (`FOR UPDATE`) before the check: linking a person to a
    /// dossier or an account takes a key-share lock on its row, so no link can appear between
    /// the check and the shred, and two erasures sharing a person see each other's marks.
    /// - Parameter kept: fields kept for a legal duty, sealed under their own keys, stored in
    ///   the same transaction (erased and kept together, or neither).
    public func erase(dossiers: [DossierID], persons: [PersonID], at: Date, kept: [KeptRecord] = []) async throws -> [PersonID] {
        try await transaction { c in
            try await Self.insertKept(c, kept)
            let ids = dossiers.map(\.rawValue)
            if !ids.isEmpty {
                try await c.query("""
                    INSERT INTO dossier_lifecycle(dossier_id, erased_at) SELECT DISTINCT u.id, \(at.millis)::bigint FROM unnest(\(ids)::text[]) AS u(id)
                    ON CONFLICT (dossier_id) DO UPDATE SET erased_at = excluded.erased_at WHERE dossier_lifecycle.erased_at IS NULL
                    """, logger: Self.logger)
                try await Self.shred(c, subjects: ids, at: at)
            }
            let asked = Set(persons.map(\.rawValue)).sorted()
            guard !asked.isEmpty else { return [] }
            _ = try await c.query("SELECT 1::int FROM person WHERE id = ANY(\(asked)) ORDER BY id FOR UPDATE", logger: Self.logger).decode(Int.self).collect()
            let held = Set(try await c.query("""
                SELECT p FROM unnest(\(asked)::text[]) AS u(p)
                WHERE EXISTS (SELECT 1 FROM account a WHERE a.person_id = u.p)
                   OR EXISTS (SELECT 1 FROM dossier_person dp LEFT JOIN dossier_lifecycle l ON l.dossier_id = dp.dossier_id
                              WHERE dp.person_id = u.p AND l.erased_at IS NULL)
                """, logger: Self.logger).decode(String.self).collect())
            let done = persons.filter { !held.contains($0.rawValue) }
            let freed = Set(done.map(\.rawValue)).sorted()
            if !freed.isEmpty {
                try await Self.shred(c, subjects: freed, at: at)
                try await Self.deleteTerms(c, persons: freed)
            }
            return done
        }
    }

    /// Erases one person at their request: shreds their data key and search terms, then marks
    /// erased (and shreds) each of `dossiers` whose every linked person is now shredded.
    /// Returns the dossiers erased (in the order given).
    ///
    /// The dossiers' rows are locked (`FOR UPDATE`) first: no person can be linked to them
    /// meanwhile, and of two persons of one dossier erased at once, the second sees the first
    /// shredded and erases the dossier, as it would after it on SQLite.
    /// - Parameter kept: fields kept for a legal duty, stored in the same transaction.
    public func erase(person: PersonID, dossiers: [DossierID], at: Date, kept: [KeptRecord] = []) async throws -> [DossierID] {
        try await transaction { c in
            let ids = Set(dossiers.map(\.rawValue)).sorted()
            let locked = Set(ids + kept.map(\.dossier.rawValue)).sorted()
            if !locked.isEmpty {
                _ = try await c.query("SELECT 1::int FROM dossier WHERE id = ANY(\(locked)) ORDER BY id FOR UPDATE", logger: Self.logger).decode(Int.self).collect()
            }
            try await Self.insertKept(c, kept)
            try await Self.shred(c, subjects: [person.rawValue], at: at)
            try await Self.deleteTerms(c, persons: [person.rawValue])
            guard !ids.isEmpty else { return [] }
            let live = Set(try await c.query("""
                SELECT DISTINCT dp.dossier_id FROM dossier_person dp JOIN data_key k ON k.subject_id = dp.person_id
                WHERE dp.dossier_id = ANY(\(ids)) AND k.wrapped IS NOT NULL
                """, logger: Self.logger).decode(String.self).collect())
            let erased = dossiers.filter { !live.contains($0.rawValue) }
            let marked = Set(erased.map(\.rawValue)).sorted()
            if !marked.isEmpty {
                try await c.query("""
                    INSERT INTO dossier_lifecycle(dossier_id, erased_at) SELECT u.id, \(at.millis)::bigint FROM unnest(\(marked)::text[]) AS u(id)
                    ON CONFLICT (dossier_id) DO UPDATE SET erased_at = excluded.erased_at WHERE dossier_lifecycle.erased_at IS NULL
                    """, logger: Self.logger)
                try await Self.shred(c, subjects: marked, at: at)
            }
            return erased
        }
    }

    /// Shreds the live keys of these subjects. Returns the subjects whose key was live.
    @discardableResult
    static func shred(_ c: PostgresConnection, subjects: [String], at: Date) async throws -> [String] {
        try await c.query("""
            UPDATE data_key SET wrapped = NULL, shredded_at = \(at.millis) WHERE subject_id = ANY(\(subjects)) AND wrapped IS NOT NULL
            RETURNING subject_id
            """, logger: logger).decode(String.self).collect()
    }

    /// Removes persons' search terms and birth-year tags.
    static func deleteTerms(_ c: PostgresConnection, persons: [String]) async throws {
        try await c.query("DELETE FROM person_term WHERE person_id = ANY(\(persons))", logger: logger)
        try await c.query("DELETE FROM person_birth_year WHERE person_id = ANY(\(persons))", logger: logger)
    }

    // MARK: kept fields

    /// Inserts kept fields and their data keys, inside an erasure's transaction.
    static func insertKept(_ c: PostgresConnection, _ kept: [KeptRecord]) async throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        for k in kept {
            guard let key = k.key else { preconditionFailure("kept fields are stored with their data key") }
            let persons = String(decoding: try encoder.encode(k.persons.mapValues(\.rawValue)), as: UTF8.self)
            try await c.query("""
                INSERT INTO data_key(subject_id, kek_version, wrapped, created_at) VALUES (\(k.subject), \(key.kekVersion), \(key.bytes), \(k.keptAt.millis))
                """, logger: logger)
            try await c.query("""
                INSERT INTO kept_fields(id, dossier_id, persons, fields, kept_at, kept_until)
                VALUES (\(k.id), \(k.dossier.rawValue), \(persons), \(k.fields.bytes), \(k.keptAt.millis), \(k.keptUntil.millis))
                """, logger: logger)
        }
    }

    /// The kept fields of a dossier (every erasure that kept some), oldest first, with their
    /// keys (nil once shredded).
    public func kept(dossier: DossierID) async throws -> [KeptRecord] {
        try await read { c in
            try await c.query("""
                SELECT f.id, f.dossier_id, f.persons, f.fields, f.kept_at, f.kept_until, k.kek_version, k.wrapped
                FROM kept_fields f LEFT JOIN data_key k ON k.subject_id = 'kept:' || f.id
                WHERE f.dossier_id = \(dossier.rawValue) ORDER BY f.kept_at, f.id COLLATE "C"
                """, logger: Self.logger).decode(KeptRow.self).collect().map(Self.keptRecord)
        }
    }

    /// Kept fields whose term is over (`kept_until` at or before `now`) and whose key is live.
    public func expiredKept(at now: Date, limit: Int) async throws -> [KeptRecord] {
        try await read { c in
            try await c.query("""
                SELECT f.id, f.dossier_id, f.persons, f.fields, f.kept_at, f.kept_until, k.kek_version, k.wrapped
                FROM kept_fields f JOIN data_key k ON k.subject_id = 'kept:' || f.id
                WHERE f.kept_until <= \(now.millis) AND k.wrapped IS NOT NULL ORDER BY f.kept_until, f.id COLLATE "C" LIMIT \(limit)
                """, logger: Self.logger).decode(KeptRow.self).collect().map(Self.keptRecord)
        }
    }

    /// Shreds the keys of kept fields (their term is over). Returns how many were live.
    public func shredKept(_ ids: [String], at: Date) async throws -> Int {
        guard !ids.isEmpty else { return 0 }
        return try await transaction { c in try await Self.shred(c, subjects: ids.map(KeptRecord.subject), at: at).count }
    }

    typealias KeptRow = (String, String, String, Data, Int64, Int64, Int?, Data?)

    static func keptRecord(_ r: KeptRow) throws -> KeptRecord {
        let persons = try JSONDecoder().decode([String: String].self, from: Data(r.2.utf8))
        let key = r.7.flatMap { w in r.6.map { WrappedKey(kekVersion: $0, bytes: w) } }
        return KeptRecord(id: r.0, dossier: DossierID(trusted: r.1), persons: persons.mapValues(PersonID.init(trusted:)),
                          fields: SealedFields(bytes: r.3), key: key, keptAt: Date(millis: r.4), keptUntil: Date(millis: r.5))
    }

    // MARK: data keys

    /// How many live data keys each KEK version wraps, and how many subjects are shredded.
    public func dataKeyCounts() async throws -> (byVersion: [Int: Int], shredded: Int) {
        try await read { c in
            let rows = try await c.query("""
                SELECT kek_version, COUNT(*)::bigint FROM data_key WHERE wrapped IS NOT NULL GROUP BY kek_version
                UNION ALL SELECT -1, COUNT(*)::bigint FROM data_key WHERE wrapped IS NULL
                """, logger: Self.logger).decode((Int, Int).self).collect()
            var byVersion: [Int: Int] = [:], shredded = 0
            // kek_version is never negative: -1 marks the shredded count.
            for (v, n) in rows { if v == -1 { shredded = n } else { byVersion[v] = n } }
            return (byVersion, shredded)
        }
    }

    /// Re-wraps up to `limit` data keys not yet under `version`, in one transaction, with
    /// `rewrap` (the vault's). Returns how many were re-wrapped; 0 means none is left. Each
    /// batch commits on its own, so an interrupted rotation resumes where it stopped, and
    /// readers keep working throughout (both KEK versions stay available until retired).
    ///
    /// The keys are locked (`FOR UPDATE`, in subject order) as they are read: a key shredded or
    /// archived by another transaction meanwhile is re-checked after the wait and left out,
    /// so a rotation never writes back a shredded key, and two rotating servers never re-wrap
    /// one key twice.
    public func rewrapBatch(to version: Int, limit: Int,
                            _ rewrap: @escaping @Sendable (_ subject: String, WrappedKey) throws -> WrappedKey) async throws -> Int {
        try await transaction { c in
            let rows = try await c.query("""
                SELECT subject_id, kek_version, wrapped FROM data_key
                WHERE wrapped IS NOT NULL AND kek_version <> \(version) AND kek_version <> 0 ORDER BY subject_id COLLATE "C" LIMIT \(limit) FOR UPDATE
                """, logger: Self.logger).decode((String, Int, Data).self).collect()
            guard !rows.isEmpty else { return 0 }
            var subjects: [String] = [], versions: [Int] = [], bytes: [ByteBuffer] = []
            for (subject, kek, wrapped) in rows {
                let fresh = try rewrap(subject, WrappedKey(kekVersion: kek, bytes: wrapped))
                subjects.append(subject); versions.append(fresh.kekVersion); bytes.append(ByteBuffer(bytes: fresh.bytes))
            }
            try await c.query("""
                UPDATE data_key k SET kek_version = u.v, wrapped = u.w
                FROM unnest(\(subjects)::text[], \(versions)::int[], \(bytes)::bytea[]) AS u(s, v, w) WHERE k.subject_id = u.s
                """, logger: Self.logger)
            return rows.count
        }
    }

    /// Destroys a subject's data key (crypto-shredding). Returns false if there was no live key.
    @discardableResult
    public func shred(subject: String, at: Date) async throws -> Bool {
        try await transaction { c in try await !Self.shred(c, subjects: [subject], at: at).isEmpty }
    }

    /// Crypto-shreds a person: their data key, and with it their search terms (blind indexes
    /// of their names and contacts) and the keyed tag of their birth year, in one transaction,
    /// so that nothing left in the database can still find them by name or count them by age.
    /// Returns false when their key was already shredded (the terms are removed all the same).
    public func shred(person: PersonID, at: Date) async throws -> Bool {
        try await transaction { c in
            let shredded = try await !Self.shred(c, subjects: [person.rawValue], at: at).isEmpty
            try await Self.deleteTerms(c, persons: [person.rawValue])
            return shredded
        }
    }

    /// Shredded data keys after `after`, in the order of their shredding (time, then subject),
    /// through the index `data_key_shredded`.
    public func shreddings(after: Shredding?, limit: Int) async throws -> [Shredding] {
        let since = after ?? Shredding(millis: Int64.min, subject: "")
        return try await read { c in
            try await c.query("""
                SELECT shredded_at, subject_id FROM data_key WHERE shredded_at IS NOT NULL AND (shredded_at, subject_id) > (\(since.millis), \(since.subject))
                ORDER BY shredded_at, subject_id LIMIT \(limit)
                """, logger: Self.logger).decode((Int64, String).self).collect().map { Shredding(millis: $0.0, subject: $0.1) }
        }
    }

    /// One live wrapped key, to check at start-up that the key file opens this registry.
    /// Not an archived one (KEK version 0): a server may run without the archive key.
    public func anyDataKey() async throws -> (subject: String, key: WrappedKey)? {
        try await read { c in
            try await c.query("SELECT subject_id, kek_version, wrapped FROM data_key WHERE wrapped IS NOT NULL AND kek_version <> 0 LIMIT 1",
                              logger: Self.logger).decode((String, Int, Data).self).collect()
                .first.map { ($0.0, WrappedKey(kekVersion: $0.1, bytes: $0.2)) }
        }
    }

    /// Whether a subject's data key is live.
    public func hasLiveKey(_ subject: String) async throws -> Bool {
        try await read { c in
            try await !c.query("SELECT 1::int FROM data_key WHERE subject_id = \(subject) AND wrapped IS NOT NULL", logger: Self.logger)
                .decode(Int.self).collect().isEmpty
        }
    }
}
