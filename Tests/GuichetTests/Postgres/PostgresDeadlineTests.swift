import Foundation
import Testing
import GuichetCore
@testable import GuichetPostgres
import PostgresNIO

/// A statement that never gets its answer holds no request for ever (an operator's audit:
/// after PostgreSQL stopped and came back, requests in progress never ended, and the server
/// ignored SIGTERM): the lease answers ``PostgresPool/NoAnswer`` past its deadline and leaves
/// the statement behind. The statements sleep 120 s; the bounds are far below that and far
/// above the deadlines, for a loaded machine.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresDeadlineTests {
    /// A client of two connections, one of them made already.
    static func client() async throws -> (PostgresClient, Task<Void, Never>) {
        let server = try #require(TestPostgres.server)
        let (client, runner) = PostgresPool.start(server, connections: 2)
        try await client.query("SELECT 1", logger: PostgresPool.logger)
        return (client, runner)
    }

    @Test("a statement sent that does not answer within the deadline is left behind: the caller gets NoAnswer at the deadline, not when it ends")
    func statementLeftBehind() async throws {
        let (client, runner) = try await Self.client()
        defer { runner.cancel() }
        let start = ContinuousClock.now
        await #expect(throws: PostgresPool.NoAnswer.self) {
            _ = try await PostgresPool.run(client, transaction: false, answer: .seconds(2)) { c in
                try await c.query("SELECT pg_sleep(120)", logger: PostgresPool.logger)
                return 1
            }
        }
        let took = ContinuousClock.now - start
        #expect(took < .seconds(60), "answered after \(took), not when the statement ended (120 s)")
        // A statement that answers in time is not held by the deadline, in a transaction too
        // (on the other connection, which a loaded machine may take long to make).
        let value = try await PostgresPool.run(client, transaction: true, within: .seconds(90), answer: .seconds(30)) { c in
            try await c.query("SELECT 41 + 1", logger: PostgresPool.logger).decode(Int.self).collect().first ?? 0
        }
        #expect(value == 42)
    }

    @Test("a caller that is cancelled stops waiting, its statement left behind")
    func cancelledCallerStopsWaiting() async throws {
        let (client, runner) = try await Self.client()
        defer { runner.cancel() }
        let start = ContinuousClock.now
        let waiting = Task {
            try await PostgresPool.run(client, transaction: false, answer: .seconds(300)) { c in
                try await c.query("SELECT pg_sleep(120)", logger: PostgresPool.logger)
                return 1
            }
        }
        try await Task.sleep(for: .seconds(2))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        #expect(ContinuousClock.now - start < .seconds(60), "released after \(ContinuousClock.now - start), not when the statement ended (120 s)")
    }
}
