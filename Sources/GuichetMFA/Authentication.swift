import Crypto

/// Verifies a WebAuthn authentication ceremony (WebAuthn L3 §7.2) as a relying party.
public struct AuthenticationVerifier: Sendable {
    /// The relying party the credential belongs to.
    public let relyingParty: RelyingParty
    /// Whether the UV flag is required (user verification: PIN or biometric), §7.2 step 17.
    public let requireUserVerification: Bool

    /// A verifier for one relying party.
    public init(relyingParty: RelyingParty, requireUserVerification: Bool = false) {
        self.relyingParty = relyingParty
        self.requireUserVerification = requireUserVerification
    }

    /// Verifies the browser's response to `navigator.credentials.get()`.
    ///
    /// The caller has already looked up `credential` by the response's `rawId` among the
    /// account's own credentials (§7.2 steps 5–7); this checks everything else.
    ///
    /// - Parameters:
    ///   - credential: the stored credential, with the last sign count seen.
    ///   - challenge: the random challenge this server issued for this ceremony (at least 16
    ///     bytes), and MUST NOT accept again.
    ///   - clientDataJSON: `response.clientDataJSON`, as received.
    ///   - authenticatorData: `response.authenticatorData`, as received.
    ///   - signature: `response.signature`: an ASN.1 DER ECDSA signature.
    /// - Returns: the new sign count, which the caller MUST store in place of the old one
    ///   in the same transaction that accepts the sign-in.
    /// - Throws: ``MFAError``: the first check that failed, in the order of §7.2.
    /// - Precondition: `challenge` has at least 16 bytes.
    public func verify(credential: Credential, challenge: [UInt8], clientDataJSON: [UInt8],
                       authenticatorData: [UInt8], signature: [UInt8]) throws(MFAError) -> UInt32 {
        // §7.2 steps 8–14.
        try ClientData.check(clientDataJSON, ceremony: "webauthn.get", challenge: challenge,
                             relyingParty: relyingParty)
        let authData = try AuthenticatorData(authenticatorData)
        // Steps 15–17.
        try authData.check(relyingParty: relyingParty, requireUserVerification: requireUserVerification)
        // Steps 19–21: the signature covers authenticatorData ‖ SHA-256(clientDataJSON).
        let clientDataHash = Array(SHA256.hash(data: clientDataJSON))
        guard verifyES256(signature, over: authenticatorData + clientDataHash, with: credential.publicKey) else {
            throw .badSignature
        }
        // Step 22 (§6.1.1): if either count is non-zero, the new one MUST be greater; when
        // it is not, the authenticator may have been cloned, and the sign-in is refused.
        let stored = credential.signCount
        let received = authData.signCount
        if stored != 0 || received != 0 {
            guard received > stored else { throw .replayedCounter }
        }
        return received
    }
}
