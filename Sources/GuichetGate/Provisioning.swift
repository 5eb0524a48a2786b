public import GuichetCore
public import GuichetAuth
public import GuichetStore
@_spi(GateOnly) import GuichetLedger
import GuichetWatch
import Foundation
import Synchronization

/// Who provisions a registry.
public enum Provisioner: Sendable {
    /// An administrator on the admin listener; every step needs a fresh second factor, and
    /// what grants privilege waits for a second administrator (C17).
    case administrator(Principal, requestID: String, source: String?)
    /// The operator at the server's own command line. It holds the key file and the database,
    /// which open everything anyway (as `guichet init` does, it makes accounts active at once);
    /// what it does is journalled without an actor. Only the `guichet` command may say this
    /// (`Architecture/ConsoleProvisionerTests.swift`): a server path that did would skip the
    /// two-person rule.
    case consoleTrustingTheKeyFile(requestID: String)

    var account: AccountID? { if case .administrator(let p, _, _) = self { p.account } else { nil } }
}

/// A staff, partner or admin account to create.
public struct NewAccount: Sendable {
    public let username: String
    public let password: String
    public let role: String
    public let organisation: OrganisationID?
    public let territory: String?
    public let email: String?
    public init(username: String, password: String, role: String, organisation: OrganisationID?, territory: String?, email: String?) {
        self.username = username; self.password = password; self.role = role
        self.organisation = organisation; self.territory = territory; self.email = email
    }
}

/// An account just made, with how its activation code went out.
public struct CreatedAccount: Sendable {
    public let id: AccountID
    /// "pending" (a second administrator must approve) or "active".
    public let status: String
    public let activation: ActivationIssued?
    /// Why no activation code went out (the relay refused it); issue one again later.
    public let activationProblem: String?
}

/// What became of a caseload step: made at once (the console), or waiting for a second administrator.
public enum CaseloadChange: Sendable, Equatable {
    /// The dossiers assigned or moved.
    case made([DossierID])
    case pending(CaseloadRequest)
}

/// Filling a registry from an empty start (issue 16, item 1): territories, organisations of
/// the profile's kinds, staff and partner accounts with their activation codes, caseloads and
/// their transfer, leavers. Every step is journalled in the access ledger. A step that grants
/// something is checked, journalled, then made: without its entry it is not made. A step that
/// takes something away (a departure) is made first, then journalled: a ledger that cannot be
/// written never leaves a leaver's account open.
public struct Provisioning: Sendable {
    let gate: Gate
    let auth: Authenticator

    public init(gate: Gate, auth: Authenticator) { self.gate = gate; self.auth = auth }

    var store: any GateStorage { gate.store }
    var profile: Profile { gate.profile }

    /// Refuses anyone but an administrator with a fresh second factor (the console passes).
    /// - Parameter accountAdministrators: whether the step is one an account administrator may
    ///   take too (asking for an account, approving one), within ``checkScope(_:role:organisation:)``.
    func admit(_ by: Provisioner, accountAdministrators: Bool = false) throws {
        guard case .administrator(let p, _, _) = by else { return }
        guard p.kind == .admin || (accountAdministrators && p.kind == .accountAdmin) else {
            throw GuichetError.forbidden("this needs an administrator account")
        }
        try auth.requireStepUp(p)
    }

    /// Journals a step as `provision:NAME` (or `NAME` as it is, when `prefixed` is false); fails closed.
    func journal(_ name: String, _ reason: String, dossiers: [DossierID] = [], persons: [PersonID] = [], prefixed: Bool = true,
                 _ by: Provisioner) async throws {
        let context: AccessContext
        switch by {
        case .administrator(let p, let requestID, let source):
            context = AccessContext(requestID: requestID, subject: p.subject, session: p.session, source: source, purpose: nil, at: gate.clock())
        case .consoleTrustingTheKeyFile(let requestID):
            context = AccessContext(requestID: requestID, subject: nil, session: nil, source: nil, purpose: nil, at: gate.clock())
        }
        do {
            try await gate.journal.recordSystemEvent(prefixed ? "provision:" + name : name, reason: reason, persons: persons, dossiers: dossiers, context: context)
        } catch {
            throw GuichetError.unavailable("the step could not be recorded in the ledger, so it was not made")
        }
    }

    // MARK: territories and organisations

