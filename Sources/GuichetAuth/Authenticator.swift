public import GuichetCore
public import GuichetStore
public import Foundation
import Synchronization
public import Crypto
public import GuichetMFA
public import GuichetMail

/// A new session: the token is shown once to the client and stored only as a hash.
public struct IssuedSession: Sendable {
    public let token: String
    public let principal: Principal
    public let expiresAt: Date
}

/// Accounts, passwords and sessions.
public final class Authenticator: Sendable {
    let store: any AuthStorage
    let profile: Profile
    public let hasher: PasswordHasher
    let clock: @Sendable () -> Date
    let sessionLifetime: TimeInterval
    /// A session unused for this long ends (OWASP suggests 15 to 30 minutes for sensitive data).
    public let idleTimeout: TimeInterval
    /// A hash of a random password, checked when the user name is unknown so that an unknown
    /// user takes as long as a wrong password.
    let decoy: String
    public let throttle: ThrottlePolicy
    /// Failed attempts per source address: in this process's memory, or in the storage when
    /// several servers share it (``SharedSourceStorage``).
    let sources: any SourceCounting
    /// The failed sign-ins per address on the admin listener, counted apart: administrators
    /// come from loopback or an office network, and failures on the public listener counted
    /// under the same address (a proxy on the same host, with no `trustedProxies`) locked every
    /// administrator out (an attacker's audit: 30 public guesses, then the admin's right
    /// password got 429).
    let adminSources: any SourceCounting
    /// Self-registrations per source address.
    let registrations: any SourceCounting
    /// Makes a registration's check and count one step on this server.
    let registrationLock = SerialLock()
    /// Successful sign-ins per user name, in this process's memory (``SuccessfulSignIns``).
    let successes = SuccessfulSignIns()
    /// Password changes that reach the hashing of the current password, per account: 10 in 10
    /// minutes (a denial-of-service audit: ten citizens' accounts, each sending its right
    /// current password with a refused new one, held both cores and made sign-ins take 20 s).
    let passwordChanges = SuccessfulSignIns(limit: 10, window: 600)
    /// Seals TOTP secrets at rest.
    let secrets: SymmetricKey
    /// The WebAuthn relying party (id and origin of the site).
    public let relyingParty: RelyingParty
    /// Sends password-reset codes and notices to account owners; none: resets are unavailable.
    public let mailer: (any Mailer)?
    /// Where attacks on an account's sign-in go for the security officers (the watch's alerts,
    /// set by the registry): a name locked by guesses, wrong second-factor codes after the
    /// right password. An attacker's audit sent 250 failed sign-ins and 20 wrong codes, and
    /// the officers were told of none.
    private let alerts = Mutex<(@Sendable (_ account: AccountID, _ detector: String, _ high: Bool, _ detail: String) async -> Void)?>(nil)

    /// Sends the attacks on sign-in to `sink` (the watch's alerts).
    public func alerting(_ sink: @escaping @Sendable (_ account: AccountID, _ detector: String, _ high: Bool, _ detail: String) async -> Void) {
        alerts.withLock { $0 = sink }
    }

    func alert(_ account: AccountID, _ detector: String, high: Bool, detail: String) async {
        guard let sink = alerts.withLock({ $0 }) else { return }
        await sink(account, detector, high, detail)
    }


