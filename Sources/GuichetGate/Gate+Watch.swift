public import GuichetCore
public import GuichetStore
@_spi(GateOnly) import GuichetPolicy
@_spi(GateOnly) public import GuichetLedger
import GuichetWatch
import GuichetAuth
@_spi(GateOnly) import GuichetVault
import Foundation
import Logging

/// The watch in the gate (DESIGN: policy, then the watch may veto, then the ledger, then the
/// vault). A candidate access reaches the watch after the policy allowed it and before the
/// ledger append: a veto reveals nothing, and is journalled as a refusal. Every refusal of
/// the gate reaches the watch too. Every response (alert, step-up, throttle, suspension) is
/// written to the ledger as a `watch:RESPONSE` entry naming the detectors.
extension Gate {
    /// The shape of the search under way (set by ``search(type:status:criteria:after:limit:_:)``
    /// for the watch; never a searched value).
    @TaskLocal static var searchShape: SearchShape?

    /// Searches dossiers the caller may see, by status and by searchable fields they may read.
    /// - Parameter criteria: field path → value (`child.lastName` → text).
    public func search(type: String, status: String?, criteria: [String: String], after: DossierID?, limit: Int,
                       _ r: GateRequest) async throws -> SearchPage {
        try await Gate.$searchShape.withValue(shape(criteria, after: after, type: type, status: status)) {
            try await searchDossiers(type: type, status: status, criteria: criteria, after: after, limit: limit, r)
        }
    }

    /// Whether the criteria name a person (a searchable identity text field), and the
    /// initials of that name; nothing else of the values leaves this function.
    func shape(_ criteria: [String: String], after: DossierID?, type: String, status: String?) -> SearchShape {
        var initials: Int?
        var byName = false
        for (path, value) in criteria.sorted(by: { $0.key < $1.key }) {
            guard let dot = path.firstIndex(of: "."), let spec = profile.personField(String(path[path.index(after: dot)...])),
                  spec.classification == .identity, case .text = spec.type else { continue }
            byName = true
            initials = initials ?? SearchShape.initials(of: value)
        }
        // A keyed fingerprint of the query: the blind index of each term (keyed already), so
        // the watch's state holds nothing a dictionary of names could reverse.
        var q = "\(type)\u{0}\(status ?? "")"
        for (path, value) in criteria.sorted(by: { $0.key < $1.key }) {
            let name = path.split(separator: ".").last.map(String.init) ?? path
            let term = (try? vault.blindIndex(field: name, term: value.lowercased())) ?? ""
            q += "\u{0}\(path)=\(term)"
        }
        return SearchShape(paged: after != nil, byName: byName, initials: initials, query: Self.fingerprint(q), byTerms: !criteria.isEmpty)
    }

    /// FNV-1a over already keyed material.
    static func fingerprint(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        return h
    }

    /// The justification of a watch alert, opened for the security officer (stored sealed, as
    /// it may name people); nil when none was given or it does not open with these keys.
    public func justification(of alert: WatchAlert) -> String? {
        guard let sealed = alert.justification.flatMap({ Data(base64Encoded: $0) }) else { return nil }
        return try? vault.openNote(sealed, context: Watch.noteContext(alert: alert.id))
    }

