import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import GuichetMFA

/// `guichet demo` serving for real, on loopback sockets, as a new user would run it.
@Suite(.serialized) struct LiveServerTests {
    /// Starts the demo with ports chosen by the system and returns the server and both ports.
    /// Standard error goes to `log`; waiting for "Ready" is bounded and holds no thread.
    func startDemo(data: String, log: URL) async throws -> (ChildServer, public: Int, admin: Int) {
        let server = try ChildServer(CommandLineTests.binary.path,
                                     try await TestBackend.placing(["demo", "--data", data, "--size", "200", "--port", "0", "--admin-port", "0"]),
                                     directory: Repo.root, log: log)
        let text = try await server.waitFor("Ready", timeout: 600)  // generating 200 dossiers takes 20 s alone, minutes beside the whole suite
        func port(after marker: String) -> Int? {
            guard let line = text.split(separator: "\n").first(where: { $0.contains(marker) }),
                  let url = line.split(separator: " ").first(where: { $0.hasPrefix("http://") }) else { return nil }
            return Int(url.split(separator: ":").last ?? "")
        }
        guard let pub = port(after: "public API:"), let adm = port(after: "admin API:") else {
            server.cleanUp()
            throw ChildServer.NotReady(marker: "public API: / admin API:", tail: String(text.suffix(1_000)))
        }
        return (server, pub, adm)
    }

    func get(_ url: String, token: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        return try await send(request)
    }

    func post(_ url: String, _ body: [String: String], token: String? = nil) async throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url)!)
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        return try await send(request)
    }

    func send(_ request: URLRequest) async throws -> (Int, [String: Any]) {
        let (data, response) = try await URLSession.shared.data(for: request)
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, object)
    }

    @Test("the demo serves its registry: statistics, sign-in with the accounts file, admin only on its own listener")
    func demoServes() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        let log = folder.appendingPathComponent("server.log")
        let (server, pub, adm) = try await startDemo(data: data, log: log)
        defer { server.cleanUp() }
        var secrets: [String] = []

        let base = "http://127.0.0.1:\(pub)"
        #expect(try await get(base + "/healthz").0 == 200)
        let stats = try await get(base + "/v1/statistics")
        #expect(stats.0 == 200 && stats.1["definition"] != nil)

        let file = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: data + "/demo-accounts.json"))) as? [String: [[String: String]]]
        let accounts = try #require(file?["accounts"])
        let parent = try #require(accounts.first { $0["role"] == "parent" })
        #expect(try await post(base + "/v1/session", ["username": parent["username"]!, "password": "wrong-guess-for-the-log-test"]).0 == 401)
        let session = try await post(base + "/v1/session", ["username": parent["username"]!, "password": parent["password"]!])
        #expect(session.0 == 201)
        let token = try #require(session.1["token"] as? String)
        let mine = try await get(base + "/v1/dossiers", token: token)
        #expect(mine.0 == 200 && ((mine.1["dossiers"] as? [Any])?.count ?? 0) >= 1, "the demo parent has at least one application")
        secrets += [parent["password"]!, "wrong-guess-for-the-log-test", token]
        for case let dossier as [String: Any] in (mine.1["dossiers"] as? [Any]) ?? [] {
            for case let person as [String: Any] in (dossier["persons"] as? [Any]) ?? [] {
                secrets += ((person["fields"] as? [String: Any]) ?? [:]).values.compactMap { $0 as? String }.filter { $0.count >= 6 }
            }
        }

        #expect(try await get(base + "/admin/v1/accounts", token: token).0 == 404, "no admin path on the public listener")
        let admin = try #require(accounts.first { $0["role"] == "admin" })
        let adminSession = try await post("http://127.0.0.1:\(adm)/admin/v1/session", ["username": admin["username"]!, "password": admin["password"]!])
        #expect(adminSession.0 == 201)
        let adminToken = adminSession.1["token"] as? String
        #expect(try await get("http://127.0.0.1:\(adm)/admin/v1/accounts", token: adminToken).0 == 403, "no admin action before a second factor")
        // Enrol an authenticator app with the activation code, then prove it with a code, as the
        // administrator would; without the code, the enrolment is refused.
        #expect(try await post("http://127.0.0.1:\(adm)/admin/v1/me/mfa/totp", [:], token: adminToken).0 == 403)
        let activation = try #require(admin["activationCode"])
        let enrol = try await post("http://127.0.0.1:\(adm)/admin/v1/me/mfa/totp", ["activationCode": activation], token: adminToken)
        let secret = try TOTPSecret(base32: try #require(enrol.1["secret"] as? String))
        let verified = try await post("http://127.0.0.1:\(adm)/admin/v1/session/totp", ["code": secret.code(at: Date())], token: adminToken)
        #expect(verified.0 == 200 && ((verified.1["recoveryCodes"] as? [Any])?.count ?? 0) == 10)
        let list = try await get("http://127.0.0.1:\(adm)/admin/v1/accounts", token: adminToken)
        // The accounts that work in Guichet: every one of the file's but the citizen's.
        #expect(((list.1["accounts"] as? [Any])?.count ?? 0) == accounts.filter { $0["role"] != "parent" }.count)
        secrets += [admin["password"]!, adminToken ?? "", secret.base32, activation]
        #expect(accounts.allSatisfy { ($0["activationCode"] != nil) == ($0["role"] != "parent") }, "a code for each account but the citizen's")

        // Logs (R3): nothing used or returned above appears in what the server wrote.
        #expect(await server.stop(), "the demo ends on SIGTERM")
        let written = try String(contentsOf: log, encoding: .utf8)
        #expect(secrets.count > 6)
        #expect(!secrets.contains { !$0.isEmpty && written.contains($0) }, "a secret or personal value reached the log")
    }
}
