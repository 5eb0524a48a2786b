import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetGate
import GuichetVault
@testable import GuichetAuth

/// Second factors over the HTTP API (C3): required before any personal data, TOTP and passkeys,
/// single-use recovery codes, step-up for sensitive actions.
@Suite(.serialized) struct MFAFlowTests {
    func bytes(_ json: JSON?) throws -> [UInt8] {
        let text = try #require(json?.string)
        return try #require(Base64URL.decode(text))
    }

    func password(_ client: some TestClientProtocol, _ username: String, admin: Bool = false) async throws -> String {
        let r = try await client.call(.post, admin ? "/admin/v1/session" : "/v1/session", body: #"{"username": "\#(username)", "password": "\#(World.password)"}"#)
        return try #require(r["token"]?.string)
    }

    @Test("a partner account reaches no personal data until it enrols and verifies a TOTP factor; codes are single-use")
    func totpOverHTTP() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let code1 = try await world.activationCode("daycare1")
        try await world.withPublic { client in
            let token = try await password(client, "daycare1")
            let before = try await client.call(.get, "/v1/dossiers/\(a.id)", token: token)
            #expect(before.status == .forbidden && before["detail"]?.string?.contains("second factor") == true)
            let enrol = try await client.call(.post, "/v1/me/mfa/totp", token: token, body: #"{"activationCode": "\#(code1)"}"#)
            let secret = try TOTPSecret(base32: try #require(enrol["secret"]?.string))
            #expect(enrol["uri"]?.string?.hasPrefix("otpauth://totp/") == true)
            #expect(try await client.call(.post, "/v1/session/totp", token: token, body: #"{"code": "000000"}"#).status == .unauthorized ||
                    secret.code(at: Date()) == "000000")
            let code = secret.code(at: Date())
            let ok = try await client.call(.post, "/v1/session/totp", token: token, body: #"{"code": "\#(code)"}"#)
            #expect(ok.status == .ok && ok["recoveryCodes"]?.array?.count == 10)
            #expect(try await client.call(.get, "/v1/dossiers/\(a.id)", token: token).status == .ok)

            // The same code again, in a new session: refused (replay).
            let second = try await password(client, "daycare1")
            #expect(try await client.call(.post, "/v1/session/totp", token: second, body: #"{"code": "\#(code)"}"#).status == .unauthorized)
            // A recovery code works once.
            let recovery = try #require(ok["recoveryCodes"]?.array?.first?.string)
            #expect(try await client.call(.post, "/v1/session/recovery", token: second, body: #"{"code": "\#(recovery)"}"#).status == .ok)
            let third = try await password(client, "daycare1")
            #expect(try await client.call(.post, "/v1/session/recovery", token: third, body: #"{"code": "\#(recovery)"}"#).status == .unauthorized)
            // Enrolling another factor now needs a fresh second factor: the third session has none.
            #expect(try await client.call(.post, "/v1/me/mfa/totp", token: third).status == .forbidden)
        }
        let notices = try await world.store.notices(account: try await world.auth.signIn(username: "daycare1", password: World.password).principal.account)
        #expect(notices.contains { $0.kind == "recovery-code-used" })
    }

    @Test("a citizen who enrolled an app must pass it: until then a new session reaches neither their files nor their access history")
    func citizenFactorIsAskedFor() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        try await world.withPublic { client in
            // Without a factor, a citizen needs none.
            let first = try await password(client, "parent1")
            #expect(try await client.call(.get, "/v1/dossiers/\(a.id)", token: first).status == .ok)
            let enrol = try await client.call(.post, "/v1/me/mfa/totp", token: first)
            let secret = try TOTPSecret(base32: try #require(enrol["secret"]?.string))
            let ok = try await client.call(.post, "/v1/session/totp", token: first, body: #"{"code": "\#(secret.code(at: Date()))"}"#)
            #expect(ok.status == .ok)

            // A new session (a stolen password, say) reaches nothing until the app's code.
            let second = try await password(client, "parent1")
            let refused = try await client.call(.get, "/v1/dossiers/\(a.id)", token: second)
            #expect(refused.status == .forbidden && refused["detail"]?.string?.contains("second factor") == true)
            #expect(try await client.call(.get, "/v1/me/access-history", token: second).status == .forbidden)
            #expect(try await client.call(.get, "/v1/me/export", token: second).status == .forbidden)
            let recovery = try #require(ok["recoveryCodes"]?.array?.first?.string)
            #expect(try await client.call(.post, "/v1/session/recovery", token: second, body: #"{"code": "\#(recovery)"}"#).status == .ok)
            #expect(try await client.call(.get, "/v1/dossiers/\(a.id)", token: second).status == .ok)
            #expect(try await client.call(.get, "/v1/me/access-history", token: second).status == .ok)
        }
    }

    @Test("a passkey registered and used through soft-webauthn; a forged or replayed assertion is refused")
    func passkeyOverHTTP() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let device = try SoftAuthenticator()
        let activation = try await world.activationCode("admin")
        try await world.withAdmin { client in
            let token = try await password(client, "admin", admin: true)
            let options = try await client.call(.post, "/admin/v1/me/mfa/webauthn/challenge", token: token, body: #"{"activationCode": "\#(activation)"}"#)
            let challenge = try bytes(options["challenge"])
            let created = try device.create(challenge: challenge)
            let registered = try await client.call(.post, "/admin/v1/me/mfa/webauthn", token: token,
                                                   body: #"{"clientDataJSON": "\#(created.clientDataJSON)", "attestationObject": "\#(created.attestationObject)"}"#)
            #expect(registered.status == .created && registered["recoveryCodes"]?.array?.count == 10)

            let session = try await password(client, "admin", admin: true)
            #expect(try await client.call(.get, "/admin/v1/accounts", token: session).status == .forbidden)
            let get = try await client.call(.post, "/admin/v1/session/webauthn/challenge", token: session)
            #expect(get["allowCredentials"]?.array?.count == 1)
            let assertion = try device.get(challenge: try bytes(get["challenge"]))
            func body(_ a: SoftAuthenticator.Assertion, signature: String? = nil) -> String {
                #"{"credentialId": "\#(a.id)", "clientDataJSON": "\#(a.clientDataJSON)", "authenticatorData": "\#(a.authenticatorData)", "signature": "\#(signature ?? a.signature)"}"#
            }
            var forged = Array(Base64URL.decode(assertion.signature)!)
            forged[forged.count - 2] ^= 0x01
            #expect(try await client.call(.post, "/admin/v1/session/webauthn", token: session, body: body(assertion, signature: Base64URL.encode(forged))).status == .unauthorized)
            // The challenge was spent by the forged attempt: ask again, then sign in.
            let again = try await client.call(.post, "/admin/v1/session/webauthn/challenge", token: session)
            let good = try device.get(challenge: try bytes(again["challenge"]))
            let goodReply = try await client.call(.post, "/admin/v1/session/webauthn", token: session, body: body(good))
            #expect(goodReply.status == .ok, "\(goodReply.text)")
            #expect(try await client.call(.get, "/admin/v1/accounts", token: session).status == .ok)
            // Replaying the same assertion in another session is refused.
            let replaySession = try await password(client, "admin", admin: true)
            _ = try await client.call(.post, "/admin/v1/session/webauthn/challenge", token: replaySession)
            #expect(try await client.call(.post, "/admin/v1/session/webauthn", token: replaySession, body: body(good)).status == .unauthorized)
        }
    }

    @Test("restoring a version needs a second factor from the last five minutes")
    func stepUpExpires() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        _ = try await world.gate.update(a.id, .init(fields: ["daysPerWeek": .number(3)], partners: nil, expectedVersion: nil), try await world.request("parent1"))
        let admin = try await world.request("admin")
        let later = try await world.reopened(clock: { Date().addingTimeInterval(6 * 60) }).gate
        await #expect { try await later.restore(a.id, version: 1, admin) } throws: { error in
            if case GuichetError.forbidden(let m) = error { m.contains("last 5 minutes") } else { false }
        }
        #expect(try await world.gate.restore(a.id, version: 1, admin).version == 3)
    }
}

/// TOTP secrets are sealed under a key derived from the key file, so they survive a restart.
@Suite struct SecondFactorPersistenceTests {
    @Test("a TOTP factor enrolled before a restart still works after it, and only with the same key file")
    func survivesRestart() async throws {
        let world = try await World.make()
        defer { world.remove() }
        // A restart: the registry opened again with the same key file.
        let before = try await world.reopened().auth
        let session = try await before.signIn(username: "analyst", password: World.password)
        let (secret, _) = try await before.beginTOTP(session.principal, activationCode: try await world.activationCode("analyst"))
        let totp = try TOTPSecret(base32: secret)
        try await before.verifyTOTP(session.principal, code: totp.code(at: Date()))

        let after = try await world.reopened().auth
        let next = try await after.signIn(username: "analyst", password: World.password)
        try await after.verifyTOTP(next.principal, code: totp.code(at: Date().addingTimeInterval(30)))

        // Another key file would not open the registry at all (Registry.open refuses it); an
        // authenticator alone with another key shows what the secrets' sealing does.
        let foreign = try await Authenticator(store: world.store, profile: world.profile, hasher: PasswordHasher(parameters: .testing))
        let third = try await foreign.signIn(username: "analyst", password: World.password)
        await #expect(throws: GuichetError.unavailable("a stored second-factor secret does not open with this key file")) {
            try await foreign.verifyTOTP(third.principal, code: totp.code(at: Date().addingTimeInterval(60)))
        }
    }
}
