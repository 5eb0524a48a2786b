import Foundation
import Testing
import GuichetCore
@testable import GuichetDeployment

/// `guichet init` that fails (report #1 of the operator's audit): bad input is refused before
/// anything is made, and a run that fails half-way removes what it made, so that the retry works.
@Suite struct InitialiseFailureTests {
    static func contents(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    static func mode(_ folder: URL) throws -> Int? {
        try FileManager.default.attributesOfItem(atPath: folder.path)[.posixPermissions] as? Int
    }

    @Test("a bad administrator name is refused before any folder, key file or database is made, and the retry with a good one works")
    func badAdminNameMakesNothing() async throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let deployment = Deployment(base.appendingPathComponent("data").path)
        await #expect { _ = try await deployment.initialise(profilePath: Repo.place05, admin: "Bad Name", keys: nil, store: "sqlite") } throws: { error in
            "\(error)".contains("a user name has 3 to 64 characters")
        }
        #expect(!FileManager.default.fileExists(atPath: deployment.folder.path), "no folder was made")
        let created = try await deployment.initialise(profilePath: Repo.place05, admin: "admin", keys: nil, store: "sqlite")
        #expect(created.admin == "admin" && deployment.exists)
    }

    @Test("init into an existing folder: a refusal leaves it as it was (files and mode), a success makes it its owner's only (0700)")
    func existingFolder() async throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let deployment = Deployment(base.appendingPathComponent("data").path)
        try FileManager.default.createDirectory(at: deployment.folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        try "kept".write(to: deployment.folder.appendingPathComponent("notes.txt"), atomically: true, encoding: .utf8)
        await #expect(throws: (any Error).self) { _ = try await deployment.initialise(profilePath: Repo.place05, admin: "x", keys: nil, store: "sqlite") }
        #expect(Self.contents(deployment.folder) == ["notes.txt"])
        #expect(try Self.mode(deployment.folder) == 0o755)
        _ = try await deployment.initialise(profilePath: Repo.place05, admin: "admin", keys: nil, store: "sqlite")
        #expect(try Self.mode(deployment.folder) == 0o700)
        #expect(Self.contents(deployment.folder).contains("notes.txt"))
    }

    @Test("a key file that does not read, or whose folder does not exist, is refused before anything is made")
    func badKeysMakeNothing() async throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let deployment = Deployment(base.appendingPathComponent("data").path)
        let garbage = base.appendingPathComponent("garbage.keys")
        try "not a key file".write(to: garbage, atomically: true, encoding: .utf8)
        await #expect(throws: DeploymentError.self) {
            _ = try await deployment.initialise(profilePath: Repo.place05, admin: "admin", keys: garbage.path, store: "sqlite")
        }
        await #expect { _ = try await deployment.initialise(profilePath: Repo.place05, admin: "admin", keys: base.path + "/nowhere/k.keys", store: "sqlite") } throws: { error in
            "\(error)".contains("does not exist; nothing was changed")
        }
        #expect(!FileManager.default.fileExists(atPath: deployment.folder.path))
    }

    @Test("a failure after the key file and database were made removes them (and only them), and the retry works")
    func failureHalfWayRemovesWhatWasMade() async throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let deployment = Deployment(base.appendingPathComponent("data").path)
        try FileManager.default.createDirectory(at: deployment.folder, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        // A folder where guichet.yaml goes: the last step, writing the settings, fails.
        try FileManager.default.createDirectory(at: URL(fileURLWithPath: deployment.configFile), withIntermediateDirectories: false)
        await #expect(throws: (any Error).self) { _ = try await deployment.initialise(profilePath: Repo.place05, admin: "admin", keys: nil, store: "sqlite") }
        #expect(Self.contents(deployment.folder) == [Deployment.configName], "the key file and the database are gone: \(Self.contents(deployment.folder))")
        #expect(!deployment.exists)
        try FileManager.default.removeItem(atPath: deployment.configFile)
        let created = try await deployment.initialise(profilePath: Repo.place05, admin: "admin", keys: nil, store: "sqlite")
        #expect(created.admin == "admin" && deployment.exists)
    }
}
