import Crypto

/// The authenticator data structure (WebAuthn L3 §6.1), parsed from untrusted bytes.
struct AuthenticatorData: Sendable {
    /// Flag bits (WebAuthn L3 §6.1, table "flags").
    struct Flags: OptionSet, Sendable {
        let rawValue: UInt8
        /// Bit 0, UP: user present.
        static let userPresent = Flags(rawValue: 0x01)
        /// Bit 2, UV: user verified.
        static let userVerified = Flags(rawValue: 0x04)
        /// Bit 3, BE: backup eligible (a multi-device credential).
        static let backupEligible = Flags(rawValue: 0x08)
        /// Bit 4, BS: backed up.
        static let backedUp = Flags(rawValue: 0x10)
        /// Bit 6, AT: attested credential data included.
        static let attestedCredentialData = Flags(rawValue: 0x40)
        /// Bit 7, ED: extension data included.
        static let extensionData = Flags(rawValue: 0x80)
    }

    /// Attested credential data (WebAuthn L3 §6.5.1).
    struct AttestedCredential: Sendable {
        let aaguid: [UInt8]
        let credentialID: [UInt8]
        let publicKey: P256.Signing.PublicKey
        /// The COSE `alg` of the key; always -7 (ES256) once parsed.
        let algorithm: Int64
    }

    /// Longest credential id accepted (WebAuthn L3 §7.1 step 25: at most 1023 bytes).
    static let maximumCredentialIDLength = 1023

    let rpIDHash: [UInt8]
    let flags: Flags
    let signCount: UInt32
    let attestedCredential: AttestedCredential?

    /// Parses authenticator data: 32-byte rpIdHash, 1-byte flags, 4-byte big-endian
    /// signCount, then attested credential data if AT is set, then an extensions map if ED
    /// is set, and nothing else.
    init(_ bytes: [UInt8]) throws(MFAError) {
        guard bytes.count >= 37 else { throw .malformed("authenticator data shorter than 37 bytes") }
        rpIDHash = Array(bytes[0..<32])
        flags = Flags(rawValue: bytes[32])
        signCount = bytes[33..<37].reduce(0) { ($0 << 8) | UInt32($1) }
        // WebAuthn L3 §6.1: "If the BE flag is not set, the BS flag MUST NOT be set."
        if flags.contains(.backedUp), !flags.contains(.backupEligible) {
            throw .malformed("authenticator data has BS set without BE")
        }
        var rest = Array(bytes[37...])
        if flags.contains(.attestedCredentialData) {
            // §6.5.1: aaguid (16), credentialIdLength (2, big-endian), credentialId, credentialPublicKey.
            guard rest.count >= 18 else { throw .malformed("attested credential data truncated") }
            let aaguid = Array(rest[0..<16])
            let idLength = Int(rest[16]) << 8 | Int(rest[17])
            guard idLength <= Self.maximumCredentialIDLength else {
                throw .malformed("credential id longer than 1023 bytes")
            }
            guard rest.count >= 18 + idLength else { throw .malformed("attested credential data truncated") }
            let credentialID = Array(rest[18..<18 + idLength])
            let (coseKey, keyLength) = try CBORDecoder.decodePrefix(Array(rest[(18 + idLength)...]))
            let key = try COSEKey.p256(from: coseKey)
            attestedCredential = AttestedCredential(aaguid: aaguid, credentialID: credentialID,
                                                    publicKey: key, algorithm: COSEKey.es256)
            rest = Array(rest[(18 + idLength + keyLength)...])
        } else {
            attestedCredential = nil
        }
        if flags.contains(.extensionData) {
            // §6.1: the extensions are a CBOR map, and the last thing in the structure.
            guard case .map = try CBORDecoder.decode(rest) else {
                throw .malformed("authenticator extensions are not a CBOR map")
            }
        } else if !rest.isEmpty {
            throw .malformed("bytes after the authenticator data")
        }
    }
}

/// COSE_Key (RFC 9052 §7) for the one algorithm accepted: ES256 on P-256.
enum COSEKey {
    /// COSE algorithm ES256: ECDSA with SHA-256 (RFC 9053 §2.1).
    static let es256: Int64 = -7

    /// Reads an EC2 key (RFC 9053 §7.1.1): kty (1) = 2 (EC2), alg (3) = -7 (ES256),
    /// crv (-1) = 1 (P-256), x (-2) and y (-3) of 32 bytes each, and no private part d (-4).
    /// - Throws: ``MFAError/unsupportedAlgorithm`` for another key type, algorithm or curve;
    ///   ``MFAError/malformed(_:)`` for a broken key or a point not on the curve.
    static func p256(from item: CBOR) throws(MFAError) -> P256.Signing.PublicKey {
        guard case .map(let key) = item else { throw .malformed("COSE key is not a CBOR map") }
        guard key[.int(1)]?.integer == 2, key[.int(3)]?.integer == es256, key[.int(-1)]?.integer == 1 else {
            throw .unsupportedAlgorithm
        }
        guard key[.int(-4)] == nil else { throw .malformed("COSE key carries a private key") }
        guard case .bytes(let x)? = key[.int(-2)], case .bytes(let y)? = key[.int(-3)],
              x.count == 32, y.count == 32 else {
            throw .malformed("COSE EC2 key coordinates are not 32-byte strings")
        }
        do {
            // Raw representation is x ‖ y; the library refuses a point not on the curve.
            return try P256.Signing.PublicKey(rawRepresentation: x + y)
        } catch {
            throw .malformed("COSE EC2 key is not a point on P-256")
        }
    }
}
