public import GuichetCore
public import GuichetMail
import GuichetStore
public import Foundation
import Crypto

/// A reset that an administrator started: what the administrator is told (never the code).
public struct ResetStarted: Sendable {
    public let id: String
    public let expiresAt: Date
    /// The owner's address, masked (`c***@example.org`).
    public let sentTo: String
}

/// Recovery without a back door (R4: intruders talked a helpdesk into resetting advisers'
/// credentials). An administrator may start a reset, but the code goes only to the address that
/// the owner set for themselves; the owner chooses the new password; the second factor stays as
/// it is, so a reset alone never opens the account; every reset is kept and the owner is told.
extension Authenticator {
    /// How long a reset code may be used.
    public static let resetLifetime: TimeInterval = 3600

    func sealContact(_ address: MailAddress, account: AccountID) throws -> Data {
        try AES.GCM.seal(Data(address.value.utf8), using: secrets, authenticating: Data("contact\0\(account)".utf8)).combined!  // 96-bit nonce: combined exists
    }

    func contact(of account: AccountID) async throws -> MailAddress? {
        guard let sealed = try await store.contact(of: account) else { return nil }
        guard let box = try? AES.GCM.SealedBox(combined: sealed),
              let plain = try? AES.GCM.open(box, using: secrets, authenticating: Data("contact\0\(account)".utf8)) else {
            throw GuichetError.unavailable("a stored contact address does not open with this key file")
        }
        return try MailAddress(String(decoding: plain, as: UTF8.self))
    }

    /// Sets the owner's address without a proof that it is theirs: for tests, which stand for
    /// an address already proved. The routes ask for one (``requestContact(_:for:)``, then
    /// ``confirmContact(_:code:for:)``). Only the owner, with a second factor verified in the
    /// last few minutes: an administrator who could change it could send a reset to themselves.
    func setContact(_ address: String, for p: Principal) async throws {
        try requireStepUp(p)
        guard let parsed = try? MailAddress(address) else { throw GuichetError.invalid("'email' is not a valid e-mail address") }
        try await store.setContact(try sealContact(parsed, account: p.account), for: p.account)
        try await store.addNotice(account: p.account, kind: "contact-changed", detail: "the address for account messages was changed", at: clock())
    }

    /// How long the code that confirms a new contact address may be used.
    public static let contactCodeLifetime: TimeInterval = 24 * 3600

