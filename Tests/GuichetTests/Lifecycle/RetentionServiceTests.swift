import Foundation
import Testing
import Logging
import GuichetCore
import GuichetGate
@testable import GuichetServer
@testable import GuichetStore

/// The server's daily retention task does what `guichet retention run` does.
@Suite struct RetentionServiceTests {
    @Test("the server's retention task erases what is due at its first run, then waits for the next day")
    func dailyTask() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        _ = try await world.gate.transition(app.id, "withdraw", try await world.request("parent1"))
        clock.advance(366 * 86_400)
        let service = RetentionService(gate: world.gate, first: .milliseconds(10), every: .seconds(86_400), logger: Logger(label: "test"))
        let task = Task { try await service.run() }
        var erased = false
        for _ in 0..<200 where !erased {
            try await Task.sleep(for: .milliseconds(25))
            erased = try await world.store.lifecycle(app.id)?.erasedAt != nil
        }
        task.cancel()
        _ = try? await task.value
        #expect(erased)
        #expect(try await !world.store.hasLiveKey(app.id.rawValue))
    }
}
