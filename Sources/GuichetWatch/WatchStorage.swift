public import Foundation
public import GuichetCore
public import GuichetStore

/// What the watch needs of a database: the detectors' states, the alerts, suspensions and
/// reinstatements, the honeytoken tags and watched persons, and where an account came from.
///
/// Owned by the watch, so that a back-end implements it without the watch knowing its SQL
/// (issue #19, item 1): SQLite's ``Store`` conforms. A back-end MUST make `suspend` disable
/// the account and end its sessions in the same transaction, and MUST refuse `reinstate` with
/// ``StoreError/notFound`` when the account has no open suspension.
public protocol WatchStorage: Sendable {
    /// Every account's stored detector state.
    func watchStates() async throws -> [(AccountID, Data)]
    /// Writes these accounts' detector states.
    func saveWatchStates(_ states: [(AccountID, Data)], at: Date) async throws
    /// When and by whom an account was created, and whether on the server's console.
    func accountOrigin(_ id: AccountID) async throws -> (createdAt: Date, createdBy: AccountID?, onConsole: Bool)?
    /// The honeytokens' tags.
    func honeytokenTags() async throws -> [Data]
    /// The persons flagged as watched.
    func watchedPersons() async throws -> [WatchedPerson]
    /// Flags a person as watched. - Throws: ``StoreError/notFound`` for an unknown person.
    func watch(person: PersonID, reason: String, by: AccountID, at: Date) async throws
    /// Unflags a person, keeping the flag (its sealed reason, who set it and when) with who
    /// removed it and when, in a table that refuses changes and deletions (C9).
    /// - Returns: whether the person was flagged.
    func unwatch(person: PersonID, by: AccountID, at: Date) async throws -> Bool
    /// Stores alerts for the security officers' queue.
    func insert(alerts: [WatchAlert]) async throws
    /// Suspends an account: disabled, its sessions ended, the suspension open.
    func suspend(account: AccountID, id: String, reason: String, at: Date) async throws
    /// Closes an account's open suspension and enables it again.
    func reinstate(account: AccountID, by: AccountID, reason: String, at: Date) async throws -> Suspension
}

/// A watch storage that several servers share (issue 19, item 3). Each server's watch then
/// reads an account's latest stored state before it assesses a request of that account, and
/// writes the new state only if no other server wrote it in between (else it reads and
/// assesses again): one account's requests are assessed one after the other, whichever server
/// received them, so that a scraper spreading its requests over every server is contained as by
/// one. A back-end MUST make `saveWatchState` write only when the stored version is `expected`,
/// and MUST advance the version on every write (`saveWatchStates` included).
public protocol SharedWatchStorage: WatchStorage {
    /// One account's stored state and its version; nil when none is stored yet.
    func watchState(_ account: AccountID) async throws -> (state: Data, version: Int64)?
    /// Writes one account's state if its stored version is still `expected` (nil: none stored yet).
    /// - Returns: false when another server wrote it first (nothing is written).
    func saveWatchState(_ account: AccountID, _ state: Data, expected: Int64?, at: Date) async throws -> Bool
}

extension Store: WatchStorage {}
