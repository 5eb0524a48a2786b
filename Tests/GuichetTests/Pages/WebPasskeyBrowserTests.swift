import Foundation
import Hummingbird
import Testing
import GuichetCore
import GuichetMFA
@testable import GuichetServer

/// The account's security in Debian's Chromium (Selenium, `Tests/peers/browser_passkeys.py`),
/// in French and in English, axe-core on every page: a parent creates an account on the
/// registration page; an agent enrols a passkey (Chromium's virtual authenticator) with the
/// activation code, then an authenticator app, and signs in again with the passkey. Heavy: run
/// alone, with WebPagesBrowserTests.
@Suite(.serialized)
struct WebPasskeyBrowserTests {
    @Test("in Chromium: a parent registers and signs in; an agent enrols a passkey with the activation code and an app with a code, then passes the second factor with the passkey",
          arguments: ["fr", "en"])
    func passkeys(_ language: String) async throws {
        // A passkey belongs to one origin: the server must know its port before it starts.
        let free = try await Python.run(["-c", "import socket; s = socket.socket(); s.bind(('localhost', 0)); print(s.getsockname()[1])"])
        let port = try #require(free.output.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) })
        let base = "http://localhost:\(port)"
        let world = try await World.make(relyingParty: RelyingParty(id: "localhost", origin: base))
        defer { world.remove() }
        let owner = try #require(try await world.store.account(username: "agent")).id
        let config: [String: Any] = [
            "base": base, "lang": language, "password": World.password, "activation": try await world.activationCode("agent"),
            "accounts": ["agent": "agent"], "weakPassword": "password1234",
            "parent": ["username": "lea.bouchard.\(language)", "password": "a long synthetic passphrase",
                       "firstName": "Léa", "lastName": "Bouchard", "birthDate": "1991-02-03"],
        ]
        let app = Application(router: world.server.publicRouter().0, configuration: .init(address: .hostname("localhost", port: port)))
        let server = Task { try await app.runService() }
        let script = Repo.root.appendingPathComponent("Tests/peers/browser_passkeys.py").path
        let run = try await Python.run([script, String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)], timeout: 400)
        server.cancel()
        _ = await server.result
        try #require(run.status == 0, "\(run.output)")
        let last = try #require(run.output.split(separator: "\n").last.map(String.init))
        let answer = try #require(try JSONDecoder().decode(JSON.self, from: Data(last.utf8)).object)
        let t = try WebPagesBrowserTests.texts(language)

        #expect(answer["weakRefused"]?.string?.hasPrefix(t["registerFailed"]!) == true, "\(answer["weakRefused"] ?? .null)")
        #expect(answer["registered"]?.string == t["registered"])
        #expect(answer["parentHome"]?.string == "lea.bouchard.\(language)", "the new parent signs in")
        #expect(try await world.store.account(username: "lea.bouchard.\(language)")?.person != nil)

        #expect(answer["noFactor"] == .bool(true), "a new agent is sent to enrol a factor")
        #expect(answer["passkeyDone"]?.string == t["passkeyEnrolled"], "\(answer["passkeyError"] ?? .null)")
        #expect(WebPagesBrowserTests.number(answer["recoveryCodes"]) == 10)
        #expect(answer["appDone"]?.string == t["appEnrolled"])
        #expect(WebPagesBrowserTests.number(answer["sessions"]) ?? 0 >= 1)
        #expect(answer["passkeyOffered"] == .bool(true))
        #expect(answer["afterPasskey"]?.string?.hasSuffix("/web/home") == true, "the passkey passed the second factor")
        let factors = try await world.store.factors(account: owner).filter(\.confirmed)
        #expect(factors.contains { $0.kind == "webauthn" } && factors.contains { $0.kind == "totp" })
        WebPagesBrowserTests.expectAccessible(answer, atLeast: 8)
    }
}
