import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Connections to one PostgreSQL database, and its schema brought up to date: what the ledger
/// and the store both start with.
enum PostgresPool {
    /// postgres-nio's own lines from `warning` up: it logs each connection it opens, closes or
    /// retries at `info` (a command's exit printed "connection creation failed"); a database
    /// that does not answer is said by Guichet's own errors and `/readyz`.
    static let logger: Logger = {
        var logger = Logger(label: "guichet.postgres")
        logger.logLevel = .warning
        return logger
    }()

    /// A client of at most `connections` connections, and the task that runs it.
    static func start(_ address: PostgresAddress, connections: Int) -> (PostgresClient, Task<Void, Never>) {
        var configuration = address.configuration
        configuration.options.maximumConnections = connections
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        return (client, Task { await client.run() })
    }

    /// How long a request of the store waits for a connection. While PostgreSQL is down the
    /// pool retries for about a minute before it fails what waits (an operator's audit: requests
    /// and `/readyz` hung 66 to 70 s, then blamed a full disk); past this, the request is refused
    /// with nothing sent, so "nothing was changed" is true. Not shorter: under a burst on a busy
    /// two-core machine (40 sign-in guesses at once, each holding its row's lock) a request
    /// waited more than 5 s for a connection of a live database. `/readyz` says "down" in 2 s.
    static let leaseDeadline: Duration = .seconds(15)

    /// No connection came within ``leaseDeadline``: nothing was sent to the database.
    struct NoConnection: Error {}

    /// How long a statement (or a transaction's statements) may go unanswered once sent. The
    /// request is then answered, and the statement left to end or fail on its own: postgres-nio
    /// can leave a query waiting for ever when its connection closes under it (an operator's
    /// audit: after PostgreSQL stopped and came back, requests in progress never ended, and
    /// the server they held ignored SIGTERM). Far above any statement of the request path;
    /// the store's statements get two minutes (an import's batch, a retention step, a breach
    /// scope's reads are each far shorter); the ledger's appends and the watch's reads and
    /// writes, which every request waits for (one account's requests in turn), 30 s; the long
    /// reads of an audit (`ledger verify`) have none.
    static let answerDeadline: Duration = .seconds(120)
    static let appendDeadline: Duration = .seconds(30)

    /// A statement sent got no answer within ``answerDeadline``: whether it took effect is
    /// not known.
    struct NoAnswer: Error {}

    /// The two tasks of a lease: its work and its timer, each cancelled by the other's end.
    final class LeaseTasks: Sendable {
        let value = Mutex<(work: Task<Void, Never>?, timer: Task<Void, Never>?)>((nil, nil))
    }

    /// Who came first: the connection (held) or the deadline (late).
    final class LeaseState: Sendable {
        enum Value { case waiting, held, late }
        let value = Mutex(Value.waiting)
        /// Moves from waiting to `to`; false when the other came first.
        func take(_ to: Value) -> Bool { value.withLock { v in guard v == .waiting else { return false }; v = to; return true } }
    }

