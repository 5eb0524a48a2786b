public import GuichetCore
@_spi(LedgerOnly) public import GuichetStore
public import Foundation
public import GuichetMerkle
public import Crypto
import Synchronization

/// Who is asking, from where and why: the context of every journal entry.
@_spi(GateOnly)
public struct AccessContext: Sendable {
    public let requestID: String
    public let subject: Subject?
    public let session: SessionID?
    public let source: String?
    public let purpose: String?
    public let at: Date
    public init(requestID: String, subject: Subject?, session: SessionID?, source: String?, purpose: String?, at: Date) {
        self.requestID = requestID; self.subject = subject; self.session = session
        self.source = source; self.purpose = purpose; self.at = at
    }
}

/// Proof that allowed accesses were durably journalled. Only this module can make one, and
/// only after the append committed; only the gate sees one (`@_spi(GateOnly)`), and it hands
/// the vault's opening functions (`@_spi(GateOnly)` too) nothing but the field paths a
/// receipt names. So "no entry, no data" holds in the types, not only in a comment.
@_spi(GateOnly)
public struct AccessReceipt: Sendable {
    /// Journal sequence numbers of the entries.
    public let sequences: [Int64]
    /// For each dossier, the field paths that may be revealed.
    public let fields: [DossierID: Set<String>]

    init(sequences: [Int64], fields: [DossierID: Set<String>]) { self.sequences = sequences; self.fields = fields }
}

/// One allowed access to record: a dossier, the ids of the policy rules that allowed it, the
/// persons and field paths it reveals or writes. The journal does not know the policy: the
/// gate, which holds the grant, names its rules here.
@_spi(GateOnly)
public struct AllowedAccess: Sendable {
    public let dossier: DossierID
    /// The rules of the grant (`Grant.rules`), journalled as the entry's reason.
    public let rules: [String]
    /// Whether the grant rests on a break-glass record (journalled as `break-glass:<action>`).
    public let breakGlass: Bool
    public let persons: [PersonID]
    public let fields: [String]
    /// For each person, which of `fields` are theirs; recorded in the entry (`personFields`).
    public let personFields: [PersonID: [String]]?
    public init(dossier: DossierID, rules: [String], breakGlass: Bool, persons: [PersonID], fields: [String],
                personFields: [PersonID: [String]]? = nil) {
        self.dossier = dossier; self.rules = rules; self.breakGlass = breakGlass
        self.persons = persons; self.fields = fields; self.personFields = personFields
    }
}

