public import GuichetCore
@_spi(GateOnly) import GuichetPolicy
public import GuichetStore
@_spi(GateOnly) public import GuichetLedger
@_spi(GateOnly) import GuichetVault
import GuichetAuth
import Foundation
import Synchronization
import GuichetMerkle
import Crypto
public import GuichetWatch
import Logging

/// The one door to personal data. Every read and write of a dossier or person goes:
/// 1. policy decides (allow with fields, or deny with a reason);
/// 2. the journal appends the access durably (allowed or denied) — no entry, no data;
/// 3. the vault opens only the fields the journal receipt names.
/// Between 1 and 2 the watch (when configured) sees every candidate access and may veto it;
/// it sees every refusal too (`Gate+Watch.swift`).
public final class Gate: Sendable {
    public let profile: Profile
    let policy: Policy
    let store: any GateStorage
    /// The access ledger. Appending is `@_spi(GateOnly)` (the gate's own path from a decision
    /// to an entry); others sign checkpoints and read the head through ``checkpoint(at:)`` and
    /// ``ledgerSize()``.
    @_spi(GateOnly) public let journal: AccessJournal
    /// Proofs and verification of the ledger.
    public let auditor: LedgerAuditor
    let vault: Vault
    let clock: @Sendable () -> Date
    let logger: Logger
    /// Detection and containment; nil where the gate runs without it (unit tests of the gate alone).
    public let watch: Watch?

    /// Largest page of a search or listing.
    public static let maxPageSize = 100

    /// Counts the changes this gate made to dossiers and persons (writes, imports, erasures,
    /// retention): what is published from them (the statistics) is computed again after one.
    public let changes = ChangeCounter()
    /// Readiness: the checkpoint size this server last saw the ledger grow past, and when it
    /// first saw it (``readiness(checkpointAge:minimumFreeBytes:)``).
    let behindSince = Mutex<(size: Int64, since: Date)?>(nil)
    /// The erasures made, kept beside the key file (``ErasureRecord``); not kept until a
    /// deployment says where.
    public let erasures = ErasureRecord()

    /// Internal: a gate is made by ``Registry/open(store:profile:keys:keysOrigin:options:)``
    /// after its start-up checks, the one way to open a registry (the command line, the tests
    /// and the benchmark alike).
    /// - Throws: when the ledger's signing keys cannot be loaded.
    /// - Parameter watch: detection settings (usually the profile's); nil runs without the watch.
    convenience init(profile: Profile, store: Store, keys: any KeyProvider, origin: String? = nil, clock: @escaping @Sendable () -> Date = { Date() },
                     logger: Logger = Logger(label: "guichet.gate"), watch: WatchSettings? = nil) throws {
        try self.init(profile: profile, storage: store, ledger: store, journal: { AccessJournal(store: store, signer: $0, origin: $1, sourceKey: $2) },
                      keys: keys, origin: origin, clock: clock, logger: logger, watch: watch)
    }

    /// A gate over any back-end (issue 19): the registry's storage (dossiers, persons, keys;
    /// the watch's state), the ledger's reads, and how to make the journal that appends to
    /// that ledger with the gate's signer, origin and source key (the ledger's writing
    /// protocol is not the gate's to name).
    init(profile: Profile, storage store: any GateStorage & WatchStorage, ledger: any LedgerProving,
         journal makeJournal: (NoteSigner, String, SymmetricKey) -> AccessJournal, keys: any KeyProvider,
         origin: String? = nil, clock: @escaping @Sendable () -> Date = { Date() }, logger: Logger = Logger(label: "guichet.gate"),
         watch: WatchSettings? = nil) throws {
        self.profile = profile
        self.policy = Policy(profile: profile)
        self.store = store
        let seeds = try keys.ledgerSeeds().bytes
        let origin = origin ?? "guichet.local/\(profile.name)"
        let signer = try NoteSigner(name: origin, ed25519Seed: seeds.ed25519, mldsa65Seed: seeds.mldsa65)
        let vault = Vault(profile: profile, keys: keys)
        // Entries carry a keyed tag of the source address, the address itself is kept beside.
        let sourceKey = try vault.derivedKey(purpose: SourceTag.keyPurpose)
        self.journal = makeJournal(signer, origin, sourceKey)
        self.auditor = LedgerAuditor(store: ledger, verifier: signer.verifier, origin: origin, sourceKey: sourceKey)
        self.vault = vault
        self.clock = clock
        self.logger = logger
        let honeytokenKey = try vault.derivedKey(purpose: Honeytoken.keyPurpose)
        let notes = vault
        self.watch = watch.map {
            var settings = $0
            // Every role's ceiling from the profile (its kind's default where none is declared).
            for role in profile.roles.values where settings.ceilings[role.name] == nil { settings.ceilings[role.name] = role.ceiling }
            return Watch(settings: settings, store: store, honeytokenKey: honeytokenKey,
                  sealNote: { text, context in try notes.sealNote(text, context: context).base64EncodedString() })
        }
    }

