import Foundation
import Testing
import GuichetCore
import GuichetStore
@testable import GuichetServer
import Synchronization

/// The serving loop's checkpoint signer (issue 19, item 3): among several servers on one
/// database only the elected one signs, whichever server appended; a server alone always signs.
@Suite struct CheckpointSigningTests {
    /// An election whose outcome the test decides.
    final class Switch: CheckpointSigning {
        let leading = Mutex(false)
        var isLeading: Bool { leading.withLock { $0 } }
    }

    @Test("a server that is not elected never signs, however much the ledger grows; once elected it signs what the others appended; one alone signs")
    func onlyTheElectedSigns() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let election = Switch()
        let service = CheckpointService(gate: world.gate, store: world.store, every: .milliseconds(50), logger: .init(label: "test"), signing: election)
        let before = try await world.store.checkpoints()  // the world's first, as a starting server signs
        let running = Task { try await service.run() }
        for i in 0..<5 {
            try await world.gate.recordSystemEvent("test", reason: "growth \(i)", requestID: "r\(i)")
            try await Task.sleep(for: .milliseconds(120))
        }
        #expect(try await world.store.checkpoints() == before, "a follower signed a checkpoint")
        #expect(try await world.store.ledgerSize() > before.last?.size ?? 0, "the ledger grew meanwhile")
        election.leading.withLock { $0 = true }
        let size = try await world.store.ledgerSize()
        let deadline = Date().addingTimeInterval(10)
        while try await world.store.checkpoints().last?.size != size && Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await world.store.checkpoints().last?.size == size, "the elected server signs the whole stored ledger")
        running.cancel()
        _ = await running.result

        // No election (one server on SQLite): it signs.
        try await world.gate.recordSystemEvent("test", reason: "alone", requestID: "r-alone")
        let alone = CheckpointService(gate: world.gate, store: world.store, every: .milliseconds(50), logger: .init(label: "test"))
        let task = Task { try await alone.run() }
        let grown = try await world.store.ledgerSize()
        while try await world.store.checkpoints().last?.size != grown && Date() < deadline.addingTimeInterval(10) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await world.store.checkpoints().last?.size == grown)
        task.cancel()
        _ = await task.result
    }
}
