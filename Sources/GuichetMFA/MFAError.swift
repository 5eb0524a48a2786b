/// Every way a second-factor verification can fail: the one error type of this module.
///
/// Each WebAuthn relying-party check has its own case, so a caller can count and alert on
/// them separately (a burst of ``wrongOrigin`` is a phishing proxy; ``replayedCounter`` may
/// be a cloned authenticator). Cryptographic failures collapse into ``badSignature``.
///
/// No case carries input bytes, a secret, a code or a personal datum: the texts are fixed
/// strings written in this module, so an error is safe to log (threat model C12).
public enum MFAError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The input is not well-formed; the text names the structure and the rule broken.
    case malformed(String)
    /// `clientDataJSON.type` is not the ceremony being verified (`webauthn.create` for
    /// registration, `webauthn.get` for authentication). WebAuthn L3 §7.1 step 7, §7.2 step 11.
    case wrongCeremony
    /// `clientDataJSON.challenge` is not the challenge this server issued.
    /// WebAuthn L3 §7.1 step 8, §7.2 step 12.
    case wrongChallenge
    /// `clientDataJSON.origin` is not the relying party's origin.
    /// WebAuthn L3 §7.1 step 9, §7.2 step 13.
    case wrongOrigin
    /// The ceremony ran in a cross-origin frame (`crossOrigin: true`), which Guichet never does.
    /// WebAuthn L3 §7.1 step 10, §7.2 step 14.
    case crossOriginRefused
    /// `rpIdHash` in the authenticator data is not SHA-256 of this relying party's id.
    /// WebAuthn L3 §7.1 step 13, §7.2 step 15.
    case wrongRelyingParty
    /// The authenticator did not report user presence (flag UP).
    /// WebAuthn L3 §7.1 step 14, §7.2 step 16.
    case userNotPresent
    /// User verification was required and the authenticator did not report it (flag UV).
    /// WebAuthn L3 §7.1 step 15, §7.2 step 17.
    case userNotVerified
    /// A signature did not verify, or could not be parsed. WebAuthn L3 §7.2 step 21, §8.2.
    case badSignature
    /// The signature counter did not increase: a replayed assertion or a cloned authenticator.
    /// WebAuthn L3 §7.2 step 22, §6.1.1.
    case replayedCounter
    /// The attestation statement format is not accepted. `format` is a name from the IANA
    /// WebAuthn attestation format registry, or `"unrecognised"`: never the raw input.
    case unsupportedAttestation(format: String)
    /// The credential public key is not an ES256 (COSE alg -7) P-256 key.
    /// WebAuthn L3 §7.1 step 20, RFC 9053 §2.1.
    case unsupportedAlgorithm

    /// A fixed, log-safe explanation.
    public var description: String {
        switch self {
        case .malformed(let what): "malformed input: \(what)"
        case .wrongCeremony: "client data is for another WebAuthn ceremony"
        case .wrongChallenge: "client data does not carry the issued challenge"
        case .wrongOrigin: "client data comes from another origin"
        case .crossOriginRefused: "the ceremony ran in a cross-origin frame"
        case .wrongRelyingParty: "authenticator data is for another relying party"
        case .userNotPresent: "the authenticator did not report user presence"
        case .userNotVerified: "the authenticator did not report user verification"
        case .badSignature: "the signature does not verify"
        case .replayedCounter: "the signature counter did not increase (replay or cloned authenticator)"
        case .unsupportedAttestation(let format): "attestation format not supported: \(format)"
        case .unsupportedAlgorithm: "the credential key is not ES256 on P-256"
        }
    }
}
