import Foundation
import Testing
import GuichetCore
import GuichetDeployment
import GuichetGate
import GuichetLedger

/// An erasure made after a backup stays made when that backup is restored (a lifecycle audit:
/// a child erased on request was readable again after a restore). The erasure list kept beside
/// the key file is applied again by the restore, and by any opening of a database that lacks it.
@Suite(.serialized) struct ErasureListTests {
    @Test("an erasure made after a backup is applied again when the backup is restored, and said; the list holds ids only", .sqliteOnly)
    func erasureSurvivesRestore() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "20", "--no-serve"]).status == 0)
        let backup = folder.appendingPathComponent("before.backup").path
        let b = try await CommandLineTests.run(["backup", "--data", data, "--out", backup])
        #expect(b.status == 0, "\(b.stdout) \(b.stderr)")

        // After the backup, a person is erased (crypto-shredded).
        let (registry, _) = try await Deployment(data).openExisting(keys: nil)
        let subject = try #require(try await registry.store.anyDataKey()?.subject)
        #expect(try await registry.gate.shred(person: PersonID(trusted: subject), reason: "test erasure", requestID: "erasure-test"))
        try registry.store.close()
        let list = data + "/guichet.keys.erasures"
        let written = try String(contentsOfFile: list, encoding: .utf8)
        #expect(written == subject + "\n", "the list holds the erased subject's id, nothing else: \(written)")
        #expect((try FileManager.default.attributesOfItem(atPath: list)[.posixPermissions] as? Int) == 0o600)

        // The backup restored elsewhere with the registry's key file: the erasure is made again.
        let restored = folder.appendingPathComponent("restored").path
        let r = try await CommandLineTests.run(["restore", "--from", backup, "--data", restored, "--keys", data + "/guichet.keys"])
        #expect(r.status == 0 && r.stderr.contains("1 erasure recorded in \(list) was missing") && r.stderr.contains("it was applied again"), "\(r.stdout) \(r.stderr)")
        let (again, _) = try await Deployment(restored).openExisting(keys: data + "/guichet.keys")
        #expect(try await again.store.wrappedKeys([subject]).isEmpty, "the erased subject's key is gone from the restored database")
        let events = try await again.store.journal().filter { $0.action == "erasure:reapplied" }
        #expect(events.count == 1 && events.first?.reason.contains("1 erasures") == true, "journalled once: \(events.map(\.reason))")
        try again.store.close()
        // Opened again, nothing more to apply.
        let quiet = try await CommandLineTests.run(["ledger", "verify", "--data", restored, "--keys", data + "/guichet.keys"])
        #expect(quiet.status == 0 && !quiet.stderr.contains("applied again"), "\(quiet.stdout) \(quiet.stderr)")

        // A copy of the key file alone, as the docs' two lines once showed: refused, since the
        // erased person would come back (a co-operative's audit); nothing is restored.
        let bare = folder.appendingPathComponent("bare").path
        try FileManager.default.createDirectory(atPath: bare, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/guichet.keys", toPath: bare + "/guichet.keys")
        let refused = try await CommandLineTests.run(["restore", "--from", backup, "--data", bare])
        #expect(refused.status != 0 && refused.stderr.contains("no erasure list at \(bare)/guichet.keys.erasures")
                && refused.stderr.contains("readable again"), "\(refused.stdout) \(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: bare + "/guichet.sqlite") && !FileManager.default.fileExists(atPath: bare + "/guichet.keys.erasures"),
                "nothing restored, no empty list made")
        // The list lost for good: restored when the operator says so, and the erasure is undone
        // until carried out again (what the flag's help says).
        let forced = try await CommandLineTests.run(["restore", "--from", backup, "--data", bare, "--without-erasure-list"])
        #expect(forced.status == 0, "\(forced.stdout) \(forced.stderr)")
        let (undone, _) = try await Deployment(bare).openExisting(keys: nil)
        #expect(try await !undone.store.wrappedKeys([subject]).isEmpty, "without the list the backup's key is back")
        try undone.store.close()
    }
}
