public import GuichetCore
public import GuichetAuth
import GuichetStore
import GuichetWatch
public import Foundation

extension Provisioning {
    /// Resets an account's second factors after its owner's identity was checked (a lost phone,
    /// an account taken over): see ``Authenticator/resetFactors(of:reason:delivery:by:)``. The
    /// step is checked, journalled (`provision:factor-reset`, naming the account and, for a
    /// citizen, its person, so that it shows in their history; the reason is kept with the reset,
    /// not in the ledger), then made; the security officers see it in their queue.
    /// From the console the activation code is to be handed over, shown once to the operator.
    /// A reset locks the owner out until they enrol again, so an administrator's counts against
    /// its role's ceiling of changes, as a departure does (``Gate/watchAccountChange(_:_:)``).
    /// - Throws: as ``Authenticator/resetFactors(of:reason:delivery:by:)``;
    ///   ``GuichetError/unavailable(_:)`` when the ledger cannot be written (nothing is reset);
    ///   the watch's refusal past the ceiling (nothing is reset).
    public func resetFactors(of account: AccountID, reason: String, delivery: FactorResetDelivery = .usual, by: Provisioner,
                             justification: String? = nil) async throws -> FactorResetDone {
        try admit(by)
        let admin: Principal? = if case .administrator(let p, _, _) = by { p } else { nil }
        let record = try await auth.checkFactorReset(of: account, reason: reason, by: admin)
        try await countAccountChange(account, by: by, justification: justification)
        try await journal("factor-reset", "second factors of account \(account) reset after an identity check",
                          persons: record.person.map { [$0] } ?? [], by)
        let done = if let admin {
            try await auth.resetFactors(of: account, reason: reason, delivery: delivery, by: admin)
        } else {
            try await auth.consoleResetFactors(of: account, reason: reason)
        }
        try await gate.watch?.raise(account, detector: "second-factors-reset", severity: .info,
                                    detail: "the account's second factors were reset after an identity check", at: gate.clock())
        return done
    }
}

extension Provisioning {
    /// A forgotten password on a deployment without a mail relay, or an owner without an
    /// address: after the operator checked who the owner is, a one-hour reset code to hand over
    /// (``Authenticator/consoleReset(username:)``). Journalled first (`account:password-reset`,
    /// naming the account, never the code): a code is never made unrecorded.
    /// - Throws: ``GuichetError/forbidden(_:)`` for anyone but the console (an administrator
    ///   starts a reset by e-mail, `POST /admin/v1/accounts/{id}/password-reset`);
    ///   ``GuichetError/invalid(_:)`` when no account has this name;
    ///   ``GuichetError/conflict(_:)`` when the account is not active;
    ///   ``GuichetError/unavailable(_:)`` when the ledger cannot be written (no code is made).
    public func consolePasswordReset(username: String, by: Provisioner) async throws -> (code: String, expiresAt: Date) {
        guard case .consoleTrustingTheKeyFile = by else {
            throw GuichetError.forbidden("a reset code to hand over is made on the server's console only; an administrator starts a reset by e-mail")
        }
        let account = try await accountID(username: username)
        try await journal("account:password-reset", "a password reset code for account \(account.rawValue) was made on the console", prefixed: false, by)
        guard let made = try await auth.consoleReset(username: username) else { throw GuichetError.invalid("no account has this user name") }
        return made
    }
}
