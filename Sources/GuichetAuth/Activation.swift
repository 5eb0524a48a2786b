public import GuichetCore
import GuichetMail
import GuichetStore
public import Foundation
import Crypto

/// How an activation code reached, or will reach, the account's owner.
public enum ActivationIssued: Sendable, Equatable {
    /// Shown once to whoever asked (an operator, the creating or approving administrator), to
    /// hand to the owner.
    case handed(id: String, code: String, expiresAt: Date)
    /// Sent to the owner's contact address; `sentTo` is masked (`a***@example.org`).
    case emailed(id: String, sentTo: String, expiresAt: Date)
    /// Waits for a second administrator, who receives the code to hand over.
    case awaitingApproval(id: String)

    /// The code, when it is to be handed over.
    public var code: String? {
        if case .handed(_, let code, _) = self { code } else { nil }
    }
}

/// No account taken over with its password alone (issue 14): a staff, partner or admin account
/// enrols its first second factor only with a single-use activation code that reached its owner
/// out of band, by e-mail to the address set for the account, or by hand from the administrator
/// who created it (two administrators already agreed to the account) or from an operator on the
/// server. Codes expire, are stored hashed, are never logged, and wrong ones are throttled like
/// passwords. Citizens are not concerned (they need no second factor), unless an administrator
/// reset their second factors (``resetFactors(of:reason:delivery:by:)``): then their next first
/// factor needs a code too.
extension Authenticator {
    /// How long an activation code may be used.
    public static let activationLifetime: TimeInterval = 72 * 3600