    /// Adds a territory (a code such as `06` or `75-nord`, and a name).
    /// - Throws: ``GuichetError/invalid(_:)`` for a bad code or name; ``GuichetError/conflict(_:)`` when the code exists.
    public func addTerritory(code: String, name: String, by: Provisioner) async throws -> Territory {
        try admit(by)
        guard (1...32).contains(code.count), code.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else {
            throw GuichetError.invalid("a territory code has 1 to 32 characters among letters, digits, '-' and '_'")
        }
        let title = try Self.name(name, what: "territory")
        if try await store.territoryExists(code) { throw GuichetError.conflict("a territory with this code exists") }
        try await journal("territory", "territory \(code) added", by)
        do { try await store.insert(territory: Territory(code: code, name: title), by: by.account, at: gate.clock()) } catch StoreError.duplicate {
            throw GuichetError.conflict("a territory with this code exists")
        }
        return Territory(code: code, name: title)
    }

    /// Adds an organisation of one of the profile's kinds.
    /// - Throws: ``GuichetError/invalid(_:)`` for an unknown kind or territory, a bad name or
    ///   capacity; ``GuichetError/conflict(_:)`` when one of this kind and name exists.
    public func addOrganisation(kind: String, name: String, territory: String?, capacity: Int?, by: Provisioner) async throws -> Organisation {
        try admit(by)
        guard profile.organisationKinds.contains(kind) else {
            throw GuichetError.invalid("unknown organisation kind (expected one of: \(profile.organisationKinds.joined(separator: ", ")))")
        }
        let title = try Self.name(name, what: "organisation")
        try await checkTerritory(territory)
        if let capacity, !(0...1_000_000).contains(capacity) { throw GuichetError.invalid("'capacity' must be from 0 to 1000000") }
        // One addition of a kind and name at a time in this process: three sent at once made
        // three organisations of one name (an API audit), which imports then refuse to tell apart.
        let key = kind + "\u{0}" + title.lowercased()
        guard Self.organisationsInProgress.withLock({ $0.insert(key).inserted }) else {
            throw GuichetError.conflict("an organisation of this kind and name exists")
        }
        defer { Self.organisationsInProgress.withLock { _ = $0.remove(key) } }
        if try await store.organisationExists(kind: kind, name: title) {
            throw GuichetError.conflict("an organisation of this kind and name exists")
        }
        let o = Organisation(id: OrganisationID(), kind: kind, name: title, territory: territory, capacity: capacity)
        try await journal("organisation", "organisation \(o.id) of kind \(kind) added", by)
        try await store.insert(organisations: [o], at: gate.clock())
        return o
    }

    /// Sets an organisation's capacity (its places), or removes it (nil: no bound), journalled.
    /// A capacity below the places already held refuses new offers until places free up;
    /// nothing offered already is withdrawn (a co-operative's audit: a daycare that gained
    /// places had no way to say so).
    /// - Throws: ``GuichetError/invalid(_:)`` for a capacity out of 0...1,000,000;
    ///   ``GuichetError/notFound`` for an unknown organisation.
    public func setCapacity(of id: OrganisationID, to capacity: Int?, by: Provisioner) async throws -> Organisation {
        try admit(by)
        if let capacity, !(0...1_000_000).contains(capacity) { throw GuichetError.invalid("'capacity' must be from 0 to 1000000") }
        guard let o = try await store.organisation(id) else { throw GuichetError.notFound }
        func words(_ n: Int?) -> String { n.map(String.init) ?? "none" }
        try await journal("organisation-capacity", "organisation \(id) capacity \(words(capacity)) (was \(words(o.capacity)))", by)
        guard try await store.setCapacity(of: id, to: capacity) else { throw GuichetError.notFound }
        return Organisation(id: o.id, kind: o.kind, name: o.name, territory: o.territory, capacity: capacity)
    }

