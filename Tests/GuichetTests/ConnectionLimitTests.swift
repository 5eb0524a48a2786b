import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
@testable import GuichetServer
import Synchronization

/// A connection costs the server a file; before these limits, 20,000 sockets that sent half a
/// request head and then nothing silenced both listeners. On real sockets: what a client that
/// does its part never meets, and what an idle, slow or greedy one does.
@Suite struct ConnectionLimitTests {
    static let healthz = "GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"

    /// Runs `body` with the port of a live listener answering `/healthz`, under these limits.
    func withListener(_ limits: ConnectionLimits, proxies: TrustedProxies = .none,
                      _ body: @Sendable @escaping (Int) async throws -> Void) async throws {
        let router = Router()
        router.get("/healthz") { _, _ in "ok" }
        let app = Application(router: router, server: GuichetServer.http1(limits, trustedProxies: proxies))
        try await app.test(.live) { client in try await body(try #require(client.port)) }
    }

    @Test("a connection that sends nothing, or half a request head, is closed at the idle timeout")
    func idleConnectionsClose() async throws {
        try await withListener(.init(idleTimeout: .seconds(1), headTimeout: .seconds(60), perAddress: 256)) { port in
            let silent = try RawConnection(port: port)
            let half = try RawConnection(port: port)
            defer { silent.close(); half.close() }
            half.send("GET /healthz HTTP/1.1\r\nHost: x\r\n")
            let a = await silent.closed(within: .seconds(8))
            let b = await half.closed(within: .seconds(8))
            #expect(a != nil && b != nil, "both are closed, not kept open")
            #expect((a?.after ?? .zero) >= .milliseconds(500), "not before the timeout")
        }
    }

    @Test("a client dribbling its headers one byte every 300 ms is closed at the head deadline, however busy it keeps the socket")
    func slowHeadersClose() async throws {
        try await withListener(.init(idleTimeout: .seconds(60), headTimeout: .seconds(2), perAddress: 256)) { port in
            let slow = try RawConnection(port: port)
            defer { slow.close() }
            slow.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            let start = ContinuousClock.now
            var closedAfter: Duration?
            while ContinuousClock.now - start < .seconds(10) {
                if case .closed = slow.read() { closedAfter = ContinuousClock.now - start; break }
                _ = slow.send("a")
                try await Task.sleep(for: .milliseconds(300))
            }
            let after = try #require(closedAfter, "the dribbling client is still connected after 10 s")
            #expect(after >= .seconds(1) && after < .seconds(6), "closed at the 2 s deadline, not \(after)")
        }
    }

    @Test("a body dribbled a byte every 2 s, each byte resetting the idle time-out, is answered 400 at the body's deadline and its connection closed")
    func slowBodyCloses() async throws {
        let router = Router()
        router.post("/echo") { req, _ -> String in
            // The server's own problem documents are not on this bare router: the refusal's text as a 400.
            do {
                var body = try await JSONBody.read(req)
                return try body.string("a")
            } catch let e as GuichetError {
                throw HTTPError(.badRequest, message: "\(e)")
            }
        }
        let app = Application(router: router, server: GuichetServer.http1(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 256)))
        try await app.test(.live) { client in
            let slow = try RawConnection(port: try #require(client.port))
            defer { slow.close() }
            slow.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 200\r\n\r\n{")
            let start = ContinuousClock.now
            var answer = ""
            var closed = false
            while ContinuousClock.now - start < .seconds(40), !closed {
                switch slow.read() {
                case .data(let text): answer += text
                case .closed: closed = true
                case .nothing: _ = slow.send(" "); try await Task.sleep(for: .seconds(2))
                }
            }
            let after = ContinuousClock.now - start
            #expect(RawConnection.status(answer) == 400 && answer.contains("did not arrive within"), "\(answer.prefix(200))")
            #expect(after >= .seconds(15) && after < .seconds(35), "answered at the deadline (\(RequestBodies.deadline)), not \(after)")
        }
    }

    @Test("a declared length past the limit is answered 413 from the head, without waiting for a byte of the body")
    func declaredLengthTooLarge() async throws {
        let router = Router()
        router.post("/echo") { req, _ -> String in
            do {
                var body = try await JSONBody.read(req)
                return try body.string("a")
            } catch let e as GuichetError {
                if case .tooLarge = e { throw HTTPError(.contentTooLarge, message: "\(e)") }
                throw HTTPError(.badRequest, message: "\(e)")
            }
        }
        let app = Application(router: router, server: GuichetServer.http1(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 256)))
        try await app.test(.live) { client in
            let c = try RawConnection(port: try #require(client.port))
            defer { c.close() }
            c.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n{")
            let start = ContinuousClock.now
            var answer = "", closed = false
            while ContinuousClock.now - start < .seconds(10), RawConnection.status(answer) == nil, !closed {
                switch c.read() {
                case .data(let text): answer += text
                case .closed: closed = true
                case .nothing: try await Task.sleep(for: .milliseconds(20))
                }
            }
            #expect(RawConnection.status(answer) == 413, "\(answer.prefix(200))")
            #expect(ContinuousClock.now - start < .seconds(5), "answered from the head, not at the body's deadline")
        }
    }

    @Test("an idle keep-alive connection is closed once the next head is overdue; a client that sends its requests in time keeps it")
    func keepAlive() async throws {
        try await withListener(.init(idleTimeout: .seconds(60), headTimeout: .seconds(3), perAddress: 256)) { port in
            let steady = try RawConnection(port: port)
            defer { steady.close() }
            // The deadline runs from the end of each response: four requests 1 s apart, 4 s in all, pass.
            for _ in 0..<4 {
                #expect(RawConnection.status(await steady.exchange(Self.healthz)) == 200)
                try await Task.sleep(for: .seconds(1))
            }
            let idle = try #require(await steady.closed(within: .seconds(8)), "the idle keep-alive connection is still open")
            #expect(idle.received.isEmpty, "closed without an answer to a request never sent")
        }
    }

    @Test("an HTTP/1.0 request without keep-alive, or one saying Connection: close, is answered then closed, the response saying so; HTTP/1.1 and HTTP/1.0 with keep-alive stay open")
    func closeAfterResponse() async throws {
        try await withListener(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 256)) { port in
            for (request, closes) in [("GET /healthz HTTP/1.0\r\n\r\n", true),
                                      ("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", true),
                                      ("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", false),
                                      (Self.healthz, false)] {
                let c = try RawConnection(port: port)
                defer { c.close() }
                #expect(c.send(request))
                let ended = await c.closed(within: .seconds(3))
                if closes {
                    // A monitoring probe reading to the end of the connection got its answer only at the idle timeout.
                    let got = try #require(ended, "\(request.prefix(30)): still open")
                    #expect(RawConnection.status(got.received) == 200 && got.received.lowercased().contains("connection: close") && got.received.hasSuffix("ok"))
                } else {
                    #expect(ended == nil, "\(request.prefix(30)): closed")
                }
            }
        }
    }

    @Test("past the listener's limit of connections waiting for a head, the one that waited longest is closed: slow heads from many addresses leave room for a visitor, who is served")
    func waitingForHeadCap() async throws {
        try await withListener(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 256, waitingForHead: 4)) { port in
            // Ten slow heads, each from its own address (no per-address cap meets them), in order.
            var slow: [RawConnection] = []
            defer { slow.forEach { $0.close() } }
            for i in 0..<10 {
                let c = try RawConnection(port: port, from: "127.0.1.\(i + 1)")
                _ = c.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                slow.append(c)
                try await Task.sleep(for: .milliseconds(50))
            }
            // The six that waited longest are closed; the four newest still wait.
            for c in slow.prefix(6) { #expect(await c.closed(within: .seconds(5)) != nil, "an old slow head is closed") }
            for c in slow.suffix(4) { #expect(await c.closed(within: .milliseconds(300)) == nil, "a newer one still waits") }
            // A visitor connects (the oldest waiting one makes room) and is answered.
            let visitor = try RawConnection(port: port, from: "127.0.2.1")
            defer { visitor.close() }
            #expect(RawConnection.status(await visitor.exchange(Self.healthz)) == 200)
            #expect(await slow[6].closed(within: .seconds(5)) != nil, "the visitor's arrival closed the oldest that still waited")
        }
    }

    @Test("the list of connections waiting for a head does not grow with the requests answered while an old one still waits")
    func waitersStayBounded() {
        let waiters = HeadWaiters(limit: 2_048)
        let keptOpen = waiters.wait {}  // an idle keep-alive connection that keeps waiting
        for _ in 0..<10_000 { waiters.done(waiters.wait {}) }  // requests that come and go
        #expect(waiters.count == 1)
        // Not one entry per request answered: at most twice those waiting and 1,024 (before: 10,001).
        #expect(waiters.held <= 2 + 1_025, "\(waiters.held) entries held")
        waiters.done(keptOpen)
        #expect(waiters.count == 0 && waiters.held == 0)
        // Past the limit the oldest is closed, once.
        let closed = Mutex(0)
        let small = HeadWaiters(limit: 2)
        let first = small.wait { closed.withLock { $0 += 1 } }
        _ = small.wait {}; _ = small.wait {}
        #expect(closed.withLock { $0 } == 1 && small.count == 2)
        small.done(first)
        #expect(small.count == 2)
    }

    @Test("past the per-address cap a connection is closed unanswered, while another address is still served and a freed place is taken again")
    func perAddressCap() async throws {
        try await withListener(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 3)) { port in
            // From 127.0.0.3: the test framework's own client holds a connection from 127.0.0.1.
            let held = try (0..<3).map { _ in try RawConnection(port: port, from: "127.0.0.3") }
            defer { held.forEach { $0.close() } }
            for c in held { #expect(RawConnection.status(await c.exchange(Self.healthz)) == 200) }
            let extra = try RawConnection(port: port, from: "127.0.0.3")
            defer { extra.close() }
            _ = extra.send(Self.healthz)
            let refused = try #require(await extra.closed(within: .seconds(5)), "the fourth connection is served")
            #expect(!refused.received.contains("HTTP/1.1 200"))
            let other = try RawConnection(port: port, from: "127.0.0.2")
            defer { other.close() }
            #expect(RawConnection.status(await other.exchange(Self.healthz)) == 200, "127.0.0.2 has its own count")
            held[0].close()
            var served = false
            for _ in 0..<50 where !served {
                let again = try RawConnection(port: port, from: "127.0.0.3")
                served = RawConnection.status(await again.exchange(Self.healthz, within: .seconds(2))) == 200
                again.close()
                if !served { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(served, "a closed connection gives its place back")
        }
    }

    @Test("connections from a trusted proxy are not capped per address: every client behind it shares its address")
    func trustedProxyNotCapped() async throws {
        let proxies = try TrustedProxies(["127.0.0.1"])
        try await withListener(.init(idleTimeout: .seconds(60), headTimeout: .seconds(60), perAddress: 2), proxies: proxies) { port in
            let many = try (0..<5).map { _ in try RawConnection(port: port) }
            defer { many.forEach { $0.close() } }
            for c in many { #expect(RawConnection.status(await c.exchange(Self.healthz)) == 200) }
        }
    }
}
