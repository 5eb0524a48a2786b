import Foundation
import Testing
import Crypto
import GuichetCore
import GuichetStore
import GuichetSynth
@_spi(GateOnly) import GuichetVault
@testable import GuichetLedger

/// The canonical bytes of a ledger entry are written by hand on the request path (issue 18);
/// they must stay the bytes `JSONEncoder` with sorted keys gives, which every entry written
/// before was, and decode back to the same entry.
@Suite struct LedgerCanonicalTests {
    /// Text with what JSON must escape (quote, backslash, control characters), what it must
    /// not (slash, non-ASCII, emoji), and plain identifiers.
    static let awkward = ["read", "list-management", "a\"b", "back\\slash", "tab\there", "line\nbreak", "cr\rlf", "\u{08}\u{0C}",
                          "\u{01}\u{1F}\u{7F}", "path/with/slashes", "Montréal", "garçon 🙂", "", "rule-1,rule-2", "import:run-42"]

    func row(_ rng: inout SplitMix64, index: Int) -> JournalRow {
        func pick(_ list: [String]) -> String { list.randomElement(using: &rng)! }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { Bool.random(using: &rng) ? value() : nil }
        let persons = (0..<Int.random(in: 0...4, using: &rng)).map { _ in PersonID(using: &rng) }
        var r = JournalRow(at: Date(millis: 1_700_000_000_000 + Int64(index) * 997), requestID: "req-\(index)-\(pick(Self.awkward))",
                           account: maybe(AccountID(using: &rng)), role: maybe(pick(Self.awkward)),
                           organisation: maybe(OrganisationID(using: &rng)), session: maybe(SessionID(using: &rng)),
                           source: maybe("192.0.2.\(index % 250)"), action: pick(Self.awkward), allowed: Bool.random(using: &rng),
                           reason: pick(Self.awkward), purpose: maybe(pick(Self.awkward)),
                           dossiers: (0..<Int.random(in: 0...3, using: &rng)).map { _ in DossierID(using: &rng) },
                           persons: persons, fields: (0..<Int.random(in: 0...6, using: &rng)).map { _ in pick(Self.awkward) })
        if !persons.isEmpty, Bool.random(using: &rng) {
            r.personFields = Dictionary(uniqueKeysWithValues: persons.map { ($0, ["child.\(pick(Self.awkward))", "parent.lastName"]) })
        }
        r.disclosed = Bool.random(using: &rng)
        return r
    }

    @Test("hand-written canonical bytes equal JSONEncoder's sorted-keys bytes and decode back")
    func canonicalMatchesEncoder() throws {
        var rng = SplitMix64(seed: 18)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let key = SymmetricKey(size: .bits256)
        for i in 0..<2_000 {
            let r = row(&rng, index: i)
            let entry = i % 2 == 0 ? LedgerEntry(r, sourceKey: key) : LedgerEntry(r)
            let canonical = entry.canonical()
            let reference = try encoder.encode(entry)
            #expect(canonical == reference, "entry \(i): \(String(decoding: canonical, as: UTF8.self)) != \(String(decoding: reference, as: UTF8.self))")
            #expect(LedgerEntry.decode(canonical) == entry)
        }
    }

