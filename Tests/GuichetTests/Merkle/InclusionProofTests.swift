import GuichetMerkle
import Testing

@Suite("Inclusion proofs (RFC 9162 §2.1.3)")
struct InclusionProofTests {
    @Test("Generated proofs equal the published ones and verify", arguments: RFC6962TestData.inclusionVectors)
    func publishedProofs(_ vector: RFC6962TestData.InclusionVector) throws {
        let leaves = RFC6962TestData.leafHashes
        let proof = try InclusionProof(leafIndex: vector.leafIndex, treeSize: vector.treeSize, source: leaves)
        #expect(proof.hashes.map(\.hex) == vector.pathHex)
        let published = InclusionProof(leafIndex: vector.leafIndex, treeSize: vector.treeSize, hashes: vector.pathHex.map(hash))
        let root = RFC6962TestData.root(size: Int(vector.treeSize))
        #expect(throws: Never.self) { try published.verify(leafHash: leaves[Int(vector.leafIndex)], rootHash: root) }
    }

    @Test("Published proofs are rejected once corrupted", arguments: RFC6962TestData.inclusionVectors)
    func corruptedPublishedProofs(_ vector: RFC6962TestData.InclusionVector) throws {
        let leafHash = RFC6962TestData.leafHashes[Int(vector.leafIndex)]
        let root = RFC6962TestData.root(size: Int(vector.treeSize))
        let path = vector.pathHex.map(hash)
        let index = vector.leafIndex
        let size = vector.treeSize
        // The probes of transparency-dev/merkle's verifier tests.
        var probes: [(String, InclusionProof, Hash, Hash)] = [
            ("index - 1", InclusionProof(leafIndex: index &- 1, treeSize: size, hashes: path), leafHash, root),
            ("index + 1", InclusionProof(leafIndex: index + 1, treeSize: size, hashes: path), leafHash, root),
            ("index ^ 2", InclusionProof(leafIndex: index ^ 2, treeSize: size, hashes: path), leafHash, root),
            ("size * 2", InclusionProof(leafIndex: index, treeSize: size * 2, hashes: path), leafHash, root),
            ("size / 2", InclusionProof(leafIndex: index, treeSize: size / 2, hashes: path), leafHash, root),
            ("wrong leaf", InclusionProof(leafIndex: index, treeSize: size, hashes: path), unrelatedHash, root),
            ("empty root", InclusionProof(leafIndex: index, treeSize: size, hashes: path), leafHash, MerkleHash.emptyRoot),
            ("random root", InclusionProof(leafIndex: index, treeSize: size, hashes: path), leafHash, unrelatedHash),
            ("trailing root", InclusionProof(leafIndex: index, treeSize: size, hashes: path + [root]), leafHash, root),
            ("preceding root", InclusionProof(leafIndex: index, treeSize: size, hashes: [root] + path), leafHash, root),
        ]
        if !path.isEmpty {
            probes.append(("removed component", InclusionProof(leafIndex: index, treeSize: size, hashes: path.dropLast()), leafHash, root))
        }
        if path.count > 1 {
            let inserted = [path[0], unrelatedHash] + path.dropFirst()
            probes.append(("inserted component", InclusionProof(leafIndex: index, treeSize: size, hashes: inserted), leafHash, root))
        }
        for element in path.indices {
            for bit in 0..<256 {
                var flipped = path
                flipped[element] = flippingBit(bit, of: path[element])
                probes.append(("proof[\(element)] bit \(bit)", InclusionProof(leafIndex: index, treeSize: size, hashes: flipped), leafHash, root))
            }
        }
        for (label, proof, leaf, root) in probes {
            #expect(throws: MerkleError.invalidProof, "\(label)") { try proof.verify(leafHash: leaf, rootHash: root) }
        }
    }

    @Test("Every leaf of every tree of 1 to 64 leaves has a proof that verifies", arguments: 1...64)
    func allProofsVerify(size: Int) throws {
        let leaves = syntheticLeafHashes(count: size)
        let root = referenceRoot(leaves[...])
        for index in 0..<size {
            let proof = try InclusionProof(leafIndex: UInt64(index), treeSize: UInt64(size), source: leaves)
            #expect(throws: Never.self) { try proof.verify(leafHash: leaves[index], rootHash: root) }
            #expect(try proof.rootHash(leafHash: leaves[index]) == root)
            // Audit paths are at most ceil(log2(size)) long.
            #expect(proof.hashes.count <= (size - 1).bitWidth - (size - 1).leadingZeroBitCount)
        }
    }

