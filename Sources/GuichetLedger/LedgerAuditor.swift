public import GuichetCore
public import GuichetStore
public import GuichetMerkle
public import Foundation
public import Crypto

/// Reads the stored tree for proofs: subtree hashes are stored, so proofs read O(log² n) nodes.
/// Only exists inside ``Store/withLedgerNodes(_:)``, on a reader thread of the database: proof
/// generation never blocks a Swift concurrency thread.
struct StoredTree: LeafHashSource {
    let nodes: LedgerNodeReader
    func leafHashes(_ range: Range<UInt64>) throws -> [Hash] {
        try range.map { i in
            guard let h = try nodes.hash(level: 0, index: Int64(i)) else { throw LedgerError.corrupt("leaf \(i) has no stored hash") }
            return try Hash(bytes: h)
        }
    }
    func storedHash(of node: NodeID) throws -> Hash? {
        try nodes.hash(level: Int(node.level), index: Int64(node.index)).map { try Hash(bytes: $0) }
    }
}

/// What a full verification of the ledger reads from a database: its size, the signed
/// checkpoints, the entries of an index range (hashed where the database holds them), and the
/// stored subtree hashes of one level. Reads only, so not an SPI: SQLite's ``Store`` and
/// PostgreSQL's ledger conform, and ``LedgerAuditor/verify(_:verifier:origin:batchSize:progressStep:progress:)``
/// checks either the same way.
public protocol LedgerVerifying: Sendable {
    /// The number of entries in the ledger.
    func ledgerSize() async throws -> Int64
    /// Every signed checkpoint, smallest first.
    func checkpoints() async throws -> [StoredCheckpoint]
    /// What `body` makes of each entry of an index range, in index order (a missing entry is
    /// left out, so that verification names it). The bytes may be the database's own buffer:
    /// valid only during the call.
    func ledgerEntries<T: Sendable>(_ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) async throws -> [(index: Int64, value: T)]
    /// The stored subtree hashes of one level in an index range, in index order.
    func ledgerNodes(level: Int, _ range: Range<Int64>) async throws -> [LedgerNode]
    /// What `body` makes of each stored subtree hash of one level in an index range, in index
    /// order, given the bytes where the database holds them (verification reads one or two per
    /// entry: SQLite's ``Store`` does not copy them).
    func ledgerNodes<T: Sendable>(level: Int, _ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) async throws -> [(index: Int64, value: T)]
    /// The digest of the look-up index rows the database holds for the entries below `size`
    /// (account, session, person, dossier and time; integrated or waiting in the tail), read
    /// in one snapshot.
    func ledgerIndexDigest(below size: Int64, key: LedgerIndexDigest.Key) async throws -> LedgerIndexDigest
}

extension LedgerVerifying {
    public func ledgerNodes<T: Sendable>(level: Int, _ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) async throws -> [(index: Int64, value: T)] {
        try await ledgerNodes(level: level, range).map { ($0.index, $0.hash.withUnsafeBytes(body)) }
    }
}

extension Store: LedgerVerifying {}

/// What `verify` found: nothing, or the first place that does not match.
public struct LedgerReport: Sendable, Equatable {
    public let entries: Int64
    public let checkpoints: Int
    /// nil when everything matched.
    public let problem: String?
}

/// Proofs and full verification of the ledger (RFC 9162 §2.1.3, §2.1.4; C2SP checkpoints).
public struct LedgerAuditor: Sendable {
    let store: any LedgerProving
    public let verifier: NoteVerifier
    public let origin: String
    /// Checks the source addresses kept beside entries against the tags the entries carry.
    let sourceKey: SymmetricKey?

    public init(store: any LedgerProving, verifier: NoteVerifier, origin: String, sourceKey: SymmetricKey? = nil) {
        self.store = store; self.verifier = verifier; self.origin = origin; self.sourceKey = sourceKey
    }

    /// The latest signed checkpoint, verified.
    public func latestCheckpoint() async throws -> (note: String, checkpoint: Checkpoint)? {
        guard let last = try await store.latestCheckpoint() else { return nil }
        return (last.note, try verifier.verifyCheckpoint(last.note, origin: origin))
    }

    /// An entry and its inclusion proof in the tree of `size` entries.
    public func inclusion(index: Int64, size: Int64) async throws -> (entry: Data, proof: InclusionProof) {
        guard index >= 0, index < size, size <= (try await store.ledgerSize()),
              let entry = try await store.ledgerEntries([index]).first?.entry else { throw LedgerError.notFound }
        guard let proof = try await store.inclusionProofs([index], size: size).first else { throw LedgerError.notFound }
        return (entry, proof)
    }

