public import Foundation
public import GuichetCore
public import GuichetStore
import GuichetVault

/// What the gate needs of a database besides the ledger (which only its journal writes,
/// ``LedgerStorage``): dossiers and persons, their versions and search terms, data keys,
/// lifecycle and kept fields, break-glass records, requests awaiting approval, exports,
/// federated identities, provisioning, caseloads, statistics, notices, and the accounts it
/// reads.
///
/// Owned by the gate, so that a back-end implements it without the gate knowing its SQL
/// (issue #19, item 1): SQLite's ``Store`` conforms. The gate is the only way to personal
/// data, so whatever implements this protocol is reached through the gate alone. A back-end
/// MUST write a dossier with its persons, versions and terms in one transaction, MUST refuse
/// a person's update whose `expectedVersion` is no longer the stored one, and MUST keep the
/// counted limits (`insert(breakGlass:limit:since:)`) true under concurrency.
public protocol GateStorage: Sendable {
    // MARK: Accounts
    /// The account with this user name.
    func account(username: String) async throws -> AccountRecord?
    /// The account with this id.
    func account(id: AccountID) async throws -> AccountRecord?
    /// All accounts, by user name.
    func accounts() async throws -> [AccountRecord]
    /// The accounts of these roles, by user name (an index: citizens' accounts are not read).
    func accounts(roles: [String]) async throws -> [AccountRecord]

    // MARK: ArchiveRequests
    /// Stores a new archive read request (pending).
    func insertArchiveRequest(id: String, dossier: DossierID, account: AccountID, purpose: String, reference: String, at: Date) async throws
    /// One archive read request.
    func archiveRequest(_ id: String) async throws -> ArchiveRequestRecord?
    /// Approves a pending request by another account. Returns false when it was not pending
    /// or the approver is the requester (the table refuses that too).
    func approveArchiveRequest(_ id: String, by approver: AccountID, at: Date, expires: Date) async throws -> Bool
    /// Whether an approved, unexpired archive read lets this account read this dossier for this purpose.
    func archiveReadApproved(account: AccountID, dossier: DossierID, purpose: String, at: Date) async throws -> Bool
    /// Stores a completed erasure request and its receipt.
    func insertErasureRequest(_ r: ErasureRequestRecord) async throws
    /// An erasure request by id.
    func erasureRequest(_ id: String) async throws -> ErasureRequestRecord?


    // MARK: BreakGlass
    @discardableResult
    /// Stores a new opening, unless the account already made `limit` openings since `since`
    /// (checked and written in one transaction, so concurrent openings cannot both pass).
    /// - Returns: whether the opening was stored.
    func insert(breakGlass r: BreakGlassRecord, limit: Int, since: Date) async throws -> Bool
    /// How many openings an account made since a time.
    func breakGlassCount(account: AccountID, since: Date) async throws -> Int
    /// The opening that lets `account` read `dossier` at `now`, if any (latest expiry first).
    func activeBreakGlass(account: AccountID, dossier: DossierID, at now: Date) async throws -> BreakGlassRecord?
    /// One opening by id.
    func breakGlass(id: String) async throws -> BreakGlassRecord?
    /// Closes the review of an opening; an `unjustified` verdict also ends the access now.
    /// - Throws: ``StoreError/notFound`` when there is no such opening awaiting review.
    func review(breakGlass id: String, verdict: String, by reviewer: AccountID, note: Data, at now: Date) async throws -> BreakGlassRecord

    // MARK: CaseloadRequests
    /// Records a caseload request.
    func insert(caseloadRequest r: CaseloadRequest) async throws
    /// Caseload requests still waiting, oldest first.
    func pendingCaseloadRequests() async throws -> [CaseloadRequest]
    /// Approves a pending caseload request and makes the change, in one transaction. The
    /// database itself refuses an approval by the requester.
    /// - Returns: the request approved.
    /// - Throws: ``StoreError/notFound`` when there is no such pending request, or when a
    ///   dossier to transfer has left `from`'s caseload meanwhile (nothing changes).
    func approve(caseloadRequest id: String, by approver: AccountID, at: Date) async throws -> CaseloadRequest

