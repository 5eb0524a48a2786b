/// A perfect subtree of the log: the `2^level` leaves starting at `index << level`.
///
/// Level 0 nodes are leaves. These are the only nodes whose hashes never change once the
/// log has grown past them, so they are the ones a store may keep (see
/// ``CompactRange/append(_:)`` and ``LeafHashSource/storedHash(of:)``).
public struct NodeID: Hashable, Sendable, CustomStringConvertible {
    /// The height of the subtree: 0 for a leaf, `k` for a subtree of `2^k` leaves.
    public let level: UInt8
    /// The position of the subtree among the subtrees of the same level, from the left.
    public let index: UInt64

    /// Names the perfect subtree of `2^level` leaves starting at leaf `index << level`.
    ///
    /// - Precondition: `level < 64`, and the subtree lies within 64-bit leaf indices.
    public init(level: UInt8, index: UInt64) {
        precondition(level < 64, "NodeID level must be below 64")
        precondition(level == 0 || index < (UInt64(1) << (64 - UInt64(level))), "NodeID beyond 64-bit leaf indices")
        self.level = level
        self.index = index
    }

    /// The leaf indices the subtree covers.
    ///
    /// - Precondition: the range's upper bound fits in a `UInt64`.
    public var leafRange: Range<UInt64> {
        let start = index << UInt64(level)
        return start..<(start + (UInt64(1) << UInt64(level)))
    }

    /// `"level/index"`.
    public var description: String { "\(level)/\(index)" }
}

/// A hash together with the perfect subtree it is the hash of.
public struct NodeHash: Hashable, Sendable {
    /// The subtree.
    public let id: NodeID
    /// Its Merkle Tree Hash (RFC 9162 §2.1.1).
    public let hash: Hash

    /// Pairs a subtree with its hash.
    public init(id: NodeID, hash: Hash) {
        self.id = id
        self.hash = hash
    }
}

/// Where tree and proof computations read leaf hashes (and, optionally, stored subtree
/// hashes) from: a storage back end, or an in-memory array.
///
/// Implementations MUST return exactly the hashes asked for, in order, or throw. A store that
/// keeps perfect subtree hashes (from ``CompactRange/append(_:)``) SHOULD implement
/// ``storedHash(of:)``: proofs then cost `O(log² n)` reads instead of `O(n)`.
public protocol LeafHashSource {
    /// The leaf hashes with indices in `range`, in index order.
    ///
    /// - Throws: any error of the source; it is passed through unchanged.
    func leafHashes(_ range: Range<UInt64>) throws -> [Hash]

    /// The stored hash of a perfect subtree, or `nil` if it is not stored.
    ///
    /// The default returns `nil`, so every hash is computed from leaf hashes.
    /// - Warning: a returned hash is trusted as is; a store returning a wrong hash makes the
    ///   generated proofs fail verification (never the reverse).
    func storedHash(of node: NodeID) throws -> Hash?
}

extension LeafHashSource {
    /// No stored subtree hashes: everything is computed from leaf hashes.
    public func storedHash(of node: NodeID) throws -> Hash? { nil }
}

extension Array: LeafHashSource where Element == Hash {
    /// The array's elements in `range`, for small trees and tests.
    ///
    /// - Throws: ``MerkleError/indexOutOfRange(index:size:)`` if `range` goes beyond the array.
    public func leafHashes(_ range: Range<UInt64>) throws -> [Hash] {
        guard range.upperBound <= UInt64(count) else {
            throw MerkleError.indexOutOfRange(index: range.upperBound - 1, size: UInt64(count))
        }
        return Array(self[Int(range.lowerBound)..<Int(range.upperBound)])
    }
}

/// Merkle Tree Hash computations (RFC 9162 §2.1.1).
public enum MerkleTree {
    /// Leaves read from a source in one call at most; bounds memory for unaligned ranges.
    static let batchLevel: UInt8 = 10

