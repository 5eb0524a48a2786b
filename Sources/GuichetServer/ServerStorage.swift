public import Foundation
public import GuichetAuth
public import GuichetBreach
public import GuichetCore
public import GuichetGate
public import GuichetStore
public import GuichetWatch

/// What the HTTP server reads of the database itself, besides what it asks the gate and the
/// authenticator: the lists of the admin listener, the metrics' counts and the ledger's pages
/// (issue #19: `guichet serve` on any back-end).
///
/// Owned by the server, so that a back-end implements it without the server knowing its SQL:
/// SQLite's ``Store`` conforms here, PostgreSQL's store where the deployment assembles both.
/// Every list is a read; none names a personal value beyond what its route already shows.
public protocol ServerStorage: GateStorage, AuthStorage, WatchStorage, BreachStorage {
    /// The organisations of one kind, or all of them.
    func organisations(kind: String?) async throws -> [Organisation]
    /// The territories.
    func territories() async throws -> [Territory]
    /// Suspensions, open ones only or all, newest first.
    func suspensions(openOnly: Bool) async throws -> [Suspension]
    /// Watch alerts, open ones only or all, of one account or all, newest first.
    func alerts(openOnly: Bool, account: AccountID?, limit: Int) async throws -> [WatchAlert]
    /// The notices sent to an account (sign-ins from new places, resets), newest first.
    func notices(account: AccountID) async throws -> [(at: Date, kind: String, detail: String)]
    /// How many dossiers of a type are in each status (public statistics).
    func countByStatus(type: String) async throws -> [String: Int]
    /// Counts for monitoring (`GET /metrics`), each answered by an index or a small table.
    func gauges() async throws -> StoreGauges
    /// How many entries the ledger holds.
    func ledgerSize() async throws -> Int64
    /// The ledger's entries in a range of indexes, in order (SIEM export).
    func ledgerEntries(_ range: Range<Int64>) async throws -> [(index: Int64, entry: Data)]
    /// The signed checkpoints, oldest first.
    func checkpoints() async throws -> [StoredCheckpoint]
}

extension ServerStorage {
    /// Open or all alerts of every account.
    func alerts(openOnly: Bool, limit: Int) async throws -> [WatchAlert] { try await alerts(openOnly: openOnly, account: nil, limit: limit) }
}

extension Store: ServerStorage {}

/// Which of several servers on one database signs the ledger's checkpoints (a PostgreSQL
/// back-end elects one); a server alone always signs.
public protocol CheckpointSigning: Sendable {
    /// Whether this server signs now.
    var isLeading: Bool { get }
}
