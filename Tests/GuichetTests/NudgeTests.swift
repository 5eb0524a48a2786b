import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing
@testable import GuichetServer

/// The notice sender sleeps between rounds and is woken by transitions (``Nudge``). Its first
/// version waited on an `AsyncStream` whose iteration was cancelled at each timeout, which
/// finished the stream: from then on every wait returned at once and an idle server claimed
/// due notices in a write transaction in a loop.
@Suite struct NudgeTests {
    static func elapsed(_ body: () async -> Void) async -> Duration {
        let clock = ContinuousClock()
        let start = clock.now
        await body()
        return clock.now - start
    }

    @Test("every wait lasts its timeout when nothing wakes it, the second one as the first")
    func waitsEachTime() async {
        let nudge = Nudge()
        for attempt in 1...3 {
            let took = await Self.elapsed { await nudge.wait(timeout: .milliseconds(150)) }
            #expect(took >= .milliseconds(140), "wait \(attempt) returned after \(took)")
        }
    }

    @Test("a wake ends a wait long before its timeout, after timeouts too")
    func wakeEndsWait() async {
        let nudge = Nudge()
        await nudge.wait(timeout: .milliseconds(20))  // a first wait that times out
        let took = await Self.elapsed {
            async let waiting: Void = nudge.wait(timeout: .seconds(30))
            try? await Task.sleep(for: .milliseconds(100))
            nudge.wake()
            await waiting
        }
        #expect(took < .seconds(20), "the wake was lost: the wait lasted \(took)")
    }

    @Test("a wake sent while nobody waits makes the next wait return at once, once")
    func pendingWake() async {
        let nudge = Nudge()
        nudge.wake()
        nudge.wake()
        let first = await Self.elapsed { await nudge.wait(timeout: .seconds(30)) }
        #expect(first < .seconds(20))
        let second = await Self.elapsed { await nudge.wait(timeout: .milliseconds(150)) }
        #expect(second >= .milliseconds(140), "two wakes while nobody waited count as one")
    }

    @Test("the notice service runs at most a round per interval when idle, not in a loop")
    func idleRounds() async throws {
        let rounds = Atomic<Int>(0)
        let service = NoticeService(send: { _ = rounds.add(1, ordering: .relaxed) }, nudge: Nudge(), every: .milliseconds(200),
                                    logger: Logger(label: "test"))
        let clock = ContinuousClock(), start = clock.now
        let running = Task { try await service.run() }
        try await Task.sleep(for: .seconds(1))
        let idle = rounds.load(ordering: .relaxed)
        // At most one round per interval and the first (a loaded machine may give fewer,
        // the old loop gave thousands).
        let most = Int((clock.now - start) / .milliseconds(200)) + 2
        #expect(idle >= 1 && idle <= most, "\(idle) rounds in \(clock.now - start) at one round per 200 ms")
        running.cancel()
        _ = try? await running.value
    }

    @Test("a wake starts a round long before the interval ends")
    func wakeStartsRound() async throws {
        let rounds = Atomic<Int>(0)
        let nudge = Nudge()
        let service = NoticeService(send: { _ = rounds.add(1, ordering: .relaxed) }, nudge: nudge, every: .seconds(600),
                                    logger: Logger(label: "test"))
        let running = Task { try await service.run() }
        let clock = ContinuousClock()
        var deadline = clock.now + .seconds(180)
        while rounds.load(ordering: .relaxed) < 1 && clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(rounds.load(ordering: .relaxed) == 1, "the first round, at start")
        nudge.wake()
        deadline = clock.now + .seconds(180)
        while rounds.load(ordering: .relaxed) < 2 && clock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        #expect(rounds.load(ordering: .relaxed) == 2, "a wake starts the next round without waiting the ten minutes")
        running.cancel()
        _ = try? await running.value
    }
}
