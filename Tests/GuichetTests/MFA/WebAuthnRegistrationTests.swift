import Foundation
import Testing
@testable import GuichetMFA

/// Registration (WebAuthn L3 §7.1) against soft-webauthn, a software authenticator we do
/// not write, driven through Tests/peers/webauthn_peer.py.
struct WebAuthnRegistrationTests {
    let relyingParty = RelyingParty(id: SoftAuthenticator.rpID, origin: SoftAuthenticator.origin)
    var verifier: RegistrationVerifier { RegistrationVerifier(relyingParty: relyingParty) }

    func verify(_ verifier: RegistrationVerifier, _ challenge: [UInt8],
                _ response: SoftAuthenticator.Attestation) throws -> Credential {
        try verifier.verify(challenge: challenge, clientDataJSON: B64URL.decode(response.clientDataJSON),
                            attestationObject: B64URL.decode(response.attestationObject))
    }

    @Test("A soft-webauthn registration with attestation none yields its credential id, key and counter")
    func registers() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge)
        let credential = try verify(verifier, challenge, response)
        #expect(credential.id == (try B64URL.decode(response.id)))
        #expect(credential.signCount == 0)
        #expect(credential.aaguid == Array(repeating: 0, count: 16))
        #expect(credential.publicKeyRaw.count == 64)
        let restored = try Credential(id: credential.id, publicKeyRaw: credential.publicKeyRaw,
                                      signCount: credential.signCount, aaguid: credential.aaguid)
        #expect(restored.publicKeyRaw == credential.publicKeyRaw)
    }

    @Test("A registration answering another challenge is refused as wrongChallenge")
    func wrongChallenge() throws {
        let device = try SoftAuthenticator()
        let response = try device.create(challenge: RelyingParty.newChallenge())
        #expect(throws: MFAError.wrongChallenge) { try verify(verifier, RelyingParty.newChallenge(), response) }
    }

    @Test("A registration made on another origin is refused as wrongOrigin")
    func wrongOrigin() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        for origin in ["https://guichet.example.evil.test", "http://guichet.example", "https://guichet.example:8443"] {
            let response = try device.create(challenge: challenge, origin: origin)
            #expect(throws: MFAError.wrongOrigin, "\(origin)") { try verify(verifier, challenge, response) }
        }
    }

    @Test("A credential scoped to another RP ID is refused as wrongRelyingParty")
    func wrongRelyingParty() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge, rpID: "evil.example")
        #expect(throws: MFAError.wrongRelyingParty) { try verify(verifier, challenge, response) }
    }

    @Test("Without the UV flag a registration is refused when user verification is required")
    func userVerification() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge)  // soft-webauthn sets UP and AT, never UV
        let strict = RegistrationVerifier(relyingParty: relyingParty, requireUserVerification: true)
        #expect(throws: MFAError.userNotVerified) { try verify(strict, challenge, response) }
    }

    @Test("Client data of a sign-in is refused at registration as wrongCeremony")
    func wrongCeremony() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge)
        let assertion = try device.get(challenge: challenge)
        #expect(throws: MFAError.wrongCeremony) {
            try verifier.verify(challenge: challenge, clientDataJSON: B64URL.decode(assertion.clientDataJSON),
                                attestationObject: B64URL.decode(response.attestationObject))
        }
    }

    @Test("Packed self-attestation signed by the new credential's key is accepted")
    func packedSelf() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge, attestation: "packed-self")
        let credential = try verify(verifier, challenge, response)
        #expect(credential.id == (try B64URL.decode(response.id)))
    }

    @Test("Packed self-attestation over other client data is refused as badSignature")
    func packedSelfForged() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let packed = try device.create(challenge: challenge, attestation: "packed-self")
        // The same challenge and origin, but a different clientDataJSON (another key order).
        let json = try B64URL.decode(packed.clientDataJSON)
        let object = try JSONSerialization.jsonObject(with: Data(json))
        let reordered = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try #require(Array(reordered) != json)
        #expect(throws: MFAError.badSignature) {
            try verifier.verify(challenge: challenge, clientDataJSON: Array(reordered),
                                attestationObject: B64URL.decode(packed.attestationObject))
        }
    }

    @Test("Other attestation formats are refused by name, and an unknown name is not repeated",
          arguments: [("packed-x5c", "packed with x5c"), ("fido-u2f", "fido-u2f"), ("bogus-format", "unrecognised")])
    func otherFormats(attestation: String, reported: String) throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge, attestation: attestation)
        #expect(throws: MFAError.unsupportedAttestation(format: reported)) { try verify(verifier, challenge, response) }
    }

    @Test("An attestation object with a byte appended is refused as malformed")
    func trailingByte() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge)
        #expect(throws: MFAError.malformed("CBOR: bytes after the data item")) {
            try verifier.verify(challenge: challenge, clientDataJSON: B64URL.decode(response.clientDataJSON),
                                attestationObject: B64URL.decode(response.attestationObject) + [0x00])
        }
    }

    @Test("A stored credential whose key is not a P-256 point is refused")
    func badStoredKey() {
        #expect(throws: MFAError.malformed("stored credential key is not a P-256 point")) {
            try Credential(id: [1], publicKeyRaw: Array(repeating: 1, count: 64), signCount: 0, aaguid: Array(repeating: 0, count: 16))
        }
    }

    @Test("Error texts carry no input: an attacker-chosen format name is not echoed")
    func errorTexts() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge, attestation: "bogus-format")
        do {
            _ = try verify(verifier, challenge, response)
            Issue.record("an unknown attestation format was accepted")
        } catch let error as MFAError {
            #expect(!error.description.contains("bogus"))
        }
    }
}
