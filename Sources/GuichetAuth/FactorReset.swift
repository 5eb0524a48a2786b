public import GuichetCore
import GuichetMail
public import GuichetStore
public import Foundation

/// How the activation code that follows a factor reset reaches the account's owner.
public enum FactorResetDelivery: String, Sendable {
    /// As any code an administrator asks for (``Authenticator/reissueActivation(for:by:)``): to
    /// the owner's contact address when there is one and a mail relay, else by hand once a second
    /// administrator approves.
    case usual
    /// By hand once a second administrator approves, even when there is an address: after a
    /// takeover the intruder may have changed it; the identity check is at the counter.
    case hand
}

/// A factor reset as made: what was kept of it, and how its activation code goes out.
public struct FactorResetDone: Sendable {
    public let reset: FactorResetRecord
    public let activation: ActivationIssued
}

/// Lost second factor, or an account taken over (docs/AUTHENTICATION.md): after checking the
/// owner's identity, an administrator removes every second factor of the account (apps,
/// passkeys, recovery codes), ends its sessions and marks it, so that its next first factor
/// needs an activation code even when it is a citizen's, and that until then whoever knows the
/// password reaches no personal data. The code goes out through the activation path. The owner
/// and the security officers are told; every reset is kept.
extension Authenticator {
    /// The reason of a reset, trimmed: 3 to 200 characters, as a departure's.
    static func factorResetReason(_ reason: String) throws -> String {
        let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (3...200).contains(text.count), ReasonText.withoutPersonalDetail(text) != nil else {
            throw GuichetError.invalid("give the reason for the reset (3 to 200 characters, no personal detail: no e-mail address, telephone or identity number)")
        }
        return text
    }

    /// Checks, without writing anything, that this administrator (nil: the server's own command
    /// line) may reset this account's second factors now; the provisioning journals the step
    /// between this check and the reset, which checks again.
    /// - Throws: ``GuichetError/forbidden(_:)`` for anyone but an administrator, without a fresh
    ///   second factor, or for one's own account; ``GuichetError/invalid(_:)`` for a missing or
    ///   long reason; ``GuichetError/notFound``; ``GuichetError/conflict(_:)`` when the owner left.
    @discardableResult
    public func checkFactorReset(of account: AccountID, reason: String, by admin: Principal?) async throws -> AccountRecord {
        if let admin {
            guard admin.kind == .admin else { throw GuichetError.forbidden("only an administrator may reset second factors") }
            try requireStepUp(admin)
            guard account != admin.account else {
                throw GuichetError.forbidden("you cannot reset your own second factors: another administrator does it, after checking who you are")
            }
        }
        _ = try Self.factorResetReason(reason)
        let record = try await resettable(account)
        // An administrator's session resets no privileged account's factors: one stolen session
        // could otherwise end the sessions of every other administrator and security officer
        // and keep them out until a second administrator hands them a code (an attacker test).
        if admin != nil, profile.roles[record.role]?.kind.usesAdminListener == true {
            throw GuichetError.forbidden(Self.privilegedResetRefusal)
        }
        return record
    }

    /// Why an administrator's request to reset a privileged account's factors is refused, and
    /// where it is done instead.
    public static let privilegedResetRefusal = "the second factors of an administrator, account administrator or security officer are reset on the server's console "
        + "(guichet accounts reset-factors), by its operator: one administrator's session could otherwise lock every other administrator and security officer out"

    /// The account, if its factors may be reset: it exists and its owner has not left. An
    /// account without any factor may be reset too: its sessions end and its next first factor
    /// needs a code (a citizen whose password leaked is so protected until they enrol one).
    func resettable(_ account: AccountID) async throws -> AccountRecord {
        guard let record = try await store.account(id: account), profile.roles[record.role] != nil else { throw GuichetError.notFound }
        if try await store.departure(of: account) != nil { throw GuichetError.conflict("this account's owner left: it stays deactivated") }
        return record
    }