    func context(_ r: GateRequest) -> AccessContext {
        AccessContext(requestID: r.requestID, subject: r.principal.subject, session: r.principal.session,
                      source: r.source, purpose: r.purpose, at: clock())
    }

    /// Admits a request to the gate: staff, partners and administrators must have passed a
    /// second factor in this session (C3); the declared purpose must be one of the profile's.
    func checkPurpose(_ r: GateRequest) throws {
        guard r.principal.mayReachPersonalData else {
            throw GuichetError.forbidden("a second factor is required before any personal data: enrol one (POST /v1/me/mfa/totp) or verify it (POST /v1/session/totp)")
        }
        if let p = r.purpose, !profile.purposes.contains(p) {
            throw GuichetError.invalid("unknown purpose (expected one of: \(profile.purposes.joined(separator: ", ")))")
        }
    }

    /// Journals a refusal, then throws the error the caller sees. If the refusal cannot be
    /// journalled the request fails all the same (it was refused anyway).
    func refuse(_ error: GuichetError, reason: String, action: Action, dossiers: [DossierID], _ r: GateRequest) async throws -> Never {
        do { try await journal.recordDenied(reason, action: action, dossiers: dossiers, context: context(r)) } catch {
            logger.error("journal append failed for a refusal", metadata: ["request": .string(r.requestID)])
        }
        await watchRefusal(action: action, dossiers: dossiers, r)
        throw error
    }

    /// Appends accesses that return fields (after the watch and the ceilings saw them), and
    /// returns the receipt the vault needs to open them; fails closed.
    /// - Parameter listed: the persons of the dossiers a search lists, whose fields it may not
    ///   return (summary): the watch checks them for watched persons reached by name.
    func journalled(_ accesses: [AllowedAccess], action: Action, listed: [DossierID: [PersonID]] = [:], _ r: GateRequest) async throws -> AccessReceipt {
        // Keys that are gone (the key file removed) refuse the access before it is journalled:
        // the ledger names only what was opened.
        _ = try sealing { try vault.keyCheck() }
        try await watchAccesses(accesses, action: action, discloses: true, listed: listed, r)
        do { return try await journal.recordDisclosure(accesses, action: action, context: context(r)) } catch {
            logger.error("journal append failed: request refused", metadata: ["request": .string(r.requestID)])
            throw GuichetError.unavailable("the access could not be recorded, so no data is returned")
        }
    }

    /// Appends allowed writes (they return no personal field); fails closed.
    func journalledWrite(_ accesses: [AllowedAccess], action: Action, _ r: GateRequest) async throws {
        defer { changes.bump() }
        try await watchAccesses(accesses, action: action, discloses: false, r)
        do { try await journal.recordWrite(accesses, action: action, context: context(r)) } catch {
            logger.error("journal append failed: write refused", metadata: ["request": .string(r.requestID)])
            throw GuichetError.unavailable("the change could not be recorded, so it was not made")
        }
    }

