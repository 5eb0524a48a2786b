import Foundation
import GuichetLedger
import GuichetMerkle
import GuichetStore
import Synchronization
import Testing
import GuichetCore

/// Verification checks the ledger in batches, each a subtree of the tree checked on a core of
/// its own, and only joins the batches' subtree hashes in order. These tests hold it to the
/// plain definition, one entry at a time, on ledgers kept in memory and rewritten at random:
/// whatever the batch size, it must name the same first problem as that definition.
@Suite("Ledger verification in batches")
struct LedgerVerifyBatchTests {
    static let origin = "guichet.test/ledger"

    /// A ledger as a database holds it (entries, stored subtree hashes by level, signed
    /// checkpoints), for a test to rewrite as an attacker with the database would.
    struct MemoryLedger: LedgerVerifying {
        var entries: [Int64: Data] = [:]
        var nodes: [Int: [Int64: Data]] = [:]
        var signed: [StoredCheckpoint] = []

        init(count: Int, checkpointsAt sizes: Set<Int>, signer: NoteSigner) throws {
            for i in 0..<count { entries[Int64(i)] = Data("{\"entry\":\(i),\"v\":1}".utf8) }
            rebuildNodes()
            var tree = CompactRange()
            for i in 0..<count {
                tree.append(MerkleHash.leaf(entries[Int64(i)]!)) { _ in }
                guard sizes.contains(i + 1) else { continue }
                let checkpoint = try Checkpoint(origin: LedgerVerifyBatchTests.origin, size: UInt64(i + 1), rootHash: tree.rootHash)
                signed.append(StoredCheckpoint(size: Int64(i + 1), root: tree.rootHash.data, note: try signer.sign(checkpoint), at: Date()))
            }
        }

        /// Stores every subtree hash the entries make, as the journal would have: what an
        /// attacker who rewrites entries does to hide it.
        mutating func rebuildNodes() {
            nodes = [:]
            var tree = CompactRange()
            for i in 0..<((entries.keys.max() ?? -1) + 1) {
                guard let entry = entries[i] else { continue }
                tree.append(MerkleHash.leaf(entry)) { n in nodes[Int(n.id.level), default: [:]][Int64(n.id.index)] = n.hash.data }
            }
        }

        func ledgerSize() -> Int64 { (entries.keys.max() ?? -1) + 1 }
        func checkpoints() -> [StoredCheckpoint] { signed }
        /// Its entries name no account, person or dossier: only their times would be indexed.
        func ledgerIndexDigest(below size: Int64, key: LedgerIndexDigest.Key) -> LedgerIndexDigest { LedgerIndexDigest(key: key) }
        func ledgerEntries<T: Sendable>(_ range: Range<Int64>, _ body: @escaping @Sendable (UnsafeRawBufferPointer) -> T) -> [(index: Int64, value: T)] {
            range.compactMap { i in entries[i].map { (i, $0.withUnsafeBytes(body)) } }
        }
        func ledgerNodes(level: Int, _ range: Range<Int64>) -> [LedgerNode] {
            range.compactMap { i in nodes[level]?[i].map { LedgerNode(level: level, index: i, hash: $0) } }
        }
    }

    /// The definition: each entry in index order is there, hashes to its stored leaf hash,
    /// closes subtrees that match their stored hashes (smallest first), and the tree of the
    /// entries so far matches the checkpoint signed at that size.
    static func definition(_ l: MemoryLedger) -> String? {
        let size = l.ledgerSize()
        if let last = l.signed.last, last.size > size {
            return "entries are missing at the end: a checkpoint signed \(last.size) entries, the ledger has \(size)"
        }
        let roots = Dictionary(uniqueKeysWithValues: l.signed.map { ($0.size, $0.root) })
        var tree = CompactRange()
        var previous: Int64 = 0
        for i in 0..<size {
            guard let entry = l.entries[i] else { return "entry \(i) is missing (deleted, or the entries were renumbered)" }
            let leaf = MerkleHash.leaf(entry)
            guard l.nodes[0]?[i] == leaf.data else { return "entry \(i) does not match its recorded hash (modified, inserted or moved)" }
            for n in tree.append(leaf) where n.id.level > 0 && l.nodes[Int(n.id.level)]?[Int64(n.id.index)] != n.hash.data {
                return "the subtree \(n.id) ending at entry \(i) does not match its recorded hash"
            }
            if let root = roots[i + 1] {
                guard root == tree.rootHash.data else {
                    return "entries \(previous) to \(i) do not match the signed checkpoint of size \(i + 1): one of them was changed"
                }
                previous = i + 1
            }
        }
        return nil
    }