    func watchEvent(_ r: GateRequest, action: Action, allowed: Bool, dossiers: [DossierID], persons: [PersonID]) -> WatchEvent {
        let p = r.principal
        var e = WatchEvent(at: clock(), account: p.account, role: p.role, kind: p.kind, organisation: p.organisation, session: p.session,
                           source: r.source, action: action.description, allowed: allowed, dossiers: dossiers, persons: persons,
                           search: action == .search ? Gate.searchShape : nil, secondFactorAt: p.secondFactorAt)
        e.onConsoleWithKeyFile = p.onConsoleWithKeyFile
        e.justification = r.justification.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : String($0.prefix(500)) }
        return e
    }

    /// Before the ledger: the watch sees the accesses about to be journalled and may veto them.
    /// - Throws: the refusal the caller sees (nothing was revealed); 503 when the watch fails
    ///   (fail closed, like the ledger).
    /// - Parameter discloses: the accesses return their fields (a read, a search); only then
    ///   do their persons count against the ceilings and the volume detectors.
    func watchAccesses(_ accesses: [AllowedAccess], action: Action, discloses: Bool, listed: [DossierID: [PersonID]] = [:], _ r: GateRequest) async throws {
        guard let watch else { return }
        let persons = discloses ? exposedPersons(accesses) : []
        // A dossier merely listed in a search's summary is not opened: it counts (for the
        // honeytoken mark) when the search returns non-public fields of its persons.
        let dossiers = action == .search ? accesses.filter { a in a.persons.contains(where: persons.contains) }.map(\.dossier)
                                         : accesses.map(\.dossier)
        let assigned = Set(profile.rules.filter { $0.relation == .assigned }.map(\.id))
        let inCaseload = accesses.filter { $0.rules.contains(where: assigned.contains) }
        let caseload = Set(inCaseload.flatMap { $0.persons + (listed[$0.dossier] ?? []) })
        let a: Assessment
        var event = watchEvent(r, action: action, allowed: true, dossiers: dossiers, persons: persons)
        // A write: each dossier it changes counts against the role's ceiling of changes.
        event.writes = !discloses
        event.entries = max(1, accesses.count)
        var seen = Set<PersonID>()
        event.listed = accesses.flatMap { listed[$0.dossier] ?? [] }.filter { seen.insert($0).inserted }
        try await veto(watch, event, caseload: caseload, action: action, dossiers: dossiers, r,
                       unavailable: "the access could not be checked, so no data is returned")
    }

    /// The watch's verdict on an event before the ledger: recorded, and a refusal journalled
    /// (naming `dossiers`) and thrown. Fails closed.
    /// - Parameter wording: the refusal as the caller sees it, from the watch's and its usual error.
    func veto(_ watch: Watch, _ event: WatchEvent, caseload: Set<PersonID>, action: Action, dossiers: [DossierID], _ r: GateRequest, unavailable: String,
              wording: (WatchRefusal, GuichetError) -> GuichetError = { $1 }) async throws {
        let a: Assessment
        do { a = try await watch.assess(event, caseload: caseload) } catch {
            logger.error("the watch failed: request refused", metadata: ["request": .string(r.requestID)])
            throw GuichetError.unavailable(unavailable)
        }
        await record(a, r)
        guard let refusal = a.refusal else { return }
        let (reason, error) = Self.refusalError(refusal, now: clock())
        do { try await journal.recordDenied(reason, action: action, dossiers: dossiers, context: context(r)) } catch {
            logger.error("journal append failed for a refusal", metadata: ["request": .string(r.requestID)])
        }
        if r.principal.kind == .citizen, let own = Self.citizenRefusal(refusal) { throw own }
        throw wording(refusal, error)
    }

    /// Before an administrator's change to an account that cannot be undone (a departure): it
    /// counts against the role's ceiling of changes as a dossier changed does, so that a stolen
    /// administrator's account cannot lock every member of staff out for good. The same stages
    /// (a fresh second factor and `r.justification`, the grace, a throttle, a suspension).
    /// - Throws: the refusal (nothing changed); 503 when the watch fails (fail closed).
    public func watchAccountChange(_ account: AccountID, _ r: GateRequest) async throws {
        guard let watch else { return }
        // Counted by a fingerprint of its own ("account:" and the id), never taken for a dossier.
        var event = watchEvent(r, action: .update, allowed: true, dossiers: [DossierID(trusted: "account:" + account.rawValue)], persons: [])
        event.writes = true
        event.aboutAccounts = true
        try await veto(watch, event, caseload: [], action: .update, dossiers: [], r, unavailable: "the change could not be checked, so it was not made") { refusal, error in
            guard case .changes(let limit, let window) = refusal else { return error }
            return .forbidden("you have changed \(limit) dossiers or accounts \(WatchWindow.lately(window)), your role's ceiling: to go on, verify your second factor again (POST /admin/v1/session/totp) and say why in the Guichet-Justification header; the security officers are told")
        }
    }

    /// Before an administrator's or account administrator's approval that hands an account a
    /// ceiling of persons or more reach (an account created, a role, a caseload): it counts
    /// against the role's ceiling of approvals (``Ceiling/approvalsBurst``), each account
    /// approved once a window, so that two stolen administrators approving each other's
    /// requests make a few accounts, not any number. The same stages as the other ceilings.
    /// - Throws: the refusal (nothing approved); 503 when the watch fails (fail closed).
    public func watchApproval(of account: AccountID, _ r: GateRequest) async throws {
        try await watchApproval(key: "approved:" + account.rawValue, r)
    }

    /// Before a security officer's approval of an archive read: it opens an archived file to
    /// another account, so it counts against the approver's ceiling of approvals as an
    /// account's approval does, once for each account and dossier (an attacker's audit: a
    /// stolen officer approved 16 archive reads in a second, with no step-up and no alert).
    /// - Throws: the refusal (nothing approved); 503 when the watch fails (fail closed).
    func watchArchiveApproval(of account: AccountID, dossier: DossierID, _ r: GateRequest) async throws {
        try await watchApproval(key: "archive:" + account.rawValue + ":" + dossier.rawValue, r)
    }

    private func watchApproval(key: String, _ r: GateRequest) async throws {
        guard let watch else { return }
        var event = watchEvent(r, action: .update, allowed: true, dossiers: [DossierID(trusted: key)], persons: [])
        event.writes = true
        event.approves = true
        event.aboutAccounts = true
        try await veto(watch, event, caseload: [], action: .update, dossiers: [], r, unavailable: "the approval could not be checked, so it was not given") { refusal, error in
            guard case .approvals(let limit, let window) = refusal else { return error }
            return Self.approvalsRefusal(limit, window)
        }
    }

    static func approvalsRefusal(_ limit: Int, _ window: String) -> GuichetError {
        .forbidden("you have approved \(limit) accounts, roles, caseloads or archive reads \(WatchWindow.lately(window)), your role's ceiling: each opens files to an account. To go on, verify your second factor again (POST /admin/v1/session/totp) and say why in the Guichet-Justification header; the security officers are told")
    }

    /// Before a staff member's claim code is issued: whoever holds the code makes an account
    /// that reads the files the person is on, so every person of those files counts against
    /// the issuing account's ceiling of persons, as a read of them would. An account that owes
    /// a step-up issues no code for a family it has not received yet; one already received
    /// today costs nothing more (the claim codes' own limits bound those).
    /// - Throws: the refusal (no code issued); 503 when the watch fails (fail closed).
    func watchClaim(_ dossiers: [DossierRecord], _ r: GateRequest) async throws {
        guard let watch else { return }
        var seen = Set<PersonID>()
        let persons = dossiers.flatMap { $0.persons.map(\.person) }.filter { seen.insert($0).inserted }
        let ids = dossiers.map(\.id)
        let event = watchEvent(r, action: .update, allowed: true, dossiers: ids, persons: persons)
        try await veto(watch, event, caseload: [], action: .update, dossiers: ids, r,
                       unavailable: "the claim code could not be checked, so none was issued") { refusal, error in
            guard case .ceiling(let limit, let window) = refusal else { return error }
            return .forbidden("a claim code opens the files of everyone on them, and you have reached \(limit) persons \(WatchWindow.lately(window)), your role's ceiling: to go on, verify your second factor again (POST /v1/session/totp) and say why in the Guichet-Justification header; the security officers are told")
        }
    }

    /// Before breach letters are written: every person whose name and contact the letters may
    /// open counts against the officer's ceiling of persons at once, so that a batch past the
    /// ceiling is refused before the first person is opened (an insider audit: letters refused
    /// at the ceiling had journalled 50 persons as disclosed that the officer never received).
    /// The openings that follow cost nothing more. `persons` may hold more than will be opened
    /// (a parent in case a child has no contact): the count errs on the side of the ceiling.
    /// - Throws: the refusal (nothing opened); 503 when the watch fails (fail closed).
    public func watchLetters(_ persons: [PersonID], _ r: GateRequest) async throws {
        guard let watch, !persons.isEmpty else { return }
        let event = watchEvent(r, action: .read, allowed: true, dossiers: [], persons: persons)
        try await veto(watch, event, caseload: [], action: .read, dossiers: [], r,
                       unavailable: "the letters could not be checked, so none was written")
    }

    /// The persons whose non-public fields (identity, contact, national id, sensitive) the
    /// accesses return, each once: what the ceilings count.
    func exposedPersons(_ accesses: [AllowedAccess]) -> [PersonID] {
        var seen = Set<PersonID>()
        var out: [PersonID] = []
        for a in accesses {
            for p in a.persons where !seen.contains(p) {
                let paths = a.personFields?[p] ?? a.fields
                let personal = paths.contains { path in
                    guard let dot = path.firstIndex(of: ".") else { return false }
                    return profile.personField(String(path[path.index(after: dot)...]))?.classification != .public
                }
                if personal { seen.insert(p); out.append(p) }
            }
        }
        return out
    }

    /// After a refusal: the watch counts it (bursts of denials, probes of honeytokens).
    func watchRefusal(action: Action, dossiers: [DossierID], _ r: GateRequest) async {
        guard let watch else { return }
        do { await record(try await watch.assess(watchEvent(r, action: action, allowed: false, dossiers: dossiers, persons: [])), r) } catch {
            logger.error("the watch failed on a refusal", metadata: ["request": .string(r.requestID)])
        }
    }

    /// Writes the response to the ledger, and a security event to the server's log (account
    /// id, detectors, response, request id: never a personal value).
    func record(_ a: Assessment, _ r: GateRequest) async {
        guard let response = a.response else { return }
        let findings = a.findings.filter { !$0.repeated }
        let reason = (findings.isEmpty ? a.findings : findings).map { "\($0.detector) [\($0.severity.name)]: \($0.detail)" }.joined(separator: "; ")
        let notable = a.findings.contains { $0.severity >= .medium || $0.detector.hasPrefix("ceiling") || $0.detector == "honeytoken" }
        if response > .alert || notable {
            logger.warning("security event", metadata: [
                "event": .string(Self.eventName(response, a.findings)), "account": .string(r.principal.account.rawValue),
                "rule": .string(a.findings.map(\.detector).joined(separator: ",")), "response": .string(response.name),
                "request": .string(r.requestID),
            ])
        }
        do {
            try await journal.recordSystemEvent("watch:\(response.name)", reason: reason, persons: [], dossiers: [], context: context(r))
        } catch {
            logger.error("journal append failed for a watch response", metadata: ["request": .string(r.requestID)])
        }
    }

    /// The log's name for a security event: what was done, or what was touched.
    static func eventName(_ response: WatchResponse, _ findings: [Finding]) -> String {
        if findings.contains(where: { $0.detector == "honeytoken" }) { return "honeytoken-touch" }
        if response == .suspend { return "suspension" }
        if response == .throttle { return "throttle" }
        if findings.contains(where: { $0.detector == "ceiling" }) { return "ceiling-reached" }
        if response == .stepUp { return "step-up-demanded" }
        return "alert"
    }

    /// A citizen's account has no second factor to verify again, most often: told to, a
    /// citizen stopped by the ceiling could do nothing (a citizen's audit). The limit and what
    /// to do instead.
    static func citizenRefusal(_ refusal: WatchRefusal) -> GuichetError? {
        switch refusal {
        case .changes(let limit, let window):
            return .forbidden("you have changed \(limit) files \(WatchWindow.lately(window)), the most an account of a person may: try again later (tomorrow at the latest), or contact the service that holds your file")
        case .ceiling(let limit, let window):
            return .forbidden("you have opened the files of \(limit) persons \(WatchWindow.lately(window)), the most an account of a person may: try again later (tomorrow at the latest), or contact the service that holds your file")
        default:
            return nil
        }
    }

    static func refusalError(_ refusal: WatchRefusal, now: Date) -> (String, GuichetError) {
        switch refusal {
        case .ceiling(let limit, let window):
            return ("watch:ceiling", .forbidden("you have received the fields of \(limit) persons \(WatchWindow.lately(window)), your role's ceiling: to go on, verify your second factor again (POST /v1/session/totp) and say why in the Guichet-Justification header; the security officers are told"))
        case .changes(let limit, let window):
            return ("watch:ceiling", .forbidden("you have changed \(limit) dossiers \(WatchWindow.lately(window)), your role's ceiling: to go on, verify your second factor again (POST /v1/session/totp) and say why in the Guichet-Justification header; the security officers are told"))
        case .approvals(let limit, let window):
            return ("watch:ceiling", approvalsRefusal(limit, window))
        case .suspended:
            return ("watch:suspended", .forbidden("this account is suspended pending a security review; contact your security officer"))
        case .throttled(let until):
            return ("watch:throttled", .slowed(retryAfterSeconds: max(1, Int(until.timeIntervalSince(now).rounded(.up)))))
        case .stepUp:
            return ("watch:step-up", .forbidden("unusual activity: verify your second factor again (POST /v1/session/totp), then retry; until then requests are refused, and a few refused requests suspend the account"))
        case .justification:
            return ("watch:justification", .forbidden("this search reaches a watched person outside your caseload: state why in the Guichet-Justification header, then retry"))
        }
    }

    // MARK: security officer

    /// Lifts a watch suspension with a written reason. The reason is kept sealed in the
    /// suspension record (it may name people); the ledger, which is never erased, says only
    /// that the account was reinstated and by whom.
    public func reinstate(_ account: AccountID, reason: String, by officer: GateRequest) async throws -> Suspension {
        guard let watch else { throw GuichetError.notFound }
        if try await store.departure(of: account) != nil { throw GuichetError.conflict("this account's owner left: it stays deactivated") }
        let text = try Self.officerReason(reason, suspending: false)
        // An account reinstated in the last week: another officer reinstates it again where
        // there is one, its ceilings keep what they counted, and the officers are alerted.
        let now = clock(), me = officer.principal.account
        let earlier = try await store.suspensions(openOnly: false)
            .filter { $0.account == account && ($0.reinstatedAt.map { now.timeIntervalSince($0) < Self.reinstatedRecently } ?? false) }
        if earlier.contains(where: { $0.reinstatedBy == me }), try await !mayAcknowledgeOwnAlerts(me) {
            throw GuichetError.forbidden("you reinstated this account in the last seven days: another security officer reinstates it again")
        }
        let s = try await watch.reinstate(account, by: me, reason: try sealedNote(text, Self.reinstateContext(account)), at: now,
                                          restartCeilings: earlier.isEmpty)
        if !earlier.isEmpty {
            try await watch.raise(account, detector: "reinstated-again", severity: .high,
                                  detail: "reinstated \(earlier.count + 1) times in seven days; its ceilings kept what they had counted", at: now)
        }
        try await journal.recordSystemEvent("watch:reinstate", reason: "account \(account.rawValue) reinstated; the reason is in the suspension record",
                                            persons: [], dossiers: [], context: context(officer))
        return s
    }

    /// Suspends an account at a security officer's decision (an incident audit: an account
    /// reinstated too early could not be taken back by the officers): disabled, its sessions
    /// revoked, until an officer reinstates it; journalled, the reason kept sealed with its
    /// alert. Staff, partner, account-administrator and citizen accounts only: an administrator
    /// or a security officer is deactivated by the administrators (a stolen officer's account
    /// must not lock the others out).
    public func suspendAccount(_ account: AccountID, sealing reason: String, by officer: GateRequest) async throws {
        guard let watch else { throw GuichetError.unavailable("detection is not enabled on this deployment") }
        guard officer.principal.kind == .security else { throw GuichetError.forbidden("only a security officer suspends an account") }
        let text = try Self.officerReason(reason, suspending: true)
        guard account != officer.principal.account else { throw GuichetError.forbidden("you cannot suspend your own account") }
        guard let target = try await store.account(id: account) else { throw GuichetError.notFound }
        if let kind = profile.roles[target.role]?.kind, kind == .admin || kind == .security {
            throw GuichetError.forbidden("an administrator's or a security officer's account is deactivated by the administrators, not suspended")
        }
        if try await store.suspensions(openOnly: true).contains(where: { $0.account == account }) {
            throw GuichetError.conflict("this account is already suspended")
        }
        guard target.status == "active" else { throw GuichetError.conflict("this account is not active") }
        try await journal.recordSystemEvent("watch:officer-suspend", reason: "account \(account.rawValue) suspended by a security officer; the reason is kept sealed with its alert",
                                            persons: [], dossiers: [], context: context(officer))
        try await watch.suspendByOfficer(account, officer: officer.principal.account, sealing: text, at: clock())
    }

    /// A security officer's reason for reinstating or suspending an account, trimmed: 10 to
    /// 2,000 characters, none that would reorder or hide text on the pages that show it.
    static func officerReason(_ raw: String, suspending: Bool) throws -> String {
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard DisplayText.visibleCount(text) >= 10, text.count <= 2_000 else {
            throw GuichetError.invalid(suspending ? "write the reason for suspending (10 to 2000 characters)" : "write the reason for reinstating (10 to 2000 characters)")
        }
        guard !DisplayText.holdsRefused(text, newline: true) else {
            throw GuichetError.invalid("the text may not hold control or text-direction characters")
        }
        return text
    }

    /// The most distinct persons an account may open before its ceiling stops it for good
    /// (the smallest of its burst, hour and session windows, plus the grace a justified crossing
    /// gives); nil on the console, whose operator holds the key file and meets no ceiling.
    public func mostPersonsAtOnce(_ request: GateRequest) async -> Int? {
        let principal = request.principal
        guard !principal.onConsoleWithKeyFile else { return nil }
        let c = await watch?.settings.ceilings[principal.role] ?? profile.roles[principal.role]?.ceiling ?? .defaults(for: principal.kind)
        return min(c.burst, c.hour, c.session) + c.grace
    }

    /// Flags (reason given) or unflags (nil) a person as watched (journalled). The reason is
    /// kept sealed (it says something about the person); the ledger says only that the person
    /// was flagged or unflagged, and by whom.
    public func setWatched(_ person: PersonID, reason: String?, by officer: GateRequest) async throws {
        guard let watch else { throw GuichetError.unavailable("detection is not enabled on this deployment") }
        var sealed: String?
        if let reason {
            let text = reason.trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.count >= 3, text.count <= 500 else { throw GuichetError.invalid("give the reason for watching this person (3 to 500 characters)") }
            sealed = try sealedNote(text, Self.watchedContext(person))
        }
        try await watch.setWatched(person, reason: sealed, by: officer.principal.account, at: clock())
        try await journal.recordSystemEvent(reason == nil ? "watch:unflag" : "watch:flag",
                                            reason: reason == nil ? "watch removed" : "watched person flagged; the reason is kept sealed",
                                            persons: [person], dossiers: [], context: context(officer))
        // A removal is told to the security officers, on the account that made it: a stolen
        // administrator's account unwatched a person silently, then an accomplice searched the
        // file without a question (an insider audit).
        if reason == nil {
            try await watch.raise(officer.principal.account, detector: "watch-removed", severity: .medium,
                                  detail: "this account removed the watch on a person; its accesses are no longer alerted", at: clock())
        }
    }

    /// A security officer acknowledges an alert, with an optional note kept sealed.
    ///
    /// An alert about the officer's own account (an erasure they made, a ceiling they met) is
    /// acknowledged by another security officer, so that a stolen officer's account cannot
    /// clear the queue of what it did; a deployment with one active officer lets them.
    public func acknowledge(alert id: String, note: String?, by officer: GateRequest) async throws -> WatchAlert {
        if let note, note.count > 2_000 { throw GuichetError.invalid("a note has at most 2000 characters") }
        let me = officer.principal.account
        if try await store.alerts(openOnly: true, account: me, limit: 100_000).contains(where: { $0.id == id }),
           try await !mayAcknowledgeOwnAlerts(me) {
            throw GuichetError.forbidden("this alert is about your own account: another security officer acknowledges it")
        }
        let sealed = try note.map { try sealedNote($0, Self.alertNoteContext(id)) }
        do {
            return try await store.acknowledge(alert: id, by: officer.principal.account, note: sealed, at: clock())
        } catch StoreError.notFound { throw GuichetError.notFound }
    }

    /// Whether a security officer acknowledges the alerts about their own account: only when no
    /// other security officer is active (``acknowledge(alert:note:by:)``).
    public func mayAcknowledgeOwnAlerts(_ officer: AccountID) async throws -> Bool {
        let officers = try await store.accounts(roles: profile.roles.values.filter { $0.kind == .security }.map(\.name))
        return !officers.contains { $0.id != officer && $0.status == "active" }
    }

    // MARK: sealed notes of the security officer's records

    static func reinstateContext(_ account: AccountID) -> String { "watch-reinstate:\(account.rawValue)" }
    /// How long a reinstatement counts as recent: a second one within it restarts no ceiling.
    static let reinstatedRecently: TimeInterval = 7 * 86_400
    static func watchedContext(_ person: PersonID) -> String { "watched-person:\(person.rawValue)" }
    static func alertNoteContext(_ id: String) -> String { "watch-alert-note:\(id)" }

    /// Free text of a security officer's record, sealed under the vault's note key and bound
    /// to the record it belongs to.
    /// - Throws: 400 for a control or text-direction character (a line break is allowed).
    func sealedNote(_ text: String, _ context: String) throws -> String {
        guard !DisplayText.holdsRefused(text, newline: true) else {
            throw GuichetError.invalid("the text may not hold control or text-direction characters")
        }
        return try vault.sealNote(text, context: context).base64EncodedString()
    }

    /// Opens a sealed note; text stored before notes were sealed is returned as it was.
    func openedNote(_ stored: String?, _ context: String) -> String? {
        guard let stored else { return nil }
        if let data = Data(base64Encoded: stored), let text = try? vault.openNote(data, context: context) { return text }
        return stored
    }

    /// The reinstatement reason of a suspension, opened for the security officer.
    public func reinstateReason(of s: Suspension) -> String? { openedNote(s.reinstateReason, Self.reinstateContext(s.account)) }
    /// Why a person is watched, opened for the security officer.
    public func watchReason(of w: WatchedPerson) -> String? { openedNote(w.reason, Self.watchedContext(w.person)) }
    /// A security officer's note on an alert, opened.
    public func note(of alert: WatchAlert) -> String? { openedNote(alert.note, Self.alertNoteContext(alert.id)) }
}

extension Gate {
    /// Whether a dossier is a planted honeytoken: what a list of ids for the console leaves out
    /// (a decoy put in a caseload would be opened by its adviser's normal work).
    public func decoyDossiers() async throws -> @Sendable (DossierID) -> Bool {
        if let watch { return try await watch.decoyDossiers() }
        let tags = Set(try await store.honeytokenTags())
        guard !tags.isEmpty else { return { _ in false } }
        let key = try vault.honeytokenKey()
        return { tags.contains(Honeytoken.tag($0.rawValue, kind: "dossier", key: key)) }
    }

    /// A breach scope with the registry's honeytoken records set apart (they are planted:
    /// nobody to notify, and not persons concerned). Honeytokens are known only by keyed tags.
    public func separatingDecoys(_ scope: BreachScope) async throws -> BreachScope {
        let tags = Set(try await store.honeytokenTags())
        guard !tags.isEmpty else { return scope }
        let key = try vault.honeytokenKey()
        return scope.separatingDecoys(persons: { tags.contains(Honeytoken.tag($0.rawValue, kind: "person", key: key)) },
                                      dossiers: { tags.contains(Honeytoken.tag($0.rawValue, kind: "dossier", key: key)) })
    }
}