    // MARK: Claims
    /// Whether a person has an account (a citizen's own).
    func personHasAccount(_ person: PersonID) async throws -> Bool

    // MARK: Dossiers
    /// Stores a new dossier, its new persons, links and partners, and version 1 of each.
    func create(dossier d: DossierRecord, newPersons: [NewPerson], by: AccountID?, change: String) async throws
    /// Stores many dossiers in one transaction (import and synthetic data).
    func importBatch(_ items: [(DossierRecord, [NewPerson])], by: AccountID?) async throws
    /// One dossier with its links, or nil.
    func dossier(_ id: DossierID) async throws -> DossierRecord?
    /// Several dossiers, in the order asked (missing ones left out).
    func dossiers(_ ids: [DossierID]) async throws -> [DossierRecord]
    /// Persons by id.
    func persons(_ ids: [PersonID]) async throws -> [PersonID: PersonRecord]
    /// A dossier and the persons it links, in one read transaction: what a read of one file
    /// needs, for the price of one trip to a reader (issue 18).
    func dossierAndPersons(_ id: DossierID) async throws -> (DossierRecord, [PersonID: PersonRecord])?
    /// Stores a person on their own (a citizen signing up), with version 1.
    func create(person: NewPerson, at: Date) async throws
    /// Dossiers linking a person, with the role of the link.
    func dossierIDs(linking person: PersonID) async throws -> [DossierID]
    @discardableResult
    /// Saves a changed dossier as a new version, if it is still at `d.version`.
    /// - Throws: ``StoreError/versionConflict`` when someone else changed it first.
    /// - Parameter notice: the change is a transition that owes a notice: it goes to the
    ///   notice outbox in the same transaction.
    func update(dossier d: DossierRecord, at: Date, by: AccountID?, change: String, notice: Bool) async throws -> Int
    /// Saves changed person fields as a new version, if still at `expectedVersion`.
    /// - Parameter termFields: the searchable fields whose terms `terms` replaces.
    func update(person id: PersonID, expectedVersion: Int, fields: SealedFields, terms: [PersonTerm], termFields: Set<String>, at: Date, by: AccountID?, change: String) async throws
    /// The kept versions of a dossier, newest first (metadata only).
    func versions(of id: DossierID) async throws -> [VersionInfo]
    /// The dossier as it was at `version` (same id and metadata, old status, fields and links).
    func dossier(_ id: DossierID, atVersion version: Int) async throws -> DossierRecord?
    /// Dossier ids matching a query, in id order, after the cursor.
    func search(_ q: DossierQuery) async throws -> [DossierID]
    /// The versions of a person's fields, newest first (metadata only): the current one first.
    func personVersions(of id: PersonID) async throws -> [VersionInfo]
    /// A person's sealed fields as they were at `version`, a version a change replaced.
    func personFields(_ id: PersonID, atVersion version: Int) async throws -> SealedFields?
    /// Whether any person carries this search term (a blind index) for this field.
    func personCarries(field: String, term: String) async throws -> Bool

    // MARK: Exports
    /// Records an export and the ids of its canary rows, in one transaction.
    func insertExport(_ e: PartnerExportRecord, canaries: [String]) async throws
    /// The exports whose canary rows are among these row ids.
    func exports(withCanaries rows: [String]) async throws -> [PartnerExportRecord]
    /// The exports an account made, newest first (at most `limit`).
    func exports(account: AccountID, limit: Int) async throws -> [PartnerExportRecord]

    // MARK: Federation
    /// Links a provider's subject to an account.
    /// - Throws: ``StoreError/duplicate(_:)`` when the subject is already linked (to any account).
    func linkFederatedIdentity(issuer: String, subject: String, account: AccountID, at: Date) async throws
    /// Ends a link. - Returns: whether a live link existed.
    func unlinkFederatedIdentity(issuer: String, subject: String, at: Date) async throws -> Bool
    /// The account a provider's subject is linked to, if any.
    func federatedAccount(issuer: String, subject: String) async throws -> AccountID?

