import Foundation
import GuichetCore
import GuichetStore
// Ledger appends are timed on the journal itself, as the gate calls it: loudly, through the
// gate's SPI.
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetPolicy
@_spi(GateOnly) import GuichetGate
import GuichetVault
import GuichetPostgres
import GRDB

/// The access ledger: durable appends at 1, 32 and 256 concurrent writers (group commit);
/// then one ledger grown through the sizes of the plan, at each of which full verification
/// (`LedgerAuditor.verify`) is timed against `sha256sum` of the same entry bytes, and the
/// breach scope of one account ("what did account X see", `LedgerAuditor.scope`) and one
/// person's access history with inclusion proofs (`LedgerAuditor.history`) are timed for
/// answers of 10, 100 and 1,000 entries.
struct LedgerBench {
    let profile: Profile
    let keyFile: String
    let work: URL
    let plan: Plan
    /// A PostgreSQL database the benchmark may fill (`--postgres`): the appends are then timed
    /// on it too, through the same journal (issue 19).
    var postgres: PostgresAddress? = nil

    struct AppendPoint: Codable {
        let writers: Int
        let entries: Int
        let seconds: Double
        let entriesPerSecond: Double
        let p50Millis: Double
        let p99Millis: Double
    }

    struct VerifyPoint: Codable {
        let entries: Int
        let bytes: Int64
        let verifySeconds: Double
        let verifyMBps: Double
        let sha256sumSeconds: Double
        let sha256sumMBps: Double
        let ratio: Double
        let fillSeconds: Double
        /// `openssl dgst -sha256` of the same file (best of two), which uses the CPU's SHA
        /// instructions where sha256sum (coreutils) does not: nil without openssl.
        var opensslSeconds: Double? = nil
        var opensslMBps: Double? = nil
        /// `opensslSeconds / verifySeconds`.
        var opensslRatio: Double? = nil
        /// The second pass of `guichet ledger verify` (`LedgerAuditor.verifyIndexes`: every
        /// look-up index against the entries), timed on its own after the tree's pass; nil in
        /// results written before it was measured.
        var indexesSeconds: Double? = nil
    }

    struct QueryPoint: Codable {
        let ledgerEntries: Int
        let query: String
        let answer: Int
        let medianMillis: Double
        let p90Millis: Double
    }

    struct Results: Codable {
        let appends: [AppendPoint]
        /// The same appends on PostgreSQL, when a server was given.
        var postgresAppends: [AppendPoint]? = nil
        let verification: [VerifyPoint]
        let queries: [QueryPoint]
    }

    func grant() throws -> Grant {
        let subject = Subject(account: AccountID(), role: "agent", organisation: OrganisationID(), person: nil, territory: nil)
        let facts = DossierFacts(type: "application", status: "waiting", organisation: nil, assignedAgent: nil, territory: nil, persons: [], partners: [])
        guard let g = Policy(profile: profile).decide(subject, .read, facts, purpose: "list-management").grant else {
            throw BenchError("the place05 agent may not read: the ledger benchmark needs its rule")
        }
        return g
    }

    static let fields = ["child.birthDate", "child.firstName", "child.lastName", "daysPerWeek", "desiredStart",
                         "parent.email", "parent.firstName", "parent.lastName", "parent.phone", "partners", "schedule"]

    func context(_ account: AccountID, at: Date) -> AccessContext {
        AccessContext(requestID: "bench-\(UInt32.random(in: 0...UInt32.max))",
                      subject: Subject(account: account, role: "agent", organisation: nil, person: nil, territory: nil),
                      session: SessionID(), source: "127.0.0.1", purpose: "list-management", at: at)
    }

    func run() async throws -> Results {
        let grant = try grant()
        var appends: [AppendPoint] = []
        for w in plan.writers {
            note("ledger: appends with \(w) writers")
            let point = try await appendRun(writers: w, grant: grant)
            note("ledger: \(Int(point.entriesPerSecond)) appends/s with \(w) writers, p50 \(String(format: "%.1f", point.p50Millis)) ms")
            appends.append(point)
        }
        var onPostgres: [AppendPoint]?
        if let postgres {
            // One ledger for every writer count, as a server keeps one; the SQLite runs above
            // start each from empty, which costs them nothing (an append reads only the edge).
            let ledger = try await PostgresLedger.open(postgres, connections: 8)
            onPostgres = []
            for w in plan.writers {
                let point = try await appendRun(writers: w, grant: grant, journal: ledger.journal())
                note("ledger: \(Int(point.entriesPerSecond)) appends/s on PostgreSQL with \(w) writers, p50 \(String(format: "%.1f", point.p50Millis)) ms")
                onPostgres?.append(point)
            }
            await ledger.close()
        }
        let (verification, queries) = try await growAndQuery(grant: grant)
        return Results(appends: appends, postgresAppends: onPostgres, verification: verification, queries: queries)
    }

