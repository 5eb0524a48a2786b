public import GuichetStore

/// What an import needs of a database besides the gate: its runs (to resume an interrupted
/// import after its last batch) and the organisations its lines name.
///
/// Owned by the importer, so that a back-end implements it without the importer knowing its
/// SQL: SQLite's ``Store`` conforms here, PostgreSQL's store where the deployment assembles both.
public protocol ImportStorage: Sendable {
    /// The run of the file with this digest, if one was started.
    func importRun(fileDigest: String) async throws -> ImportRun?
    /// The oldest import of another file (another digest) that started and did not end.
    func unfinishedImport(otherThan fileDigest: String) async throws -> ImportRun?
    /// Stores a run's progress (in the transaction of its batch when the gate stores one).
    func save(importRun run: ImportRun) async throws
    /// The organisations of one kind, or all of them.
    func organisations(kind: String?) async throws -> [Organisation]
    /// A bulk import that started and did not end (its batches wait in the stage), if any.
    func unfinishedBulkImport() async throws -> ImportRun?
    /// Whether this back-end stages the batches of a bulk import (``ImportRun/staged``).
    var stagesBulkImports: Bool { get }
}

extension ImportStorage {
    /// PostgreSQL stores every batch directly (`COPY`): no bulk import waits in a stage.
    public func unfinishedBulkImport() async throws -> ImportRun? { nil }
    public var stagesBulkImports: Bool { false }
}

extension Store: ImportStorage {
    public var stagesBulkImports: Bool { true }
}