    @Test("Tampered proofs are rejected for every leaf of trees of 1 to 64 leaves", arguments: 1...64)
    func tamperedProofsFail(size: Int) throws {
        let leaves = syntheticLeafHashes(count: size + 1)
        let roots = (0...size + 1).map { referenceRoot(leaves.prefix($0)) }
        let n = UInt64(size)
        for index in 0..<size {
            let i = UInt64(index)
            let proof = try InclusionProof(leafIndex: i, treeSize: n, source: leaves)
            let path = proof.hashes
            let leaf = leaves[index]
            func rejects(_ candidate: InclusionProof, leaf: Hash = leaf, root: Hash = roots[size], _ label: String) {
                #expect(throws: MerkleError.invalidProof, "\(label), leaf \(index) of \(size)") {
                    try candidate.verify(leafHash: leaf, rootHash: root)
                }
            }
            // Single bit flips: every bit for small trees, one bit per element otherwise.
            for element in path.indices {
                let bits = size <= 16 ? Array(0..<256) : [(index * 67 + element * 29) % 256]
                for bit in bits {
                    var flipped = path
                    flipped[element] = flippingBit(bit, of: path[element])
                    rejects(InclusionProof(leafIndex: i, treeSize: n, hashes: flipped), "bit \(bit) of element \(element)")
                }
            }
            rejects(proof, leaf: flippingBit(index % 256, of: leaf), "flipped leaf hash")
            rejects(proof, root: flippingBit(index % 256, of: roots[size]), "flipped root")
            // Every other index, with this leaf's hash or with that leaf's own hash.
            for other in 0...size where other != index {
                rejects(InclusionProof(leafIndex: UInt64(other), treeSize: n, hashes: path), "index \(other)")
                if other < size {
                    rejects(InclusionProof(leafIndex: UInt64(other), treeSize: n, hashes: path), leaf: leaves[other], "index \(other) with its leaf")
                }
            }
            // A proof for this size against another size's checkpoint.
            for otherSize in [size - 1, size + 1] where otherSize > index {
                rejects(InclusionProof(leafIndex: i, treeSize: UInt64(otherSize), hashes: path), root: roots[otherSize], "size \(otherSize)")
            }
            // Truncated, extended, reordered.
            if !path.isEmpty {
                rejects(InclusionProof(leafIndex: i, treeSize: n, hashes: path.dropLast()), "last element dropped")
                rejects(InclusionProof(leafIndex: i, treeSize: n, hashes: Array(path.dropFirst())), "first element dropped")
            }
            rejects(InclusionProof(leafIndex: i, treeSize: n, hashes: path + [unrelatedHash]), "element appended")
            rejects(InclusionProof(leafIndex: i, treeSize: n, hashes: [unrelatedHash] + path), "element prepended")
            rejects(InclusionProof(leafIndex: i, treeSize: n, hashes: path + [roots[size]]), "root appended")
            if path.count > 1 {
                rejects(InclusionProof(leafIndex: i, treeSize: n, hashes: Array(path.reversed())), "reversed")
            }
        }
    }

    @Test("A one-leaf tree's proof is empty and binds leaf and root")
    func singleLeaf() throws {
        let leaf = MerkleHash.leaf(Array("data".utf8))
        let proof = try InclusionProof(leafIndex: 0, treeSize: 1, source: [leaf])
        #expect(proof.hashes.isEmpty)
        #expect(throws: Never.self) { try proof.verify(leafHash: leaf, rootHash: leaf) }
        #expect(throws: MerkleError.invalidProof) { try proof.verify(leafHash: leaf, rootHash: MerkleHash.emptyRoot) }
        #expect(throws: MerkleError.invalidProof) { try proof.verify(leafHash: unrelatedHash, rootHash: leaf) }
    }

    @Test("Indices outside the tree are refused by the generator and rejected by the verifier")
    func outOfRange() {
        let leaves = syntheticLeafHashes(count: 8)
        #expect(throws: MerkleError.indexOutOfRange(index: 8, size: 8)) {
            try InclusionProof(leafIndex: 8, treeSize: 8, source: leaves)
        }
        #expect(throws: MerkleError.indexOutOfRange(index: 0, size: 0)) {
            try InclusionProof(leafIndex: 0, treeSize: 0, source: leaves)
        }
        for (index, size) in [(0, 0), (1, 0), (2, 1), (UInt64.max, UInt64.max)] as [(UInt64, UInt64)] {
            let proof = InclusionProof(leafIndex: index, treeSize: size, hashes: [])
            #expect(throws: MerkleError.invalidProof) { try proof.verify(leafHash: leaves[0], rootHash: leaves[0]) }
            #expect(throws: MerkleError.invalidProof) { try proof.verify(leafHash: leaves[0], rootHash: MerkleHash.emptyRoot) }
        }
    }

    @Test("Stored subtree hashes give the same proofs with far fewer reads")
    func storedHashesServeProofs() throws {
        let leaves = syntheticLeafHashes(count: 1_000)
        var range = CompactRange()
        var stored: [NodeID: Hash] = [:]
        for leaf in leaves {
            for node in range.append(leaf) { stored[node.id] = node.hash }
        }
        for index: UInt64 in [0, 1, 511, 512, 998, 999] {
            let plain = CountingSource(leaves: leaves)
            let fast = CountingSource(leaves: leaves, stored: stored)
            let expected = try InclusionProof(leafIndex: index, treeSize: 1_000, source: plain)
            let proof = try InclusionProof(leafIndex: index, treeSize: 1_000, source: fast)
            #expect(proof == expected)
            #expect(fast.leafReads == 0)
            #expect(fast.storedReads <= 10 * 10)
            #expect(plain.leafReads >= 999)
            #expect(throws: Never.self) { try proof.verify(leafHash: leaves[Int(index)], rootHash: range.rootHash) }
        }
    }

    @Test("Source errors reach the caller unchanged")
    func sourceErrorsPropagate() {
        struct Unavailable: Error, Equatable {}
        struct FailingSource: LeafHashSource {
            func leafHashes(_ range: Range<UInt64>) throws -> [Hash] { throw Unavailable() }
        }
        #expect(throws: Unavailable()) { try InclusionProof(leafIndex: 3, treeSize: 10, source: FailingSource()) }
    }
}
