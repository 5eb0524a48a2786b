import Foundation
import GRDB
import Testing
import GuichetCore
@_spi(LedgerOnly) @testable import GuichetStore

/// The ledger's person, dossier, session and address indexes are integrated in batches after
/// the durable append (issue 18); until then an entry's references wait in `ledger_tail`.
/// Every query of those indexes must give the same answer whether integration has run, half
/// run, or not run at all (a crash right after the append).
@Suite struct LedgerTailTests {
    struct Appended {
        let idx: Int64
        let at: Int64
        let persons: [PersonID]
        let dossiers: [DossierID]
        let session: SessionID?
        let source: String?
    }

    /// 300 entries naming persons, dossiers, sessions and addresses drawn from small pools (so
    /// that each is named many times), with times that sometimes go backwards (clocks do).
    func appendSome(_ store: Store) async throws -> [Appended] {
        let persons = (0..<12).map { _ in PersonID() }, dossiers = (0..<8).map { _ in DossierID() }
        let sessions = (0..<5).map { _ in SessionID() }, sources = ["192.0.2.10", "192.0.2.11", "2001:db8::7"]
        var out: [Appended] = []
        var generator = SystemRandomNumberGenerator()
        for batch in 0..<6 {
            var rows: [LedgerRow] = []
            for i in 0..<50 {
                let idx = Int64(batch * 50 + i)
                let at = 1_767_225_600_000 + idx * 1_000 - (idx % 7 == 0 ? 5_000 : 0)
                let a = Appended(idx: idx, at: at, persons: Array(persons.shuffled(using: &generator).prefix(Int.random(in: 0...3))),
                                 dossiers: Bool.random() ? [dossiers.randomElement()!] : [],
                                 session: Bool.random() ? sessions.randomElement()! : nil, source: Bool.random() ? sources.randomElement()! : nil)
                out.append(a)
                rows.append(LedgerRow(entry: Data("entry \(idx)".utf8), at: Date(millis: at), account: nil, requestID: "r\(idx)",
                                      persons: a.persons, dossiers: a.dossiers, session: a.session, source: a.source))
            }
            try await store.appendLedger(start: Int64(batch * 50), rows: rows, nodes: [])
        }
        return out
    }

    /// Every query of the four indexes, with small and large limits and a cut-off.
    func answers(_ store: Store, _ appended: [Appended]) async throws -> [String] {
        var out: [String] = []
        let persons = Array(Set(appended.flatMap(\.persons))).sorted { $0.rawValue < $1.rawValue }
        let dossiers = Array(Set(appended.flatMap(\.dossiers))).sorted { $0.rawValue < $1.rawValue }
        for p in persons {
            out.append("person \(try await store.ledgerIndexes(person: p, limit: 7)) \(try await store.ledgerIndexes(person: p, limit: 1_000))")
        }
        for limit in [5, 1_000] {
            out.append("history \(try await store.ledgerIndexes(persons: Array(persons.prefix(2)), dossiers: Array(dossiers.prefix(1)), after: 20, below: 280, limit: limit))")
        }
        for s in Set(appended.compactMap(\.session)).sorted(by: { $0.rawValue < $1.rawValue }) {
            for limit in [4, 1_000] {
                out.append("session \(try await store.ledgerIndexes(.session(s), from: nil, to: nil, below: 290, limit: limit))")
            }
        }
        for s in Set(appended.compactMap(\.source)).sorted() {
            out.append("source \(try await store.ledgerIndexes(.source(s), from: Date(millis: 1_767_225_650_000), to: nil, below: 300, limit: 1_000))")
        }
        out.append("sources \(try await store.ledgerSources(appended.map(\.idx)).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })")
        return out
    }