    /// An administrator resets another account's second factors after checking its owner's
    /// identity, then an activation code goes out as `delivery` says.
    /// - Throws: as ``checkFactorReset(of:reason:by:)``; ``GuichetError/unavailable(_:)`` when
    ///   the relay refuses the code (the reset stands: issue a code again, or reset by hand).
    public func resetFactors(of account: AccountID, reason: String, delivery: FactorResetDelivery, by admin: Principal) async throws -> FactorResetDone {
        let record = try await checkFactorReset(of: account, reason: reason, by: admin)
        let reset = try await reset(record, reason: try Self.factorResetReason(reason), by: admin.account, byName: admin.username)
        do {
            return FactorResetDone(reset: reset, activation: try await issueActivation(try await activatable(account), by: admin, byHand: delivery == .hand))
        } catch GuichetError.unavailable {
            throw GuichetError.unavailable("the second factors were reset, but the activation code could not be sent: issue one again, or reset with delivery 'hand'")
        }
    }

    /// The recovery path of the server's own command line (`guichet accounts reset-factors`):
    /// the reset, and a code to hand over, shown once to the operator. The console holds the key
    /// file and the database, which open everything anyway; the owner and the officers are told.
    /// - Throws: ``GuichetError/invalid(_:)`` for a missing or long reason;
    ///   ``GuichetError/notFound``; ``GuichetError/conflict(_:)`` when the owner left.
    public func consoleResetFactors(of account: AccountID, reason: String) async throws -> FactorResetDone {
        let record = try await checkFactorReset(of: account, reason: reason, by: nil)
        let reset = try await reset(record, reason: try Self.factorResetReason(reason), by: nil, byName: "an operator on the server")
        _ = try await activatable(account)
        let code = try await hand(account, by: nil, detail: "an activation code was issued by an operator on the server")
        return FactorResetDone(reset: reset, activation: code)
    }

    func reset(_ record: AccountRecord, reason: String, by: AccountID?, byName: String) async throws -> FactorResetRecord {
        let now = clock()
        let reset: FactorResetRecord
        do { reset = try await store.resetFactors(record.id, id: factorID(), reason: reason, by: by, at: now) } catch StoreError.notFound {
            throw GuichetError.notFound
        }
        try await store.addNotice(account: record.id, kind: "second-factors-reset",
                                  detail: "your second factors were reset after an identity check and every session was ended: enrol a new one with the activation code you receive",
                                  at: now)
        for officer in try await store.accounts(roles: profile.roleNames { $0 == .security }) where profile.roles[officer.role]?.kind == .security && officer.status == "active" {
            try await store.addNotice(account: officer.id, kind: "second-factors-reset",
                                      detail: "the second factors of account \(record.username) were reset by \(byName)", at: now)
        }
        return reset
    }
}

extension ResetMessages {
    static func factorReset(_ code: String, username: String, expires: Date, from: MailAddress, to: MailAddress, language: String) -> MailMessage {
        let fr = """
        Bonjour,

        Les seconds facteurs du compte « \(username) » ont été réinitialisés par un administrateur,
        après vérification de votre identité, et toutes les sessions ont été fermées. Avant de lire
        quoi que ce soit, enregistrez un nouveau second facteur (application d'authentification ou
        clé d'accès). Voici votre code d'activation, à usage unique, valable jusqu'au \(stamp(expires, "fr")) (UTC) :

            \(code)

        Connectez-vous avec votre mot de passe, puis saisissez ce code en enregistrant votre second
        facteur. Si vous n'avez rien demandé, prévenez votre responsable sécurité. Nous ne vous
        demanderons jamais ce code par téléphone ou par courriel.
        """
        let en = """
        Hello,

        The second factors of the account "\(username)" were reset by an administrator, after a
        check of your identity, and every session was ended. Before you can read anything, enrol a
        new second factor (authenticator app or passkey). Here is your single-use activation code,
        valid until \(stamp(expires, "en")) (UTC):

            \(code)

        Sign in with your password, then enter this code when you enrol your second factor. If you
        asked for nothing, tell your security officer. We will never ask you for this code by phone
        or e-mail.
        """
        return MailMessage(from: from, to: to, subject: language == "en" ? "Guichet: activation code / code d'activation"
                                                                          : "Guichet : code d'activation / activation code",
                           text: both(language, fr: fr, en: en), language: language)
    }
}
