import Logging
import PostgresNIO
import Synchronization

/// Which of several servers on one database signs the ledger's checkpoints (issue 19, item 3):
/// the one holding a session-level advisory lock, on a connection it keeps for the purpose.
///
/// Each server runs one election. The lock is tried every `retry`; the holder checks its
/// connection on the same beat and steps down at once when that fails. PostgreSQL releases the
/// lock when the holder's session ends (a stop, a crash, a lost connection), so another server
/// takes over within about `retry`. Two signers for a moment (a holder cut off from the
/// database has not noticed yet) would each sign the same stored tree with the same key, and a
/// checkpoint is stored once per size: no harm but duplicate work.
public final class PostgresSignerElection: Sendable {
    static let signerLock: Int64 = 0x6775_6963_6865_7404
    /// Whether this server holds the lock (shared with the election's task); each change is
    /// logged, so that an operator sees which server signs and when another took over.
    final class Flag: Sendable {
        let value = Mutex(false)
        func set(_ v: Bool) {
            let changed = value.withLock { old in defer { old = v }; return old != v }
            guard changed else { return }
            Logger(label: "guichet.ledger").notice(v ? "elected: this server now signs the ledger's checkpoints and runs the daily retention and the SIEM export"
                                                     : "this server no longer signs the ledger's checkpoints (another server of the database is elected)")
        }
    }
    private let leading: Flag
    private let task: Task<Void, Never>

    /// Starts taking part in the election, on a connection of its own to `ledger`'s database.
    ///
    /// The connection is its own, not one of the pool's, and every step has a deadline (twice
    /// the retry): after PostgreSQL restarted, a query on a kept pool connection neither
    /// returned nor failed, so the holder never stepped down and nobody campaigned again (an
    /// operator's audit: no signer once the old one was killed, every server not ready). A
    /// connection that fails or hangs is dropped and a new one made on the next round.
    public init(_ ledger: PostgresLedger, retry: Duration = .seconds(5)) {
        let address = ledger.address, leading = Flag()
        self.leading = leading
        let logger = PostgresPool.logger
        task = Task {
            while !Task.isCancelled {
                var kept: PostgresConnection?
                do {
                    let c = try await Self.withinDeadline(retry * 2, late: { Self.closeLater($0) }) { try await PostgresPool.connection(address) }
                    kept = c
                    var held = false
                    while !Task.isCancelled {
                        if held {
                            try await Self.withinDeadline(retry * 2) { try await c.query("SELECT 1", logger: logger) }
                        } else {
                            held = try await Self.withinDeadline(retry * 2) {
                                try await c.query("SELECT pg_try_advisory_lock(\(Self.signerLock))", logger: logger)
                                    .decode(Bool.self).collect().first ?? false
                            }
                            if held { leading.set(true) }
                        }
                        try? await Task.sleep(for: retry)
                    }
                    leading.set(false)
                    if held { _ = try? await Self.withinDeadline(retry) { try await c.query("SELECT pg_advisory_unlock(\(Self.signerLock))", logger: logger) } }
                    Self.closeLater(c)
                } catch {
                    leading.set(false)
                    if let kept { Self.closeLater(kept) }
                    try? await Task.sleep(for: retry)
                }
            }
        }
    }

    /// Closes a connection without waiting for it: one that hangs is left to its socket.
    static func closeLater(_ c: PostgresConnection) {
        Task { try? await c.close() }
    }

    struct DeadlinePassed: Error {}

    /// A continuation resumed once, by whichever comes first.
    final class Once<T: Sendable>: Sendable {
        let continuation = Mutex<CheckedContinuation<T, any Error>?>(nil)
        /// Whether this call resumed it (false when the other came first).
        @discardableResult
        func resume(with result: Result<T, any Error>) -> Bool {
            guard let k = continuation.withLock({ $0.take() }) else { return false }
            k.resume(with: result)
            return true
        }
    }

    /// The result of `body`, or ``DeadlinePassed`` once `limit` has passed, whether or not
    /// `body` ever returns (it is left running, cancelled: a query on a dead connection may
    /// never notice).
    /// - Parameter late: what to do with a value that comes after the deadline (a connection
    ///   made too late must be closed: postgres-nio traps on one released open).
    static func withinDeadline<T: Sendable>(_ limit: Duration, late: (@Sendable (T) -> Void)? = nil,
                                            _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        let once = Once<T>()
        return try await withCheckedThrowingContinuation { (k: CheckedContinuation<T, any Error>) in
            once.continuation.withLock { $0 = k }
            let work = Task {
                do {
                    let value = try await body()
                    if !once.resume(with: .success(value)) { late?(value) }
                } catch { once.resume(with: .failure(error)) }
            }
            Task {
                try? await Task.sleep(for: limit)
                once.resume(with: .failure(DeadlinePassed()))
                work.cancel()
            }
        }
    }

    /// Whether this server signs the checkpoints now.
    public var isLeading: Bool { leading.value.withLock { $0 } }

    /// Leaves the election (the lock is released at once), and waits until it is left.
    public func stop() async {
        task.cancel()
        await task.value
    }
}
