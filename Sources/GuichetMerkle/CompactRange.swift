/// The right edge ("frontier") of a growing log: the hashes of the perfect subtrees that
/// make up the tree of the current size, largest (leftmost) first.
///
/// A tree of `n` leaves is a sequence of perfect subtrees, one per set bit of `n`; their
/// hashes are all that is needed to append a leaf and to compute the root (RFC 9162 §2.1.1).
/// So a ledger of millions of entries keeps `O(log n)` hashes in memory, appends in
/// amortised `O(1)` hash operations and computes the root in `O(log n)`.
///
/// A ledger restarting from storage rebuilds its frontier with
/// ``init(size:hashes:)``, reading the nodes named by ``nodeIDs(forSize:)``.
public struct CompactRange: Hashable, Sendable {
    /// The number of leaves appended so far.
    public private(set) var size: UInt64

    /// The hashes of the perfect subtrees covering leaves `0..<size`, from the largest
    /// (leftmost) to the smallest; one per set bit of ``size``.
    public private(set) var hashes: [Hash]

    /// An empty range: the tree of size 0.
    public init() {
        self.size = 0
        self.hashes = []
    }

    /// Restores a frontier from stored subtree hashes.
    ///
    /// - Parameters:
    ///   - size: the tree size.
    ///   - hashes: the hashes of the nodes ``nodeIDs(forSize:)`` returns for `size`, in
    ///     that order.
    /// - Throws: ``MerkleError/leafSourceMismatch(expected:received:)`` if the number of
    ///   hashes is not the number of set bits of `size`.
    /// - Warning: the hashes are trusted; check ``rootHash`` against a signed checkpoint
    ///   before appending to a restored range.
    public init(size: UInt64, hashes: [Hash]) throws(MerkleError) {
        guard hashes.count == size.nonzeroBitCount else {
            throw .leafSourceMismatch(expected: UInt64(size.nonzeroBitCount), received: hashes.count)
        }
        self.size = size
        self.hashes = hashes
    }

    /// The perfect subtrees that make up a tree of `size` leaves, largest (leftmost) first:
    /// the nodes to read from storage to rebuild a ``CompactRange``.
    public static func nodeIDs(forSize size: UInt64) -> [NodeID] {
        var ids: [NodeID] = []
        var start: UInt64 = 0
        for level in stride(from: 63, through: 0, by: -1) where size & (UInt64(1) << UInt64(level)) != 0 {
            ids.append(NodeID(level: UInt8(level), index: start >> UInt64(level)))
            start += UInt64(1) << UInt64(level)
        }
        return ids
    }

    /// Appends the next leaf hash (leaf index ``size``).
    ///
    /// - Returns: the perfect subtrees completed by this leaf, smallest first: the leaf itself
    ///   (level 0), then each interior node it closes. A store that keeps these never needs
    ///   to recompute a subtree hash (see ``LeafHashSource/storedHash(of:)``).
    /// - Precondition: the tree is not full (`size < UInt64.max`).
    @discardableResult
    public mutating func append(_ leafHash: Hash) -> [NodeHash] {
        var completed: [NodeHash] = []
        append(leafHash) { completed.append($0) }
        return completed
    }

    /// ``append(_:)`` that hands each completed subtree to `completed`, smallest first,
    /// instead of returning an array (verification appends one leaf per entry).
    public mutating func append(_ leafHash: Hash, _ completed: (NodeHash) throws -> Void) rethrows {
        try append(subtree: leafHash, level: 0, completed)
    }

    /// Appends `2^level` leaves at once, given the hash of the perfect subtree they make
    /// (leaf indexes ``size`` to `size + 2^level - 1`): how verification, having checked a
    /// batch's subtree on another core, adds it to the tree in one step.
    ///
    /// `completed` gets the subtree itself, then each larger subtree it closes, smallest first.
    /// - Precondition: `level < 64`, ``size`` is a multiple of `2^level` (the subtree is one
    ///   of the tree's own), and the tree has room for it.
    public mutating func append(subtree hash: Hash, level: Int, _ completed: (NodeHash) throws -> Void) rethrows {
        precondition(level >= 0 && level < 64, "a subtree's level is between 0 and 63")
        let width = UInt64(1) << UInt64(level)
        precondition(size & (width - 1) == 0, "a subtree of level \(level) cannot start at leaf \(size)")
        precondition(size <= UInt64.max - width, "the tree is full")
        let first = size
        var hash = hash
        var level = UInt64(level)
        try completed(NodeHash(id: NodeID(level: UInt8(level), index: first >> level), hash: hash))
        // Each set bit of the old size from `level` up is a perfect subtree of that level that
        // the new one completes into one twice as large (RFC 9162 §2.1.1 with k = n/2).
        while size & (UInt64(1) << level) != 0 {
            // Safe: one hash per set bit of size, so a set bit means a hash to pop.
            let left = hashes.removeLast()
            hash = MerkleHash.node(left, hash)
            level += 1
            try completed(NodeHash(id: NodeID(level: UInt8(level), index: first >> level), hash: hash))
        }
        hashes.append(hash)
        size += width
    }

    /// Appends the leaves `other` holds, after this range's own, from its subtree hashes:
    /// `other` counts its leaves from 0, and they take the indexes from ``size`` on.
    ///
    /// `completed` gets each of `other`'s subtrees, then each larger subtree it closes.
    /// - Precondition: ``size`` is a multiple of every subtree of `other` (of the largest
    ///   power of two not above `other.size`), so that they are subtrees of this tree too.
    public mutating func append(_ other: CompactRange, _ completed: (NodeHash) throws -> Void) rethrows {
        for (id, hash) in zip(Self.nodeIDs(forSize: other.size), other.hashes) {
            try append(subtree: hash, level: Int(id.level), completed)
        }
    }

    /// The Merkle Tree Hash of the leaves appended so far (RFC 9162 §2.1.1);
    /// ``MerkleHash/emptyRoot`` when empty.
    public var rootHash: Hash {
        // RFC 9162 §2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])); the left
        // part is the largest perfect subtree, so the root folds the frontier from the right.
        guard var root = hashes.last else { return MerkleHash.emptyRoot }
        for left in hashes.dropLast().reversed() {
            root = MerkleHash.node(left, root)
        }
        return root
    }
}
