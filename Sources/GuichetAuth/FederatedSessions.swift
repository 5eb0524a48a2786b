public import GuichetCore
import GuichetStore
import Foundation

extension Authenticator {
    /// A session for an account whose owner an OpenID Connect provider vouched for (issue #21
    /// item 6). The link from the provider's subject to the account was made before, by an
    /// explicit and journalled step; here the account must be active, of the provider's
    /// population (citizens, or staff and partners of the public listener: never an
    /// administrator or security officer, who sign in on the admin listener), and the session
    /// is the same as a password's. For staff the second factor is still Guichet's own unless
    /// `secondFactorByProvider` (the provider's `acr` is one its settings trust).
    /// - Throws: ``GuichetError/forbidden(_:)`` when the account may not sign in this way.
    public func signInFederated(account id: AccountID, citizens: Bool, secondFactorByProvider: Bool) async throws -> IssuedSession {
        let now = clock()
        guard let account = try await store.account(id: id), account.status == "active", let role = profile.roles[account.role] else {
            throw GuichetError.forbidden("the account linked to this identity cannot sign in")
        }
        let fits = citizens ? role.kind == .citizen : (role.kind == .staff || role.kind == .partner)
        guard fits else { throw GuichetError.forbidden("this identity provider does not sign in accounts of this kind") }
        let token = Self.randomToken()
        let session = SessionID()
        let expires = now.addingTimeInterval(sessionLifetime)
        try await store.insertSession(id: session, tokenHash: Self.tokenHash(token), account: account.id, at: now, expiresAt: expires)
        try await store.revokeSessions(account: account.id, keeping: Self.maxSessions, at: now)
        var factorAt: Date?
        if secondFactorByProvider && (role.kind != .citizen || account.hasSecondFactor) {
            try await store.markSecondFactor(session: session, at: now)
            factorAt = now
        }
        return IssuedSession(token: token, principal: principal(account, role: role, session: session, secondFactorAt: factorAt), expiresAt: expires)
    }
}
