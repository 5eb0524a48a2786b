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
    /// `account(n)` says whose the n-th is (one account by default).
    static func run(width: Int, count: Int, account: @escaping @Sendable (Int) -> String = { _ in "a" }) async throws -> (most: Int, started: [Int]) {
        let queue = WorkQueue(width: width)
        let state = Box((now: 0, most: 0, started: [Int]()))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for n in 0..<count {
                group.addTask {
                    try await queue.run(for: account(n)) {
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
            try await queue.run(for: "a") {
                while !release.with({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        let gone = Task { try await queue.run(for: "b") { 1 } }
        try await Task.sleep(for: .milliseconds(20))
        gone.cancel()
        await #expect(throws: CancellationError.self) { _ = try await gone.value }
        let next = Task { try await queue.run(for: "b") { 2 } }
        release.with { $0 = true }
        try await holder.value
        #expect(try await next.value == 2, "the slot passed to the next waiter, not to the one gone")
    }

    @Test("accounts take turns: one who asks once waits for one request of each account ahead, not for all of theirs")
    func accountsTakeTurns() async throws {
        let queue = WorkQueue(width: 1)
        let release = Box(false), started = Box([Int]())
        // Request 0 holds the slot while a asks 9 more (1-9), b 10 (10-19), then c once (20).
        let holder = Task {
            try await queue.run(for: "a") {
                started.with { $0.append(0) }
                while !release.with({ $0 }) { try await Task.sleep(for: .milliseconds(2)) }
            }
        }
        try await Task.sleep(for: .milliseconds(20))
        var waiters: [Task<Void, any Error>] = []
        for n in 1...20 {
            let account = n < 10 ? "a" : n < 20 ? "b" : "c"
            waiters.append(Task { try await queue.run(for: account) { started.with { $0.append(n) } } })
            try await Task.sleep(for: .milliseconds(5))  // so that the order they asked in is known
        }
        release.with { $0 = true }
        try await holder.value
        for w in waiters { try await w.value }
        let order = started.with { $0 }
        #expect(order == [0, 1, 10, 20, 2, 11, 3, 12, 4, 13, 5, 14, 6, 15, 7, 16, 8, 17, 9, 18, 19],
                "a, b and c in turn, each account's in the order asked: \(order)")
    }
}