    public init(store: any AuthStorage, profile: Profile, hasher: PasswordHasher = PasswordHasher(),
                sessionLifetime: TimeInterval = 8 * 3600, idleTimeout: TimeInterval = 30 * 60, throttle: ThrottlePolicy = ThrottlePolicy(),
                secrets: SymmetricKey = SymmetricKey(size: .bits256),
                relyingParty: RelyingParty = RelyingParty(id: "localhost", origin: "http://localhost:8080"),
                mailer: (any Mailer)? = nil,
                clock: @escaping @Sendable () -> Date = { Date() }) async throws {
        self.secrets = secrets; self.relyingParty = relyingParty; self.mailer = mailer
        self.store = store; self.profile = profile; self.hasher = hasher
        self.sessionLifetime = sessionLifetime; self.idleTimeout = idleTimeout; self.clock = clock
        self.throttle = throttle
        var perHour = throttle
        perHour.perSourceFailures = throttle.perSourceRegistrations
        perHour.perSourceWindow = 3600
        if let shared = store as? any SharedSourceStorage {
            self.sources = StoredSourceLimiter(storage: shared, limit: "sign-in", policy: throttle)
            self.adminSources = StoredSourceLimiter(storage: shared, limit: "sign-in-admin", policy: throttle)
            self.registrations = StoredSourceLimiter(storage: shared, limit: "registration", policy: perHour)
        } else {
            self.sources = SourceLimiter(policy: throttle)
            self.adminSources = SourceLimiter(policy: throttle)
            self.registrations = SourceLimiter(policy: perHour)
        }
        self.decoy = try await hasher.hash(Self.randomToken())
    }

    static func randomToken() -> String {
        var rng = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }

    static func tokenHash(_ token: String) -> Data { Data(SHA256.hash(data: Data(token.utf8))) }


    /// Checks a user name: 3 to 64 characters among a-z, 0-9, '.', '_', '-', '@'.
    public static func checkUsername(_ name: String) throws {
        let ok = (3...64).contains(name.count) && name.allSatisfy { c in
            c.isASCII && (c.isLowercase || c.isASCIIDigit || ".-_@".contains(c))
        }
        guard ok else { throw GuichetError.invalid("a user name has 3 to 64 characters among a-z, 0-9, '.', '_', '-' and '@'") }
    }

    /// Creates an account after checking it against the profile.
    /// - Throws: ``GuichetError/invalid(_:)`` for a bad name, password, role or organisation;
    ///   ``GuichetError/conflict(_:)`` when the user name is taken.
    /// - Parameter contact: the address that account messages (activation and reset codes) go
    ///   to, until the owner changes it; it needs a mail relay.
    /// - Parameter id: the new account's id (provisioning journals it before the account exists).
    public func createAccount(username: String, password: String, role: String, organisation: OrganisationID? = nil,
                              person: PersonID? = nil, territory: String? = nil, contact: String? = nil,
                              createdBy: AccountID?, id: AccountID = AccountID()) async throws -> AccountID {
        let (address, r) = try await checkNewAccount(username: username, password: password, role: role, organisation: organisation,
                                                     person: person, contact: contact)
        // An administrator alone cannot make a privileged account: it waits for a second one.
        let needsApproval = createdBy != nil && r.kind != .citizen
        let record = AccountRecord(id: id, username: username, passwordHash: try await hasher.hash(password), role: role,
                                   organisation: organisation, person: person, territory: territory,
                                   status: needsApproval ? "pending" : "active", createdAt: clock())
        do { try await store.insert(account: record, createdBy: createdBy) } catch StoreError.duplicate {
            throw GuichetError.conflict("this user name is taken")
        }
        if let address {
            try await store.setContact(try sealContact(address, account: id), for: id)
            try await store.addNotice(account: id, kind: "contact-changed",
                                      detail: "the address for account messages was set when the account was created: change it if it is not yours", at: clock())
        }
        if needsApproval, let createdBy { try await request(kind: "create", account: id, role: role, by: createdBy) }
        return id
    }

