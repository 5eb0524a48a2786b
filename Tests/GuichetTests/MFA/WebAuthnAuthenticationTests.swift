import Foundation
import Testing
@testable import GuichetMFA

/// Authentication (WebAuthn L3 §7.2) against soft-webauthn: a real sign-in, then forgeries.
struct WebAuthnAuthenticationTests {
    let relyingParty = RelyingParty(id: SoftAuthenticator.rpID, origin: SoftAuthenticator.origin)
    var verifier: AuthenticationVerifier { AuthenticationVerifier(relyingParty: relyingParty) }

    /// Registers a fresh soft-webauthn device and returns it with the verified credential.
    func enrolled() throws -> (SoftAuthenticator, Credential) {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let response = try device.create(challenge: challenge)
        let credential = try RegistrationVerifier(relyingParty: relyingParty).verify(
            challenge: challenge, clientDataJSON: B64URL.decode(response.clientDataJSON),
            attestationObject: B64URL.decode(response.attestationObject))
        return (device, credential)
    }

    func verify(_ assertion: SoftAuthenticator.Assertion, _ credential: Credential, challenge: [UInt8],
                verifier: AuthenticationVerifier? = nil, signature: [UInt8]? = nil,
                authenticatorData: [UInt8]? = nil) throws -> UInt32 {
        try (verifier ?? self.verifier).verify(
            credential: credential, challenge: challenge,
            clientDataJSON: B64URL.decode(assertion.clientDataJSON),
            authenticatorData: authenticatorData ?? B64URL.decode(assertion.authenticatorData),
            signature: signature ?? B64URL.decode(assertion.signature))
    }

    func storing(_ credential: Credential, count: UInt32) throws -> Credential {
        try Credential(id: credential.id, publicKeyRaw: credential.publicKeyRaw, signCount: count, aaguid: credential.aaguid)
    }

    @Test("A registration then two sign-ins verify, each returning the authenticator's increasing count")
    func signsIn() throws {
        let (device, registered) = try enrolled()
        var credential = registered
        for expected: UInt32 in [1, 2] {
            let challenge = RelyingParty.newChallenge()
            let assertion = try device.get(challenge: challenge)
            #expect(try B64URL.decode(assertion.id) == credential.id)
            let count = try verify(assertion, credential, challenge: challenge)
            #expect(count == expected)
            credential = try storing(credential, count: count)
        }
    }

