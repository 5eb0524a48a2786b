/// A proof that one leaf is in a tree of a given size (RFC 9162 §2.1.3).
///
/// The hashes are the audit path, ordered from the leaf's sibling up to the child of the
/// root, as RFC 9162 §2.1.3.1 defines `PATH(m, D[n])`.
public struct InclusionProof: Hashable, Sendable {
    /// The index of the proved leaf, from 0.
    public let leafIndex: UInt64
    /// The size of the tree the proof is against.
    public let treeSize: UInt64
    /// The audit path, from the bottom of the tree up.
    public let hashes: [Hash]

    /// Wraps a proof received from elsewhere, for verification. Nothing is checked here.
    public init(leafIndex: UInt64, treeSize: UInt64, hashes: [Hash]) {
        self.leafIndex = leafIndex
        self.treeSize = treeSize
        self.hashes = hashes
    }

    /// Generates the inclusion proof of leaf `leafIndex` in the tree of the first `treeSize`
    /// leaves of `source` (RFC 9162 §2.1.3.1).
    ///
    /// Costs `O(log n)` subtree hashes: `O(log² n)` reads from a source with stored subtree
    /// hashes, `O(n)` leaf reads from one without.
    /// - Throws: ``MerkleError/indexOutOfRange(index:size:)`` if `leafIndex >= treeSize`;
    ///   the source's errors.
    public init(leafIndex: UInt64, treeSize: UInt64, source: some LeafHashSource) throws {
        guard leafIndex < treeSize else {
            throw MerkleError.indexOutOfRange(index: leafIndex, size: treeSize)
        }
        // RFC 9162 §2.1.3.1, with D[start:end] the current subtree and m relative to start:
        //   PATH(m, D[n]) = PATH(m, D[0:k]) : MTH(D[k:n])        if m < k
        //   PATH(m, D[n]) = PATH(m - k, D[k:n]) : MTH(D[0:k])    if m >= k
        // Walking down from the root collects the path top first; it is reversed at the end.
        var topDown: [Hash] = []
        var start: UInt64 = 0
        var end = treeSize
        var m = leafIndex
        while end - start > 1 {
            let k = MerkleTree.splitPoint(end - start)
            if m < k {
                topDown.append(try MerkleTree.hash(of: (start + k)..<end, from: source))
                end = start + k
            } else {
                topDown.append(try MerkleTree.hash(of: start..<(start + k), from: source))
                start += k
                m -= k
            }
        }
        self.init(leafIndex: leafIndex, treeSize: treeSize, hashes: topDown.reversed())
    }

    /// The root that this proof and `leafHash` lead to (RFC 9162 §2.1.3.2, steps 1 to 4).
    ///
    /// - Throws: ``MerkleError/invalidProof`` if the index, size and path length do not fit
    ///   together.
    public func rootHash(leafHash: Hash) throws(MerkleError) -> Hash {
        // RFC 9162 §2.1.3.2 step 1.
        guard leafIndex < treeSize else { throw .invalidProof }
        // Step 2.
        var fn = leafIndex
        var sn = treeSize - 1
        // Step 3.
        var r = leafHash
        // Step 4.
        for p in hashes {
            // Step 4a.
            guard sn != 0 else { throw .invalidProof }
            // Step 4b.
            if fn & 1 == 1 || fn == sn {
                r = MerkleHash.node(p, r)
                if fn & 1 == 0 {
                    // The node is the last of its level: skip the levels it is promoted
                    // through without a sibling.
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = MerkleHash.node(r, p)
            }
            // Step 4c.
            fn >>= 1
            sn >>= 1
        }
        // Step 5, first half: every level was consumed.
        guard sn == 0 else { throw .invalidProof }
        return r
    }

    /// Verifies that `leafHash` is the leaf at ``leafIndex`` of the tree of ``treeSize``
    /// leaves whose root is `rootHash` (RFC 9162 §2.1.3.2).
    ///
    /// - Throws: ``MerkleError/invalidProof`` on any failure.
    public func verify(leafHash: Hash, rootHash: Hash) throws(MerkleError) {
        // RFC 9162 §2.1.3.2 step 5, second half.
        guard try self.rootHash(leafHash: leafHash) == rootHash else { throw .invalidProof }
    }
}

/// A proof that the tree of ``oldSize`` leaves is a prefix of the tree of ``newSize``
/// leaves (RFC 9162 §2.1.4): the log only appended in between.
public struct ConsistencyProof: Hashable, Sendable {
    /// The size of the older tree.
    public let oldSize: UInt64
    /// The size of the newer tree.
    public let newSize: UInt64
    /// The proof hashes, in the order of `PROOF(m, D[n])` (RFC 9162 §2.1.4.1).
    public let hashes: [Hash]