    /// A proof that the tree of `old` entries is a prefix of the tree of `new` entries.
    public func consistency(old: Int64, new: Int64) async throws -> ConsistencyProof {
        guard old >= 0, old <= new, new <= (try await store.ledgerSize()) else { throw LedgerError.notFound }
        return try await store.consistencyProof(old: old, new: new)
    }

    /// Recomputes the whole tree from the stored entries, checks every stored hash and every
    /// signed checkpoint, and names the first thing that does not match: a modified, deleted,
    /// inserted or reordered entry, or a forged checkpoint. Entries are read and checked in
    /// batches of `batchSize` rounded down to a power of two, two batches per core at a time
    /// (the default suits every size; tests use small ones to cross batch boundaries).
    /// `progress` gets the entries checked so far and the total, each time the count passes
    /// a multiple of `progressStep`, and at the end.
    /// - Parameter kept: signed checkpoints kept outside the database (a witness's copy of
    ///   `GET /v1/ledger/checkpoint`, the SIEM's), checked as the stored ones are: an intruder
    ///   who cuts the ledger short and deletes the stored checkpoints that covered the end
    ///   cannot delete these (an incident audit).
    public func verify(batchSize: Int64 = 4_096, progressStep: Int64 = 100_000, kept: [String] = [],
                       progress: @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> LedgerReport {
        try await Self.verify(store, verifier: verifier, origin: origin, batchSize: batchSize, progressStep: progressStep, kept: kept, progress: progress)
    }

    /// ``verify(batchSize:progressStep:progress:)`` on any database's ledger (SQLite's, PostgreSQL's).
    public static func verify(_ store: any LedgerVerifying, verifier: NoteVerifier, origin: String, batchSize: Int64 = 4_096,
                              progressStep: Int64 = 100_000, kept: [String] = [],
                              progress: @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> LedgerReport {
        precondition(batchSize > 0, "a verification batch holds at least one entry")
        precondition(progressStep > 0, "progress is reported every so many entries, at least one")
        let size = try await store.ledgerSize()
        let stored = try await store.checkpoints()
        var checkpoints: [Int64: Hash] = [:]
        for c in stored {
            guard let cp = try? verifier.verifyCheckpoint(c.note, origin: origin), Int64(cp.size) == c.size, cp.rootHash.data == c.root else {
                return LedgerReport(entries: size, checkpoints: stored.count, problem: "the checkpoint of size \(c.size) is forged: its signature or content does not verify")
            }
            checkpoints[c.size] = cp.rootHash
        }
        for note in kept {
            guard let cp = try? verifier.verifyCheckpoint(note, origin: origin) else {
                return LedgerReport(entries: size, checkpoints: stored.count,
                                    problem: "a checkpoint kept outside the database does not verify: it was not signed by this ledger's keys, or is not a checkpoint of '\(origin)'")
            }
            if let known = checkpoints[Int64(cp.size)], known != cp.rootHash {
                return LedgerReport(entries: size, checkpoints: stored.count,
                                    problem: "the checkpoint of size \(cp.size) kept outside the database and the one stored in it differ: the ledger was rewritten and signed again")
            }
            checkpoints[Int64(cp.size)] = cp.rootHash
        }
        if let largest = checkpoints.keys.max(), largest > size {
            let outside = !stored.contains { $0.size == largest }
            return LedgerReport(entries: size, checkpoints: stored.count,
                                problem: "entries are missing at the end: a checkpoint\(outside ? " kept outside the database" : "") signed \(largest) entries, the ledger has \(size)")
        }
        var frontier = CompactRange()
        var previousCheckpoint: Int64 = 0
        if let root = checkpoints[0], root != frontier.rootHash { return LedgerReport(entries: size, checkpoints: stored.count, problem: "the empty checkpoint is wrong") }
        // Every batch is a perfect subtree of the tree (2^level entries from a multiple of
        // 2^level, the last one possibly shorter), so it is checked whole in a task of its own,
        // on a reader connection of its own: its entries read and hashed, each stored hash
        // inside it compared, the tree's edge noted at each checkpoint it holds. What is left
        // for this task, in order, is one subtree hash per batch: add it to the frontier,
        // compare the larger subtrees it closes, and the checkpoints' roots.
        let level = 63 - batchSize.leadingZeroBitCount
        let width = Int64(1) << level
        let counts = Set(checkpoints.keys)
        let ahead = 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)
        var nextStart: Int64 = 0
        var pending: [Task<VerifyBatch, any Error>] = []
        func refill() {
            while pending.count < ahead, nextStart < size {
                let range = nextStart ..< min(size, nextStart + width)
                pending.append(Task { try await VerifyBatch.check(store, range, checkpoints: counts) })
                nextStart = range.upperBound
            }
        }
        refill()
        defer { for task in pending { task.cancel() } }
        while !pending.isEmpty {
            let batch = try await pending.removeFirst().value
            refill()
            func fail(_ m: String) -> LedgerReport { LedgerReport(entries: size, checkpoints: stored.count, problem: m) }
            // The checkpoints inside the batch come before its first problem, if they cover
            // only entries that passed: the order in which one entry at a time would find them.
            let passed = batch.problem?.entry ?? batch.range.upperBound
            for (count, leaves) in batch.atCheckpoints where count <= passed {
                var tree = frontier
                tree.append(leaves) { _ in }
                guard tree.rootHash == checkpoints[count] else {
                    return fail("entries \(previousCheckpoint) to \(count - 1) do not match the signed checkpoint of size \(count): one of them was changed")
                }
                previousCheckpoint = count
            }
            if let problem = batch.problem { return fail(problem.message) }
            var mismatch: NodeID?
            frontier.append(batch.leaves) { n in
                // The batch compared its own subtrees; the ones above it close here.
                guard mismatch == nil, Int(n.id.level) > level else { return }
                if batch.storedSubtree(level: Int(n.id.level), index: Int64(n.id.index)) != n.hash { mismatch = n.id }
            }
            let last = batch.range.upperBound - 1
            if let id = mismatch { return fail("the subtree \(id) ending at entry \(last) does not match its recorded hash") }
            if let root = checkpoints[batch.range.upperBound] {
                guard root == frontier.rootHash else {
                    return fail("entries \(previousCheckpoint) to \(last) do not match the signed checkpoint of size \(last + 1): one of them was changed")
                }
                previousCheckpoint = last + 1
            }
            if batch.range.upperBound / progressStep != batch.range.lowerBound / progressStep || batch.range.upperBound == size {
                progress(batch.range.upperBound, size)
            }
        }
        return LedgerReport(entries: size, checkpoints: stored.count, problem: nil)
    }
}

extension LedgerAuditor {
    /// ``verifyIndexes(_:size:batchSize:progress:)`` on this auditor's ledger.
    public func verifyIndexes(size: Int64? = nil, batchSize: Int64 = 16_384,
                              progress: @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> LedgerReport {
        try await Self.verifyIndexes(store, size: size, batchSize: batchSize, progress: progress)
    }

    /// Checks the ledger's look-up indexes against its entries: every account, session,
    /// person, dossier and time an entry names has its row, and no row names what its entry
    /// does not; every entry with a source address (or its tag) has one row of the source
    /// index, and no other entry has one (the address itself is checked against the tag by
    /// every scope that reads it: verification holds no key). The tree covers the entries only, and breach scopes and citizens' histories
    /// find entries through these rows: deleting an intruder's rows left the tree whole and
    /// the scope empty (an incident audit). Reads every entry (decoded, two batches per core
    /// at a time) and every index row once; run it after `verify`, which checks the entries.
    /// - Parameter size: the entries checked (default: the whole ledger at the start).
    /// - Returns: the first index and range of entries that differ, or no problem.
    public static func verifyIndexes(_ store: any LedgerVerifying, size: Int64? = nil, batchSize: Int64 = 16_384,
                                     progress: @Sendable (Int64, Int64) -> Void = { _, _ in }) async throws -> LedgerReport {
        precondition(batchSize > 0, "a verification batch holds at least one entry")
        let size = if let size { size } else { try await store.ledgerSize() }
        // A key drawn now, after any tampering: rows cannot have been chosen to balance it.
        let key = LedgerIndexDigest.Key.random()
        // The rows the database holds are read on one reader while the entries are decoded on
        // the others.
        async let heldRows = store.ledgerIndexDigest(below: size, key: key)
        var expected = LedgerIndexDigest(key: key)
        let ahead = 2 * max(1, ProcessInfo.processInfo.activeProcessorCount)
        var nextStart: Int64 = 0
        var pending: [Task<(Range<Int64>, LedgerIndexDigest), any Error>] = []
        func refill() {
            while pending.count < ahead, nextStart < size {
                let range = nextStart ..< min(size, nextStart + batchSize)
                pending.append(Task {
                    let decoded = try await store.ledgerEntries(range) { bytes in IndexedEntry.read(bytes) }
                    var digest = LedgerIndexDigest(key: key)
                    for (index, entry) in decoded {
                        guard let e = entry else { throw LedgerError.corrupt("entry \(index) does not decode") }
                        digest.addEntry(index, at: e.at, account: e.actor.account, session: e.actor.session, source: e.actor.hasSource,
                                        persons: e.persons, dossiers: e.dossiers)
                    }
                    return (range, digest)
                })
                nextStart = range.upperBound
            }
        }
        refill()
        defer { for task in pending { task.cancel() } }
        while !pending.isEmpty {
            let (range, digest) = try await pending.removeFirst().value
            refill()
            expected.merge(digest)
            progress(range.upperBound, size)
        }
        let held = try await heldRows
        guard let d = held.firstDifference(from: expected) else {
            return LedgerReport(entries: size, checkpoints: 0, problem: nil)
        }
        let table = ["account": "ledger_account", "session": "ledger_session", "person": "ledger_person", "dossier": "ledger_dossier",
                     "time": "ledger_entry's time column", "source": "ledger_source"][d.index] ?? d.index
        let last = min(d.entries.upperBound, size) - 1
        return LedgerReport(entries: size, checkpoints: 0,
                            problem: "the \(d.index) index (\(table), or the tail of entries waiting for it) does not match entries \(d.entries.lowerBound) to \(last): "
                                + "it holds \(d.rows) rows where the entries name \(d.expected); rows were deleted, added or changed, so scopes and histories read from it miss or misplace accesses")
    }
}

/// What an entry names for the look-up indexes (the rest of it is not decoded).
struct IndexedEntry: Decodable, Equatable {
    struct Actor: Decodable, Equatable {
        var account: String?; var session: String?
        /// The source address, or its keyed tag (kept beside the entry, in `ledger_source`).
        var source: String? = nil; var sourceTag: String? = nil
        var hasSource: Bool { source != nil || sourceTag != nil }
    }
    var at: Int64
    var actor: Actor
    var persons: [String]
    var dossiers: [String]

