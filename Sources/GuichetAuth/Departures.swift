public import GuichetCore
public import GuichetStore
import Foundation

/// Leavers (issue 16, item 1): the account of someone who left is disabled for good, at once,
/// with every session; a later reinstatement cannot bring it back (the database refuses).
extension Authenticator {
    /// Records that an account's owner left.
    /// - Parameter by: the administrator who did it (nil: the server's own command line).
    /// - Throws: ``GuichetError/invalid(_:)`` for a reason that is missing or too long, or a
    ///   citizen's account; ``GuichetError/forbidden(_:)`` for one's own account or the last
    ///   active administrator; ``GuichetError/notFound``; ``GuichetError/conflict(_:)`` when
    ///   the departure is already recorded.
    public func deactivate(_ account: AccountID, reason: String, by: AccountID?) async throws {
        let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (3...200).contains(text.count) else { throw GuichetError.invalid("give the reason for deactivating (3 to 200 characters, no personal detail)") }
        guard let record = try await store.account(id: account) else { throw GuichetError.notFound }
        guard let role = profile.roles[record.role], role.kind != .citizen else {
            throw GuichetError.invalid("citizens' accounts are not deactivated by an administrator")
        }
        guard account != by else { throw GuichetError.forbidden("you cannot deactivate your own account") }
        if role.kind == .admin {
            let others = try await store.accounts().filter { $0.id != account && $0.status == "active" && profile.roles[$0.role]?.kind == .admin }
            guard !others.isEmpty else { throw GuichetError.forbidden("this is the last active administrator: create another one first") }
        }
        do { try await store.recordDeparture(account, reason: text, by: by, at: clock()) } catch StoreError.duplicate {
            throw GuichetError.conflict("this account is already deactivated")
        } catch StoreError.notFound { throw GuichetError.notFound }
        try await store.addNotice(account: account, kind: "account-deactivated", detail: "this account was deactivated: its owner left", at: clock())
    }

    /// Whether an account may be handed a caseload: a staff or partner account whose owner has
    /// not left.
    /// - Throws: ``GuichetError/notFound``; ``GuichetError/invalid(_:)`` otherwise.
    public func caseloadHolder(_ account: AccountID) async throws -> AccountRecord {
        guard let record = try await store.account(id: account) else { throw GuichetError.notFound }
        guard let kind = profile.roles[record.role]?.kind, kind == .staff || kind == .partner else {
            throw GuichetError.invalid("only staff and partner accounts have a caseload")
        }
        if try await store.departure(of: account) != nil { throw GuichetError.invalid("this account's owner left: choose another account") }
        return record
    }
}