    enum Rewrite: CaseIterable {
        case modifyEntry, modifyEntryAndEveryHash, deleteEntry, deleteTail, swapEntries, corruptNode, deleteNode, truncateNode
    }

    static func rewrite(_ l: inout MemoryLedger, _ r: Rewrite, using rng: inout SplitMix) {
        let size = l.ledgerSize()
        let j = Int64.random(in: 0..<size, using: &rng)
        switch r {
        case .modifyEntry: l.entries[j] = Data("{\"entry\":\(j),\"v\":2}".utf8)
        case .modifyEntryAndEveryHash: l.entries[j] = Data("{\"entry\":\(j),\"v\":2}".utf8); l.rebuildNodes()
        case .deleteEntry: l.entries[j] = nil
        case .deleteTail: for i in j..<size { l.entries[i] = nil }
        case .swapEntries:
            let k = Int64.random(in: 0..<size, using: &rng)
            (l.entries[j], l.entries[k]) = (l.entries[k], l.entries[j])
        case .corruptNode, .deleteNode, .truncateNode:
            let level = l.nodes.keys.sorted().randomElement(using: &rng)!
            let index = l.nodes[level]!.keys.sorted().randomElement(using: &rng)!
            switch r {
            case .corruptNode: l.nodes[level]![index] = Data(repeating: 0xA5, count: 32)
            case .deleteNode: l.nodes[level]![index] = nil
            default: l.nodes[level]![index] = l.nodes[level]![index]!.prefix(31)
            }
        }
    }