    static func name(_ text: String, what: String) throws -> String {
        let t = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...200).contains(t.count), !t.unicodeScalars.contains(where: { CharacterSet.controlCharacters.contains($0) }) else {
            throw GuichetError.invalid("a \(what) name has 1 to 200 characters, without control characters")
        }
        return t
    }

    func checkTerritory(_ code: String?) async throws {
        guard let code else { return }
        guard code.count <= 32, try await store.territoryExists(code) else {
            throw GuichetError.invalid("unknown territory: add it first")
        }
    }

    // MARK: accounts

    /// Creates a staff, partner or admin account and issues its activation code. From an
    /// administrator it waits for a second one's approval (C17); from the console it is active.
    /// - Throws: what ``Authenticator/createAccount(username:password:role:organisation:person:territory:contact:createdBy:id:)``
    ///   throws; ``GuichetError/invalid(_:)`` for a citizen's role or an unknown territory.
    public func createAccount(_ new: NewAccount, by: Provisioner) async throws -> CreatedAccount {
        try admit(by, accountAdministrators: true)
        try checkScope(by, role: new.role, organisation: new.organisation)
        guard let role = profile.roles[new.role] else { throw GuichetError.invalid("unknown role '\(GuichetError.echo(new.role))'") }
        if role.kind == .citizen { throw GuichetError.invalid("citizens create their own accounts (or claim their file with a claim code)") }
        try Self.consoleOnly(role, by)
        try await auth.checkNewAccount(username: new.username, password: new.password, role: new.role, organisation: new.organisation,
                                       contact: new.email)
        try await checkTerritory(new.territory)
        if let o = new.organisation, try await store.organisation(o) == nil { throw GuichetError.invalid("unknown organisation") }
        if try await store.account(username: new.username) != nil { throw GuichetError.conflict("this user name is taken") }
        let id = AccountID()
        try await journal("account-create", "account \(id) of role \(new.role) created", by)
        _ = try await auth.createAccount(username: new.username, password: new.password, role: new.role, organisation: new.organisation,
                                         territory: new.territory, contact: new.email, createdBy: by.account, id: id)
        switch by {
        case .administrator(let admin, _, _):
            try await alertOnRequestBurst(admin)
            do {
                return CreatedAccount(id: id, status: "pending", activation: try await auth.activateNewAccount(id, by: admin), activationProblem: nil)
            } catch GuichetError.unavailable(let why) {
                return CreatedAccount(id: id, status: "pending", activation: nil, activationProblem: why)
            }
        case .consoleTrustingTheKeyFile:
            try await store.markProvisionedOnConsole(id)
            try await gate.watch?.notePrivilegedAccount(id, role: new.role, kind: role.kind.rawValue, at: gate.clock())
            return CreatedAccount(id: id, status: "active", activation: try await auth.consoleActivation(username: new.username), activationProblem: nil)
        }
    }

    /// Account requests one requester may have waiting from the last day before the security
    /// officers are told: a stolen account administrator filed 32 in 13 s, unseen, each with
    /// a password it chose and an activation code in its hands, waiting for one approval by a
    /// fooled co-administrator (a containment audit; R2's 2025 incident made two).
    static let requestsBeforeAlert = 5

    /// A medium alert (`account-requests`) at the request past ``requestsBeforeAlert`` in a
    /// day, and at every tenth after: the requests enable nothing until approved, so they are
    /// not refused, but the approvers and the officers should ask the requester first.
    func alertOnRequestBurst(_ requester: Principal) async throws {
        let since = gate.clock().addingTimeInterval(-86_400)
        let waiting = try await store.pendingRequests().filter { $0.requestedBy == requester.account && $0.kind == "create" && $0.requestedAt >= since }.count
        guard waiting > Self.requestsBeforeAlert, (waiting - Self.requestsBeforeAlert - 1) % 10 == 0 else { return }
        try await gate.watch?.raise(requester.account, detector: "account-requests", severity: .medium,
                                    detail: "\(waiting) account requests in a day from this account wait for a second administrator: check each with its requester before approving",
                                    at: gate.clock())
    }

    /// Administrators, account administrators and security officers are made (or given their
    /// role) on the server's console only. Over the admin API two administrators approving each
    /// other's requests made new administrators, each a fresh approver with a fresh ceiling of
    /// approvals, then 185 agent accounts in 3 s that read 3,048 persons (an insider audit).
    /// The console holds the key file, which opens everything anyway.
    static func consoleOnly(_ role: Role, _ by: Provisioner) throws {
        guard case .administrator = by, role.kind.usesAdminListener else { return }
        throw GuichetError.forbidden("administrators, account administrators and security officers are made on the server's console (guichet staff create --role \(role.name)), never over the admin API: each could approve or reinstate accounts of its own")
    }

    /// Asks for an account to take another staff, partner or admin role; a second
    /// administrator approves (``approve(request:by:)``).
    public func requestRole(_ role: String, for account: AccountID, by: Provisioner) async throws {
        try admit(by)
        guard let admin = by.account else { throw GuichetError.forbidden("a role change needs two administrators: ask over the admin API") }
        guard let r = profile.roles[role], r.kind != .citizen else { throw GuichetError.invalid("unknown or non-staff role '\(GuichetError.echo(role))'") }
        guard try await store.account(id: account) != nil else { throw GuichetError.notFound }
        if try await store.departure(of: account) != nil { throw GuichetError.conflict("this account's owner left") }
        try Self.consoleOnly(r, by)
        try await journal("role-request", "role \(role) asked for account \(account)", by)
        try await auth.requestRole(role, for: account, by: admin)
    }

    /// A second administrator approves a pending creation or role change. It counts against
    /// the approver's ceiling of approvals (``Gate/watchApproval(of:_:)``): past it, a fresh
    /// second factor and `justification`, then a throttle and a suspension; nothing is
    /// approved when refused.
    /// - Throws: ``GuichetError/notFound``; ``GuichetError/forbidden(_:)`` for the requester;
    ///   the watch's refusal.
    public func approve(request id: String, by: Provisioner, justification: String? = nil) async throws -> AccountRequest {
        try admit(by, accountAdministrators: true)
        guard let approver = by.account else { throw GuichetError.forbidden("approvals are given over the admin API") }
        // One approval of a request at a time in this process: three at once all passed the
        // check, all were journalled as approving, and two failed with 500 (an API audit).
        // The others wait for nothing: they find it decided (404), as a later one does.
        guard id.count <= 64, Self.approvalsInProgress.withLock({ $0.insert(id).inserted }) else { throw GuichetError.notFound }
        defer { Self.approvalsInProgress.withLock { _ = $0.remove(id) } }
        guard let pending = try await pendingRequests(by: by).first(where: { $0.id == id }) else { throw GuichetError.notFound }
        guard pending.requestedBy != approver else { throw GuichetError.forbidden("a second administrator must approve what you requested") }
        if try await store.departure(of: pending.account) != nil { throw GuichetError.conflict("this account's owner left") }
        if let role = profile.roles[pending.role] { try Self.consoleOnly(role, by) }  // a request made before this rule
        try await countApproval(of: pending.account, by: by, justification: justification)
        try await journal("approve", "\(pending.kind) of account \(pending.account) as \(pending.role) approved", by)
        let done = try await auth.approve(request: id, by: approver)
        if let kind = profile.roles[done.role]?.kind, kind != .citizen {
            try await gate.watch?.notePrivilegedAccount(done.account, role: done.role, kind: kind.rawValue, at: gate.clock())
        }
        return done
    }

    /// The organisations (kind and name) being added in this process.
    static let organisationsInProgress = Mutex<Set<String>>([])

    /// The account requests being approved in this process.
    static let approvalsInProgress = Mutex<Set<String>>([])

    /// Deactivates the account of someone who left: disabled for good, sessions revoked,
    /// unused activation codes void; the security officers see it in their queue. Their
    /// caseload stays where it is until transferred (``transferCaseload(from:to:only:by:)``).
    /// A privileged account (administrator, account administrator, security officer) asked for
    /// by an administrator waits for a second administrator (``approveDeparture(request:by:)``,
    /// C17); the console deactivates it at once.
    ///
    /// A deactivation cannot be undone, so an administrator's counts against its role's ceiling
    /// of changes (``Gate/watchAccountChange(_:_:)``): past it, a fresh second factor and
    /// `justification`, then a throttle and a suspension; nothing is deactivated when refused.
    /// - Throws: what ``Authenticator/deactivate(_:reason:by:)`` throws; the watch's refusal.
    @discardableResult
    public func deactivate(_ account: AccountID, reason: String, by: Provisioner, justification: String? = nil) async throws -> DepartureOutcome {
        try admit(by)
        try await countAccountChange(account, by: by, justification: justification)
        let outcome = try await auth.deactivate(account, reason: reason, by: by.account)
        switch outcome {
        case .pending(let r):
            try await journal("deactivate-request", "deactivation of account \(account) asked (request \(r.id))", by)
        case .deactivated:
            try await journal("deactivate", "account \(account) deactivated: its owner left", by)
            try await gate.watch?.raise(account, detector: "account-deactivated", severity: .info,
                                        detail: "the account was deactivated: its owner left", at: gate.clock())
        }
        return outcome
    }

    /// An administrator's change to `account` counted against its role's ceiling of changes
    /// (``Gate/watchAccountChange(_:_:)``); the console is not held.
    func countAccountChange(_ account: AccountID, by: Provisioner, justification: String?) async throws {
        guard case .administrator(let p, let requestID, let source) = by else { return }
        var request = GateRequest(principal: p, requestID: requestID, source: source, purpose: nil)
        request.justification = justification
        try await gate.watchAccountChange(account, request)
    }

    /// An approval counted against the approver's ceiling of approvals
    /// (``Gate/watchApproval(of:_:)``); the console approves nothing.
    func countApproval(of account: AccountID, by: Provisioner, justification: String?) async throws {
        guard case .administrator(let p, let requestID, let source) = by else { return }
        var request = GateRequest(principal: p, requestID: requestID, source: source, purpose: nil)
        request.justification = justification
        try await gate.watchApproval(of: account, request)
    }

    /// The deactivations of privileged accounts waiting for a second administrator, oldest
    /// first (none for an account administrator, who neither asks for nor approves them).
    public func pendingDepartureRequests(by: Provisioner) async throws -> [DepartureRequest] {
        try admit(by, accountAdministrators: true)
        if case .administrator(let p, _, _) = by, p.kind == .accountAdmin { return [] }
        return try await auth.pendingDepartureRequests()
    }

    /// A second administrator approves the deactivation of a privileged account; it is made,
    /// then journalled (as a direct deactivation is).
    /// - Throws: what ``Authenticator/approveDeparture(_:by:)`` throws; ``GuichetError/forbidden(_:)``
    ///   for the console.
    public func approveDeparture(request id: String, by: Provisioner) async throws -> DepartureRequest {
        try admit(by)
        guard let approver = by.account else { throw GuichetError.forbidden("approvals are given over the admin API") }
        let done = try await auth.approveDeparture(id, by: approver)
        try await journal("deactivate", "account \(done.account) deactivated: its owner left (request \(id), asked by account \(done.requestedBy))", by)
        try await gate.watch?.raise(done.account, detector: "account-deactivated", severity: .info,
                                    detail: "the account was deactivated: its owner left", at: gate.clock())
        return done
    }

    // MARK: caseloads

    static let maxCaseloadStep = 10_000
    /// How long a caseload request waits for its second administrator before it must be asked again.
    static let caseloadRequestLifetime: TimeInterval = 7 * 24 * 3600

    /// Puts dossiers in a staff or partner account's caseload (all or none). A caseload opens
    /// its dossiers to the holder, so from an administrator it is a request that a second
    /// administrator approves (``approveCaseload(request:by:)``); the console makes it at once.
    /// - Throws: ``GuichetError/invalid(_:)`` for an empty or long list, a repeated or unknown
    ///   dossier, a dossier of another organisation (staff), an account without a caseload.
    public func assignCaseload(_ dossiers: [DossierID], to account: AccountID, by: Provisioner) async throws -> CaseloadChange {
        try admit(by)
        let holder = try await auth.caseloadHolder(account)
        try await checkDossiers(dossiers, for: holder)
        if let asker = by.account {
            return try await request(.assign, from: nil, to: account, dossiers: dossiers, by: asker, by)
        }
        try await journal("caseload-assign", "\(dossiers.count) dossiers assigned to account \(account)", dossiers: dossiers, by)
        do { _ = try await store.assignCaseload(dossiers, to: account) } catch StoreError.notFound {
            throw GuichetError.invalid("a dossier was not found: nothing was assigned")
        }
        return .made(dossiers)
    }

    /// Moves dossiers from one caseload to another: those given, or the whole caseload (all or
    /// none). From an administrator it is a request for a second administrator, naming the
    /// dossiers as they are now; the console moves them at once.
    public func transferCaseload(from: AccountID, to: AccountID, only: [DossierID]?, by: Provisioner) async throws -> CaseloadChange {
        try admit(by)
        guard from != to else { throw GuichetError.invalid("'from' and 'to' are the same account") }
        guard let giver = try await store.account(id: from) else { throw GuichetError.notFound }
        let holder = try await auth.caseloadHolder(to)
        // A transfer hands files on to an account of the same role (a leaver's, a partner
        // network's that closes; staff files stay in their organisation, checked below). Files
        // for another role are an assignment, which names its dossiers one by one (an attacker
        // test moved an adviser's whole caseload to a partner adviser with a hand-written form).
        guard giver.role == holder.role else {
            throw GuichetError.invalid("a caseload moves only to an account of the same role: give files to another role by assigning them")
        }
        let moving: [DossierID]
        if let only {
            let records = try await checkDossiers(only, for: holder)
            guard records.allSatisfy({ $0.assignedAgent == from }) else {
                throw GuichetError.invalid("a dossier given is not in the caseload of 'from': nothing was moved")
            }
            moving = only
        } else {
            moving = try await store.caseload(of: from)
            try await checkDossiers(moving, for: holder, allowEmpty: true)
        }
        guard !moving.isEmpty else { return .made([]) }
        if let asker = by.account {
            return try await request(.transfer, from: from, to: to, dossiers: moving, by: asker, by)
        }
        try await journal("caseload-transfer", "\(moving.count) dossiers moved from account \(from) to account \(to)", dossiers: moving, by)
        do { return .made(try await store.transferCaseload(from: from, to: to, only: moving)) } catch StoreError.notFound {
            throw GuichetError.conflict("the caseload changed meanwhile: nothing was moved")
        }
    }

    func request(_ kind: CaseloadRequest.Kind, from: AccountID?, to: AccountID, dossiers: [DossierID], by asker: AccountID,
                 _ by: Provisioner) async throws -> CaseloadChange {
        let r = CaseloadRequest(id: Identifier<AccountTag>().rawValue, kind: kind, from: from, to: to, dossiers: dossiers,
                                requestedBy: asker, requestedAt: gate.clock())
        let what = from.map { "from account \($0) " } ?? ""
        try await journal("caseload-request", "\(kind.rawValue) of \(dossiers.count) dossiers \(what)to account \(to) asked (request \(r.id))",
                          dossiers: dossiers, by)
        try await store.insert(caseloadRequest: r)
        return .pending(r)
    }

    /// The caseload requests waiting for a second administrator, oldest first.
    /// (None for an account administrator, who neither asks for nor approves caseloads.)
    public func pendingCaseloadRequests(by: Provisioner) async throws -> [CaseloadRequest] {
        try admit(by, accountAdministrators: true)
        if case .administrator(let p, _, _) = by, p.kind == .accountAdmin { return [] }
        return try await store.pendingCaseloadRequests()
    }

    /// A second administrator approves a caseload request: checked again as it is now (the
    /// holder still present, the dossiers still where they were), journalled, then made.
    /// - Throws: ``GuichetError/notFound``; ``GuichetError/forbidden(_:)`` for the requester
    ///   or the console; ``GuichetError/conflict(_:)`` when the request expired or things moved;
    ///   the watch's refusal (the approval counts against the approver's ceiling of approvals,
    ///   by the account that receives the files, as ``approve(request:by:justification:)`` does).
    public func approveCaseload(request id: String, by: Provisioner, justification: String? = nil) async throws -> CaseloadRequest {
        try admit(by)
        guard let approver = by.account else { throw GuichetError.forbidden("approvals are given over the admin API") }
        guard id.count <= 64, let pending = try await store.pendingCaseloadRequests().first(where: { $0.id == id }) else { throw GuichetError.notFound }
        guard pending.requestedBy != approver else { throw GuichetError.forbidden("a second administrator must approve what you requested") }
        guard gate.clock().timeIntervalSince(pending.requestedAt) <= Self.caseloadRequestLifetime else {
            throw GuichetError.conflict("this request is more than 7 days old: ask again")
        }
        let holder = try await auth.caseloadHolder(pending.to)
        let records = try await checkDossiers(pending.dossiers, for: holder)
        if let from = pending.from, !records.allSatisfy({ $0.assignedAgent == from }) {
            throw GuichetError.conflict("the caseload changed since it was asked: nothing was moved; ask again")
        }
        try await countApproval(of: pending.to, by: by, justification: justification)
        let what = pending.from.map { "moved from account \($0) to" } ?? "assigned to"
        try await journal("caseload-\(pending.kind.rawValue)", "\(pending.dossiers.count) dossiers \(what) account \(pending.to) (request \(id))",
                          dossiers: pending.dossiers, by)
        do { return try await store.approve(caseloadRequest: id, by: approver, at: gate.clock()) } catch StoreError.notFound {
            throw GuichetError.conflict("the caseload changed meanwhile: nothing was moved; ask again")
        }
    }

    @discardableResult
    func checkDossiers(_ ids: [DossierID], for holder: AccountRecord, allowEmpty: Bool = false) async throws -> [DossierRecord] {
        guard allowEmpty || !ids.isEmpty, ids.count <= Self.maxCaseloadStep else {
            throw GuichetError.invalid("give 1 to \(Self.maxCaseloadStep) dossiers at a time")
        }
        guard Set(ids).count == ids.count else { throw GuichetError.invalid("a dossier is given twice") }
        var records: [DossierRecord] = []
        for start in stride(from: 0, to: ids.count, by: 500) {
            records += try await store.dossiers(Array(ids[start..<min(ids.count, start + 500)]))
        }
        guard records.count == ids.count else { throw GuichetError.invalid("\(ids.count - records.count) of the dossiers do not exist: nothing was changed") }
        if profile.roles[holder.role]?.kind == .staff, let mine = holder.organisation,
           records.contains(where: { $0.organisation != nil && $0.organisation != mine }) {
            throw GuichetError.invalid("a dossier belongs to another organisation than the account's: nothing was changed")
        }
        return records
    }
}

