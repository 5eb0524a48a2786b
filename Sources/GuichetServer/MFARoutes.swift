import GuichetCore
import GuichetAuth
import GuichetMFA
import Hummingbird

extension GuichetServer {
    /// Second-factor routes, the same on both listeners (`/v1` and `/admin/v1`).
    func addMFARoutes(_ r: RouteRecorder, prefix: String, admin: Bool) {
        @Sendable func bytes(_ body: inout JSONBody, _ key: String) throws -> [UInt8] {
            guard let b = Base64URL.decode(try body.string(key)) else { throw GuichetError.invalid("'\(key)' must be base64url") }
            return b
        }
        @Sendable func codes(_ list: [String]) -> JSON { .array(list.map(JSON.string)) }

        r.on(.post, "\(prefix)/session/totp") { req, _ in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.read(req)
            let code = try body.string("code")
            try body.finish()
            let recovery = try await self.auth.verifyTOTP(p, code: code)
            return Reply.json(.object(["secondFactor": .string("verified"), "recoveryCodes": codes(recovery)]))
        }
        r.on(.post, "\(prefix)/session/recovery") { req, _ in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.read(req)
            let code = try body.string("code")
            try body.finish()
            try await self.auth.useRecoveryCode(p, code: code)
            return Reply.json(.object(["secondFactor": .string("verified")]))
        }
        r.on(.post, "\(prefix)/session/webauthn/challenge") { req, _ in
            let p = try await self.principal(req, admin: admin)
            let (challenge, ids) = try await self.auth.webAuthnAssertionChallenge(p)
            return Reply.json(.object(["challenge": .string(Base64URL.encode(challenge)), "rpId": .string(self.auth.relyingParty.id),
                                       "allowCredentials": .array(ids.map { .string(Base64URL.encode($0)) })]))
        }
        r.on(.post, "\(prefix)/session/webauthn") { req, _ in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.read(req)
            let id = try bytes(&body, "credentialId"), client = try bytes(&body, "clientDataJSON")
            let data = try bytes(&body, "authenticatorData"), signature = try bytes(&body, "signature")
            try body.finish()
            try await self.auth.verifyWebAuthn(p, credentialID: id, clientDataJSON: client, authenticatorData: data, signature: signature)
            return Reply.json(.object(["secondFactor": .string("verified")]))
        }
        r.on(.post, "\(prefix)/me/mfa/totp") { req, ctx in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.readIfAny(req)
            let activation = try body.optionalString("activationCode")
            try body.finish()
            let (secret, uri) = try await self.auth.beginTOTP(p, activationCode: activation, source: ctx.source)
            return Reply.json(.object(["secret": .string(secret), "uri": .string(uri),
                                       "next": .string("enter a code from your app at POST \(prefix)/session/totp")]), status: .created)
        }
        r.on(.post, "\(prefix)/me/mfa/webauthn/challenge") { req, ctx in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.readIfAny(req)
            let activation = try body.optionalString("activationCode")
            try body.finish()
            let challenge = try await self.auth.webAuthnRegistrationChallenge(p, activationCode: activation, source: ctx.source)
            return Reply.json(.object(["challenge": .string(Base64URL.encode(challenge)), "rp": .object(["id": .string(self.auth.relyingParty.id)]),
                                       "user": .object(["id": .string(Base64URL.encode(Array(p.account.rawValue.utf8))), "name": .string(p.username)]),
                                       "pubKeyCredParams": .array([.object(["type": .string("public-key"), "alg": .number(-7)])]),
                                       "attestation": .string("none")]))
        }
        r.on(.post, "\(prefix)/me/mfa/webauthn") { req, _ in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.read(req)
            let client = try bytes(&body, "clientDataJSON"), attestation = try bytes(&body, "attestationObject")
            try body.finish()
            let recovery = try await self.auth.registerWebAuthn(p, clientDataJSON: client, attestationObject: attestation)
            return Reply.json(.object(["secondFactor": .string("verified"), "recoveryCodes": codes(recovery)]), status: .created)
        }
    }
}
