public import GuichetCore
@_spi(GateOnly) public import GuichetPolicy
public import GuichetStore
public import GuichetAuth
@_spi(GateOnly) import GuichetLedger

extension Gate {
    /// Explains what the policy decides for an account, a dossier, an action and a purpose:
    /// every rule with whether it matched and why not, the decision and its fields. Uses the
    /// dossier's relations only (no personal field is opened); for security officers and
    /// administrators, with a fresh second factor; journalled as `policy-explain`.
    /// - Throws: 403 for other callers, 404 for an unknown account or dossier.
    public func explain(account: AccountID, dossier: DossierID, action: Action, purpose: String?, _ caller: Principal,
                        requestID: String, source: String?) async throws -> Explanation {
        guard caller.kind == .admin || caller.kind == .security else { throw GuichetError.forbidden("only administrators and security officers explain decisions") }
        guard caller.hasFreshSecondFactor(now: clock()) else {
            throw GuichetError.forbidden("this action needs a second factor verified in the last 5 minutes: verify it again, then retry")
        }
        if let purpose, !profile.purposes.contains(purpose) {
            throw GuichetError.invalid("unknown purpose (expected one of: \(profile.purposes.joined(separator: ", ")))")
        }
        guard let a = try await store.account(id: account), let d = try await store.dossier(dossier) else { throw GuichetError.notFound }
        let ctx = AccessContext(requestID: requestID, subject: caller.subject, session: caller.session, source: source, purpose: nil, at: clock())
        try await journal.recordSystemEvent("policy-explain", reason: "explain \(action) for account \(account)", persons: [], dossiers: [dossier], context: ctx)
        return policy.explain(Self.subject(of: a), action, d.facts, purpose: purpose)
    }

    /// What the policy knows of a stored account.
    public static func subject(of a: AccountRecord) -> Subject {
        Subject(account: a.id, role: a.role, organisation: a.organisation, person: a.person, territory: a.territory)
    }
}