    /// The code that proves an address for an account: a MAC, under a key derived from the
    /// registry's secrets, of the account, the address and the hour it was sent; nothing is
    /// stored until it comes back. Ten symbols of 32 (50 bits), guesses throttled as codes.
    func contactCode(_ address: MailAddress, account: AccountID, hour: Int64) -> String {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: secrets, info: Data("guichet contact confirmation".utf8), outputByteCount: 32)
        let mac = Array(HMAC<SHA256>.authenticationCode(for: Data("\(account)\0\(address.value.lowercased())\0\(hour)".utf8), using: key))
        let bits = mac.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        let symbols = (0..<10).map { alphabet[Int((bits >> UInt64(59 - 5 * $0)) & 31)] }
        return String(symbols.prefix(5)) + "-" + String(symbols.suffix(5))
    }

    /// The owner asks to use a new contact address: a confirmation code is sent to it, and the
    /// address is used only once the code comes back (``confirmContact(_:code:for:)``). Before,
    /// any address was taken at once, and each password change mailed it: a channel for
    /// mail in the service's name to anyone (a hostile citizen's audit). The message names
    /// no account. Needs a second factor verified in the last few minutes, as setting it did.
    /// - Returns: the address, masked.
    /// - Throws: ``GuichetError/invalid(_:)``; ``GuichetError/unavailable(_:)`` without a mail
    ///   relay or when the message could not be sent (nothing changed).
    public func requestContact(_ address: String, for p: Principal) async throws -> String {
        try requireStepUp(p)
        guard let parsed = try? MailAddress(address) else { throw GuichetError.invalid("'email' is not a valid e-mail address") }
        guard let mailer else { throw GuichetError.unavailable(MailError.notConfigured.description) }
        let now = clock()
        let code = contactCode(parsed, account: p.account, hour: Int64(now.timeIntervalSince1970 / 3600))
        do {
            try await mailer.send(ResetMessages.contactCode(code, expires: now.addingTimeInterval(Self.contactCodeLifetime), from: mailer.sender, to: parsed,
                                                            language: profile.defaultLanguage, service: profile.title))
        } catch {
            throw GuichetError.unavailable("the confirmation code could not be sent (\((error as? MailError)?.description ?? "mail error")); nothing was changed")
        }
        try await store.addNotice(account: p.account, kind: "contact-code-sent",
                                  detail: "a code to confirm a new address for account messages was sent to \(parsed.masked)", at: now)
        return parsed.masked
    }

    /// The owner confirms a new contact address with the code sent to it
    /// (``requestContact(_:for:)``), from a session whose second factor passed; the address is
    /// then the one reset codes and notices go to.
    /// - Throws: ``GuichetError/forbidden(_:)`` for a wrong or expired code, or one sent for
    ///   another address or account (alike); ``GuichetError/throttled(retryAfterSeconds:)``.
    public func confirmContact(_ address: String, code: String, for p: Principal) async throws {
        guard p.mayReachPersonalData else {
            throw GuichetError.forbidden("a second factor is required first: verify it (POST /v1/session/totp)")
        }
        guard let parsed = try? MailAddress(address) else { throw GuichetError.invalid("'email' is not a valid e-mail address") }
        let key = try await reserveFactorAttempt(p)
        let now = clock(), hour = Int64(now.timeIntervalSince1970 / 3600)
        let given = code.uppercased().filter { $0.isLetter || $0.isNumber }
        let hours = Int64(Self.contactCodeLifetime / 3600)
        guard given.count == 10, (0..<hours).contains(where: { contactCode(parsed, account: p.account, hour: hour - $0).filter { $0 != "-" } == given }) else {
            throw GuichetError.forbidden("this confirmation code is wrong or expired, or was sent for another address: ask for a new one")
        }
        try await store.clearThrottle(key: key)
        try await store.setContact(try sealContact(parsed, account: p.account), for: p.account)
        try await store.addNotice(account: p.account, kind: "contact-changed", detail: "the address for account messages was changed", at: now)
    }

    /// The owner's contact address, masked, if set.
    public func maskedContact(of account: AccountID) async throws -> String? {
        try await contact(of: account)?.masked
    }

    /// An administrator starts a reset of another account: a single-use code, valid one hour, is
    /// sent to the owner's own address; the administrator sees only where it went.
    /// - Throws: ``GuichetError/forbidden(_:)`` without a fresh second factor, or for one's own
    ///   account (use a recovery code); ``GuichetError/notFound``; ``GuichetError/conflict(_:)``
    ///   when the account has no contact address; ``GuichetError/unavailable(_:)`` when no mail
    ///   relay is configured or the message could not be sent (the reset is then void).
    /// - Parameter onFile: for an account with no contact address of its own, the address on
    ///   its owner's file, asked only then (a citizen sets a contact only once a second factor is
    ///   enrolled, so one who forgot a password had no way back; a citizen-side audit).
    public func startReset(of account: AccountID, by admin: Principal,
                           onFile: (@Sendable () async throws -> MailAddress?)? = nil) async throws -> ResetStarted {
        guard admin.kind == .admin else { throw GuichetError.forbidden("only an administrator may start a password reset") }
        try requireStepUp(admin)
        guard account != admin.account else {
            throw GuichetError.forbidden("you cannot reset your own password this way: sign in with a recovery code and change it")
        }
        guard let record = try await store.account(id: account) else { throw GuichetError.notFound }
        guard let mailer else { throw GuichetError.unavailable(MailError.notConfigured.description) }
        var found = try await contact(of: account)
        if found == nil, let onFile { found = try await onFile() }
        guard let address = found else {
            throw GuichetError.conflict("this account has no contact address: its owner sets one (PUT /v1/me/contact) before a reset can reach them")
        }
        let now = clock(), token = Self.randomToken(), id = factorID()
        let expires = now.addingTimeInterval(Self.resetLifetime)
        try await store.insertReset(id: id, account: account, tokenHash: Self.tokenHash(token), by: admin.account, at: now, expiresAt: expires)
        do {
            try await mailer.send(ResetMessages.code(token, username: record.username, expires: expires, from: mailer.sender, to: address,
                                                     language: profile.defaultLanguage, citizen: profile.roles[record.role]?.kind == .citizen,
                                                     service: profile.title))
        } catch {
            try await store.setResetStatus(id, sent: false)
            throw GuichetError.unavailable("the reset code could not be sent (\((error as? MailError)?.description ?? "mail error")); nothing was changed")
        }
        try await store.setResetStatus(id, sent: true)
        try await store.addNotice(account: account, kind: "password-reset-started",
                                  detail: "an administrator started a password reset; the code was sent to your address", at: now)
        for officer in try await store.accounts(roles: profile.roleNames { $0 == .security }) where profile.roles[officer.role]?.kind == .security && officer.status == "active" {
            try await store.addNotice(account: officer.id, kind: "password-reset-started",
                                      detail: "a password reset of account \(record.username) was started by \(admin.username)", at: now)
        }
        return ResetStarted(id: id, expiresAt: expires, sentTo: address.masked)
    }

    /// A password reset code made on the server's own command line (`guichet accounts
    /// password-reset`), shown once to the operator, who hands it to the owner after checking
    /// who they are: the way back for a deployment without a mail relay, or an owner without an
    /// address (a new user's audit: a co-operative with no relay had none, citizens included).
    /// The owner chooses the new password on the reset page; the second factor is unchanged;
    /// the owner and the security officers are told.
    /// - Returns: the code and its expiry, or nil when no account has that name.
    public func consoleReset(username: String) async throws -> (code: String, expiresAt: Date)? {
        guard let record = try await store.account(username: username) else { return nil }
        guard record.status == "active" else { throw GuichetError.conflict("this account is not active: a reset would not let it sign in") }
        let now = clock(), token = Self.randomToken(), id = factorID()
        let expires = now.addingTimeInterval(Self.resetLifetime)
        // Asked for by no account: the operator on the console, recorded as the owner's own.
        try await store.insertReset(id: id, account: record.id, tokenHash: Self.tokenHash(token), by: record.id, at: now, expiresAt: expires)
        try await store.setResetStatus(id, sent: true)
        try await store.addNotice(account: record.id, kind: "password-reset-started",
                                  detail: "an operator on the server made a password reset code, to be handed to you", at: now)
        for officer in try await store.accounts(roles: profile.roleNames { $0 == .security }) where profile.roles[officer.role]?.kind == .security && officer.status == "active" {
            try await store.addNotice(account: officer.id, kind: "password-reset-started",
                                      detail: "a password reset code for account \(record.username) was made on the server's console", at: now)
        }
        return (token, expires)
    }

    /// The owner finishes a reset with the code received and a new password. Every session of
    /// the account ends; the second factor is unchanged; the owner is told by e-mail.
    /// - Parameter adminListener: whether the request came on the admin listener: the accounts
    ///   that sign in there are reset only there.
    /// - Throws: ``GuichetError/unauthenticated`` for an unknown, used or expired code (alike);
    ///   ``GuichetError/invalid(_:)`` for a password the rules refuse (the code stays usable);
    ///   ``GuichetError/throttled(retryAfterSeconds:)`` when the source guessed too often.
    public func completeReset(code: String, newPassword: String, source: String?, adminListener: Bool) async throws {
        let now = clock()
        if let wait = try await sources.retryAfter(source, now: now) { throw GuichetError.throttled(retryAfterSeconds: Int(wait.rounded(.up))) }
        guard code.utf8.count <= 128, let (reset, account) = try await store.pendingReset(tokenHash: Self.tokenHash(code), at: now),
              profile.roles[account.role]?.kind.usesAdminListener == adminListener else {
            try await sources.fail(source, now: now)
            throw GuichetError.unauthenticated
        }
        try PasswordRules.check(newPassword, username: account.username)
        let hash = try await hasher.hash(newPassword)
        guard try await store.completeReset(reset.id, passwordHash: hash, throttleKey: Self.signInKey(account.username, adminListener: adminListener), at: now) else {
            throw GuichetError.unauthenticated
        }
        try await store.addNotice(account: account.id, kind: "password-reset", detail: "the password was changed with a reset code; every session was ended", at: now)
        // The owner hears of it on their own channel; the change stands even if this fails.
        if let mailer, let address = try? await contact(of: account.id) {
            // With a reset code, not the former password: every session was ended (an audit
            // found this mail telling the owner of a taken-over account the opposite).
            try? await mailer.send(ResetMessages.done(username: account.username, at: now, from: mailer.sender, to: address,
                                                      language: profile.defaultLanguage, byOwner: false,
                                                      citizen: profile.roles[account.role]?.kind == .citizen, service: profile.title))
        }
    }
}