    @Test("An assertion with one signature byte flipped is refused as badSignature")
    func flippedSignature() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try device.get(challenge: challenge)
        var signature = try B64URL.decode(assertion.signature)
        signature[signature.count - 1] ^= 0x01  // the last byte of s: still valid DER
        #expect(throws: MFAError.badSignature) { try verify(assertion, credential, challenge: challenge, signature: signature) }
        signature[0] ^= 0xFF  // not DER any more
        #expect(throws: MFAError.badSignature) { try verify(assertion, credential, challenge: challenge, signature: signature) }
    }

    @Test("A signature by another authenticator's key is refused as badSignature")
    func otherKey() throws {
        let (_, credential) = try enrolled()
        let (other, _) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try other.get(challenge: challenge)
        #expect(throws: MFAError.badSignature) { try verify(assertion, credential, challenge: challenge) }
    }

    @Test("Authenticator data signed for another RP ID is refused as wrongRelyingParty")
    func otherRelyingParty() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        // The same key signs, over authenticator data carrying SHA-256("evil.example").
        let assertion = try device.get(challenge: challenge, extra: ["--as-rp-id", "evil.example"])
        #expect(throws: MFAError.wrongRelyingParty) { try verify(assertion, credential, challenge: challenge) }
    }

    @Test("A validly signed assertion for another challenge is refused as wrongChallenge")
    func wrongChallenge() throws {
        let (device, credential) = try enrolled()
        let assertion = try device.get(challenge: RelyingParty.newChallenge())
        #expect(throws: MFAError.wrongChallenge) { try verify(assertion, credential, challenge: RelyingParty.newChallenge()) }
    }

    @Test("A validly signed assertion made on another origin is refused as wrongOrigin")
    func wrongOrigin() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try device.get(challenge: challenge, origin: "https://guichet-example.evil.test")
        #expect(throws: MFAError.wrongOrigin) { try verify(assertion, credential, challenge: challenge) }
    }

    @Test("The same assertion presented twice is refused the second time as replayedCounter")
    func replaySame() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try device.get(challenge: challenge)
        let count = try verify(assertion, credential, challenge: challenge)
        let stored = try storing(credential, count: count)
        #expect(throws: MFAError.replayedCounter) { try verify(assertion, stored, challenge: challenge) }
    }

    @Test("An older assertion presented after a newer one is refused as replayedCounter")
    func replayLower() throws {
        let (device, credential) = try enrolled()
        let firstChallenge = RelyingParty.newChallenge()
        let first = try device.get(challenge: firstChallenge)
        let secondChallenge = RelyingParty.newChallenge()
        let second = try device.get(challenge: secondChallenge)
        let stored = try storing(credential, count: verify(second, credential, challenge: secondChallenge))
        #expect(stored.signCount == 2)
        #expect(throws: MFAError.replayedCounter) { try verify(first, stored, challenge: firstChallenge) }
    }

    @Test("A fresh assertion from a clone whose counter lags is refused as replayedCounter")
    func clonedAuthenticator() throws {
        let (device, credential) = try enrolled()
        var stored = credential
        for _ in 0..<3 {
            let challenge = RelyingParty.newChallenge()
            stored = try storing(stored, count: verify(device.get(challenge: challenge), stored, challenge: challenge))
        }
        let challenge = RelyingParty.newChallenge()
        let clone = try device.get(challenge: challenge, extra: ["--set-sign-count", "1"])  // signs with count 2
        #expect(clone.signCount == 2)
        #expect(throws: MFAError.replayedCounter) { try verify(clone, stored, challenge: challenge) }
    }

    @Test("An authenticator without a counter (always 0) is accepted; a counter falling to 0 is refused")
    func zeroCounter() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try device.get(challenge: challenge, extra: ["--set-sign-count", "-1"])  // signs with count 0
        #expect(assertion.signCount == 0)
        #expect(try verify(assertion, credential, challenge: challenge) == 0)
        // WebAuthn L3 §7.2 step 22: a stored non-zero count and a received 0 is not an increase.
        #expect(throws: MFAError.replayedCounter) { try verify(assertion, storing(credential, count: 5), challenge: challenge) }
    }

    @Test("Without the UV flag a sign-in is refused when user verification is required")
    func userVerification() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try device.get(challenge: challenge)
        let strict = AuthenticationVerifier(relyingParty: relyingParty, requireUserVerification: true)
        #expect(throws: MFAError.userNotVerified) { try verify(assertion, credential, challenge: challenge, verifier: strict) }
    }

    @Test("Authenticator data with the UP flag cleared is refused as userNotPresent")
    func userPresence() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try device.get(challenge: challenge)
        var data = try B64URL.decode(assertion.authenticatorData)
        data[32] &= ~0x01
        #expect(throws: MFAError.userNotPresent) { try verify(assertion, credential, challenge: challenge, authenticatorData: data) }
    }

    @Test("Client data of a registration is refused at sign-in as wrongCeremony")
    func wrongCeremony() throws {
        let device = try SoftAuthenticator()
        let challenge = RelyingParty.newChallenge()
        let registration = try device.create(challenge: challenge)
        let credential = try RegistrationVerifier(relyingParty: relyingParty).verify(
            challenge: challenge, clientDataJSON: B64URL.decode(registration.clientDataJSON),
            attestationObject: B64URL.decode(registration.attestationObject))
        let assertion = try device.get(challenge: challenge)
        #expect(throws: MFAError.wrongCeremony) {
            try verifier.verify(credential: credential, challenge: challenge,
                                clientDataJSON: B64URL.decode(registration.clientDataJSON),
                                authenticatorData: B64URL.decode(assertion.authenticatorData),
                                signature: B64URL.decode(assertion.signature))
        }
    }

    @Test("Truncated authenticator data or client data that is not JSON is refused as malformed")
    func malformed() throws {
        let (device, credential) = try enrolled()
        let challenge = RelyingParty.newChallenge()
        let assertion = try device.get(challenge: challenge)
        let data = try B64URL.decode(assertion.authenticatorData)
        #expect(throws: MFAError.malformed("authenticator data shorter than 37 bytes")) {
            try verify(assertion, credential, challenge: challenge, authenticatorData: Array(data.dropLast()))
        }
        #expect(throws: MFAError.malformed("clientDataJSON is not the expected JSON object")) {
            try verifier.verify(credential: credential, challenge: challenge, clientDataJSON: Array("{\"type\":".utf8),
                                authenticatorData: data, signature: B64URL.decode(assertion.signature))
        }
    }
}