    /// The same answers computed from what was appended, by brute force.
    func expected(_ appended: [Appended]) -> [String] {
        var out: [String] = []
        let persons = Array(Set(appended.flatMap(\.persons))).sorted { $0.rawValue < $1.rawValue }
        let dossiers = Array(Set(appended.flatMap(\.dossiers))).sorted { $0.rawValue < $1.rawValue }
        for p in persons {
            let all = appended.filter { $0.persons.contains(p) }.map(\.idx)
            out.append("person \(Array(all.prefix(7))) \(all)")
        }
        for limit in [5, 1_000] {
            let (ps, d) = (Set(persons.prefix(2)), Set(dossiers.prefix(1)))
            let all = appended.filter { $0.idx > 20 && $0.idx < 280 && ($0.persons.contains(where: ps.contains) || $0.dossiers.contains(where: d.contains)) }
            out.append("history \(Array(all.map(\.idx).prefix(limit)))")
        }
        func byTime(_ rows: [Appended]) -> [Int64] { rows.sorted { ($0.at, $0.idx) < ($1.at, $1.idx) }.map(\.idx) }
        for s in Set(appended.compactMap(\.session)).sorted(by: { $0.rawValue < $1.rawValue }) {
            for limit in [4, 1_000] {
                out.append("session \(Array(byTime(appended.filter { $0.session == s && $0.idx < 290 }).prefix(limit)))")
            }
        }
        for s in Set(appended.compactMap(\.source)).sorted() {
            out.append("source \(byTime(appended.filter { $0.source == s && $0.at >= 1_767_225_650_000 }))")
        }
        out.append("sources \(appended.compactMap { a in a.source.map { "\(a.idx)=\($0)" } })")
        return out
    }

    @Test("queries give the same answers before, during and after integration, and after a restart in between")
    func sameAnswersWhateverIntegration() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("guichet.sqlite").path
        var store = try Store(path: path)
        let appended = try await appendSome(store)
        let want = expected(appended)
        #expect(try await store.ledgerTailCount() == 300)
        #expect(try await answers(store, appended) == want)

        // The process stops before integrating: the tail is durable, and a new one reads it.
        store = try Store(path: path)
        #expect(try await store.ledgerTailCount() == 300)
        #expect(try await answers(store, appended) == want)

        #expect(try await store.integrateLedger(limit: 130) == 130)
        #expect(try await store.ledgerTailCount() == 170)
        #expect(try await answers(store, appended) == want)

        #expect(try await store.integrateLedger() == 170)
        #expect(try await store.integrateLedger() == 0)
        #expect(try await store.ledgerTailCount() == 0)
        #expect(try await answers(store, appended) == want)
        let indexed = try await store.pool.read { db in
            [try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_person") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_session") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_source") ?? 0, try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_dossier") ?? 0]
        }
        #expect(indexed == [appended.reduce(0) { $0 + $1.persons.count }, appended.filter { $0.session != nil }.count,
                            appended.filter { $0.source != nil }.count, appended.reduce(0) { $0 + $1.dossiers.count }])
    }

    @Test("an entry leaves the tail only once integrated, and integration never goes back")
    func tailGuarded() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        _ = try await appendSome(store)
        try await store.integrateLedger(limit: 100)
        for sql in ["DELETE FROM ledger_tail WHERE idx = 150", "DELETE FROM ledger_tail", "UPDATE ledger_tail SET refs = x'01' WHERE idx = 200",
                    "UPDATE ledger_integration SET size = 50", "UPDATE ledger_integration SET size = 301", "DELETE FROM ledger_integration"] {
            await #expect(throws: DatabaseError.self, "\(sql)") { try await store.pool.write { db in try db.execute(sql: sql) } }
        }
        #expect(try await store.ledgerTailCount() == 200)
    }

    @Test("a tail record decodes to what was encoded, and a damaged one is refused")
    func refsRoundTrip() throws {
        let refs = LedgerRefs(session: "s-1", source: "2001:db8::1", persons: ["p1", "", "p-é"], dossiers: ["d"])
        #expect(try LedgerRefs(decoding: refs.encoded()) == refs)
        let empty = LedgerRefs(session: nil, source: nil, persons: [], dossiers: [])
        #expect(try LedgerRefs(decoding: empty.encoded()) == empty)
        let bytes = refs.encoded()
        #expect(throws: StoreError.self) { try LedgerRefs(decoding: bytes.prefix(bytes.count - 1)) }
        #expect(throws: StoreError.self) { try LedgerRefs(decoding: Data([2]) + bytes.dropFirst()) }
    }
}