/// The messages of the reset path, in French and English (the profile's language first).
enum ResetMessages {
    /// Whom the owner tells when they did not ask: staff have a security officer, citizens
    /// have the service that holds their file (an audit: a parent was told to tell "your
    /// security officer").
    static func tell(_ citizen: Bool, _ language: String) -> String {
        switch (citizen, language) {
        case (true, "fr"): "le service qui tient votre dossier"
        case (true, _): "the service that holds your file"
        case (false, "fr"): "votre responsable sécurité"
        case (false, _): "your security officer"
        }
    }

    /// The service's name in a language (the profile's `title`): mails to citizens and staff
    /// come from it, not from "Guichet", a software name a parent does not know (a citizen's
    /// audit: a mail from "Guichet" asking to type a code looks like phishing).
    static func name(_ service: [String: String], _ language: String) -> String {
        service[language] ?? service["fr"] ?? service["en"] ?? "Guichet"
    }

    static func both(_ language: String, fr: String, en: String) -> String {
        language == "en" ? en + "\n\n-- Français --\n\n" + fr : fr + "\n\n-- English --\n\n" + en
    }

    /// A time as people read it, in UTC (the texts say "(UTC)" after it): "5 décembre 2026 à
    /// 15:47", "5 December 2026, 15:47" (a new-user test found an ISO time in the reset mail).
    static func stamp(_ date: Date, _ language: String) -> String {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        let c = utc.dateComponents([.year, .month, .day, .hour, .minute], from: date)
        let fr = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"]
        let en = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]
        let month = min(max(c.month ?? 1, 1), 12) - 1, day = c.day ?? 1
        let clock = String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
        return language == "fr" ? "\(day == 1 ? "1er" : String(day)) \(fr[month]) \(c.year ?? 0) à \(clock)"
                                : "\(day) \(en[month]) \(c.year ?? 0), \(clock)"
    }

    static func code(_ token: String, username: String, expires: Date, from: MailAddress, to: MailAddress, language: String, citizen: Bool = false,
                     service: [String: String] = [:]) -> MailMessage {
        let fr = """
        Bonjour,

        Un administrateur a lancé la réinitialisation du mot de passe du compte « \(username) ».
        Voici votre code, à usage unique, valable jusqu'au \(stamp(expires, "fr")) (UTC) :

            \(token)

        Choisissez vous-même votre nouveau mot de passe : sur la page de connexion de
        \(name(service, "fr")) (là où vous vous connectez d'habitude), suivez le lien « Mot de passe oublié ? » et
        saisissez ce code. Personne d'autre ne connaîtra le mot de passe ; votre second facteur
        (application ou clé) reste inchangé.
        Si vous n'avez rien demandé, ne faites rien et prévenez \(tell(citizen, "fr")) :
        le code expirera seul. Nous ne vous demanderons jamais ce code par téléphone ou par courriel.
        """
        let en = """
        Hello,

        An administrator started a password reset of the account "\(username)".
        Here is your single-use code, valid until \(stamp(expires, "en")) (UTC):

            \(token)

        Choose your new password yourself: on the sign-in page of \(name(service, "en")) (where you
        usually sign in), follow "Forgot your password?" and enter this code. Nobody else will know the
        password; your second factor (app or key) stays as it is. If you asked for nothing, do
        nothing and tell \(tell(citizen, "en")): the code will expire by itself. We will never
        ask you for this code by phone or e-mail.
        """
        return MailMessage(from: from, to: to, subject: language == "en" ? "\(name(service, "en")): password reset code / code de réinitialisation"
                                                                          : "\(name(service, "fr")) : code de réinitialisation / password reset code",
                           text: both(language, fr: fr, en: en), language: language)
    }

    /// The code that confirms a new contact address; it names no account, so that it carries
    /// nothing an asker chose to whoever owns the address.
    static func contactCode(_ code: String, expires: Date, from: MailAddress, to: MailAddress, language: String,
                            service: [String: String] = [:]) -> MailMessage {
        let fr = """
        Bonjour,

        Quelqu'un a demandé que cette adresse reçoive les messages d'un compte de \(name(service, "fr")).
        Pour le confirmer, saisissez ce code sur la page de ce compte, jusqu'au \(stamp(expires, "fr")) (UTC) :

            \(code)

        Si vous n'avez rien demandé, ne faites rien : cette adresse ne recevra rien d'autre.
        """
        let en = """
        Hello,

        Someone asked for this address to receive the messages of an account of \(name(service, "en")).
        To confirm it, enter this code on that account's page, until \(stamp(expires, "en")) (UTC):

            \(code)

        If you asked for nothing, do nothing: this address will receive nothing else.
        """
        return MailMessage(from: from, to: to, subject: language == "en" ? "\(name(service, "en")): confirm this address / confirmez cette adresse"
                                                                          : "\(name(service, "fr")) : confirmez cette adresse / confirm this address",
                           text: both(language, fr: fr, en: en), language: language)
    }

    /// - Parameter byOwner: changed on the account page with the current password (the other
    ///   sessions ended), rather than with a reset code (every session ended).
    static func done(username: String, at: Date, from: MailAddress, to: MailAddress, language: String, byOwner: Bool = false,
                     citizen: Bool = false, service: [String: String] = [:]) -> MailMessage {
        let fr = byOwner ? """
        Bonjour,

        Le mot de passe du compte « \(username) » a été changé le \(stamp(at, "fr")) (UTC) depuis le compte,
        avec l'ancien mot de passe. Les autres sessions ouvertes ont été fermées.
        Si ce n'était pas vous, prévenez immédiatement \(tell(citizen, "fr")).
        """ : """
        Bonjour,

        Le mot de passe du compte « \(username) » a été changé le \(stamp(at, "fr")) (UTC) avec un code de
        réinitialisation. Toutes les sessions ouvertes ont été fermées.
        Si ce n'était pas vous, prévenez immédiatement \(tell(citizen, "fr")).
        """
        let en = byOwner ? """
        Hello,

        The password of the account "\(username)" was changed on \(stamp(at, "en")) (UTC) from the account,
        with the former password. The other open sessions were ended. If this was not you, tell
        \(tell(citizen, "en")) at once.
        """ : """
        Hello,

        The password of the account "\(username)" was changed on \(stamp(at, "en")) (UTC) with a reset
        code. Every open session was ended. If this was not you, tell \(tell(citizen, "en")) at once.
        """
        return MailMessage(from: from, to: to, subject: language == "en" ? "\(name(service, "en")): your password was changed / mot de passe changé"
                                                                          : "\(name(service, "fr")) : mot de passe changé / your password was changed",
                           text: both(language, fr: fr, en: en), language: language)
    }
}

