/// Order-independent digests of the ledger's look-up index rows, by index and by bucket of
/// entries: what `guichet ledger verify` compares between the rows the database holds (the
/// account, session, source, person, dossier and time indexes, integrated or waiting in the tail) and
/// the rows the entries themselves name. The Merkle tree covers the entries, not these rows,
/// and a breach scope or a citizen's history finds entries through them: an incident audit
/// deleted an account's rows and the scope came back empty while the tree still verified.
///
/// Each row adds a 128-bit keyed hash of (index, entry, key) to its bucket's sum (wrapping),
/// and counts one: a row deleted, added or changed changes the sum, whatever the order the
/// rows are read in, with a memory of a few words per 65,536 entries.
///
/// The hash is keyed by a ``Key`` drawn at random for each verification, after any tampering
/// happened: a sum of 128-bit values under a public hash could be balanced by rows chosen for
/// it (a generalised birthday search over many added rows finds such a set far faster than
/// 2^128 tries), but rows written before the key exists cannot be chosen against it. With
/// the key unknown, the hash is two SipHash-1-3 (Swift's `Hasher`, itself seeded at random per
/// process) over the key and the row: a third of SHA-256's time per row, which is most of a
/// verification's second pass. Both sides of one comparison are computed in one process with
/// one key; a digest is never stored.
public struct LedgerIndexDigest: Sendable, Equatable {
    /// Entries per bucket: a mismatch is named to this precision.
    public static let bucket: Int64 = 65_536

    /// The indexes, as their rows are named.
    public enum Index: Int, Sendable, CaseIterable {
        /// Account and time.
        case account
        /// Session and time.
        case session
        case person
        case dossier
        /// The entry's time.
        case time
        /// Whether the entry has a source address (kept in the source index, beside the
        /// entry's keyed tag of it): one row at the entry's time, whatever the address.
        case source

        public var name: String {
            switch self {
            case .account: "account"
            case .session: "session"
            case .person: "person"
            case .dossier: "dossier"
            case .time: "time"
            case .source: "source"
            }
        }
    }

    /// The names of ``Index``, in order.
    public static let indexes = Index.allCases.map(\.name)

    /// The secret of one comparison: both digests compared must be made with the same key.
    public struct Key: Sendable, Equatable {
        let first: UInt64, second: UInt64
        /// A fresh key from the system's random source.
        public static func random() -> Key {
            var g = SystemRandomNumberGenerator()
            return Key(first: g.next(), second: g.next())
        }
    }

    public struct Sum: Sendable, Equatable {
        public var low: UInt64 = 0, high: UInt64 = 0, rows = 0

        mutating func add(_ low: UInt64, _ high: UInt64, rows: Int) {
            self.low &+= low; self.high &+= high; self.rows += rows
        }
    }

    public let key: Key
    /// Per ``Index`` (by raw value): bucket (entry index ÷ ``bucket``) → sum.
    public private(set) var sums: [[Int64: Sum]] = Array(repeating: [:], count: Index.allCases.count)

    public init(key: Key) { self.key = key }

    /// Adds one row of index `index` for entry `entry`: its key is an id (none for the time
    /// index) and, for the account, session and time indexes, the entry's time in milliseconds.
    public mutating func add(_ index: Index, entry: Int64, id: String = "", at: Int64? = nil) {
        var id = id
        let (low, high) = id.withUTF8 { bytes in
            (Self.hash(key.first, index, entry, bytes, at), Self.hash(key.second, index, entry, bytes, at))
        }
        let b = entry >= 0 ? entry / Self.bucket : -1
        sums[index.rawValue][b, default: Sum()].add(low, high, rows: 1)
    }

    /// One SipHash-1-3 of a row under one half of the key (every part length-delimited or of
    /// fixed size, so two different rows never hash the same input).
    @inline(__always)
    static func hash(_ seed: UInt64, _ index: Index, _ entry: Int64, _ id: UnsafeBufferPointer<UInt8>, _ at: Int64?) -> UInt64 {
        var h = Hasher()
        h.combine(seed)
        h.combine(index.rawValue)
        h.combine(entry)
        h.combine(id.count)
        h.combine(bytes: UnsafeRawBufferPointer(id))
        h.combine(at != nil)
        h.combine(at ?? 0)
        return UInt64(bitPattern: Int64(h.finalize()))
    }

    /// The rows an entry names: its account and session (each with the entry's time), its
    /// source (whether it has one), each person and each dossier once, and its time.
    public mutating func addEntry(_ entry: Int64, at: Int64, account: String?, session: String?, source: Bool = false,
                                  persons: [String], dossiers: [String]) {
        if let account { add(.account, entry: entry, id: account, at: at) }
        if let session { add(.session, entry: entry, id: session, at: at) }
        if source { add(.source, entry: entry, at: at) }
        for p in Self.once(persons) { add(.person, entry: entry, id: p) }
        for d in Self.once(dossiers) { add(.dossier, entry: entry, id: d) }
        add(.time, entry: entry, at: at)
    }

    /// Each value once (a short list: no set built for one or two ids).
    public static func once(_ list: [String]) -> [String] {
        list.count < 2 ? list : Array(Set(list))
    }

    /// Adds another digest's rows (batches computed apart, with the same key).
    public mutating func merge(_ other: LedgerIndexDigest) {
        precondition(other.key == key, "digests of one comparison share their key")
        for (i, buckets) in other.sums.enumerated() {
            for (b, s) in buckets {
                sums[i][b, default: Sum()].add(s.low, s.high, rows: s.rows)
            }
        }
    }

    /// The first index and range of entries where the two digests differ, with both counts of
    /// rows; nil when they agree.
    public func firstDifference(from other: LedgerIndexDigest) -> (index: String, entries: Range<Int64>, rows: Int, expected: Int)? {
        precondition(other.key == key, "digests of one comparison share their key")
        for index in Index.allCases {
            let mine = sums[index.rawValue], theirs = other.sums[index.rawValue]
            for b in Set(mine.keys).union(theirs.keys).sorted() where mine[b] != theirs[b] {
                return (index.name, b * Self.bucket ..< (b + 1) * Self.bucket, mine[b]?.rows ?? 0, theirs[b]?.rows ?? 0)
            }
        }
        return nil
    }
}