    /// A code of 20 characters from an alphabet without look-alikes (100 bits), in groups of five.
    static func humanCode(groups: Int) -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return (0..<groups).map { _ in String((0..<5).map { _ in alphabet.randomElement()! }) }  // the alphabet is not empty
            .joined(separator: "-")
    }

    /// The stored form of an activation code: case, spaces and dashes do not matter.
    static func hash(activationCode code: String) -> Data {
        Data(SHA256.hash(data: Data(("activation\0" + code.uppercased().filter { $0.isLetter || $0.isNumber }).utf8)))
    }

    /// The account, if an activation code may be issued for it: it exists, is not a citizen's
    /// (unless its factors were reset), and has no second factor yet.
    func activatable(_ account: AccountID) async throws -> AccountRecord {
        guard let record = try await store.account(id: account) else { throw GuichetError.notFound }
        guard let role = profile.roles[record.role], role.kind != .citizen || record.factorsReset else {
            throw GuichetError.invalid("citizens' accounts need no activation code")
        }
        if try await store.factors(account: account).contains(where: { $0.confirmed && $0.kind != "recovery" }) {
            throw GuichetError.conflict("this account already has a second factor: its owner adds others with a fresh one")
        }
        return record
    }

    /// A new code handed to whoever asked, replacing the account's unused ones.
    func hand(_ account: AccountID, by: AccountID?, detail: String) async throws -> ActivationIssued {
        let now = clock(), code = Self.humanCode(groups: 4), id = factorID()
        let expires = now.addingTimeInterval(Self.activationLifetime)
        try await store.insertActivation(id: id, account: account, codeHash: Self.hash(activationCode: code), delivery: "hand",
                                         by: by, at: now, expiresAt: expires, status: "issued")
        try await store.addNotice(account: account, kind: "activation-code-issued", detail: detail, at: now)
        return .handed(id: id, code: code, expiresAt: expires)
    }

    /// A new code sent to the owner's address, replacing the account's unused ones.
    /// - Throws: ``GuichetError/unavailable(_:)`` when the relay refuses (the code never works).
    func email(_ record: AccountRecord, to address: MailAddress, mailer: any Mailer, by: AccountID?) async throws -> ActivationIssued {
        let reset = record.factorsReset
        let now = clock(), code = Self.humanCode(groups: 4), id = factorID()
        let expires = now.addingTimeInterval(Self.activationLifetime)
        try await store.insertActivation(id: id, account: record.id, codeHash: Self.hash(activationCode: code), delivery: "email",
                                         by: by, at: now, expiresAt: expires, status: "sending")
        do {
            try await mailer.send(ResetMessages.activation(code, username: record.username, expires: expires, afterReset: reset,
                                                           from: mailer.sender, to: address, language: profile.defaultLanguage))
        } catch {
            try await store.setActivationStatus(id, sent: false)
            throw GuichetError.unavailable("the activation code could not be sent (\((error as? MailError)?.description ?? "mail error"))")
        }
        try await store.setActivationStatus(id, sent: true)
        try await store.addNotice(account: record.id, kind: "activation-code-issued",
                                  detail: "an activation code was sent to your address", at: now)
        return .emailed(id: id, sentTo: address.masked, expiresAt: expires)
    }

    /// The code of an account an administrator just created (its creation waits for a second
    /// administrator): by e-mail when the account has an address and a relay is configured,
    /// else to the creating administrator, once, to hand over.
    /// - Throws: ``GuichetError/unavailable(_:)`` when the relay refuses.
    public func activateNewAccount(_ account: AccountID, by admin: Principal) async throws -> ActivationIssued {
        let record = try await activatable(account)
        if let mailer, let address = try await contact(of: account) {
            return try await email(record, to: address, mailer: mailer, by: admin.account)
        }
        return try await hand(account, by: admin.account, detail: "an activation code was given to the administrator who created the account, to hand to you")
    }

    /// An administrator asks for a new code for an account without a second factor (the first
    /// expired or was lost). With an address on file and a relay, the code goes there at once;
    /// otherwise it is to be handed over, and a second administrator must approve: the approver,
    /// not the requester, receives it.
    /// - Throws: ``GuichetError/forbidden(_:)`` without a fresh second factor or for one's own
    ///   account; ``GuichetError/notFound``; ``GuichetError/conflict(_:)`` when the account has a
    ///   second factor; ``GuichetError/unavailable(_:)`` when the relay refuses.
    public func reissueActivation(for account: AccountID, by admin: Principal) async throws -> ActivationIssued {
        guard admin.kind == .admin else { throw GuichetError.forbidden("only an administrator may issue an activation code") }
        try requireStepUp(admin)
        guard account != admin.account else { throw GuichetError.forbidden("you cannot issue an activation code for your own account") }
        return try await issueActivation(try await activatable(account), by: admin, byHand: false)
    }

    /// Issues a code at an administrator's request, for an account found ``activatable(_:)``:
    /// to the owner's address when there is one and a relay and `byHand` is false; otherwise
    /// to be handed over, once a second administrator approves (the approver receives it).
    /// - Throws: ``GuichetError/unavailable(_:)`` when the relay refuses.
    func issueActivation(_ record: AccountRecord, by admin: Principal, byHand: Bool) async throws -> ActivationIssued {
        let account = record.id
        if !byHand, let mailer, let address = try await contact(of: account) {
            return try await email(record, to: address, mailer: mailer, by: admin.account)
        }
        let now = clock(), id = factorID()
        try await store.insertActivation(id: id, account: account, codeHash: nil, delivery: "hand", by: admin.account,
                                         at: now, expiresAt: now.addingTimeInterval(Self.activationLifetime), status: "awaiting-approval")
        for other in try await store.accounts(roles: profile.roleNames { $0 == .admin }) where other.id != admin.account && other.status == "active" && profile.roles[other.role]?.kind == .admin {
            try await store.addNotice(account: other.id, kind: "activation-code-request",
                                      detail: "an activation code for account \(record.username) awaits a second administrator's approval", at: now)
        }
        return .awaitingApproval(id: id)
    }

    /// A second administrator approves a hand-delivered code and receives it, once.
    /// - Throws: ``GuichetError/forbidden(_:)`` for the requester or without a fresh second
    ///   factor; ``GuichetError/notFound`` when nothing waits under this id.
    public func approveActivation(_ id: String, by approver: Principal) async throws -> ActivationIssued {
        guard approver.kind == .admin else { throw GuichetError.forbidden("only an administrator may approve an activation code") }
        try requireStepUp(approver)
        guard id.count <= 64, let waiting = try await store.activationsAwaitingApproval().first(where: { $0.id == id }) else {
            throw GuichetError.notFound
        }
        guard waiting.issuedBy != approver.account else { throw GuichetError.forbidden("a second administrator must approve what you requested") }
        guard waiting.account != approver.account else { throw GuichetError.forbidden("you cannot approve an activation code for your own account") }
        _ = try await activatable(waiting.account)
        let now = clock(), code = Self.humanCode(groups: 4), expires = now.addingTimeInterval(Self.activationLifetime)
        guard try await store.approveActivation(id, codeHash: Self.hash(activationCode: code), by: approver.account, at: now, expiresAt: expires) != nil else {
            throw GuichetError.notFound
        }
        try await store.addNotice(account: waiting.account, kind: "activation-code-issued",
                                  detail: "an activation code was given to an administrator, to hand to you", at: now)
        return .handed(id: id, code: code, expiresAt: expires)
    }

    /// The recovery path of the server's own command line (`guichet init`, `guichet demo`,
    /// `guichet accounts activation`): a code to hand over. The console holds the key file and the
    /// database, which open everything anyway; the owner is told.
    /// - Returns: nil when no account has this user name.
    /// - Throws: ``GuichetError/invalid(_:)`` for a citizen's account; ``GuichetError/conflict(_:)``
    ///   when the account has a second factor.
    public func consoleActivation(username: String) async throws -> ActivationIssued? {
        guard let account = try await store.account(username: username) else { return nil }
        _ = try await activatable(account.id)
        return try await hand(account.id, by: nil, detail: "an activation code was issued by an operator on the server")
    }

    /// The refusal of an activation code when an app's enrolment is waiting for its first code.
    static let startedEnrolment = "this activation code was used already to start adding an authenticator app: finish with a code from that app (POST /v1/session/totp, or the account page); if the app was not added, ask an administrator for a new activation code"

    /// Whether this principal may enrol a factor now. With a factor already, only after a fresh
    /// one (step-up). Without one, staff, partners and administrators need an activation code: in
    /// this call (it is used up, and this session may then finish enrolling), or used earlier by
    /// this same session. Wrong codes count against the account and the source like passwords.
    /// - Throws: ``GuichetError/forbidden(_:)`` without a code, or for a wrong, used or expired
    ///   one (alike); ``GuichetError/throttled(retryAfterSeconds:)`` after too many guesses.
    func mayEnrol(_ p: Principal, activationCode: String? = nil, source: String? = nil) async throws {
        if try await store.factors(account: p.account).contains(where: { $0.confirmed && $0.kind != "recovery" }) {
            try requireStepUp(p)
            return
        }
        guard p.needsSecondFactor, try await !store.sessionActivated(p.session) else { return }
        guard let activationCode else {
            throw GuichetError.forbidden("a first second factor needs the activation code sent to you (by e-mail or by hand): send it as 'activationCode'")
        }
        let now = clock()
        if let wait = try await sources.retryAfter(source, now: now) { throw GuichetError.throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up)))) }
        let key = try await reserveFactorAttempt(p)
        guard activationCode.utf8.count <= 64,
              try await store.redeemActivation(account: p.account, codeHash: Self.hash(activationCode: activationCode), session: p.session, at: now) else {
            try await sources.fail(source, now: now)
            // An enrolment this code started (in a tab since closed) is finished with the app's
            // code, not a new activation code (a co-operative's audit: the message sent the only
            // administrator looking for a code nobody needed).
            if try await store.factors(account: p.account, kind: "totp").contains(where: { !$0.confirmed }) {
                throw GuichetError.forbidden(Self.startedEnrolment)
            }
            throw GuichetError.forbidden("this activation code is wrong, used or expired: ask an administrator for a new one")
        }
        try await store.clearThrottle(key: key)
        try await store.addNotice(account: p.account, kind: "activation-code-used", detail: "the activation code was used to enrol a second factor", at: now)
    }
}

