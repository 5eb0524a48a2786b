import Foundation
import Testing
import GuichetCore
@testable import GuichetDeployment
import GuichetGate
import GuichetLedger
import GuichetStore
import GuichetVault
import GuichetServer
import GuichetMFA

/// What the command line does with a data folder, run in-process: `guichet init`, the demo's
/// generation, the start-up checks of every subcommand that opens a folder.
@Suite struct DeploymentTests {
    @Test("passkeys' origins: both listeners' pages on the ports served by default; the admin pages' origin as set, none by default for another host name")
    func passkeyOrigins() {
        var s = Deployment.Settings()
        var rp = Deployment.relyingParty(s)
        #expect(rp.id == "localhost" && rp.allows("http://localhost:8080") && rp.allows("http://localhost:8081"))
        s.publicPort = 18_480; s.adminPort = 18_481
        rp = Deployment.relyingParty(s)
        #expect(rp.allows("http://localhost:18480") && rp.allows("http://localhost:18481") && !rp.allows("http://localhost:8080"))
        s.webauthnRPID = "guichet.example"; s.webauthnOrigin = "https://guichet.example"
        rp = Deployment.relyingParty(s)
        #expect(rp.allows("https://guichet.example") && !rp.allows("http://localhost:18481") && rp.otherOrigins.isEmpty)
        s.webauthnAdminOrigin = "https://admin.guichet.example"
        #expect(Deployment.relyingParty(s).allows("https://admin.guichet.example"))
        #expect(Deployment.originProblem(s) == nil)
        // An origin no browser would offer a passkey on is refused at start (a controls audit).
        for bad in ["http://guichet.example.org", "guichet.example", "https://", "https://guichet.example/web", "ftp://guichet.example"] {
            var t = s
            t.webauthnOrigin = bad
            #expect(Deployment.originProblem(t)?.contains("webauthnOrigin") == true, "\(bad)")
        }
        for good in ["http://localhost:18480", "http://127.0.0.1:8080", "https://guichet.example:8443"] {
            var t = s
            t.webauthnAdminOrigin = good
            #expect(Deployment.originProblem(t) == nil, "\(good)")
        }
    }

