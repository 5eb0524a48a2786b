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
    /// A live listener whose routes take `work` each, behind the in-flight middleware.
    func withListener(_ limits: RequestLimits, work: Duration, _ body: @Sendable @escaping (Int) async throws -> Void) async throws {
        let router = Router(context: GuichetContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: InFlightLimitMiddleware(counter: InFlightCounter(), limits: limits, admin: false,
                                                       passwordChecks: WorkQueue(width: limits.passwordChecksAtOnce)))
        router.get("/v1/statistics") { _, _ in try await Task.sleep(for: work); return "ok" }
        router.post("/v1/session") { _, _ in try await Task.sleep(for: work); return "signed in" }
        let app = Application(router: router, server: GuichetServer.http1(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 256)))
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    /// One request on a connection of its own from `source`; its status, and how long it took.
    static func request(_ port: Int, from source: String, _ text: String) async throws -> (status: Int?, took: Duration) {
        let c = try RawConnection(port: port, from: source)
        defer { c.close() }
        let start = ContinuousClock.now
        let answer = await c.exchange(text, within: .seconds(30))
        return (RawConnection.status(answer), ContinuousClock.now - start)
    }

    static let get = "GET /v1/statistics HTTP/1.1\r\nHost: x\r\n\r\n"
    static let signIn = "POST /v1/session HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

    @Test("requests without a session from one address: past 16 at once, 429; another address is served")
    func perSourceInFlight() async throws {
        try await withListener(RequestLimits(perSource: 16), work: .milliseconds(800)) { port in
            let statuses = try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<32 { group.addTask { try await Self.request(port, from: "127.0.0.1", Self.get).status } }
                return try await group.reduce(into: [Int?]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == 200 }.count >= 1 && statuses.filter { $0 == 200 }.count <= 16, "\(statuses)")
            #expect(statuses.filter { $0 == 429 }.count >= 16, "\(statuses)")
            #expect(try await Self.request(port, from: "127.0.0.2", Self.get).status == 200)
        }
    }

    @Test("sign-ins take turns by address: one address's twelve at once make another's wait for one, not for twelve")
    func passwordChecksTakeTurns() async throws {
        try await withListener(RequestLimits(perSource: 16, passwordChecksAtOnce: 1), work: .milliseconds(300)) { port in
            let flood = Task {
                try await withThrowingTaskGroup(of: Int?.self) { group in
                    for _ in 0..<12 { group.addTask { try await Self.request(port, from: "127.0.0.1", Self.signIn).status } }
                    return try await group.reduce(into: [Int?]()) { $0.append($1) }
                }
            }
            try await Task.sleep(for: .milliseconds(450))
            let victim = try await Self.request(port, from: "127.0.0.2", Self.signIn)
            #expect(victim.status == 200)
            // The one in progress, then its own turn: about 0.6 s; behind the queue it was 3 s.
            #expect(victim.took < .milliseconds(1_500), "waited \(victim.took)")
            let flooded = try await flood.value
            #expect(flooded.allSatisfy { $0 == 200 }, "\(flooded)")
        }
    }
}
