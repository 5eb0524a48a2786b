public import GuichetCore
public import GuichetStore
import Foundation

/// Leavers (issue 16, item 1): the account of someone who left is disabled for good, at once,
/// with every session; a later reinstatement cannot bring it back (the database refuses).
/// What became of a deactivation: made at once, or waiting for a second administrator.
public enum DepartureOutcome: Sendable, Equatable {
    case deactivated
    /// A privileged account (C17): a second administrator approves the request.
    case pending(DepartureRequest)
}

extension Authenticator {
    /// Records that an account's owner left. A staff or partner account (a leaver) is
    /// deactivated at once. A privileged account (administrator, account administrator,
    /// security officer: a role of the admin listener) deactivated by an administrator becomes
    /// a request that a second administrator approves (``approveDeparture(_:by:)``, C17): one
    /// administrator's account must not remove, for good, the oversight and the co-administrator
    /// that the two-person rule depends on. The server's own command line (`by` nil) deactivates
    /// at once: its operator holds the key file and the database anyway.
    /// - Parameter by: the administrator who did it (nil: the server's own command line).
    /// - Throws: ``GuichetError/invalid(_:)`` for a reason that is missing or too long, or a
    ///   citizen's account; ``GuichetError/forbidden(_:)`` for one's own account;
    ///   ``GuichetError/notFound``; ``GuichetError/conflict(_:)`` when the departure is already
    ///   recorded or asked for; ``GuichetError/forbidden(_:)`` when it would leave no active administrator or no active
    ///   security officer.
    @discardableResult
    public func deactivate(_ account: AccountID, reason: String, by: AccountID?) async throws -> DepartureOutcome {
        let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (3...200).contains(text.count), ReasonText.withoutPersonalDetail(text) != nil else {
            throw GuichetError.invalid("give the reason for deactivating (3 to 200 characters, no personal detail: no e-mail address, telephone or identity number)")
        }
        guard let record = try await store.account(id: account) else { throw GuichetError.notFound }
        guard let role = profile.roles[record.role], role.kind != .citizen else {
            throw GuichetError.invalid("citizens' accounts are not deactivated by an administrator")
        }
        guard account != by else { throw GuichetError.forbidden("you cannot deactivate your own account") }
        if try await store.departure(of: account) != nil { throw GuichetError.conflict("this account is already deactivated") }
        try await checkNotLast(record, kind: role.kind)
        if let by, role.kind.usesAdminListener {
            if try await store.pendingDepartureRequests().contains(where: { $0.account == account }) {
                throw GuichetError.conflict("the deactivation of this account already awaits a second administrator")
            }
            let now = clock()
            let r = DepartureRequest(id: Identifier<AccountTag>().rawValue, account: account, reason: text, requestedBy: by, requestedAt: now)
            try await store.insert(departureRequest: r)
            // Every administrator and security officer is told, so that a request nobody
            // expected is noticed (R1, R2); the account concerned too.
            for other in try await store.accounts(roles: profile.roleNames(\.usesAdminListener)) where profile.roles[other.role]?.kind.usesAdminListener == true && other.status == "active" {
                try await store.addNotice(account: other.id, kind: "privileged-deactivation-request",
                                          detail: "the deactivation of a '\(record.role)' account awaits a second administrator's approval", at: now)
            }
            return .pending(r)
        }
        do { try await store.recordDeparture(account, reason: text, by: by, at: clock()) } catch StoreError.duplicate {
            throw GuichetError.conflict("this account is already deactivated")
        } catch StoreError.notFound { throw GuichetError.notFound }
        try await store.addNotice(account: account, kind: "account-deactivated", detail: "this account was deactivated: its owner left", at: clock())
        return .deactivated
    }

    /// Deactivation requests waiting for a second administrator, oldest first.
    public func pendingDepartureRequests() async throws -> [DepartureRequest] {
        try await store.pendingDepartureRequests()
    }

    /// A second administrator approves the deactivation of a privileged account: checked again
    /// as things are now, then made (the database refuses an approval by the requester).
    /// - Throws: ``GuichetError/notFound``; ``GuichetError/forbidden(_:)`` for the requester or
    ///   the account concerned, or when it would leave no active administrator or no active
    ///   security officer; ``GuichetError/conflict(_:)`` when the account already left.
    public func approveDeparture(_ id: String, by approver: AccountID) async throws -> DepartureRequest {
        guard id.count <= 64, let pending = try await store.pendingDepartureRequests().first(where: { $0.id == id }) else { throw GuichetError.notFound }
        guard pending.requestedBy != approver else { throw GuichetError.forbidden("a second administrator must approve what you requested") }
        guard pending.account != approver else { throw GuichetError.forbidden("you cannot approve your own deactivation") }
        guard let record = try await store.account(id: pending.account), let role = profile.roles[record.role] else { throw GuichetError.notFound }
        if try await store.departure(of: pending.account) != nil { throw GuichetError.conflict("this account is already deactivated") }
        try await checkNotLast(record, kind: role.kind)
        let done: DepartureRequest
        do { done = try await store.approve(departureRequest: id, by: approver, at: clock()) } catch StoreError.duplicate {
            throw GuichetError.conflict("this account is already deactivated")
        } catch StoreError.notFound { throw GuichetError.notFound }
        try await store.addNotice(account: done.account, kind: "account-deactivated", detail: "this account was deactivated: its owner left", at: clock())
        return done
    }

    /// Refuses a deactivation that would leave no active administrator or no active security
    /// officer: nobody could then approve what needs two, or watch what is done.
    func checkNotLast(_ record: AccountRecord, kind: RoleKind) async throws {
        guard record.status == "active", kind == .admin || kind == .security else { return }
        let others = try await store.accounts(roles: profile.roleNames { $0 == kind }).filter { $0.id != record.id && $0.status == "active" && profile.roles[$0.role]?.kind == kind }
        guard others.isEmpty else { return }
        // 403, as the last administrator's refusal always was.
        throw GuichetError.forbidden(kind == .admin ? "this is the last active administrator: create another one first"
                                                    : "this is the last active security officer: create another one first")
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
