public import GuichetCore
public import GuichetAuth
import GuichetStore
import GuichetWatch
import Foundation

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
