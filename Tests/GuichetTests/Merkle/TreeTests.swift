import GuichetMerkle
import Testing

/// A leaf source that records its reads and can serve stored subtree hashes.
final class CountingSource: LeafHashSource {
    let leaves: [Hash]
    let stored: [NodeID: Hash]
    private(set) var leafReads = 0
    private(set) var storedReads = 0

    init(leaves: [Hash], stored: [NodeID: Hash] = [:]) {
        self.leaves = leaves
        self.stored = stored
    }

    func leafHashes(_ range: Range<UInt64>) throws -> [Hash] {
        leafReads += Int(range.upperBound - range.lowerBound)
        return try leaves.leafHashes(range)
    }

    func storedHash(of node: NodeID) throws -> Hash? {
        storedReads += 1
        return stored[node]
    }
}

/// A source that returns one hash too few.
struct ShortSource: LeafHashSource {
    let leaves: [Hash]
    func leafHashes(_ range: Range<UInt64>) throws -> [Hash] {
        Array(try leaves.leafHashes(range).dropLast())
    }
}

@Suite("Tree hashes (RFC 9162 §2.1.1)")
struct TreeTests {
    @Test("Roots of the published test tree match for every size 1 to 8", arguments: 1...8)
    func publishedRoots(size: Int) throws {
        let leaves = Array(RFC6962TestData.leafHashes.prefix(size))
        let expected = RFC6962TestData.root(size: size)
        #expect(MerkleTree.rootHash(leafHashes: leaves) == expected)
        #expect(try MerkleTree.hash(of: 0..<UInt64(size), from: leaves) == expected)
        var range = CompactRange()
        for leaf in leaves { range.append(leaf) }
        #expect(range.rootHash == expected)
        #expect(range.size == UInt64(size))
    }

    @Test("The compact range gives the root after every append, up to 300 leaves")
    func compactRangeMatchesReference() {
        let leaves = syntheticLeafHashes(count: 300)
        var range = CompactRange()
        #expect(range.rootHash == MerkleHash.emptyRoot)
        for (index, leaf) in leaves.enumerated() {
            range.append(leaf)
            #expect(range.rootHash == referenceRoot(leaves[...index]))
            #expect(range.hashes.count == range.size.nonzeroBitCount)
        }
    }

    @Test("Any range of leaves hashes like a tree of just those leaves, with or without stored nodes")
    func arbitraryRanges() throws {
        let leaves = syntheticLeafHashes(count: 40)
        var range = CompactRange()
        var stored: [NodeID: Hash] = [:]
        for leaf in leaves {
            for node in range.append(leaf) { stored[node.id] = node.hash }
        }
        let storedSource = CountingSource(leaves: leaves, stored: stored)
        for start in 0...40 {
            for end in start...40 {
                let expected = referenceRoot(leaves[start..<end])
                #expect(try MerkleTree.hash(of: UInt64(start)..<UInt64(end), from: leaves) == expected)
                // Unaligned pieces must not be mistaken for stored nodes.
                #expect(try MerkleTree.hash(of: UInt64(start)..<UInt64(end), from: storedSource) == expected)
            }
        }
    }

    @Test("Large unaligned subtrees are read in batches and still hash right")
    func largeUnalignedRange() throws {
        let leaves = syntheticLeafHashes(count: 5_000)
        let source = CountingSource(leaves: leaves)
        #expect(try MerkleTree.hash(of: 3..<4_999, from: source) == referenceRoot(leaves[3..<4_999]))
        #expect(source.leafReads == 4_996)
    }

    @Test("Appends report the completed subtrees, which serve every later hash")
    func completedNodes() throws {
        let leaves = syntheticLeafHashes(count: 100)
        var range = CompactRange()
        var stored: [NodeID: Hash] = [:]
        for (index, leaf) in leaves.enumerated() {
            let completed = range.append(leaf)
            #expect(completed.first == NodeHash(id: NodeID(level: 0, index: UInt64(index)), hash: leaf))
            // One node per trailing one bit of the old size, plus the leaf.
            #expect(completed.count == (~UInt64(index)).trailingZeroBitCount + 1)
            for node in completed {
                let covered = node.id.leafRange
                #expect(node.hash == referenceRoot(leaves[Int(covered.lowerBound)..<Int(covered.upperBound)]))
                stored[node.id] = node.hash
            }
        }
        // With every perfect subtree stored, a root needs no leaf reads at all.
        let source = CountingSource(leaves: leaves, stored: stored)
        #expect(try MerkleTree.hash(of: 0..<100, from: source) == referenceRoot(leaves[...]))
        #expect(source.leafReads == 0)
        #expect(source.storedReads == 3)  // 100 = 64 + 32 + 4
    }

