import Foundation
import GRDB
import Testing
import GuichetCore
import GuichetGate
@testable import GuichetStore

/// Crypto-shredding is only as good as the bytes it removes: once an erasure has returned,
/// neither SQLite's database file nor its WAL may still hold the person's wrapped data key,
/// search terms or birth-year tag (KEYS.md, "Crypto-shredding"). SQLite only: PostgreSQL's
/// dump shows live rows only (KEYS.md says what PostgreSQL keeps).
@Suite struct ErasureBytesTests {
    @Test("after an erasure, the database file and its WAL hold neither the person's wrapped key nor their search terms", .sqliteOnly)
    func nothingLeftInTheFiles() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let child = try RetentionRunTests.child(app)
        let id = child.rawValue
        let wrapped = try #require(try await world.database.blobs("SELECT wrapped FROM data_key WHERE subject_id = '\(id)'").first)
        // The child's own terms: a surname shared with the parent stays, as the parent's.
        let terms = try await world.database.strings("""
            SELECT term FROM person_term t WHERE person_id = '\(id)'
            AND NOT EXISTS (SELECT 1 FROM person_term o WHERE o.term = t.term AND o.person_id != t.person_id)
            """) + world.database.strings("""
            SELECT tag FROM person_birth_year y WHERE person_id = '\(id)'
            AND NOT EXISTS (SELECT 1 FROM person_birth_year o WHERE o.tag = y.tag AND o.person_id != y.person_id)
            """)
        #expect(terms.count >= 3, "the child's first name, NAM and birth year are searchable")
        // The scan finds them before the erasure, so it can find them after.
        let before = try await world.database.storedBytes()
        #expect(before.containsBytes(wrapped))
        for term in terms { #expect(before.containsBytes(Data(term.utf8))) }

        _ = try await world.gate.eraseOnRequest(person: child, reference: "REQ-2027-3", try await world.principal("security"), requestID: "t")

        let after = try await world.database.storedBytes()
        #expect(!after.containsBytes(wrapped), "the shredded key's bytes are gone from the file and the WAL")
        for term in terms { #expect(!after.containsBytes(Data(term.utf8)), "a search term of the erased person is gone") }
    }

    @Test("a reader that holds the WAL delays the purge, not the erasure: the erasure returns, and the WAL is purged once the reader leaves", .sqliteOnly)
    func purgeWaitsForReaders() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let child = try RetentionRunTests.child(try await world.application(by: "parent1"))
        let wrapped = try #require(try await world.database.blobs("SELECT wrapped FROM data_key WHERE subject_id = '\(child.rawValue)'").first)
        // Another connection (another process, in a deployment) in a read transaction begun
        // before the erasure: its snapshot needs the WAL's frames, so the WAL cannot be reset.
        let reader = try DatabaseQueue(path: try world.sqlite.path)
        // On a thread of its own: it blocks until the test lets it go.
        let started = DispatchSemaphore(value: 0), leave = DispatchSemaphore(value: 0), left = DispatchSemaphore(value: 0)
        Thread {
            try? reader.read { db in
                _ = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM data_key")
                started.signal()
                leave.wait()
            }
            left.signal()
        }.start()
        started.wait()
        let clock = ContinuousClock.now
        _ = try await world.gate.eraseOnRequest(person: child, reference: "REQ-2027-5", try await world.principal("security"), requestID: "t")
        // Three attempts that each waited for the busy timeout (10 s) would take 30 s at least,
        // however idle the machine; three short ones take well under a second when it is idle
        // (about 12 s were seen under the whole suite's load on two cores).
        #expect(ContinuousClock.now - clock < .seconds(25), "the erasure returned after its short attempts to purge")
        // Meanwhile the one writer is free: the next dossier is written and read, ledger entries
        // and all, while the reader still holds the WAL.
        _ = try await world.gate.read(try await world.application(by: "parent1").id, try await world.request("agent", purpose: "family-request"))
        #expect(try await world.database.storedBytes().containsBytes(wrapped), "the reader held the WAL, so its old images were still there")
        leave.signal()
        left.wait()
        var purged = false
        for _ in 0..<20 where !purged {
            try await Task.sleep(for: .milliseconds(500))
            purged = try await !world.database.storedBytes().containsBytes(wrapped)
        }
        #expect(purged, "the background retry purged the WAL once the reader had left")
    }
}
