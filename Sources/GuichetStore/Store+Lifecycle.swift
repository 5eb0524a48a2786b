public import GuichetCore
public import Foundation
import GRDB

/// Where a dossier stands in its retention.
public struct LifecycleMark: Sendable, Equatable {
    public let archivedAt: Date?
    public let erasedAt: Date?
    public init(archivedAt: Date?, erasedAt: Date?) { self.archivedAt = archivedAt; self.erasedAt = erasedAt }
}

/// One step of a retention rule.
public enum RetentionStep: String, Sendable { case archive, erase }

/// A dossier that a retention step reaches, with its linked persons.
public struct RetentionCandidate: Sendable, Equatable {
    public let dossier: DossierID
    /// Its last change (what its age counts from; the order of a run).
    public let changedAt: Date
    public let persons: [PersonID]
    public init(dossier: DossierID, changedAt: Date, persons: [PersonID]) {
        self.dossier = dossier; self.changedAt = changedAt; self.persons = persons
    }
}

extension Store {
    /// The lifecycle mark of a dossier; nil when it was never archived nor erased.
    public func lifecycle(_ id: DossierID) async throws -> LifecycleMark? {
        try await read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT archived_at, erased_at FROM dossier_lifecycle WHERE dossier_id = ?"),
                             arguments: [id.rawValue]).map(Self.mark)
        }
    }

    /// The lifecycle marks of several dossiers (those that have one).
    public func lifecycle(_ ids: [DossierID]) async throws -> [DossierID: LifecycleMark] {
        try await read { db in
            var out: [DossierID: LifecycleMark] = [:]
            let stmt = try db.cachedStatement(sql: "SELECT archived_at, erased_at FROM dossier_lifecycle WHERE dossier_id = ?")
            for id in ids { if let row = try Row.fetchOne(stmt, arguments: [id.rawValue]) { out[id] = Self.mark(row) } }
            return out
        }
    }

    /// The mark joined onto a dossier's row (``fetchDossier``), nil when it has none.
    static func lifecycleMark(_ row: Row) -> LifecycleMark? {
        let archived: Int64? = row["lifecycle_archived_at"], erased: Int64? = row["lifecycle_erased_at"]
        guard archived != nil || erased != nil else { return nil }
        return LifecycleMark(archivedAt: archived.map(Date.init(millis:)), erasedAt: erased.map(Date.init(millis:)))
    }

    static func mark(_ row: Row) -> LifecycleMark {
        LifecycleMark(archivedAt: (row["archived_at"] as Int64?).map(Date.init(millis:)),
                      erasedAt: (row["erased_at"] as Int64?).map(Date.init(millis:)))
    }

    /// Dossiers of a type in a state, last changed at or before `changedBefore`, that the step
    /// has not done yet (an erased dossier is never archived), in order of last change then id,
    /// after `after` (the last candidate of the previous batch). Cost follows the dossiers due
    /// (index `dossier_by_type_status_age`), not the size of the state.
    public func retentionCandidates(type: String, state: String, step: RetentionStep, changedBefore: Date,
                                    after: RetentionCandidate?, limit: Int) async throws -> [RetentionCandidate] {
        try await read { db in
            let pending = step == .archive ? "l.archived_at IS NULL AND l.erased_at IS NULL" : "l.erased_at IS NULL"
            let rows = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT d.id, d.updated_at FROM dossier d INDEXED BY dossier_by_type_status_age
                LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id
                WHERE d.type = ? AND d.status = ? AND d.updated_at <= ? AND (d.updated_at, d.id) > (?, ?) AND \(pending)
                ORDER BY d.updated_at, d.id LIMIT ?
                """), arguments: [type, state, changedBefore.millis, after?.changedAt.millis ?? Int64.min, after?.dossier.rawValue ?? "", limit])
            let links = try db.cachedStatement(sql: "SELECT person_id FROM dossier_person WHERE dossier_id = ? ORDER BY role, position")
            return try rows.map { row in
                let id: String = row["id"]
                return RetentionCandidate(dossier: DossierID(trusted: id), changedAt: Date(millis: row["updated_at"]),
                                          persons: try String.fetchAll(links, arguments: [id]).map(PersonID.init(trusted:)))
            }
        }
    }

    /// Of these persons, those that erasing `dossiers` leaves with no dossier that is not
    /// erased, and that no account is linked to (a citizen's own person stays with the account).
    public func personsFreed(_ persons: [PersonID], erasing dossiers: Set<DossierID>) async throws -> [PersonID] {
        try await self.persons(persons, leftWithout: dossiers, counting: "l.erased_at IS NULL")
    }

    /// Of these persons, those whose dossiers still counted (`live`, a condition on the
    /// lifecycle row `l`) are all among `dossiers`, and that no account is linked to.
    private func persons(_ persons: [PersonID], leftWithout dossiers: Set<DossierID>, counting live: String) async throws -> [PersonID] {
        try await read { db in
            let others = try db.cachedStatement(sql: """
                SELECT dp.dossier_id FROM dossier_person dp LEFT JOIN dossier_lifecycle l ON l.dossier_id = dp.dossier_id
                WHERE dp.person_id = ? AND \(live)
                """)
            let account = try db.cachedStatement(sql: "SELECT 1 FROM account WHERE person_id = ? LIMIT 1")
            var out: [PersonID] = []
            for p in Set(persons).sorted(by: { $0.rawValue < $1.rawValue }) {
                let still = try String.fetchAll(others, arguments: [p.rawValue]).map(DossierID.init(trusted:))
                guard still.allSatisfy(dossiers.contains), try Int.fetchOne(account, arguments: [p.rawValue]) == nil else { continue }
                out.append(p)
            }
            return out
        }
    }

    /// Marks dossiers archived (those not archived nor erased yet). Returns how many.
    /// - Parameter rewrapped: data keys re-wrapped under the archive KEK (subject → key),
    ///   stored in the same transaction as the marks (live keys only: a shredded one stays so).
    public func archive(_ ids: [DossierID], at: Date, rewrapped: [String: WrappedKey] = [:]) async throws -> Int {
        let marked = try await write { db in
            let stmt = try db.cachedStatement(sql: """
                INSERT INTO dossier_lifecycle(dossier_id, archived_at) VALUES (?, ?)
                ON CONFLICT(dossier_id) DO UPDATE SET archived_at = excluded.archived_at
                WHERE archived_at IS NULL AND erased_at IS NULL
                """)
            var n = 0
            for id in ids { try stmt.execute(arguments: [id.rawValue, at.millis]); n += db.changesCount }
            let update = try db.cachedStatement(sql: "UPDATE data_key SET kek_version = ?, wrapped = ? WHERE subject_id = ? AND wrapped IS NOT NULL")
            for (subject, key) in rewrapped { try update.execute(arguments: [key.kekVersion, key.bytes, subject]) }
            return n
        }
        // Keys re-wrapped under the archive KEK leave their ordinary wrapping behind.
        if !rewrapped.isEmpty { await purgeWAL() }
        return marked
    }

    /// Of these persons, those that archiving `dossiers` leaves with no dossier that is live
    /// (neither archived nor erased), and that no account is linked to: their data keys go
    /// under the archive KEK with the dossiers.
    public func personsArchived(_ persons: [PersonID], archiving dossiers: Set<DossierID>) async throws -> [PersonID] {
        try await self.persons(persons, leftWithout: dossiers, counting: "l.erased_at IS NULL AND l.archived_at IS NULL")
    }

    /// The live wrapped data keys of these subjects (shredded or unknown ones are absent).
    public func wrappedKeys(_ subjects: [String]) async throws -> [String: WrappedKey] {
        try await read { db in
            var out: [String: WrappedKey] = [:]
            for s in subjects { if let key = try Self.fetchKey(db, s) { out[s] = key } }
            return out
        }
    }

    /// Erases in one transaction: marks the dossiers erased and shreds their data keys, then
    /// shreds the data keys of the persons given (and removes their search terms), each only
    /// if it still has no dossier that is not erased and no account (checked again here).
    /// Returns the persons actually shredded.
    /// - Parameter kept: fields kept for a legal duty, sealed under their own keys, stored in
    ///   the same transaction (erased and kept together, or neither).
    public func erase(dossiers: [DossierID], persons: [PersonID], at: Date, kept: [KeptRecord] = []) async throws -> [PersonID] {
        try await writeErasing { db in
            try Self.insertKept(db, kept)
            let mark = try db.cachedStatement(sql: """
                INSERT INTO dossier_lifecycle(dossier_id, erased_at) VALUES (?, ?)
                ON CONFLICT(dossier_id) DO UPDATE SET erased_at = excluded.erased_at WHERE erased_at IS NULL
                """)
            let shred = try db.cachedStatement(sql: "UPDATE data_key SET wrapped = NULL, shredded_at = ? WHERE subject_id = ? AND wrapped IS NOT NULL")
            for id in dossiers {
                try mark.execute(arguments: [id.rawValue, at.millis])
                try shred.execute(arguments: [at.millis, id.rawValue])
            }
            let live = try db.cachedStatement(sql: """
                SELECT 1 FROM dossier_person dp LEFT JOIN dossier_lifecycle l ON l.dossier_id = dp.dossier_id
                WHERE dp.person_id = ? AND l.erased_at IS NULL LIMIT 1
                """)
            let account = try db.cachedStatement(sql: "SELECT 1 FROM account WHERE person_id = ? LIMIT 1")
            let terms = try db.cachedStatement(sql: "DELETE FROM person_term WHERE person_id = ?")
            let years = try db.cachedStatement(sql: "DELETE FROM person_birth_year WHERE person_id = ?")
            var done: [PersonID] = []
            for p in persons {
                guard try Int.fetchOne(live, arguments: [p.rawValue]) == nil, try Int.fetchOne(account, arguments: [p.rawValue]) == nil else { continue }
                try shred.execute(arguments: [at.millis, p.rawValue])
                try terms.execute(arguments: [p.rawValue])
                try years.execute(arguments: [p.rawValue])
                done.append(p)
            }
            return done
        }
    }

    /// Erases one person at their request: shreds their data key and search terms, then marks
    /// erased (and shreds) each of `dossiers` whose every linked person is now shredded.
    /// Returns the dossiers erased.
    /// - Parameter kept: fields kept for a legal duty, stored in the same transaction.
    public func erase(person: PersonID, dossiers: [DossierID], at: Date, kept: [KeptRecord] = []) async throws -> [DossierID] {
        try await writeErasing { db in
            try Self.insertKept(db, kept)
            let shred = try db.cachedStatement(sql: "UPDATE data_key SET wrapped = NULL, shredded_at = ? WHERE subject_id = ? AND wrapped IS NOT NULL")
            try shred.execute(arguments: [at.millis, person.rawValue])
            try db.execute(sql: "DELETE FROM person_term WHERE person_id = ?", arguments: [person.rawValue])
            try db.execute(sql: "DELETE FROM person_birth_year WHERE person_id = ?", arguments: [person.rawValue])
            let liveLinks = try db.cachedStatement(sql: """
                SELECT 1 FROM dossier_person dp JOIN data_key k ON k.subject_id = dp.person_id
                WHERE dp.dossier_id = ? AND k.wrapped IS NOT NULL LIMIT 1
                """)
            let mark = try db.cachedStatement(sql: """
                INSERT INTO dossier_lifecycle(dossier_id, erased_at) VALUES (?, ?)
                ON CONFLICT(dossier_id) DO UPDATE SET erased_at = excluded.erased_at WHERE erased_at IS NULL
                """)
            var erased: [DossierID] = []
            for d in dossiers where try Int.fetchOne(liveLinks, arguments: [d.rawValue]) == nil {
                try mark.execute(arguments: [d.rawValue, at.millis])
                try shred.execute(arguments: [at.millis, d.rawValue])
                erased.append(d)
            }
            return erased
        }
    }

    /// Whether a person's data key is live (not shredded, and the person exists).
    public func hasLiveKey(_ subject: String) async throws -> Bool {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM data_key WHERE subject_id = ? AND wrapped IS NOT NULL", arguments: [subject]) != nil
        }
    }
}
