public import GuichetCore
import GuichetStore
public import Foundation
import Crypto

/// A claim code as issued: shown once, to be given to the person by letter or e-mail.
public struct ClaimIssued: Sendable, Equatable {
    public let id: String
    public let code: String
    public let expiresAt: Date
}

/// A claim code that checked out, for one person: only this module makes one, so holding it
/// proves that the code was right, live and within its throttle.
public struct ClaimTicket: Sendable {
    public let person: PersonID
    let locator: String
    let codeHash: Data
    let throttleKey: String
}

/// Citizens claim their file (issue 16, item 3): a person already in the registry (imported,
/// or entered by an agent) gets a one-time code by letter or e-mail; with it, a new citizen
/// account is linked to that person instead of making a new one. Codes are stored hashed,
/// expire, work once, and wrong ones are throttled like passwords: per source address, and per
/// code (its first group, the locator, keys the throttle as a user name keys a password's).
extension Authenticator {
    /// How long a claim code may be used (a letter takes days).
    public static let claimLifetime: TimeInterval = 30 * 86_400

    /// The stored form of a claim code: case, spaces and dashes do not matter.
    static func hash(claimCode code: String) -> Data {
        Data(SHA256.hash(data: Data(("claim\0" + normalised(claimCode: code)).utf8)))
    }

    static func normalised(claimCode code: String) -> String {
        String(code.uppercased().filter { $0.isASCII && ($0.isLetter || $0.isNumber) })
    }

    /// Issues a claim code for a person who has no account yet, replacing the person's unused
    /// codes. 25 characters in five groups: the first (25 bits) finds the code, the whole
    /// (125 bits) proves it.
    /// - Parameter by: the staff member who asked (nil: the server's own command line).
    /// - Throws: ``GuichetError/notFound`` for no such person; ``GuichetError/conflict(_:)``
    ///   when the person has an account already.
    public func issueClaim(for person: PersonID, by: AccountID?) async throws -> ClaimIssued {
        guard try await store.persons([person])[person] != nil else { throw GuichetError.notFound }
        if try await store.personHasAccount(person) {
            throw GuichetError.conflict("this person already has an account: it signs in, or resets its password")
        }
        let now = clock(), expires = now.addingTimeInterval(Self.claimLifetime), id = factorID()
        for _ in 0..<8 {
            let code = Self.humanCode(groups: 5)
            let locator = String(Self.normalised(claimCode: code).prefix(5))
            do {
                try await store.insertClaim(id: id, locator: locator, person: person, codeHash: Self.hash(claimCode: code), by: by,
                                            at: now, expiresAt: expires)
                return ClaimIssued(id: id, code: code, expiresAt: expires)
            } catch StoreError.duplicate {
                continue  // another live code has this locator: draw again
            }
        }
        throw GuichetError.unavailable("no free claim code could be drawn; try again")
    }

    /// Checks a new citizen's user name and password before a claim code is tried, so that a
    /// typing mistake costs no attempt.
    /// - Throws: ``GuichetError/invalid(_:)``; ``GuichetError/conflict(_:)`` for a taken name;
    ///   ``GuichetError/forbidden(_:)`` when the deployment has no citizen role.
    public func checkNewCitizen(username: String, password: String) async throws -> String {
        guard let role = profile.roles.values.filter({ $0.kind == .citizen }).map(\.name).sorted().first else {
            throw GuichetError.forbidden("this deployment has no citizens' accounts")
        }
        try Self.checkUsername(username)
        try PasswordRules.check(password, username: username)
        if try await store.account(username: username) != nil { throw GuichetError.conflict("this user name is taken") }
        return role
    }

    static let wrongClaim = GuichetError.forbidden("this claim code is wrong, used or expired: ask the office that sent it for a new one")

    /// Checks a claim code, throttled per source and per code. Nothing is used up yet.
    /// - Throws: ``GuichetError/forbidden(_:)`` for a wrong, used or expired code (alike);
    ///   ``GuichetError/throttled(retryAfterSeconds:)`` after too many wrong attempts.
    public func checkClaim(code: String, source: String?) async throws -> ClaimTicket {
        let now = clock()
        if let wait = try await sources.retryAfter(source, now: now) { throw GuichetError.throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
        let normal = Self.normalised(claimCode: code)
        guard code.utf8.count <= 64, normal.count == 25 else {
            try await sources.fail(source, now: now)
            throw Self.wrongClaim
        }
        let locator = String(normal.prefix(5))
        let key = Self.throttleKey("claim:" + locator)
        let policy = throttle
        let (wait, _) = try await store.reserveSignInAttempt(key: key, at: now, lockoutAfter: policy.lockoutAfter) { state in
            state.locked ? policy.maxDelay : policy.delay(afterFailures: state.failures)
        }
        if let wait { throw GuichetError.throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
        let hash = Self.hash(claimCode: normal)
        guard let person = try await store.claimablePerson(locator: locator, codeHash: hash, at: now) else {
            try await sources.fail(source, now: now)
            throw Self.wrongClaim
        }
        return ClaimTicket(person: person, locator: locator, codeHash: hash, throttleKey: key)
    }

    /// Uses a checked claim code: the citizen account is created, linked to the code's
    /// person, and the code is used up, in one transaction.
    /// - Throws: ``GuichetError/forbidden(_:)`` when the code was used meanwhile;
    ///   ``GuichetError/conflict(_:)`` for a name taken meanwhile or a person who has an account.
    /// - Parameter id: the new account's id (the gate journals it first).
    public func redeem(_ ticket: ClaimTicket, username: String, password: String, role: String, id: AccountID = AccountID()) async throws -> AccountID {
        let now = clock()
        let record = AccountRecord(id: id, username: username, passwordHash: try await hasher.hash(password), role: role, organisation: nil,
                                   person: ticket.person, territory: nil, status: "active", createdAt: now)
        let done: Bool
        do { done = try await store.redeemClaim(locator: ticket.locator, codeHash: ticket.codeHash, account: record, at: now) } catch StoreError.duplicate(let what) {
            throw GuichetError.conflict(what == "user name" ? "this user name is taken" : "this person already has an account")
        }
        guard done else { throw Self.wrongClaim }
        try await store.clearThrottle(key: ticket.throttleKey)
        try await store.addNotice(account: id, kind: "account-claimed", detail: "this account was linked to your file with a claim code", at: now)
        return id
    }
}