    @Test("init makes a registry with one administrator, and refuses a folder that already holds one, changing nothing")
    func initialiseOnce() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deployment = Deployment(folder.appendingPathComponent("data").path)
        let created = try await deployment.initialise(profilePath: Repo.place05, admin: "admin", keys: nil, store: try await TestBackend.freshStore())
        #expect(created.profile == "place05" && created.password.count >= 20 && !created.activationCode.isEmpty)
        #expect(deployment.exists)
        #expect(try deployment.readSettings().profile == Repo.place05)
        let mode = try FileManager.default.attributesOfItem(atPath: deployment.folder.path)[.posixPermissions] as? Int
        #expect(mode == 0o700, "the data folder is its owner's only")
        await #expect(throws: DeploymentError.self) { _ = try await deployment.initialise(profilePath: Repo.place05, admin: "other", keys: nil) }
        let store = try await RegistryFolder(data: deployment.folder.path).store().store
        #expect(try await store.account(username: "admin") != nil)
        #expect(try await store.account(username: "other") == nil)
    }

    @Test("a folder opened with another registry's keys, or as another profile, is refused before anything is written")
    func startUpChecks() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let one = Deployment(folder.appendingPathComponent("one").path), two = Deployment(folder.appendingPathComponent("two").path)
        _ = try await one.initialise(profilePath: Repo.place05, admin: "admin", keys: nil, store: try await TestBackend.freshStore())
        _ = try await two.initialise(profilePath: Repo.place05, admin: "admin", keys: nil, store: try await TestBackend.freshStore())
        let before = try await RegistryFolder(data: one.folder.path).rowCounts()
        let otherKeys = two.folder.appendingPathComponent(Deployment.keysName).path
        await #expect { _ = try await one.openMaintenance(keys: otherKeys) } throws: { error in
            (error as? DeploymentError)?.description.contains("do not open this registry") == true
        }
        await #expect { _ = try await one.openMaintenance(keys: nil, profile: "emploi") } throws: { error in
            (error as? DeploymentError)?.description.contains("holds a 'place05' registry") == true
        }
        #expect(try await RegistryFolder(data: one.folder.path).rowCounts() == before)
        await #expect(throws: DeploymentError.self) { _ = try await Deployment(folder.appendingPathComponent("none").path).openMaintenance(keys: nil) }
    }

    @Test("the demo generates a registry, journals the import and writes one account per role, readable by its owner only")
    func demoRegistry() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deployment = Deployment(folder.appendingPathComponent("demo").path)
        let opened = try await deployment.openDemo(profilePath: Repo.place05, keys: nil, store: try await TestBackend.freshStore())
        #expect(opened.fresh && (opened.lock == nil) == (TestBackend.postgres != nil), "a SQLite folder is locked while it serves")
        let (server, keys) = (opened.server, opened.keys)
        let file = deployment.folder.appendingPathComponent("demo-accounts.json")
        let generated = try await DemoRegistry.generate(server, keys: keys, size: 30, accountsFile: file)
        #expect(generated.dossiers == 30 && generated.summary.hasPrefix("generated 30 dossiers"))
        #expect(try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int == 0o600)
        let accounts = try JSONDecoder().decode([String: [[String: String]]].self, from: Data(contentsOf: file))["accounts"] ?? []
        #expect(Set(accounts.compactMap { $0["role"] }) == ["admin", "security", "agent", "daycare", "parent", "analyst"])
        #expect(accounts.filter { $0["role"] != "parent" }.allSatisfy { $0["activationCode"] != nil }, "staff enrol a second factor with it")
        #expect(try await RegistryFolder(data: deployment.folder.path).store().ledger.journal(account: nil).contains { $0.action == "import" })
    }

    @Test("checkpointSeconds sets the signing interval; out of 1 to 3600 the server is refused, saying which setting and its bounds")
    func checkpointInterval() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deployment = Deployment(folder.appendingPathComponent("data").path)
        try deployment.create()
        let keys = try deployment.keys(nil, create: true)
        var settings = Deployment.Settings(profile: Repo.place05)
        #expect(try await deployment.open(profilePath: Repo.place05, keys: keys, settings: settings).checkpointInterval == .seconds(60))
        settings.checkpointSeconds = 5
        #expect(try await deployment.open(profilePath: Repo.place05, keys: keys, settings: settings).checkpointInterval == .seconds(5))
        for wrong in [0, -1, 86_400] {
            settings.checkpointSeconds = wrong
            await #expect { _ = try await deployment.open(profilePath: Repo.place05, keys: keys, settings: settings) } throws: { error in
                "\(error)".contains("checkpointSeconds must be 1 to 3600")
            }
        }
    }

    @Test("guichet.yaml: every documented key is read; an unknown one (a mistyped setting) is refused, named, with the keys expected")
    func unknownSettingKeys() throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deployment = Deployment(folder.appendingPathComponent("data").path)
        try deployment.create()
        let file = deployment.folder.appendingPathComponent("guichet.yaml")
        try "profile: \(Repo.place05)\ntrustedProxies: [127.0.0.1]\nlogFormat: json\ncheckpointSeconds: 30\n".write(to: file, atomically: true, encoding: .utf8)
        let read = try deployment.readSettings()
        #expect(read.profile == Repo.place05 && read.trustedProxies == ["127.0.0.1"] && read.logFormat == "json" && read.checkpointSeconds == 30)
        // The documented list (OPERATIONS.md) and the decoder's keys are the same.
        let documented = try String(contentsOf: Repo.root.appendingPathComponent("docs/OPERATIONS.md"), encoding: .utf8)
        for key in Deployment.Settings.CodingKeys.allCases { #expect(documented.contains("`\(key.rawValue)`"), "\(key.rawValue) is not in OPERATIONS.md") }
        for (text, named) in [("trustedProxie: [127.0.0.1]\n", "'trustedProxie'"), ("bogusKey: 1\nlogFormat: text\n", "'bogusKey'"),
                              ("\"a b\\nc\": 1\n", "'(not a name)'")] {
            try ("profile: \(Repo.place05)\n" + text).write(to: file, atomically: true, encoding: .utf8)
            #expect { _ = try deployment.readSettings() } throws: { error in
                "\(error)".contains("unknown key \(named)") && "\(error)".contains("expected keys: profile, publicHost")
            }
        }
    }
}