    /// The Merkle Tree Hash of a sequence of leaf hashes (RFC 9162 §2.1.1).
    ///
    /// Streams the sequence through a ``CompactRange``: `O(n)` time, `O(log n)` memory.
    /// Returns ``MerkleHash/emptyRoot`` for an empty sequence.
    public static func rootHash(leafHashes: some Sequence<Hash>) -> Hash {
        var range = CompactRange()
        for leaf in leafHashes {
            range.append(leaf)
        }
        return range.rootHash
    }

    /// The Merkle Tree Hash of the leaves `range` of a log, MTH(D[start:end]) in the notation
    /// of RFC 9162 §2.1.1, read from `source`.
    ///
    /// For `0..<n` this is the root of the tree of size `n`. Perfect subtrees that are aligned
    /// in the log are asked from ``LeafHashSource/storedHash(of:)`` first; without stored
    /// hashes the cost is `O(range size)` leaf reads, in batches of 1,024.
    /// - Throws: ``MerkleError/leafSourceMismatch(expected:received:)`` if the source returns
    ///   the wrong number of hashes, or the source's own errors.
    public static func hash(of range: Range<UInt64>, from source: some LeafHashSource) throws -> Hash {
        // RFC 9162 §2.1.1: MTH(D[n]) = HASH(0x01 || MTH(D[0:k]) || MTH(D[k:n])) with k the
        // largest power of two below n. Unrolled, D[n] splits into perfect subtrees of
        // decreasing size (one per bit of n), folded from the right.
        var pieces: [Hash] = []
        var start = range.lowerBound
        var remaining = range.upperBound - range.lowerBound
        while remaining > 0 {
            let level = UInt8(63 - remaining.leadingZeroBitCount)
            pieces.append(try perfectHash(start: start, level: level, from: source))
            start += UInt64(1) << UInt64(level)
            remaining -= UInt64(1) << UInt64(level)
        }
        guard var root = pieces.popLast() else { return MerkleHash.emptyRoot }
        while let left = pieces.popLast() {
            root = MerkleHash.node(left, root)
        }
        return root
    }

    /// The hash of the `2^level` leaves from `start` (not necessarily aligned in the log).
    static func perfectHash(start: UInt64, level: UInt8, from source: some LeafHashSource) throws -> Hash {
        let size = UInt64(1) << UInt64(level)
        if start & (size - 1) == 0,
            let stored = try source.storedHash(of: NodeID(level: level, index: start >> UInt64(level)))
        {
            return stored
        }
        if level <= batchLevel {
            var hashes = try readLeaves(start..<(start + size), from: source)
            // Pairwise reduction of a perfect subtree (RFC 9162 §2.1.1 with k = n/2).
            var width = hashes.count
            while width > 1 {
                for i in 0..<(width / 2) {
                    hashes[i] = MerkleHash.node(hashes[2 * i], hashes[2 * i + 1])
                }
                width /= 2
            }
            return hashes[0]
        }
        let half = size / 2
        return MerkleHash.node(
            try perfectHash(start: start, level: level - 1, from: source),
            try perfectHash(start: start + half, level: level - 1, from: source)
        )
    }

    /// Reads leaf hashes and checks that the source returned as many as asked.
    static func readLeaves(_ range: Range<UInt64>, from source: some LeafHashSource) throws -> [Hash] {
        let hashes = try source.leafHashes(range)
        let expected = range.upperBound - range.lowerBound
        guard UInt64(hashes.count) == expected else {
            throw MerkleError.leafSourceMismatch(expected: expected, received: hashes.count)
        }
        return hashes
    }

    /// The largest power of two strictly below `n` (the split point `k` of RFC 9162 §2.1.1).
    ///
    /// - Precondition: `n >= 2`.
    static func splitPoint(_ n: UInt64) -> UInt64 {
        precondition(n >= 2, "a tree of fewer than two leaves does not split")
        return UInt64(1) << UInt64(63 - (n - 1).leadingZeroBitCount)
    }
}
