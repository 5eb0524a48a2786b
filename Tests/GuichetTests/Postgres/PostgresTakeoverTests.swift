import Foundation
import Testing
import GuichetPostgres

/// The checkpoint signer among `guichet serve` processes on one PostgreSQL database (issue 19,
/// item 3), when the elected one dies without a word (SIGKILL: no shutdown, no last
/// checkpoint, its connections cut by the kernel).
@Suite(.serialized, .enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresTakeoverTests {
    /// Polls `condition` every 200 ms for up to `seconds`.
    static func eventually(_ seconds: Double, _ condition: () async throws -> Bool) async throws -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        repeat {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(200))
        } while Date() < deadline
        return false
    }

    @Test("two servers on one database: exactly one says it signs; killed with SIGKILL, the other takes over within seconds and signs what was journalled after; the ledger verifies")
    func killedSigner() async throws {
        try await Scenario.onFreshPostgres { typed in
            let address = try PostgresAddress(parsing: typed)
            let s = try await Scenario.initialise("place05", postgres: typed)
            defer { s.remove() }
            let settings = s.data + "/guichet.yaml"
            try (try String(contentsOfFile: settings, encoding: .utf8) + "checkpointSeconds: 1\n").write(toFile: settings, atomically: true, encoding: .utf8)
            try await s.serve(servers: 2)
            let elected = "elected: this server now signs"
            var leaders: [Int] = []
            #expect(try await Self.eventually(30) {
                leaders = (0..<2).filter { s.log(of: $0).contains(elected) }
                return leaders.count == 1
            }, "one server says it is elected: \(leaders)")
            let leader = try #require(leaders.first)
            let survivor = 1 - leader

            // Journalled work, then a checkpoint that covers it, signed by the elected server.
            try await s.addTerritory(code: "75", name: "Paris")
            let before = try await StoreCopyTests.count(address, "ledger_entry")
            #expect(try await Self.eventually(30) { try await StoreCopyTests.count(address, "ledger_checkpoint", where: "size >= \(before)") > 0 })

            s.crash(server: leader)
            try await s.addTerritory(code: "13", name: "Marseille")
            let token = try await s.signIn(s.admin)  // the survivor answers
            #expect(!token.isEmpty)
            let after = try await StoreCopyTests.count(address, "ledger_entry")
            #expect(after > before)
            #expect(try await Self.eventually(60) { s.log(of: survivor).contains(elected) }, "the survivor takes over: \(s.log(of: survivor).suffix(1_500))")
            #expect(try await Self.eventually(60) { try await StoreCopyTests.count(address, "ledger_checkpoint", where: "size >= \(after)") > 0 },
                    "the survivor signs a checkpoint of what came after the crash")
            try await s.finish()  // stops the survivor; `guichet ledger verify` must pass
        }
    }
}
