public import Crypto

/// A WebAuthn credential: what registration yields, and what authentication checks against.
///
/// Store all four fields with the account; ``signCount`` is replaced by the value that
/// each successful ``AuthenticationVerifier/verify(credential:challenge:clientDataJSON:authenticatorData:signature:)``
/// returns.
public struct Credential: Sendable {
    /// The credential id chosen by the authenticator (at most 1023 bytes), which the
    /// browser sends back as `rawId` to say which credential signed.
    public let id: [UInt8]
    /// The ES256 public key.
    public let publicKey: P256.Signing.PublicKey
    /// The last signature counter seen (WebAuthn L3 §6.1.1); 0 if the authenticator has none.
    public let signCount: UInt32
    /// The authenticator model's AAGUID (16 bytes; all zero under attestation "none"). It is
    /// not attested: display it, never trust it.
    public let aaguid: [UInt8]

    /// The public key's raw representation (x ‖ y, 64 bytes), for storage.
    public var publicKeyRaw: [UInt8] { Array(publicKey.rawRepresentation) }

    /// A credential read back from storage.
    /// - Throws: ``MFAError/malformed(_:)`` if `publicKeyRaw` is not a P-256 point in raw
    ///   representation or `aaguid` is not 16 bytes.
    public init(id: [UInt8], publicKeyRaw: [UInt8], signCount: UInt32, aaguid: [UInt8]) throws(MFAError) {
        guard aaguid.count == 16 else { throw .malformed("an AAGUID has 16 bytes") }
        do {
            publicKey = try P256.Signing.PublicKey(rawRepresentation: publicKeyRaw)
        } catch {
            throw .malformed("stored credential key is not a P-256 point")
        }
        self.id = id
        self.signCount = signCount
        self.aaguid = aaguid
    }

    init(id: [UInt8], publicKey: P256.Signing.PublicKey, signCount: UInt32, aaguid: [UInt8]) {
        self.id = id
        self.publicKey = publicKey
        self.signCount = signCount
        self.aaguid = aaguid
    }
}

/// Verifies a WebAuthn registration ceremony (WebAuthn L3 §7.1) as a relying party.
///
/// Accepts ES256 credentials with attestation `none` (§8.7) or `packed` self-attestation
/// (§8.2, no `x5c`). Every other format is refused with
/// ``MFAError/unsupportedAttestation(format:)``, not silently downgraded.
public struct RegistrationVerifier: Sendable {
    /// Names from the IANA WebAuthn attestation statement format registry, the only
    /// format texts an error may repeat.
    static let registeredFormats: Set<String> = [
        "packed", "tpm", "android-key", "android-safetynet", "fido-u2f", "apple", "none", "compound",
    ]

    /// Longest attestation object accepted, in bytes.
    public static let maximumAttestationObjectLength = CBORDecoder.maximumInput

    /// The relying party the credential is created for.
    public let relyingParty: RelyingParty
    /// Whether the UV flag is required (user verification: PIN or biometric), §7.1 step 15.
    public let requireUserVerification: Bool

    /// A verifier for one relying party.
    public init(relyingParty: RelyingParty, requireUserVerification: Bool = false) {
        self.relyingParty = relyingParty
        self.requireUserVerification = requireUserVerification
    }

    /// Verifies the browser's response to `navigator.credentials.create()`.
    ///
    /// - Parameters:
    ///   - challenge: the random challenge this server issued for this ceremony (at least 16
    ///     bytes), and MUST NOT accept again.
    ///   - clientDataJSON: `response.clientDataJSON`, as received.
    ///   - attestationObject: `response.attestationObject`, as received.
    /// - Returns: the new credential, to store with the account. The caller MUST refuse it if
    ///   its ``Credential/id`` is already registered to any account (§7.1 step 26).
    /// - Throws: ``MFAError``: the first check that failed, in the order of §7.1.
    /// - Precondition: `challenge` has at least 16 bytes.
    public func verify(challenge: [UInt8], clientDataJSON: [UInt8],
                       attestationObject: [UInt8]) throws(MFAError) -> Credential {
        // §7.1 steps 5–10.
        try ClientData.check(clientDataJSON, ceremony: "webauthn.create", challenge: challenge,
                             relyingParty: relyingParty)
        // Step 11.
        let clientDataHash = Array(SHA256.hash(data: clientDataJSON))
        // Step 12: fmt, authData and attStmt, and nothing else (§6.5.4).
        guard case .map(let object) = try CBORDecoder.decode(attestationObject), object.count == 3,
              case .text(let format)? = object[.text("fmt")],
              case .bytes(let authDataBytes)? = object[.text("authData")],
              case .map(let statement)? = object[.text("attStmt")] else {
            throw .malformed("attestation object is not {fmt, attStmt, authData}")
        }
        let authData = try AuthenticatorData(authDataBytes)
        // Steps 13–15.
        try authData.check(relyingParty: relyingParty, requireUserVerification: requireUserVerification)
        guard let attested = authData.attestedCredential else {
            throw .malformed("registration without attested credential data")
        }
        // Step 19 (ES256 only) was enforced when the COSE key was parsed. Steps 20–21.
        switch format {
        case "none":
            // §8.7: the attestation statement is an empty map.
            guard statement.isEmpty else { throw .malformed("attestation none with a non-empty statement") }
        case "packed":
            try Self.verifyPackedSelfAttestation(statement, attested: attested,
                                                 signed: authDataBytes + clientDataHash)
        default:
            throw .unsupportedAttestation(format: Self.registeredFormats.contains(format) ? format : "unrecognised")
        }
        return Credential(id: attested.credentialID, publicKey: attested.publicKey,
                          signCount: authData.signCount, aaguid: attested.aaguid)
    }

    /// Packed self-attestation (WebAuthn L3 §8.2, "If x5c is not present"): `attStmt` is
    /// `{alg, sig}`, `alg` MUST equal the credential key's algorithm, and `sig` MUST verify
    /// over authenticatorData ‖ clientDataHash with the credential key itself.
    static func verifyPackedSelfAttestation(_ statement: [CBOR: CBOR],
                                            attested: AuthenticatorData.AttestedCredential,
                                            signed: [UInt8]) throws(MFAError) {
        guard statement[.text("x5c")] == nil else {
            throw .unsupportedAttestation(format: "packed with x5c")
        }
        guard statement.count == 2, let alg = statement[.text("alg")]?.integer,
              case .bytes(let signature)? = statement[.text("sig")] else {
            throw .malformed("packed attestation statement is not {alg, sig}")
        }
        guard alg == attested.algorithm else { throw .unsupportedAlgorithm }
        guard verifyES256(signature, over: signed, with: attested.publicKey) else { throw .badSignature }
    }
}

/// Verifies an ES256 signature in ASN.1 DER (WebAuthn L3 §6.5.5); an unparsable one is
/// simply not valid.
func verifyES256(_ der: [UInt8], over message: [UInt8], with key: P256.Signing.PublicKey) -> Bool {
    guard let signature = try? P256.Signing.ECDSASignature(derRepresentation: der) else { return false }
    return key.isValidSignature(signature, for: message)
}
