import Crypto

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The signature algorithms a Guichet note carries, and how their key IDs are derived
/// (C2SP signed-note, "Signatures" and "Signature types").
public enum NoteSignatureType: Hashable, Sendable, CaseIterable {
    /// Ed25519 (RFC 8032) over the note text; signature type byte `0x01`
    /// (C2SP signed-note, "Ed25519 signatures").
    case ed25519
    /// ML-DSA-65 (FIPS 204, pure mode, empty context) over the note text.
    ///
    /// C2SP assigns no identifier byte to plain ML-DSA-65 note signatures. The byte `0x06`
    /// is not used: current C2SP drafts give it to ML-DSA-44 witness cosignatures
    /// (c2sp.org/tlog-cosignature), which sign a different message with another parameter
    /// set. Guichet instead uses the escape byte `0xff` that the signed-note specification
    /// reserves for unassigned types, followed by a long identifier, as it recommends:
    /// `0xff ‖ "guichet.mldsa65.v1"`. Other verifiers ignore these lines as unknown keys.
    case mldsa65

    /// The bytes between the key name's newline and the public key in the key ID hash.
    public var identifier: [UInt8] {
        switch self {
        case .ed25519: [0x01]  // C2SP signed-note: Ed25519 signature type
        case .mldsa65: [0xff] + Array("guichet.mldsa65.v1".utf8)  // C2SP signed-note: 0xff escape
        }
    }

    /// The length of a signature of this type, key ID excluded.
    public var signatureByteCount: Int {
        switch self {
        case .ed25519: 64  // RFC 8032 §5.1.6
        case .mldsa65: 3309  // FIPS 204 Table 2, ML-DSA-65
        }
    }

    /// The note key ID: the first four bytes, big-endian, of
    /// SHA-256(key name ‖ 0x0A ‖ identifier ‖ public key) (C2SP signed-note, "Signatures").
    public func keyID(name: String, publicKey: some DataProtocol) -> UInt32 {
        var hasher = SHA256()
        hasher.update(data: Array(name.utf8))
        hasher.update(data: [0x0a])
        hasher.update(data: identifier)
        hasher.update(data: publicKey)
        return Array(hasher.finalize()).prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// One parsed signature line: `— <key name> base64(key ID ‖ signature)`.
struct NoteSignatureLine: Hashable, Sendable {
    let name: String
    let keyID: UInt32
    let signature: [UInt8]

    /// The line, newline included.
    var text: String {
        let id: [UInt8] = [UInt8(keyID >> 24), UInt8(keyID >> 16 & 0xff), UInt8(keyID >> 8 & 0xff), UInt8(keyID & 0xff)]
        return "\(SignedNoteFormat.dash)\(name) \(Data(id + signature).base64EncodedString())\n"
    }
}

/// Parsing and writing the signed note format (C2SP signed-note, "Format").
enum SignedNoteFormat {
    /// Em dash (U+2014) and space, the start of every signature line.
    static let dash = "\u{2014} "
    /// Upper bound on a note's size in bytes; a ledger's notes are a few kilobytes.
    static let maxNoteBytes = 1 << 20
    /// Upper bound on signature lines; C2SP requires accepting at least 16.
    static let maxSignatures = 100

    /// Splits a signed note into its text and signature lines.
    ///
    /// - Throws: ``MerkleError/invalidNote`` for anything that does not follow the format.
    static func parse(_ note: String) throws(MerkleError) -> (text: String, signatures: [NoteSignatureLine]) {
        let bytes = Array(note.utf8)
        // C2SP signed-note: valid UTF-8 (a Swift String is), no control characters except
        // newline.
        guard bytes.count <= maxNoteBytes, NoteText.hasNoControlCharacters(bytes, allowingNewlines: true) else {
            throw .invalidNote
        }
        // The text is separated from the signatures by the last empty line; it keeps its
        // final newline.
        guard let split = lastBlankLine(in: bytes) else { throw .invalidNote }
        let text = String(decoding: bytes[..<(split + 1)], as: UTF8.self)
        let signatureBlock = bytes[(split + 2)...]
        guard !signatureBlock.isEmpty, signatureBlock.last == NoteText.newline else { throw .invalidNote }
        let lines = signatureBlock.dropLast().split(separator: NoteText.newline, omittingEmptySubsequences: false)
        guard lines.count <= maxSignatures else { throw .invalidNote }
        var signatures: [NoteSignatureLine] = []
        for line in lines {
            signatures.append(try parseSignatureLine(line))
        }
        return (text, signatures)
    }

    /// Parses `— <key name> base64(4-byte key ID ‖ signature)` (without the newline).
    static func parseSignatureLine(_ line: some Collection<UInt8>) throws(MerkleError) -> NoteSignatureLine {
        let prefix = Array(dash.utf8)
        guard line.starts(with: prefix) else { throw .invalidNote }
        let rest = line.dropFirst(prefix.count)
        // Key names contain no spaces, so the first space ends the name.
        guard let space = rest.firstIndex(of: UInt8(ascii: " ")) else { throw .invalidNote }
        let name = String(decoding: rest[..<space], as: UTF8.self)
        let encoded = String(decoding: rest[rest.index(after: space)...], as: UTF8.self)
        guard NoteText.isValidKeyName(name),
            let decoded = canonicalBase64Decode(encoded),
            decoded.count > 4
        else { throw .invalidNote }
        let keyID = decoded.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return NoteSignatureLine(name: name, keyID: keyID, signature: Array(decoded.dropFirst(4)))
    }

    /// The index of the first newline of the last "\n\n" in `bytes`.
    static func lastBlankLine(in bytes: [UInt8]) -> Int? {
        guard bytes.count >= 2 else { return nil }
        var index = bytes.count - 2
        while index >= 0 {
            if bytes[index] == NoteText.newline && bytes[index + 1] == NoteText.newline {
                return index
            }
            index -= 1
        }
        return nil
    }
}
