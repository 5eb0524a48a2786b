public import GuichetCore
public import GuichetStore
public import GuichetMail
public import Foundation
import Crypto

/// A claim code as issued: shown once, to be given to the person by letter or e-mail.
public struct ClaimIssued: Sendable, Equatable {
    public let id: String
    public let code: String
    public let expiresAt: Date
}

/// How a claim code asked by a staff member reached, or will reach, the person.
public enum ClaimDelivery: Sendable, Equatable {
    /// Shown once to the staff member, for the office's letter: the person has no address on
    /// file, or no mail relay is configured.
    case letter(ClaimIssued)
    /// Sent to the person's own address; `sentTo` is masked (`n***@example.org`). Whoever
    /// asked never sees the code.
    case emailed(id: String, sentTo: String, expiresAt: Date)
}

/// A claim code that checked out, for one person: only this module makes one, so holding it
/// proves that the code was right, live and within its throttle.
public struct ClaimTicket: Sendable {
    public let person: PersonID
    /// Who issued the code (nil: the server's command line), and when.
    public let issuedBy: AccountID?
    public let issuedAt: Date
    /// Whether the claim comes from the network the code was issued from (the issuer's /24
    /// for IPv4, /48 for IPv6), its very address included.
    public let nearIssuer: Bool
    let locator: String
    let codeHash: Data
    let throttleKey: String
    /// What names the code among claims in progress (its hash, never the code).
    public var code: String { codeHash.base64EncodedString() }
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
    /// - Parameter from: the address the request came from (a claim from there is refused).
    /// - Parameter limits: the issuer's limits (at most `count` codes since `since`), counted
    ///   with the code's insert: past one, ``StoreError/limitReached(_:)`` and no code.
    public func issueClaim(for person: PersonID, by: AccountID?, from: String? = nil,
                           limits: [(count: Int, since: Date)] = []) async throws -> ClaimIssued {
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
                                            from: from, at: now, expiresAt: expires, limits: limits)
                return ClaimIssued(id: id, code: code, expiresAt: expires)
            } catch StoreError.duplicate {
                continue  // another live code has this locator: draw again
            }
        }
        throw GuichetError.unavailable("no free claim code could be drawn; try again")
    }

    /// Issues a claim code asked by a staff member: sent to the person's own address when
    /// there is one and a relay is configured, so that the staff member never holds it; else
    /// shown once for the office's letter.
    /// - Parameter address: the person's address on file, opened by the gate (journalled).
    /// - Throws: as ``issueClaim(for:by:from:)``; ``GuichetError/unavailable(_:)`` when the
    ///   relay refuses the message (the code drawn then reached nobody).
    public func issueClaim(for person: PersonID, by: AccountID, from: String?, mailingTo address: MailAddress?) async throws -> ClaimDelivery {
        try await deliverClaim(try await issueClaim(for: person, by: by, from: from), mailingTo: address)
    }

    /// Sends a code just drawn to the person's address, or hands it back for a letter.
    /// - Throws: ``GuichetError/unavailable(_:)`` when the relay refuses the message.
    public func deliverClaim(_ issued: ClaimIssued, mailingTo address: MailAddress?) async throws -> ClaimDelivery {
        guard let mailer, let address else { return .letter(issued) }
        do {
            try await mailer.send(ResetMessages.claim(issued.code, expires: issued.expiresAt, from: mailer.sender, to: address,
                                                      language: profile.defaultLanguage, service: profile.title))
        } catch {
            throw GuichetError.unavailable("the claim code could not be sent (\((error as? MailError)?.description ?? "mail error"))")
        }
        return .emailed(id: issued.id, sentTo: address.masked, expiresAt: issued.expiresAt)
    }

    /// Whether a mail relay is configured (claim codes asked by staff then go to the person).
    public var sendsMail: Bool { mailer != nil }

    /// How many claim codes an account issued since an instant.
    public func claimsIssued(by account: AccountID, since: Date) async throws -> Int {
        try await store.claimsIssued(by: account, since: since)
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
        return role
    }

    /// Whether a new citizen's user name is free, asked only once a claim code has been found
    /// good (``checkClaim(code:source:claimant:)``), and counted as a registration of the
    /// source: otherwise anyone could ask for name after name and learn who has an account
    /// (an audit listed staff and security officers' names at 25 a second).
    /// - Throws: ``GuichetError/throttled(retryAfterSeconds:)`` past the source's
    ///   registrations; ``GuichetError/conflict(_:)`` when the name is taken.
    public func checkUsernameFree(_ username: String, source: String?) async throws {
        try await reserveRegistration(source: source)
        if try await store.account(username: username) != nil { throw GuichetError.conflict("this user name is taken: choose another") }
    }

    public static let wrongClaim = GuichetError.forbidden("this claim code is wrong, used or expired: ask the office that sent it for a new one")

    static let selfClaim = GuichetError.forbidden("a claim code cannot be used by the account that issued it")

    /// Checks a claim code, throttled per source and per code. Nothing is used up yet.
    /// A claim by the account that issued the code (`claimant`, the session the request
    /// carries) is refused and counted as a wrong code. A claim from the network the code was
    /// issued from is let through and marked (``ClaimTicket/nearIssuer``, an alert): a citizen
    /// at the office's counter, or a test on loopback, shares the issuer's address, so the
    /// address alone cannot tell the issuer from the person.
    /// - Throws: ``GuichetError/forbidden(_:)`` for a wrong, used or expired code (alike), or
    ///   a claim by its issuer; ``GuichetError/throttled(retryAfterSeconds:)`` after too many
    ///   wrong attempts.
    public func checkClaim(code: String, source: String?, claimant: AccountID? = nil) async throws -> ClaimTicket {
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
        guard let live = try await store.liveClaim(locator: locator, codeHash: hash, at: now) else {
            try await sources.fail(source, now: now)
            throw Self.wrongClaim
        }
        if live.issuedBy != nil && claimant == live.issuedBy {
            try await sources.fail(source, now: now)  // the per-code attempt stays counted too
            throw Self.selfClaim
        }
        let network = { (address: String?) in address.flatMap { SourceAddress.network($0, ipv4: 24, ipv6: 48) } }
        let near = network(live.issuedFrom) != nil && network(live.issuedFrom) == network(source)
        return ClaimTicket(person: live.person, issuedBy: live.issuedBy, issuedAt: live.issuedAt, nearIssuer: near,
                           locator: locator, codeHash: hash, throttleKey: key)
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

extension ResetMessages {
    /// A claim code sent to the person's own address.
    static func claim(_ code: String, expires: Date, from: MailAddress, to: MailAddress, language: String,
                      service: [String: String] = [:]) -> MailMessage {
        let fr = """
        Bonjour,

        Le service qui tient votre dossier vous envoie un code pour créer votre compte sur
        \(name(service, "fr")) et le relier à ce dossier. Sur son site, page
        « Réclamer mon dossier », choisissez un nom d'utilisateur et un mot de passe, puis
        saisissez ce code, à usage unique, valable jusqu'au \(stamp(expires, "fr")) (UTC) :

            \(code)

        Utilisez-le depuis votre propre connexion, pas depuis un poste du service.
        Si vous n'avez rien demandé, ne faites rien : le code expirera seul.
        Nous ne vous demanderons jamais ce code par téléphone ou par courriel.
        """
        let en = """
        Hello,

        The office that holds your file sends you a code to create your account on
        \(name(service, "en")) and link it to that file. On its site, page
        "Claim my file", choose a user name and a password, then enter this single-use code,
        valid until \(stamp(expires, "en")) (UTC):

            \(code)

        Use it from your own connection, not from a computer of the office. If you asked for
        nothing, do nothing: the code will expire by itself. We will never ask you for this
        code by phone or e-mail.
        """
        return MailMessage(from: from, to: to, subject: language == "en" ? "\(name(service, "en")): your claim code / votre code"
                                                                          : "\(name(service, "fr")) : votre code pour votre dossier / your claim code",
                           text: both(language, fr: fr, en: en), language: language)
    }
}