    /// Reads an entry's bytes: by ``scan(_:)``, else (an escaped id, a shape it does not
    /// expect) by `JSONDecoder`, which gives the same answer more slowly.
    static func read(_ bytes: UnsafeRawBufferPointer) -> IndexedEntry? {
        if let e = scan(bytes) { return e }
        return try? JSONDecoder().decode(IndexedEntry.self, from: Data(bytes))
    }

    /// A reader of the few keys the indexes need, over the entry's bytes in place: decoding
    /// every entry with `JSONDecoder` was most of a verification's second pass (14.6 s for a
    /// million entries against 1.96 s for the tree's pass). It walks any JSON object (strings
    /// with escapes, numbers, nesting) and gives up, returning nil, rather than guess: on an
    /// escape inside a value it keeps, on a missing key, or on anything it does not expect.
    static func scan(_ bytes: UnsafeRawBufferPointer) -> IndexedEntry? {
        var s = EntryScanner(bytes: bytes)
        var at: Int64?, actor: Actor?, persons: [String]?, dossiers: [String]?
        guard s.take(UInt8(ascii: "{")) else { return nil }
        if !s.take(UInt8(ascii: "}")) {
            repeat {
                guard let key = s.plainString(), s.take(UInt8(ascii: ":")) else { return nil }
                switch key {
                case "at": guard let n = s.integer() else { return nil }; at = n
                case "actor":
                    var account: String?, session: String?, source: String?, sourceTag: String?
                    guard s.take(UInt8(ascii: "{")) else { return nil }
                    if !s.take(UInt8(ascii: "}")) {
                        repeat {
                            guard let k = s.plainString(), s.take(UInt8(ascii: ":")) else { return nil }
                            switch k {
                            case "account": guard let v = s.optionalString() else { return nil }; account = v
                            case "session": guard let v = s.optionalString() else { return nil }; session = v
                            case "source": guard let v = s.optionalString() else { return nil }; source = v
                            case "sourceTag": guard let v = s.optionalString() else { return nil }; sourceTag = v
                            default: guard s.skipValue() else { return nil }
                            }
                        } while s.take(UInt8(ascii: ","))
                        guard s.take(UInt8(ascii: "}")) else { return nil }
                    }
                    actor = Actor(account: account, session: session, source: source, sourceTag: sourceTag)
                case "persons": guard let v = s.strings() else { return nil }; persons = v
                case "dossiers": guard let v = s.strings() else { return nil }; dossiers = v
                default: guard s.skipValue() else { return nil }
                }
            } while s.take(UInt8(ascii: ","))
            guard s.take(UInt8(ascii: "}")) else { return nil }
        }
        s.space()
        guard s.at == bytes.count, let at, let actor, let persons, let dossiers else { return nil }
        return IndexedEntry(at: at, actor: actor, persons: persons, dossiers: dossiers)
    }
}

/// The cursor of ``IndexedEntry/scan(_:)``.
private struct EntryScanner {
    let bytes: UnsafeRawBufferPointer
    var at = 0
    var depth = 0