/// `guichet keys`, in-process: rotation re-wraps online, resumes, and retires only unused versions.
@Suite struct RegistryKeyTests {
    @Test("a rotation re-wraps every data key; an interrupted one resumes; a version is retired only when unused and not current")
    func rotateRewrapRetire() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let deployment = Deployment(folder.appendingPathComponent("data").path)
        let opened = try await deployment.openDemo(profilePath: Repo.place05, keys: nil, store: try await TestBackend.freshStore())
        let keys = opened.keys
        _ = try await DemoRegistry.generate(opened.server, keys: keys, size: 20, accountsFile: deployment.folder.appendingPathComponent("a.json"))
        let registry = try await deployment.openMaintenance(keys: nil).registry
        let file = keys.origin
        let before = try await registry.keyStatus(keyFile: file)
        let total = before.dataKeys[1] ?? 0
        #expect(before.versions == [1] && before.current == 1 && total > 40)
        await #expect(throws: KeyRotationError.current(version: 1)) { try await registry.retireKey(version: 1, keyFile: file) }

        // Interrupted after 25, then resumed.
        var set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: file)), origin: file)
        #expect(set.rotate() == 2)
        try set.write(to: file)
        #expect(try await registry.rewrapDataKeys(keyFile: file, limit: 25) == 25)
        await #expect(throws: KeyRotationError.inUse(version: 1, dataKeys: total - 25)) { try await registry.retireKey(version: 1, keyFile: file) }
        #expect(try await registry.rewrapDataKeys(keyFile: file) == total - 25)
        try await registry.retireKey(version: 1, keyFile: file)
        #expect(try await registry.keyStatus(keyFile: file).versions == [2])

        // A whole rotation; the registry still opens and reads with the rotated file.
        let (version, n) = try await registry.rotateKeys(keyFile: file)
        #expect(version == 3 && n == total)
        await #expect(throws: KeyRotationError.notHeld(version: 7, file: file)) { try await registry.retireKey(version: 7, keyFile: file) }
        _ = try await deployment.openMaintenance(keys: nil)
    }
}

/// Where `guichet serve` binds its listeners: flags, then the environment, then guichet.yaml.
@Suite struct ListenerSettingsTests {
    @Test("flags win over the environment, which wins over the settings file; the defaults are loopback")
    func precedence() throws {
        var settings = Deployment.Settings()
        settings.publicPort = 9000; settings.adminPort = 9001
        let env = ["GUICHET_PUBLIC_PORT": "9100"]
        #expect(try Deployment.listeners(ListenerFlags(), settings: .init(), environment: [:]).configuration == ListenerConfiguration())
        let c = try Deployment.listeners(ListenerFlags(adminPort: 9201), settings: settings, environment: env).configuration
        #expect(c.publicPort == 9100 && c.adminPort == 9201 && c.publicHost == "127.0.0.1" && c.adminHost == "127.0.0.1")
        #expect(throws: DeploymentError("GUICHET_ADMIN_PORT must be a port number")) {
            _ = try Deployment.listeners(ListenerFlags(), settings: settings, environment: ["GUICHET_ADMIN_PORT": "http"])
        }
    }

    @Test("an admin listener off loopback is refused unless overridden, and then warned about; so is a public one without a TLS proxy")
    func unsafeListeners() throws {
        #expect { _ = try Deployment.listeners(ListenerFlags(adminHost: "0.0.0.0"), settings: .init(), environment: [:]) } throws: { e in
            (e as? DeploymentError)?.description.contains("admin listener must stay on loopback") == true
        }
        let (_, warnings) = try Deployment.listeners(ListenerFlags(adminHost: "0.0.0.0", allowPublicAdmin: true), settings: .init(), environment: [:])
        #expect(warnings.count == 1 && warnings[0].contains("admin listener is exposed"))
        #expect(throws: DeploymentError.self) {
            _ = try Deployment.listeners(ListenerFlags(), settings: .init(), environment: ["GUICHET_PUBLIC_HOST": "0.0.0.0"])
        }
        let behind = try Deployment.listeners(ListenerFlags(host: "0.0.0.0", behindTLSProxy: true), settings: .init(), environment: [:])
        #expect(behind.warnings.count == 1 && behind.warnings[0].contains("behind-tls-proxy"))
    }
}
