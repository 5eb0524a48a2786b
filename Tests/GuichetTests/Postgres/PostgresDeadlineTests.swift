import Foundation
import Testing
import GuichetCore
@testable import GuichetPostgres
import PostgresNIO

/// A statement that never gets its answer holds no request for ever (an operator's audit:
/// after PostgreSQL stopped and came back, requests in progress never ended, and the server
/// ignored SIGTERM): the lease answers ``PostgresPool/NoAnswer`` past its deadline and leaves
/// the statement behind.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresDeadlineTests {
    @Test("a statement sent that does not answer within the deadline is left behind: the caller gets NoAnswer at the deadline, not when it ends")
    func statementLeftBehind() async throws {
        let server = try #require(TestPostgres.server)
        let (client, runner) = PostgresPool.start(server, connections: 2)
        defer { runner.cancel() }
        let start = ContinuousClock.now
        await #expect(throws: PostgresPool.NoAnswer.self) {
            _ = try await PostgresPool.leased(within: .seconds(2), answer: .seconds(1)) { claim in
                try await client.withConnection { c in
                    guard claim() else { throw PostgresPool.NoConnection() }
                    try await c.query("SELECT pg_sleep(20)", logger: PostgresPool.logger)
                    return 1
                }
            }
        }
        let took = ContinuousClock.now - start
        #expect(took < .seconds(12), "answered after \(took), not when the statement ended (20 s)")
        // A statement that answers in time is not held by the deadline.
        let value = try await PostgresPool.leased(answer: .seconds(5)) { claim in
            try await client.withConnection { c in
                guard claim() else { throw PostgresPool.NoConnection() }
                return try await c.query("SELECT 41 + 1", logger: PostgresPool.logger).decode(Int.self).collect().first ?? 0
            }
        }
        #expect(value == 42)
    }

    @Test("a caller that is cancelled stops waiting at once, its statement left behind")
    func cancelledCallerStopsWaiting() async throws {
        let server = try #require(TestPostgres.server)
        let (client, runner) = PostgresPool.start(server, connections: 2)
        defer { runner.cancel() }
        let start = ContinuousClock.now
        let waiting = Task {
            try await PostgresPool.leased { claim in
                try await client.withConnection { c in
                    guard claim() else { throw PostgresPool.NoConnection() }
                    try await c.query("SELECT pg_sleep(20)", logger: PostgresPool.logger)
                    return 1
                }
            }
        }
        try await Task.sleep(for: .seconds(1))
        waiting.cancel()
        await #expect(throws: CancellationError.self) { _ = try await waiting.value }
        #expect(ContinuousClock.now - start < .seconds(10))
    }
}
