import Foundation
import GuichetMerkle
import Testing

/// Published signed notes.
///
/// - The "PeterNeumann" and "EnochRoot" keys and notes are the test vectors of
///   golang.org/x/mod/sumdb/note (note_test.go: TestNewVerifier, TestSign, TestOpen).
/// - The Go checksum database key is the one built into the go command; the two signed tree
///   heads are real checkpoints of sum.golang.org, as published in third-party test files,
///   and were checked with Python's `cryptography` package before being copied here.
enum PublishedNotes {
    static let peterVerifierKey = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    /// `PRIVATE+KEY+PeterNeumann+c74f20a3+` followed by base64(0x01 ‖ seed).
    static let peterPrivateKeyMaterial = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let enochVerifierKey = "EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop"
    static let text = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let peterSignature = "\u{2014} PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    static let enochSignature = "\u{2014} EnochRoot rwz+eBzmZa0SO3NbfRGzPCpDckykFXSdeX+MNtCOXm2/5n2tiOHp+vAF1aGrQ5ovTG01oOTGwnWLox33WWd1RvMc+QQ=\n"

    static let goSumDBVerifierKey = "sum.golang.org+033de0ae+Ac4zctda0e5eza+HJyk9SxEdh+s3Ux18htTTAD8OuAn8"
    static let goSumDBOrigin = "go.sum database tree"
    static let goSumDBCheckpoints: [(note: String, size: UInt64, root: String)] = [
        (
            "go.sum database tree\n31700353\nqINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs=\n\n\u{2014} sum.golang.org Az3grnmrIUEDFqHzAElIQCPNoRFRAAdFo47fooyWKMHb89k11GJh5zHIfNCOBmwn/C3YI8oW9/C8DJ87F61QqspBYwM=\n",
            31_700_353,
            "qINS1GRFhWHwdkUeqLEoP4yEMkTBBzxBkGwGQlVlVcs="
        ),
        (
            "go.sum database tree\n65209736\n5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo=\n\n\u{2014} sum.golang.org Az3grnbssgK7ubgFX36gVETtNv0U23qxyAhAMai2QUfeGa3nB/akvkMdlUErfcZz7l/R3cVtYspg3dxXABkGZZKdsQ8=\n",
            65_209_736,
            "5+uGFjx6xBZG8ip1+wi77v+grwbhhukIrxEUS8PXvRo="
        ),
    ]

    static func peterSigner() throws -> NoteSigner {
        let material = try #require(Data(base64Encoded: peterPrivateKeyMaterial))
        #expect(material.first == 0x01)
        return try NoteSigner(name: "PeterNeumann", ed25519Seed: Array(material.dropFirst()))
    }
}

@Suite("Published signed notes")
struct PublishedNoteTests {
    @Test("Go's test key yields the published verifier key and key ID c74f20a3")
    func peterKey() throws {
        let signer = try PublishedNotes.peterSigner()
        #expect(signer.verifier.ed25519KeyID == 0xc74f_20a3)
        #expect(signer.verifier.ed25519VerifierKey == PublishedNotes.peterVerifierKey)
        let parsed = try NoteVerifier(ed25519VerifierKey: PublishedNotes.peterVerifierKey)
        #expect(parsed.ed25519PublicKey == signer.verifier.ed25519PublicKey)
        #expect(parsed.ed25519KeyID == 0xc74f_20a3)
    }

    @Test("Signing Go's test text gives a note that verifies, byte for byte the published one")
    func peterSigns() throws {
        let signer = try PublishedNotes.peterSigner()
        let note = try signer.sign(text: PublishedNotes.text)
        #expect(try signer.verifier.verify(note) == PublishedNotes.text)
        #if !canImport(Darwin)
        // Ed25519 is deterministic (RFC 8032); BoringSSL follows it. Apple's CryptoKit
        // randomises Ed25519 signatures, so the exact bytes are only checked off Darwin.
        #expect(note == PublishedNotes.text + "\n" + PublishedNotes.peterSignature)
        #endif
    }

    @Test("Go's published two-signature note verifies with either key; the other line is ignored")
    func publishedNoteVerifies() throws {
        let note = PublishedNotes.text + "\n" + PublishedNotes.peterSignature + PublishedNotes.enochSignature
        let peter = try NoteVerifier(ed25519VerifierKey: PublishedNotes.peterVerifierKey)
        let enoch = try NoteVerifier(ed25519VerifierKey: PublishedNotes.enochVerifierKey)
        #expect(try peter.verify(note) == PublishedNotes.text)
        #expect(try enoch.verify(note) == PublishedNotes.text)
        #expect(try peter.verify(PublishedNotes.text + "\n" + PublishedNotes.peterSignature) == PublishedNotes.text)
        // Enoch's line alone carries no signature from Peter's key.
        #expect(throws: MerkleError.invalidNote) {
            try peter.verify(PublishedNotes.text + "\n" + PublishedNotes.enochSignature)
        }
    }

    @Test("Go's malformed and forged notes are rejected")
    func goBadMessages() throws {
        let peter = try NoteVerifier(ed25519VerifierKey: PublishedNotes.peterVerifierKey)
        let text = PublishedNotes.text
        let sig = PublishedNotes.peterSignature
        let cut = sig.index(sig.startIndex, offsetBy: 60)
        for bad in [
            text,
            text + "\n",
            text + "\n" + String(sig.dropLast()),
            "\u{1}" + text + "\n" + sig,
            text + "\n" + "\u{2014} Bad Name x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=",
            text + "\n" + sig + "Unexpected line.\n",
            // An invalid signature from the known key (TestOpen, "Invalid signature").
            text + "\n" + String(sig[..<cut]) + "ABCD" + String(sig[cut...]),
            text + "\n" + String(repeating: sig, count: 101),
        ] {
            #expect(throws: MerkleError.invalidNote) { try peter.verify(bad) }
        }
    }

    @Test("Mangled verifier keys are refused", arguments: [
        "",
        "PeterNeumann",
        "PeterNeumann+c74f20a3",
        "PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+C74F20A3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumanm+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TX",
        "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T",
        // Go's test: wrong length with adjusted hash, unknown algorithm with adjusted hash.
        "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
        "PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW",
    ])
    func mangledVerifierKeys(_ vkey: String) {
        #expect(throws: MerkleError.invalidKey) { try NoteVerifier(ed25519VerifierKey: vkey) }
    }

    @Test("Real Go checksum database checkpoints verify and parse", arguments: 0..<2)
    func goSumDBCheckpoints(_ which: Int) throws {
        let published = PublishedNotes.goSumDBCheckpoints[which]
        let verifier = try NoteVerifier(ed25519VerifierKey: PublishedNotes.goSumDBVerifierKey)
        #expect(verifier.ed25519KeyID == 0x033d_e0ae)
        let checkpoint = try verifier.verifyCheckpoint(published.note, origin: PublishedNotes.goSumDBOrigin)
        #expect(checkpoint.size == published.size)
        #expect(checkpoint.rootHash == (try Hash(base64: published.root)))
        #expect(checkpoint.extensions.isEmpty)
        #expect(throws: MerkleError.invalidNote) {
            try verifier.verifyCheckpoint(published.note, origin: "sum.golang.org")
        }
        let forgedSize = published.note.replacingOccurrences(of: "\n\(published.size)\n", with: "\n\(published.size + 1)\n")
        #expect(throws: MerkleError.invalidNote) {
            try verifier.verifyCheckpoint(forgedSize, origin: PublishedNotes.goSumDBOrigin)
        }
    }
}
