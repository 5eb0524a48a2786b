import Foundation
import Synchronization
import Testing
@testable import GuichetServer

/// Citizens' heavy requests (access histories with proofs, exports) run a few at a time on the
/// whole server, the others waiting in order: a denial-of-service audit kept both cores busy
/// with one citizen's histories, and four citizens made everyone else wait 3 s.
@Suite struct WorkQueueTests {
    final class Box<T: Sendable>: Sendable {
        let value: Mutex<T>
        init(_ v: T) { value = Mutex(v) }
        func with<R>(_ body: (inout T) -> R) -> R { value.withLock { body(&$0) } }
    }

    /// Runs `count` bodies through a queue of `width`, each holding its slot a moment; returns
    /// the most that ran at once and the order they started in.
    static func run(width: Int, count: Int) async throws -> (most: Int, started: [Int]) {
        let queue = WorkQueue(width: width)
        let state = Box((now: 0, most: 0, started: [Int]()))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<count {
                group.addTask {
                    try await queue.run {
                        state.with { $0.now += 1; $0.most = max($0.most, $0.now); $0.started.append(n) }
                        try await Task.sleep(for: .milliseconds(5))
                        state.with { $0.now -= 1 }
                    }
                }
                // One after the other, so that the order they asked in is known.
                try await Task.sleep(for: .milliseconds(1))
            }
            try await group.waitForAll()
        }
        return state.with { ($0.most, $0.started) }
    }

    @Test("one at a time by default, every body run, in the order asked; a wider queue runs that many at once at most")
    func width() async throws {
        #expect(RequestLimits.standard.citizenHeavyAtOnce == 1)
        let one = try await Self.run(width: 1, count: 20)
        #expect(one.most == 1 && one.started == Array(0..<20), "\(one)")
        let two = try await Self.run(width: 2, count: 20)
        #expect(two.most <= 2 && two.started.count == 20)
    }

    @Test("a waiter whose client went away leaves the queue; the others go on")
    func cancelledWaiter() async throws {
        let queue = WorkQueue(width: 1)
        let release = Box(false)
        let holder = Task {
            try await queue.run {
                while !release.with({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        let gone = Task { try await queue.run { 1 } }
        try await Task.sleep(for: .milliseconds(20))
        gone.cancel()
        await #expect(throws: CancellationError.self) { _ = try await gone.value }
        let next = Task { try await queue.run { 2 } }
        release.with { $0 = true }
        try await holder.value
        #expect(try await next.value == 2, "the slot passed to the next waiter, not to the one gone")
    }
}