    /// Loads a dossier and decides; refuses (404 when the caller may not even read it, 403
    /// when they may read it but not do this) with a journal entry.
    func authorise(_ id: DossierID, _ action: Action, _ r: GateRequest, version: Int? = nil) async throws -> (DossierRecord, Grant) {
        try checkPurpose(r)
        let found: DossierRecord?
        if let version { found = try await store.dossier(id, atVersion: version) } else { found = try await store.dossier(id) }
        return try await authorise(id, found, action, r, version: version)
    }

    /// Decides on a dossier already loaded (nil: not found), as ``authorise(_:_:_:version:)``
    /// does after loading it; the purpose has been checked.
    /// - Parameter breakGlass: whether an open break-glass grant may allow a read the rules
    ///   refuse (not for what answers on someone's behalf: an access request's export).
    func authorise(_ id: DossierID, _ found: DossierRecord?, _ action: Action, _ r: GateRequest, version: Int? = nil,
                   breakGlass: Bool = true) async throws -> (DossierRecord, Grant) {
        guard let record = found else {
            try await refuse(.notFound, reason: "not-found", action: action, dossiers: [id], r)
        }
        let subject = r.principal.subject
        switch policy.decide(subject, action, record.facts, purpose: r.purpose) {
        case .allow(let grant):
            // Retention (Gate+Archive.swift): an erased dossier is not found, an archived one
            // needs an approved archive read.
            if let (error, reason) = try await lifecycleRefusal(record, r, action: action) { try await refuse(error, reason: reason, action: action, dossiers: [id], r) }
            return (record, grant)
        case .deny(let denial):
            if breakGlass, action == .read, version == nil, record.lifecycle == nil,
               let grant = try await breakGlassGrant(record, r) { return (record, grant) }
            let visible = action != .read && policy.decide(subject, .read, record.facts, purpose: r.purpose).grant != nil
            var error: GuichetError = visible ? .forbidden("your role may not do '\(action)' on this dossier") : .notFound
            if denial.reason == .purpose {
                let allowed = policy.purposes(subject, action, type: record.facts.type).joined(separator: ", ")
                error = .forbidden("state why you need this dossier: send the Guichet-Purpose header with an allowed purpose (\(allowed))")
            }
            try await refuse(error, reason: denial.description, action: action, dossiers: [id], r)
        }
    }

    /// Persons of a dossier whose fields the grant reveals.
    func revealedPersons(_ d: DossierRecord, _ readable: Set<String>) -> [PersonID] {
        d.persons.filter { link in readable.contains { $0.hasPrefix(link.role + ".") } }.map(\.person)
    }

    /// Reads one dossier, masked.
    public func read(_ id: DossierID, _ r: GateRequest) async throws -> DossierView {
        try await reveal(id, .read, r)
    }

    /// Reads one kept version of a dossier (admins), masked.
    public func read(_ id: DossierID, version: Int, _ r: GateRequest) async throws -> DossierView {
        try await reveal(id, .versions, r, version: version)
    }

    /// - Parameter only: the persons whose fields may be revealed (nil: all the grant reveals);
    ///   the others are named by their role only, and neither opened nor journalled.
    func reveal(_ id: DossierID, _ action: Action, _ r: GateRequest, version: Int? = nil, breakGlass: Bool = true,
                only: Set<PersonID>? = nil) async throws -> DossierView {
        var (record, grant, personIDs, persons) = try await authoriseWithPersons(id, action, r, version: version, breakGlass: breakGlass)
        if let only {
            personIDs = personIDs.filter(only.contains)
            persons = persons.filter { only.contains($0.key) }
        }
        let exposed = try exposure(record, persons, grant)
        let receipt = try await journalled([AllowedAccess(dossier: id, grant: grant, persons: personIDs,
                                                      fields: exposed.fields, personFields: exposed.personFields)], action: action, r)
        return try open(record, persons: persons, receipt: receipt)
    }

