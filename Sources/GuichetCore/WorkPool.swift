import Dispatch
import Foundation
import Synchronization

/// A fixed number of threads of its own for heavy synchronous work (password hashing), so
/// that it never runs on, nor blocks, the Swift concurrency runtime's cooperative threads,
/// which serve every request (issue #22). Unlike `DispatchQueue.global()`, which starts a new
/// thread whenever its threads are busy, the pool never runs more than `width` jobs at once:
/// the others wait their turn, holding no thread and no memory of the job.
public final class WorkPool: Sendable {
    private let queues: [DispatchQueue]
    private let next = Atomic<UInt>(0)
    /// How many jobs run at once at most.
    public var width: Int { queues.count }

    /// - Precondition: `width >= 1`.
    public init(label: String, width: Int) {
        precondition(width >= 1, "a work pool has at least one thread")
        queues = (0..<width).map { DispatchQueue(label: "\(label).\($0)") }
    }

    /// Runs `body` on one of the pool's threads and returns its result.
    /// - Throws: what `body` throws.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        // Round robin over serial queues: each runs one job at a time.
        let queue = queues[Int(next.add(1, ordering: .relaxed).oldValue % UInt(queues.count))]
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    /// The pool for password hashing: as many threads as cores, at most 4 (scrypt's 32 MiB
    /// per hash bounds the memory of concurrent sign-ins to 128 MiB).
    public static let passwords = WorkPool(label: "guichet.passwords", width: min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)))

    /// The pool for sealing an import (data keys, AES-GCM, blind indexes): as many threads as
    /// cores, so that a batch is sealed on every core while the previous one is written.
    public static let sealing = WorkPool(label: "guichet.sealing", width: max(1, ProcessInfo.processInfo.activeProcessorCount))
}
