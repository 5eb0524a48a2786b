import Foundation
import Testing

/// The `guichet` command, run as a user runs it.
@Suite(.serialized) struct CommandLineTests {
    static var binary: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("guichet")
    }

    struct Run { let status: Int32; let stdout: String; let stderr: String }

    /// Runs `guichet` to its end (at most 10 minutes) without holding a thread of the pool;
    /// a new registry goes on the run's back-end (``TestBackend/placing(_:)``).
    static func run(_ args: [String]) async throws -> Run {
        let r = try await Child.run(binary.path, try await TestBackend.placing(args), directory: Repo.root, timeout: 600)
        return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    @Test("an invalid profile is refused with a clear error naming file and line, and nothing is created", .storeFree)
    func invalidProfile() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let profileDir = folder.appendingPathComponent("broken")
        try FileManager.default.createDirectory(at: profileDir, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: Repo.place05 + "/profile.yaml", encoding: .utf8).replacingOccurrences(of: "class: sensitive", with: "class: secret")
        try text.write(to: profileDir.appendingPathComponent("profile.yaml"), atomically: true, encoding: .utf8)
        let data = folder.appendingPathComponent("data").path
        let r = try await Self.run(["demo", "--data", data, "--size", "10", "--profile", profileDir.path, "--no-serve"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("profile.yaml:") && r.stderr.contains("specialNeeds.class: unknown classification"), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing is created, not even the folder")
    }

    @Test("a copy of the binary run from an empty folder, not the checkout, finds the profile it was built with by name")
    func profileByNameFromElsewhere() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("bin/guichet")
        try FileManager.default.createDirectory(at: copy.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Self.binary, to: copy)
        let work = folder.appendingPathComponent("coop")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let r = try await Child.run(copy.path, try await TestBackend.placing(["init", "--profile", "place05", "--data", work.appendingPathComponent("data").path]),
                                    directory: work, environment: ProcessInfo.processInfo.environment.filter { $0.key != "GUICHET_PROFILES" }, timeout: 600)
        #expect(r.status == 0, "\(r.output)")
        #expect(FileManager.default.fileExists(atPath: work.appendingPathComponent("data/guichet.yaml").path))
        let unknown = try await Child.run(copy.path, ["init", "--profile", "no-such-profile", "--data", work.appendingPathComponent("other").path], directory: work, timeout: 600)
        #expect(unknown.status != 0 && unknown.output.contains("GUICHET_PROFILES"), "\(unknown.output)")
    }

    @Test("the admin listener on a public address refuses to start", .storeFree)
    func publicAdminRefused() async throws {
        let r = try await Self.run(["demo", "--data", "/nonexistent-never-created", "--admin-host", "0.0.0.0"])
        #expect(r.status != 0 && r.stderr.contains("admin listener must stay on loopback"), "stderr: \(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: "/nonexistent-never-created"))
    }

    @Test("demo generates a registry and its accounts file once, then serves it as it is")
    func demoGeneratesOnce() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        let first = try await Self.run(["demo", "--data", data, "--size", "300", "--no-serve"])
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(first.stdout.contains("generated 300 dossiers"))
        let accountsFile = data + "/demo-accounts.json"
        let attributes = try FileManager.default.attributesOfItem(atPath: accountsFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        let accounts = try JSONDecoder().decode([String: [[String: String]]].self, from: Data(contentsOf: URL(fileURLWithPath: accountsFile)))
        #expect(Set(accounts["accounts"]?.compactMap { $0["role"] } ?? []) == ["admin", "security", "agent", "daycare", "parent", "analyst"])
        // Two administrators: what one asks for (an account, a role, a caseload) the other approves
        // (a social-security audit: the demo's only administrator could never finish a request).
        #expect(accounts["accounts"]?.filter { $0["role"] == "admin" }.compactMap { $0["username"] }.sorted() == ["admin.demo", "admin2.demo"])
        let second = try await Self.run(["demo", "--data", data, "--size", "999", "--no-serve"])
        #expect(second.status == 0 && !second.stdout.contains("generated"), "an existing registry is not regenerated")
    }
}
