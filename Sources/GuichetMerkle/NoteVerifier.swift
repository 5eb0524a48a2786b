import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

/// Verifies signed notes and checkpoints from one key name: an Ed25519 key, always
/// required, and an ML-DSA-65 key, required too when known (C2SP signed-note, "Signatures").
///
/// A note is accepted only if:
/// - it follows the signed note format;
/// - it carries a valid Ed25519 signature from this name and key, and, when this verifier
///   knows an ML-DSA-65 key, a valid ML-DSA-65 signature too (so that stripping the
///   post-quantum line is detected);
/// - every signature line whose name and key ID match one of these keys verifies.
///
/// Lines from other keys (witnesses, rotated keys) are ignored, as the specification
/// requires.
public struct NoteVerifier: Sendable {
    /// The key name expected on signature lines.
    public let name: String
    /// The 32-byte Ed25519 public key (RFC 8032).
    public let ed25519PublicKey: [UInt8]
    /// The 1,952-byte ML-DSA-65 public key (FIPS 204), if known.
    public let mldsa65PublicKey: [UInt8]?
    /// The Ed25519 key's note key ID (``NoteSignatureType/ed25519``).
    public let ed25519KeyID: UInt32
    /// The ML-DSA-65 key's note key ID (``NoteSignatureType/mldsa65``), if known.
    public let mldsa65KeyID: UInt32?
    private let ed25519Key: Curve25519.Signing.PublicKey
    private let mldsa65Key: MLDSA65.PublicKey?

    /// A verifier from raw public keys.
    ///
    /// - Throws: ``MerkleError/invalidKey`` for an invalid key name (empty, or containing a
    ///   space, a plus sign or a control character), a key of the wrong length or encoding,
    ///   or two keys whose key IDs collide.
    public init(name: String, ed25519PublicKey: [UInt8], mldsa65PublicKey: [UInt8]? = nil) throws(MerkleError) {
        guard NoteText.isValidKeyName(name), ed25519PublicKey.count == 32 else { throw .invalidKey }
        do {
            self.ed25519Key = try Curve25519.Signing.PublicKey(rawRepresentation: ed25519PublicKey)
            self.mldsa65Key = try mldsa65PublicKey.map { try MLDSA65.PublicKey(rawRepresentation: $0) }
        } catch {
            throw .invalidKey
        }
        self.name = name
        self.ed25519PublicKey = ed25519PublicKey
        self.mldsa65PublicKey = mldsa65PublicKey
        self.ed25519KeyID = NoteSignatureType.ed25519.keyID(name: name, publicKey: ed25519PublicKey)
        self.mldsa65KeyID = mldsa65PublicKey.map { NoteSignatureType.mldsa65.keyID(name: name, publicKey: $0) }
        // Two keys of one name must be told apart by their IDs.
        guard mldsa65KeyID != ed25519KeyID else { throw .invalidKey }
    }

    /// A verifier from an Ed25519 verifier key string, `<name>+<hex key ID>+<base64(0x01 ‖
    /// 32-byte public key)>`, the format of golang.org/x/mod/sumdb/note and C2SP
    /// signed-note's verifier keys (for example the Go checksum database's
    /// `sum.golang.org+033de0ae+Ac4z…`).
    ///
    /// - Throws: ``MerkleError/invalidKey`` if the string is malformed, the type byte is not
    ///   Ed25519, or the key ID does not match the name and key.
    public init(ed25519VerifierKey vkey: String) throws(MerkleError) {
        let parts = vkey.split(separator: "+", maxSplits: 2, omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3,
            parts[1].utf8.count == 8,
            parts[1].utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }),
            let keyID = UInt32(parts[1], radix: 16),
            let material = canonicalBase64Decode(parts[2]),
            material.count == 33,
            material[0] == NoteSignatureType.ed25519.identifier[0]
        else { throw .invalidKey }
        try self.init(name: parts[0], ed25519PublicKey: Array(material.dropFirst()))
        guard ed25519KeyID == keyID else { throw .invalidKey }
    }

    /// The Ed25519 verifier key string (see ``init(ed25519VerifierKey:)``).
    public var ed25519VerifierKey: String {
        let id = String(ed25519KeyID, radix: 16)
        let paddedID = String(repeating: "0", count: 8 - id.count) + id
        return "\(name)+\(paddedID)+\(Data(NoteSignatureType.ed25519.identifier + ed25519PublicKey).base64EncodedString())"
    }

    /// Verifies a signed note and returns its text (ending in a newline, without the blank
    /// line and signatures).
    ///
    /// - Throws: ``MerkleError/invalidNote`` for any failure: malformed note, missing
    ///   required signature, invalid signature from a known key.
    public func verify(_ signedNote: String) throws(MerkleError) -> String {
        let (text, signatures) = try SignedNoteFormat.parse(signedNote)
        let message = Array(text.utf8)
        var ed25519Verified = false
        var mldsa65Verified = false
        for line in signatures where line.name.utf8.elementsEqual(name.utf8) {
            if line.keyID == ed25519KeyID {
                // C2SP signed-note: a line matching a known name and key ID MUST be verified;
                // a failure rejects the whole note.
                guard line.signature.count == NoteSignatureType.ed25519.signatureByteCount,
                    ed25519Key.isValidSignature(line.signature, for: message)
                else { throw .invalidNote }
                ed25519Verified = true
            } else if let mldsa65Key, line.keyID == mldsa65KeyID {
                guard line.signature.count == NoteSignatureType.mldsa65.signatureByteCount,
                    mldsa65Key.isValidSignature(line.signature, for: message)
                else { throw .invalidNote }
                mldsa65Verified = true
            }
        }
        guard ed25519Verified, mldsa65Key == nil || mldsa65Verified else { throw .invalidNote }
        return text
    }

    /// Verifies a signed checkpoint and parses it (C2SP tlog-checkpoint).
    ///
    /// - Parameter origin: the origin the checkpoint must name, the identity of the log the
    ///   caller expects.
    /// - Throws: ``MerkleError/invalidNote`` for any failure, including a checkpoint for
    ///   another origin.
    public func verifyCheckpoint(_ signedNote: String, origin: String) throws(MerkleError) -> Checkpoint {
        let checkpoint = try Checkpoint(body: verify(signedNote))
        guard checkpoint.origin.utf8.elementsEqual(origin.utf8) else { throw .invalidNote }
        return checkpoint
    }
}
