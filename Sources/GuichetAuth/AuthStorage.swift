public import Foundation
public import GuichetCore
public import GuichetStore

/// What the authenticator needs of a database: accounts and their passwords, sessions,
/// second factors and their challenges, sign-in throttles, activation codes, claims, account
/// requests, password resets, departures and notices.
///
/// Owned by the authenticator, so that a back-end implements it without the authenticator
/// knowing its SQL (issue #19, item 1): SQLite's ``Store`` conforms. A back-end MUST keep the
/// single-use steps single-use under concurrency, whichever server asks (an activation or a
/// claim redeemed once, a reset completed once, a challenge taken once, a counter advanced
/// only from the value expected), and MUST count a sign-in attempt in `reserveSignInAttempt`
/// before it answers: that is what makes the throttle hold across several servers.
public protocol AuthStorage: Sendable {
    /// Adds an account.
    /// - Throws: ``StoreError/duplicate(_:)`` when the user name is taken.
    func insert(account a: AccountRecord, createdBy: AccountID?) async throws
    /// The account with this user name.
    func account(username: String) async throws -> AccountRecord?
    /// The account with this id.
    func account(id: AccountID) async throws -> AccountRecord?
    /// All accounts, by user name.
    func accounts() async throws -> [AccountRecord]
    /// The accounts of these roles, by user name (an index: citizens' accounts are not read).
    func accounts(roles: [String]) async throws -> [AccountRecord]
    /// Replaces a password hash (parameter upgrade on sign-in, or password change).
    func setPasswordHash(_ hash: String, for id: AccountID) async throws
    /// Records a new session by the hash of its token.
    func insertSession(id: SessionID, tokenHash: Data, account: AccountID, at: Date, expiresAt: Date) async throws
    /// The session whose token hashes to `tokenHash`.
    func session(tokenHash: Data) async throws -> SessionRecord?
    /// Notes that a session was used (for the idle time-out).
    func touchSession(_ id: SessionID, at: Date) async throws
    @discardableResult
    /// Revokes every open session of an account (sign out everywhere; suspension).
    /// - Returns: how many were open.
    func revokeSessions(account: AccountID, at: Date) async throws -> Int
    /// The sessions of an account that are neither revoked nor past their absolute lifetime,
    /// most recently used first (the account page's list; the idle time-out is the caller's).
    func openSessions(account: AccountID, now: Date) async throws -> [OpenSession]
    /// Revokes the open sessions of an account but `keeping` of them: the newest, then those
    /// that passed a second factor, then the most recently created.
    /// - Returns: how many were ended.
    @discardableResult
    func revokeSessions(account: AccountID, keeping: Int, at: Date) async throws -> Int
    @discardableResult
    /// Revokes one session of an account, by its id (a session of another account is left as it is).
    /// - Returns: whether an open session of that account was ended.
    func revokeSession(id: SessionID, account: AccountID, at: Date) async throws -> Bool
    /// Revokes one session.
    func revokeSession(tokenHash: Data, at: Date) async throws
    /// Gives an open session a new token: the old one stops working at once.
    /// - Returns: whether an open session had the old token.
    func rekeySession(tokenHash old: Data, to new: Data) async throws -> Bool
    /// Records a new activation code for an account (`status`: 'sending', 'issued' or
    /// 'awaiting-approval' with no hash), and replaces the account's codes not yet used: only
    /// the newest one works.
    func insertActivation(id: String, account: AccountID, codeHash: Data?, delivery: String, by: AccountID?, at: Date, expiresAt: Date, status: String) async throws
    /// Marks a code being e-mailed as issued (sent) or not sent (it never works).
    func setActivationStatus(_ id: String, sent: Bool) async throws
    /// Gives a code to an activation awaiting a second administrator's approval.
    /// - Returns: the approved activation, or nil when none is waiting under this id or the
    ///   approver is the requester (the database refuses that too).
    func approveActivation(_ id: String, codeHash: Data, by approver: AccountID, at: Date, expiresAt: Date) async throws -> ActivationRecord?
    /// Uses an account's code once: it must be issued, unused and unexpired; the session that
    /// used it is noted (it may then finish enrolling a first factor).
    /// - Returns: whether the code was valid.
    func redeemActivation(account: AccountID, codeHash: Data, session: SessionID, at: Date) async throws -> Bool
    /// Whether this session used an activation code.
    func sessionActivated(_ session: SessionID) async throws -> Bool
    /// Activations waiting for a second administrator, oldest first.
    func activationsAwaitingApproval() async throws -> [ActivationRecord]
    /// Records a new claim code for a person and replaces the person's unused ones: only the
    /// newest works.
    /// - Throws: ``StoreError/duplicate(_:)`` when the locator is taken by a live code (draw again).
    /// - Parameters: by: the issuing account (nil: the command line); from: the address it
    ///   issued from, as the request had it.
    /// - Parameter limits: at most `count` codes issued by `by` since `since`, counted in the
    ///   same transaction as the insert, serialised per issuer across servers: past one,
    ///   ``StoreError/limitReached(_:)`` with its index, and nothing written (a containment
    ///   audit: codes asked at once all passed a count made before any was written).
    func insertClaim(id: String, locator: String, person: PersonID, codeHash: Data, by: AccountID?, from: String?,
                     at: Date, expiresAt: Date, limits: [(count: Int, since: Date)]) async throws
    /// A live code (issued, unused, unexpired, matching its hash): its person, issuer and
    /// address of issue.
    func liveClaim(locator: String, codeHash: Data, at: Date) async throws -> LiveClaim?
    /// How many claim codes an account issued since an instant, whatever became of them.
    func claimsIssued(by account: AccountID, since: Date) async throws -> Int
    /// Uses a claim code once and creates the citizen account it links, in one transaction:
    /// the code must still be live and stand for the account's person, the person must have no
    /// account yet, and the user name must be free.
    /// - Returns: false when the code is no longer live (nothing written).
    /// - Throws: ``StoreError/duplicate(_:)`` for a taken user name or a person who has an account.
    func redeemClaim(locator: String, codeHash: Data, account a: AccountRecord, at: Date) async throws -> Bool
    /// Whether a person has an account (a citizen's own).
    func personHasAccount(_ person: PersonID) async throws -> Bool
    /// Persons by id.
    func persons(_ ids: [PersonID]) async throws -> [PersonID: PersonRecord]
    /// Records that an account's owner left, in one transaction: the account is disabled for
    /// good, its sessions are revoked, its pending requests and unused activation codes lapse.
    /// - Throws: ``StoreError/notFound`` for no such account; ``StoreError/duplicate(_:)`` when
    ///   the departure is already recorded.
    func recordDeparture(_ account: AccountID, reason: String, by: AccountID?, at: Date) async throws
    /// The departure of an account, if its owner left.
    func departure(of account: AccountID) async throws -> Departure?
    /// Records a request to deactivate a privileged account (C17).
    func insert(departureRequest r: DepartureRequest) async throws
    /// Departure requests still waiting, oldest first.
    func pendingDepartureRequests() async throws -> [DepartureRequest]
    /// Approves a pending departure request and records the departure (by the approver), in
    /// one transaction. The database itself refuses an approval by the requester.
    /// - Throws: ``StoreError/notFound`` when there is no such pending request;
    ///   ``StoreError/duplicate(_:)`` when the departure is already recorded (nothing changes).
    func approve(departureRequest id: String, by approver: AccountID, at: Date) async throws -> DepartureRequest
    /// Records a request.
    func insert(request r: AccountRequest) async throws
    /// Requests still waiting, oldest first.
    func pendingRequests() async throws -> [AccountRequest]
    /// Approves a pending request and applies it, in one transaction: the account becomes
    /// active, or takes its new role. The database itself refuses an approval by the requester.
    /// - Throws: ``StoreError/notFound`` if there is no such pending request.
    func approve(request id: String, by approver: AccountID, at: Date) async throws -> AccountRequest
    /// An account's sealed contact address, if it has one.
    func contact(of account: AccountID) async throws -> Data?
    /// Sets an account's sealed contact address.
    func setContact(_ sealed: Data, for account: AccountID) async throws
    /// Records a reset about to be sent.
    func insertReset(id: String, account: AccountID, tokenHash: Data, by: AccountID, at: Date, expiresAt: Date) async throws
    /// Marks a reset as sent or not sent.
    func setResetStatus(_ id: String, sent: Bool) async throws
    /// The pending reset of this code and its account, if the code was sent, is unused and has
    /// not expired.
    func pendingReset(tokenHash: Data, at: Date) async throws -> (PasswordResetRecord, AccountRecord)?
    /// Finishes a reset in one transaction: checks again that it is sent, unused and not
    /// expired, sets the new password hash, marks the reset used, revokes every session of the
    /// account and clears the sign-in throttle of its user name.
    /// - Returns: whether the reset was still pending (false: used or expired meanwhile).
    func completeReset(_ id: String, passwordHash: String, throttleKey: String, at: Date) async throws -> Bool
    /// Resets an account's second factors in one transaction: removes every factor of it
    /// (apps, passkeys, recovery codes, unfinished enrolments), ends its open sessions, voids
    /// its unused activation codes, marks it (``AccountRecord/factorsReset``, read with the
    /// account from then on) so that its next first factor needs an activation code, and
    /// records the reset. A back-end MUST do all of it or none of it.
    /// - Returns: the reset as recorded.
    /// - Throws: ``StoreError/notFound`` for no such account (nothing written).
    func resetFactors(_ account: AccountID, id: String, reason: String, by: AccountID?, at: Date) async throws -> FactorResetRecord
    /// Clears an account's factor-reset mark (a first factor was enrolled again).
    func clearFactorsReset(_ account: AccountID) async throws
    /// The factor resets of an account, newest first.
    func factorResets(of account: AccountID) async throws -> [FactorResetRecord]
    /// Adds a second factor (unconfirmed TOTP until its first code, or confirmed).
    func insert(factor f: SecondFactorRecord, at: Date) async throws
    /// The second factors of an account, optionally of one kind.
    func factors(account: AccountID, kind: String?) async throws -> [SecondFactorRecord]
    /// Moves a factor's counter forward only if it still holds `expected` (no replay, no race),
    /// and confirms it. Returns false when someone else moved it first.
    func advance(factor id: String, from expected: Int64, to counter: Int64) async throws -> Bool
    /// Replaces an account's unconfirmed factors of a kind (a new enrolment attempt).
    func dropUnconfirmed(account: AccountID, kind: String) async throws
    /// Notes that a session verified a second factor now.
    func markSecondFactor(session: SessionID, at: Date) async throws
    /// Keeps a WebAuthn challenge for a session (replacing any earlier one).
    func putChallenge(_ challenge: Data, kind: String, session: SessionID, expires: Date) async throws
    /// Takes (and so spends) a session's challenge of a kind, if not expired.
    func takeChallenge(kind: String, session: SessionID, now: Date) async throws -> Data?
    /// Atomically decides whether a sign-in attempt may proceed and, if so, counts it as a
    /// failure until ``clearThrottle(key:)`` says it succeeded, so that concurrent attempts
    /// cannot slip through the same free slot.
    /// - Parameter wait: given the state, how long the next attempt must wait (nil: locked).
    /// - Returns: nil when the attempt may proceed, else the seconds to wait.
    func reserveSignInAttempt(key: String, at now: Date, lockoutAfter: Int, wait: @escaping @Sendable (ThrottleState) -> TimeInterval) async throws -> (retryAfter: TimeInterval?, failures: Int)
    /// Forgets a key's failures (a successful sign-in, or an unlock).
    func clearThrottle(key: String) async throws
    /// Forgets the failures of every key that begins with `prefix` (an unlock: a name's
    /// failures from each of its usual places).
    func clearThrottles(prefix: String) async throws
    /// Whether `key` (a user name and a source, hashed) was noted by ``noteKnownSource(key:at:)``
    /// at or after `since`.
    func knownSource(key: String, since: Date) async throws -> Bool
    /// Notes a successful sign-in of a user name from a source (a row of the throttle's table
    /// that counts no failure and never locks).
    func noteKnownSource(key: String, at: Date) async throws
    /// Records something the account's owner must be told.
    func addNotice(account: AccountID, kind: String, detail: String, at: Date) async throws
    /// One organisation.
    func organisation(_ id: OrganisationID) async throws -> Organisation?
}

extension AuthStorage {
    /// Every second factor of an account, whatever its kind.
    public func factors(account: AccountID) async throws -> [SecondFactorRecord] { try await factors(account: account, kind: nil) }
}

extension Store: AuthStorage {}

extension AuthStorage {
    /// Records a new claim code with no issuer's limit (the command line's, tests').
    public func insertClaim(id: String, locator: String, person: PersonID, codeHash: Data, by: AccountID?, from: String?,
                            at: Date, expiresAt: Date) async throws {
        try await insertClaim(id: id, locator: locator, person: person, codeHash: codeHash, by: by, from: from, at: at, expiresAt: expiresAt, limits: [])
    }
}
