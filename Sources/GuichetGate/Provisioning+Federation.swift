import GuichetCore
import GuichetStore
import Foundation

extension Provisioning {
    /// Links an OpenID Connect subject of `issuer` to an existing account (issue #21 item 6):
    /// an explicit step, journalled before it is made (`provision:link-oidc`); the ledger names
    /// the account and the issuer, not the subject. Nobody is ever created by a sign-in.
    /// - Throws: ``GuichetError/notFound`` for an unknown user name; ``GuichetError/conflict(_:)``
    ///   when the subject is linked already; ``GuichetError/invalid(_:)`` for an empty subject.
    public func linkFederatedIdentity(username: String, issuer: String, subject: String, by: Provisioner) async throws {
        try admit(by)
        guard !subject.isEmpty, subject.utf8.count <= 255, !issuer.isEmpty else {
            throw GuichetError.invalid("give the issuer and the subject (1 to 255 bytes) the provider uses")
        }
        guard let account = try await store.account(username: username) else { throw GuichetError.notFound }
        if try await store.federatedAccount(issuer: issuer, subject: subject) != nil {
            throw GuichetError.conflict("this subject of \(issuer) is linked to an account already")
        }
        try await journal("link-oidc", "account \(account.id.rawValue) linked to a subject of \(issuer)", persons: account.person.map { [$0] } ?? [], by)
        do { try await store.linkFederatedIdentity(issuer: issuer, subject: subject, account: account.id, at: gate.clock()) } catch StoreError.duplicate {
            throw GuichetError.conflict("this subject of \(issuer) is linked to an account already")
        }
    }

    /// Ends a link (journalled after it is made: taking access away never waits for the ledger).
    /// - Returns: whether a link existed.
    public func unlinkFederatedIdentity(issuer: String, subject: String, by: Provisioner) async throws -> Bool {
        try admit(by)
        let was = try await store.federatedAccount(issuer: issuer, subject: subject)
        guard let was, try await store.unlinkFederatedIdentity(issuer: issuer, subject: subject, at: gate.clock()) else { return false }
        try await journal("unlink-oidc", "account \(was.rawValue) unlinked from a subject of \(issuer)", by)
        return true
    }
}
