import GuichetCore
import GuichetMFA
import GuichetStore
import Foundation
import Crypto

/// Second factors (C3): TOTP (RFC 6238), WebAuthn passkeys (ES256, attestation "none"), and
/// single-use recovery codes stored hashed. Staff, partner and admin sessions reach no personal
/// data until a factor is verified; sensitive actions need one verified in the last 5 minutes.
extension Authenticator {
    /// Refuses unless the session verified a second factor in the last five minutes.
    public func requireStepUp(_ p: Principal) throws {
        guard p.hasFreshSecondFactor(now: clock()) else {
            throw GuichetError.forbidden("this action needs a second factor verified in the last 5 minutes: verify it again, then retry")
        }
    }

    func factorID() -> String { Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) }) }

    /// Throttles second-factor guesses like passwords, per account.
    func reserveFactorAttempt(_ p: Principal) async throws -> String {
        let key = Self.throttleKey("factor:" + p.account.rawValue)
        let policy = throttle
        let (wait, failures) = try await store.reserveSignInAttempt(key: key, at: clock(), lockoutAfter: policy.lockoutAfter) { state in
            state.locked ? policy.maxDelay : policy.delay(afterFailures: state.failures)
        }
        if let wait { throw GuichetError.throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
        // The attempts before this one all failed: wrong codes after a right password say that
        // someone else holds the password (an attacker's audit: 20 wrong codes, the factor
        // locked, and the owner never told).
        if failures - 1 == policy.freeFailures {
            try await store.addNotice(account: p.account, kind: "failed-second-factor",
                                      detail: "\(policy.freeFailures) wrong second-factor codes in a row after the right password: change your password", at: clock())
            await alert(p.account, "second-factor-guesses", high: true,
                        detail: "\(policy.freeFailures) wrong second-factor codes in a row after the right password: someone else may hold the password")
        }
        return key
    }

    func passed(_ p: Principal, throttleKey: String) async throws {
        try await store.clearThrottle(key: throttleKey)
        try await store.markSecondFactor(session: p.session, at: clock())
    }

    // MARK: TOTP

    func seal(_ secret: TOTPSecret, account: AccountID) throws -> Data {
        try AES.GCM.seal(Data(secret.base32.utf8), using: secrets, authenticating: Data("totp\0\(account)".utf8)).combined!  // 96-bit nonce: combined exists
    }

    func open(_ sealed: Data, account: AccountID) throws -> TOTPSecret {
        let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: secrets, authenticating: Data("totp\0\(account)".utf8))
        return try TOTPSecret(base32: String(decoding: plain, as: UTF8.self))
    }

    /// Starts a TOTP enrolment: the secret, shown once, and its `otpauth://` URI for an app.
    /// - Parameter activationCode: needed for a first factor of a staff, partner or admin account
    ///   (see ``mayEnrol(_:activationCode:source:)``).
    public func beginTOTP(_ p: Principal, activationCode: String? = nil, source: String? = nil) async throws -> (secret: String, uri: String) {
        try await mayEnrol(p, activationCode: activationCode, source: source)
        let secret = TOTPSecret()
        try await store.dropUnconfirmed(account: p.account, kind: "totp")
        try await store.insert(factor: SecondFactorRecord(id: factorID(), account: p.account, kind: "totp", secret: try seal(secret, account: p.account),
                                                           credentialID: nil, counter: 0, confirmed: false), at: clock())
        return (secret.base32, secret.provisioningURI(issuer: "Guichet \(profile.name)", account: p.username))
    }

    /// Checks a TOTP code (confirming a pending enrolment); the session has passed a second factor.
    /// - Returns: fresh recovery codes when this was the account's first factor.
    @discardableResult
    public func verifyTOTP(_ p: Principal, code: String) async throws -> [String] {
        let key = try await reserveFactorAttempt(p)
        let firstFactor = try await !store.factors(account: p.account).contains { $0.confirmed && $0.kind != "recovery" }
        for factor in try await store.factors(account: p.account, kind: "totp") {
            guard let secret = try? open(factor.secret, account: p.account) else {
                throw GuichetError.unavailable("a stored second-factor secret does not open with this key file")
            }
            if let step = secret.verify(code, at: clock(), window: 1, lastUsedStep: factor.counter == 0 ? nil : factor.counter),
               try await store.advance(factor: factor.id, from: factor.counter, to: step) {
                try await passed(p, throttleKey: key)
                if firstFactor && p.factorsReset { try await store.clearFactorsReset(p.account) }
                return firstFactor ? try await newRecoveryCodes(p.account) : []
            }
        }
        throw GuichetError.unauthenticated
    }

    // MARK: recovery codes

    static func hash(recoveryCode code: String) -> Data {
        Data(SHA256.hash(data: Data(code.uppercased().filter { $0.isLetter || $0.isNumber }.utf8)))
    }

    func newRecoveryCodes(_ account: AccountID) async throws -> [String] {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        var codes: [String] = []
        for _ in 0..<10 {
            let raw = String((0..<10).map { _ in alphabet.randomElement()! })  // the alphabet is not empty
            let code = "\(raw.prefix(5))-\(raw.suffix(5))"
            codes.append(code)
            try await store.insert(factor: SecondFactorRecord(id: factorID(), account: account, kind: "recovery", secret: Self.hash(recoveryCode: code),
                                                               credentialID: nil, counter: 0, confirmed: true), at: clock())
        }
        return codes
    }

    /// Uses a single-use recovery code as the second factor.
    public func useRecoveryCode(_ p: Principal, code: String) async throws {
        let key = try await reserveFactorAttempt(p)
        let hash = Self.hash(recoveryCode: code)
        for factor in try await store.factors(account: p.account, kind: "recovery") where factor.counter == 0 && factor.secret == hash {
            if try await store.advance(factor: factor.id, from: 0, to: 1) {
                try await passed(p, throttleKey: key)
                try await store.addNotice(account: p.account, kind: "recovery-code-used", detail: "a recovery code was used to sign in", at: clock())
                return
            }
        }
        throw GuichetError.unauthenticated
    }

    // MARK: WebAuthn

    /// A challenge for registering a passkey.
    /// - Parameter activationCode: needed for a first factor of a staff, partner or admin account.
    public func webAuthnRegistrationChallenge(_ p: Principal, activationCode: String? = nil, source: String? = nil) async throws -> [UInt8] {
        try await mayEnrol(p, activationCode: activationCode, source: source)
        let challenge = RelyingParty.newChallenge()
        try await store.putChallenge(Data(challenge), kind: "create", session: p.session, expires: clock().addingTimeInterval(300))
        return challenge
    }

    /// Registers a passkey from the browser's `navigator.credentials.create()` response.
    /// - Returns: fresh recovery codes when this was the account's first factor.
    public func registerWebAuthn(_ p: Principal, clientDataJSON: [UInt8], attestationObject: [UInt8]) async throws -> [String] {
        try await mayEnrol(p)
        guard let challenge = try await store.takeChallenge(kind: "create", session: p.session, now: clock()) else {
            throw GuichetError.conflict("no registration in progress: ask for a challenge first")
        }
        let credential: Credential
        do {
            credential = try RegistrationVerifier(relyingParty: relyingParty).verify(challenge: Array(challenge), clientDataJSON: clientDataJSON,
                                                                                    attestationObject: attestationObject)
        } catch { throw GuichetError.invalid("the passkey registration was refused: \(error)") }
        let firstFactor = try await !store.factors(account: p.account).contains { $0.confirmed && $0.kind != "recovery" }
        try await store.insert(factor: SecondFactorRecord(id: factorID(), account: p.account, kind: "webauthn", secret: Data(credential.publicKeyRaw),
                                                           credentialID: Data(credential.id), counter: Int64(credential.signCount), confirmed: true), at: clock())
        try await store.markSecondFactor(session: p.session, at: clock())
        if firstFactor && p.factorsReset { try await store.clearFactorsReset(p.account) }
        return firstFactor ? try await newRecoveryCodes(p.account) : []
    }

    /// A challenge for signing in with a passkey, and the account's credential ids.
    public func webAuthnAssertionChallenge(_ p: Principal) async throws -> (challenge: [UInt8], credentials: [[UInt8]]) {
        let challenge = RelyingParty.newChallenge()
        try await store.putChallenge(Data(challenge), kind: "get", session: p.session, expires: clock().addingTimeInterval(300))
        let ids = try await store.factors(account: p.account, kind: "webauthn").compactMap { $0.credentialID.map(Array.init) }
        return (challenge, ids)
    }

    /// Verifies a passkey assertion (`navigator.credentials.get()`) as the second factor.
    public func verifyWebAuthn(_ p: Principal, credentialID: [UInt8], clientDataJSON: [UInt8], authenticatorData: [UInt8], signature: [UInt8]) async throws {
        let key = try await reserveFactorAttempt(p)
        guard let challenge = try await store.takeChallenge(kind: "get", session: p.session, now: clock()),
              let factor = try await store.factors(account: p.account, kind: "webauthn").first(where: { $0.credentialID == Data(credentialID) }),
              let stored = try? Credential(id: credentialID, publicKeyRaw: Array(factor.secret), signCount: UInt32(factor.counter), aaguid: [UInt8](repeating: 0, count: 16)),
              let count = try? AuthenticationVerifier(relyingParty: relyingParty).verify(credential: stored, challenge: Array(challenge),
                                                                                        clientDataJSON: clientDataJSON, authenticatorData: authenticatorData, signature: signature),
              try await store.advance(factor: factor.id, from: factor.counter, to: Int64(count))
        else { throw GuichetError.unauthenticated }
        try await passed(p, throttleKey: key)
    }
}