    @Test("A frontier rebuilt from stored nodes continues like the original")
    func restoreCompactRange() throws {
        let leaves = syntheticLeafHashes(count: 77)
        var original = CompactRange()
        var stored: [NodeID: Hash] = [:]
        for leaf in leaves.prefix(45) {
            for node in original.append(leaf) { stored[node.id] = node.hash }
        }
        let ids = CompactRange.nodeIDs(forSize: 45)
        #expect(ids == [NodeID(level: 5, index: 0), NodeID(level: 3, index: 4), NodeID(level: 2, index: 10), NodeID(level: 0, index: 44)])
        var restored = try CompactRange(size: 45, hashes: ids.map { try #require(stored[$0]) })
        #expect(restored == original)
        for leaf in leaves.dropFirst(45) {
            original.append(leaf)
            restored.append(leaf)
        }
        #expect(restored.rootHash == referenceRoot(leaves[...]))
        #expect(restored == original)
    }

    @Test("Leaves appended a block at a time, from the block's own tree, give the tree and the completed subtrees of one leaf at a time")
    func appendBlocks() throws {
        let leaves = syntheticLeafHashes(count: 300)
        for width in [1, 2, 4, 8, 32, 128] {
            var one = CompactRange(), blocks = CompactRange()
            var closedByOne: [NodeHash] = [], closedByBlocks: [NodeHash] = []
            for start in stride(from: 0, to: leaves.count, by: width) {
                // A block of `width` leaves (the last one shorter) starting at a multiple of
                // `width`, as verification's batches are, hashed as a tree of its own.
                var block = CompactRange()
                for leaf in leaves[start..<min(leaves.count, start + width)] {
                    one.append(leaf) { closedByOne.append($0) }
                    block.append(leaf)
                }
                blocks.append(block) { closedByBlocks.append($0) }
                #expect(blocks == one, "blocks of \(width), after leaf \(start + Int(block.size))")
            }
            #expect(blocks.rootHash == referenceRoot(leaves[...]))
            // The blocks report their own subtrees and what they close: the nodes of one leaf
            // at a time from level log2(width) up, plus a shorter last block's subtrees.
            let level = UInt8(width.trailingZeroBitCount)
            let tailStart = UInt64(leaves.count - leaves.count % width)
            let tail = CompactRange.nodeIDs(forSize: UInt64(leaves.count % width)).map { (id: NodeID) -> NodeID in
                NodeID(level: id.level, index: (tailStart >> UInt64(id.level)) + id.index)
            }
            #expect(closedByBlocks.map(\.id) == closedByOne.map(\.id).filter { $0.level >= level || tail.contains($0) }, "blocks of \(width)")
            for node in closedByBlocks {
                let covered = node.id.leafRange
                #expect(node.hash == referenceRoot(leaves[Int(covered.lowerBound)..<Int(covered.upperBound)]))
            }
        }
    }

    @Test("A frontier with the wrong number of hashes for its size is refused")
    func restoreWrongCount() {
        let hashes = syntheticLeafHashes(count: 3)
        #expect(throws: MerkleError.leafSourceMismatch(expected: 2, received: 3)) {
            try CompactRange(size: 5, hashes: hashes)
        }
        #expect(throws: MerkleError.leafSourceMismatch(expected: 0, received: 1)) {
            try CompactRange(size: 0, hashes: [hashes[0]])
        }
    }

    @Test("A source that returns too few hashes is detected")
    func shortSource() {
        let source = ShortSource(leaves: syntheticLeafHashes(count: 8))
        #expect(throws: MerkleError.leafSourceMismatch(expected: 8, received: 7)) {
            try MerkleTree.hash(of: 0..<8, from: source)
        }
    }

    @Test("Reading beyond an in-memory source fails")
    func beyondArray() {
        let leaves = syntheticLeafHashes(count: 4)
        #expect(throws: MerkleError.indexOutOfRange(index: 4, size: 4)) {
            try MerkleTree.hash(of: 0..<5, from: leaves)
        }
    }

    @Test("Node IDs name the leaves they cover")
    func nodeIDRanges() {
        #expect(NodeID(level: 0, index: 7).leafRange == 7..<8)
        #expect(NodeID(level: 3, index: 2).leafRange == 16..<24)
        #expect(NodeID(level: 3, index: 2).description == "3/2")
    }
}
