import Foundation
import GuichetMerkle
import Testing

/// The input of Tests/GuichetMerkleScripts/verify_note.py.
struct IndependentCheckInput: Codable {
    struct Inclusion: Codable {
        let index: UInt64
        let size: UInt64
        let path: [String]
    }

    struct Consistency: Codable {
        let old: UInt64
        let new: UInt64
        let path: [String]
    }

    var note: String
    var name: String
    var ed25519_public_key: String
    var ed25519_key_id: String
    var mldsa65_public_key: String?
    var mldsa65_key_id: String?
    var entries: [String]
    var inclusion: [Inclusion]
    var consistency: [Consistency]
}

/// Runs the Python verifier (python3 with the `cryptography` package) on `input`.
///
/// - Returns: the exit status and the combined output.
func runIndependentVerifier(_ input: IndependentCheckInput) async throws -> (status: Int32, output: String) {
    let script = Repo.root.appendingPathComponent("Tests/GuichetMerkleScripts/verify_note.py")
    let inputFile = FileManager.default.temporaryDirectory
        .appendingPathComponent("guichet-merkle-\(UUID().uuidString).json")
    try JSONEncoder().encode(input).write(to: inputFile)
    defer { try? FileManager.default.removeItem(at: inputFile) }

    let r = try await Child.run("/usr/bin/env", ["python3", script.path, inputFile.path], timeout: 300)
    return (r.status, r.output)
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
}

func keyIDString(_ id: UInt32) -> String {
    String(format: "%08x", id)
}

@Suite("Independent verification (Python cryptography)")
struct IndependentVerificationTests {
    /// A 13-entry log, its signed checkpoint, and every proof, for the Python verifier.
    static func makeInput(signer: NoteSigner) throws -> IndependentCheckInput {
        let entries = (0..<13).map { Array("access \($0): agent-\($0 % 4) read dossier-\($0 * 7)".utf8) }
        let leaves = entries.map { MerkleHash.leaf($0) }
        let checkpoint = try Checkpoint(
            origin: "guichet.example/ledger",
            size: UInt64(leaves.count),
            rootHash: MerkleTree.rootHash(leafHashes: leaves)
        )
        var inclusion: [IndependentCheckInput.Inclusion] = []
        var consistency: [IndependentCheckInput.Consistency] = []
        for size in 1...leaves.count {
            for index in 0..<size {
                let proof = try InclusionProof(leafIndex: UInt64(index), treeSize: UInt64(size), source: leaves)
                inclusion.append(.init(index: UInt64(index), size: UInt64(size), path: proof.hashes.map(\.hex)))
            }
            for old in 1..<size {
                let proof = try ConsistencyProof(oldSize: UInt64(old), newSize: UInt64(size), source: leaves)
                consistency.append(.init(old: UInt64(old), new: UInt64(size), path: proof.hashes.map(\.hex)))
            }
        }
        let verifier = signer.verifier
        return IndependentCheckInput(
            note: try signer.sign(checkpoint),
            name: signer.name,
            ed25519_public_key: Data(verifier.ed25519PublicKey).base64EncodedString(),
            ed25519_key_id: keyIDString(verifier.ed25519KeyID),
            mldsa65_public_key: verifier.mldsa65PublicKey.map { Data($0).base64EncodedString() },
            mldsa65_key_id: verifier.mldsa65KeyID.map(keyIDString),
            entries: entries.map(hexString),
            inclusion: inclusion,
            consistency: consistency
        )
    }

    @Test("Python verifies the signatures, key IDs, root and every proof we produce")
    func pythonAccepts() async throws {
        let signer = try NoteSigner.generate(name: "guichet.example/ledger")
        let input = try Self.makeInput(signer: signer)
        let result = try await runIndependentVerifier(input)
        #expect(result.status == 0, "python3 said: \(result.output)")
        // 4 signature checks, the root, 91 inclusion and 78 consistency proofs.
        #expect(result.output.hasPrefix("OK: 174 checks"), "python3 said: \(result.output)")
    }

    @Test("Python verifies an Ed25519-only note")
    func pythonAcceptsEd25519Only() async throws {
        let signer = try NoteSigner.generate(name: "guichet.example/ledger", withMLDSA65: false)
        let result = try await runIndependentVerifier(try Self.makeInput(signer: signer))
        #expect(result.status == 0, "python3 said: \(result.output)")
    }

    @Test("Python rejects what we tamper with, so its approval means something")
    func pythonRejectsTampering() async throws {
        let signer = try NoteSigner.generate(name: "guichet.example/ledger")
        let good = try Self.makeInput(signer: signer)

        var body = good
        body.note = body.note.replacingOccurrences(of: "\n13\n", with: "\n14\n")
        var edSignature = good
        let edLine = try #require(edSignature.note.split(separator: "\n").first { $0.hasPrefix("\u{2014}") })
        let edBytes = try #require(Data(base64Encoded: String(edLine.split(separator: " ")[2])))
        var flipped = Array(edBytes)
        flipped[10] ^= 1
        edSignature.note = edSignature.note.replacingOccurrences(
            of: String(edLine),
            with: "\u{2014} \(signer.name) \(Data(flipped).base64EncodedString())"
        )
        var keyID = good
        keyID.ed25519_key_id = "00000000"
        var inclusion = good
        inclusion.inclusion[40] = .init(
            index: good.inclusion[40].index,
            size: good.inclusion[40].size,
            path: good.inclusion[40].path.reversed()
        )
        var consistency = good
        consistency.consistency[30] = .init(
            old: good.consistency[30].old,
            new: good.consistency[30].new,
            path: Array(good.consistency[30].path.dropLast())
        )
        var entries = good
        entries.entries[5] = hexString(Array("forged".utf8))

        for (label, input) in [
            ("body", body), ("Ed25519 signature", edSignature), ("key ID", keyID),
            ("inclusion proof", inclusion), ("consistency proof", consistency), ("entries", entries),
        ] {
            let result = try await runIndependentVerifier(input)
            #expect(result.status == 1, "tampered \(label): python3 said \(result.output)")
            #expect(result.output.hasPrefix("FAIL"), "tampered \(label): python3 said \(result.output)")
        }
    }
}
