import Foundation
import Testing
import GuichetVault
import GuichetCore

/// The key file provider notices a rotated key file at its next use, without a restart.
@Suite struct KeyProviderRefreshTests {
    @Test("a key file replaced by a rotation is seen at the next use, and an unchanged one is not re-read")
    func rotationIsSeenAtNextUse() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("guichet.keys").path
        var set = KeySet.generate()
        try set.write(to: path)
        let provider = try FileKeyProvider(path: path)
        let first = try provider.currentKEK()
        #expect(first.version == 1)
        #expect(try provider.currentKEK().key == first.key)
        #expect(set.rotate() == 2)
        try set.write(to: path)
        let second = try provider.currentKEK()
        #expect(second.version == 2)
        #expect(second.key != first.key)
        #expect(try provider.kek(version: 1) == first.key)
    }

    @Test("a key file removed while running fails closed within the recheck interval, and works again once put back")
    func removedFileFailsClosed() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("guichet.keys").path
        let set = KeySet.generate()
        try set.write(to: path)
        let provider = try FileKeyProvider(path: path)
        let key = try provider.kek(version: 1)
        try FileManager.default.removeItem(atPath: path)
        try await Task.sleep(for: .milliseconds(300))
        #expect(throws: KeyError.missing(path)) { _ = try provider.kek(version: 1) }
        #expect(throws: KeyError.missing(path), "and it stays closed between looks") { _ = try provider.kek(version: 1) }
        #expect(throws: KeyError.missing(path)) { _ = try provider.indexKey() }
        #expect(throws: KeyError.missing(path)) { _ = try provider.currentKEK() }
        #expect(throws: KeyError.missing(path)) { _ = try provider.ledgerSeeds() }
        try set.write(to: path)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try provider.kek(version: 1) == key)
        #expect(throws: Never.self) { _ = try provider.indexKey() }
    }

    @Test("with the key file removed, the gate refuses reads with 503 and journals nothing; readiness names the keys")
    func gateFailsClosed() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let mine = try await world.application(by: "parent1")
        let request = try await world.request("parent1")
        _ = try await world.gate.read(mine.id, request)
        let saved = try Data(contentsOf: URL(fileURLWithPath: world.keyFile))
        try FileManager.default.removeItem(atPath: world.keyFile)
        try await Task.sleep(for: .milliseconds(300))
        let before = try await world.store.ledgerSize()
        await #expect(throws: GuichetError.unavailable("a key needed for this data is not available")) {
            _ = try await world.gate.read(mine.id, request)
        }
        #expect(try await world.store.ledgerSize() == before, "a refused read leaves no ledger entry")
        let readiness = await world.gate.readiness(checkpointAge: 3_600)
        #expect(readiness.checks["keys"] == .some("the keys cannot be used"))
        try saved.write(to: URL(fileURLWithPath: world.keyFile))
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: world.keyFile)
        try await Task.sleep(for: .milliseconds(300))
        #expect(try await world.gate.read(mine.id, request).id == mine.id)
    }
}