    // MARK: ImportRuns
    /// Stores one batch of an import and where the import then stands, in one transaction:
    /// after a crash either the whole batch and its progress are stored, or neither.
    /// - Throws: ``StoreError/duplicate(_:)`` when an id is taken; nothing is stored then.
    func importBatch(_ items: [(DossierRecord, [NewPerson])], by: AccountID?, run: ImportRun) async throws

    // MARK: Kept
    /// The kept fields of a dossier (every erasure that kept some), oldest first, with their
    /// keys (nil once shredded).
    func kept(dossier: DossierID) async throws -> [KeptRecord]
    /// Kept fields whose term is over (`kept_until` at or before `now`) and whose key is live.
    func expiredKept(at now: Date, limit: Int) async throws -> [KeptRecord]
    /// Shreds the keys of kept fields (their term is over). Returns how many were live.
    func shredKept(_ ids: [String], at: Date) async throws -> Int

    // MARK: Keys
    /// How many live data keys each KEK version wraps, and how many subjects are shredded.
    func dataKeyCounts() async throws -> (byVersion: [Int: Int], shredded: Int)
    /// Re-wraps up to `limit` data keys not yet under `version`, in one transaction, with
    /// `rewrap` (the vault's). Returns how many were re-wrapped; 0 means none is left. Each
    /// batch commits on its own, so an interrupted rotation resumes where it stopped, and
    /// readers keep working throughout (both KEK versions stay available until retired).
    func rewrapBatch(to version: Int, limit: Int, _ rewrap: @escaping @Sendable (_ subject: String, WrappedKey) throws -> WrappedKey) async throws -> Int
    /// Crypto-shreds a person: their data key, and with it their search terms (blind indexes
    /// of their names and contacts) and the keyed tag of their birth year, in one transaction,
    /// so that nothing left in the database can still find them by name or count them by age.
    /// Returns false when their key was already shredded (the terms are removed all the same).
    func shred(person: PersonID, at: Date) async throws -> Bool
    /// One live wrapped key, to check at start-up that the key file opens this registry.
    func anyDataKey() async throws -> (subject: String, key: WrappedKey)?
    /// Shredded data keys after `after` in the order of their shredding (time, then subject),
    /// at most `limit`: what a server copies into its erasure list.
    func shreddings(after: Shredding?, limit: Int) async throws -> [Shredding]

    // MARK: Ledger
    /// All checkpoints, oldest first.
    /// The latest signed checkpoint (the largest), read alone.
    func latestCheckpoint() async throws -> StoredCheckpoint?

    // MARK: Lifecycle
    /// The lifecycle mark of a dossier; nil when it was never archived nor erased.
    func lifecycle(_ id: DossierID) async throws -> LifecycleMark?
    /// The lifecycle marks of several dossiers (those that have one).
    func lifecycle(_ ids: [DossierID]) async throws -> [DossierID: LifecycleMark]
    /// Dossiers of a type in a state, last changed at or before `changedBefore`, that the step
    /// has not done yet (an erased dossier is never archived), in order of last change then id,
    /// after `after` (the last candidate of the previous batch). Cost follows the dossiers due
    /// (index `dossier_by_type_status_age`), not the size of the state.
    func retentionCandidates(type: String, state: String, step: RetentionStep, changedBefore: Date, after: RetentionCandidate?, limit: Int) async throws -> [RetentionCandidate]
    /// Of these persons, those that erasing `dossiers` leaves with no dossier that is not
    /// erased, and that no account is linked to (a citizen's own person stays with the account).
    func personsFreed(_ persons: [PersonID], erasing dossiers: Set<DossierID>) async throws -> [PersonID]
    /// Marks dossiers archived (those not archived nor erased yet). Returns how many.
    /// - Parameter rewrapped: data keys re-wrapped under the archive KEK (subject → key),
    ///   stored in the same transaction as the marks (live keys only: a shredded one stays so).
    func archive(_ ids: [DossierID], at: Date, rewrapped: [String: WrappedKey]) async throws -> Int
    /// Of these persons, those that archiving `dossiers` leaves with no dossier that is live
    /// (neither archived nor erased), and that no account is linked to: their data keys go
    /// under the archive KEK with the dossiers.
    func personsArchived(_ persons: [PersonID], archiving dossiers: Set<DossierID>) async throws -> [PersonID]
    /// The live wrapped data keys of these subjects (shredded or unknown ones are absent).
    func wrappedKeys(_ subjects: [String]) async throws -> [String: WrappedKey]
    /// Erases in one transaction: marks the dossiers erased and shreds their data keys, then
    /// shreds the data keys of the persons given (and removes their search terms), each only
    /// if it still has no dossier that is not erased and no account (checked again here).
    /// Returns the persons actually shredded.
    /// - Parameter kept: fields kept for a legal duty, sealed under their own keys, stored in
    ///   the same transaction (erased and kept together, or neither).
    func erase(dossiers: [DossierID], persons: [PersonID], at: Date, kept: [KeptRecord]) async throws -> [PersonID]
    /// Erases one person at their request: shreds their data key and search terms, then marks
    /// erased (and shreds) each of `dossiers` whose every linked person is now shredded.
    /// Returns the dossiers erased.
    /// - Parameter kept: fields kept for a legal duty, stored in the same transaction.
    func erase(person: PersonID, dossiers: [DossierID], at: Date, kept: [KeptRecord]) async throws -> [DossierID]

