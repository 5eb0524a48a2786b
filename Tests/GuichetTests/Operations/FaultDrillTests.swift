import Foundation
import Testing

/// Issue #21 item 5: `kill -9` under mixed read and write load, 50 times
/// (`Tests/peers/fault_drill.py`): no acknowledged write lost, the ledger verifies, and the
/// server starts again by itself every time, with no repair step.
@Suite(.serialized) struct FaultDrillTests {
    struct Figures: Decodable {
        let kills: Int
        let restartFailures: Int
        let writesAcknowledged: Int
        let writesLost: Int
        let ledgerVerifies: Bool
    }

    /// Fifty rounds on either back-end (on PostgreSQL each restart also reconnects and
    /// re-elects a signer).
    static let rounds = 50

    @Test("fifty kill -9 under load: every acknowledged write survives, the ledger verifies, every restart succeeds")
    func killNine() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("drill").path
        let made = try await Child.run(CommandLineTests.binary.path, try await TestBackend.placing(["demo", "--data", data, "--size", "200", "--no-serve"]),
                                       directory: Repo.root, timeout: 600)
        #expect(made.status == 0, "\(made.output)")
        let script = Repo.root.appendingPathComponent("Tests/peers/fault_drill.py").path
        let r = try await Python.run([script, CommandLineTests.binary.path, data, String(Self.rounds)], timeout: 1_800)
        #expect(r.status == 0, "\(r.output.suffix(4_000))")
        let line = try #require(r.output.split(separator: "\n").first { $0.hasPrefix("{") }, "\(r.output.suffix(2_000))")
        let figures = try JSONDecoder().decode(Figures.self, from: Data(line.utf8))
        #expect(figures.kills == Self.rounds && figures.restartFailures == 0, "\(line)")
        #expect(figures.writesAcknowledged > Self.rounds, "the load did write: \(line)")
        #expect(figures.writesLost == 0 && figures.ledgerVerifies, "\(line)")
    }
}
