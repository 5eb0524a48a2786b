public import Crypto

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
public import Foundation
#endif

/// Signs notes and checkpoints under one key name with an Ed25519 key and, optionally, an
/// ML-DSA-65 key (C2SP signed-note).
///
/// Every signed note carries one signature line per key, Ed25519 first:
///
/// ```
/// — guichet.example/ledger <base64(Ed25519 key ID ‖ 64-byte signature)>
/// — guichet.example/ledger <base64(ML-DSA-65 key ID ‖ 3309-byte signature)>
/// ```
///
/// The value prints without its keys. Store the seeds (``ed25519Seed``, ``mldsa65Seed``)
/// like any other secret key and rebuild the signer with ``init(name:ed25519Seed:mldsa65Seed:)``.
public struct NoteSigner: Sendable, CustomStringConvertible, CustomReflectable {
    /// The key name written on each signature line; for a log, its origin.
    public let name: String
    /// The public half, to publish and to verify with.
    public let verifier: NoteVerifier
    private let ed25519Key: Curve25519.Signing.PrivateKey
    private let mldsa65Key: MLDSA65.PrivateKey?

    /// A signer from key objects.
    ///
    /// - Throws: ``MerkleError/invalidKey`` if the name is not a valid key name (empty, or
    ///   containing a space, a plus sign or a control character) or the two key IDs collide.
    public init(
        name: String,
        ed25519PrivateKey: Curve25519.Signing.PrivateKey,
        mldsa65PrivateKey: MLDSA65.PrivateKey? = nil
    ) throws(MerkleError) {
        self.verifier = try NoteVerifier(
            name: name,
            ed25519PublicKey: Array(ed25519PrivateKey.publicKey.rawRepresentation),
            mldsa65PublicKey: mldsa65PrivateKey.map { Array($0.publicKey.rawRepresentation) }
        )
        self.name = name
        self.ed25519Key = ed25519PrivateKey
        self.mldsa65Key = mldsa65PrivateKey
    }

    /// A signer from stored key bytes.
    ///
    /// - Parameters:
    ///   - ed25519Seed: the 32-byte Ed25519 private key (RFC 8032 §5.1.5 seed).
    ///   - mldsa65Seed: the 32-byte ML-DSA-65 seed ξ (FIPS 204 §6.1), if any.
    /// - Throws: ``MerkleError/invalidKey`` for a seed of the wrong length or an invalid name.
    public init(name: String, ed25519Seed: [UInt8], mldsa65Seed: [UInt8]? = nil) throws(MerkleError) {
        guard ed25519Seed.count == 32 else { throw .invalidKey }
        let ed25519Key: Curve25519.Signing.PrivateKey
        do {
            ed25519Key = try Curve25519.Signing.PrivateKey(rawRepresentation: ed25519Seed)
        } catch {
            throw .invalidKey
        }
        var mldsa65Key: MLDSA65.PrivateKey?
        if let mldsa65Seed {
            guard mldsa65Seed.count == 32 else { throw .invalidKey }
            do {
                mldsa65Key = try MLDSA65.PrivateKey(seedRepresentation: mldsa65Seed, publicKey: nil)
            } catch {
                throw .invalidKey
            }
        }
        try self.init(name: name, ed25519PrivateKey: ed25519Key, mldsa65PrivateKey: mldsa65Key)
    }

    /// A signer with freshly generated keys.
    ///
    /// - Parameter withMLDSA65: also generate an ML-DSA-65 key (the default).
    /// - Throws: ``MerkleError/invalidKey`` for an invalid name or if key generation fails.
    public static func generate(name: String, withMLDSA65: Bool = true) throws(MerkleError) -> NoteSigner {
        var mldsa65Key: MLDSA65.PrivateKey?
        if withMLDSA65 {
            do {
                mldsa65Key = try MLDSA65.PrivateKey()
            } catch {
                throw .invalidKey
            }
        }
        return try NoteSigner(
            name: name,
            ed25519PrivateKey: Curve25519.Signing.PrivateKey(),
            mldsa65PrivateKey: mldsa65Key
        )
    }

    /// The 32-byte Ed25519 private key seed, for storage as a secret.
    ///
    /// - Warning: this is the private key. Never log it or send it anywhere but to the
    ///   key store.
    public var ed25519Seed: [UInt8] { Array(ed25519Key.rawRepresentation) }

    /// The 32-byte ML-DSA-65 seed, for storage as a secret; `nil` without an ML-DSA key.
    ///
    /// - Warning: this is the private key. Never log it or send it anywhere but to the
    ///   key store.
    public var mldsa65Seed: [UInt8]? { mldsa65Key.map { Array($0.seedRepresentation) } }

    /// Signs note text, returning the signed note: the text, a blank line and one signature
    /// line per key (C2SP signed-note, "Format").
    ///
    /// Ed25519 signatures are deterministic (RFC 8032); ML-DSA-65 signatures are hedged
    /// (randomised), so two signatures of one text differ.
    /// - Throws: ``MerkleError/invalidNoteText`` if the text is empty, does not end in a
    ///   newline or contains another control character; ``MerkleError/signingFailed`` if a
    ///   signature primitive fails.
    public func sign(text: String) throws(MerkleError) -> String {
        guard NoteText.isValidText(text) else { throw .invalidNoteText }
        let message = Array(text.utf8)
        var note = text + "\n"
        do {
            let signature = try ed25519Key.signature(for: message)
            note += NoteSignatureLine(name: name, keyID: verifier.ed25519KeyID, signature: Array(signature)).text
            if let mldsa65Key, let keyID = verifier.mldsa65KeyID {
                let signature = try mldsa65Key.signature(for: message)
                note += NoteSignatureLine(name: name, keyID: keyID, signature: Array(signature)).text
            }
        } catch {
            throw .signingFailed
        }
        return note
    }

    /// Signs a checkpoint's body (C2SP tlog-checkpoint, "Signatures").
    ///
    /// - Throws: as ``sign(text:)``.
    public func sign(_ checkpoint: Checkpoint) throws(MerkleError) -> String {
        try sign(text: checkpoint.body)
    }

    /// The key name and algorithms, never the keys.
    public var description: String {
        "NoteSigner(\(name), Ed25519\(mldsa65Key == nil ? "" : " + ML-DSA-65"), keys redacted)"
    }

    /// A mirror without the private keys, so that `dump` and debuggers do not show them.
    public var customMirror: Mirror {
        Mirror(self, children: ["name": name, "verifier": verifier], displayStyle: .struct)
    }
}