    @Test("on clean and rewritten ledgers of every shape, every batch size names the first problem the definition names")
    func batchesAgreeWithTheDefinition() async throws {
        let signer = try NoteSigner(name: Self.origin, ed25519Seed: [UInt8](repeating: 5, count: 32))
        var rng = SplitMix(seed: 18)
        var problemsSeen: Set<String> = []
        for round in 0..<160 {
            let count = Int.random(in: 1...300, using: &rng)
            // Checkpoints anywhere: inside batches, on their boundaries, at the end.
            var sizes = Set((0..<Int.random(in: 0...6, using: &rng)).map { _ in Int.random(in: 1...count, using: &rng) })
            if round % 3 == 0 { sizes.insert(count) }
            if round % 4 == 0 { sizes.formUnion([64, 128, 256].filter { $0 <= count }) }
            var ledger = try MemoryLedger(count: count, checkpointsAt: sizes, signer: signer)
            let r = round % 9 == 0 ? nil : Rewrite.allCases[round % Rewrite.allCases.count]
            if let r { Self.rewrite(&ledger, r, using: &rng) }
            // Sometimes a second rewrite, so that problems also meet inside one batch.
            if r != nil, round % 5 == 1 { Self.rewrite(&ledger, Rewrite.allCases.randomElement(using: &rng)!, using: &rng) }
            let expected = Self.definition(ledger)
            if r == nil { #expect(expected == nil, "a clean ledger of \(count) entries") }
            if r == .modifyEntry { #expect(expected != nil, "round \(round): a modified entry is found by the definition") }
            for batchSize: Int64 in [1, 2, 3, 4, 7, 8, 16, 64, 100, 4_096] {
                let report = try await LedgerAuditor.verify(ledger, verifier: signer.verifier, origin: Self.origin, batchSize: batchSize)
                #expect(report.problem == expected, "round \(round), \(count) entries, \(String(describing: r)), batches of \(batchSize)")
                #expect(report.entries == ledger.ledgerSize() && report.checkpoints == ledger.signed.count)
            }
            if let expected { problemsSeen.insert(String(expected.prefix(while: { !$0.isNumber }))) }
        }
        // Every kind of problem came up, so each of the batch's paths was compared.
        #expect(problemsSeen.isSuperset(of: ["entry ", "the subtree ", "entries ", "entries are missing at the end: a checkpoint signed "]),
                "\(problemsSeen.sorted())")
    }

    @Test("progress is reported each time the count passes a step, whatever the batch size, and at the end")
    func progressEverySoManyEntries() async throws {
        let signer = try NoteSigner(name: Self.origin, ed25519Seed: [UInt8](repeating: 4, count: 32))
        let ledger = try MemoryLedger(count: 1_000, checkpointsAt: [1_000], signer: signer)
        for batchSize: Int64 in [1, 64, 100, 4_096] {
            let seen = Mutex<[Int64]>([])
            let report = try await LedgerAuditor.verify(ledger, verifier: signer.verifier, origin: Self.origin, batchSize: batchSize, progressStep: 300) { done, total in
                #expect(total == 1_000)
                seen.withLock { $0.append(done) }
            }
            #expect(report.problem == nil)
            let calls = seen.withLock { $0 }
            // One call per step passed (300, 600, 900: at the end of the batch that passes it), then the end.
            let width = Int64(1) << (63 - batchSize.leadingZeroBitCount)
            let expected = Array(Set([300, 600, 900].map { min(1_000, ($0 + width - 1) / width * width) } + [1_000])).sorted()
            #expect(calls == expected, "batches of \(batchSize)")
        }
    }

    @Test("a ledger rewritten with every stored hash recomputed is caught by the first checkpoint signed after the change, named")
    func consistentRewriteIsCaughtByTheCheckpoint() async throws {
        let signer = try NoteSigner(name: Self.origin, ed25519Seed: [UInt8](repeating: 6, count: 32))
        var ledger = try MemoryLedger(count: 200, checkpointsAt: [50, 130, 200], signer: signer)
        ledger.entries[70] = Data("{\"entry\":70,\"v\":2}".utf8)
        ledger.rebuildNodes()
        for batchSize: Int64 in [1, 16, 4_096] {
            let report = try await LedgerAuditor.verify(ledger, verifier: signer.verifier, origin: Self.origin, batchSize: batchSize)
            #expect(report.problem == "entries 50 to 129 do not match the signed checkpoint of size 130: one of them was changed", "batches of \(batchSize)")
        }
        // The entry just after that checkpoint also changed, its hash not recomputed: the
        // checkpoint still comes first (it covers entries before it), also inside one batch.
        ledger.entries[130] = Data("{\"entry\":130,\"v\":2}".utf8)
        for batchSize: Int64 in [1, 16, 4_096] {
            let report = try await LedgerAuditor.verify(ledger, verifier: signer.verifier, origin: Self.origin, batchSize: batchSize)
            #expect(report.problem == "entries 50 to 129 do not match the signed checkpoint of size 130: one of them was changed", "batches of \(batchSize)")
        }
        // And the same change before the checkpoint (entry 129) is named as the entry.
        ledger.entries[130] = Data("{\"entry\":130,\"v\":1}".utf8)
        ledger.rebuildNodes()
        ledger.entries[129] = Data("{\"entry\":129,\"v\":2}".utf8)
        for batchSize: Int64 in [1, 16, 4_096] {
            let report = try await LedgerAuditor.verify(ledger, verifier: signer.verifier, origin: Self.origin, batchSize: batchSize)
            #expect(report.problem == "entry 129 does not match its recorded hash (modified, inserted or moved)", "batches of \(batchSize)")
        }
    }
}