    mutating func space() {
        while at < bytes.count, bytes[at] == 0x20 || bytes[at] == 0x0A || bytes[at] == 0x0D || bytes[at] == 0x09 { at += 1 }
    }

    /// Takes `byte` after any space.
    mutating func take(_ byte: UInt8) -> Bool {
        space()
        guard at < bytes.count, bytes[at] == byte else { return false }
        at += 1
        return true
    }

    /// A string without escapes (nil for one with, or for anything else).
    mutating func plainString() -> String? {
        guard take(UInt8(ascii: "\"")) else { return nil }
        let start = at
        while at < bytes.count {
            switch bytes[at] {
            case UInt8(ascii: "\""):
                let text = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<at]), as: UTF8.self)
                at += 1
                return text
            case UInt8(ascii: "\\"), 0..<0x20: return nil
            default: at += 1
            }
        }
        return nil
    }

    /// A plain string or null: .some(nil) for null, nil when neither.
    mutating func optionalString() -> String?? {
        space()
        if at + 4 <= bytes.count, bytes[at] == UInt8(ascii: "n"), bytes[at + 1] == UInt8(ascii: "u"), bytes[at + 2] == UInt8(ascii: "l"),
           bytes[at + 3] == UInt8(ascii: "l") {
            at += 4
            return .some(nil)
        }
        return plainString().map { .some($0) }
    }

    /// An array of plain strings.
    mutating func strings() -> [String]? {
        guard take(UInt8(ascii: "[")) else { return nil }
        var out: [String] = []
        if take(UInt8(ascii: "]")) { return out }
        repeat {
            guard let v = plainString() else { return nil }
            out.append(v)
        } while take(UInt8(ascii: ","))
        return take(UInt8(ascii: "]")) ? out : nil
    }

    /// An integer written in plain digits (an optional minus), as `JSONDecoder` reads `Int64`.
    mutating func integer() -> Int64? {
        space()
        var negative = false
        if at < bytes.count, bytes[at] == UInt8(ascii: "-") { negative = true; at += 1 }
        let start = at
        var value: Int64 = 0
        while at < bytes.count, (0x30...0x39).contains(bytes[at]) {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (a, o2) = m.addingReportingOverflow(Int64(bytes[at] - 0x30))
            guard !o1, !o2 else { return nil }
            value = a
            at += 1
        }
        guard at > start, at - start == 1 || bytes[start] != 0x30 else { return nil }
        // A fraction or an exponent: left to the decoder.
        if at < bytes.count, bytes[at] == UInt8(ascii: ".") || bytes[at] == UInt8(ascii: "e") || bytes[at] == UInt8(ascii: "E") { return nil }
        return negative ? -value : value
    }

    /// Skips one value of any kind (escaped strings included).
    mutating func skipValue() -> Bool {
        space()
        guard at < bytes.count else { return false }
        switch bytes[at] {
        case UInt8(ascii: "\""):
            at += 1
            while at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: "\""): at += 1; return true
                case UInt8(ascii: "\\"): at += 2
                default: at += 1
                }
            }
            return false
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = bytes[at] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            let object = close == UInt8(ascii: "}")
            depth += 1
            guard depth <= 64 else { return false }
            defer { depth -= 1 }
            at += 1
            if take(close) { return true }
            repeat {
                if object { guard skipValue(), take(UInt8(ascii: ":")) else { return false } }
                guard skipValue() else { return false }
            } while take(UInt8(ascii: ","))
            return take(close)
        default:
            // A number, true, false or null: up to the next delimiter.
            let start = at
            scan: while at < bytes.count {
                switch bytes[at] {
                case UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09: break scan
                default: at += 1
                }
            }
            return at > start
        }
    }
}

