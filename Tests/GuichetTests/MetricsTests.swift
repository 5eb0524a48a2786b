import Foundation
import Testing
import GuichetCore
import Synchronization

/// `GET /metrics` on the admin listener: counts for the agency's monitoring, read by the
/// official Prometheus client's parser, and never a user, a path or a personal value.
@Suite(.serialized)
struct MetricsTests {
    @Test("the admin listener exposes request, ledger and account metrics that Prometheus's own parser reads; the public one does not")
    func exposition() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        try await world.gate.checkpoint(at: Date())
        _ = try await world.auth.createAccount(username: "newagent", password: World.password, role: "agent",
                                               organisation: world.operatorOrg.id, createdBy: try await world.store.account(username: "admin")?.id)
        let text = Mutex<String>("")
        try await world.withAdmin { client in
            _ = try await client.call(.post, "/admin/v1/session", body: #"{"username": "admin", "password": "wrong password here"}"#)
            _ = try await client.call(.get, "/healthz")
            let r = try await client.call(.get, "/metrics")
            #expect(r.status == .ok && r.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            text.withLock { $0 = r.text }
        }
        try await world.withPublic { client in
            let r = try await client.call(.get, "/metrics")
            #expect(r.status == .notFound)
        }
        let body = text.withLock { $0 }
        #expect(!body.contains("parent1") && !body.contains("newagent") && !body.contains("/admin/v1"), "no user, no path in labels")
        let file = world.folder.appendingPathComponent("metrics.txt")
        try body.write(to: file, atomically: true, encoding: .utf8)
        let run = try await Python.run([Repo.root.appendingPathComponent("Tests/peers/prometheus_peer.py").path, file.path])
        try #require(run.status == 0, "\(run.output)")
        let parsed = try JSONDecoder().decode(JSON.self, from: Data(run.output.utf8))
        let families = try #require(parsed.object?["families"]?.object)
        #expect(families["guichet_http_requests"]?.string == "counter")
        #expect(families["guichet_http_request_duration_seconds"]?.string == "histogram")
        let samples = try #require(parsed.object?["samples"]?.array).compactMap { $0.array }
        func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
            samples.first { s in
                s[0].string == name && labels.allSatisfy { s[1].object?[$0.key]?.string == $0.value }
            }.flatMap { s in if case .number(let v) = s[2] { v } else { nil } }
        }
        #expect(value("guichet_http_requests_total", ["listener": "admin", "method": "POST", "status": "4xx"]) == 1)
        #expect(value("guichet_http_requests_total", ["listener": "admin", "method": "GET", "status": "2xx"]) == 1)
        let ledger = try await world.store.ledgerSize()
        #expect(value("guichet_ledger_entries") == Double(ledger) && ledger > 0)
        #expect(value("guichet_ledger_checkpoint_size") == Double(ledger) && value("guichet_ledger_unsigned_entries") == 0)
        #expect(value("guichet_accounts", ["status": "pending"]) == 1)
        #expect(value("guichet_privileged_requests_pending") == 1)
        #expect(value("guichet_caseload_requests_pending") == 0 && value("guichet_notices", ["status": "pending"]) == 0)
    }
}
