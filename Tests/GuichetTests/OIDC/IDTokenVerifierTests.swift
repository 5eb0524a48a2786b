import Foundation
import Testing
import JWTKit
import Crypto
import GuichetCore
@testable import GuichetOIDC

/// ID token checks of federated sign-in (issue #21 item 6), on tokens this test signs with
/// its own keys; the same checks run against a real provider in `OIDCSignInTests`.
@Suite struct IDTokenVerifierTests {
    struct Claims: JWTPayload {
        var iss = "https://idp.example.org"
        var sub = "subject-1"
        var aud: [String] = ["guichet"]
        var exp: Double
        var iat: Double
        var nonce: String? = "nonce-1"
        var azp: String?
        var acr: String?
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static let now = Date(timeIntervalSince1970: 1_900_000_000)

    static func claims() -> Claims { Claims(exp: now.timeIntervalSince1970 + 300, iat: now.timeIntervalSince1970 - 5) }

    /// A signing key, its public JWKS, and a verifier for client `guichet` of the issuer.
    static func setUp() async throws -> (JWTKeyCollection, IDTokenVerifier) {
        let key = ES256PrivateKey()
        let keys = await JWTKeyCollection().add(ecdsa: key, kid: JWKIdentifier(string: "k1"))
        let p = try #require(key.publicKey.parameters)
        let jwks = JWKS(keys: [JWK.ecdsa(.es256, identifier: JWKIdentifier(string: "k1"), x: p.x, y: p.y, curve: .p256)])
        return (keys, IDTokenVerifier(issuer: "https://idp.example.org", clientId: "guichet", jwks: jwks))
    }

    static func refusal(_ token: String, _ verifier: IDTokenVerifier, nonce: String = "nonce-1", now: Date = now) async -> String? {
        do { _ = try await verifier.verify(token, nonce: nonce, now: now); return nil } catch let OIDCError.refused(why) { return why } catch {
            return "unexpected \(error)"
        }
    }

    @Test("a well-signed token for this client, issuer and nonce gives the subject and acr")
    func good() async throws {
        let (keys, verifier) = try await Self.setUp()
        var c = Self.claims()
        c.acr = "eidas2"
        let id = try await verifier.verify(try await keys.sign(c, kid: JWKIdentifier(string: "k1")), nonce: "nonce-1", now: Self.now)
        #expect(id == VerifiedIdentity(issuer: "https://idp.example.org", subject: "subject-1", acr: "eidas2", amr: []))
    }

    @Test("another audience, issuer, nonce, an expired or old token, several audiences without azp: each refused by name")
    func claimsRefused() async throws {
        let (keys, verifier) = try await Self.setUp()
        func sign(_ change: (inout Claims) -> Void) async throws -> String {
            var c = Self.claims()
            change(&c)
            return try await keys.sign(c, kid: JWKIdentifier(string: "k1"))
        }
        #expect(await Self.refusal(try await sign { $0.aud = ["another-client"] }, verifier) == "the ID token is for another audience")
        #expect(await Self.refusal(try await sign { $0.iss = "https://other.example.org" }, verifier) == "the ID token is from another issuer")
        #expect(await Self.refusal(try await sign { _ in }, verifier, nonce: "nonce-2") == "the ID token's nonce is not this sign-in's")
        #expect(await Self.refusal(try await sign { $0.nonce = nil }, verifier) == "the ID token's nonce is not this sign-in's")
        // Expired beyond the 60 s leeway; within it, accepted.
        #expect(await Self.refusal(try await sign { $0.exp = Self.now.timeIntervalSince1970 - 61 }, verifier) == "the ID token has expired")
        #expect(await Self.refusal(try await sign { $0.exp = Self.now.timeIntervalSince1970 - 30 }, verifier) == nil)
        #expect(await Self.refusal(try await sign { $0.iat = Self.now.timeIntervalSince1970 - 3_600 }, verifier) == "the ID token was not issued just now")
        #expect(await Self.refusal(try await sign { $0.iat = Self.now.timeIntervalSince1970 + 600 }, verifier) == "the ID token was not issued just now")
        #expect(await Self.refusal(try await sign { $0.aud = ["guichet", "another-client"] }, verifier) == "the ID token was issued to another party")
        #expect(await Self.refusal(try await sign { $0.aud = ["guichet", "another-client"]; $0.azp = "guichet" }, verifier) == nil)
    }

    @Test("alg none, an HMAC token (with the public key as secret), another key's signature and garbage are refused")
    func signaturesRefused() async throws {
        let (_, verifier) = try await Self.setUp()
        let payload = Base64URL.encode(Array(try JSONEncoder().encode(Self.claims())))
        let none = Base64URL.encode(Array(#"{"alg":"none","kid":"k1"}"#.utf8)) + "." + payload + "."
        #expect(await Self.refusal(none, verifier) == "the ID token's algorithm is not allowed")
        // The classic confusion: HS256 keyed with the provider's public key, which anyone has.
        let header = Base64URL.encode(Array(#"{"alg":"HS256","kid":"k1"}"#.utf8))
        let publicKeyAsSecret = SymmetricKey(data: Data(try JSONEncoder().encode(verifier.jwks)))
        let mac = HMAC<SHA256>.authenticationCode(for: Data((header + "." + payload).utf8), using: publicKeyAsSecret)
        #expect(await Self.refusal(header + "." + payload + "." + Base64URL.encode(Array(mac)), verifier) == "the ID token's algorithm is not allowed")
        // Signed by another key under the same kid.
        let other = await JWTKeyCollection().add(ecdsa: ES256PrivateKey(), kid: JWKIdentifier(string: "k1"))
        #expect(await Self.refusal(try await other.sign(Self.claims(), kid: JWKIdentifier(string: "k1")), verifier) == "the ID token's signature does not verify")
        // A key the provider does not publish.
        let unknown = await JWTKeyCollection().add(ecdsa: ES256PrivateKey(), kid: JWKIdentifier(string: "k9"))
        #expect(await Self.refusal(try await unknown.sign(Self.claims(), kid: JWKIdentifier(string: "k9")), verifier) == "no key of the provider matches the ID token")
        #expect(await Self.refusal("not.a-token", verifier) == "the ID token is malformed")
        // An RSA algorithm named against an EC key.
        let rs = Base64URL.encode(Array(#"{"alg":"RS256","kid":"k1"}"#.utf8)) + "." + payload + ".AAAA"
        #expect(await Self.refusal(rs, verifier) == "the provider's key does not fit the ID token's algorithm")
    }
}
