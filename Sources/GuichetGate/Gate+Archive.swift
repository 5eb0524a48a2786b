public import GuichetCore
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetPolicy
import GuichetStore
public import GuichetAuth
public import Foundation
import GuichetVault
import Logging

/// A request to read an archived dossier, as its requester and its approver see it.
public struct ArchiveReadRequest: Sendable, Equatable {
    public let id: String
    public let dossier: DossierID
    public let account: AccountID
    public let purpose: String
    public let reference: String
    public let approved: Bool
    public let expiresAt: Date?

    init(_ r: ArchiveRequestRecord) {
        id = r.id; dossier = r.dossier; account = r.account; purpose = r.purpose; reference = r.reference
        approved = r.approvedBy != nil; expiresAt = r.expiresAt
    }
}

/// Archived dossiers (C13): the retention run archives them; after that, nobody reads one
/// unless an account of a role the profile's `retention.archive` names asked for it with a
/// purpose the profile allows there, another account of an approving role approved, and the
/// approval has not expired. The policy must still allow the read. Erased dossiers are not
/// found at all.
extension Gate {
    /// The reasons a dossier's lifecycle refuses an access that the policy allowed (nil: none).
    /// - Parameter action: an approved archive read opens the file to be read, never to be
    ///   changed (an attacker test: a write with the approved purpose passed this check).
    func lifecycleRefusal(_ record: DossierRecord, _ r: GateRequest, action: Action = .read) async throws -> (GuichetError, String)? {
        guard let mark = record.lifecycle else { return nil }
        if mark.erasedAt != nil { return (.notFound, "erased") }
        guard mark.archivedAt != nil else { return nil }
        if action == .read, let purpose = r.purpose, profile.retention.archive?.purposes.contains(purpose) == true,
           try await store.archiveReadApproved(account: r.principal.account, dossier: record.id, purpose: purpose, at: clock()) {
            // Under the archive KEK: a server without it cannot open the dossier, and says so
            // before anything is journalled (as when the key file is gone).
            if record.key?.kekVersion == Vault.archiveVersion, !vault.hasArchiveKey {
                logger.error("an approved archive read needs the archive key, which this key file does not hold", metadata: ["request": .string(r.requestID)])
                throw GuichetError.unavailable("this dossier is archived under the archive key, which this server does not hold")
            }
            return nil
        }
        return (.forbidden("this dossier is archived: ask for an archive read (POST /v1/dossiers/{id}/archive-reads), which a second person approves"),
                "archived")
    }

    /// Asks to read an archived dossier for the request's purpose.
    /// - Parameter reference: the case or correspondence reference that the approver checks
    ///   (letters, digits, `-`, `/`, `.`; 3 to 64 characters; never a personal value).
    /// - Throws: 403 when the role or the purpose may not read archives; 404 when the dossier
    ///   is not archived or the policy would not let the caller read it; 400 for a bad reference.
    public func requestArchiveRead(_ id: DossierID, reference: String, _ r: GateRequest) async throws -> ArchiveReadRequest {
        try checkPurpose(r)
        guard let spec = profile.retention.archive, spec.roles.contains(r.principal.role) else {
            try await refuse(.forbidden("your role may not read archived dossiers"), reason: "archive-not-allowed", action: .read, dossiers: [id], r)
        }
        guard let purpose = r.purpose, spec.purposes.contains(purpose) else {
            throw GuichetError.forbidden("an archive read needs one of these purposes: \(spec.purposes.sorted().joined(separator: ", "))")
        }
        try Self.checkReference(reference)
        try checkReferenceHoldsNoIdentifier(reference)
        let mark = try await store.lifecycle(id)
        guard let record = try await store.dossier(id), mark?.archivedAt != nil, mark?.erasedAt == nil,
              policy.decide(r.principal.subject, .read, record.facts, purpose: purpose).grant != nil else {
            try await refuse(.notFound, reason: "not-found", action: .read, dossiers: [id], r)
        }
        let requestID = UUID().uuidString.lowercased()
        do {
            try await journal.recordSystemEvent("archive-read:request", reason: "archive read \(requestID) asked", persons: [], dossiers: [id], context: context(r))
        } catch { throw GuichetError.unavailable("the request could not be recorded") }
        try await store.insertArchiveRequest(id: requestID, dossier: id, account: r.principal.account, purpose: purpose, reference: reference, at: clock())
        return ArchiveReadRequest(try await store.archiveRequest(requestID)!)  // inserted just above
    }

    /// Archive read requests waiting for a second person (approvers only).
    public func pendingArchiveReads(_ approver: Principal) async throws -> [ArchiveReadRequest] {
        guard profile.retention.archive?.approvers.contains(approver.role) == true else {
            throw GuichetError.forbidden("your role may not approve archive reads")
        }
        try Self.requireSecondFactor(approver)
        return try await store.pendingArchiveRequests().map(ArchiveReadRequest.init)
    }

    /// Approves another account's archive read request; the read is then allowed for the
    /// profile's `minutes`.
    /// The approval counts against the approver's ceiling of approvals
    /// (``watchArchiveApproval(of:dossier:_:)``): past it, a fresh second factor and
    /// `justification` (at least 10 characters), then the grace, a throttle, a suspension.
    /// - Throws: 403 for a role that may not approve, for the requester themselves, or past
    ///   the ceiling of approvals (the request stays pending); 404 when there is no such
    ///   pending request.
    public func approveArchiveRead(_ id: String, _ approver: Principal, requestID: String, source: String? = nil,
                                   justification: String? = nil) async throws -> ArchiveReadRequest {
        guard let spec = profile.retention.archive, spec.approvers.contains(approver.role) else {
            throw GuichetError.forbidden("your role may not approve archive reads")
        }
        // The approval opens an archived file to someone else: a password alone must not give it
        // (an attacker test approved with a session that had verified no second factor).
        try Self.requireSecondFactor(approver)
        guard let existing = try await store.archiveRequest(id), existing.approvedBy == nil else { throw GuichetError.notFound }
        guard existing.account != approver.account else {
            throw GuichetError.forbidden("a second person approves an archive read, not the one who asked")
        }
        var request = GateRequest(principal: approver, requestID: requestID, source: source, purpose: nil)
        request.justification = justification
        try await watchArchiveApproval(of: existing.account, dossier: existing.dossier, request)
        let now = clock()
        let ctx = AccessContext(requestID: requestID, subject: approver.subject, session: approver.session, source: source, purpose: existing.purpose, at: now)
        do {
            try await journal.recordSystemEvent("archive-read:approve", reason: "archive read \(id) approved", persons: [], dossiers: [existing.dossier], context: ctx)
        } catch { throw GuichetError.unavailable("the approval could not be recorded") }
        guard try await store.approveArchiveRequest(id, by: approver.account, at: now, expires: now.addingTimeInterval(Double(spec.minutes) * 60)) else {
            throw GuichetError.notFound
        }
        return ArchiveReadRequest(try await store.archiveRequest(id)!)  // exists: just approved
    }

    /// Refuses a session that has not verified a second factor (C3), as the gate's reads do.
    public static func requireSecondFactor(_ p: Principal) throws {
        guard p.mayReachPersonalData else {
            throw GuichetError.forbidden("verify your second factor first (POST /admin/v1/session/totp, or a passkey)")
        }
    }
}