    /// Checks a new account against the profile without writing anything: user name, password,
    /// role, organisation of the role's kind, contact address (which needs a mail relay).
    /// - Throws: ``GuichetError/invalid(_:)``; ``GuichetError/unavailable(_:)`` for an address without a relay.
    @discardableResult
    public func checkNewAccount(username: String, password: String, role: String, organisation: OrganisationID?, person: PersonID? = nil,
                                contact: String?) async throws -> (MailAddress?, Role) {
        try Self.checkUsername(username)
        try PasswordRules.check(password, username: username)
        let address = try contact.map { (text: String) throws -> MailAddress in
            guard let a = try? MailAddress(text) else { throw GuichetError.invalid("'email' is not a valid e-mail address") }
            guard mailer != nil else {
                throw GuichetError.unavailable("no mail relay is configured: leave out 'email' and hand the activation code over")
            }
            return a
        }
        guard let r = profile.roles[role] else { throw GuichetError.invalid("unknown role '\(GuichetError.echo(role))'") }
        if let kind = r.organisationKind, !r.kind.usesAdminListener || r.kind == .accountAdmin || organisation != nil {
            guard let organisation, let org = try await store.organisation(organisation), org.kind == kind else {
                throw GuichetError.invalid("role '\(role)' needs an organisation of kind '\(kind)'")
            }
        }
        if r.kind == .citizen, person == nil { throw GuichetError.invalid("a citizen account needs a person") }
        return (address, r)
    }

    func request(kind: String, account: AccountID, role: String, by: AccountID) async throws {
        let now = clock()
        try await store.insert(request: AccountRequest(id: Identifier<AccountTag>().rawValue, account: account, kind: kind, role: role,
                                                       requestedBy: by, requestedAt: now, approvedBy: nil))
        // Every administrator and security officer is told, so that a request nobody expected
        // is noticed (R1, R2).
        for admin in try await store.accounts(roles: profile.roleNames(\.usesAdminListener)) where profile.roles[admin.role]?.kind.usesAdminListener == true && admin.status == "active" {
            try await store.addNotice(account: admin.id, kind: "privileged-account-request",
                                      detail: "\(kind) of a '\(role)' account awaits a second administrator's approval", at: now)
        }
    }

    /// Asks for an account to take a more privileged role; a second administrator approves.
    public func requestRole(_ role: String, for account: AccountID, by: AccountID) async throws {
        guard let r = profile.roles[role], r.kind != .citizen else { throw GuichetError.invalid("unknown or non-staff role '\(GuichetError.echo(role))'") }
        guard try await store.account(id: account) != nil else { throw GuichetError.notFound }
        try await request(kind: "elevate", account: account, role: role, by: by)
    }

    /// Approves a pending creation or elevation.
    /// - Throws: ``GuichetError/forbidden(_:)`` when the approver made the request.
    public func approve(request id: String, by approver: AccountID) async throws -> AccountRequest {
        guard let pending = try await store.pendingRequests().first(where: { $0.id == id }) else { throw GuichetError.notFound }
        guard pending.requestedBy != approver else {
            throw GuichetError.forbidden("a second administrator must approve what you requested")
        }
        return try await store.approve(request: id, by: approver, at: clock())
    }

    /// Signs in with a user name and password, throttled per user name and per source.
    /// - Parameter adminListener: the listener the request came on (nil: an in-process caller).
    ///   An account that signs in on the other listener is an unknown name there: its password
    ///   is never checked (the decoy is), so a right guess neither reveals it nor clears the
    ///   name's failures.
    /// - Throws: ``GuichetError/unauthenticated`` for an unknown user, a wrong password or a
    ///   disabled account alike, after the same amount of work; ``GuichetError/throttled(retryAfterSeconds:)``
    ///   when attempts must wait, whether or not the account exists.
    /// Open sessions one account keeps at most: a new sign-in past it ends the oldest, so that
    /// whoever holds a password cannot pile up sessions (an attacker test reached 260 for one
    /// account); a person rarely has more than a few browsers and devices.
    public static let maxSessions = 32

