import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// The operator's commands run as an operator runs them: `guichet --version`, `guichet serve`
/// writing JSON lines, `guichet backup` while it serves, `guichet restore` (issue #21, items 2, 4, 8),
/// and one server per data folder.
@Suite(.serialized) struct OperationsCommandTests {
    static var binary: String { CommandLineTests.binary.path }

    @Test("guichet --version prints the version and how it was built, without git")
    func version() async throws {
        let r = try await Child.run(Self.binary, ["--version"], timeout: 60)
        #expect(r.status == 0 && r.stdout.hasPrefix("guichet 0.") && r.stdout.contains("build, Swift"), "\(r.output)")
    }

    /// GET with an optional X-Request-Id; returns the status and the id the server answered with.
    static func get(_ url: String, requestID: String? = nil) async throws -> (Int, String?) {
        var request = URLRequest(url: URL(string: url)!)  // the tests' own literal URLs
        request.timeoutInterval = 10
        if let requestID { request.setValue(requestID, forHTTPHeaderField: "X-Request-Id") }
        let (_, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, http?.value(forHTTPHeaderField: "X-Request-Id"))
    }

    @Test("serve writes JSON lines with an access line per request and no query value; backup while it serves; restore verifies")
    func serveBackupRestore() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data").path
        let demo = try await Child.run(Self.binary, ["demo", "--data", data, "--size", "30", "--no-serve"], directory: Repo.root, timeout: 300)
        try #require(demo.status == 0, "\(demo.output)")
        let config = URL(fileURLWithPath: data).appendingPathComponent("guichet.yaml")
        // Without a securityContact, whose start-up warning must be a JSON line too.
        let yaml = try String(contentsOf: config, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("securityContact:") }.joined(separator: "\n")
        try (yaml + "\nlogFormat: json\nlogLevel: info\n").write(to: config, atomically: true, encoding: .utf8)

        let log = folder.appendingPathComponent("serve.log")
        let server = try ChildServer(Self.binary, ["serve", "--data", data, "--port", "0", "--admin-port", "0"], directory: Repo.root, log: log)
        defer { server.cleanUp() }
        let text = try await server.waitFor("Guichet serving", timeout: 180)
        let url = try #require(text.split(separator: " ").first { $0.hasPrefix("http://") }).trimmingCharacters(in: CharacterSet(charactersIn: ","))
        let port = try #require(url.split(separator: ":").last.map(String.init))
        let base = "http://127.0.0.1:\(port)"

        var answered: [String] = []
        for path in ["/healthz?token=qzx9secret", "/v1/statistics?lastName=Tremblay", "/readyz"] {
            let (status, id) = try await Self.get(base + path, requestID: "chosen-by-client")
            #expect(status == 200 || status == 503)
            let rid = try #require(id)
            #expect(rid != "chosen-by-client", "the client is not a trusted proxy")
            answered.append(rid)
        }