    @Test("verification's reader of an entry's index keys reads what JSONDecoder reads, or leaves it to the decoder")
    func indexedEntryScan() throws {
        var rng = SplitMix64(seed: 19)
        let key = SymmetricKey(size: .bits256)
        let sloppy = JSONEncoder()  // keys in any order, slashes escaped
        for i in 0..<2_000 {
            let entry = i % 2 == 0 ? LedgerEntry(row(&rng, index: i), sourceKey: key) : LedgerEntry(row(&rng, index: i))
            let canonical = entry.canonical()
            for bytes in [canonical, try sloppy.encode(entry)] {
                let reference = try JSONDecoder().decode(IndexedEntry.self, from: bytes)
                let scanned = bytes.withUnsafeBytes { IndexedEntry.scan($0) }
                #expect(scanned == nil || scanned == reference, "entry \(i): \(String(decoding: bytes, as: UTF8.self))")
                #expect(bytes.withUnsafeBytes { IndexedEntry.read($0) } == reference)
                if bytes == canonical { #expect(scanned != nil, "entry \(i): canonical bytes are read without the decoder") }
            }
        }
        // An id spelled with escapes is left to the decoder, which reads it.
        let escaped = Data(#"{"actor":{"account":"a\u0062c","session":null},"at":5,"dossiers":[],"persons":["p\/1"]}"#.utf8)
        #expect(escaped.withUnsafeBytes { IndexedEntry.scan($0) } == nil)
        #expect(escaped.withUnsafeBytes { IndexedEntry.read($0) }
                == IndexedEntry(at: 5, actor: .init(account: "abc", session: nil), persons: ["p/1"], dossiers: []))
        // Cut short, a time with a fraction, a key missing, text after the object: no answer
        // from either reader rather than a wrong one.
        for bad in [#"{"actor":{},"at":5,"dossiers":[],"persons":["#, #"{"actor":{},"at":5.5,"dossiers":[],"persons":[]}"#,
                    #"{"actor":{},"at":5,"persons":[]}"#, #"{"actor":{},"at":5,"dossiers":[],"persons":[]}x"#, #"{"actor":{},"at":05,"dossiers":[],"persons":[]}"#] {
            let data = Data(bad.utf8)
            #expect(data.withUnsafeBytes { IndexedEntry.scan($0) } == nil, "\(bad)")
            #expect(data.withUnsafeBytes { IndexedEntry.read($0) } == nil, "\(bad)")
        }
    }

    @Test("index digests: the same rows in any order agree; a row changed, or swapped for another, does not; the key is fresh each time")
    func indexDigest() {
        let key = LedgerIndexDigest.Key.random()
        #expect(key != LedgerIndexDigest.Key.random())
        var rows: [(LedgerIndexDigest.Index, Int64, String, Int64?)] = []
        for i in 0..<500 {
            let index = LedgerIndexDigest.Index.allCases[i % 5]
            let timed = index == .account || index == .session || index == .time
            let at: Int64? = timed ? Int64(1_700_000_000_000 + i) : nil
            rows.append((index, Int64(i / 5), "id-\(i % 37)", at))
        }
        func digest(_ rows: some Sequence<(LedgerIndexDigest.Index, Int64, String, Int64?)>, key: LedgerIndexDigest.Key) -> LedgerIndexDigest {
            var d = LedgerIndexDigest(key: key)
            for (index, entry, id, at) in rows { d.add(index, entry: entry, id: id, at: at) }
            return d
        }
        let whole = digest(rows, key: key)
        #expect(whole.firstDifference(from: digest(rows.shuffled(), key: key)) == nil)
        var changed = rows
        changed[7].2 = "id-other"  // a person row pointing at someone else: same count
        let difference = whole.firstDifference(from: digest(changed, key: key))
        #expect(difference?.index == "person")
        #expect(difference?.rows == difference?.expected, "the same number of rows, told apart by their sum")
        var moved = rows
        moved[12].1 = 65_536 + 12  // the same row under an entry of another bucket
        #expect(whole.firstDifference(from: digest(moved, key: key))?.entries == 0..<65_536)
        // An entry's time and an account's row with the same text are different rows.
        #expect(digest([(.account, 1, "", 5)], key: key).firstDifference(from: digest([(.time, 1, "", 5)], key: key)) != nil)
    }

    @Test("the journal's cached source tag is the tag SourceTag computes")
    func cachedTagIsTheTag() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        for _ in 0..<3 { _ = try await world.gate.read(a.id, try await world.request("daycare1")) }
        let rows = try await world.ledger.journal()
        let tagged = rows.filter { $0.sourceTag != nil && $0.source != nil }
        #expect(tagged.count >= 3)
        let key = try Vault(profile: world.profile, keys: world.keys).derivedKey(purpose: SourceTag.keyPurpose)
        for r in tagged { #expect(r.sourceTag == SourceTag.make(r.source!, key: key)) }
    }
}