    /// Authorises an action on a dossier and loads the persons whose fields the grant reveals
    /// (their ids, in the dossier's order, and their records).
    /// The current version comes with its persons in one read transaction (issue 18: one trip
    /// to a reader instead of two); only the revealed persons are kept.
    func authoriseWithPersons(_ id: DossierID, _ action: Action, _ r: GateRequest, version: Int?, breakGlass: Bool = true) async throws
        -> (DossierRecord, Grant, [PersonID], [PersonID: PersonRecord]) {
        guard version == nil else {
            let (record, grant) = try await authorise(id, action, r, version: version)
            let ids = revealedPersons(record, grant.readable)
            return (record, grant, ids, try await store.persons(ids))
        }
        try checkPurpose(r)
        let found = try await store.dossierAndPersons(id)
        let (record, grant) = try await authorise(id, found?.0, action, r, breakGlass: breakGlass)
        let ids = revealedPersons(record, grant.readable)
        let revealed = Set(ids)
        return (record, grant, ids, (found?.1 ?? [:]).filter { revealed.contains($0.key) })
    }

    /// Opens what the receipt names for this dossier, and nothing else.
    func open(_ record: DossierRecord, persons: [PersonID: PersonRecord], receipt: AccessReceipt) throws -> DossierView {
        var view = try sealing { try vault.open(record, persons: persons, revealing: receipt.fields[record.id] ?? []) }
        // `persons` holds those the grant may read: an erased one among them is named by role.
        view.erasedRoles = record.persons.filter { link in persons[link.person].map { $0.key == nil } ?? false }.map(\.role)
        return view
    }

    /// What ``GuichetError/unavailable(_:)`` says when a stored row does not open with its
    /// key (changed, swapped or damaged in the database).
    public static let integrityFailure = "stored data failed an integrity check"