/// One batch of stored entries checked by `LedgerAuditor.verify`: a range of 2^k entries
/// starting at a multiple of 2^k (the last batch may be shorter), so a subtree of the tree.
struct VerifyBatch: Sendable {
    let range: Range<Int64>
    /// The batch's entries that passed its checks, as a tree of their own (leaf 0 is the
    /// batch's first entry): every one of them unless there is a `problem`.
    let leaves: CompactRange
    /// The same tree at each checkpoint's size strictly inside the batch, before `problem`.
    let atCheckpoints: [(count: Int64, leaves: CompactRange)]
    /// The first entry that did not pass, and why.
    let problem: (entry: Int64, message: String)?
    /// Per level (index 0 unused), the first node index read and the stored hashes from there;
    /// nil where a node is missing or its stored hash is not 32 bytes long.
    let subtrees: [(first: Int64, hashes: [Hash?])]

    /// The stored hash of a subtree this batch's leaves complete (nil: missing or malformed).
    func storedSubtree(level: Int, index: Int64) -> Hash? {
        Self.lookup(subtrees, level: level, index: index)
    }

    static func lookup(_ subtrees: [(first: Int64, hashes: [Hash?])], level: Int, index: Int64) -> Hash? {
        guard level < subtrees.count else { return nil }
        let (first, hashes) = subtrees[level]
        let i = index - first
        return i >= 0 && i < Int64(hashes.count) ? hashes[Int(i)] : nil
    }