    public func signIn(username: String, password: String, source: String? = nil, adminListener: Bool? = nil) async throws -> IssuedSession {
        let now = clock()
        let sources = adminListener == true ? adminSources : sources
        if let wait = try await sources.retryAfter(source, now: now) { throw GuichetError.throttled(retryAfterSeconds: Int(wait.rounded(.up))) }
        // A name with a control character is no user name (``checkUsername(_:)``), and the
        // store would not see it whole (SQLite reads text up to a NUL): `name\0x` would find
        // `name` under a throttle key of its own, a fresh count of guesses per suffix. It is
        // refused as an unknown name is, after the same work, and counts against the address.
        if username.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            _ = await hasher.verify(password, against: decoy)
            try await sources.fail(source, now: now)
            throw GuichetError.unauthenticated
        }
        let nameKey = Self.signInKey(username, adminListener: adminListener)
        // From a source the name signed in from lately, the name's failures are counted apart
        // and never lock: guesses from elsewhere cannot lock the owner out of their usual place
        // (an attacker's audit locked any account for good with its user name alone, 20 guesses
        // from as many addresses).
        let known = try await knownSourceKey(nameKey, source)
        let key = known.map { _ in Self.fromKey(nameKey, source ?? "") } ?? nameKey
        // Before the attempt is reserved (it counts as a failure until it succeeds) and before
        // the password is hashed: a name signed in too often lately waits, at no cost.
        if let wait = successes.retryAfter(nameKey, now: now) { throw GuichetError.throttled(retryAfterSeconds: wait) }
        let policy = throttle
        let (wait, failures) = try await store.reserveSignInAttempt(key: key, at: now, lockoutAfter: policy.lockoutAfter) { state in
            state.locked ? policy.maxDelay : policy.delay(afterFailures: state.failures)
        }
        if let wait { throw GuichetError.throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
        let named = try await store.account(username: username)
        let account = named.flatMap { a -> AccountRecord? in
            guard let adminListener else { return a }
            return profile.roles[a.role]?.kind.usesAdminListener == adminListener ? a : nil
        }
        let result = await hasher.verify(password, against: account?.passwordHash ?? decoy)
        guard let account, result.matches, account.status == "active", let role = profile.roles[account.role] else {
            try await sources.fail(source, now: now)
            // The owner hears of failures on either listener; only those on its own listener
            // lock its sign-in (each listener counts its own, ``signInKey(_:adminListener:)``).
            if let named, failures == policy.freeFailures || failures == policy.lockoutAfter {
                if account != nil {
                    try await store.addNotice(account: named.id, kind: failures == policy.lockoutAfter ? "sign-in-locked" : "failed-sign-ins",
                                              detail: "\(failures) failed sign-in attempts in a row", at: now)
                    if failures == policy.lockoutAfter {
                        await alert(named.id, "sign-in-locked", high: false,
                                    detail: known == nil ? "\(failures) failed sign-ins in a row: the account's sign-in is locked, but from the addresses it signed in from lately"
                                                         : "\(failures) failed sign-ins in a row from an address it signed in from lately: its sign-in from there is locked")
                    }
                } else {
                    try await store.addNotice(account: named.id, kind: "failed-sign-ins",
                                              detail: "\(failures) failed sign-in attempts in a row on the other listener, where this account cannot sign in; its own sign-in is not locked by them",
                                              at: now)
                }
            }
            throw GuichetError.unauthenticated
        }
        try await store.clearThrottle(key: key)
        if let source { try await store.noteKnownSource(key: Self.knownKey(nameKey, source), at: now) }
        successes.record(nameKey, now: now)
        if result.needsRehash { try await store.setPasswordHash(try await hasher.hash(password), for: account.id) }
        let token = Self.randomToken()
        let session = SessionID()
        let expires = now.addingTimeInterval(sessionLifetime)
        try await store.insertSession(id: session, tokenHash: Self.tokenHash(token), account: account.id, at: now, expiresAt: expires)
        try await store.revokeSessions(account: account.id, keeping: Self.maxSessions, at: now)
        return IssuedSession(token: token, principal: principal(account, role: role, session: session, secondFactorAt: nil), expiresAt: expires)
    }

    /// A new token for a session that just passed its second factor (pages; OWASP's session
    /// management: a new identifier at every change of privilege). The old token stops
    /// working at once, so a token taken before the factor, with the password alone, never
    /// reaches personal data (an attacker test). The session, its factor and its history
    /// stay the same.
    /// - Throws: ``GuichetError/unauthenticated`` when the old token names no open session.
    public func renewToken(_ token: String) async throws -> String {
        let fresh = Self.randomToken()
        guard try await store.rekeySession(tokenHash: Self.tokenHash(token), to: Self.tokenHash(fresh)) else { throw GuichetError.unauthenticated }
        return fresh
    }

