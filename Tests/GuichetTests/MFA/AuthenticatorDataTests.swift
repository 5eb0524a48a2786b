import Crypto
import Testing
@testable import GuichetMFA

/// Authenticator data (WebAuthn L3 §6.1) and COSE keys (RFC 9052 §7, RFC 9053 §7.1.1),
/// built byte by byte so each structural refusal is checked on its own.
struct AuthenticatorDataTests {
    let key = P256.Signing.PrivateKey().publicKey
    let rpIDHash = Array(SHA256.hash(data: Array("guichet.example".utf8)))

    /// A COSE EC2 key map: {1: kty, 3: alg, -1: crv, -2: x, -3: y} plus extra entries.
    func cose(kty: UInt8 = 0x02, alg: UInt8 = 0x26, crv: UInt8 = 0x01, x: [UInt8]? = nil, y: [UInt8]? = nil,
              extra: [UInt8] = [], extraCount: UInt8 = 0) -> [UInt8] {
        let raw = Array(key.rawRepresentation)
        let x = x ?? Array(raw[0..<32])
        let y = y ?? Array(raw[32..<64])
        return [0xA5 + extraCount, 0x01, kty, 0x03, alg, 0x20, crv]
            + [0x21, 0x58, UInt8(x.count)] + x + [0x22, 0x58, UInt8(y.count)] + y + extra
    }

    func authData(flags: UInt8, count: UInt32 = 7, credentialID: [UInt8] = [9, 9, 9], coseKey: [UInt8]? = nil,
                  tail: [UInt8] = []) -> [UInt8] {
        var bytes = rpIDHash + [flags] + withUnsafeBytes(of: count.bigEndian) { Array($0) }
        if flags & 0x40 != 0 {
            bytes += Array(repeating: 0xAA, count: 16) + [UInt8(credentialID.count >> 8), UInt8(credentialID.count & 0xFF)]
            bytes += credentialID + (coseKey ?? cose())
        }
        return bytes + tail
    }

    @Test("Authenticator data with attested credential data yields its fields and key")
    func parses() throws {
        let parsed = try AuthenticatorData(authData(flags: 0x45))
        #expect(parsed.rpIDHash == rpIDHash)
        #expect(parsed.flags == [.userPresent, .userVerified, .attestedCredentialData])
        #expect(parsed.signCount == 7)
        let attested = try #require(parsed.attestedCredential)
        #expect(attested.aaguid == Array(repeating: 0xAA, count: 16))
        #expect(attested.credentialID == [9, 9, 9])
        #expect(attested.publicKey.rawRepresentation == key.rawRepresentation)
    }

    @Test("An extensions map after the key is accepted when ED is set")
    func extensions() throws {
        // {"credProtect": 2}
        let ext: [UInt8] = [0xA1, 0x6B] + Array("credProtect".utf8) + [0x02]
        _ = try AuthenticatorData(authData(flags: 0xC1, tail: ext))
        _ = try AuthenticatorData(authData(flags: 0x81, tail: ext))
    }

    static let refusals: [(String, UInt8, [UInt8], String)] = [
        ("bytes after the data without ED", 0x41, [0x00], "bytes after the authenticator data"),
        ("bytes after an assertion's data", 0x01, [0x00], "bytes after the authenticator data"),
        ("ED set and no extensions", 0x81, [], "CBOR: truncated"),
        ("ED set with an array", 0x81, [0x80], "authenticator extensions are not a CBOR map"),
        ("ED set with two maps", 0x81, [0xA0, 0xA0], "CBOR: bytes after the data item"),
        ("BS set without BE", 0x11, [], "authenticator data has BS set without BE"),
    ]

    @Test("Malformed authenticator data is refused with a named reason", arguments: refusals.indices)
    func refuses(index: Int) {
        let (name, flags, tail, reason) = Self.refusals[index]
        #expect(throws: MFAError.malformed(reason), "\(name)") { try AuthenticatorData(authData(flags: flags, tail: tail)) }
    }

    @Test("Authenticator data shorter than 37 bytes is refused")
    func short() {
        #expect(throws: MFAError.malformed("authenticator data shorter than 37 bytes")) {
            try AuthenticatorData(Array(authData(flags: 0x01).dropLast()))
        }
    }

    @Test("Truncated attested credential data is refused")
    func truncated() {
        let full = authData(flags: 0x41)
        for cut in [40, 37 + 17, 37 + 18 + 2] {
            #expect(throws: MFAError.self, "cut at \(cut)") { try AuthenticatorData(Array(full.prefix(cut))) }
        }
        #expect(throws: MFAError.malformed("CBOR: length past the end of the input")) {
            try AuthenticatorData(Array(full.dropLast()))
        }
    }

    @Test("A credential id longer than 1023 bytes is refused")
    func longID() {
        #expect(throws: MFAError.malformed("credential id longer than 1023 bytes")) {
            try AuthenticatorData(authData(flags: 0x41, credentialID: Array(repeating: 1, count: 1024)))
        }
        #expect(throws: Never.self) { try AuthenticatorData(authData(flags: 0x41, credentialID: Array(repeating: 1, count: 1023))) }
    }

    @Test("COSE keys other than EC2 P-256 ES256 are refused as unsupported")
    func otherAlgorithms() {
        for coseKey in [cose(kty: 0x01), cose(alg: 0x27), cose(alg: 0x20), cose(alg: 0x07), cose(crv: 0x02)] {
            #expect(throws: MFAError.unsupportedAlgorithm) { try AuthenticatorData(authData(flags: 0x41, coseKey: coseKey)) }
        }
    }

    @Test("Broken COSE keys are refused as malformed")
    func brokenKeys() {
        let cases: [([UInt8], String)] = [
            (cose(x: Array(repeating: 1, count: 31)), "COSE EC2 key coordinates are not 32-byte strings"),
            (cose(y: Array(repeating: 1, count: 33)), "COSE EC2 key coordinates are not 32-byte strings"),
            (cose(x: Array(repeating: 1, count: 32), y: Array(repeating: 2, count: 32)), "COSE EC2 key is not a point on P-256"),
            (cose(extra: [0x23, 0x41, 0x00], extraCount: 1), "COSE key carries a private key"),
            ([0x80], "COSE key is not a CBOR map"),
        ]
        for (coseKey, reason) in cases {
            #expect(throws: MFAError.malformed(reason)) { try AuthenticatorData(authData(flags: 0x41, coseKey: coseKey)) }
        }
    }
}
