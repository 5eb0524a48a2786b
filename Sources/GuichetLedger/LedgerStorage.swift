public import Foundation
@_spi(LedgerOnly) public import GuichetStore

/// What the access journal needs of a database to append to the ledger: the durable append
/// with the subtree hashes it completes, the right edge's stored hashes, the integration of
/// the entries' references into their indexes, and the signed checkpoints.
///
/// Owned by the ledger, so that a back-end implements it without the journal knowing its SQL:
/// SQLite (``Store``, the embedded default) and PostgreSQL (`GuichetPostgres`). `@_spi(LedgerOnly)`
/// like ``Store/appendLedger(start:rows:nodes:)``: only the journal writes the ledger.
///
/// A back-end MUST make an append durable before it returns, MUST write every entry of an
/// append or none, and MUST append at the ledger's stored end even when another process
/// appended since `start`, calling `rebase` under a lock that no other append can hold at
/// the same time.
@_spi(LedgerOnly)
public protocol LedgerStorage: Sendable {
    /// The number of entries in the ledger.
    func ledgerSize() async throws -> Int64
    /// When the entry at `index` was appended; nil when the ledger holds no such entry.
    func ledgerEntryTime(_ index: Int64) async throws -> Date?
    /// The stored subtree hashes of these nodes (those stored, in the order asked).
    func ledgerNodes(_ ids: [(level: Int, index: Int64)]) async throws -> [LedgerNode]
    /// Appends entries at the ledger's end (see ``Store/appendLedger(start:rows:nodes:rebase:)``).
    func appendLedger<Edge: Sendable>(start: Int64, rows: [LedgerRow], nodes: [LedgerNode],
                                      rebase: @escaping @Sendable (_ size: Int64, _ stored: ([(level: Int, index: Int64)]) throws -> [LedgerNode]) throws -> ([LedgerNode], Edge))
        async throws -> (start: Int64, rebased: Edge?)
    /// Moves the references of at most `limit` of the oldest entries waiting into their
    /// indexes. - Returns: how many it moved.
    @discardableResult
    func integrateLedger(limit: Int) async throws -> Int
    /// How many entries wait for integration.
    func ledgerTailCount() async throws -> Int
    /// Stores a signed checkpoint (once per size).
    func insertCheckpoint(size: Int64, root: Data, note: String, at: Date) async throws
}

@_spi(LedgerOnly)
extension Store: LedgerStorage {}