    // MARK: Notices
    /// Takes up to `limit` notices that are due, and holds them for `lease` seconds so that
    /// another server sharing the database does not send them too.
    func claimDueNotices(now: Date, limit: Int, lease: TimeInterval) async throws -> [PendingNotice]
    /// Records how a notice's attempt ended: `sent`, `superseded` (the dossier moved on
    /// before it could go), `failed` (given up), or `pending` again at `retryAt`.
    func noticeAttempted(_ n: PendingNotice, status: String, retryAt: Date?, at: Date) async throws

    // MARK: Provisioning
    /// Adds a territory.
    /// - Throws: ``StoreError/duplicate(_:)`` when the code exists.
    func insert(territory t: Territory, by: AccountID?, at: Date) async throws
    /// Whether a territory of this code exists.
    func territoryExists(_ code: String) async throws -> Bool
    /// Whether an organisation of this kind and name exists.
    func organisationExists(kind: String, name: String) async throws -> Bool
    /// Notes that the server's command line made this account while provisioning (the watch's
    /// lifecycle detector then looks at its first minutes).
    func markProvisionedOnConsole(_ account: AccountID) async throws
    /// The departure of an account, if its owner left.
    func departure(of account: AccountID) async throws -> Departure?
    /// Puts dossiers in an account's caseload, all or none.
    /// - Returns: the dossiers' previous assignees (nil: none), in the order given.
    /// - Throws: ``StoreError/notFound`` when one of the dossiers does not exist (nothing changes).
    func assignCaseload(_ dossiers: [DossierID], to account: AccountID) async throws -> [AccountID?]
    /// The dossiers in an account's caseload, by id.
    func caseload(of account: AccountID) async throws -> [DossierID]
    /// Moves dossiers from one caseload to another, all or none: every dossier given (or, with
    /// none given, the whole caseload) must be in `from`'s caseload.
    /// - Returns: the dossiers moved.
    /// - Throws: ``StoreError/notFound`` when a dossier given is not in `from`'s caseload.
    func transferCaseload(from: AccountID, to: AccountID, only: [DossierID]?) async throws -> [DossierID]

    // MARK: Ranking
    /// The dossiers of a type in some states that chose an organisation (partner), for a
    /// waiting list or a capacity count. Cost grows with that organisation's dossiers only
    /// (index `dossier_partner_by_organisation`).
    func rankCandidates(type: String, partner: OrganisationID, states: Set<String>) async throws -> [RankCandidate]

    // MARK: Requests
    /// Requests still waiting, oldest first.
    func pendingRequests() async throws -> [AccountRequest]

