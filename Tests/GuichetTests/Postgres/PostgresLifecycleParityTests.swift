import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetPostgres
@_spi(VaultOnly) import GuichetStore

/// What the parity scenarios call, on SQLite's ``Store`` and on ``PostgresStore`` alike: the
/// storage protocols both implement.
typealias LifecycleParityStorage = GateStorage & AuthStorage

/// The lifecycle, kept fields, data keys, archive and erasure requests, break-glass, exports
/// and statistics of ``PostgresStore`` against SQLite's ``Store``: each scenario runs on both,
/// with the same ids and instants, checks its expectations on each, and the two transcripts
/// must be equal. Synthetic data only.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresLifecycleParityTests {
    // MARK: back-ends

    /// Runs `scenario` on a fresh SQLite store and a fresh PostgreSQL database; returns both transcripts.
    static func both(_ scenario: @Sendable (any LifecycleParityStorage, String) async throws -> [String]) async throws -> (sqlite: [String], postgres: [String]) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try await scenario(try Store(path: folder.appendingPathComponent("guichet.sqlite").path), "sqlite")
        let address = try await PostgresLedgerTests.freshDatabase()
        let store = try await PostgresStore.open(address, connections: 8, timeout: .seconds(120))
        let postgres: [String]
        do { postgres = try await scenario(store, "postgres") } catch {
            await store.close(); try? await PostgresLedgerTests.drop(address); throw error
        }
        await store.close()
        try await PostgresLedgerTests.drop(address)
        return (sqlite, postgres)
    }

    /// Expects the two transcripts equal, line by line (a first differing line says where).
    static func expectSame(_ t: (sqlite: [String], postgres: [String])) {
        #expect(t.sqlite.count == t.postgres.count)
        for (i, (a, b)) in zip(t.sqlite, t.postgres).enumerated() {
            #expect(a == b, "line \(i) differs")
        }
        #expect(!t.sqlite.isEmpty)
    }

    static func at(_ seconds: Int) -> Date { StorageUnderTest.at(seconds) }

    /// Ids made once, so that both back-ends store the same rows.
    struct World: Sendable {
        let dossiers = (0..<8).map { _ in DossierID() }
        let persons = (0..<8).map { _ in PersonID() }
        let accounts = (0..<4).map { _ in AccountID() }
    }

    static func key(_ seed: UInt8, version: Int = 1) -> WrappedKey { WrappedKey(kekVersion: version, bytes: Data(repeating: seed, count: 40)) }

    static func person(_ id: PersonID, born: String? = nil) -> NewPerson {
        NewPerson(record: StorageBackends.syntheticPerson(id), terms: born.map { [PersonTerm(field: PersonTerm.birthYearField, term: $0),
                                                                                 PersonTerm(field: "name", term: "blind-\($0)")] } ?? [])
    }

    /// A dossier of type `case`, with synthetic sealed fields, changed at `changed` (seconds).
    static func dossier(_ id: DossierID, status: String, territory: String?, created: Int, changed: Int, persons: [(String, PersonID)], seed: UInt8) -> DossierRecord {
        DossierRecord(id: id, type: "case", status: status, organisation: nil, assignedAgent: nil, territory: territory, version: 1,
                      fields: SealedFields(bytes: Data("synthetic dossier \(id.rawValue)".utf8)),
                      persons: persons.map { PersonLink(role: $0.0, person: $0.1) }, partners: [],
                      createdAt: at(created), updatedAt: at(changed), key: key(seed))
    }

    static func account(_ id: AccountID, _ name: String, person: PersonID? = nil) -> AccountRecord {
        AccountRecord(id: id, username: name, passwordHash: "hash-\(name)", role: "agent", organisation: nil, person: person, territory: nil,
                      status: "active", createdAt: at(0))
    }

    /// Seeds: D0 closed (P0 seeker, P1 other), D1 closed (P1), D2 open (P2), D3 closed (P3, whose
    /// person has an account), D4 closed at D0's instant (P4), D5 open (P5 and P6); four accounts
    /// (the fourth is P3's).
    static func seed(_ s: any LifecycleParityStorage, _ w: World) async throws {
        let d = w.dossiers, p = w.persons
        try await s.create(dossier: dossier(d[0], status: "closed", territory: "T01", created: 0, changed: 100, persons: [("seeker", p[0]), ("other", p[1])], seed: 1),
                           newPersons: [person(p[0], born: "tag-1990"), person(p[1], born: "tag-1950")], by: nil, change: "create")
        try await s.create(dossier: dossier(d[1], status: "closed", territory: "T02", created: 0, changed: 200, persons: [("seeker", p[1])], seed: 2),
                           newPersons: [], by: nil, change: "create")
        try await s.create(dossier: dossier(d[2], status: "open", territory: nil, created: 0, changed: 50, persons: [("seeker", p[2])], seed: 3),
                           newPersons: [person(p[2], born: "tag-2010")], by: nil, change: "create")
        try await s.create(dossier: dossier(d[3], status: "closed", territory: "T01", created: 0, changed: 300, persons: [("seeker", p[3])], seed: 4),
                           newPersons: [person(p[3])], by: nil, change: "create")
        try await s.create(dossier: dossier(d[4], status: "closed", territory: "T01", created: 0, changed: 100, persons: [("seeker", p[4])], seed: 5),
                           newPersons: [person(p[4], born: "tag-unknown-year")], by: nil, change: "create")
        try await s.create(dossier: dossier(d[5], status: "open", territory: "T02", created: 0, changed: 60,
                                            persons: [("seeker", p[5]), ("other", p[6])], seed: 6),
                           newPersons: [person(p[5]), person(p[6])], by: nil, change: "create")
        for (i, a) in w.accounts.enumerated() {
            try await s.insert(account: account(a, "parity-\(i)", person: i == 3 ? p[3] : nil), createdBy: nil)
        }
    }

    static func names(_ ids: [PersonID], _ w: World) -> String { ids.map { "P\(w.persons.firstIndex(of: $0) ?? -1)" }.joined(separator: ",") }
    static func names(_ ids: [DossierID], _ w: World) -> String { ids.map { "D\(w.dossiers.firstIndex(of: $0) ?? -1)" }.joined(separator: ",") }
    static func line(_ m: LifecycleMark?) -> String { m.map { "archived \($0.archivedAt.map { "\($0.millis)" } ?? "-") erased \($0.erasedAt.map { "\($0.millis)" } ?? "-")" } ?? "none" }
    static func line(_ c: [RetentionCandidate], _ w: World) -> String {
        c.map { "\(names([$0.dossier], w))@\($0.changedAt.millis)[\(names($0.persons, w))]" }.joined(separator: " ")
    }
    static func line(_ counts: (byVersion: [Int: Int], shredded: Int)) -> String {
        counts.byVersion.sorted { $0.key < $1.key }.map { "v\($0.key)=\($0.value)" }.joined(separator: " ") + " shredded=\(counts.shredded)"
    }
    static func line(_ t: [StatisticPair: Int]) -> String {
        t.sorted { ($0.key.row, $0.key.column) < ($1.key.row, $1.key.column) }.map { "\($0.key.row)/\($0.key.column)=\($0.value)" }.joined(separator: " ")
    }
    static func line(_ k: KeptRecord) -> String {
        "\(k.id) \(k.dossier.rawValue) \(k.persons.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value.rawValue)" }) \(k.fields.bytes.count) "
            + "\(k.key.map { "v\($0.kekVersion)" } ?? "shredded") \(k.keptAt.millis)-\(k.keptUntil.millis)"
    }

    // MARK: scenarios

    @Test("retention candidates, archiving with re-wrapped keys, and the lifecycle marks: the same on PostgreSQL as on SQLite")
    func archiving() async throws {
        let w = World()
        let t = try await Self.both { s, name in
            try await Self.seed(s, w)
            let d = w.dossiers, p = w.persons
            var log: [String] = []
            // Two batches of closed dossiers changed by 250 s: D0 and D4 tie at 100 s (by id), then D1.
            let first = try await s.retentionCandidates(type: "case", state: "closed", step: .archive, changedBefore: Self.at(250), after: nil, limit: 2)
            let rest = try await s.retentionCandidates(type: "case", state: "closed", step: .archive, changedBefore: Self.at(250), after: first.last, limit: 10)
            #expect(Set(first.map(\.dossier)) == [d[0], d[4]], "\(name)")
            #expect(first.map(\.dossier) == [d[0], d[4]].sorted(), "\(name): ties by id, bytewise")
            #expect(rest.map(\.dossier) == [d[1]], "\(name)")
            #expect(first.first { $0.dossier == d[0] }?.persons == [p[1], p[0]], "\(name): persons by role then position")
            log.append("first: " + Self.line(first, w)); log.append("rest: " + Self.line(rest, w))

            let archived = try await s.personsArchived([p[0], p[1], p[4], p[3], p[0]], archiving: [d[0], d[4]])
            #expect(archived == [p[0], p[4]].sorted(), "\(name): P1 keeps a live dossier, P3 has an account")
            log.append("persons archived: " + Self.names(archived, w))

            let subjects = [d[0].rawValue, d[4].rawValue] + archived.map(\.rawValue) + ["no-such-subject"]
            let keys = try await s.wrappedKeys(subjects)
            #expect(keys.count == 4, "\(name)")
            let rewrapped = keys.mapValues { WrappedKey(kekVersion: 0, bytes: $0.bytes + Data([0xA0])) }
            let n = try await s.archive([d[0], d[4], d[0]], at: Self.at(400), rewrapped: rewrapped)
            #expect(n == 2, "\(name)")
            #expect(try await s.archive([d[0]], at: Self.at(500), rewrapped: [:]) == 0, "\(name): archived once")
            log.append("archived: \(n)")
            let after = try await s.wrappedKeys(subjects)
            #expect(after.values.allSatisfy { $0.kekVersion == 0 && $0.bytes.last == 0xA0 }, "\(name)")
            log.append("keys: \(after.count)")

            #expect(try await s.lifecycle(d[0])?.archivedAt == Self.at(400), "\(name)")
            #expect(try await s.lifecycle(d[1]) == nil, "\(name)")
            let marks = try await s.lifecycle([d[0], d[1], d[4]])
            #expect(Set(marks.keys) == [d[0], d[4]], "\(name)")
            log.append("marks: " + [d[0], d[1], d[4]].map { Self.line(marks[$0]) }.joined(separator: "; "))

            // Archived dossiers are no longer archive candidates, but still erasure candidates.
            let again = try await s.retentionCandidates(type: "case", state: "closed", step: .archive, changedBefore: Self.at(1000), after: nil, limit: 10)
            #expect(again.map(\.dossier) == [d[1], d[3]], "\(name)")
            let erasable = try await s.retentionCandidates(type: "case", state: "closed", step: .erase, changedBefore: Self.at(1000), after: nil, limit: 10)
            #expect(erasable.count == 4, "\(name)")
            log.append("again: " + Self.line(again, w)); log.append("erasable: " + Self.line(erasable, w))
            let counts = try await s.dataKeyCounts()
            #expect(counts.byVersion[0] == 4 && counts.shredded == 0, "\(name)")
            log.append("counts: " + Self.line(counts))
            return log
        }
        Self.expectSame(t)
    }

    @Test("erasure of dossiers and persons, kept fields, erasure at a person's request, and counts: the same on PostgreSQL as on SQLite")
    func erasing() async throws {
        let w = World()
        let keptID = "kept-\(UUID().uuidString)"
        let t = try await Self.both { s, name in
            try await Self.seed(s, w)
            let d = w.dossiers, p = w.persons
            var log: [String] = []
            let freed = try await s.personsFreed([p[1], p[0], p[3], p[2]], erasing: [d[0], d[1], d[3]])
            #expect(freed == [p[0], p[1]].sorted(), "\(name): P3 has an account, P2 a live dossier")
            log.append("freed: " + Self.names(freed, w))

            let kept = KeptRecord(id: keptID, dossier: d[0], persons: ["seeker.registryId": p[0]], fields: SealedFields(bytes: Data("synthetic kept".utf8)),
                                  key: Self.key(9), keptAt: Self.at(500), keptUntil: Self.at(900))
            let shredded = try await s.erase(dossiers: [d[0], d[1]], persons: [p[1], p[0], p[3], p[2]], at: Self.at(500), kept: [kept])
            #expect(shredded == [p[1], p[0]], "\(name): in the order given")
            log.append("erased persons: " + Self.names(shredded, w))
            #expect(try await s.lifecycle(d[0])?.erasedAt == Self.at(500), "\(name)")
            let keys = try await s.wrappedKeys([d[0], d[1], d[2]].map(\.rawValue) + [p[0], p[1], p[2], p[3]].map(\.rawValue) + [KeptRecord.subject(keptID)])
            #expect(Set(keys.keys) == Set([d[2].rawValue, p[2].rawValue, p[3].rawValue, KeptRecord.subject(keptID)]), "\(name)")
            log.append("live keys: \(keys.count)")
            let persons = try await s.persons([p[0], p[2]])
            #expect(persons[p[0]]?.key == nil && persons[p[2]]?.key != nil, "\(name)")

            // Kept fields outlive the erasure until their term is over.
            let stored = try await s.kept(dossier: d[0])
            #expect(stored == [kept], "\(name)")
            #expect(try await s.expiredKept(at: Self.at(899), limit: 10).isEmpty, "\(name)")
            let expired = try await s.expiredKept(at: Self.at(900), limit: 10)
            #expect(expired.map(\.id) == [keptID], "\(name)")
            log.append("kept: " + stored.map(Self.line).joined() + " expired: \(expired.count)")
            #expect(try await s.shredKept([keptID, keptID, "no-such-kept"], at: Self.at(950)) == 1, "\(name)")
            #expect(try await s.shredKept([keptID], at: Self.at(960)) == 0, "\(name)")
            let gone = try await s.kept(dossier: d[0])
            #expect(gone.count == 1 && gone[0].key == nil, "\(name)")
            #expect(try await s.expiredKept(at: Self.at(1000), limit: 10).isEmpty, "\(name)")
            log.append("kept after: " + gone.map(Self.line).joined())

            // At a person's request: D5 links P5 and P6, so it goes with the second of them.
            #expect(try await s.erase(person: p[5], dossiers: [d[5]], at: Self.at(600), kept: []).isEmpty, "\(name)")
            #expect(try await s.lifecycle(d[5]) == nil, "\(name)")
            let second = try await s.erase(person: p[6], dossiers: [d[5]], at: Self.at(610), kept: [])
            #expect(second == [d[5]], "\(name)")
            #expect(try await s.lifecycle(d[5])?.erasedAt == Self.at(610), "\(name)")
            let only = try await s.erase(person: p[2], dossiers: [d[2], d[2]], at: Self.at(620), kept: [])
            #expect(only == [d[2], d[2]], "\(name): as given")
            log.append("by request: \(Self.names(second, w)) \(Self.names(only, w))")

            // Erased dossiers leave retention and the statistics.
            let erasable = try await s.retentionCandidates(type: "case", state: "closed", step: .erase, changedBefore: Self.at(1000), after: nil, limit: 10)
            #expect(Set(erasable.map(\.dossier)) == [d[3], d[4]], "\(name)")
            log.append("erasable: " + Self.line(erasable, w))
            let counts = try await s.dataKeyCounts()
            log.append("counts: " + Self.line(counts))
            #expect(counts.shredded == 10, "\(name): D0 D1 P0 P1, the kept key, P5, P6 D5, P2 D2")
            return log
        }
        Self.expectSame(t)
    }

    @Test("count tables by territory, state, waiting band and age band: the same on PostgreSQL as on SQLite")
    func statistics() async throws {
        let w = World()
        let t = try await Self.both { s, name in
            try await Self.seed(s, w)
            var log: [String] = []
            let bands = AgeBands(person: "seeker", field: "birthDate", bands: [.init(label: "0-17", from: 0, upTo: 17), .init(label: "18-64", from: 18, upTo: 64),
                                                                                .init(label: "65+", from: 65, upTo: nil)])
            let tags = ["tag-1990": 1990, "tag-1950": 1950, "tag-2010": 2010]
            let all = try await s.countTable(type: "case", states: [], rows: .territory, columns: .status, age: nil, year: 0, yearTags: [:], at: Self.at(10))
            #expect(all[StatisticPair(row: "T01", column: "closed")] == 3, "\(name)")
            #expect(all[StatisticPair(row: "", column: "open")] == 1, "\(name): no territory counts as empty")
            let open = try await s.countTable(type: "case", states: ["open"], rows: .status, columns: .waiting, age: nil, year: 0, yearTags: [:],
                                              at: Self.at(100 * 86_400))
            #expect(open == [StatisticPair(row: "open", column: "3-6m"): 2], "\(name)")
            let late = try await s.countTable(type: "case", states: ["open", "closed"], rows: .waiting, columns: .status, age: nil, year: 0, yearTags: [:],
                                              at: Self.at(800 * 86_400))
            #expect(late[StatisticPair(row: "24m+", column: "closed")] == 4, "\(name)")
            let ages = try await s.countTable(type: "case", states: [], rows: .age, columns: .status, age: bands, year: 2026, yearTags: tags, at: Self.at(10))
            #expect(ages[StatisticPair(row: "18-64", column: "closed")] == 1, "\(name): D0's seeker born 1990")
            #expect(ages[StatisticPair(row: "0-17", column: "open")] == 1, "\(name): D2's seeker born 2010")
            #expect(ages[StatisticPair(row: "unknown", column: "closed")] == 2, "\(name): D3 (no tag) and D4 (a tag not given)")
            #expect(ages[StatisticPair(row: "65+", column: "closed")] == 1, "\(name): D1's seeker born 1950")
            log += ["all: " + Self.line(all), "open: " + Self.line(open), "late: " + Self.line(late), "ages: " + Self.line(ages)]
            // Shredding a person removes their birth-year tag: D2 counts as unknown.
            #expect(try await s.shred(person: w.persons[2], at: Self.at(20)), "\(name)")
            #expect(try await !s.shred(person: w.persons[2], at: Self.at(21)), "\(name): already shredded")
            let after = try await s.countTable(type: "case", states: ["open"], rows: .age, columns: .status, age: bands, year: 2026, yearTags: tags, at: Self.at(10))
            #expect(after[StatisticPair(row: "0-17", column: "open")] == nil, "\(name)")
            log.append("after shred: " + Self.line(after))
            return log
        }
        Self.expectSame(t)
    }

    @Test("data key rotation in batches, the archive KEK left alone, and a start-up key: the same on PostgreSQL as on SQLite")
    func keys() async throws {
        let w = World()
        let t = try await Self.both { s, name in
            try await Self.seed(s, w)
            var log: [String] = []
            _ = try await s.archive([w.dossiers[3]], at: Self.at(100), rewrapped: [w.dossiers[3].rawValue: Self.key(0xEE, version: 0)])
            let before = try await s.dataKeyCounts()
            #expect(before.byVersion == [1: 12, 0: 1] && before.shredded == 0, "\(name): 6 dossiers and 7 persons")
            var batches: [Int] = []
            while true {
                let n = try await s.rewrapBatch(to: 2, limit: 5) { _, k in WrappedKey(kekVersion: 2, bytes: k.bytes + Data([UInt8(k.kekVersion)])) }
                batches.append(n)
                if n == 0 { break }
            }
            #expect(batches == [5, 5, 2, 0], "\(name)")
            let after = try await s.dataKeyCounts()
            #expect(after.byVersion == [2: 12, 0: 1], "\(name)")
            let one = try await s.wrappedKeys([w.persons[0].rawValue])[w.persons[0].rawValue]
            #expect(one == WrappedKey(kekVersion: 2, bytes: Data(repeating: 0x5A, count: 40) + Data([1])), "\(name)")
            let any = try await s.anyDataKey()
            #expect(any?.key.kekVersion == 2, "\(name): never an archived key")
            log += ["before: " + Self.line(before), "batches: \(batches)", "after: " + Self.line(after)]
            // A failing re-wrap leaves the batch as it was.
            struct Refused: Error {}
            await #expect(throws: (any Error).self) { try await s.rewrapBatch(to: 3, limit: 5) { _, _ in throw Refused() } }
            #expect(try await s.dataKeyCounts().byVersion == [2: 12, 0: 1], "\(name)")
            return log
        }
        Self.expectSame(t)
    }

    @Test("break-glass limit, activity, review once and never by the opener: the same on PostgreSQL as on SQLite")
    func breakGlass() async throws {
        let w = World()
        let t = try await Self.both { s, name in
            try await Self.seed(s, w)
            let a = w.accounts, d = w.dossiers
            var log: [String] = []
            func opening(_ i: Int, at: Int) -> BreakGlassRecord {
                BreakGlassRecord(id: "bg-\(i)", account: a[0], dossier: d[i % 2], justification: Data("sealed justification \(i)".utf8),
                                 openedAt: Self.at(at), expiresAt: Self.at(at + 3600))
            }
            var stored: [Bool] = []
            for i in 0..<4 { stored.append(try await s.insert(breakGlass: opening(i, at: 100 + i), limit: 2, since: Self.at(50))) }
            #expect(stored == [true, true, false, false], "\(name)")
            #expect(try await s.insert(breakGlass: opening(9, at: 200), limit: 3, since: Self.at(101)), "\(name): only one since 101")
            #expect(try await s.breakGlassCount(account: a[0], since: Self.at(0)) == 3, "\(name)")
            #expect(try await s.breakGlassCount(account: a[1], since: Self.at(0)) == 0, "\(name)")
            let active = try await s.activeBreakGlass(account: a[0], dossier: d[1], at: Self.at(300))
            #expect(active?.id == "bg-9", "\(name): latest expiry first")
            #expect(try await s.activeBreakGlass(account: a[0], dossier: d[1], at: Self.at(99)) == nil, "\(name): not opened yet")
            let pending = try await s.pendingBreakGlass(limit: 10)
            #expect(pending.map(\.id) == ["bg-0", "bg-1", "bg-9"], "\(name)")
            #expect(try await s.pendingBreakGlass(limit: 1).map(\.id) == ["bg-0"], "\(name)")

            await #expect(throws: (any Error).self, "\(name): the opener cannot review it") {
                try await s.review(breakGlass: "bg-1", verdict: "justified", by: a[0], note: Data("note".utf8), at: Self.at(400))
            }
            let reviewed = try await s.review(breakGlass: "bg-9", verdict: "unjustified", by: a[1], note: Data("sealed note".utf8), at: Self.at(400))
            #expect(reviewed.expiresAt == Self.at(400) && reviewed.verdict == "unjustified" && reviewed.reviewedBy == a[1], "\(name)")
            #expect(try await s.activeBreakGlass(account: a[0], dossier: d[1], at: Self.at(401))?.id == "bg-1", "\(name): bg-9 ended, bg-1 still open")
            await #expect(throws: StoreError.notFound, "\(name): reviewed once") {
                try await s.review(breakGlass: "bg-9", verdict: "justified", by: a[2], note: Data(), at: Self.at(410))
            }
            await #expect(throws: StoreError.notFound, "\(name)") {
                try await s.review(breakGlass: "bg-2", verdict: "justified", by: a[2], note: Data(), at: Self.at(410))
            }
            let justified = try await s.review(breakGlass: "bg-0", verdict: "justified", by: a[2], note: Data("ok".utf8), at: Self.at(420))
            #expect(justified.expiresAt == Self.at(3700), "\(name): a justified opening keeps its expiry")
            #expect(try await s.breakGlass(id: "bg-0") == justified, "\(name)")
            #expect(try await s.pendingBreakGlass(limit: 10).map(\.id) == ["bg-1"], "\(name)")
            log += [reviewed, justified].map { "\($0.id) \($0.verdict ?? "-") \($0.expiresAt.millis) \($0.reviewedAt?.millis ?? 0) \($0.reviewNote?.count ?? -1)" }
            log.append("stored: \(stored)")
            return log
        }
        Self.expectSame(t)
    }

    @Test("archive read requests approved once and never by the requester, erasure requests, exports and canaries: the same on PostgreSQL as on SQLite")
    func requestsAndExports() async throws {
        let w = World()
        let t = try await Self.both { s, name in
            try await Self.seed(s, w)
            let a = w.accounts, d = w.dossiers, p = w.persons
            var log: [String] = []
            try await s.insertArchiveRequest(id: "ar-2", dossier: d[0], account: a[0], purpose: "audit", reference: "REF-2", at: Self.at(20))
            try await s.insertArchiveRequest(id: "ar-1", dossier: d[0], account: a[0], purpose: "audit", reference: "REF-1", at: Self.at(10))
            try await s.insertArchiveRequest(id: "ar-3", dossier: d[1], account: a[1], purpose: "litigation", reference: "REF-3", at: Self.at(10))
            let pending = try await s.pendingArchiveRequests(limit: 10)
            #expect(pending.map(\.id) == ["ar-1", "ar-3", "ar-2"], "\(name): oldest first, then by id")
            #expect(try await !s.approveArchiveRequest("ar-1", by: a[0], at: Self.at(30), expires: Self.at(1000)), "\(name): not by the requester")
            #expect(try await s.approveArchiveRequest("ar-1", by: a[1], at: Self.at(30), expires: Self.at(1000)), "\(name)")
            #expect(try await !s.approveArchiveRequest("ar-1", by: a[2], at: Self.at(31), expires: Self.at(2000)), "\(name): once")
            #expect(try await !s.approveArchiveRequest("no-such", by: a[2], at: Self.at(31), expires: Self.at(2000)), "\(name)")
            let approved = try await s.archiveRequest("ar-1")
            #expect(approved?.approvedBy == a[1] && approved?.expiresAt == Self.at(1000), "\(name)")
            #expect(try await s.archiveRequest("no-such") == nil, "\(name)")
            #expect(try await s.archiveReadApproved(account: a[0], dossier: d[0], purpose: "audit", at: Self.at(999)), "\(name)")
            #expect(try await !s.archiveReadApproved(account: a[0], dossier: d[0], purpose: "audit", at: Self.at(1000)), "\(name): expired")
            #expect(try await !s.archiveReadApproved(account: a[0], dossier: d[0], purpose: "litigation", at: Self.at(500)), "\(name)")
            #expect(try await !s.archiveReadApproved(account: a[1], dossier: d[0], purpose: "audit", at: Self.at(500)), "\(name)")
            #expect(try await s.pendingArchiveRequests(limit: 10).map(\.id) == ["ar-3", "ar-2"], "\(name)")
            log += (pending + [approved].compactMap { $0 }).map { "\($0.id) \($0.purpose) \($0.reference) \($0.requestedAt.millis) \($0.approvedBy != nil) \($0.expiresAt?.millis ?? 0)" }

            let erasure = ErasureRequestRecord(id: "er-1", person: p[0], recordedBy: a[1], reference: "ER-1", recordedAt: Self.at(40), ledgerIndex: 17,
                                               receipt: #"{"synthetic":true}"#)
            try await s.insertErasureRequest(erasure)
            #expect(try await s.erasureRequest("er-1") == erasure, "\(name)")
            #expect(try await s.erasureRequest("er-2") == nil, "\(name)")
            await #expect(throws: (any Error).self, "\(name): one id once") { try await s.insertErasureRequest(erasure) }

            let e1 = PartnerExportRecord(id: "ex-b", account: a[0], createdAt: Self.at(50), expiresAt: Self.at(5000), dossiers: 3, persons: 4, ledgerIndex: 20)
            let e2 = PartnerExportRecord(id: "ex-a", account: a[0], createdAt: Self.at(60), expiresAt: Self.at(6000), dossiers: 1, persons: 1, ledgerIndex: 21)
            let e3 = PartnerExportRecord(id: "ex-c", account: a[1], createdAt: Self.at(70), expiresAt: Self.at(7000), dossiers: 0, persons: 0, ledgerIndex: 22)
            try await s.insertExport(e1, canaries: ["row-1", "row-2"])
            try await s.insertExport(e2, canaries: ["row-3"])
            try await s.insertExport(e3, canaries: [])
            #expect(try await s.exports(withCanaries: ["row-3", "row-2", "row-9", "row-1"]) == [e2, e1], "\(name): by id, once each")
            #expect(try await s.exports(withCanaries: ["row-9"]).isEmpty, "\(name)")
            #expect(try await s.exports(account: a[0], limit: 10) == [e2, e1], "\(name): newest first")
            #expect(try await s.exports(account: a[0], limit: 1) == [e2], "\(name)")
            #expect(try await s.exports(account: a[1], limit: 10) == [e3], "\(name)")
            await #expect(throws: (any Error).self, "\(name): a canary row belongs to one export") {
                try await s.insertExport(PartnerExportRecord(id: "ex-d", account: a[1], createdAt: Self.at(80), expiresAt: Self.at(8000), dossiers: 0,
                                                             persons: 0, ledgerIndex: 23), canaries: ["row-1"])
            }
            #expect(try await s.exports(account: a[1], limit: 10) == [e3], "\(name): nothing of the refused export stays")
            log.append("exports: " + (try await s.exports(account: a[0], limit: 10)).map(\.id).joined(separator: ","))
            return log
        }
        Self.expectSame(t)
    }

    // MARK: several servers

    /// Two stores on one fresh database (two servers).
    static func twoServers(_ body: ([PostgresStore], World) async throws -> Void) async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        var stores: [PostgresStore] = []
        for _ in 0..<2 { stores.append(try await PostgresStore.open(address, connections: 8, timeout: .seconds(120))) }
        let w = World()
        do {
            try await seed(stores[0], w)
            try await body(stores, w)
        } catch {
            for s in stores { await s.close() }
            try? await PostgresLedgerTests.drop(address)
            throw error
        }
        for s in stores { await s.close() }
        try await PostgresLedgerTests.drop(address)
    }

    @Test("break-glass openings by one account fired at once at two servers never exceed the limit")
    func concurrentBreakGlassLimit() async throws {
        try await Self.twoServers { stores, w in
            for round in 0..<3 {
                let limit = 3
                let account = w.accounts[round]
                let results = try await concurrently(24) { i in
                    try await stores[i % 2].insert(breakGlass: BreakGlassRecord(id: "bg-\(round)-\(i)", account: account, dossier: w.dossiers[i % 3],
                                                                                justification: Data("sealed \(i)".utf8), openedAt: Self.at(100 + i),
                                                                                expiresAt: Self.at(4000)),
                                                   limit: limit, since: Self.at(0))
                }
                #expect(results.filter { $0 }.count == limit, "round \(round)")
                #expect(try await stores[1].breakGlassCount(account: account, since: Self.at(0)) == limit, "round \(round)")
            }
        }
    }

    @Test("two persons of one dossier erased at their request at once on two servers: the dossier is erased, as one server would")
    func concurrentErasureByRequest() async throws {
        try await Self.twoServers { stores, w in
            // Several rounds, each on a dossier of its own linking two persons, so that the two
            // erasures overlap in at least some of them.
            for round in 0..<12 {
                let d = DossierID(), persons = [PersonID(), PersonID()]
                try await stores[0].create(dossier: Self.dossier(d, status: "closed", territory: nil, created: 0, changed: 10,
                                                                 persons: persons.map { ("seeker", $0) }, seed: UInt8(round)),
                                           newPersons: persons.map { Self.person($0) }, by: nil, change: "create")
                let erased = try await concurrently(2) { i in
                    try await stores[i].erase(person: persons[i], dossiers: [d], at: Self.at(500 + i), kept: [])
                }
                #expect(erased.flatMap { $0 } == [d], "round \(round): exactly one of the two erasures finds both persons shredded")
                #expect(try await stores[0].lifecycle(d)?.erasedAt != nil, "round \(round)")
                #expect(try await stores[1].wrappedKeys([d.rawValue] + persons.map(\.rawValue)).isEmpty, "round \(round)")
            }
        }
    }

    @Test("two dossiers sharing a person erased at once on two servers: the person is shredded, as one server would")
    func concurrentErasureOfDossiers() async throws {
        try await Self.twoServers { stores, w in
            for round in 0..<12 {
                let shared = PersonID(), dossiers = [DossierID(), DossierID()]
                for (i, d) in dossiers.enumerated() {
                    try await stores[0].create(dossier: Self.dossier(d, status: "closed", territory: nil, created: 0, changed: 10,
                                                                     persons: [("seeker", shared)], seed: UInt8(round)),
                                               newPersons: i == 0 ? [Self.person(shared, born: "tag-\(round)")] : [], by: nil, change: "create")
                }
                let shredded = try await concurrently(2) { i in
                    try await stores[i].erase(dossiers: [dossiers[i]], persons: [shared], at: Self.at(500 + i), kept: [])
                }
                #expect(shredded.flatMap { $0 } == [shared], "round \(round): exactly one erasure finds the person's other dossier erased")
                #expect(try await stores[1].wrappedKeys([shared.rawValue]).isEmpty, "round \(round)")
                #expect(try await stores[0].lifecycle(dossiers).count == 2, "round \(round)")
            }
        }
    }

    @Test("archive read requests approved at once by two servers: approved once")
    func concurrentArchiveApproval() async throws {
        try await Self.twoServers { stores, w in
            try await stores[0].insertArchiveRequest(id: "ar", dossier: w.dossiers[0], account: w.accounts[0], purpose: "audit", reference: "R", at: Self.at(1))
            let approvals = try await concurrently(10) { i in
                try await stores[i % 2].approveArchiveRequest("ar", by: w.accounts[1 + i % 3], at: Self.at(10 + i), expires: Self.at(1000))
            }
            #expect(approvals.filter { $0 }.count == 1)
        }
    }
}