    /// Runs `body`, which must call its `claim` first thing once it holds a connection and
    /// stop (throw) when `claim` says false: the deadline passed meanwhile and the request was
    /// already refused. Once claimed, the body is not stopped by the lease's deadline (a
    /// statement's outcome would be unknown); past `answer` more (counted from the lease's
    /// deadline: at most `deadline + answer` in all), the caller is answered ``NoAnswer`` and
    /// the body is left running, cancelled (a hung query is not waited for: this call never
    /// outlives its deadlines). A cancelled caller stops waiting at once.
    /// - Throws: ``NoConnection`` when no connection came within `deadline`.
    static func leased<T: Sendable>(within deadline: Duration = leaseDeadline, answer: Duration = answerDeadline,
                                    _ body: @escaping @Sendable (_ claim: @escaping @Sendable () -> Bool) async throws -> T) async throws -> T {
        let state = LeaseState()
        let once = PostgresSignerElection.Once<T>()
        let tasks = LeaseTasks()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (k: CheckedContinuation<T, any Error>) in
                once.continuation.withLock { $0 = k }
                // Cancelled before the continuation was there to resume: said now.
                if Task.isCancelled { once.resume(with: .failure(CancellationError())); return }
                // The timer first, so that the work, however quick, finds it to cancel.
                let timer = Task {
                    do { try await Task.sleep(for: deadline) } catch { return }
                    if state.take(.late) {
                        if once.resume(with: .failure(NoConnection())) { tasks.value.withLock { $0.work }?.cancel() }
                        return
                    }
                    do { try await Task.sleep(for: answer) } catch { return }
                    if once.resume(with: .failure(NoAnswer())) { tasks.value.withLock { $0.work }?.cancel() }
                }
                tasks.value.withLock { $0.timer = timer }
                let work = Task {
                    do { once.resume(with: .success(try await body { state.take(.held) })) } catch { once.resume(with: .failure(error)) }
                    tasks.value.withLock { $0.timer }?.cancel()
                }
                tasks.value.withLock { $0.work = work }
            }
        } onCancel: {
            // The caller stops waiting at once (a server stopping cancels its requests); the
            // work is cancelled and left to end on its own.
            if once.resume(with: .failure(CancellationError())) {
                let t = tasks.value.withLock { $0 }
                t.work?.cancel(); t.timer?.cancel()
            }
        }
    }

    /// `body` on a connection of `client`, in a transaction or not, within ``leased(within:answer:_:)``'s
    /// deadlines (the store's and the ledger's statements go through here).
    static func run<T: Sendable>(_ client: PostgresClient, transaction: Bool, within deadline: Duration = leaseDeadline, answer: Duration,
                                 _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        try await leased(within: deadline, answer: answer) { claim in
            guard transaction else {
                return try await client.withConnection { c in
                    guard claim() else { throw NoConnection() }
                    return try await body(c)
                }
            }
            return try await client.withTransaction(logger: logger) { c in
                guard claim() else { throw NoConnection() }  // refused already: rolled back
                return try await body(c)
            }
        }
    }

    /// Waits for a first connection (at most `timeout`), then applies each list of migrations
    /// in order.
    /// - Throws: ``PostgresStoreError/unavailable(_:)`` when the server does not answer or
    ///   refuses the schema.
    /// - Parameter existing: refuse (``PostgresStoreError/noRegistry(_:)``), before creating
    ///   anything, a database without Guichet's tables.
    static func ready(_ client: PostgresClient, _ address: PostgresAddress, timeout: Duration,
                      migrations: [[(name: String, statements: [String])]], existing: Bool = false) async throws {
        do {
            // The pool retries a refused connection for ever: give up when no connection is
            // made within `timeout`. Once one is, the migrations take what they take.
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask { try await client.query("SELECT 1", logger: logger); return true }
                group.addTask { try await Task.sleep(for: timeout); return false }
                // The pool retries a refusal too; one connection of its own says at once why the
                // server refuses (user or password, no such database).
                group.addTask { try await refusal(address); try await Task.sleep(for: timeout * 2); return false }
                let connected = try await group.next() ?? false
                group.cancelAll()
                if !connected { throw PostgresStoreError.unavailable("\(address) did not answer within \(timeout)") }
            }
            if existing {
                let found = try await client.query("SELECT to_regclass('meta') IS NOT NULL", logger: logger).decode(Bool.self).collect()
                guard found.first == true else { throw PostgresStoreError.noRegistry(address.description) }
            }
            for list in migrations { try await migrate(client, list) }
        } catch let e as PostgresStoreError {
            throw e
        } catch {
            throw PostgresStoreError.unavailable("\(address) did not take the schema (\(String(describing: error).prefix(300)))")
        }
    }

    /// One connection of its own to `address`, outside the pool (the signer's election keeps one).
    static func connection(_ address: PostgresAddress) async throws -> PostgresConnection {
        try await PostgresConnection.connect(configuration: try connectionConfiguration(address), id: 0, logger: logger)
    }

    /// The configuration of one connection to `address`, with its TLS mode.
    static func connectionConfiguration(_ address: PostgresAddress) throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS = switch address.tls {
        case .disable: .disable
        case .prefer: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
        case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        }
        return PostgresConnection.Configuration(host: address.host, port: address.port, username: address.user,
                                                password: address.password, database: address.database, tls: tls)
    }

    /// Throws when the server answers but refuses this address: a user or password it does not
    /// accept (SQLSTATE class 28), a database it does not have (3D000). Anything else (no
    /// answer yet, TLS) is left to the pool's own attempts.
    static func refusal(_ address: PostgresAddress) async throws {
        guard let configuration = try? connectionConfiguration(address) else { return }
        do {
            let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: logger)
            try? await connection.close()
        } catch let e as PSQLError where e.code == .authMechanismRequiresPassword {
            throw PostgresStoreError.unavailable("\(address) refused the user or its password (the server asks for a password); "
                + "no password was given: put it in PGPASSWORD")
        } catch let e as PSQLError where e.code == .server {
            let state = e.serverInfo?[.sqlState] ?? ""
            if state.hasPrefix("28") {
                throw PostgresStoreError.unavailable("\(address) refused the user or its password (SQLSTATE \(state)); "
                    + (address.password == nil ? "no password was given: put it in PGPASSWORD" : "check the password given (PGPASSWORD or the address)"))
            }
            if state == "3D000" { throw PostgresStoreError.unavailable("\(address): the server has no such database (SQLSTATE 3D000)") }
        } catch where refusedConnection(error) {
            // Nothing listens there: the pool would retry until the timeout, and then say the
            // server "did not answer", which suggests a slow server rather than a wrong port.
            throw PostgresStoreError.unavailable("\(address): connection refused (nothing listens on \(address.host) port \(address.port)): "
                + "check the host and the port, and that PostgreSQL runs")
        } catch {}
    }

    /// Whether a connection failed because every address tried refused it (ECONNREFUSED).
    static func refusedConnection(_ error: any Error) -> Bool {
        switch error {
        case let e as PSQLError: e.code == .connectionError && e.underlying.map(refusedConnection) == true
        case let e as NIOConnectionError: !e.connectionErrors.isEmpty && e.connectionErrors.allSatisfy { refusedConnection($0.error) }
        case let e as IOError: e.errnoCode == ECONNREFUSED
        default: false
        }
    }

    /// Applies the migrations not yet applied, each once, in order, in one transaction with its
    /// record in `guichet_migration`; two servers starting at once take turns (an advisory
    /// lock).
    static func migrate(_ client: PostgresClient, _ migrations: [(name: String, statements: [String])]) async throws {
        try await client.withTransaction(logger: logger) { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(PostgresLedger.migrationLock))", logger: logger)
            // Created by the first owner only: a server's role (PostgresStore.grantServerRole) may
            // not create tables, and reads the record of an up-to-date schema.
            let recorded = try await c.query("SELECT to_regclass('guichet_migration') IS NOT NULL", logger: logger).decode(Bool.self).collect()
            if recorded.first != true {
                try await c.query("CREATE TABLE guichet_migration (name TEXT PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now())", logger: logger)
            }
            var applied: Set<String> = []
            for try await name in try await c.query("SELECT name FROM guichet_migration", logger: logger).decode(String.self) {
                applied.insert(name)
            }
            for m in migrations where !applied.contains(m.name) {
                for statement in m.statements { try await c.query(PostgresQuery(unsafeSQL: statement), logger: logger) }
                try await c.query("INSERT INTO guichet_migration(name) VALUES (\(m.name))", logger: logger)
            }
        }
    }
}
