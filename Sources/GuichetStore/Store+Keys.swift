public import GuichetCore
public import Foundation
import GRDB

extension Store {
    /// How many live data keys each KEK version wraps, and how many subjects are shredded.
    /// The keys of an unfinished bulk import's stage count too: re-wrapping does not reach
    /// them until the import ends, so their KEK version may not be retired before.
    public func dataKeyCounts() async throws -> (byVersion: [Int: Int], shredded: Int) {
        let staged: @Sendable (Database) throws -> [Int: Int] = { db in
            guard try Self.stagedTables(db).contains("data_key") else { return [:] }
            var byVersion: [Int: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT kek_version, COUNT(*) AS n FROM \(ImportTables.stage("data_key")) GROUP BY kek_version") {
                byVersion[row["kek_version"]] = row["n"]
            }
            return byVersion
        }
        // The stage's file is reached through the writer (``withStage(create:_:)``).
        let inStage = FileManager.default.fileExists(atPath: stagePath) ? try await withStage(staged) : [:]
        return try await read { db in
            var byVersion = try staged(db).merging(inStage, uniquingKeysWith: +)
            for row in try Row.fetchAll(db, sql: "SELECT kek_version, COUNT(*) AS n FROM data_key WHERE wrapped IS NOT NULL GROUP BY kek_version") {
                byVersion[row["kek_version"], default: 0] += row["n"] as Int
            }
            let shredded = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM data_key WHERE wrapped IS NULL") ?? 0
            return (byVersion, shredded)
        }
    }

    /// Re-wraps up to `limit` data keys not yet under `version`, in one transaction, with
    /// `rewrap` (the vault's). Returns how many were re-wrapped; 0 means none is left. Each
    /// batch commits on its own, so an interrupted rotation resumes where it stopped, and
    /// readers keep working throughout (both KEK versions stay available until retired).
    public func rewrapBatch(to version: Int, limit: Int,
                            _ rewrap: @escaping @Sendable (_ subject: String, WrappedKey) throws -> WrappedKey) async throws -> Int {
        try await write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT subject_id, kek_version, wrapped FROM data_key
                WHERE wrapped IS NOT NULL AND kek_version != ? AND kek_version != 0 LIMIT ?
                """, arguments: [version, limit])
            let update = try db.cachedStatement(sql: "UPDATE data_key SET kek_version = ?, wrapped = ? WHERE subject_id = ?")
            for row in rows {
                let subject: String = row["subject_id"]
                let fresh = try rewrap(subject, WrappedKey(kekVersion: row["kek_version"], bytes: row["wrapped"]))
                try update.execute(arguments: [fresh.kekVersion, fresh.bytes, subject])
            }
            return rows.count
        }
    }

    /// Destroys a subject's data key (crypto-shredding): every field and every kept version
    /// sealed under it becomes unrecoverable. Returns false if there was no live key.
    @discardableResult
    public func shred(subject: String, at: Date) async throws -> Bool {
        try await writeErasing { db in
            try db.execute(sql: "UPDATE data_key SET wrapped = NULL, shredded_at = ? WHERE subject_id = ? AND wrapped IS NOT NULL",
                           arguments: [at.millis, subject])
            return db.changesCount == 1
        }
    }

    /// Crypto-shreds a person: their data key, and with it their search terms (blind indexes
    /// of their names and contacts) and the keyed tag of their birth year, in one transaction,
    /// so that nothing left in the database can still find them by name or count them by age.
    /// Returns false when their key was already shredded (the terms are removed all the same).
    public func shred(person: PersonID, at: Date) async throws -> Bool {
        try await writeErasing { db in
            try db.execute(sql: "UPDATE data_key SET wrapped = NULL, shredded_at = ? WHERE subject_id = ? AND wrapped IS NOT NULL",
                           arguments: [at.millis, person.rawValue])
            let shredded = db.changesCount == 1
            try db.execute(sql: "DELETE FROM person_term WHERE person_id = ?", arguments: [person.rawValue])
            try db.execute(sql: "DELETE FROM person_birth_year WHERE person_id = ?", arguments: [person.rawValue])
            return shredded
        }
    }

    /// Shredded data keys after `after`, in the order of their shredding (time, then subject).
    public func shreddings(after: Shredding?, limit: Int) async throws -> [Shredding] {
        let since = after ?? Shredding(millis: Int64.min, subject: "")
        return try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT shredded_at, subject_id FROM data_key WHERE shredded_at IS NOT NULL AND (shredded_at, subject_id) > (?, ?)
                ORDER BY shredded_at, subject_id LIMIT ?
                """, arguments: [since.millis, since.subject, limit]).map { Shredding(millis: $0["shredded_at"], subject: $0["subject_id"]) }
        }
    }

    /// One live wrapped key, to check at start-up that the key file opens this registry.
    public func anyDataKey() async throws -> (subject: String, key: WrappedKey)? {
        try await read { db in
            // Not an archived one (kek_version 0): a server may run without the archive key.
            try Row.fetchOne(db, sql: "SELECT subject_id, kek_version, wrapped FROM data_key WHERE wrapped IS NOT NULL AND kek_version != 0 LIMIT 1").map {
                ($0["subject_id"], WrappedKey(kekVersion: $0["kek_version"], bytes: $0["wrapped"]))
            }
        }
    }
}
