public import Foundation
public import JWTKit
import GuichetCore

/// The claims of an ID token that Guichet uses (OpenID Connect Core 1.0 §2).
struct IDTokenClaims: JWTPayload {
    /// `aud` is one string or an array of strings (§2).
    struct Audience: Codable, Sendable {
        let values: [String]
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let one = try? c.decode(String.self) { values = [one] } else { values = try c.decode([String].self) }
        }
        func encode(to encoder: any Encoder) throws {
            var c = encoder.singleValueContainer()
            try c.encode(values)
        }
    }
    let iss: String
    let sub: String
    let aud: Audience
    let exp: Double
    let iat: Double
    let nonce: String?
    let azp: String?
    let acr: String?
    let amr: [String]?

    /// Claims are checked by ``IDTokenVerifier`` against the values of this sign-in, after
    /// the signature; nothing to check without them.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Who the provider says signed in, once every check passed.
public struct VerifiedIdentity: Sendable, Equatable {
    public let issuer: String
    public let subject: String
    public let acr: String?
    public let amr: [String]
}

/// Verifies ID tokens of one provider (OpenID Connect Core 1.0 §3.1.3.7): the signature
/// against the provider's JWKS with an algorithm of the allow-list only (never `none`, never
/// an HMAC, whose key would be our client secret or, worse, a public key), then `iss`,
/// `aud` (and `azp` when there are several audiences), `exp` and `iat` within a small leeway,
/// and the `nonce` of this sign-in.
public struct IDTokenVerifier: Sendable {
    /// Asymmetric algorithms only (RFC 7518 §3, RFC 8037).
    public static let allowedAlgorithms: Set<String> = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"]
    public let issuer: String
    public let clientId: String
    public let jwks: JWKS
    /// Clock skew accepted on `exp` and `iat`.
    public let leeway: TimeInterval
    /// An ID token issued longer ago than this is refused (it should be used at once).
    public let maxAge: TimeInterval

    public init(issuer: String, clientId: String, jwks: JWKS, leeway: TimeInterval = 60, maxAge: TimeInterval = 600) {
        self.issuer = issuer; self.clientId = clientId; self.jwks = jwks; self.leeway = leeway; self.maxAge = maxAge
    }

    /// - Throws: ``OIDCError/refused(_:)`` naming the check that failed.
    public func verify(_ token: String, nonce: String, now: Date) async throws -> VerifiedIdentity {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = Base64URL.decode(String(parts[0])),
              case .object(let header)? = try? JSONParser.parse(headerBytes), case .string(let alg)? = header["alg"] else {
            throw OIDCError.refused("the ID token is malformed")
        }
        guard Self.allowedAlgorithms.contains(alg) else { throw OIDCError.refused("the ID token's algorithm is not allowed") }
        // The key: the one named by `kid`, else the only key; its type and declared algorithm
        // must fit the header's, so that no key is used with an algorithm it was not made for.
        let kid: String?
        if case .string(let k)? = header["kid"] { kid = k } else { kid = nil }
        let candidates = kid.map { k in jwks.keys.filter { $0.keyIdentifier?.string == k } } ?? jwks.keys
        guard candidates.count == 1, let jwk = candidates.first else { throw OIDCError.refused("no key of the provider matches the ID token") }
        let family: JWK.KeyType? = alg.hasPrefix("RS") || alg.hasPrefix("PS") ? .rsa : alg.hasPrefix("ES") ? .ecdsa : alg == "EdDSA" ? .octetKeyPair : nil
        guard let family, jwk.keyType == family, jwk.algorithm.map({ $0.rawValue == alg }) ?? true else {
            throw OIDCError.refused("the provider's key does not fit the ID token's algorithm")
        }
        var single = jwk
        if single.keyIdentifier == nil { single.keyIdentifier = JWKIdentifier(string: "only") }
        let claims: IDTokenClaims
        do {
            let keys = try await JWTKeyCollection().add(jwk: single, isDefault: true)
            claims = try await keys.verify(token, as: IDTokenClaims.self)
        } catch {
            throw OIDCError.refused("the ID token's signature does not verify")
        }
        guard claims.iss == issuer else { throw OIDCError.refused("the ID token is from another issuer") }
        guard claims.aud.values.contains(clientId) else { throw OIDCError.refused("the ID token is for another audience") }
        if claims.aud.values.count > 1 || claims.azp != nil {
            guard claims.azp == clientId else { throw OIDCError.refused("the ID token was issued to another party") }
        }
        let t = now.timeIntervalSince1970
        guard claims.exp + leeway > t else { throw OIDCError.refused("the ID token has expired") }
        guard claims.iat - leeway <= t, t - claims.iat <= maxAge + leeway else { throw OIDCError.refused("the ID token was not issued just now") }
        guard let got = claims.nonce, constantTimeEqual(got, nonce) else { throw OIDCError.refused("the ID token's nonce is not this sign-in's") }
        guard !claims.sub.isEmpty, claims.sub.utf8.count <= 255 else { throw OIDCError.refused("the ID token has no usable subject") }
        return VerifiedIdentity(issuer: claims.iss, subject: claims.sub, acr: claims.acr, amr: claims.amr ?? [])
    }
}

/// Compares two strings in time that does not depend on where they differ.
func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8), y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var diff: UInt8 = 0
    for i in x.indices { diff |= x[i] ^ y[i] }
    return diff == 0
}
