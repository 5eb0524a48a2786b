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

    @Test("servers sharing a database copy each other's erasures into their own lists, once each")
    func serversCopyEachOthersErasures() async throws {
        let world = try await World.make()
        defer { world.remove() }
        var parents: [PersonID] = []
        for n in 1...4 { parents.append(try await world.registerParent("parent\(n)")) }
        let second = try await world.reopened()
        let listA = world.folder.appendingPathComponent("a.erasures"), listB = world.folder.appendingPathComponent("b.erasures")
        _ = try await world.gate.keepErasures(at: listA, server: "server-a", requestID: "test")
        _ = try await second.gate.keepErasures(at: listB, server: "server-b", requestID: "test")
        #expect(try await second.gate.copyErasures() == 0, "nothing erased yet")
        let subject = parents[0].rawValue
        #expect(try await world.gate.shred(person: parents[0], reason: "test erasure", requestID: "erasure-test"))
        #expect(try String(contentsOf: listA, encoding: .utf8) == subject + "\n")
        #expect(try String(contentsOf: listB, encoding: .utf8).isEmpty, "the other server's list lacks it until it copies")
        #expect(try await second.gate.copyErasures() == 1)
        #expect(try String(contentsOf: listB, encoding: .utf8) == subject + "\n", "copied, ids only")
        #expect(try await second.gate.copyErasures() == 0, "copied once")
        // Small batches page through the shreddings in order, none skipped.
        for next in parents.dropFirst() {
            #expect(try await world.gate.shred(person: next, reason: "test erasure", requestID: "erasure-test"))
        }
        #expect(try await second.gate.copyErasures(batch: 2) == 3)
        #expect(Set(try String(contentsOf: listB, encoding: .utf8).split(separator: "\n").map(String.init))
                == Set(try String(contentsOf: listA, encoding: .utf8).split(separator: "\n").map(String.init)))
    }

    @Test("a server does not copy into its list what a command sharing the list already wrote there")
    func noCopyOfWhatTheListHolds() async throws {
        let world = try await World.make()
        defer { world.remove() }
        var parents: [PersonID] = []
        for n in 1...3 { parents.append(try await world.registerParent("parent\(n)")) }
        // The server and a console command (another registry over the same database) keep one
        // list: the folder's (an operator's audit found each retention run's subjects twice).
        let console = try await world.reopened()
        let list = world.folder.appendingPathComponent("shared.erasures")
        _ = try await world.gate.keepErasures(at: list, server: "server-a", requestID: "test")
        _ = try await console.gate.keepErasures(at: list, server: "server-a", requestID: "test")
        #expect(try await world.gate.copyErasures() == 0)
        for p in parents { #expect(try await console.gate.shred(person: p, reason: "test erasure", requestID: "erasure-test")) }
        #expect(try await world.gate.copyErasures() == 0, "the console wrote them")
        let lines = try String(contentsOf: list, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines.count == 3 && Set(lines) == Set(parents.map(\.rawValue)), "\(lines)")
        // Another server's erasure, absent from the list, is still copied.
        let fourth = try await world.registerParent("parent4")
        let other = try await world.reopened()
        _ = try await other.gate.keepErasures(at: world.folder.appendingPathComponent("b.erasures"), server: "server-b", requestID: "test")
        #expect(try await other.gate.shred(person: fourth, reason: "test erasure", requestID: "erasure-test"))
        #expect(try await world.gate.copyErasures() == 1)
        #expect(try String(contentsOf: list, encoding: .utf8).split(separator: "\n").count == 4)
    }

    @Test("a backup restored with the list of a server that made none of the erasures applies them all again", .sqliteOnly)
    func restoreWithAnotherServersList() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "20", "--no-serve"]).status == 0)
        let backup = folder.appendingPathComponent("before.backup").path
        #expect(try await CommandLineTests.run(["backup", "--data", data, "--out", backup]).status == 0)
        // Server A erases; server B, whose key file and list live elsewhere, copies it.
        let other = folder.appendingPathComponent("server-b")
        try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/guichet.keys", toPath: other.path + "/guichet.keys")
        let (a, _) = try await Deployment(data).openExisting(keys: nil)
        let subject = try #require(try await a.store.anyDataKey()?.subject)
        #expect(try await a.gate.shred(person: PersonID(trusted: subject), reason: "test erasure", requestID: "erasure-test"))
        let b = try await Deployment(data).openExisting(keys: nil).0
        _ = try await b.gate.keepErasures(at: other.appendingPathComponent("guichet.keys.erasures"), server: "server-b", requestID: "test")
        #expect(try await b.gate.copyErasures() == 1)
        try a.store.close()
        try b.store.close()
        // The backup restored with server B's key file and list: the erasure is made again.
        let restored = folder.appendingPathComponent("restored").path
        let r = try await CommandLineTests.run(["restore", "--from", backup, "--data", restored, "--keys", other.path + "/guichet.keys"])
        #expect(r.status == 0 && r.stderr.contains("1 erasure recorded in") && r.stderr.contains("it was applied again"), "\(r.stdout) \(r.stderr)")
        let (again, _) = try await Deployment(restored).openExisting(keys: other.path + "/guichet.keys")
        #expect(try await again.store.wrappedKeys([subject]).isEmpty, "the erased subject's key is gone from the restored database")
        try again.store.close()
    }

    @Test("erasures made with the keys in GUICHET_KEYS are applied again by a restore with the key file when both lists are copied; the files erased stay erased", .sqliteOnly)
    func listsOfBothKeySources() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "30", "--no-serve"]).status == 0)
        let backup = folder.appendingPathComponent("before.backup").path
        #expect(try await CommandLineTests.run(["backup", "--data", data, "--out", backup]).status == 0)
        // Three applications withdrawn 400 days ago (synthetic: the demo's are all recent).
        let registry = RegistryFolder(data: data)
        let old = Int64((Date().timeIntervalSince1970 - 400 * 86_400) * 1000)
        let ids = try await registry.strings("SELECT id FROM dossier WHERE status = 'waiting' ORDER BY id LIMIT 3")
        let updates = ids.map { "UPDATE dossier SET status = 'withdrawn', updated_at = \(old) WHERE id = '\($0)'" }  // identifiers: no quote in them
        try await registry.execute(sqlite: updates, postgres: updates)
        // The retention run of a server in a container: the key file's content in GUICHET_KEYS,
        // no key file in the folder; its erasures go to the folder's guichet.erasures.
        let aside = folder.appendingPathComponent("guichet.keys").path
        try FileManager.default.moveItem(atPath: data + "/guichet.keys", toPath: aside)
        var environment = ProcessInfo.processInfo.environment
        environment["GUICHET_KEYS"] = try String(contentsOfFile: aside, encoding: .utf8)
        let run = try await Child.run(CommandLineTests.binary.path, ["retention", "run", "--data", data], directory: Repo.root, environment: environment, timeout: 600)
        #expect(run.status == 0 && run.stdout.contains("erased 3 dossiers"), "\(run.stdout) \(run.stderr)")
        let containerList = try String(contentsOfFile: data + "/guichet.erasures", encoding: .utf8)
        #expect(ids.allSatisfy { containerList.contains($0 + "\n") }, "the files erased are in the folder's list")

        // Restored with the key file, both lists copied beside it, as OPERATIONS.md says.
        let restored = folder.appendingPathComponent("restored").path
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: aside, toPath: restored + "/guichet.keys")
        for list in ["guichet.keys.erasures", "guichet.erasures"] {
            try FileManager.default.copyItem(atPath: data + "/" + list, toPath: restored + "/" + list)
        }
        let r = try await CommandLineTests.run(["restore", "--from", backup, "--data", restored])
        #expect(r.status == 0 && r.stderr.contains("applied again"), "\(r.stdout) \(r.stderr)")
        let again = RegistryFolder(data: restored)
        let inIDs = "(\(ids.map { "'\($0)'" }.joined(separator: ", ")))"
        #expect(try await again.count("data_key", where: "wrapped IS NULL AND subject_id IN \(inIDs)") == 3, "the files' keys are shredded again")
        #expect(try await again.count("dossier_lifecycle", where: "erased_at IS NOT NULL AND dossier_id IN \(inIDs)") == 3,
                "marked erased again: never listed nor read, and not erased a second time")
        // The key file's list now holds them too: a later restore with it alone applies them.
        let copied = try String(contentsOfFile: restored + "/guichet.keys.erasures", encoding: .utf8)
        #expect(ids.allSatisfy { copied.contains($0 + "\n") }, "copied into the key file's list")
        let second = try await CommandLineTests.run(["retention", "run", "--data", restored])
        #expect(second.status == 0 && second.stdout.contains("0 archived, 0 erased"), "\(second.stdout) \(second.stderr)")
        #expect(try await CommandLineTests.run(["ledger", "verify", "--data", restored]).status == 0)
    }
}
