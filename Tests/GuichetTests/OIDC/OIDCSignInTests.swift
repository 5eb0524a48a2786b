import Foundation
import Testing
import JWTKit
import GuichetOIDC

/// Federated sign-in against a real OpenID Connect provider process (oidc-provider-mock from
/// PyPI, issue #21 item 6), driven by `Tests/peers/oidc_peer.py` over a real `guichet serve`:
/// linking by the command line (journalled), a citizen's sign-in, staff asked for Guichet's
/// second factor unless the provider's acr is trusted, and the refusals (wrong or replayed
/// state, replayed code, wrong nonce, another client's code, another browser, an unlinked
/// subject, a citizen through the staff provider); no secret in the log; the ledger verifies.
@Suite(.serialized) struct OIDCSignInTests {
    struct Case: Decodable { let ok: Bool; let detail: String }
    struct Foreign: Decodable { let issuer: String; let nonce: String; let idToken: String; let jwks: JWKS }
    struct Report: Decodable {
        let cases: [String: Case]
        let foreign: Foreign?
        enum CodingKeys: String, CodingKey { case cases, foreign }
        /// A peer that broke before its last step prints `"foreign": {}`: that is no foreign
        /// token (the failed cases say why), not a report that cannot be read.
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            cases = try c.decode([String: Case].self, forKey: .cases)
            foreign = try? c.decode(Foreign.self, forKey: .foreign)
        }
    }

    @Test("OpenID Connect sign-in against oidc-provider-mock: linked accounts in, every refusal refused, staff second factor kept")
    func againstARealProvider() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let demo = folder.appendingPathComponent("demo").path
        let made = try await Child.run(CommandLineTests.binary.path, try await TestBackend.placing(["demo", "--data", demo, "--size", "20", "--no-serve"]),
                                       directory: Repo.root, timeout: 600)
        #expect(made.status == 0, "\(made.output)")
        let work = folder.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        let script = Repo.root.appendingPathComponent("Tests/peers/oidc_peer.py").path
        let r = try await Python.run([script, CommandLineTests.binary.path, demo, work.path], timeout: 600)
        let line = try #require(r.output.split(separator: "\n").first { $0.hasPrefix("{") }, "\(r.output.suffix(3_000))")
        let report = try JSONDecoder().decode(Report.self, from: Data(line.utf8))
        #expect(r.status == 0, "\(r.output.suffix(3_000))")
        for (name, c) in report.cases where !c.ok {  // every failure, the peer's own included, with its detail
            Issue.record("\(name): \(c.detail)")
        }
        let expected = [
            "link: two accounts linked by the command", "link: a subject already linked is refused", "link: an unknown user name is refused",
            "start: code flow with PKCE S256, state and nonce, our client and redirect",
            "citizen: signed in as the linked account, no second factor", "citizen: the federated session reads the citizen's own dossiers",
            "browser: 303 to the page with the session cookie, which then works",
            "replayed state and code: refused", "wrong state: refused", "wrong state: the genuine sign-in is not spoilt",
            "replayed code with a new state: refused", "wrong nonce: refused", "code for another audience (client): refused",
            "another browser: refused", "unlinked subject: refused, no account made",
            "staff without trusted acr: second factor (TOTP) required",
            "staff without trusted acr: after Guichet's TOTP in the same session, the read works", "staff with an untrusted acr: second factor required",
            "staff with the trusted acr: no second factor asked again",
            "staff amr: a trusted method counts as the second factor, another does not", "a citizen's identity through the staff provider: refused",
            "unknown provider: refused", "sign-ins under way per address: at most 20, then 429 with Retry-After", "no client secret, code or token in the server's log",
            "the ledger verifies",
        ]
        for name in expected {
            let c = report.cases[name]
            #expect(c?.ok == true, "\(name): \(c?.detail ?? "not run")")
        }
        // Each link is in the ledger, and only the two made, on either back-end.
        let database = try RegistryFolder(data: work.appendingPathComponent("data").path).database  // the peer serves its own copy of the folder
        let entry = TestDatabase.isPostgres(database) ? "convert_from(entry, 'UTF8')" : "CAST(entry AS TEXT)"
        let links = try await database.count("ledger_entry", where: "\(entry) LIKE '%provision:link-oidc%'")
        let identities = try await database.count("federated_identity")
        #expect(links == 2 && identities == 2, "links in the ledger: \(links), federated identities: \(identities)")

        // A real ID token of the provider, issued to another client: Guichet's verifier, with
        // the provider's real keys, takes it for that client only, and not once expired.
        let foreign = try #require(report.foreign, "the peer gave no foreign token: \(r.output.suffix(3_000))")
        #expect(!foreign.idToken.isEmpty)
        let mine = IDTokenVerifier(issuer: foreign.issuer, clientId: "guichet-citizens", jwks: foreign.jwks)
        await #expect(throws: OIDCError.refused("the ID token is for another audience")) {
            _ = try await mine.verify(foreign.idToken, nonce: foreign.nonce, now: Date())
        }
        let theirs = IDTokenVerifier(issuer: foreign.issuer, clientId: "another-client", jwks: foreign.jwks)
        let id = try await theirs.verify(foreign.idToken, nonce: foreign.nonce, now: Date())
        #expect(id.subject == "citizen-sub-1" && id.issuer == foreign.issuer)
        await #expect(throws: OIDCError.refused("the ID token has expired")) {
            _ = try await theirs.verify(foreign.idToken, nonce: foreign.nonce, now: Date().addingTimeInterval(2 * 3_600))
        }
        await #expect(throws: OIDCError.refused("the ID token's nonce is not this sign-in's")) {
            _ = try await theirs.verify(foreign.idToken, nonce: "another-nonce", now: Date())
        }
    }
}
