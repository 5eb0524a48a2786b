public import GuichetCore
import GuichetStore
@_spi(GateOnly) import GuichetPolicy
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetVault
public import GuichetAuth
import GuichetWatch
import Logging
public import Foundation

/// An opening as its agent sees it: what they may read, until when.
public struct BreakGlassOpening: Sendable, Equatable {
    public let id: String
    public let dossier: DossierID
    public let openedAt: Date
    public let expiresAt: Date
    /// The field paths a read shows during the opening.
    public let fields: [String]
}

/// An opening as the security officer reviews it (the justification opened).
public struct BreakGlassReview: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let dossier: DossierID
    public let justification: String
    public let openedAt: Date
    public let expiresAt: Date
    public let verdict: String?
    public let note: String?
}

/// Break-glass (C4): an agent whose role the profile names may open a dossier outside their
/// scope, only with a written justification and a second factor verified in the last five
/// minutes; the opening lasts the profile's duration, shows the profile's field mask, is
/// journalled (the ledger entry names the record; each read is journalled as
/// `break-glass:read`) and waits for a security officer's review. The justification is
/// sealed at rest and never logged.
extension Gate {
    /// Longest justification or review note accepted, in characters.
    public static let maxNoteLength = 2_000

    /// The justification of a break-glass opening, trimmed, when it says why in the profile's
    /// number of characters (a page checks it before a second factor's code is spent on it).
    /// - Throws: ``GuichetError/invalid(_:)`` naming the rule, never the text.
    public func checkBreakGlassJustification(_ raw: String) throws -> String {
        let minimum = profile.breakGlass?.minJustification ?? 0
        let justification = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard DisplayText.visibleCount(justification) >= minimum, justification.count <= Self.maxNoteLength,
              !DisplayText.holdsRefused(justification, newline: true) else {
            throw GuichetError.invalid("'justification' must say why, in \(minimum) to \(Self.maxNoteLength) characters, without control or text-direction characters")
        }
        return justification
    }

