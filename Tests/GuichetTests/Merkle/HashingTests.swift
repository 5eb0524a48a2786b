import Foundation
import GuichetMerkle
import Testing

@Suite("Hashing (RFC 9162 §2.1.1)")
struct HashingTests {
    @Test("The empty tree's root is SHA-256 of the empty string")
    func emptyRoot() {
        #expect(MerkleHash.emptyRoot.hex == RFC6962TestData.emptyTreeRootHex)
        #expect(MerkleTree.rootHash(leafHashes: [Hash]()) == MerkleHash.emptyRoot)
    }

    @Test("A one-leaf tree's root is the published hash of 0x00 ‖ the empty entry")
    func singleEmptyLeaf() {
        #expect(MerkleHash.leaf([UInt8]()) == RFC6962TestData.root(size: 1))
    }

    @Test("A two-leaf root is the node hash of the two leaf hashes, as published")
    func nodeHash() {
        let leaves = RFC6962TestData.leafHashes
        #expect(MerkleHash.node(leaves[0], leaves[1]) == RFC6962TestData.root(size: 2))
    }

    @Test("Leaf and node hashes are domain-separated")
    func domainSeparation() {
        let leaves = RFC6962TestData.leafHashes
        let node = MerkleHash.node(leaves[0], leaves[1])
        // A leaf whose entry is the concatenation of two hashes must not equal their node.
        #expect(MerkleHash.leaf(leaves[0].bytes + leaves[1].bytes) != node)
        #expect(MerkleHash.node(leaves[1], leaves[0]) != node)
    }

    @Test("A hash held inline keeps its 32 bytes, equals and hashes by them, and a stored hash of any other length is refused")
    func inlineStorage() throws {
        let leaves = RFC6962TestData.leafHashes
        for h in leaves {
            #expect(try Hash(bytes: h.bytes) == h)
            #expect(h.bytes.count == 32 && h.data == Data(h.bytes))
            #expect(Hash(stored: h.data) == h)
            #expect(h.withUnsafeBytes { Array($0) } == h.bytes)
        }
        // Two hashes differing in one byte, anywhere, differ (each of the four words counts).
        let base = leaves[0].bytes
        for i in [0, 7, 8, 15, 16, 23, 24, 31] {
            var other = base
            other[i] ^= 0x01
            let h = try Hash(bytes: other)
            #expect(h != leaves[0] && Hash(stored: h.data) != leaves[0], "byte \(i)")
        }
        #expect(Set(leaves).count == Set(leaves.map(\.hex)).count)
        #expect(Dictionary(uniqueKeysWithValues: leaves.enumerated().map { ($1, $0) })[leaves[3]] == 3)
        for length in [0, 31, 33, 64] {
            let stored = Data(repeating: 0xAB, count: length)
            #expect(Hash(stored: stored) == nil, "\(length) bytes")
            #expect(stored.withUnsafeBytes { Hash(stored: $0) } == nil, "\(length) bytes, read in place")
            #expect(throws: MerkleError.self) { try Hash(bytes: [UInt8](stored)) }
        }
        // The leaf of bytes held in Data, in an array and in a non-contiguous collection is the same.
        let entry = Array("{\"v\":1}".utf8)
        #expect(MerkleHash.leaf(Data(entry)) == MerkleHash.leaf(entry))
        let dispatched = entry.withUnsafeBytes { DispatchData(bytes: $0) }
        #expect(MerkleHash.leaf(Data(entry)) == MerkleHash.leaf(dispatched))
    }

    @Test("Hex and base64 forms round-trip")
    func encodings() throws {
        let root = RFC6962TestData.root(size: 8)
        #expect(try Hash(hex: root.hex) == root)
        #expect(try Hash(hex: root.hex.uppercased()) == root)
        #expect(try Hash(base64: root.base64) == root)
        #expect(root.base64.count == 44)
        #expect(root.description == RFC6962TestData.rootsHex[7])
    }

    @Test("Malformed hash encodings are refused", arguments: [
        "",
        "00",
        String(repeating: "0", count: 63),
        String(repeating: "0", count: 65),
        String(repeating: "g", count: 64),
        " " + String(repeating: "0", count: 63),
    ])
    func badHex(_ text: String) {
        #expect(throws: MerkleError.invalidHashEncoding) { try Hash(hex: text) }
    }

    @Test("Malformed or non-canonical base64 hashes are refused", arguments: [
        "",
        "AAAA",
        // 31 bytes and 33 bytes.
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        // Missing padding, non-zero padding bits, whitespace, URL alphabet.
        "bcnaeaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB=",
        " AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "-_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
    ])
    func badBase64(_ text: String) {
        #expect(throws: MerkleError.invalidHashEncoding) { try Hash(base64: text) }
    }

    @Test("Hashes must be exactly 32 bytes")
    func badLength() {
        #expect(throws: MerkleError.invalidHashEncoding) { try Hash(bytes: [UInt8](repeating: 0, count: 31)) }
        #expect(throws: MerkleError.invalidHashEncoding) { try Hash(bytes: [UInt8](repeating: 0, count: 33)) }
        #expect(throws: Never.self) { try Hash(bytes: [UInt8](repeating: 0, count: 32)) }
    }
}