    /// The recovery path of a locked user name: clears its failures, and those of its second
    /// factor (an attacker's audit: 20 wrong codes sent with the password alone locked the
    /// factor, and the unlock left it locked), and tells the owner.
    /// Reached only from the server's own command line (`guichet accounts unlock`), never over HTTP.
    /// - Returns: whether an account of that name exists.
    @discardableResult
    public func unlock(username: String) async throws -> Bool {
        for listener in [false, true] {
            let key = Self.signInKey(username, adminListener: listener)
            try await store.clearThrottle(key: key)
            try await store.clearThrottles(prefix: key + "@")  // those of its usual places too
        }
        guard let account = try await store.account(username: username) else { return false }
        try await store.clearThrottle(key: Self.throttleKey("factor:" + account.id.rawValue))
        try await store.addNotice(account: account.id, kind: "unlocked", detail: "sign-in unlocked by an operator on the server", at: clock())
        return true
    }

    /// How long a source stays known after a sign-in from it.
    public static let knownSourceDays = 90

    /// The key of a user name's sign-ins from one source (an IPv6 /64 as one).
    static func knownKey(_ nameKey: String, _ source: String) -> String {
        throttleKey("known\0" + nameKey + "\0" + SourceKey.of(source))
    }

    /// The throttle key of a user name's failures from a source it signed in from lately: the
    /// name's own key, `@`, and a hash of the source, so that an unlock clears them all by
    /// their common beginning (``AuthStorage/clearThrottles(prefix:)``).
    static func fromKey(_ nameKey: String, _ source: String) -> String {
        nameKey + "@" + Base64URL.encode(Array(SHA256.hash(data: Data(("from\0" + SourceKey.of(source)).utf8))))
    }

    /// The known-source key when the name signed in from this source in the last
    /// ``knownSourceDays``, else nil.
    func knownSourceKey(_ nameKey: String, _ source: String?) async throws -> String? {
        guard let source else { return nil }
        let key = Self.knownKey(nameKey, source)
        return try await store.knownSource(key: key, since: clock().addingTimeInterval(-Double(Self.knownSourceDays) * 86_400)) ? key : nil
    }

    /// The principal of a bearer token.
    /// - Throws: ``GuichetError/unauthenticated`` for an unknown, revoked, expired (absolute
    ///   lifetime) or idle session, or a disabled account.
    public func authenticate(token: String) async throws -> Principal {
        let now = clock()
        guard token.utf8.count <= 128, let session = try await store.session(tokenHash: Self.tokenHash(token)),
              !session.revoked, session.expiresAt > now, now.timeIntervalSince(session.lastSeenAt) < idleTimeout,
              let account = try await store.account(id: session.account), account.status == "active",
              let role = profile.roles[account.role] else { throw GuichetError.unauthenticated }
        // One write a minute at most per session keeps the idle clock without a write per request.
        if now.timeIntervalSince(session.lastSeenAt) > 60 { try await store.touchSession(session.id, at: now) }
        return principal(account, role: role, session: session.id, secondFactorAt: session.secondFactorAt)
    }

    /// Ends every session of an account (sign out everywhere).
    public func revokeAllSessions(of account: AccountID) async throws {
        try await store.revokeSessions(account: account, at: clock())
    }

    /// The account's sessions still usable now (not revoked, not expired, not idle), most
    /// recently used first.
    public func openSessions(of account: AccountID) async throws -> [OpenSession] {
        let now = clock()
        return try await store.openSessions(account: account, now: now).filter { now.timeIntervalSince($0.lastSeenAt) < idleTimeout }
    }

    /// Ends one session of an account (the owner's "end this session").
    /// - Returns: whether an open session of that account was ended; another account's session is never touched.
    @discardableResult
    public func revokeSession(_ id: SessionID, of account: AccountID) async throws -> Bool {
        try await store.revokeSession(id: id, account: account, at: clock())
    }