    /// Opens a dossier outside the caller's scope.
    /// - Throws: 403 when the role may not break the glass or the second factor is not fresh;
    ///   429 while the watch throttles the account; 400 for a short justification; 404 when
    ///   there is no such dossier (or its type may not be opened); 409 when the caller can
    ///   read it already.
    public func breakGlass(_ id: DossierID, justification raw: String, _ r: GateRequest) async throws -> BreakGlassOpening {
        try checkPurpose(r)
        let subject = r.principal.subject
        guard let spec = profile.breakGlass, spec.roles.contains(subject.role) else {
            try await refuse(.forbidden("your role may not open a dossier outside its scope"), reason: "break-glass-not-allowed",
                             action: .read, dossiers: [id], r)
        }
        let justification = try checkBreakGlassJustification(raw)
        let now = clock()
        guard r.principal.hasFreshSecondFactor(now: now) else {
            try await refuse(.forbidden("breaking the glass needs a second factor verified in the last 5 minutes: verify it again, then retry"),
                             reason: "break-glass-step-up", action: .read, dossiers: [id], r)
        }
        // A throttled account waits its throttle out before it opens anything more: a stolen
        // account slowed by the watch would otherwise open files outside its scope meanwhile.
        if let until = try await watch?.throttledUntil(subject.account, at: now) {
            let (reason, error) = Self.refusalError(.throttled(until: until), now: now)
            try await refuse(error, reason: reason, action: .read, dossiers: [id], r)
        }
        guard let record = try await store.dossier(id), policy.mayBreakGlass(subject, type: record.type) else {
            try await refuse(.notFound, reason: "not-found", action: .read, dossiers: [id], r)
        }
        if policy.decide(subject, .read, record.facts, purpose: r.purpose).grant != nil {
            throw GuichetError.conflict("you may read this dossier already (with this purpose): no break-glass is needed")
        }
        let since = now.addingTimeInterval(-86_400)
        if try await store.breakGlassCount(account: subject.account, since: since) >= spec.perDay {
            try await breakGlassCeilingCrossed(spec, id, r)
        }
        let recordID = Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) })
        guard let grant = policy.breakGlassRead(subject, record.facts, record: recordID).grant else {
            try await refuse(.notFound, reason: "explicit-deny", action: .read, dossiers: [id], r)
        }
        let opening = BreakGlassRecord(id: recordID, account: subject.account, dossier: id,
                                       justification: try sealing { try vault.sealNote(justification, context: "break-glass/\(recordID)") },
                                       openedAt: now, expiresAt: now.addingTimeInterval(TimeInterval(spec.minutes * 60)))
        // Journal first: no entry, no opening.
        do {
            try await journal.recordSystemEvent("break-glass-open", reason: "break-glass:\(recordID)", persons: [], dossiers: [id], context: context(r))
        } catch { throw GuichetError.unavailable("the opening could not be recorded, so it was not made") }
        guard try await store.insert(breakGlass: opening, limit: spec.perDay, since: since) else {
            try await breakGlassCeilingCrossed(spec, id, r)
        }
        for account in try await store.accounts(roles: profile.roleNames { $0 == .security }) where profile.roles[account.role]?.kind == .security && account.status == "active" {
            try await store.addNotice(account: account.id, kind: "break-glass-opened",
                                      detail: "a dossier was opened outside its agent's scope (break-glass \(recordID)): review it", at: now)
        }
        // A high alert in the security officers' queue (GET /admin/v1/watch/alerts).
        try await watch?.raise(subject.account, detector: "break-glass", severity: .high,
                               detail: "break-glass opening \(recordID) outside the account's scope: review it", at: now)
        logger.warning("security event", metadata: ["event": "break-glass-opened", "account": .string(subject.account.rawValue),
                                                     "rule": "break-glass", "request": .string(r.requestID)])
        return BreakGlassOpening(id: recordID, dossier: id, openedAt: now, expiresAt: opening.expiresAt, fields: grant.readable.sorted())
    }

    /// The account asked for more openings than the profile's `per-day`: refused, journalled,
    /// and the account suspended until a security officer reinstates it.
    func breakGlassCeilingCrossed(_ spec: BreakGlassSpec, _ id: DossierID, _ r: GateRequest) async throws -> Never {
        let account = r.principal.account
        if let watch {
            try await watch.suspend(account, detector: "break-glass-ceiling",
                                    detail: "more than \(spec.perDay) break-glass openings within 24 hours; suspended", at: clock())
        } else {
            try await store.suspend(account: account, id: Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255) }),
                                    reason: "more than \(spec.perDay) break-glass openings within 24 hours", at: clock())
        }
        logger.warning("security event", metadata: ["event": "suspension", "account": .string(account.rawValue),
                                                     "rule": "break-glass-ceiling", "request": .string(r.requestID)])
        try await refuse(.forbidden("more than \(spec.perDay) break-glass openings within 24 hours: this account is suspended pending a security review"),
                         reason: "break-glass-ceiling", action: .read, dossiers: [id], r)
    }

    /// The grant of a read that rests on an open break-glass record of the caller, if any.
    func breakGlassGrant(_ record: DossierRecord, _ r: GateRequest) async throws -> Grant? {
        let subject = r.principal.subject
        guard policy.mayBreakGlass(subject, type: record.type),
              let open = try await store.activeBreakGlass(account: subject.account, dossier: record.id, at: clock()) else { return nil }
        return policy.breakGlassRead(subject, record.facts, record: open.id).grant
    }

    /// Openings awaiting review, with their justifications (security officers only).
    public func pendingBreakGlass(_ reviewer: Principal) async throws -> [BreakGlassReview] {
        try Self.requireSecurityOfficer(reviewer, now: clock())
        return try await store.pendingBreakGlass().map { try review($0) }
    }

    /// Closes the review of an opening with a verdict (`justified` or `unjustified`) and a
    /// note; `unjustified` also ends the access at once and tells the agent. Journalled.
    /// - Throws: 400 for a bad verdict or note, 403 for a reviewer who is not a security
    ///   officer (or who opened it), 404 when no such opening awaits review.
    public func reviewBreakGlass(_ id: String, verdict: String, note raw: String, _ reviewer: Principal,
                                 requestID: String, source: String?) async throws -> BreakGlassReview {
        let now = clock()
        try Self.requireSecurityOfficer(reviewer, now: now)
        guard ["justified", "unjustified"].contains(verdict) else { throw GuichetError.invalid("'verdict' must be justified or unjustified") }
        let note = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...Self.maxNoteLength).contains(note.count), !DisplayText.holdsRefused(note, newline: true) else {
            throw GuichetError.invalid("'note' must have 1 to \(Self.maxNoteLength) characters, without control or text-direction characters")
        }
        guard id.count <= 64, let existing = try await store.breakGlass(id: id), existing.verdict == nil else { throw GuichetError.notFound }
        guard existing.account != reviewer.account else { throw GuichetError.forbidden("nobody reviews their own break-glass opening") }
        let sealed = try sealing { try vault.sealNote(note, context: "break-glass-review/\(id)") }
        let ctx = AccessContext(requestID: requestID, subject: reviewer.subject, session: reviewer.session, source: source, purpose: nil, at: now)
        do {
            try await journal.recordSystemEvent("break-glass-review", reason: "break-glass:\(id):\(verdict)", persons: [], dossiers: [existing.dossier], context: ctx)
        } catch { throw GuichetError.unavailable("the review could not be recorded, so it was not made") }
        let closed: BreakGlassRecord
        do { closed = try await store.review(breakGlass: id, verdict: verdict, by: reviewer.account, note: sealed, at: now) } catch StoreError.notFound {
            throw GuichetError.notFound
        }
        if verdict == "unjustified" {
            try await store.addNotice(account: closed.account, kind: "break-glass-unjustified",
                                      detail: "a security officer judged your break-glass opening \(id) unjustified; the access has ended", at: now)
        }
        return try review(closed)
    }

    func review(_ b: BreakGlassRecord) throws -> BreakGlassReview {
        let justification = try sealing { try vault.openNote(b.justification, context: "break-glass/\(b.id)") }
        let note = try b.reviewNote.map { n in try sealing { try vault.openNote(n, context: "break-glass-review/\(b.id)") } }
        return BreakGlassReview(id: b.id, account: b.account, dossier: b.dossier, justification: justification, openedAt: b.openedAt,
                                expiresAt: b.expiresAt, verdict: b.verdict, note: note)
    }

    static func requireSecurityOfficer(_ p: Principal, now: Date) throws {
        guard p.kind == .security else { throw GuichetError.forbidden("only a security officer reviews break-glass openings") }
        guard p.hasFreshSecondFactor(now: now) else {
            throw GuichetError.forbidden("this action needs a second factor verified in the last 5 minutes: verify it again, then retry")
        }
    }
}