extension Provisioning {
    /// The ids of an organisation's dossiers (owned or chosen), of `type` or of every type, in
    /// `status` if given, only those in no caseload when `unassigned`: what `guichet caseload
    /// list` prints for `caseload assign --file` (an operator's audit found them only in psql).
    /// Ids only, never a field; honeytokens are left out (a decoy in a caseload would be opened
    /// by its adviser's normal work).
    /// - Throws: ``GuichetError/invalid(_:)`` for an unknown organisation or type.
    public func dossierIDs(of organisation: OrganisationID, type: String?, status: String?, unassigned: Bool) async throws -> [DossierID] {
        guard try await store.organisation(organisation) != nil else {
            throw GuichetError.invalid("no organisation has this id (guichet organisations list gives them)")
        }
        let types = type.map { [$0] } ?? profile.dossierTypes.keys.sorted()
        guard types.allSatisfy({ profile.dossierTypes[$0] != nil }) else {
            throw GuichetError.invalid("the profile has no such dossier type; its types: \(profile.dossierTypes.keys.sorted().joined(separator: ", "))")
        }
        let decoy = try await gate.decoyDossiers()
        var out: [DossierID] = []
        for t in types {
            var after: DossierID?
            repeat {
                let page = try await store.search(DossierQuery(type: t, status: status, scope: [.organisation(organisation), .partner(organisation)],
                                                               terms: [], after: after, limit: 1_000))
                out += try await store.dossiers(page).filter { (!unassigned || $0.assignedAgent == nil) && !decoy($0.id) }.map(\.id)
                after = page.count == 1_000 ? page.last : nil
            } while after != nil
        }
        return out
    }

    /// The id of the account with this user name (the console names accounts by user name).
    /// - Throws: ``GuichetError/invalid(_:)`` when there is none.
    public func accountID(username: String) async throws -> AccountID {
        guard let a = try await store.account(username: username) else { throw GuichetError.invalid("no account has this user name") }
        return a.id
    }

    /// The caseloads that hold some of these dossiers, other than `account`'s: by the holder's
    /// user name, how many of them each holds (an assignment takes them out, and says so).
    public func otherCaseloads(holding dossiers: [DossierID], than account: AccountID) async throws -> [(username: String, count: Int)] {
        let held = try await store.dossiers(dossiers).compactMap(\.assignedAgent).filter { $0 != account }
        var out: [(username: String, count: Int)] = []
        for (holder, count) in Dictionary(grouping: held, by: { $0 }).mapValues(\.count) {
            out.append((try await store.account(id: holder)?.username ?? holder.rawValue, count))
        }
        return out.sorted { $0.username < $1.username }
    }
}
