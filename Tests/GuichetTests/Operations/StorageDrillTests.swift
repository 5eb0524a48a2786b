import Foundation
import Testing
import GRDB
@testable import GuichetStore
#if canImport(Glibc)
import Glibc
#endif

/// Issue #21 item 5: a disk that fills up and a filesystem that turns read-only under a
/// serving Guichet (`Tests/peers/storage_drill.py`, a real ext4 filesystem in a loop file,
/// so root only): reads and writes refused with a 503 problem and no data, `/readyz` not
/// ready, no crash; recovery without a restart when space returns; after a read-only
/// filesystem (which the kernel will not make writable again while mounted), stop, e2fsck,
/// start: every acknowledged write is there, every read answered 200 has its ledger entry,
/// and the ledger verifies.
@Suite(.serialized) struct StorageDrillTests {
    struct Figures: Decodable {
        struct Phase: Decodable { let reads: [String: Int]; let writes: [String: Int]; let readyz: Int }
        let diskFull: Phase
        let readOnly: Phase
        let writesLost: Int
        let reads200: Int
        let reads200WithoutEntry: Int
        let ledgerVerifies: Bool
        let failures: [String]
    }

    @Test("SQLite's disk-full and read-only errors, met for real, are said in words an operator can act on, not as a bare code")
    func storageErrorsInWords() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("words.sqlite").path
        let queue = try DatabaseQueue(path: path)
        try queue.inDatabase { db in try db.execute(sql: "CREATE TABLE t(x BLOB)") }
        // A database that may not grow: SQLite answers as on a full disk (SQLITE_FULL).
        let full: (any Error)? = try queue.inDatabase { db in
            let pages = try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 1
            try db.execute(sql: "PRAGMA max_page_count = \(pages)")
            do { try db.execute(sql: "INSERT INTO t VALUES (zeroblob(200000))"); return nil } catch { return error }
        }
        let fullError = try #require(full)
        #expect(Store.isStorageFault(fullError))
        #expect(Store.safe(fullError) == "the disk holding the database is full: free space, then retry (nothing was written)")
        var config = Configuration()
        config.readonly = true
        let readOnly = try DatabaseQueue(path: path, configuration: config)
        let refused: (any Error)? = try readOnly.inDatabase { db in
            do { try db.execute(sql: "INSERT INTO t VALUES (x'00')"); return nil } catch { return error }
        }
        let refusedError = try #require(refused)
        #expect(Store.isStorageFault(refusedError))
        #expect(Store.safe(refusedError) == "the database cannot be written (a read-only file or filesystem)")
        for error in [fullError, refusedError] { #expect(!Store.safe(error).contains("SQLite code")) }
    }

    @Test("the writer commits with synchronous = FULL (GRDB's WAL set-up turns it to NORMAL; the store puts it back)")
    func writerIsFullySynchronous() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        let level = try await store.pool.writeWithoutTransaction { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(level == 2, "synchronous = \(String(describing: level)) (2 is FULL)")
    }

    @Test("disk full and read-only storage: refused with 503 and no data, not ready, recovered, nothing acknowledged lost",
          .enabled(if: getuid() == 0, "mounts a loop filesystem: root only"))
    func diskFullAndReadOnly() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let demo = folder.appendingPathComponent("demo").path
        let made = try await Child.run(CommandLineTests.binary.path, ["demo", "--data", demo, "--size", "60", "--no-serve"],
                                       directory: Repo.root, timeout: 600)
        #expect(made.status == 0, "\(made.output)")
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let script = Repo.root.appendingPathComponent("Tests/peers/storage_drill.py").path
        let r = try await Python.run([script, CommandLineTests.binary.path, demo, work.path], timeout: 900)
        if r.status == 2 {
            // Root, but this machine refuses loop mounts (a container without the capability):
            // said as a known issue, not passed, and not a failure of Guichet.
            withKnownIssue("the storage drill could not mount a loop filesystem here") {
                Issue.record("\(r.output.suffix(500))")
            }
            return
        }
        #expect(r.status == 0, "\(r.output.suffix(4_000))")
        let line = try #require(r.output.split(separator: "\n").first { $0.hasPrefix("{") }, "\(r.output.suffix(2_000))")
        let figures = try JSONDecoder().decode(Figures.self, from: Data(line.utf8))
        #expect(figures.failures.isEmpty, "\(line)")
        for phase in [figures.diskFull, figures.readOnly] {
            #expect(phase.reads["503", default: 0] > 0 && phase.writes["503", default: 0] > 0 && phase.readyz == 503, "\(line)")
            #expect(phase.reads.keys.allSatisfy { ["200", "503"].contains($0) } && phase.writes.keys.allSatisfy { ["200", "503"].contains($0) },
                    "only 200 or 503: \(line)")
        }
        #expect(figures.writesLost == 0 && figures.ledgerVerifies, "\(line)")
        #expect(figures.reads200 > 0 && figures.reads200WithoutEntry == 0, "\(line)")
    }
}
