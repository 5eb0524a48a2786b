import Foundation
import Testing
import GuichetVault

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
}