    /// The owner ends one of its sessions (the account page), or all of them (sign out
    /// everywhere). A session that has not passed the account's second factor ends only
    /// itself: an attacker's audit signed in with a stolen password alone and ended the owner's
    /// verified sessions, again and again.
    /// - Parameter id: the session to end; nil for every session of the account.
    /// - Returns: whether a session of the account was ended.
    /// - Throws: ``GuichetError/forbidden(_:)`` for another session, or all, from a session
    ///   that has not passed the second factor.
    public func endSessions(_ id: SessionID?, by p: Principal) async throws -> Bool {
        if id != p.session {
            guard p.mayReachPersonalData else {
                throw GuichetError.forbidden("verify your second factor first: a session signed in with the password alone ends only itself")
            }
        }
        guard let id else { try await revokeAllSessions(of: p.account); return true }
        return try await revokeSession(id, of: p.account)
    }

    /// Revokes the session of this token.
    public func signOut(token: String) async throws {
        try await store.revokeSession(tokenHash: Self.tokenHash(token), at: clock())
    }

    /// The console (a `guichet` command run on the server, with its key file) acting as a named
    /// security officer: only an active account of role kind `security`. The console is
    /// trusted because it holds the key file and the database, which open everything anyway;
    /// what this adds is that its reads still pass the gate and are journalled under the
    /// officer's name, in a session of their own (no session row: nothing to steal).
    public func consoleOfficerTrustingTheKeyFile(username: String) async throws -> Principal {
        guard let account = try await store.account(username: username), account.status == "active",
              let role = profile.roles[account.role], role.kind == .security else {
            throw GuichetError.forbidden("'\(username)' is not an active security officer's account")
        }
        var p = principal(account, role: role, session: SessionID(), secondFactorAt: clock())
        p.onConsoleWithKeyFile = true
        return p
    }

    func principal(_ a: AccountRecord, role: Role, session: SessionID, secondFactorAt: Date?) -> Principal {
        var p = Principal(account: a.id, username: a.username, role: a.role, kind: role.kind, organisation: a.organisation,
                          person: a.person, territory: a.territory, session: session, secondFactorAt: secondFactorAt)
        p.hasSecondFactor = a.hasSecondFactor
        p.factorsReset = a.factorsReset
        return p
    }
}

/// Successful sign-ins per user name: each costs a password hash (scrypt) on a small pool, so
/// an account, or a few, signing in over and over slowed every other sign-in (an attacker test:
/// eight citizens in a loop took a staff sign-in from 0.4 to 2.5 s). Past ``limit`` in
/// ``window`` a name waits, refused with 429 before anything is hashed. Wrong passwords are
/// counted apart (the name's throttle and lock, and the address's).
final class SuccessfulSignIns: Sendable {
    let limit: Int
    let window: TimeInterval
    private let times = Mutex<[String: [Date]]>([:])

    /// At most `limit` in any `window` seconds (sign-ins: 60 in 10 minutes).
    init(limit: Int = 60, window: TimeInterval = 600) {
        self.limit = limit
        self.window = window
    }

    /// Seconds to wait before this name may sign in again, or nil.
    func retryAfter(_ key: String, now: Date) -> Int? {
        times.withLock { all in
            guard let recent = all[key]?.filter({ now.timeIntervalSince($0) < window }), recent.count >= limit,
                  let oldest = recent.min() else { return nil }
            return max(1, Int((window - now.timeIntervalSince(oldest)).rounded(.up)))
        }
    }

    func record(_ key: String, now: Date) {
        times.withLock { all in
            var recent = (all[key] ?? []).filter { now.timeIntervalSince($0) < window }
            recent.append(now)
            all[key] = recent
            // Names not seen within the window are forgotten now and then, so the map stays small.
            if all.count > 10_000 { all = all.filter { $0.value.contains { now.timeIntervalSince($0) < window } } }
        }
    }
}
