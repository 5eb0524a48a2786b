public import GuichetCore
public import GuichetStore
public import Foundation

/// Where the synthetic generators write: the bulk writes of a store, which SQLite's ``Store``
/// and the PostgreSQL back-end both have (the generators fill a test or demo registry
/// directly, as an import would, without the gate's journal).
public protocol SyntheticStorage: Sendable {
    /// Stores organisations (daycares, agencies, offices…).
    func insert(organisations: [Organisation], at: Date) async throws
    /// Stores many dossiers with their new persons in one transaction.
    func importBatch(_ items: [(DossierRecord, [NewPerson])], by: AccountID?) async throws
    /// Stores the keyed tags of honeytoken persons (the watch's tripwires).
    func insertHoneytokenTags(_ tags: [Data]) async throws
    /// Puts dossiers in an account's caseload (a demo adviser's files); returns how many.
    @discardableResult
    func assign(_ dossiers: [DossierID], to account: AccountID) async throws -> Int
}

extension Store: SyntheticStorage {}
