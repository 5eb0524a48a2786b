public import GuichetCore
@_spi(LedgerOnly) public import GuichetStore
public import GuichetMerkle
public import Foundation

/// What proofs and a citizen's history read from a database: the checkpoints, entries by
/// index, the entries that name persons or dossiers, and stored subtree hashes by id. Reads
/// only: SQLite's ``Store`` and PostgreSQL's ledger conform, and ``LedgerAuditor`` proves and
/// answers histories over either (issue 19).
public protocol LedgerProving: LedgerVerifying {
    /// The latest signed checkpoint (the largest).
    func latestCheckpoint() async throws -> StoredCheckpoint?
    /// Entries by index (missing ones left out), in the order asked.
    func ledgerEntries(_ indexes: [Int64]) async throws -> [(index: Int64, entry: Data)]
    /// The indexes of entries that name one of these persons or dossiers, after `after` and
    /// below `below`, smallest first, at most `limit`.
    func ledgerIndexes(persons: [PersonID], dossiers: [DossierID], after: Int64, below: Int64, limit: Int) async throws -> [Int64]
    /// The indexes of entries by account, session, source address or time, from `from` to
    /// `to`, below `below`, in time order, at most `limit` (a breach's scope).
    func ledgerIndexes(_ key: LedgerIndexKey, from: Date?, to: Date?, below: Int64, limit: Int) async throws -> [Int64]
    /// The source addresses kept beside entries that carry only their tag, by entry.
    func ledgerSources(_ indexes: [Int64]) async throws -> [Int64: String]
    /// How many entries the ledger holds, and how many its numbering says (the largest index
    /// plus one), in one snapshot: they differ when entries were deleted.
    func ledgerEntryCount() async throws -> (held: Int64, numbered: Int64)
    /// Stored subtree hashes by id (missing ones left out).
    func storedLedgerNodes(_ ids: [(level: Int, index: Int64)]) async throws -> [LedgerNode]
    /// Inclusion proofs of entries in the tree of `size` entries.
    func inclusionProofs(_ indexes: [Int64], size: Int64) async throws -> [InclusionProof]
    /// A proof that the tree of `old` entries is a prefix of the tree of `new` entries.
    func consistencyProof(old: Int64, new: Int64) async throws -> ConsistencyProof
}

extension LedgerProving {
    /// Proofs over a database whose reads are asynchronous: the proof is generated once to
    /// learn which stored hashes it reads (their ids depend on the sizes and indexes alone),
    /// those are fetched in one query, and it is generated again from them. A hash not stored
    /// is computed from the leaves below it, fetched the same way.
    public func inclusionProofs(_ indexes: [Int64], size: Int64) async throws -> [InclusionProof] {
        guard !indexes.isEmpty else { return [] }
        return try await prefetched { tree in
            try indexes.map { try InclusionProof(leafIndex: UInt64($0), treeSize: UInt64(size), source: tree) }
        }
    }

    public func consistencyProof(old: Int64, new: Int64) async throws -> ConsistencyProof {
        try await prefetched { tree in try ConsistencyProof(oldSize: UInt64(old), newSize: UInt64(new), source: tree) }
    }

    func prefetched<T>(_ make: (PrefetchedTree) throws -> T) async throws -> T {
        // The first round records the ids (answering a placeholder hash); later rounds use
        // what was fetched and record what was still missing (leaves under a missing subtree).
        let first = PrefetchedTree(known: [:], recording: true)
        _ = try? make(first)
        var known: [NodeID: Hash] = [:]
        var asked = first.missing
        for _ in 0..<4 {
            for n in try await storedLedgerNodes(asked.map { (level: Int($0.level), index: Int64($0.index)) }) {
                known[NodeID(level: UInt8(n.level), index: UInt64(n.index))] = try Hash(bytes: n.hash)
            }
            let tree = PrefetchedTree(known: known, recording: false)
            do { return try make(tree) } catch PrefetchedTree.Missing.leaves {
                asked = tree.missing.filter { known[$0] == nil }
                if asked.isEmpty { break }
            }
        }
        throw LedgerError.corrupt("a stored hash the proof needs is missing")
    }
}

/// A tree read from hashes fetched beforehand: it notes the ids it was asked for and did not
/// have. Used by one proof generation at a time, on one task.
final class PrefetchedTree: LeafHashSource {
    enum Missing: Error { case leaves }
    let known: [NodeID: Hash]
    let recording: Bool
    private(set) var missing: Set<NodeID> = []
    static let placeholder = try! Hash(bytes: [UInt8](repeating: 0, count: Hash.byteCount))  // 32 bytes: always a hash

    init(known: [NodeID: Hash], recording: Bool) { self.known = known; self.recording = recording }

    func leafHashes(_ range: Range<UInt64>) throws -> [Hash] {
        var out: [Hash] = []
        for i in range {
            let id = NodeID(level: 0, index: i)
            if let h = known[id] { out.append(h) } else { missing.insert(id); out.append(Self.placeholder) }
        }
        if !recording, range.contains(where: { known[NodeID(level: 0, index: $0)] == nil }) { throw Missing.leaves }
        return out
    }

    func storedHash(of node: NodeID) throws -> Hash? {
        if let h = known[node] { return h }
        guard recording else { return nil }
        missing.insert(node)
        return Self.placeholder
    }
}

extension Store: LedgerProving {
    public func storedLedgerNodes(_ ids: [(level: Int, index: Int64)]) async throws -> [LedgerNode] { try await ledgerNodes(ids) }

    /// SQLite reads stored hashes synchronously on a reader thread: proofs are generated there,
    /// in one read transaction.
    public func inclusionProofs(_ indexes: [Int64], size: Int64) async throws -> [InclusionProof] {
        guard !indexes.isEmpty else { return [] }
        return try await withLedgerNodes { nodes in
            try indexes.map { try InclusionProof(leafIndex: UInt64($0), treeSize: UInt64(size), source: StoredTree(nodes: nodes)) }
        }
    }

    public func consistencyProof(old: Int64, new: Int64) async throws -> ConsistencyProof {
        try await withLedgerNodes { nodes in try ConsistencyProof(oldSize: UInt64(old), newSize: UInt64(new), source: StoredTree(nodes: nodes)) }
    }
}
