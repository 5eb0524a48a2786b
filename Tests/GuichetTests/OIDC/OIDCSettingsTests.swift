import Foundation
import Testing
@testable import GuichetOIDC

/// The `oidc:` entries of guichet.yaml (issue #21 item 6): a wrong one is refused at start-up,
/// naming what is wrong and never the secret; nothing is trusted as a second factor by default.
@Suite struct OIDCSettingsTests {
    static func settings(_ change: (inout OIDCProviderSettings) -> Void = { _ in }) -> OIDCProviderSettings {
        var s = OIDCProviderSettings(name: "fc", issuer: "https://idp.example.org", clientId: "client", clientSecretEnv: "FC_SECRET",
                                     redirectURI: "https://guichet.example.org/oidc/fc/callback", population: .citizen)
        change(&s)
        return s
    }

    static func refusal(_ s: OIDCProviderSettings, environment: [String: String] = ["FC_SECRET": "synthetic-secret"]) -> String? {
        do { _ = try s.resolved(environment: environment); return nil } catch let OIDCError.configuration(m) { return m } catch { return "\(error)" }
    }

    @Test("a good entry resolves; its secret prints as a placeholder")
    func good() throws {
        let p = try Self.settings().resolved(environment: ["FC_SECRET": "synthetic-secret"])
        #expect(p.name == "fc" && "\(p.secret)" == "<client secret>" && !"\(p)".contains("synthetic-secret"))
    }

    @Test("wrong entries are refused by name: issuer, redirect, name, secret sources, an empty or shared secret")
    func refusals() throws {
        #expect(Self.refusal(Self.settings { $0.issuer = "http://idp.example.org" })?.contains("issuer must be an https URL") == true)
        #expect(Self.refusal(Self.settings { $0.issuer = "http://127.0.0.1:9400" }) == nil)
        #expect(Self.refusal(Self.settings { $0.redirectURI = "https://guichet.example.org/elsewhere" })?.contains("/oidc/fc/callback") == true)
        #expect(Self.refusal(Self.settings { $0.name = "bad name!" })?.contains("provider name") == true)
        #expect(Self.refusal(Self.settings { $0.clientSecretFile = "/tmp/x" })?.contains("exactly one") == true)
        #expect(Self.refusal(Self.settings(), environment: [:])?.contains("secret is empty") == true)
        #expect(Self.refusal(Self.settings { $0.clientId = "" })?.contains("clientId") == true)
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("secret").path
        try "synthetic-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        let shared = Self.settings { $0.clientSecretEnv = nil; $0.clientSecretFile = file }
        #expect(Self.refusal(shared)?.contains("owner only") == true)
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file)
        #expect(Self.refusal(shared) == nil)
        #expect(Self.refusal(shared).map { $0.contains("synthetic-secret") } != true)
    }

    @Test("only the acr and amr values the settings list count as a second factor")
    func trust() throws {
        let none = try Self.settings().resolved(environment: ["FC_SECRET": "s"])
        #expect(!none.trusts(acr: "eidas3", amr: ["mfa", "hwk"]))
        let some = try Self.settings { $0.trustedACR = ["eidas2"]; $0.trustedAMR = ["hwk"] }.resolved(environment: ["FC_SECRET": "s"])
        #expect(some.trusts(acr: "eidas2", amr: []) && some.trusts(acr: nil, amr: ["pwd", "hwk"]))
        #expect(!some.trusts(acr: "eidas1", amr: ["pwd"]) && !some.trusts(acr: nil, amr: []))
    }
}