    // MARK: Statistics
    /// Counts of the dossiers of a type (in `states`, or all), not erased, grouped by two
    /// dimensions read in clear (territory, state, waiting-time band). Personal fields are
    /// never read.
    /// - Returns: (row value, column value) → count, for the non-empty groups.
    /// - Parameter age: the age bands, for a dimension `age`: the band of the birth year of the
    ///   dossier's person of `age.person`, as the age reached in `year` (the year of the count);
    ///   `unknown` without one.
    /// - Parameter yearTags: the keyed tag of each birth year that may count (the store holds
    ///   tags, never years: `person_birth_year`); a tag not among them counts as `unknown`.
    func countTable(type: String, states: [String], rows: StatisticDimension, columns: StatisticDimension, age: AgeBands?, year: Int, yearTags: [String: Int], at now: Date) async throws -> [StatisticPair: Int]
    /// The dossiers of a type in each state (published beside the figures, suppressed with them).
    func countByStatus(type: String) async throws -> [String: Int]

    // MARK: Throttle
    /// Records something the account's owner must be told.
    func addNotice(account: AccountID, kind: String, detail: String, at: Date) async throws

    // MARK: Watch
    /// The keyed tags of honeytoken records.
    func honeytokenTags() async throws -> [Data]
    /// Suspensions, open ones only or all (a reinstatement looks at the account's recent ones).
    func suspensions(openOnly: Bool) async throws -> [Suspension]
    /// Acknowledges an open alert. - Throws: ``StoreError/notFound`` when there is no such open alert.
    func acknowledge(alert id: String, by: AccountID, note: String?, at: Date) async throws -> WatchAlert
    /// Alerts, newest first (open ones only, or all; of one account, or of every one).
    func alerts(openOnly: Bool, account: AccountID?, limit: Int) async throws -> [WatchAlert]
    /// Suspends an account: disabled, every session revoked, its unused claim codes expired,
    /// the suspension recorded, in one transaction. A suspension already open is kept as it is.
    func suspend(account: AccountID, id: String, reason: String, at: Date) async throws

    // MARK: Registry
    /// The database server's clock, when it is another machine's (PostgreSQL); nil for a
    /// database in this process (SQLite), which has this server's clock.
    func databaseClock() async throws -> Date?
    /// A value from the metadata table (profile name, creation time).
    func meta(_ key: String) async throws -> String?
    /// Sets a metadata value.
    func setMeta(_ key: String, _ value: String) async throws
    /// Adds organisations.
    func insert(organisations: [Organisation], at: Date) async throws
    /// One organisation.
    func organisation(_ id: OrganisationID) async throws -> Organisation?
    /// Sets or removes (nil) an organisation's capacity; false when there is no such organisation.
    func setCapacity(of id: OrganisationID, to capacity: Int?) async throws -> Bool

    // MARK: Lists awaiting review
    /// Pending archive read requests, oldest first, at most `limit`.
    func pendingArchiveRequests(limit: Int) async throws -> [ArchiveRequestRecord]
    /// Openings not yet reviewed, oldest first, at most `limit`.
    func pendingBreakGlass(limit: Int) async throws -> [BreakGlassRecord]

    // MARK: Readiness
    /// The folder that holds the database on this machine, whose free space readiness
    /// checks; nil when the database lives on another machine (a database server).
    var localFolder: String? { get }
    /// Proves the database takes a write now (a read-only file, a full disk or a lost lock
    /// fails here before a request does).
    func probeWrite(at: Date) async throws
}

extension GateStorage {
    func create(dossier d: DossierRecord, newPersons: [NewPerson], by: AccountID?) async throws {
        try await create(dossier: d, newPersons: newPersons, by: by, change: "create")
    }
    func exports(account: AccountID) async throws -> [PartnerExportRecord] { try await exports(account: account, limit: 100) }
    func pendingArchiveRequests() async throws -> [ArchiveRequestRecord] { try await pendingArchiveRequests(limit: 100) }
    func pendingBreakGlass() async throws -> [BreakGlassRecord] { try await pendingBreakGlass(limit: 500) }
    func probeWrite() async throws { try await probeWrite(at: Date()) }
}

extension Store: GateStorage {
    public var localFolder: String? { (path as NSString).deletingLastPathComponent }
}

extension GateStorage {
    /// SQLite's database is in this process: it has this server's clock.
    public func databaseClock() async throws -> Date? { nil }
}