        // A backup while the server runs, then a restore elsewhere with the key file copied.
        let backup = folder.appendingPathComponent("registry.backup").path
        let b = try await Child.run(Self.binary, ["backup", "--data", data, "--out", backup], timeout: 120)
        #expect(b.status == 0 && b.stdout.contains("backup written") && b.stdout.contains("key file is not in the backup"), "\(b.output)")
        #expect((try FileManager.default.attributesOfItem(atPath: backup)[.posixPermissions] as? Int) == 0o600)
        let again = try await Child.run(Self.binary, ["backup", "--data", data, "--out", backup], timeout: 60)
        #expect(again.status != 0 && again.stderr.contains("never overwrites"), "\(again.output)")
        // The target is checked before the command says it copies (an operator's audit).
        #expect(!again.stderr.contains("as one snapshot"), "\(again.output)")
        let noFolder = try await Child.run(Self.binary, ["backup", "--data", data, "--out", folder.appendingPathComponent("missing/registry.backup").path], timeout: 60)
        #expect(noFolder.status != 0 && noFolder.stderr.contains("does not exist: create it") && !noFolder.stderr.contains("as one snapshot")
                && !noFolder.stderr.contains(".partial"), "\(noFolder.output)")

        // One server per data folder: a second one would keep its own watch (each role's
        // ceiling twice over); a restore must not replace the file under the running server.
        let second = try await Child.run(Self.binary, ["serve", "--data", data, "--port", "0", "--admin-port", "0"], directory: Repo.root, timeout: 120)
        #expect(second.status != 0 && second.stderr.contains("another guichet server is serving") && second.stderr.contains("(process "),
                "\(second.output)")
        #expect(!second.stdout.contains("Guichet serving"), "\(second.output)")
        let over = try await Child.run(Self.binary, ["restore", "--from", backup, "--data", data, "--replace"], directory: Repo.root, timeout: 120)
        #expect(over.status != 0 && over.stderr.contains("stop it before restoring"), "\(over.output)")
        #expect(try await Self.get(base + "/healthz").0 == 200, "the first server still serves")

        let restored = folder.appendingPathComponent("restored").path
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/guichet.keys", toPath: restored + "/guichet.keys")
        // The key file alone is not enough: without the erasure list beside it, erasures made
        // after the backup would be undone (a co-operative's audit). Refused, nothing restored.
        let listless = try await Child.run(Self.binary, ["restore", "--from", backup, "--data", restored], directory: Repo.root, timeout: 120)
        #expect(listless.status != 0 && listless.stderr.contains("no erasure list at \(restored)/guichet.keys.erasures")
                && listless.stderr.contains("--without-erasure-list"), "\(listless.output)")
        #expect(!FileManager.default.fileExists(atPath: restored + "/guichet.sqlite"), "nothing was restored")
        try FileManager.default.copyItem(atPath: data + "/guichet.keys.erasures", toPath: restored + "/guichet.keys.erasures")
        let r = try await Child.run(Self.binary, ["restore", "--from", backup, "--data", restored], directory: Repo.root, timeout: 120)
        #expect(r.status == 0 && r.stdout.contains("ledger verified") && r.stdout.contains("all match"), "\(r.output)")
        // The profile is recorded as `guichet demo` and `guichet init` record it (where it was
        // found), so that the restored folder serves from any working directory.
        func profileLine(_ folder: String) throws -> String? {
            try String(contentsOfFile: folder + "/guichet.yaml", encoding: .utf8).split(separator: "\n").first { $0.hasPrefix("profile:") }.map(String.init)
        }
        let restoredProfile = try #require(try profileLine(restored), "the profile is written for serve")
        #expect(restoredProfile == (try profileLine(data)) && restoredProfile.contains("/profiles/"), "\(restoredProfile)")
        // A restore refused (here: no key file) into a folder it had to create leaves no folder behind.
        let nowhere = folder.appendingPathComponent("never-made").path
        let noKeys = try await Child.run(Self.binary, ["restore", "--from", backup, "--data", nowhere], directory: Repo.root, timeout: 60)
        #expect(noKeys.status != 0 && noKeys.stderr.contains("no key file") && noKeys.stderr.contains("its own key file"), "\(noKeys.output)")
        #expect(!FileManager.default.fileExists(atPath: nowhere), "the refused restore left its folder")
        // A restore with --keys says to serve with the same --keys (the folder has no key file).
        let elsewhere = folder.appendingPathComponent("with-keys").path
        let keyed = try await Child.run(Self.binary, ["restore", "--from", backup, "--data", elsewhere, "--keys", data + "/guichet.keys"],
                                        directory: Repo.root, timeout: 120)
        #expect(keyed.status == 0 && keyed.stdout.contains("guichet serve --data \(elsewhere) --keys \(data)/guichet.keys"), "\(keyed.output)")
        let refused = try await Child.run(Self.binary, ["restore", "--from", backup, "--data", restored], directory: Repo.root, timeout: 60)
        #expect(refused.status != 0 && refused.stderr.contains("--replace"), "\(refused.output)")
        let verify = try await Child.run(Self.binary, ["ledger", "verify", "--data", restored], directory: Repo.root, timeout: 120)
        #expect(verify.status == 0 && verify.stdout.contains("ledger verified"), "\(verify.output)")

        #expect(await server.stop())
        let lines = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
        let objects = lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(!lines.isEmpty && objects.count == lines.count, "every line of the log is a JSON object: \(lines.prefix(3))")
        #expect(objects.contains { $0["level"] as? String == "warning" && ($0["message"] as? String)?.contains("no securityContact") == true },
                "the start-up warning is a JSON line: \(lines.prefix(3))")
        #expect(objects.contains { $0["level"] as? String == "warning" && ($0["message"] as? String)?.contains("no smtpHost") == true },
                "place05's offers send e-mail: without a relay, the start says they will wait")
        let access = objects.filter { $0["logger"] as? String == "guichet.access" }
        #expect(Set(access.compactMap { $0["request"] as? String }).isSuperset(of: answered), "each answered id has its access line")
        #expect(access.allSatisfy { $0["route"] != nil && $0["status"] != nil && $0["ms"] != nil && $0["method"] != nil })
        let all = lines.joined(separator: "\n")
        for value in ["qzx9secret", "Tremblay", "lastName", "token="] { #expect(!all.contains(value), "a query value reached the log") }
    }

    /// A listening socket on a free loopback port, held until closed.
    static func holdPort() throws -> (port: Int, fd: Int32) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { close(fd); throw CocoaError(.fileWriteUnknown) }
        return (Int(UInt16(bigEndian: address.sin_port)), fd)
    }

    @Test("a port another program holds is refused before anything starts, naming the listener and the flag, without shutdown noise")
    func portInUse() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("data").path
        let demo = try await Child.run(Self.binary, ["demo", "--data", data, "--size", "30", "--no-serve"], directory: Repo.root, timeout: 300)
        try #require(demo.status == 0, "\(demo.output)")
        let held = try Self.holdPort()
        defer { close(held.fd) }
        for (arguments, listener, flag) in [(["--port", "\(held.port)", "--admin-port", "0"], "public", "--port"),
                                             (["--port", "0", "--admin-port", "\(held.port)"], "admin", "--admin-port")] {
            let r = try await Child.run(Self.binary, ["serve", "--data", data] + arguments, directory: Repo.root, timeout: 120)
            #expect(r.status != 0 && r.stderr.contains("the \(listener) listener cannot start: 127.0.0.1:\(held.port) is already in use")
                    && r.stderr.contains("choose another port with \(flag)"), "\(r.output)")
            #expect(!r.output.contains("CancellationError") && !r.output.contains("could not be signed") && !r.stdout.contains("Guichet serving"), "\(r.output)")
        }
    }
}