/// The access journal: append-only, durable before anything is returned, group-committed
/// (concurrent appends share one transaction). The tamper-evident ledger replaces its
/// storage later; its interface stays.
public actor AccessJournal {
    private let store: any LedgerStorage
    private var pending: [([Prepared], CheckedContinuation<[Int64], any Error>)] = []
    private var flushing = false
    private var integrating = false
    /// How many entries wait in the tail for the person, dossier, session and address indexes
    /// (``Store/integrateLedger(limit:)``): counted from the tail when the frontier loads, then
    /// kept by appends and integrations. Integration starts once `integrationBatch` wait, or
    /// when appends pause; appends wait for it beyond `maxWaiting`.
    private var waiting = 0
    /// (Issue 18: at 512, a step of about 600 entries rewrote most pages of the random-keyed
    /// person and dossier indexes, and integration took half of the writer's time under 256
    /// writers; at 4,096 the pages are shared by eight times as many rows.)
    static let integrationBatch = 4_096
    static let maxWaiting = 32_768
    /// Entries per integration step. SQLite writes a step in transactions of about a thousand
    /// entries' worth, each a slice of every index's keys (``Store/integrateLedger(limit:chunk:)``),
    /// so that an append queued behind one waits only a few milliseconds.
    static let integrationStep = 8_192
    /// The right edge of the Merkle tree, so that an append costs O(log n); loaded lazily.
    private var frontier: CompactRange?
    /// The largest size this journal signed: a ledger found shorter was cut in the database,
    /// and signing it would put this server's signature on the cut (an incident audit).
    private var signedUpTo: Int64 = 0
    /// Signs checkpoints; nil where no checkpoint is ever issued (tests of the gate alone).
    private let signer: NoteSigner?
    /// The checkpoint origin line (C2SP tlog-checkpoint).
    public let origin: String
    /// Tags source addresses in entries (``SourceTag``); nil writes the address itself.
    private let sourceKey: SymmetricKey?
    /// Tags of recently seen source addresses (``sourceTag(_:)``), at most 4,096.
    private let recentTags = Mutex<[String: String]>([:])

    public init(store: Store, signer: NoteSigner? = nil, origin: String = "guichet.local/ledger", sourceKey: SymmetricKey? = nil) {
        self.init(storage: store, signer: signer, origin: origin, sourceKey: sourceKey)
    }

    /// A journal over any back-end's ledger storage (``LedgerStorage``).
    @_spi(LedgerOnly)
    public init(storage: any LedgerStorage, signer: NoteSigner? = nil, origin: String = "guichet.local/ledger", sourceKey: SymmetricKey? = nil) {
        self.store = storage; self.signer = signer; self.origin = origin; self.sourceKey = sourceKey
    }

    /// An entry ready to append: its stored row and its leaf hash, computed by the caller's
    /// task so that the journal's one serial path only extends the tree and writes.
    struct Prepared: Sendable {
        let row: LedgerRow
        let leaf: Hash
    }

    /// Records accesses that return fields to the caller and returns the receipt that lets
    /// the vault open them. This is the only way to a receipt, and every entry it writes is
    /// marked `disclosed`: so whatever the vault opens, a breach scope counts, whatever the
    /// route or action's name.
    /// - Throws: when the journal cannot be written; the caller must then return no data.
    @_spi(GateOnly)
    public nonisolated func recordDisclosure(_ accesses: [AllowedAccess], action: Action, context: AccessContext) async throws -> AccessReceipt {
        let seqs = try await append(rows(accesses, action: action, context: context, disclosed: true))
        var fields: [DossierID: Set<String>] = [:]
        for a in accesses { fields[a.dossier, default: []].formUnion(a.fields) }
        return AccessReceipt(sequences: seqs, fields: fields)
    }

    /// Records allowed writes (create, update, transitions, restore): the fields named are
    /// those written, nothing is returned, so no receipt.
    /// - Throws: when the journal cannot be written; the caller must then write nothing.
    @_spi(GateOnly)
    public nonisolated func recordWrite(_ accesses: [AllowedAccess], action: Action, context: AccessContext) async throws {
        _ = try await append(rows(accesses, action: action, context: context, disclosed: false))
    }

    private nonisolated func rows(_ accesses: [AllowedAccess], action: Action, context: AccessContext, disclosed: Bool) -> [JournalRow] {
        accesses.map { a in
            var r = row(context, action: action, allowed: true, reason: a.rules.joined(separator: ","),
                        dossiers: [a.dossier], persons: a.persons, fields: a.fields,
                        name: a.breakGlass ? "break-glass:\(action)" : nil)
            r.personFields = a.personFields
            r.disclosed = disclosed && !a.fields.isEmpty
            return r
        }
    }

    /// Records a write that has no grant to show (a citizen registering their own person
    /// before any account exists). Reveals nothing, so returns no receipt.
    @_spi(GateOnly)
    public nonisolated func recordUnauthenticatedWrite(_ reason: String, action: Action, persons: [PersonID], fields: [String],
                                           context: AccessContext) async throws {
        _ = try await append([row(context, action: action, allowed: true, reason: reason, dossiers: [], persons: persons, fields: fields)])
    }

    /// Records an act of the system itself (crypto-shredding, key rotation) on subjects.
    /// - Returns: the entry's index in the ledger (what an erasure receipt cites).
    @_spi(GateOnly) @discardableResult
    public nonisolated func recordSystemEvent(_ name: String, reason: String, persons: [PersonID], dossiers: [DossierID],
                                  context: AccessContext) async throws -> Int64 {
        try await append([JournalRow(at: context.at, requestID: context.requestID, account: context.subject?.account,
                                         role: context.subject?.role, organisation: context.subject?.organisation,
                                         session: context.session, source: context.source, action: name, allowed: true,
                                         reason: reason, purpose: context.purpose, dossiers: dossiers, persons: persons, fields: [])])[0]
    }

    /// Records a citizen's read of their own person when no file links it any more (retention
    /// erased the last; the person is kept with the account): one entry naming the person and
    /// the fields opened, no dossier, reason `own-person`.
    /// - Throws: when the journal cannot be written; the caller must then return nothing.
    @_spi(GateOnly)
    public nonisolated func recordOwnPersonDisclosure(_ person: PersonID, fields: [String], context: AccessContext) async throws {
        var r = row(context, action: .read, allowed: true, reason: "own-person", dossiers: [], persons: [person], fields: fields)
        r.personFields = [person: fields]
        r.disclosed = !fields.isEmpty
        _ = try await append([r])
    }

    /// Records a refused access (the signal detection needs).
    @_spi(GateOnly)
    public nonisolated func recordDenied(_ reason: String, action: Action, dossiers: [DossierID], context: AccessContext) async throws {
        _ = try await append([row(context, action: action, allowed: false, reason: reason, dossiers: dossiers, persons: [], fields: [])])
    }

    /// - Parameter name: the action as journalled, when it differs from `action` (`break-glass:read`).
    private nonisolated func row(_ c: AccessContext, action: Action, allowed: Bool, reason: String, dossiers: [DossierID],
                     persons: [PersonID], fields: [String], name: String? = nil) -> JournalRow {
        JournalRow(at: c.at, requestID: c.requestID, account: c.subject?.account, role: c.subject?.role,
                   organisation: c.subject?.organisation, session: c.session, source: c.source, action: name ?? action.description,
                   allowed: allowed, reason: reason, purpose: c.purpose, dossiers: dossiers, persons: persons, fields: fields)
    }

    /// Encodes and hashes the entries on the caller's task, then waits for the group commit.
    private nonisolated func append(_ rows: [JournalRow]) async throws -> [Int64] {
        let prepared = rows.map { r in
            let entry = LedgerEntry(r, sourceTag: r.source.flatMap(sourceTag))
            let bytes = entry.canonical()
            return Prepared(row: LedgerRow(entry: bytes, at: r.at, account: r.account, requestID: r.requestID, persons: r.persons,
                                           dossiers: r.dossiers, session: r.session, source: r.source),
                            leaf: MerkleHash.leaf(bytes))
        }
        return try await enqueue(prepared)
    }

    private func enqueue(_ prepared: [Prepared]) async throws -> [Int64] {
        try await withCheckedThrowingContinuation { continuation in
            pending.append((prepared, continuation))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    /// Writes everything pending in one transaction, again while more arrived meanwhile.
    private func flush() async {
        while !pending.isEmpty {
            let batch = pending
            pending = []
            // Back-pressure: appends never run more than `maxWaiting` entries ahead of the
            // indexes, so that the tail every query reads stays small under any load.
            while waiting > Self.maxWaiting, let n = try? await store.integrateLedger(limit: Self.integrationStep), n > 0 { waiting -= n }
            do {
                let seqs = try await commit(batch.flatMap(\.0))
                var offset = 0
                for (rows, continuation) in batch {
                    continuation.resume(returning: Array(seqs[offset..<offset + rows.count]))
                    offset += rows.count
                }
                waiting += seqs.count
            } catch {
                for (_, continuation) in batch { continuation.resume(throwing: error) }
            }
            if waiting >= Self.integrationBatch { startIntegration() }
        }
        flushing = false
        if waiting > 0 { integrateWhenQuiet() }
    }

    /// Counts the flushes, so that a pause can be told from a gap between two appends.
    private var flushes = 0
    /// Whether a quiet-time check is already waiting (one at a time).
    private var quietCheck = false

    /// Integrates what waits once appends have paused for a quarter of a second: a server
    /// under light load does not pay an integration after every append, and an idle one
    /// leaves nothing waiting.
    private func integrateWhenQuiet() {
        flushes += 1
        guard !quietCheck else { return }
        quietCheck = true
        let seen = flushes
        Task {
            try? await Task.sleep(for: .milliseconds(250))
            self.quietFor(seen)
        }
    }

    private func quietFor(_ seen: Int) {
        quietCheck = false
        guard waiting > 0, !integrating, !flushing else { return }  // a flush's end checks again
        if seen == flushes { startIntegration() } else { integrateWhenQuiet() }
    }

    /// Integrates the waiting entries into the person, dossier, session and address indexes
    /// in the background, one batch at a time, until none wait. A failure leaves them waiting
    /// (queries read them all the same) for the next round.
    private func startIntegration() {
        guard !integrating else { return }
        integrating = true
        Task {
            var failed = false
            while true {
                guard let n = try? await store.integrateLedger(limit: Self.integrationStep) else { failed = true; break }
                waiting = max(0, waiting - n)
                // An empty tail: count it again, so that an estimate above the truth does not
                // bring an empty integration back after every pause.
                if n == 0 { waiting = (try? await store.ledgerTailCount()) ?? 0 }
                if n < Self.integrationStep { break }
            }
            integrating = false
            // After a failure, the next append or pause tries again (no loop on a failing disk).
            if !failed && waiting >= Self.integrationBatch { startIntegration() } else if !flushing && waiting > 0 { integrateWhenQuiet() }
        }
    }

    /// Appends entries as Merkle leaves with the subtree hashes they complete, in one
    /// durable transaction; the frontier moves only once the transaction committed.
    private func commit(_ prepared: [Prepared]) async throws -> [Int64] {
        if frontier == nil {
            frontier = try await loadFrontier()
            waiting = try await store.ledgerTailCount()
        }
        guard var next = frontier else { preconditionFailure("loaded just above") }
        let start = Int64(next.size)
        var nodes: [LedgerNode] = []
        nodes.reserveCapacity(prepared.count * 2)
        for p in prepared {
            for n in next.append(p.leaf) {
                nodes.append(LedgerNode(level: Int(n.id.level), index: Int64(n.id.index), hash: n.hash.data))
            }
        }
        let leaves = prepared.map(\.leaf)
        let appended: (start: Int64, rebased: CompactRange?)
        do {
            // Another process may have appended since (a `guichet import` beside the server):
            // the store then rebuilds the right edge from what is stored, under its write lock.
            appended = try await store.appendLedger(start: start, rows: prepared.map(\.row), nodes: nodes) { size, stored in
                try Self.extend(size: size, stored: stored, with: leaves)
            }
        } catch {
            frontier = nil  // a failed write: reload from storage next time
            throw error
        }
        frontier = appended.rebased ?? next
        return (0..<Int64(prepared.count)).map { appended.start + $0 }
    }

    /// The nodes `leaves` complete when appended to a ledger of `size` entries whose subtree
    /// hashes `stored` reads, and the right edge after them.
    private static func extend(size: Int64, stored: ([(level: Int, index: Int64)]) throws -> [LedgerNode],
                               with leaves: [Hash]) throws -> ([LedgerNode], CompactRange) {
        var edge = try rightEdge(size: size, stored: stored)
        var nodes: [LedgerNode] = []
        nodes.reserveCapacity(leaves.count * 2)
        for leaf in leaves {
            for n in edge.append(leaf) { nodes.append(LedgerNode(level: Int(n.id.level), index: Int64(n.id.index), hash: n.hash.data)) }
        }
        return (nodes, edge)
    }

    /// The right edge of a ledger of `size` entries, from its stored subtree hashes.
    private static func rightEdge(size: Int64, stored: ([(level: Int, index: Int64)]) throws -> [LedgerNode]) throws -> CompactRange {
        let ids = CompactRange.nodeIDs(forSize: UInt64(size))
        let nodes = try stored(ids.map { (Int($0.level), Int64($0.index)) })
        guard nodes.count == ids.count else { throw LedgerError.corrupt("a subtree hash of the ledger's right edge is missing") }
        do { return try CompactRange(size: UInt64(size), hashes: try nodes.map { try Hash(bytes: $0.hash) }) } catch {
            throw LedgerError.corrupt("the ledger's right edge does not load")
        }
    }

    /// The keyed tag of a source address (nil without a source key), from the tags of recent
    /// addresses kept in memory: a busy server sees the same few addresses again and again,
    /// and the HMAC was a tenth of an append's own work (issue 18).
    private nonisolated func sourceTag(_ source: String) -> String? {
        guard let sourceKey else { return nil }
        if let tag = recentTags.withLock({ $0[source] }) { return tag }
        let tag = SourceTag.make(source, key: sourceKey)
        recentTags.withLock { tags in
            if tags.count >= 4_096 { tags.removeAll(keepingCapacity: true) }
            tags[source] = tag
        }
        return tag
    }

    private func loadFrontier() async throws -> CompactRange {
        let size = try await store.ledgerSize()
        let ids = CompactRange.nodeIDs(forSize: UInt64(size))
        let nodes = try await store.ledgerNodes(ids.map { (Int($0.level), Int64($0.index)) })
        return try Self.rightEdge(size: size) { _ in nodes }
    }

    /// When the first entry past the first `size` was appended, by any process; nil when the
    /// stored ledger holds `size` entries or fewer (what `/readyz` compares a checkpoint with:
    /// this journal's own edge lags behind the appends of the database's other servers).
    public func firstEntryTime(after size: Int64) async throws -> Date? {
        try await store.ledgerEntryTime(size)
    }

    /// The current size and root hash.
    public func head() async throws -> (size: Int64, root: Hash) {
        if frontier == nil { frontier = try await loadFrontier() }
        guard let f = frontier else { preconditionFailure("loaded just above") }
        return (Int64(f.size), f.rootHash)
    }

    /// Signs and stores a checkpoint of the ledger as it is now (on schedule and on demand).
    /// - Returns: the signed note.
    @discardableResult
    public func checkpoint(at: Date) async throws -> String {
        guard let signer else { throw LedgerError.noSigner }
        // Entries another process appended (a `guichet import` beside the server) are signed
        // too: the edge is reloaded when the stored ledger is longer than this journal's.
        if !flushing, let f = frontier, try await store.ledgerSize() != Int64(f.size), !flushing { frontier = try await loadFrontier() }
        let (size, root) = try await head()
        guard size >= signedUpTo else {
            throw LedgerError.corrupt("the ledger holds \(size) entries, fewer than the \(signedUpTo) this server signed: entries were removed from the database; run 'guichet ledger verify'")
        }
        let note = try signer.sign(try Checkpoint(origin: origin, size: UInt64(size), rootHash: root))
        try await store.insertCheckpoint(size: size, root: root.data, note: note, at: at)
        signedUpTo = size
        return note
    }
}

/// Ledger failures. A failed proof or signature is never a partial answer.
public enum LedgerError: Error, Sendable, Equatable, CustomStringConvertible {
    case corrupt(String)
    case noSigner
    case notFound
    public var description: String {
        switch self {
        case .corrupt(let m): "the ledger is damaged: \(m)"
        case .noSigner: "no checkpoint signing key is configured"
        case .notFound: "no such ledger entry or checkpoint"
        }
    }
}