extension Authenticator {
    /// The owner changes their password, knowing the current one (the account page, `POST
    /// /v1/me/password`): after the second factor when the role has one, the current password
    /// checked (wrong guesses count and slow down as the second factor's do), the rules of a new
    /// one, then every other session of the account ends, and the owner is told (a notice,
    /// and an e-mail when a relay and an address are set). A new-user test found no way to do
    /// it, while the pages told a worried owner to.
    /// - Throws: ``GuichetError/forbidden(_:)`` before the second factor;
    ///   ``GuichetError/unauthenticated`` for a wrong current password (nothing changes);
    ///   ``GuichetError/invalid(_:)`` for a new password the rules refuse, or the same one;
    ///   ``GuichetError/throttled(retryAfterSeconds:)`` after repeated wrong ones.
    public func changePassword(_ p: Principal, current: String, new: String) async throws {
        guard p.mayReachPersonalData else { throw GuichetError.forbidden("a second factor is required before any change of the account: verify it first") }
        guard new.utf8.count <= 1_024 else { throw GuichetError.invalid("a password has at most 1024 bytes") }
        // What needs no hashing is checked first: a refused new password costs nothing (a
        // denial-of-service audit sent the right current password with "short", 0.27 s of
        // both cores each time, and the server's sign-ins waited 20 s).
        guard new != current else { throw GuichetError.invalid("the new password must differ from the current one") }
        try PasswordRules.check(new, username: p.username)
        let now = clock()
        if let wait = passwordChanges.retryAfter(p.account.rawValue, now: now) { throw GuichetError.throttled(retryAfterSeconds: wait) }
        passwordChanges.record(p.account.rawValue, now: now)
        let key = Self.throttleKey("password-change:" + p.account.rawValue)
        let policy = throttle
        // Slowed down, never locked: whoever holds a session must not be able to lock the
        // owner out of changing their password (an attacker test), and nothing unlocks this key.
        let (wait, failures) = try await store.reserveSignInAttempt(key: key, at: clock(), lockoutAfter: Int.max) { state in
            policy.delay(afterFailures: state.failures)
        }
        if let wait { throw GuichetError.throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
        guard current.utf8.count <= 1_024, let account = try await store.account(id: p.account),
              await hasher.verify(current, against: account.passwordHash).matches else {
            // The owner hears of wrong current passwords, as of failed sign-ins.
            if failures == policy.freeFailures {
                try? await store.addNotice(account: p.account, kind: "failed-password-changes",
                                           detail: "\(failures) wrong current passwords in a row when changing the password", at: clock())
            }
            throw GuichetError.unauthenticated
        }
        try await store.clearThrottle(key: key)
        try await store.setPasswordHash(try await hasher.hash(new), for: account.id)
        for s in try await store.openSessions(account: account.id, now: now) where s.id != p.session {
            _ = try await store.revokeSession(id: s.id, account: account.id, at: now)
        }
        try await store.addNotice(account: account.id, kind: "password-changed", detail: "the password was changed by its owner; the account's other sessions were ended", at: now)
        if let mailer, let address = try? await contact(of: account.id) {
            try? await mailer.send(ResetMessages.done(username: account.username, at: now, from: mailer.sender, to: address,
                                                      language: profile.defaultLanguage, byOwner: true,
                                                      citizen: profile.roles[account.role]?.kind == .citizen, service: profile.title))
        }
    }
}
