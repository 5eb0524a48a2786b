import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetVault
@testable import GuichetStore

/// Archives under their own key-encryption key (docs/KEYS.md, "Archives"): archiving re-wraps
/// the data keys of the dossier, and of the persons only archived dossiers link, under the
/// archive KEK; a server holding the ordinary keys only cannot open them (503, never
/// plaintext), the approved read works where the archive key is held, and retention erasure
/// still shreds them.
@Suite struct ArchiveKeyTests {
    @Test("place05: an archived application opens only with the archive key; the ordinary keys alone get 503; erasure still shreds it")
    func archivedUnderTheArchiveKey() async throws {
        let (world, clock, apps, actors) = try await RetentionRunTests.place05()
        defer { world.remove() }
        let a = try #require(apps["A"]), c = try #require(apps["C"])
        let child = try RetentionRunTests.child(a)
        let parent = try #require(a.persons.first { $0.role == "parent" }).person
        clock.advance(91 * RetentionRunTests.day)
        #expect(try await world.gate.runRetention().archived == 2, "A closed (90 days) and B withdrawn (30 days)")
        let keys = try await world.store.wrappedKeys([a.id.rawValue, child.rawValue, parent.rawValue, c.id.rawValue])
        #expect(keys[a.id.rawValue]?.kekVersion == Vault.archiveVersion, "the dossier's key under the archive key")
        #expect(keys[child.rawValue]?.kekVersion == Vault.archiveVersion, "the child only it links, too")
        #expect(keys[parent.rawValue]?.kekVersion == 1, "the parent has an account (and another application): the ordinary key")
        #expect(keys[c.id.rawValue]?.kekVersion == 1, "a live application: the ordinary key")

        // The approved read, where the archive key is held.
        let agent = try actors.request("agent", purpose: "family-request")
        let asked = try await world.gate.requestArchiveRead(a.id, reference: "CASE-7", agent)
        _ = try await world.gate.approveArchiveRead(asked.id, try #require(actors.principals["security"]), requestID: "t")
        #expect(RetentionRunTests.firstName(try await world.gate.read(a.id, agent), "child") == .text("Alice"))

        // The same registry opened with the ordinary keys only (the key file without its archive key).
        let stripped = world.folder.appendingPathComponent("ordinary.keys").path
        try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: world.keyFile)), origin: "test").withoutArchiveKey().write(to: stripped)
        let ordinary = try await Registry.open(store: world.sqlite, profile: world.profile, keys: try FileKeyProvider(path: stripped),
                                               keysOrigin: stripped, options: .testing(watch: nil, clock: clock.function))
        let before = try await world.gate.ledgerSize()
        do {
            _ = try await ordinary.gate.read(a.id, agent)
            Issue.record("an archived dossier opened without the archive key")
        } catch let error as GuichetError {
            guard case .unavailable = error else { Issue.record("expected 503, got \(error)"); return }
        }
        #expect(try await world.gate.ledgerSize() == before, "refused before anything is journalled as read")

        // At two years, retention erases the archived application: its keys are destroyed.
        clock.advance(2 * 365 * RetentionRunTests.day)
        #expect(try await world.gate.runRetention().erased >= 1)
        #expect(try await !world.store.hasLiveKey(a.id.rawValue))
        #expect(try await !world.store.hasLiveKey(child.rawValue))
        // Its kept fields stay out of the ordinary key's reach too.
        let kept = try await world.store.kept(dossier: a.id)
        #expect(!kept.isEmpty && kept.allSatisfy { $0.key?.kekVersion == Vault.archiveVersion })
        // Live data still reads with the ordinary keys only.
        let live = try await ordinary.gate.read(c.id, try actors.request("agent", purpose: "list-management"))
        #expect(RetentionRunTests.firstName(live, "child") == .text("Chloé"))
        #expect(try await world.gate.auditor.verify().problem == nil)
    }

    @Test("a key file without an archive key still opens (older files); a rotation adds one; status says which")
    func olderKeyFiles() throws {
        let full = KeySet.generate()
        #expect(full.hasArchiveKey)
        let older = full.withoutArchiveKey()
        let reread = try KeySet.parse(older.serialised(), origin: "test")
        #expect(!reread.hasArchiveKey && reread == older)
        #expect(!String(decoding: older.serialised(), as: UTF8.self).contains("archive"))
        var rotated = reread
        _ = rotated.rotate()
        #expect(rotated.hasArchiveKey)
        #expect(try KeySet.parse(full.serialised(), origin: "test") == full)
    }
}
