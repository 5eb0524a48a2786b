public import Foundation
import Crypto

/// Order-independent digests of the ledger's look-up index rows, by index and by bucket of
/// entries: what `guichet ledger verify` compares between the rows the database holds (the
/// account, session, person, dossier and time indexes, integrated or waiting in the tail) and
/// the rows the entries themselves name. The Merkle tree covers the entries, not these rows,
/// and a breach scope or a citizen's history finds entries through them: an incident audit
/// deleted an account's rows and the scope came back empty while the tree still verified.
///
/// Each row adds the first 16 bytes of SHA-256(index name, entry, key) to its bucket's sum
/// (wrapping), and counts one: a row deleted, added or changed changes the sum, whatever the
/// order the rows are read in, with a memory of a few words per 65,536 entries.
public struct LedgerIndexDigest: Sendable, Equatable {
    /// Entries per bucket: a mismatch is named to this precision.
    public static let bucket: Int64 = 65_536

    /// The indexes, as their rows are named: `account` (account and time), `session`
    /// (session and time), `person`, `dossier`, `time` (the entry's time).
    public static let indexes = ["account", "session", "person", "dossier", "time"]

    public struct Sum: Sendable, Equatable {
        public var low: UInt64 = 0, high: UInt64 = 0, rows = 0
    }

    /// Index name → bucket (entry index ÷ ``bucket``) → sum.
    public private(set) var sums: [String: [Int64: Sum]] = [:]

    public init() {}

    /// Adds one row of index `index` for entry `entry`, with its key (an id, and for the
    /// account and session indexes the entry's time in milliseconds after an `@`).
    public mutating func add(_ index: String, entry: Int64, key: String) {
        var bytes = Array(index.utf8)
        bytes.append(0)
        withUnsafeBytes(of: entry.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: key.utf8)
        let digest = SHA256.hash(data: bytes)
        var low: UInt64 = 0, high: UInt64 = 0
        digest.withUnsafeBytes { raw in
            for i in 0..<8 { low = low << 8 | UInt64(raw[i]) }
            for i in 8..<16 { high = high << 8 | UInt64(raw[i]) }
        }
        let b = entry / Self.bucket
        var sum = sums[index, default: [:]][b, default: Sum()]
        sum.low &+= low; sum.high &+= high; sum.rows += 1
        sums[index, default: [:]][b] = sum
    }

    /// The rows an entry names: its account and session (each with the entry's time), each
    /// person and each dossier once, and its time.
    public mutating func addEntry(_ entry: Int64, at: Int64, account: String?, session: String?, persons: [String], dossiers: [String]) {
        if let account { add("account", entry: entry, key: "\(account)@\(at)") }
        if let session { add("session", entry: entry, key: "\(session)@\(at)") }
        for p in Set(persons) { add("person", entry: entry, key: p) }
        for d in Set(dossiers) { add("dossier", entry: entry, key: d) }
        add("time", entry: entry, key: String(at))
    }

    /// Adds another digest's rows (batches computed apart).
    public mutating func merge(_ other: LedgerIndexDigest) {
        for (index, buckets) in other.sums {
            for (b, s) in buckets {
                var sum = sums[index, default: [:]][b, default: Sum()]
                sum.low &+= s.low; sum.high &+= s.high; sum.rows += s.rows
                sums[index, default: [:]][b] = sum
            }
        }
    }

    /// The first index and range of entries where the two digests differ, with both counts of
    /// rows; nil when they agree.
    public func firstDifference(from other: LedgerIndexDigest) -> (index: String, entries: Range<Int64>, rows: Int, expected: Int)? {
        for index in Self.indexes {
            let mine = sums[index] ?? [:], theirs = other.sums[index] ?? [:]
            for b in Set(mine.keys).union(theirs.keys).sorted() where mine[b] != theirs[b] {
                return (index, b * Self.bucket ..< (b + 1) * Self.bucket, mine[b]?.rows ?? 0, theirs[b]?.rows ?? 0)
            }
        }
        return nil
    }
}
