import Crypto
import Foundation
import Hummingbird
import Testing
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetMFA
@testable import GuichetServer

/// The account's security in Debian's Chromium (Selenium, `Tests/peers/browser_passkeys.py`),
/// in French and in English, axe-core on every page: a parent creates an account on the
/// registration page; an agent enrols a passkey (Chromium's virtual authenticator) with the
/// activation code, then an authenticator app, and signs in again with the passkey; a partner
/// adviser answers an export's step-up with its passkey and a reason. Heavy: run alone, with
/// WebPagesBrowserTests.
@Suite(.serialized)
struct WebPasskeyBrowserTests {
    /// A port for the page server, known before it starts: a passkey belongs to one origin.
    static func freePort() async throws -> Int {
        let free = try await Python.run(["-c", "import socket; s = socket.socket(); s.bind(('localhost', 0)); print(s.getsockname()[1])"])
        return try #require(free.output.split(separator: "\n").last.flatMap { Int($0.trimmingCharacters(in: .whitespaces)) })
    }

    /// Serves `router` on `port` while `browser_passkeys.py` runs with `config`; `after` runs
    /// once the script ended, before the server stops (to wait for what its last request made).
    /// - Returns: the script's last line, decoded.
    static func browse(_ router: Router<GuichetContext>, port: Int, config: [String: Any],
                       after: () async throws -> Void = {}) async throws -> [String: JSON] {
        let app = Application(router: router, configuration: .init(address: .hostname("localhost", port: port)))
        let server = Task { try await app.runService() }
        let script = Repo.root.appendingPathComponent("Tests/peers/browser_passkeys.py").path
        let run = try await Python.run([script, String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)], timeout: 400)
        try await after()
        server.cancel()
        _ = await server.result
        try #require(run.status == 0, "\(run.output)")
        let last = try #require(run.output.split(separator: "\n").last.map(String.init))
        return try #require(try JSONDecoder().decode(JSON.self, from: Data(last.utf8)).object)
    }

    @Test("in Chromium: a parent registers and signs in; an agent enrols a passkey with the activation code and an app with a code, then passes the second factor with the passkey",
          arguments: ["fr", "en"])
    func passkeys(_ language: String) async throws {
        let port = try await Self.freePort()
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
        let answer = try await Self.browse(world.server.publicRouter().0, port: port, config: config)
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

    @Test("in Chromium: a partner adviser past its ceiling answers the export's step-up with its passkey; with the reason's box empty the passkey is not asked for, with a reason typed the file is made and the reason reaches the alert",
          arguments: ["fr", "en"])
    func exportStepUp(_ language: String) async throws {
        let port = try await Self.freePort()
        let base = "http://localhost:\(port)"
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 1_500, accounts: [("partner1", "partner-adviser", "partner-network")],
                                                      relyingParty: RelyingParty(id: "localhost", origin: base))
        defer { world.remove() }
        // A caseload above the partner's ceiling (35 persons in 10 minutes) and within its grace.
        let more = try await world.store.search(DossierQuery(type: "job-seeker", status: nil, scope: [.any], terms: [], after: nil, limit: 130))
        try await world.store.assign(more, to: try #require(try await world.store.account(username: "partner1")).id)
        let reason = "The monthly follow-up of the caseload, checked with the agency."
        let config: [String: Any] = [
            "scenario": "export-step-up", "base": base, "lang": language, "password": World.password,
            "activation": try #require(try await world.auth.consoleActivation(username: "partner1")?.code), "accounts": ["partner": "partner1"],
            "recipientKey": Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation.base64EncodedString(),
            "firstReason": "Synthetic monthly follow-up", "reason": reason,
        ]
        // The world's clock follows the browser's pace (a factor counts only when verified after the ceiling's demand).
        let ticking = Task { while !Task.isCancelled { try await Task.sleep(for: .seconds(1)); world.clock.advance(1) } }
        defer { ticking.cancel() }
        var reasons: [String] = []
        let answer = try await Self.browse(world.server.publicRouter().0, port: port, config: config) {
            for _ in 0..<40 where !reasons.contains(reason) {
                reasons = try await world.store.alerts(openOnly: false, account: nil, limit: 50).compactMap { world.gate.justification(of: $0) }
                if !reasons.contains(reason) { try await Task.sleep(for: .milliseconds(250)) }
            }
        }
        let t = try WebPagesBrowserTests.texts(language)

        #expect(answer["passkeyDone"]?.string == t["passkeyEnrolled"], "\(answer["passkeyError"] ?? .null)")
        #expect(answer["refusal"]?.string == "errCeiling", "the export meets the partner's ceiling")
        #expect(answer["passkeyOffered"] == .bool(true), "the step-up page offers the passkey")
        #expect(answer["boxHolds"]?.string == "Synthetic monthly follow-up", "the box that asks why holds the reason typed in the export's form")
        #expect(answer["emptyBoxStays"] == .bool(true) && answer["emptyBoxMissing"] == .bool(true),
                "an empty box: the page stays and the browser points at the box, no passkey asked for")
        #expect(answer["passkeyError"] == .bool(false))
        #expect(reasons.contains(reason), "the passkey's answer and the reason typed made the file; the security officers read the reason: \(reasons)")
        WebPagesBrowserTests.expectAccessible(answer, atLeast: 1)
    }
}