extension ResetMessages {
    static func activation(_ code: String, username: String, expires: Date, afterReset: Bool = false, from: MailAddress, to: MailAddress,
                           language: String) -> MailMessage {
        if afterReset { return factorReset(code, username: username, expires: expires, from: from, to: to, language: language) }
        let fr = """
        Bonjour,

        Le compte « \(username) » a été créé pour vous. Avant de lire quoi que ce soit, vous devez
        enregistrer un second facteur (application d'authentification ou clé d'accès). Voici votre
        code d'activation, à usage unique, valable jusqu'au \(stamp(expires, "fr")) (UTC) :

            \(code)

        Connectez-vous avec votre mot de passe, puis saisissez ce code en enregistrant votre second
        facteur. Si vous n'attendiez pas ce compte, ne faites rien et prévenez votre responsable
        sécurité. Nous ne vous demanderons jamais ce code par téléphone ou par courriel.
        """
        let en = """
        Hello,

        The account "\(username)" was created for you. Before you can read anything, you enrol a
        second factor (authenticator app or passkey). Here is your single-use activation code,
        valid until \(stamp(expires, "en")) (UTC):

            \(code)

        Sign in with your password, then enter this code when you enrol your second factor. If you
        expected no such account, do nothing and tell your security officer. We will never ask you
        for this code by phone or e-mail.
        """
        return MailMessage(from: from, to: to, subject: language == "en" ? "Guichet: activation code / code d'activation"
                                                                          : "Guichet : code d'activation / activation code",
                           text: both(language, fr: fr, en: en), language: language)
    }
}
