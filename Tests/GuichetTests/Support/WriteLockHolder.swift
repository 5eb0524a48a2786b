import Foundation
import GRDB
import GuichetPostgres
import Logging
import PostgresNIO

/// Another connection's open transaction that holds a write lock, as a long write of another
/// server or an import would: on SQLite the database's one write lock (`BEGIN IMMEDIATE`;
/// readers still read), on PostgreSQL an `EXCLUSIVE` lock on one table (plain reads still
/// pass; inserts, updates and `SELECT … FOR UPDATE` wait). Release it before the test ends;
/// on PostgreSQL it is released anyway after `atMost`, so that a statement stuck behind it
/// ends and a test that waits on that statement fails instead of hanging.
struct WriteLockHolder: Sendable {
    let release: @Sendable () async -> Void

    static func take(_ database: TestDatabase, table: String, atMost: Duration = .seconds(45)) async throws -> WriteLockHolder {
        switch database {
        case .sqlite(let path):
            var configuration = Configuration()
            configuration.busyMode = .timeout(30)
            // The transaction stays open between two of the queue's calls.
            configuration.allowsUnsafeTransactions = true
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
            return WriteLockHolder { _ = try? queue.inDatabase { try $0.execute(sql: "ROLLBACK") } }
        case .postgres(let address):
            let admin = try await PostgresAdmin.connect(address)
            let logger = Logger(label: "guichet.tests.lock")
            let (taken, tookLock) = AsyncStream<Result<Void, any Error>>.makeStream()
            let (released, release) = AsyncStream<Void>.makeStream()
            let deadline = Task { try? await Task.sleep(for: atMost); release.finish() }
            let holder = Task {
                do {
                    try await admin.client.withConnection { c in
                        try await c.query("BEGIN", logger: logger)
                        try await c.query(PostgresQuery(unsafeSQL: "LOCK TABLE \(table) IN EXCLUSIVE MODE"), logger: logger)
                        tookLock.yield(.success(()))
                        for await _ in released {}
                        try await c.query("ROLLBACK", logger: logger)
                    }
                } catch {
                    tookLock.yield(.failure(error))
                }
            }
            var outcome: Result<Void, any Error> = .failure(TestFailure("the lock's connection ended"))
            for await result in taken { outcome = result; break }
            do { try outcome.get() } catch { release.finish(); deadline.cancel(); await holder.value; await admin.close(); throw error }
            return WriteLockHolder {
                release.finish()
                deadline.cancel()
                await holder.value
                await admin.close()
            }
        }
    }
}
