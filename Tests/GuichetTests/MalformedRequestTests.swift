import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing
import GuichetCore
import GuichetServer

/// Issue #21 item 7: what a fuzzer or an attacker sends that no client library would must
/// get the same problem document as every other refusal, never a bare 400, and change nothing.
@Suite struct MalformedRequestTests {
    /// One answer of `Tests/peers/raw_http.py`.
    struct Answer: Decodable { let `case`: String; let status: Int; let type: String?; let body: [String: JSONValue]?; let closed: Bool }
    enum JSONValue: Decodable {
        case text(String), number(Double)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let n = try? c.decode(Double.self) { self = .number(n) } else { self = .text(try c.decode(String.self)) }
        }
    }

    @Test("headers, cookies and URLs past the limit, bytes that are not HTTP and a malformed length get a 400 problem document on a real socket, and the connection closes")
    func malformedOnTheWire() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let before = try await world.snapshot()
        let app = Application(router: world.server.publicRouter().0, server: GuichetServer.http1)
        let output = Mutex("")
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let script = Repo.root.appendingPathComponent("Tests/peers/raw_http.py").path
            let r = try await Python.run([script, String(port)], timeout: 120)
            #expect(r.status == 0, "\(r.output)")
            output.withLock { $0 = r.output }
            // The listener still answers after all of them.
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
        }
        let answers = try output.withLock { $0 }.split(separator: "\n").filter { $0.hasPrefix("{") }
            .map { try JSONDecoder().decode(Answer.self, from: Data($0.utf8)) }
        #expect(Set(answers.map(\.case)) == ["long-header", "long-cookie", "long-url", "invalid-utf8-path", "not-http", "bad-length"])
        for a in answers {
            #expect(a.status == 400, "\(a.case): \(a.status)")
            #expect(a.type == "application/problem+json", "\(a.case): \(a.type ?? "no content type")")
            if case .text(let title)? = a.body?["title"], case .text(let detail)? = a.body?["detail"], case .number(400)? = a.body?["status"] {
                #expect(!title.isEmpty && !detail.contains("aaaa"), "\(a.case): the answer never echoes what was sent")
            } else {
                Issue.record("\(a.case): the body is not a problem document: \(String(describing: a.body))")
            }
            #expect(a.closed, "\(a.case): the connection is closed after a malformed request")
        }
        let headers = answers.first { $0.case == "long-cookie" }
        if case .text(let detail)? = headers?.body?["detail"] { #expect(detail.contains("KiB"), "the limit is named: \(detail)") }
        #expect(try await world.snapshot() == before)
    }
}