    /// Reads a batch and checks, entry by entry: that it is there, that its bytes hash to its
    /// stored leaf hash, and that the subtrees it completes inside the batch match theirs.
    static func check(_ store: any LedgerVerifying, _ range: Range<Int64>, checkpoints: Set<Int64>) async throws -> VerifyBatch {
        // Each entry's leaf hash, computed on the reading thread from the bytes where SQLite holds them.
        let entries = try await store.ledgerEntries(range) { bytes in MerkleHash.leaf(bytes) }
        let stored = try await store.ledgerNodes(level: 0, range) { Hash(stored: $0) }
        // The subtree hashes these leaves complete, read level by level in one query each
        // (a node of level L and index i is completed by leaf (i + 1) * 2^L - 1).
        var subtrees: [(first: Int64, hashes: [Hash?])] = [(0, [])]
        var level = 1
        while (Int64(1) << level) <= range.upperBound {
            let nodes = (range.lowerBound + 1 + (Int64(1) << level) - 1) >> level - 1 ..< range.upperBound >> level
            var hashes = [Hash?](repeating: nil, count: max(0, nodes.count))
            if !nodes.isEmpty {
                for (index, hash) in try await store.ledgerNodes(level: level, nodes, { Hash(stored: $0) }) where nodes.contains(index) {
                    hashes[Int(index - nodes.lowerBound)] = hash
                }
            }
            subtrees.append((nodes.lowerBound, hashes))
            level += 1
        }
        var leaves = CompactRange()
        var atCheckpoints: [(count: Int64, leaves: CompactRange)] = []
        func problem(_ entry: Int64, _ message: String) -> VerifyBatch {
            VerifyBatch(range: range, leaves: leaves, atCheckpoints: atCheckpoints, problem: (entry, message), subtrees: subtrees)
        }
        let start = UInt64(range.lowerBound)
        for (offset, expected) in range.enumerated() {
            guard offset < entries.count, entries[offset].index == expected else {
                return problem(expected, "entry \(expected) is missing (deleted, or the entries were renumbered)")
            }
            let leaf = entries[offset].value
            guard offset < stored.count, stored[offset].index == expected, stored[offset].value == leaf else {
                return problem(expected, "entry \(expected) does not match its recorded hash (modified, inserted or moved)")
            }
            var mismatch: NodeID?
            leaves.append(leaf) { n in
                guard mismatch == nil, n.id.level > 0 else { return }
                // Node i of level L of the batch's tree is node start / 2^L + i of the ledger's.
                let id = NodeID(level: n.id.level, index: start >> UInt64(n.id.level) + n.id.index)
                if lookup(subtrees, level: Int(id.level), index: Int64(id.index)) != n.hash { mismatch = id }
            }
            if let id = mismatch { return problem(expected, "the subtree \(id) ending at entry \(expected) does not match its recorded hash") }
            if expected + 1 < range.upperBound, checkpoints.contains(expected + 1) { atCheckpoints.append((expected + 1, leaves)) }
        }
        return VerifyBatch(range: range, leaves: leaves, atCheckpoints: atCheckpoints, problem: nil, subtrees: subtrees)
    }
}
