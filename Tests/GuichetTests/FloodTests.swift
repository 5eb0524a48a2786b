import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import GuichetMFA
import Synchronization

/// Issue #22: one account flooding the heaviest routes must not stop the server. A real
/// `guichet demo` process on loopback, its proof routes flooded by a self-registered citizen,
/// an administrator and a security officer, while `/healthz` is polled; then SIGTERM.
@Suite(.serialized) struct FloodTests {
    /// Concurrent requests kept in flight by each flooding client.
    static let concurrency = 32
    /// How long the flood lasts before SIGTERM is sent (the flood goes on during shutdown).
    static let floodSeconds = 6.0

    /// A URL session allowing many connections to one host (the default allows a few).
    static func session(timeout: TimeInterval) -> URLSession {
        let config = URLSessionConfiguration.ephemeral
        config.httpMaximumConnectionsPerHost = concurrency * 4
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout
        return URLSession(configuration: config)
    }

    /// One request; status 0 when it failed or timed out.
    static func call(_ session: URLSession, _ url: String, method: String = "GET", token: String? = nil,
                     body: [String: Any]? = nil) async -> (status: Int, json: [String: Any], retryAfter: String?) {
        guard let u = URL(string: url) else { return (0, [:], nil) }
        var request = URLRequest(url: u)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try? JSONSerialization.data(withJSONObject: body)
        }
        guard let (data, response) = try? await session.data(for: request) else { return (0, [:], nil) }
        let http = response as? HTTPURLResponse
        return (http?.statusCode ?? 0, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:], http?.value(forHTTPHeaderField: "Retry-After"))
    }

    /// Signs in on the admin listener and proves a second factor (enrolled on the spot).
    static func adminToken(_ s: URLSession, _ base: String, _ account: [String: String]) async throws -> String {
        let signIn = await call(s, base + "/admin/v1/session", method: "POST", body: ["username": account["username"]!, "password": account["password"]!])
        let token = try #require(signIn.json["token"] as? String, "admin sign-in: \(signIn.status)")
        let enrol = await call(s, base + "/admin/v1/me/mfa/totp", method: "POST", token: token,
                               body: ["activationCode": try #require(account["activationCode"], "demo-accounts.json gives each staff account its activation code")])
        let secret = try TOTPSecret(base32: try #require(enrol.json["secret"] as? String))
        let verified = await call(s, base + "/admin/v1/session/totp", method: "POST", token: token, body: ["code": secret.code(at: Date())])
        #expect(verified.status == 200)
        return token
    }

    @Test("a self-registered citizen and staff flooding the proof routes leave /healthz answering within a second, and SIGTERM stops the server")
    func floodKeepsServing() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        let (server, pub, adm) = try await LiveServerTests().startDemo(data: data, log: folder.appendingPathComponent("server.log"))
        defer { server.cleanUp() }
        let base = "http://127.0.0.1:\(pub)", admin = "http://127.0.0.1:\(adm)"
        let setup = Self.session(timeout: 120)  // setup only: a loaded machine may take long to hash a password

        // Anyone may register: the attacker's citizen account.
        let username = "flood.\(UInt32.random(in: 0...UInt32.max))"
        let password = "Correct-horse-battery-\(UInt32.random(in: 0...UInt32.max))"
        let registered = await Self.call(setup, base + "/v1/accounts", method: "POST", body: [
            "username": username, "password": password,
            "person": ["firstName": "Marie", "lastName": "Tremblay", "birthDate": "1991-02-03"]])
        #expect(registered.status == 201)
        let citizenAccount = try #require(registered.json["account"] as? String)
        let signIn = await Self.call(setup, base + "/v1/session", method: "POST", body: ["username": username, "password": password])
        let citizen = try #require(signIn.json["token"] as? String, "citizen sign-in answered \(signIn.status) (0: no answer in time)")

        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data + "/demo-accounts.json"))) as? [String: [[String: String]]]
        let accounts = try #require(file?["accounts"])
        let adminToken = try await Self.adminToken(setup, admin, try #require(accounts.first { $0["role"] == "admin" }))
        let officerToken = try await Self.adminToken(setup, admin, try #require(accounts.first { $0["role"] == "security" }))
        // A checkpoint covering the registration: the citizen's history then carries proofs.
        let checkpoint = await Self.call(setup, admin + "/admin/v1/ledger/checkpoints", method: "POST", token: adminToken)
        #expect(checkpoint.status == 201)
        let history = await Self.call(setup, base + "/v1/me/access-history", token: citizen)
        let accesses = history.json["accesses"] as? [[String: Any]] ?? []
        #expect(history.status == 200 && accesses.contains { $0["proof"] is [Any] }, "the citizen's history has proofs: \(history.status)")
        let size = try #require((history.json["checkpoint"] as? [String: Any])?["size"] as? Int)

        // The flood: each client keeps `concurrency` requests in flight on its heaviest routes.
        let routes: [(url: @Sendable (Int) -> String, token: String)] = [
            ({ _ in base + "/v1/me/access-history" }, citizen),
            ({ i in admin + "/admin/v1/ledger/entries/\(i % size)?size=\(size)" }, adminToken),
            ({ i in admin + "/admin/v1/ledger/consistency?from=\(1 + i % size)&to=\(size)" }, adminToken),
            ({ _ in admin + "/admin/v1/breach/scope?account=\(citizenAccount)" }, officerToken),
        ]
        let flood = Self.session(timeout: 10)
        // Answers 429 over the limit of requests in flight, each with Retry-After.
        let refused = Refusals()
        let deadline = Date().addingTimeInterval(Self.floodSeconds)
        // The workers stop at a flag, never by cancellation: cancelling a task inside
        // FoundationNetworking's `data(for:)` on Linux can deadlock (the cancel handler waits
        // for the session's queue while that queue waits to resume the same task; seen here).
        let workers = Task {
            await withTaskGroup(of: Void.self) { group in
                for (r, route) in routes.enumerated() {
                    for w in 0..<Self.concurrency {
                        group.addTask {
                            var i = w
                            // Goes on through shutdown: the server must stop while flooded.
                            while !refused.stopped.withLock({ $0 }) {
                                let answer = await Self.call(flood, route.url(i * routes.count + r), token: route.token)
                                if answer.status == 429 {
                                    refused.counts.withLock { $0.count += 1; $0.withRetryAfter += answer.retryAfter == nil ? 0 : 1 }
                                    // Asks again at once, without spinning this test's own threads.
                                    try? await Task.sleep(for: .milliseconds(10))
                                }
                                i += Self.concurrency
                            }
                        }
                    }
                }
            }
        }
        defer { refused.stopped.withLock { $0 = true } }

        // /healthz every 100 ms on a session of its own; each must answer within 1 s.
        let health = Self.session(timeout: 3)
        var slowest = 0.0, polls = 0, failures = 0
        while Date() < deadline {
            let start = Date()
            let status = await Self.call(health, base + "/healthz").status
            let elapsed = Date().timeIntervalSince(start)
            slowest = max(slowest, elapsed)
            polls += 1
            if status != 200 || elapsed > 1 { failures += 1 }
            if failures >= 3 { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        #expect(failures == 0, "\(failures) of \(polls) /healthz polls failed or took over 1 s (slowest \(slowest) s)")
        let adminHealth = await Self.call(health, admin + "/healthz")
        #expect(adminHealth.status == 200, "the admin listener answers while flooded")

        // SIGTERM while the flood goes on: the process ends within a few seconds.
        #expect(await server.stop(grace: 5), "the server was still running 5 s after SIGTERM")
        refused.stopped.withLock { $0 = true }
        await workers.value
        let (count, withRetryAfter) = refused.counts.withLock { ($0.count, $0.withRetryAfter) }
        #expect(count > 0 && withRetryAfter == count, "requests over the limit are refused with 429 and Retry-After (\(count), \(withRetryAfter))")
    }
}

/// Counts of 429 answers seen by the flood, shared by its tasks, and the flag that stops them.
final class Refusals: Sendable {
    let counts = Mutex((count: 0, withRetryAfter: 0))
    let stopped = Mutex(false)
}
