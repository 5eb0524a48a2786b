import Foundation
import Testing
import GuichetStore

/// A missing, wrong or unreadable key refuses to start, says which key and what to do, and
/// writes nothing; `guichet keys` rotates online.
@Suite(.serialized) struct KeyStartupTests {
    func demoFolder() async throws -> (URL, String) {
        let folder = try temporaryFolder()
        let data = folder.appendingPathComponent("demo").path
        let r = try await CommandLineTests.run(["demo", "--data", data, "--size", "40", "--no-serve"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        return (folder, data)
    }

    /// What the registry holds: rows per table and the metadata (the files themselves may be
    /// checkpointed by SQLite on open, which changes no data).
    func fingerprint(_ data: String) async throws -> [String] {
        let folder = RegistryFolder(data: data)
        let counts = try await folder.rowCounts().sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        return counts + (try await folder.strings("SELECT key || '=' || value FROM meta WHERE key IN ('key-check', 'profile') ORDER BY key"))
    }

    @Test("the key file missing, too open, or from another registry: refused with what to do, nothing written")
    func badKeysRefuseToStart() async throws {
        let (folder, data) = try await demoFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let keys = data + "/guichet.keys"
        let before = try await fingerprint(data)

        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keys)
        var r = try await CommandLineTests.run(["serve", "--data", data, "--port", "0", "--admin-port", "0"])
        #expect(r.status != 0 && r.stderr.contains("readable by its group or others") && r.stderr.contains("chmod 600"), "stderr: \(r.stderr)")
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: keys)

        let moved = folder.appendingPathComponent("moved.keys").path
        try FileManager.default.moveItem(atPath: keys, toPath: moved)
        r = try await CommandLineTests.run(["serve", "--data", data, "--port", "0", "--admin-port", "0"])
        #expect(r.status != 0 && r.stderr.contains("no key file at \(keys)"), "stderr: \(r.stderr)")
        // Says where to find the keys for a restore (a lifecycle audit: a restore into a fresh
        // folder was told to run 'guichet init', which makes keys that open nothing).
        #expect(r.stderr.contains("to restore a backup, copy the registry's key file here first") && r.stderr.contains("only a new, empty data folder"),
                "stderr: \(r.stderr)")

        // Another registry's keys.
        let other = folder.appendingPathComponent("other").path
        #expect(try await CommandLineTests.run(["init", "--data", other]).status == 0)
        r = try await CommandLineTests.run(["serve", "--data", data, "--keys", other + "/guichet.keys", "--port", "0", "--admin-port", "0"])
        #expect(r.status != 0 && r.stderr.contains("do not open this registry"), "stderr: \(r.stderr)")
        #expect(try await fingerprint(data) == before, "nothing was written")
    }

    @Test("keys rotate re-wraps every data key; the old version is retired only once unused")
    func rotateCommand() async throws {
        let (folder, data) = try await demoFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var r = try await CommandLineTests.run(["keys", "retire", "--data", data, "--version", "1"])
        #expect(r.status != 0 && r.stderr.contains("current"), "stderr: \(r.stderr)")
        r = try await CommandLineTests.run(["keys", "rotate", "--data", data])
        #expect(r.status == 0 && r.stdout.contains("rotated to version 2"), "stderr: \(r.stderr)")
        // Servers sharing PostgreSQL each hold a copy of the key file: the command says to copy it.
        #expect(r.stdout.contains("every other server") == (TestBackend.postgres != nil), "\(r.stdout)")
        #expect(r.stderr.contains("re-wrapped"), "progress is shown")
        r = try await CommandLineTests.run(["keys", "status", "--data", data])
        #expect(r.stdout.contains("version 1: 0 data keys") && r.stdout.contains("version 2 (current)"), "stdout: \(r.stdout)")
        r = try await CommandLineTests.run(["keys", "retire", "--data", data, "--version", "1"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        // The registry still opens and serves with the rotated keys.
        r = try await CommandLineTests.run(["demo", "--data", data, "--no-serve"])
        #expect(r.status == 0, "stderr: \(r.stderr)")
    }
}
