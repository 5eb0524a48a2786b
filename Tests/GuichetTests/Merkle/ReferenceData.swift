import GuichetMerkle
import Testing

/// Published reference data for RFC 6962 / RFC 9162 Merkle trees.
///
/// Source: the Certificate Transparency reference test data (cpp/merkletree/
/// merkle_tree_test.cc in google/certificate-transparency), as carried by
/// transparency-dev/merkle, proof/verify_test.go (variables `leaves`, `roots`,
/// `inclusionProofs`, `consistencyProofs`). Leaf numbers in that file are 1-based; the
/// vectors below are converted to 0-based leaf indices.
enum RFC6962TestData {
    /// The eight leaf entries, as hex.
    static let leafInputsHex = [
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    ]

    /// The leaf entries as bytes.
    static let leafInputs: [[UInt8]] = leafInputsHex.map(bytes(hex:))

    /// The leaf hashes of the eight entries.
    static let leafHashes: [Hash] = leafInputs.map { MerkleHash.leaf($0) }

    /// Roots of the trees of sizes 1 to 8 (index 0 is size 1).
    static let rootsHex = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ]

    /// The root of the tree of `size` leaves, 1 ≤ size ≤ 8.
    static func root(size: Int) -> Hash { hash(rootsHex[size - 1]) }

    /// A published inclusion proof.
    struct InclusionVector: Sendable, CustomTestStringConvertible {
        let leafIndex: UInt64
        let treeSize: UInt64
        let pathHex: [String]
        var testDescription: String { "leaf \(leafIndex) of \(treeSize)" }
    }

    /// Published inclusion proofs (0-based leaf index).
    static let inclusionVectors = [
        InclusionVector(leafIndex: 0, treeSize: 1, pathHex: []),
        InclusionVector(leafIndex: 0, treeSize: 8, pathHex: [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        InclusionVector(leafIndex: 5, treeSize: 8, pathHex: [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
        InclusionVector(leafIndex: 2, treeSize: 3, pathHex: [
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        ]),
        InclusionVector(leafIndex: 1, treeSize: 5, pathHex: [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]),
    ]

    /// A published consistency proof.
    struct ConsistencyVector: Sendable, CustomTestStringConvertible {
        let oldSize: UInt64
        let newSize: UInt64
        let proofHex: [String]
        var testDescription: String { "\(oldSize) to \(newSize)" }
    }

    /// Published consistency proofs.
    static let consistencyVectors = [
        ConsistencyVector(oldSize: 1, newSize: 1, proofHex: []),
        ConsistencyVector(oldSize: 1, newSize: 8, proofHex: [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ]),
        ConsistencyVector(oldSize: 6, newSize: 8, proofHex: [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
        ConsistencyVector(oldSize: 2, newSize: 5, proofHex: [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ]),
        ConsistencyVector(oldSize: 6, newSize: 7, proofHex: [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ]),
    ]

    /// SHA-256 of the empty string (FIPS 180-4 test value), the root of the empty tree.
    static let emptyTreeRootHex = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
}

/// Parses a hash literal of the test data; a malformed literal is a bug in the test.
func hash(_ hex: String) -> Hash {
    do {
        return try Hash(hex: hex)
    } catch {
        preconditionFailure("bad hash literal \(hex)")
    }
}

/// Parses an even-length hex literal of the test data.
func bytes(hex: String) -> [UInt8] {
    let digits = Array(hex.utf8)
    precondition(digits.count % 2 == 0, "odd hex literal")
    func value(_ c: UInt8) -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        default: preconditionFailure("bad hex digit")
        }
    }
    return stride(from: 0, to: digits.count, by: 2).map { value(digits[$0]) << 4 | value(digits[$0 + 1]) }
}

/// Leaf hashes for the synthetic trees of the property tests: leaf `i` is the entry
/// "leaf i".
func syntheticLeafHashes(count: Int) -> [Hash] {
    (0..<count).map { MerkleHash.leaf(Array("leaf \($0)".utf8)) }
}

/// A straightforward recursive reading of RFC 9162 §2.1.1, independent of the library's
/// iterative code, for cross-checking roots of synthetic trees.
func referenceRoot(_ leaves: ArraySlice<Hash>) -> Hash {
    switch leaves.count {
    case 0: return MerkleHash.emptyRoot
    case 1: return leaves[leaves.startIndex]
    default:
        var k = 1
        while k * 2 < leaves.count { k *= 2 }
        let split = leaves.startIndex + k
        return MerkleHash.node(referenceRoot(leaves[..<split]), referenceRoot(leaves[split...]))
    }
}

/// A copy of `hash` with one bit flipped.
func flippingBit(_ bit: Int, of hash: Hash) -> Hash {
    var bytes = hash.bytes
    bytes[bit / 8] ^= UInt8(1) << UInt8(bit % 8)
    do {
        return try Hash(bytes: bytes)
    } catch {
        preconditionFailure("32 bytes stay 32 bytes")
    }
}

/// A hash that occurs in no test tree.
let unrelatedHash = MerkleHash.leaf(Array("not in any tree".utf8))

/// A string test argument that prints escaped, so that newlines and control characters
/// in malformed inputs stay readable in test output.
struct Literal: Sendable, CustomTestStringConvertible, ExpressibleByStringLiteral, ExpressibleByStringInterpolation {
    let value: String
    init(stringLiteral value: String) { self.value = value }
    init(stringInterpolation: DefaultStringInterpolation) { self.value = String(stringInterpolation: stringInterpolation) }
    var testDescription: String { value.debugDescription }
}