    /// Runs vault work; an integrity or key failure becomes a 503 that says nothing of the
    /// data, and a log line that names only the kind of failure.
    func sealing<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch let error as KeyError {
            logger.critical("key failure", metadata: ["error": .string(error.description)])
            throw GuichetError.unavailable("a key needed for this data is not available")
        } catch {
            logger.critical("stored data failed an integrity check")
            throw GuichetError.unavailable(Self.integrityFailure)
        }
    }

    /// The kept versions of a dossier (admins): metadata only, journalled.
    public func versions(_ id: DossierID, _ r: GateRequest) async throws -> [VersionInfo] {
        let (_, grant) = try await authorise(id, .versions, r)
        _ = try await journalled([AllowedAccess(dossier: id, grant: grant, persons: [], fields: [])], action: .versions, r)
        return try await store.versions(of: id)
    }

    /// The field paths (`seeker.lastName`) the caller may search dossiers of a type by, for any
    /// of `purposes` (nil: none stated): what a search form offers (a social-security audit: an
    /// employer was offered every searchable field, and each search by one it may not read was
    /// refused, then counted as a burst of refusals).
    public func searchablePaths(_ r: GateRequest, type: String, purposes: [String?]) -> Set<String> {
        var paths = Set<String>()
        for purpose in purposes { paths.formUnion(policy.searchScope(r.principal.subject, type: type, purpose: purpose).searchable) }
        // A role that declares its search combinations searches by none other: a field in none
        // of them is not offered (secu's surname, since no surname alone is searched).
        if let combos = profile.roles[r.principal.role]?.searchTerms, !combos.isEmpty {
            let named = Set(combos.flatMap { $0 })
            paths = paths.filter { path in path.split(separator: ".").last.map { named.contains(String($0)) } ?? false }
        }
        return paths
    }

    /// Searches dossiers the caller may see, by status and by searchable fields they may read.
    /// - Parameter criteria: field path → value (`child.lastName` → text).
    func searchDossiers(type: String, status: String?, criteria: [String: String], after: DossierID?, limit: Int,
                        _ r: GateRequest) async throws -> SearchPage {
        try checkPurpose(r)
        guard let dossierType = profile.dossierTypes[type] else { throw GuichetError.invalid("unknown dossier type '\(GuichetError.echo(type))'") }
        if let status, !dossierType.workflow.states.contains(status) {
            throw GuichetError.invalid("unknown status (expected one of: \(dossierType.workflow.states.joined(separator: ", ")))")
        }
        guard (1...Self.maxPageSize).contains(limit) else { throw GuichetError.invalid("limit must be from 1 to \(Self.maxPageSize)") }
        let subject = r.principal.subject
        let scope = policy.searchScope(subject, type: type, purpose: r.purpose)
        if scope.isEmpty {
            // A role that searches for some purpose is told which, as a read is.
            let purposes = policy.purposes(subject, .search, type: type)
            if !purposes.isEmpty, r.purpose.map(purposes.contains) != true {
                try await refuse(.forbidden("state why you search these dossiers: send the Guichet-Purpose header with an allowed purpose (\(purposes.joined(separator: ", ")))"),
                                 reason: Denial.Reason.purpose.rawValue, action: .search, dossiers: [], r)
            }
            try await refuse(.forbidden("your role may not search these dossiers"), reason: "no-rule", action: .search, dossiers: [], r)
        }
        var terms: [(role: String, field: String, term: String)] = []
        // What the role may search by: the fields its rules let it read and search, within its
        // declared combinations, and the combinations it can use whole (a controls audit: secu's
        // employer was told "insured.lastName", which no combination of its takes, and "cin",
        // which it may not read).
        // Both are worked out only for a refusal's message: a search that is answered does not
        // pay for them.
        func combos() -> [[String]] {
            (profile.roles[subject.role]?.searchTerms ?? []).filter { combo in
                combo.allSatisfy { name in scope.searchable.contains { $0.hasSuffix("." + name) } }
            }
        }
        for (path, raw) in criteria.sorted(by: { $0.key < $1.key }) {
            guard scope.searchable.contains(path), let dot = path.firstIndex(of: ".") else {
                let offered = searchablePaths(r, type: type, purposes: [r.purpose]).sorted()
                throw GuichetError.invalid("you cannot search by '\(GuichetError.echo(path))' (you may search by: \(offered.joined(separator: ", ")))")
            }
            let role = String(path[..<dot]), name = String(path[path.index(after: dot)...])
            guard let spec = profile.personField(name) else { throw GuichetError.invalid("unknown field '\(GuichetError.echo(path))'") }
            let value = try FieldValidation.value(.string(raw), for: spec, path: path)
            terms.append((role, name, try sealing { try vault.blindIndex(field: name, term: FieldValidation.term(value, type: spec.type)) }))
        }
        if !criteria.isEmpty, let declared = profile.roles[subject.role]?.searchTerms, !declared.isEmpty {
            let names = Set(criteria.keys.map { $0.split(separator: ".").last.map(String.init) ?? $0 })
            guard declared.contains(where: { Set($0).isSubset(of: names) }) else {
                throw GuichetError.invalid("search by one of: \(combos().map { $0.joined(separator: " + ") }.joined(separator: "; "))")
            }
        }
        var filters: [ScopeFilter] = []
        for relation in scope.relations {
            switch relation {
            case .any: filters.append(.any)
            case .linkedPerson: if let p = subject.person { filters.append(.linkedPerson(p, roles: scope.linkRoles)) }
            case .partner: if let o = subject.organisation { filters.append(.partner(o)) }
            case .organisation: if let o = subject.organisation { filters.append(.organisation(o)) }
            case .assigned: filters.append(.assigned(subject.account))
            case .territory: if let t = subject.territory { filters.append(.territory(t)) }
            }
        }
        // The store's scope is coarser than the policy (a daycare's scope holds the withdrawn
        // applications the policy hides from it): pages are filled from further batches, and
        // the cursor is the last dossier looked at, permuted under a key (ListingCursor), so
        // that neither a page's end nor its cursor shows what the caller may not see.
        // A full page looks for one more dossier the caller may list (never returned nor
        // journalled): without one the page is the last, and says so (`next` nil). A page that
        // ended the results exactly offered a next page, which came empty (pages audit F11).
        var position = try after.map { try ListingCursor.position($0, key: cursorKey()) }
        var kept: [Listable] = []
        var last: DossierID?
        var scanned = 0, exhausted = false, more = false
        scan: while scanned < Self.maxListingScan {
            let batch = kept.isEmpty && scanned == 0 ? limit + 1 : max(limit + 1, 100)
            let ids = try await store.search(DossierQuery(type: type, status: status, scope: filters, terms: terms, after: position, limit: batch))
            scanned += ids.count
            let allowed = Dictionary(try await listable(ids, r).map { ($0.record.id, $0) }, uniquingKeysWith: { a, _ in a })
            for id in ids {
                if let a = allowed[id] {
                    if kept.count == limit { more = true; break scan }
                    kept.append(a)
                }
                last = id
            }
            if ids.count < batch { exhausted = true; break }
            position = ids.last
        }
        // After the page's last dossier when another follows; at the end of the results none;
        // after the last one looked at when the scan stopped short (the next page goes on).
        let next = more ? try kept.last.map { try ListingCursor.cursor($0.record.id, key: cursorKey()) }
            : exhausted ? nil : try last.map { try ListingCursor.cursor($0, key: cursorKey()) }
        return SearchPage(views: try await summaries(kept, r), next: next)
    }

    /// How many dossiers one listing request looks at, at most, to fill its page.
    static let maxListingScan = 2_000

    func cursorKey() throws -> SymmetricKey { try sealing { try vault.derivedKey(purpose: "listing cursor") } }

    /// A dossier the policy lets the caller list, with its grant and the persons it reveals.
    typealias Listable = (record: DossierRecord, grant: Grant, persons: [PersonID])

    /// Those of `ids` the policy lets the caller search (archived and erased ones are never
    /// listed: Gate+Archive.swift), in the order given.
    func listable(_ ids: [DossierID], _ r: GateRequest) async throws -> [Listable] {
        let subject = r.principal.subject
        var allowed: [Listable] = []
        for record in try await store.dossiers(ids) where record.lifecycle == nil {
            guard let grant = policy.decide(subject, .search, record.facts, purpose: r.purpose).grant else { continue }
            allowed.append((record, grant, revealedPersons(record, grant.readable)))
        }
        return allowed
    }

    /// The summaries of listed dossiers (a search, a waiting list), in the order given: those
    /// the policy lets the caller search, journalled and seen by the watch as a search.
    func summaries(_ ids: [DossierID], _ r: GateRequest) async throws -> [DossierView] {
        try await summaries(try await listable(ids, r), r)
    }

    func summaries(_ allowed: [Listable], _ r: GateRequest) async throws -> [DossierView] {
        let persons = try await store.persons(allowed.flatMap(\.persons))
        let accesses = try allowed.map { a in
            let exposed = try exposure(a.record, persons, a.grant)
            return AllowedAccess(dossier: a.record.id, grant: a.grant, persons: a.persons, fields: exposed.fields,
                                 personFields: exposed.personFields)
        }
        let kept = allowed.map(\.record)
        let receipt = try await journalled(accesses, action: .search, listed: Dictionary(kept.map { ($0.id, $0.persons.map(\.person)) }) { a, _ in a }, r)
        return try kept.map { try open($0, persons: persons, receipt: receipt) }
    }
}

extension AllowedAccess {
    /// The access a grant allows, as the journal records it (the grant's rules, whether it
    /// rests on a break-glass record): only the gate turns a decision into an entry.
    init(dossier: DossierID, grant: Grant, persons: [PersonID], fields: [String], personFields: [PersonID: [String]]? = nil) {
        self.init(dossier: dossier, rules: grant.rules, breakGlass: grant.breakGlass != nil, persons: persons, fields: fields,
                  personFields: personFields)
    }
}

/// A number that grows with every change (``Gate/changes``).
public final class ChangeCounter: Sendable {
    private let value = Mutex(0)
    public init() {}
    public var current: Int { value.withLock { $0 } }
    func bump() { value.withLock { $0 += 1 } }
}
