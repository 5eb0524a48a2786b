import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
@testable import GuichetServer
import Synchronization

/// What one client address may have the server do without a session (a citizens' audit: 128
/// connections of plain GETs from one address made every user's requests a hundred times
/// slower; eight accounts signing in in a loop from one address made everyone's sign-in six
/// times slower). On real sockets, from two loopback addresses.
@Suite struct RequestSourceLimitTests {
    /// A live listener whose routes take `work` each, behind the in-flight middleware; `log`
    /// records each request's address when it arrives and when its handler runs.
    func withListener(_ limits: RequestLimits, work: Duration, log: RequestLog = RequestLog(),
                      _ body: @Sendable @escaping (Int) async throws -> Void) async throws {
        let router = Router(context: GuichetContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: ArrivalMiddleware(log: log))
        router.add(middleware: InFlightLimitMiddleware(counter: InFlightCounter(), limits: limits, admin: false,
                                                       passwordChecks: WorkQueue(width: limits.passwordChecksAtOnce)))
        // Held until the test lets it go: what is in flight stays so, on a loaded machine too.
        router.get("/v1/statistics") { _, _ in
            let until = ContinuousClock.now + .seconds(60)
            while !log.released.withLock({ $0 }), ContinuousClock.now < until { try await Task.sleep(for: .milliseconds(20)) }
            return "ok"
        }
        router.post("/v1/session") { _, context in
            log.served.withLock { $0.append(context.source ?? "") }
            try await Task.sleep(for: work)
            return "signed in"
        }
        let app = Application(router: router, server: GuichetServer.http1(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 256)))
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    final class RequestLog: Sendable {
        let arrived = Mutex<[String]>([])
        let served = Mutex<[String]>([])
        let released = Mutex(false)
        /// How many requests had been served when the second address's arrived.
        let servedWhenSecondArrived = Mutex<Int?>(nil)
    }

    struct ArrivalMiddleware: RouterMiddleware {
        typealias Context = GuichetContext
        let log: RequestLog
        func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
            log.arrived.withLock { $0.append(context.source ?? "") }
            if context.source == "127.0.0.2" { log.servedWhenSecondArrived.withLock { $0 = log.served.withLock { $0.count } } }
            return try await next(request, context)
        }
    }

    /// One request on a connection of its own from `source`; its status, and how long it took.
    static func request(_ port: Int, from source: String, _ text: String) async throws -> (status: Int?, took: Duration) {
        let c = try RawConnection(port: port, from: source)
        defer { c.close() }
        let start = ContinuousClock.now
        let answer = await c.exchange(text, within: .seconds(120))
        return (RawConnection.status(answer), ContinuousClock.now - start)
    }

    static let get = "GET /v1/statistics HTTP/1.1\r\nHost: x\r\n\r\n"
    static let signIn = "POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    @Test("requests without a session from one address: past 16 at once, 429; another address is served")
    func perSourceInFlight() async throws {
        let log = RequestLog()
        try await withListener(RequestLimits(perSource: 16), work: .zero, log: log) { port in
            let all = Task {
                try await withThrowingTaskGroup(of: Int?.self) { group in
                    for _ in 0..<32 { group.addTask { try await Self.request(port, from: "127.0.0.1", Self.get).status } }
                    return try await group.reduce(into: [Int?]()) { $0.append($1) }
                }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while log.arrived.withLock({ $0.count }) < 32, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            // The other address is served while the first holds its 16 (its answer waits for
            // the release like theirs: it is let in, not refused).
            let other = Task { try await Self.request(port, from: "127.0.0.2", Self.get).status }
            while log.arrived.withLock({ $0.count }) < 33, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            log.released.withLock { $0 = true }
            let statuses = try await all.value
            #expect(statuses.filter { $0 == 200 }.count == 16 && statuses.filter { $0 == 429 }.count == 16, "\(statuses)")
            #expect(try await other.value == 200)
        }
    }

    @Test("sign-ins take turns by address: another address's comes after the one in progress and one more, not after one address's queue")
    func passwordChecksTakeTurns() async throws {
        let log = RequestLog()
        try await withListener(RequestLimits(perSource: 16, passwordChecksAtOnce: 1), work: .milliseconds(300), log: log) { port in
            let flood = Task {
                try await withThrowingTaskGroup(of: Int?.self) { group in
                    for _ in 0..<12 { group.addTask { try await Self.request(port, from: "127.0.0.1", Self.signIn).status } }
                    return try await group.reduce(into: [Int?]()) { $0.append($1) }
                }
            }
            // All twelve are in, waiting their turn, before the other address asks.
            let deadline = ContinuousClock.now + .seconds(60)
            while log.arrived.withLock({ $0.count }) < 12, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            #expect(log.arrived.withLock { $0.count } == 12)
            let victim = try await Self.request(port, from: "127.0.0.2", Self.signIn)
            #expect(victim.status == 200)
            // Served after at most the one in progress and two of the first address (the one
            // whose turn it was, then one more as the turns go round): in a queue in order of
            // arrival, it came after every one of the first address's still waiting.
            let order = log.served.withLock { $0 }
            let place = try #require(order.firstIndex(of: "127.0.0.2"), "\(order)")
            let before = try #require(log.servedWhenSecondArrived.withLock { $0 })
            #expect(before <= 8, "the first address's requests were still waiting when the second came: \(before) served")
            #expect(place - before <= 3, "served \(place - before) after it arrived: \(order)")
            _ = try await flood.value
        }
    }
}
