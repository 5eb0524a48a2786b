import GuichetMerkle
import Testing

@Suite("Consistency proofs (RFC 9162 §2.1.4)")
struct ConsistencyProofTests {
    @Test("Generated proofs equal the published ones and verify", arguments: RFC6962TestData.consistencyVectors)
    func publishedProofs(_ vector: RFC6962TestData.ConsistencyVector) throws {
        let leaves = RFC6962TestData.leafHashes
        let proof = try ConsistencyProof(oldSize: vector.oldSize, newSize: vector.newSize, source: leaves)
        #expect(proof.hashes.map(\.hex) == vector.proofHex)
        let published = ConsistencyProof(oldSize: vector.oldSize, newSize: vector.newSize, hashes: vector.proofHex.map(hash))
        #expect(throws: Never.self) {
            try published.verify(
                oldRoot: RFC6962TestData.root(size: Int(vector.oldSize)),
                newRoot: RFC6962TestData.root(size: Int(vector.newSize))
            )
        }
    }

    @Test("Published proofs are rejected once corrupted", arguments: RFC6962TestData.consistencyVectors.filter { !$0.proofHex.isEmpty })
    func corruptedPublishedProofs(_ vector: RFC6962TestData.ConsistencyVector) {
        let m = vector.oldSize
        let n = vector.newSize
        let root1 = RFC6962TestData.root(size: Int(m))
        let root2 = RFC6962TestData.root(size: Int(n))
        let proof = vector.proofHex.map(hash)
        // The probes of transparency-dev/merkle's verifier tests.
        var probes: [(String, ConsistencyProof, Hash, Hash)] = [
            ("size1 - 1", ConsistencyProof(oldSize: m - 1, newSize: n, hashes: proof), root1, root2),
            ("size1 + 1", ConsistencyProof(oldSize: m + 1, newSize: n, hashes: proof), root1, root2),
            ("size1 ^ 2", ConsistencyProof(oldSize: m ^ 2, newSize: n, hashes: proof), root1, root2),
            ("size2 * 2", ConsistencyProof(oldSize: m, newSize: n * 2, hashes: proof), root1, root2),
            ("size2 / 2", ConsistencyProof(oldSize: m, newSize: n / 2, hashes: proof), root1, root2),
            ("wrong root1", ConsistencyProof(oldSize: m, newSize: n, hashes: proof), unrelatedHash, root2),
            ("wrong root2", ConsistencyProof(oldSize: m, newSize: n, hashes: proof), root1, unrelatedHash),
            ("swapped roots", ConsistencyProof(oldSize: m, newSize: n, hashes: proof), root2, root1),
            ("empty proof", ConsistencyProof(oldSize: m, newSize: n, hashes: []), root1, root2),
            ("trailing root1", ConsistencyProof(oldSize: m, newSize: n, hashes: proof + [root1]), root1, root2),
            ("trailing root2", ConsistencyProof(oldSize: m, newSize: n, hashes: proof + [root2]), root1, root2),
            ("preceding root1", ConsistencyProof(oldSize: m, newSize: n, hashes: [root1] + proof), root1, root2),
            ("preceding root2", ConsistencyProof(oldSize: m, newSize: n, hashes: [root2] + proof), root1, root2),
            ("preceding proof[0]", ConsistencyProof(oldSize: m, newSize: n, hashes: [proof[0]] + proof), root1, root2),
            ("truncated", ConsistencyProof(oldSize: m, newSize: n, hashes: proof.dropLast()), root1, root2),
        ]
        for element in proof.indices {
            for bit in 0..<256 {
                var flipped = proof
                flipped[element] = flippingBit(bit, of: proof[element])
                probes.append(("proof[\(element)] bit \(bit)", ConsistencyProof(oldSize: m, newSize: n, hashes: flipped), root1, root2))
            }
        }
        for (label, candidate, old, new) in probes {
            #expect(throws: MerkleError.invalidProof, "\(label)") { try candidate.verify(oldRoot: old, newRoot: new) }
        }
    }

    @Test("Every pair of sizes 1 ≤ m ≤ n ≤ 64 has a proof that verifies", arguments: 1...64)
    func allProofsVerify(newSize n: Int) throws {
        let leaves = syntheticLeafHashes(count: n)
        let roots = (0...n).map { referenceRoot(leaves.prefix($0)) }
        for m in 0...n {
            let proof = try ConsistencyProof(oldSize: UInt64(m), newSize: UInt64(n), source: leaves)
            #expect(throws: Never.self, "\(m) to \(n)") { try proof.verify(oldRoot: roots[m], newRoot: roots[n]) }
            if m == 0 || m == n {
                #expect(proof.hashes.isEmpty)
            }
        }
    }

    @Test("Tampered proofs are rejected for every pair of sizes up to 64", arguments: 1...64)
    func tamperedProofsFail(newSize n: Int) throws {
        let leaves = syntheticLeafHashes(count: n + 1)
        let roots = (0...n + 1).map { referenceRoot(leaves.prefix($0)) }
        for m in 1..<n {
            let proof = try ConsistencyProof(oldSize: UInt64(m), newSize: UInt64(n), source: leaves)
            let hashes = proof.hashes
            func rejects(_ old: Int, _ new: Int, _ hashes: [Hash], oldRoot: Hash? = nil, newRoot: Hash? = nil, _ label: String) {
                let candidate = ConsistencyProof(oldSize: UInt64(old), newSize: UInt64(new), hashes: hashes)
                #expect(throws: MerkleError.invalidProof, "\(label), \(m) to \(n)") {
                    try candidate.verify(oldRoot: oldRoot ?? roots[old], newRoot: newRoot ?? roots[new])
                }
            }
            for element in hashes.indices {
                let bits = n <= 16 ? Array(0..<256) : [(m * 41 + element * 13) % 256]
                for bit in bits {
                    var flipped = hashes
                    flipped[element] = flippingBit(bit, of: hashes[element])
                    rejects(m, n, flipped, "bit \(bit) of element \(element)")
                }
            }
            rejects(m, n, hashes, oldRoot: flippingBit(m, of: roots[m]), "flipped old root")
            rejects(m, n, hashes, newRoot: flippingBit(n, of: roots[n]), "flipped new root")
            rejects(m, n, hashes, oldRoot: roots[n], newRoot: roots[m], "swapped roots")
            // The proof against other sizes' checkpoints.
            rejects(m - 1, n, hashes, "old size - 1")
            rejects(m + 1, n, hashes, "old size + 1")
            rejects(m, n + 1, hashes, "new size + 1")
            if n - 1 > m {
                rejects(m, n - 1, hashes, "new size - 1")
            }
            rejects(n, m, hashes, "sizes swapped")
            // Truncated, extended, reordered.
            rejects(m, n, [], "empty")
            rejects(m, n, hashes.dropLast(), "last element dropped")
            rejects(m, n, Array(hashes.dropFirst()), "first element dropped")
            rejects(m, n, hashes + [unrelatedHash], "element appended")
            rejects(m, n, [unrelatedHash] + hashes, "element prepended")
            rejects(m, n, hashes + [roots[n]], "new root appended")
            if hashes.count > 1 {
                rejects(m, n, Array(hashes.reversed()), "reversed")
            }
        }
    }

    @Test("Equal sizes need an empty proof and equal roots")
    func equalSizes() {
        let leaves = syntheticLeafHashes(count: 5)
        let root = referenceRoot(leaves[...])
        #expect(throws: Never.self) { try ConsistencyProof(oldSize: 5, newSize: 5, hashes: []).verify(oldRoot: root, newRoot: root) }
        #expect(throws: MerkleError.invalidProof) {
            try ConsistencyProof(oldSize: 5, newSize: 5, hashes: []).verify(oldRoot: root, newRoot: unrelatedHash)
        }
        #expect(throws: MerkleError.invalidProof) {
            try ConsistencyProof(oldSize: 5, newSize: 5, hashes: [root]).verify(oldRoot: root, newRoot: root)
        }
    }

    @Test("The empty tree is consistent with every tree, and only with an empty proof")
    func emptyOldTree() throws {
        let leaves = syntheticLeafHashes(count: 5)
        let root = referenceRoot(leaves[...])
        let proof = try ConsistencyProof(oldSize: 0, newSize: 5, source: leaves)
        #expect(proof.hashes.isEmpty)
        #expect(throws: Never.self) { try proof.verify(oldRoot: MerkleHash.emptyRoot, newRoot: root) }
        #expect(throws: MerkleError.invalidProof) { try proof.verify(oldRoot: root, newRoot: root) }
        #expect(throws: MerkleError.invalidProof) {
            try ConsistencyProof(oldSize: 0, newSize: 5, hashes: [MerkleHash.emptyRoot]).verify(oldRoot: MerkleHash.emptyRoot, newRoot: root)
        }
    }

    @Test("A shrinking tree is refused by the generator and rejected by the verifier")
    func shrinkingTree() {
        let leaves = syntheticLeafHashes(count: 8)
        #expect(throws: MerkleError.invalidTreeSizes(old: 6, new: 5)) {
            try ConsistencyProof(oldSize: 6, newSize: 5, source: leaves)
        }
        let root5 = referenceRoot(leaves.prefix(5))
        let root6 = referenceRoot(leaves.prefix(6))
        #expect(throws: MerkleError.invalidProof) {
            try ConsistencyProof(oldSize: 6, newSize: 5, hashes: []).verify(oldRoot: root6, newRoot: root5)
        }
    }

    @Test("Stored subtree hashes give the same consistency proofs without leaf reads")
    func storedHashesServeProofs() throws {
        let leaves = syntheticLeafHashes(count: 1_000)
        var range = CompactRange()
        var stored: [NodeID: Hash] = [:]
        var roots: [Hash] = [range.rootHash]
        for leaf in leaves {
            for node in range.append(leaf) { stored[node.id] = node.hash }
            roots.append(range.rootHash)
        }
        for m in [1, 2, 3, 255, 256, 257, 700, 999] {
            let fast = CountingSource(leaves: leaves, stored: stored)
            let expected = try ConsistencyProof(oldSize: UInt64(m), newSize: 1_000, source: leaves)
            let proof = try ConsistencyProof(oldSize: UInt64(m), newSize: 1_000, source: fast)
            #expect(proof == expected)
            #expect(fast.leafReads == 0)
            #expect(throws: Never.self) { try proof.verify(oldRoot: roots[m], newRoot: roots[1_000]) }
        }
    }
}
