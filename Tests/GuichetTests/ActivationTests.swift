import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetMFA
@testable import GuichetStore

/// No account taken over with its password alone (issue 14, item 3): a first second factor of a
/// staff, partner or admin account needs a single-use activation code that reached its owner
/// out of band.
@Suite struct ActivationTests {
    static let refused = GuichetError.forbidden("this activation code is wrong, used or expired: ask an administrator for a new one")

    @Test("enrolling a first TOTP factor without an activation code is refused and leaves no factor")
    func noCodeNoEnrolment() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let session = try await world.auth.signIn(username: "daycare1", password: World.password)
        await #expect { try await world.auth.beginTOTP(session.principal) } throws: { error in
            if case GuichetError.forbidden(let m) = error { m.contains("activation code") } else { false }
        }
        await #expect { try await world.auth.webAuthnRegistrationChallenge(session.principal) } throws: { error in
            if case GuichetError.forbidden(let m) = error { m.contains("activation code") } else { false }
        }
        #expect(try await world.store.factors(account: session.principal.account).isEmpty)
    }

    @Test("an account with neither a factor nor a code reaches no personal data")
    func noFactorNoData() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let session = try await world.auth.signIn(username: "daycare1", password: World.password)
        #expect(!session.principal.mayReachPersonalData)
        try await world.withPublic { client in
            let r = try await client.call(.get, "/v1/dossiers/\(a.id)", token: session.token)
            #expect(r.status == .forbidden && r["detail"]?.string?.contains("second factor") == true)
            let enrol = try await client.call(.post, "/v1/me/mfa/totp", token: session.token)
            #expect(enrol.status == .forbidden && enrol["detail"]?.string?.contains("activationCode") == true)
        }
    }

    @Test("a wrong activation code is refused, like one of another account")
    func wrongCode() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let others = try await world.activationCode("daycare2")
        _ = try await world.activationCode("daycare1")
        let session = try await world.auth.signIn(username: "daycare1", password: World.password)
        for wrong in ["AAAAA-BBBBB-CCCCC-DDDDD", others, String(repeating: "A", count: 5_000)] {
            await #expect(throws: Self.refused) { try await world.auth.beginTOTP(session.principal, activationCode: wrong) }
        }
        #expect(try await world.store.factors(account: session.principal.account).isEmpty)
    }

    @Test("a code that started an app's enrolment, sent again from a new session (the first tab closed), says to finish with the app's code, which works there")
    func startedEnrolmentFinishedElsewhere() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let code = try await world.activationCode("daycare1")
        let first = try await world.auth.signIn(username: "daycare1", password: World.password)
        let (secret, _) = try await world.auth.beginTOTP(first.principal, activationCode: code)
        let second = try await world.auth.signIn(username: "daycare1", password: World.password)
        await #expect(throws: GuichetError.forbidden(Authenticator.startedEnrolment)) {
            try await world.auth.beginTOTP(second.principal, activationCode: code)
        }
        // The app's code finishes the enrolment in the new session.
        let codes = try await world.auth.verifyTOTP(second.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        #expect(codes.count == 10)
        #expect(try await world.store.factors(account: second.principal.account).contains { $0.kind == "totp" && $0.confirmed })
        // Another account's wrong code still gets the plain refusal.
        _ = try await world.activationCode("daycare2")
        let other = try await world.auth.signIn(username: "daycare2", password: World.password)
        await #expect(throws: Self.refused) { try await world.auth.beginTOTP(other.principal, activationCode: code) }
    }

    @Test("an expired activation code is refused")
    func expiredCode() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let code = try await world.activationCode("agent")
        let later = try await world.reopened(clock: { Date().addingTimeInterval(Authenticator.activationLifetime + 60) }).auth
        let session = try await later.signIn(username: "agent", password: World.password)
        await #expect(throws: Self.refused) { try await later.beginTOTP(session.principal, activationCode: code) }
    }

    @Test("a valid activation code works once: its session enrols, another session cannot use it again")
    func validCodeOnce() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let code = try await world.activationCode("agent")
        let first = try await world.auth.signIn(username: "agent", password: World.password)
        // Case and dashes do not matter, so that a code read aloud or typed by hand works.
        _ = try await world.auth.beginTOTP(first.principal, activationCode: code.lowercased().replacingOccurrences(of: "-", with: " "))
        let second = try await world.auth.signIn(username: "agent", password: World.password)
        // Refused: it started an enrolment, which the app's code finishes (said so).
        await #expect(throws: GuichetError.forbidden(Authenticator.startedEnrolment)) { try await world.auth.beginTOTP(second.principal, activationCode: code) }
        // The session that used it may start again (a QR code scanned badly) and finish.
        let (secret, _) = try await world.auth.beginTOTP(first.principal)
        let recovery = try await world.auth.verifyTOTP(first.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        #expect(recovery.count == 10)
        #expect(try await world.auth.authenticate(token: first.token).mayReachPersonalData)
        let kinds = try await world.store.notices(account: first.principal.account).map(\.kind)
        #expect(kinds.contains("activation-code-issued") && kinds.contains("activation-code-used"))
        #expect(try await world.database.strings("SELECT status FROM activation_code WHERE account_id = '\(first.principal.account)'") == ["used"])
    }

    @Test("a new code replaces the one before it")
    func newCodeReplacesOld() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let old = try await world.activationCode("analyst")
        let new = try await world.activationCode("analyst")
        let session = try await world.auth.signIn(username: "analyst", password: World.password)
        await #expect(throws: Self.refused) { try await world.auth.beginTOTP(session.principal, activationCode: old) }
        _ = try await world.auth.beginTOTP(session.principal, activationCode: new)
    }

    @Test("wrong activation codes are throttled like wrong passwords, even before the right one")
    func wrongCodesThrottled() async throws {
        let clock = ManualClock()  // a slow machine must not wait out the 1 s throttle between two calls
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        let code = try await world.activationCode("daycare3")
        let session = try await world.auth.signIn(username: "daycare3", password: World.password)
        for i in 0..<world.auth.throttle.freeFailures {
            await #expect(throws: Self.refused) {
                try await world.auth.beginTOTP(session.principal, activationCode: "WRONG-CODE\(i)", source: "198.51.100.9")
            }
        }
        await #expect { try await world.auth.beginTOTP(session.principal, activationCode: code, source: "198.51.100.9") } throws: { error in
            if case GuichetError.throttled = error { true } else { false }
        }
    }

    @Test("a passkey's first registration needs the activation code too")
    func passkeyNeedsCode() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let device = try SoftAuthenticator()
        let session = try await world.auth.signIn(username: "admin", password: World.password)
        await #expect(throws: GuichetError.self) { try await world.auth.webAuthnRegistrationChallenge(session.principal) }
        let challenge = try await world.auth.webAuthnRegistrationChallenge(session.principal, activationCode: try await world.activationCode("admin"))
        let created = try device.create(challenge: challenge)
        let recovery = try await world.auth.registerWebAuthn(session.principal, clientDataJSON: Array(Base64URL.decode(created.clientDataJSON)!),
                                                             attestationObject: Array(Base64URL.decode(created.attestationObject)!))  // the device encodes base64url
        #expect(recovery.count == 10)
    }

    @Test("citizens need no activation code, and none can be issued for them")
    func citizensNotConcerned() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let session = try await world.auth.signIn(username: "parent1", password: World.password)
        _ = try await world.auth.beginTOTP(session.principal)
        await #expect(throws: GuichetError.invalid("citizens' accounts need no activation code")) {
            try await world.auth.consoleActivation(username: "parent1")
        }
    }

    @Test("no code is issued for an account that has a second factor, nor for an unknown name")
    func noCodeOnceEnrolled() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.token("agent")
        await #expect(throws: GuichetError.self) { try await world.auth.consoleActivation(username: "agent") }
        #expect(try await world.auth.consoleActivation(username: "nobody.here") == nil)
    }
}
