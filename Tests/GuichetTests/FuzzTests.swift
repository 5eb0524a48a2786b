import Foundation
import Testing

/// Issue #21 item 7: schemathesis (Tests/peers/fuzz.py) fuzzes both listeners of a real
/// `guichet demo` process from their own OpenAPI documents, anonymous and signed in as each
/// role: no server error, every status, content type and body as documented. The demo sends
/// mail through a real SMTP server (aiosmtpd), so the routes that e-mail are fuzzed too.
/// Runs after the other tests, alone (scripts/test), as it keeps both cores busy for minutes.
@Suite(.serialized) struct FuzzTests {
    /// Seconds of fuzzing per run (7 runs: five roles, then each listener anonymous).
    /// Per role; half of it in the PostgreSQL pass, which must fit in CI's time beside the rest.
    static let secondsPerRun = TestBackend.postgres == nil ? 20 : 10

    @Test("schemathesis over both listeners' OpenAPI documents, anonymous and as each role: no server error, every answer as documented")
    func schemathesis() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let sink = try SMTPSink()
        defer { sink.stop() }
        let data = folder.appendingPathComponent("demo").path
        let made = try await Child.run(CommandLineTests.binary.path, try await TestBackend.placing(["demo", "--data", data, "--size", "200", "--no-serve"]),
                                       directory: Repo.root, timeout: 600)
        #expect(made.status == 0, "\(made.output)")
        let settings = URL(fileURLWithPath: data + "/guichet.yaml")
        let relay = "\nsmtpHost: 127.0.0.1\nsmtpPort: \(sink.port)\nmailFrom: dpo@registre.example\n"
        try (try String(contentsOf: settings, encoding: .utf8) + relay).write(to: settings, atomically: true, encoding: .utf8)

        let (server, pub, adm) = try await LiveServerTests().startDemo(data: data, log: folder.appendingPathComponent("server.log"))
        defer { server.cleanUp() }
        let script = Repo.root.appendingPathComponent("Tests/peers/fuzz.py").path
        let r = try await Python.run([script, String(pub), String(adm), data + "/demo-accounts.json", String(Self.secondsPerRun)],
                                     timeout: Double(Self.secondsPerRun * 7 * 4 + 300))
        #expect(r.status == 0, "\(r.output.suffix(20_000))")
        // Seven runs, each reporting how many cases it generated: the fuzzer did run.
        let runs = r.output.split(separator: "\n").filter { $0.contains(": exit ") && $0.contains("generated") }
        #expect(runs.count == 7, "\(r.output.suffix(4_000))")
        #expect(await server.stop(grace: 10), "the server stops on SIGTERM after the fuzzing")
    }
}
