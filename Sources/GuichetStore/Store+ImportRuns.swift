public import GuichetCore
public import Foundation
import GRDB

extension Migrations {
    /// One row per import of a CSV file: where it stands, so that an interrupted import
    /// resumes after its last committed batch. Digests and counts only: no cell of the file.
    static let vImport = """
    CREATE TABLE import_run (
        id TEXT PRIMARY KEY NOT NULL,
        file_digest TEXT NOT NULL,
        mapping_digest TEXT NOT NULL,
        dossier_type TEXT NOT NULL,
        started_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        finished_at INTEGER,
        next_offset INTEGER NOT NULL,
        next_line INTEGER NOT NULL,
        dossiers INTEGER NOT NULL,
        persons INTEGER NOT NULL,
        skipped INTEGER NOT NULL
    ) STRICT;
    CREATE INDEX import_run_by_file ON import_run(file_digest);
    """

    /// A bulk import (`guichet import --bulk`) appends its batches to the stage tables and
    /// moves them into the registry when it ends (`Store+StagedImport.swift`): 1 while it
    /// stages, 2 from the start of its move to its end.
    static let vImportStaged = "ALTER TABLE import_run ADD COLUMN staged INTEGER NOT NULL DEFAULT 0"
}

/// Where an import of one file stands: after its last committed batch.
public struct ImportRun: Sendable, Equatable {
    /// Random id, named in the journal entries of the import.
    public let id: String
    /// SHA-256 of the file (hex): the same file resumes, another starts afresh.
    public let fileDigest: String
    /// SHA-256 of the mapping file (hex): a resumed import keeps its mapping.
    public let mappingDigest: String
    public let dossierType: String
    public let startedAt: Date
    public var updatedAt: Date
    public var finishedAt: Date?
    /// The byte offset and the line of the file where the next batch begins.
    public var nextOffset: UInt64
    public var nextLine: Int
    /// Dossiers and persons stored, bad lines skipped, so far.
    public var dossiers: Int
    public var persons: Int
    public var skipped: Int
    /// A bulk import: its batches go to the stage tables, without index, and move into the
    /// registry's tables at the run's end, a table at a time, so that nothing of it is in the
    /// registry before its move. SQLite only: PostgreSQL stores every batch directly
    /// (`COPY`) and keeps this false.
    public var staged = false

    public init(id: String, fileDigest: String, mappingDigest: String, dossierType: String, startedAt: Date) {
        self.id = id; self.fileDigest = fileDigest; self.mappingDigest = mappingDigest; self.dossierType = dossierType
        self.startedAt = startedAt; self.updatedAt = startedAt; finishedAt = nil
        nextOffset = 0; nextLine = 1; dossiers = 0; persons = 0; skipped = 0
    }

    /// The same run, not ended (a bulk import's end is recorded once its stage has moved in).
    var unfinished: ImportRun {
        var run = self
        run.finishedAt = nil
        return run
    }

    init(row: Row) {
        id = row["id"]; fileDigest = row["file_digest"]; mappingDigest = row["mapping_digest"]; dossierType = row["dossier_type"]
        startedAt = Date(millis: row["started_at"]); updatedAt = Date(millis: row["updated_at"])
        finishedAt = (row["finished_at"] as Int64?).map(Date.init(millis:))
        nextOffset = UInt64(row["next_offset"] as Int64); nextLine = row["next_line"]
        dossiers = row["dossiers"]; persons = row["persons"]; skipped = row["skipped"]
        staged = (row["staged"] as Int) != 0
    }
}

extension Store {
    /// The latest import of a file (by its digest), finished or not.
    public func importRun(fileDigest: String) async throws -> ImportRun? {
        try await withStagedProgress(read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM import_run WHERE file_digest = ? ORDER BY started_at DESC LIMIT 1",
                             arguments: [fileDigest]).map(ImportRun.init(row:))
        })
    }

    /// The oldest import of another file that started and did not end.
    public func unfinishedImport(otherThan fileDigest: String) async throws -> ImportRun? {
        try await withStagedProgress(read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM import_run WHERE finished_at IS NULL AND file_digest <> ? ORDER BY started_at LIMIT 1",
                             arguments: [fileDigest]).map(ImportRun.init(row:))
        })
    }

    /// Records where an import stands (a new one, a batch of bad lines only, or its end).
    /// The end of a bulk import (``ImportRun/staged``, with `finishedAt`) first moves its stage
    /// into the registry (``endBulkImport(_:)``).
    /// A bulk import that is staging records where it stands in its stage
    /// (``recordStaged(_:_:)``), once the registry holds its start.
    public func save(importRun run: ImportRun) async throws {
        guard run.staged else { return try await write { db in try Self.upsert(db, run) } }
        guard run.finishedAt == nil else { return try await endBulkImport(run) }
        let started = try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM import_run WHERE id = ?)", arguments: [run.id]) == true else {
                try Self.upsert(db, run)
                return false
            }
            return true
        }
        guard started else { return }
        try await withStage(create: true) { db in
            try db.inTransaction {
                try Self.createStage(db)
                try Self.recordStaged(db, run)
                return .commit
            }
        }
    }

    /// A bulk import that started and did not end: the stage holds its batches.
    public func unfinishedBulkImport() async throws -> ImportRun? {
        try await withStagedProgress(read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM import_run WHERE staged <> 0 AND finished_at IS NULL ORDER BY started_at LIMIT 1")
                .map(ImportRun.init(row:))
        })
    }

    /// Stores one batch of an import and where the import then stands, in one transaction:
    /// after a crash either the whole batch and its progress are stored, or neither. A bulk
    /// import's batch goes to the stage, and its last batch moves the stage into the registry.
    /// - Throws: ``StoreError/duplicate(_:)`` when an id is taken; nothing is stored then.
    public func importBatch(_ items: [(DossierRecord, [NewPerson])], by: AccountID?, run: ImportRun) async throws {
        guard run.staged else {
            return try await write { db in
                try Self.insert(db, importing: items, by: by)
                try Self.upsert(db, run)
            }
        }
        // The batch and where the import stands, in one transaction; the end is recorded
        // only once the stage has moved in (``endBulkImport(_:)``).
        let staging = run.unfinished
        try await withStage(create: true) { db in
            try db.inTransaction {
                try Self.createStage(db)
                try Self.insert(db, importing: items, by: by, into: .stage)
                try Self.recordStaged(db, staging)
                return .commit
            }
        }
        if run.finishedAt != nil { try await endBulkImport(run) }
    }

    static func upsert(_ db: Database, _ r: ImportRun, into table: String = "main.import_run") throws {
        try db.execute(sql: """
            INSERT INTO \(table)(id, file_digest, mapping_digest, dossier_type, started_at, updated_at, finished_at,
                                   next_offset, next_line, dossiers, persons, skipped, staged)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET updated_at = excluded.updated_at, finished_at = excluded.finished_at,
                next_offset = excluded.next_offset, next_line = excluded.next_line, dossiers = excluded.dossiers,
                persons = excluded.persons, skipped = excluded.skipped
            """, arguments: [r.id, r.fileDigest, r.mappingDigest, r.dossierType, r.startedAt.millis, r.updatedAt.millis,
                             r.finishedAt?.millis, Int64(r.nextOffset), r.nextLine, r.dossiers, r.persons, r.skipped, r.staged ? 1 : 0])
    }
}