    /// Wraps a proof received from elsewhere, for verification. Nothing is checked here.
    public init(oldSize: UInt64, newSize: UInt64, hashes: [Hash]) {
        self.oldSize = oldSize
        self.newSize = newSize
        self.hashes = hashes
    }

    /// Generates the consistency proof between the trees of the first `oldSize` and
    /// `newSize` leaves of `source` (RFC 9162 §2.1.4.1).
    ///
    /// The proof is empty when `oldSize` is 0 or equal to `newSize`. Costs `O(log n)`
    /// subtree hashes, as for ``InclusionProof/init(leafIndex:treeSize:source:)``.
    /// - Throws: ``MerkleError/invalidTreeSizes(old:new:)`` if `oldSize > newSize`; the
    ///   source's errors.
    public init(oldSize: UInt64, newSize: UInt64, source: some LeafHashSource) throws {
        guard oldSize <= newSize else {
            throw MerkleError.invalidTreeSizes(old: oldSize, new: newSize)
        }
        guard oldSize > 0 else {
            self.init(oldSize: 0, newSize: newSize, hashes: [])
            return
        }
        // RFC 9162 §2.1.4.1, with D[start:end] the current subtree and m relative to start:
        //   PROOF(m, D[n]) = SUBPROOF(m, D[n], true)
        //   SUBPROOF(m, D[m], true) = {}
        //   SUBPROOF(m, D[m], false) = {MTH(D[m])}
        //   SUBPROOF(m, D[n], b) = SUBPROOF(m, D[0:k], b) : MTH(D[k:n])          if m <= k
        //   SUBPROOF(m, D[n], b) = SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])  if m > k
        var topDown: [Hash] = []
        var start: UInt64 = 0
        var end = newSize
        var m = oldSize
        var isWholeOldTree = true
        while m != end - start {
            let k = MerkleTree.splitPoint(end - start)
            if m <= k {
                topDown.append(try MerkleTree.hash(of: (start + k)..<end, from: source))
                end = start + k
            } else {
                topDown.append(try MerkleTree.hash(of: start..<(start + k), from: source))
                start += k
                m -= k
                isWholeOldTree = false
            }
        }
        if !isWholeOldTree {
            topDown.append(try MerkleTree.hash(of: start..<end, from: source))
        }
        self.init(oldSize: oldSize, newSize: newSize, hashes: topDown.reversed())
    }

    /// Verifies that `oldRoot` is the root of the first ``oldSize`` leaves of the tree of
    /// ``newSize`` leaves whose root is `newRoot` (RFC 9162 §2.1.4.2).
    ///
    /// Equal sizes need an empty proof and equal roots; an old size of 0 needs an empty
    /// proof and ``MerkleHash/emptyRoot`` as the old root.
    /// - Throws: ``MerkleError/invalidProof`` on any failure.
    public func verify(oldRoot: Hash, newRoot: Hash) throws(MerkleError) {
        guard oldSize <= newSize else { throw .invalidProof }
        if oldSize == 0 {
            // The empty tree is a prefix of every tree; nothing to prove.
            guard hashes.isEmpty, oldRoot == MerkleHash.emptyRoot else { throw .invalidProof }
            return
        }
        if oldSize == newSize {
            // SUBPROOF(m, D[m], true) = {}: the trees are the same.
            guard hashes.isEmpty, oldRoot == newRoot else { throw .invalidProof }
            return
        }
        // RFC 9162 §2.1.4.2 step 1.
        guard !hashes.isEmpty else { throw .invalidProof }
        // Step 2: a power-of-two old tree is a node of the new tree, and is not repeated in
        // the proof.
        var path = hashes
        if oldSize & (oldSize - 1) == 0 {
            path.insert(oldRoot, at: 0)
        }
        // Step 3.
        var fn = oldSize - 1
        var sn = newSize - 1
        // Step 4.
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        // Step 5.
        var fr = path[0]
        var sr = path[0]
        // Step 6.
        for c in path.dropFirst() {
            // Step 6a.
            guard sn != 0 else { throw .invalidProof }
            // Step 6b.
            if fn & 1 == 1 || fn == sn {
                fr = MerkleHash.node(c, fr)
                sr = MerkleHash.node(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = MerkleHash.node(sr, c)
            }
            // Step 6c.
            fn >>= 1
            sn >>= 1
        }
        // Step 7.
        guard sn == 0, fr == oldRoot, sr == newRoot else { throw .invalidProof }
    }
}
