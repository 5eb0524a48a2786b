public import GuichetCore
public import GuichetStore
public import Foundation
public import Crypto

/// The watch of a running deployment: the ``WatchEngine`` with its marks (honeytokens,
/// watched persons), the alert queue, suspensions, and the detector state written behind to
/// the store. The gate calls ``assess(_:)`` for every candidate access and every refusal.
public actor Watch {
    var engine: WatchEngine
    let store: any WatchStorage
    /// The same storage when several servers share it: each account's state is then read
    /// before and written after each of its requests (``SharedWatchStorage``).
    let shared: (any SharedWatchStorage)?
    let honeytokenKey: SymmetricKey
    var honeytokens: Set<Data> = []
    var watched: Set<PersonID> = []
    /// Creation times of accounts made over the admin API or provisioned on the command line
    /// (nil: made by `init` or `demo`, which the lifecycle detector trusts).
    var createdAt: [AccountID: Date?] = [:]
    var loaded = false
    /// When the marks were last read (``reloadMarks()``).
    var marksReadAt: ContinuousClock.Instant?
    /// When servers share the storage, how old this server's copy of the marks may grow before
    /// a request reads them again: a person flagged or unflagged on another server counts here
    /// within this time (a multi-server test: a flag set on one server stayed there until the
    /// others restarted, so a name search through another server escaped it).
    public static let marksRefresh: Duration = .seconds(1)
    /// The same for a server alone on its SQLite file.
    public static let marksRefreshAlone: Duration = .seconds(30)
    var lastFlush: Date?
    /// Detector state is written at most this often (event time), and at once after a
    /// step-up demand, a throttle or a suspension.
    public let flushInterval: TimeInterval
    /// Seals a caller's free-text justification (it may name people) for storage, bound to
    /// its alert (text, context → stored form). Without it, no justification is stored.
    let sealNote: (@Sendable (String, String) throws -> String)?

    public var settings: WatchSettings { engine.settings }

    public init(settings: WatchSettings, store: any WatchStorage, honeytokenKey: SymmetricKey, flushInterval: TimeInterval = 30,
                sealNote: (@Sendable (String, String) throws -> String)? = nil) {
        self.engine = WatchEngine(settings: settings)
        self.store = store; self.honeytokenKey = honeytokenKey; self.flushInterval = flushInterval; self.sealNote = sealNote
        shared = store as? any SharedWatchStorage
    }

    /// How many times an account's state is read and assessed again when other servers keep
    /// writing it first; then the request is refused as unavailable (the watch never lets a
    /// request through unassessed).
    static let sharedAttempts = 100

    /// Applies `body` to an account's state: on this server's own state, or, when servers
    /// share the storage, on the latest stored state, written back unless another server wrote
    /// first (then again on its state).
    func change<T>(_ account: AccountID, at: Date, _ body: (inout WatchEngine) -> T) async throws -> T {
        guard let shared else { return body(&engine) }
        // One change of an account at a time on this server: the actor lets another request in
        // at each database round trip, and two of them on one engine would only fight over
        // the stored version (other servers' requests still may; the version check settles it).
        await enter(account)
        defer { leave(account) }
        for _ in 0..<Self.sharedAttempts {
            let stored = try await shared.watchState(account)
            engine.replace(account, with: stored?.state)
            let result = body(&engine)
            guard let state = engine.encoded(account) else { return result }
            if try await shared.saveWatchState(account, state, expected: stored?.version, at: at) {
                engine.markStored(account)
                return result
            }
            // Another server wrote first: wait a moment of random length, so that a slower
            // server is not outpaced by the same faster one attempt after attempt.
            try? await Task.sleep(for: .milliseconds(Int.random(in: 0...10)))
        }
        throw GuichetError.unavailable("the watch could not record this account's request: other servers kept changing its state")
    }

    /// Requests waiting for their turn to change an account's shared state (``change(_:at:_:)``).
    var queued: [AccountID: [CheckedContinuation<Void, Never>]] = [:]

    func enter(_ account: AccountID) async {
        guard queued[account] != nil else { queued[account] = []; return }
        await withCheckedContinuation { queued[account, default: []].append($0) }
    }

    func leave(_ account: AccountID) {
        guard var waiting = queued[account], !waiting.isEmpty else { queued[account] = nil; return }
        let next = waiting.removeFirst()
        queued[account] = waiting
        next.resume()
    }

    /// The context a justification is sealed to: its alert.
    public static func noteContext(alert id: String) -> String { "watch-alert:\(id)" }

    /// Loads the stored state and marks, once.
    func load() async throws {
        guard !loaded else { return }
        engine.load(try await store.watchStates())
        try await reloadMarks()
        loaded = true
    }

    /// Reads the marks again once the copy is older than `marksRefresh` (other servers' flags),
    /// or `marksRefreshAlone` alone on SQLite (honeytokens a console planted).
    func reloadMarksIfDue() async throws {
        if let at = marksReadAt, ContinuousClock.now - at >= (shared != nil ? Self.marksRefresh : Self.marksRefreshAlone) { try await reloadMarks() }
    }

    /// Reads the honeytoken tags and watched persons again (after a generator planted some).
    public func reloadMarks() async throws {
        marksReadAt = .now
        honeytokens = Set(try await store.honeytokenTags())
        watched = Set(try await store.watchedPersons().map(\.person))
    }

    /// Whether a dossier is a planted decoy, from the marks this watch holds (read again on the
    /// same rule as ``assess(_:caseload:)``'s): a waiting list ranks decoys last without a read
    /// of the tags on every page.
    public func decoyDossiers() async throws -> @Sendable (DossierID) -> Bool {
        try await load()
        try await reloadMarksIfDue()
        let tags = honeytokens, key = honeytokenKey
        guard !tags.isEmpty else { return { _ in false } }
        return { tags.contains(Honeytoken.tag($0.rawValue, kind: "dossier", key: key)) }
    }

    /// Assesses one gate event: fills in the marks, runs the detectors, queues alerts,
    /// suspends when called for.
    public func assess(_ event: WatchEvent, caseload: Set<PersonID> = []) async throws -> Assessment {
        try await load()
        // Other servers' flags: read again once the copy is older than `marksRefresh` (fail
        // closed: a read that fails refuses the request, as any failure of the watch does).
        // Alone on SQLite, every half minute: honeytokens a console planted (`guichet honeytokens plant`).
        try await reloadMarksIfDue()
        var e = event
        if e.accountCreatedAt == nil {
            if createdAt[e.account] == nil, let origin = try await store.accountOrigin(e.account) {
                createdAt[e.account] = .some(origin.createdBy == nil && !origin.onConsole ? nil : origin.createdAt)
            }
            e.accountCreatedAt = createdAt[e.account] ?? nil
        }
        if !honeytokens.isEmpty {
            e.honeytoken = e.persons.contains { honeytokens.contains(Honeytoken.tag($0.rawValue, kind: "person", key: honeytokenKey)) }
                || e.dossiers.contains { honeytokens.contains(Honeytoken.tag($0.rawValue, kind: "dossier", key: honeytokenKey)) }
        }
        if !watched.isEmpty {
            var seen = Set<PersonID>()
            e.watched = (e.persons + e.listed).filter { watched.contains($0) && seen.insert($0).inserted }
            // Any term of a person, not a name only: a watched person found by their e-mail or
            // national id was listed without a reason (a controls audit, 7 December; secu's
            // agents search by identifiers alone).
            e.watchedBySearchOutsideCaseload = e.search?.byTerms == true && e.watched.contains { !caseload.contains($0) }
        }
        let a = try await change(e.account, at: e.at) { $0.assess(e) }
        let fresh = a.findings.filter { !$0.repeated }
        if !fresh.isEmpty {
            try await store.insert(alerts: fresh.map { f in
                let id = Self.newID()
                let note = ["watched-person", "ceiling-justified"].contains(f.detector) ? e.justification : nil
                // What was done: a step-up not asked (a citizen, the console, a factor proved a
                // moment ago) is recorded as the alert it was.
                let nominal = engine.settings.responses[f.severity] ?? .alert
                return WatchAlert(id: id, at: e.at, account: e.account, detector: f.detector, severity: f.severity.name,
                                  response: (a.response == .alert ? min(nominal, .alert) : nominal).name, detail: f.detail,
                                  justification: try note.flatMap { text in try sealNote?(text, Self.noteContext(alert: id)) })
            })
        }
        if a.response == .suspend {
            let why = a.findings.map(\.detector).joined(separator: ", ")
            try await store.suspend(account: e.account, id: Self.newID(), reason: "suspended by the watch: \(why)", at: e.at)
        }
        // A demand (step-up, throttle, suspension) is written at once, so that a server killed
        // a moment later does not forget it on restart; plain counts within 30 seconds.
        if let r = a.response, r >= .stepUp { try await flush(at: e.at) } else if lastFlush.map({ e.at.timeIntervalSince($0) >= flushInterval }) ?? true {
            try await flush(at: e.at)
        }
        return a
    }

    /// Writes every changed detector state now. When servers share the storage there is
    /// nothing to write: ``change(_:at:_:)`` stored each change already, on the version it
    /// read. A state still changed here belongs to a request between its assessment and that
    /// conditional write; writing it unconditionally would overwrite what other requests stored
    /// meanwhile, and the persons they received would no longer count against the ceiling.
    ///
    /// Writes happen in the order their states were taken: the actor lets other requests in
    /// while a write waits on the storage, so a later flush (a step-up demand right after the
    /// periodic one) would otherwise store its newer states first and see them overwritten by
    /// the older ones, and a restart would forget the persons read in between. States whose
    /// write failed are marked changed again, for the next flush.
    public func flush(at: Date) async throws {
        lastFlush = at
        guard shared == nil else { return }
        let states = engine.takeDirty()
        let previous = lastWrite
        let write = Task { [store] in
            _ = try? await previous?.value  // its failure is its own flush's to report
            try await store.saveWatchStates(states, at: at)
        }
        lastWrite = write
        do { try await write.value } catch {
            engine.dirty.formUnion(states.map(\.0))
            throw error
        }
    }

    /// The latest write of states started by ``flush(at:)``; the next one waits for it.
    var lastWrite: Task<Void, any Error>?

    /// A security officer lifts a suspension, with a written reason.
    /// - Throws: ``GuichetError/notFound`` when the account has no open suspension.
    public func reinstate(_ account: AccountID, by officer: AccountID, reason: String, at: Date,
                          restartCeilings: Bool = true) async throws -> Suspension {
        try await load()
        let s: Suspension
        do { s = try await store.reinstate(account: account, by: officer, reason: reason, at: at) } catch StoreError.notFound {
            throw GuichetError.notFound
        }
        try await change(account, at: at) { $0.reinstate(account, restartCeilings: restartCeilings) }
        try await flush(at: at)
        return s
    }

    /// Flags or unflags a watched person.
    public func setWatched(_ person: PersonID, reason: String?, by: AccountID, at: Date) async throws {
        try await load()
        if let reason {
            do { try await store.watch(person: person, reason: reason, by: by, at: at) } catch StoreError.notFound { throw GuichetError.notFound }
            watched.insert(person)
        } else {
            guard try await store.unwatch(person: person, by: by, at: at) else { throw GuichetError.notFound }
            watched.remove(person)
        }
    }

    /// Suspends an account outside the detectors (a break-glass ceiling crossed): the account
    /// is disabled and its sessions revoked until a security officer reinstates it.
    public func suspend(_ account: AccountID, detector: String, detail: String, at: Date) async throws {
        try await load()
        try await store.insert(alerts: [WatchAlert(id: Self.newID(), at: at, account: account, detector: detector,
                                                   severity: Severity.critical.name, response: WatchResponse.suspend.name, detail: detail)])
        try await store.suspend(account: account, id: Self.newID(), reason: "suspended by the watch: \(detector)", at: at)
        try await change(account, at: at) { $0.suspend(account) }
        try await flush(at: at)
    }

    /// Suspends an account at a security officer's decision (seen taken over, or reinstated too
    /// early): disabled and its sessions revoked until an officer reinstates it; the officer's
    /// reason kept sealed with the alert that records it.
    public func suspendByOfficer(_ account: AccountID, officer: AccountID, sealing reason: String, at: Date) async throws {
        try await load()
        let id = Self.newID()
        try await store.insert(alerts: [WatchAlert(id: id, at: at, account: account, detector: "officer-suspension",
                                                   severity: Severity.high.name, response: WatchResponse.suspend.name,
                                                   detail: "suspended by a security officer", justification: try sealNote?(reason, Self.noteContext(alert: id)))])
        try await store.suspend(account: account, id: Self.newID(), reason: "suspended by a security officer", at: at)
        try await change(account, at: at) { $0.suspend(account) }
        try await flush(at: at)
    }

    /// Queues an alert for the security officers without changing the account's state.
    public func raise(_ account: AccountID, detector: String, severity: Severity, detail: String, at: Date) async throws {
        try await store.insert(alerts: [WatchAlert(id: Self.newID(), at: at, account: account, detector: detector,
                                                   severity: severity.name, response: WatchResponse.alert.name, detail: detail)])
    }

    /// Queues the alert that a privileged account was created or elevated (C17).
    public func notePrivilegedAccount(_ account: AccountID, role: String, kind: String, at: Date) async throws {
        createdAt[account] = nil  // read again: it is fresh from its approval (a new role too)
        try await store.insert(alerts: [WatchAlert(id: Self.newID(), at: at, account: account, detector: "new-privileged-account",
                                                   severity: Severity.info.name, response: WatchResponse.alert.name,
                                                   detail: "an account of role '\(role)' (\(kind)) became active")])
    }

    /// Until when the account is throttled, if it is now (what it may not begin meanwhile: a
    /// break-glass opening).
    public func throttledUntil(_ account: AccountID, at: Date) async throws -> Date? {
        try await load()
        if let shared { engine.replace(account, with: try await shared.watchState(account)?.state) }
        return engine.throttledUntil(account, at: at)
    }

    /// The account's current risk points.
    public func risk(_ account: AccountID, at: Date) async throws -> Double {
        try await load()
        if let shared { engine.replace(account, with: try await shared.watchState(account)?.state) }
        return engine.risk(account, at: at)
    }

    static func newID() -> String {
        var rng = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}