    func appendRun(writers: Int, grant: Grant) async throws -> AppendPoint {
        let folder = try freshFolder(work, "append-\(writers)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        return try await appendRun(writers: writers, grant: grant, journal: AccessJournal(store: store))
    }

    func appendRun(writers: Int, grant: Grant, journal: AccessJournal) async throws -> AppendPoint {
        let deadline = now() + UInt64(plan.appendSeconds * 1e9)
        let start = now()
        let latencies = try await withThrowingTaskGroup(of: [Double].self) { group in
            for _ in 0..<writers {
                group.addTask {
                    let account = AccountID()
                    var mine: [Double] = []
                    while now() < deadline {
                        let access = AllowedAccess(dossier: DossierID(), rules: grant.rules, breakGlass: false, persons: [PersonID(), PersonID(), PersonID()], fields: Self.fields)
                        let t0 = now()
                        _ = try await journal.recordDisclosure([access], action: .read, context: context(account, at: Date()))
                        mine.append(Double(now() - t0) / 1e6)
                    }
                    return mine
                }
            }
            var all: [Double] = []
            for try await l in group { all += l }
            return all.sorted()
        }
        let seconds = Double(now() - start) / 1e9
        return AppendPoint(writers: writers, entries: latencies.count, seconds: seconds, entriesPerSecond: Double(latencies.count) / seconds,
                           p50Millis: quantile(latencies, 0.5), p99Millis: quantile(latencies, 0.99))
    }

    /// Grows one ledger through the plan's sizes. The accounts and persons whose history is
    /// queried get all their entries among the first entries, so that at every size the
    /// answer stays the same while the ledger grows around it.
    func growAndQuery(grant: Grant) async throws -> ([VerifyPoint], [QueryPoint]) {
        let folder = try freshFolder(work, "ledger")
        defer { try? FileManager.default.removeItem(at: folder) }
        let dbPath = folder.appendingPathComponent("guichet.sqlite").path
        let keys = try FileKeyProvider(path: keyFile)
        let registry = try await Registry.open(database: dbPath, profile: profile, keys: keys, keysOrigin: keys.origin, options: RegistryOptions(watch: nil))
        let (store, gate) = (registry.store, registry.gate)
        let journal = gate.journal
        let base = Date(timeIntervalSince1970: 1_767_225_600)  // 2026-01-01, synthetic times
        // Targets: an account and a person per answer size, with `answer` entries each, in calls of 10.
        let targets = plan.answerSizes.map { (answer: $0, account: AccountID(), person: PersonID()) }
        struct Call: Sendable { let account: AccountID; let count: Int; let person: PersonID? }
        var firstCalls: [Call] = targets.flatMap { t in (0..<t.answer / 10).map { _ in Call(account: t.account, count: 10, person: t.person) } }
        let accounts = (0..<2_000).map { _ in AccountID() }
        var filled = 0
        var verification: [VerifyPoint] = []
        var queries: [QueryPoint] = []
        var fillSeconds = 0.0
        var tick = 0
        for size in plan.ledgerSizes {
            note("ledger: growing to \(size) entries")
            var calls: [Call] = []
            var planned = filled + firstCalls.reduce(0) { $0 + $1.count }
            while planned < size {
                let n = min(50, size - planned)
                calls.append(Call(account: accounts.randomElement()!, count: n, person: nil))
                planned += n
            }
            calls += firstCalls
            firstCalls = []
            calls.shuffle()
            let startTick = tick
            let t0 = now()
            // Eight concurrent callers, as eight busy requests would be: the journal groups them.
            try await withThrowingTaskGroup(of: Void.self) { group in
                let lanes = 8
                for lane in 0..<lanes {
                    let mine = stride(from: lane, to: calls.count, by: lanes).map { (calls[$0], startTick + $0) }
                    group.addTask {
                        for (call, t) in mine {
                            let accesses = (0..<call.count).map { _ in
                                AllowedAccess(dossier: DossierID(), rules: grant.rules, breakGlass: false,
                                              persons: [call.person ?? PersonID(), PersonID(), PersonID()], fields: Self.fields)
                            }
                            _ = try await journal.recordDisclosure(accesses, action: .search,
                                                                context: context(call.account, at: base.addingTimeInterval(Double(t))))
                        }
                    }
                }
                try await group.waitForAll()
            }
            tick += calls.count
            fillSeconds += Double(now() - t0) / 1e9
            filled = size
            try await journal.checkpoint(at: Date())
            verification.append(try await verify(gate: gate, store: store, dbPath: dbPath, folder: folder, size: size, fillSeconds: fillSeconds))
            for t in targets {
                note("ledger: queries at \(size) entries, answer \(t.answer)")
                // guichet breach scope --account: the exact persons and fields an account's
                // accesses exposed, from the entries under the latest signed checkpoint.
                queries.append(try await time(size, "account-saw", t.answer) {
                    try await gate.auditor.scope(ScopeQuery(account: t.account)).entriesMatched
                })
                // A citizen's access history: every access to the person, each with its
                // inclusion proof against the latest checkpoint.
                queries.append(try await time(size, "person-history", t.answer) {
                    let h = try await gate.auditor.history(persons: [t.person], dossiers: [], account: nil, limit: 1_000_000)
                    guard h.items.allSatisfy({ $0.proof != nil }) else { throw BenchError("a history entry has no inclusion proof") }
                    return h.items.count
                })
            }
        }
        return (verification, queries)
    }

    func time(_ size: Int, _ query: String, _ expected: Int, _ body: () async throws -> Int) async throws -> QueryPoint {
        var samples: [Double] = []
        for _ in 0..<plan.queryRepeats {
            let t0 = now()
            let answer = try await body()
            samples.append(Double(now() - t0) / 1e6)
            guard answer == expected else { throw BenchError("\(query) returned \(answer) entries, expected \(expected)") }
        }
        samples.sort()
        return QueryPoint(ledgerEntries: size, query: query, answer: expected, medianMillis: quantile(samples, 0.5), p90Millis: quantile(samples, 0.9))
    }

    func verify(gate: Gate, store: Store, dbPath: String, folder: URL, size: Int, fillSeconds: Double) async throws -> VerifyPoint {
        note("ledger: verifying \(size) entries")
        let (report, seconds) = try await timed { try await gate.auditor.verify() }
        guard report.problem == nil, report.entries == Int64(size) else {
            throw BenchError("verification failed: \(report.problem ?? "size \(report.entries)")")
        }
        note("ledger: checking the look-up indexes of \(size) entries")
        let (indexes, indexesSeconds) = try await timed { try await gate.auditor.verifyIndexes() }
        guard indexes.problem == nil else { throw BenchError("the index check failed: \(indexes.problem ?? "")") }
        // The same bytes, concatenated into a file, through sha256sum (twice: the faster run,
        // with the file in the page cache as the database is).
        let file = folder.appendingPathComponent("entries.bin")
        let bytes = try await store.exportLedgerEntries(to: file)
        guard let sha = which("sha256sum") else { throw BenchError("sha256sum is missing (coreutils)") }
        var best = Double.infinity
        for _ in 0..<2 {
            let t0 = now()
            _ = try runProgram(sha, [file.path])
            best = min(best, Double(now() - t0) / 1e9)
        }
        // sha256sum hashes in plain C; Guichet's SHA-256 (BoringSSL) uses the CPU's SHA
        // instructions. openssl uses them too: the comparison that does not flatter.
        var openssl: Double?
        if let tool = which("openssl") {
            for _ in 0..<2 {
                let t0 = now()
                _ = try runProgram(tool, ["dgst", "-sha256", file.path])
                openssl = min(openssl ?? .infinity, Double(now() - t0) / 1e9)
            }
        }
        try? FileManager.default.removeItem(at: file)
        let mb = Double(bytes) / 1e6
        return VerifyPoint(entries: size, bytes: bytes, verifySeconds: seconds, verifyMBps: mb / seconds,
                           sha256sumSeconds: best, sha256sumMBps: mb / best, ratio: best / seconds, fillSeconds: fillSeconds,
                           opensslSeconds: openssl, opensslMBps: openssl.map { mb / $0 }, opensslRatio: openssl.map { $0 / seconds }, indexesSeconds: indexesSeconds)
    }
}

extension Store {
    /// Writes every entry's canonical bytes, in order, to a file. Returns the byte count.
    func exportLedgerEntries(to url: URL) async throws -> Int64 {
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else { throw BenchError("cannot write \(url.path)") }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        let queue = try DatabaseQueue(path: path)
        var total: Int64 = 0
        var start: Int64 = 0
        while true {
            let from = start
            let chunk = try await queue.read { db in
                try Data.fetchAll(db, sql: "SELECT entry FROM ledger_entry WHERE idx >= ? AND idx < ? ORDER BY idx", arguments: [from, from + 50_000])
            }
            if chunk.isEmpty { break }
            var buffer = Data()
            for d in chunk { buffer.append(d) }
            try handle.write(contentsOf: buffer)
            total += Int64(buffer.count)
            start += 50_000
        }
        return total
    }
}
