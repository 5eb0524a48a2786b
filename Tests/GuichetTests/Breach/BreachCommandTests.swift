import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMerkle
import GuichetVault
import GuichetAuth
import GuichetMFA
@testable import GuichetStore

/// `guichet breach` and `guichet ledger history`, run as the real command on a demo registry.
@Suite(.serialized) struct BreachCommandTests {
    @Test("breach scope, register, update, export, report and ledger history from the command line")
    func breachCommands() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "10", "--no-serve"]).status == 0)
        // A citizen registers (journalled), through the real gate on the demo's files.
        let person: PersonID
        do {
            let gate = try await RegistryFolder(data: data).open().gate
            person = try await gate.registerPerson(fields: ["firstName": .string("Julie"), "lastName": .string("Roy"), "birthDate": .string("1990-04-12")],
                                                   requestID: "cli-test", source: "198.51.100.4")
        }

        let scope = try await CommandLineTests.run(["breach", "scope", "--data", data, "--source", "198.51.100.4", "--format", "csv"])
        #expect(scope.status == 0 && scope.stdout.hasPrefix("kind,person,dossier,field,"), "stderr: \(scope.stderr)")
        #expect(scope.stderr.contains("scope: 0 persons"), "a registration exposes nobody: \(scope.stderr)")
        let json = try await CommandLineTests.run(["breach", "scope", "--data", data, "--source", "198.51.100.4"])
        let parsed = try JSONDecoder().decode(JSON.self, from: Data(json.stdout.utf8))
        #expect(parsed.object?["writes"]?.array?.count == 1 && parsed.object?["checkpoint"]?.object?["size"]?.integer != nil)
        let empty = try await CommandLineTests.run(["breach", "scope", "--data", data])
        #expect(empty.status != 0 && empty.stderr.contains("give at least one"))
        let badTime = try await CommandLineTests.run(["breach", "scope", "--data", data, "--from", "yesterday"])
        #expect(badTime.status != 0 && badTime.stderr.contains("ISO 8601"))

        let registered = try await CommandLineTests.run(["breach", "register", "--data", data, "--title", "Test incident", "--nature", "A test",
                                                   "--facts", "None", "--detected-at", ScopeFormat.time(Date()), "--source", "198.51.100.4"])
        let id = registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(registered.status == 0 && IncidentIDCheck.valid(id), "stderr: \(registered.stderr)")
        let updated = try await CommandLineTests.run(["breach", "update", "--data", data, "--incident", id, "--status", "contained"])
        #expect(updated.status == 0, "stderr: \(updated.stderr)")
        let export = try await CommandLineTests.run(["breach", "export", "--data", data, "--format", "csv"])
        #expect(export.stdout.split(separator: "\r\n").count == 2 && export.stdout.contains(",contained,"))
        // In the profile's language (place05: French), or the one asked for.
        let report = try await CommandLineTests.run(["breach", "report", "--data", data, "--incident", id])
        #expect(report.status == 0 && report.stdout.hasPrefix("# Violation de données personnelles") && report.stdout.contains("0 personnes"),
                "stderr: \(report.stderr)")
        let english = try await CommandLineTests.run(["breach", "report", "--data", data, "--incident", id, "--language", "en"])
        #expect(english.status == 0 && english.stdout.hasPrefix("# Personal data breach") && english.stdout.contains("0 persons"), "stderr: \(english.stderr)")
        let other = try await CommandLineTests.run(["breach", "report", "--data", data, "--incident", id, "--language", "de"])
        #expect(other.status != 0 && other.stderr.contains("--language is fr or en") && other.stdout.isEmpty)

        // The citizen's history: the registration, proved against the checkpoint the scope signed.
        let history = try await CommandLineTests.run(["ledger", "history", "--data", data, "--person", person.rawValue])
        #expect(history.status == 0, "stderr: \(history.stderr)")
        let h = try JSONDecoder().decode(JSON.self, from: Data(history.stdout.utf8))
        let accesses = try #require(h.object?["accesses"]?.array?.compactMap { $0.object })
        #expect(accesses.count == 1 && accesses.first?["action"]?.string == "create" && accesses.first?["role"] == .null)
        let root = try Hash(base64: try #require(h.object?["checkpoint"]?.object?["rootHash"]?.string))
        let size = try #require(h.object?["checkpoint"]?.object?["size"]?.integer)
        let a = try #require(accesses.first)
        let proof = InclusionProof(leafIndex: UInt64(try #require(a["index"]?.integer)), treeSize: UInt64(size),
                                   hashes: try #require(a["proof"]?.array).map { try Hash(base64: $0.string ?? "") })
        try proof.verify(leafHash: MerkleHash.leaf(try #require(Data(base64Encoded: a["entry"]?.string ?? ""))), rootHash: root)
        #expect(try await CommandLineTests.run(["ledger", "history", "--data", data, "--person", "nope"]).status != 0)
    }

    @Test("breach letters writes one HTML letter per person concerned, opened as the named security officer and journalled")
    func letterFiles() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "10", "--no-serve"]).status == 0)
        // An agent account reads two applications from an unusual address: the incident.
        let source = "198.51.100.9"
        try await Self.agentReadsTwoApplications(data: data, from: source)
        let officer = try #require(try await RegistryFolder(data: data).store().store.account(username: "security.demo")).id
        let registered = try await CommandLineTests.run(["breach", "register", "--data", data, "--title", "Agent account misused", "--nature", "Reads from an unknown address",
                                                   "--facts", "Two applications read", "--detected-at", ScopeFormat.time(Date()), "--source", source])
        let id = registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(registered.status == 0, "stderr: \(registered.stderr)")
        let scope = try await CommandLineTests.run(["breach", "scope", "--data", data, "--source", source])
        let persons = try #require(try JSONDecoder().decode(JSON.self, from: Data(scope.stdout.utf8)).object?["personCount"]?.integer)
        #expect(persons >= 2, "the two applications name a child and a parent each at least")

        let out = folder.appendingPathComponent("letters")
        let letters = try await CommandLineTests.run(["breach", "letters", "--data", data, "--incident", id, "--as", "security.demo", "--out", out.path, "--language", "en"])
        #expect(letters.status == 0, "stderr: \(letters.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).filter { $0.hasSuffix(".en.html") }
        #expect(!files.isEmpty && letters.stderr.contains("letters: \(files.count) for \(persons) persons concerned"), "stderr: \(letters.stderr)")
        #expect(!letters.stdout.contains("@"), "nothing personal on standard output")
        for f in files {
            let html = try String(contentsOf: out.appendingPathComponent(f), encoding: .utf8)
            #expect(html.contains("<html") && html.contains(id), "\(f) is a letter about the incident")
            let mode = try FileManager.default.attributesOfItem(atPath: out.appendingPathComponent(f).path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "letters are readable by the operator only")
        }
        // Opening names and contacts went through the gate as the named officer, from the console.
        let journal = try await RegistryFolder(data: data).store().ledger.journal(account: officer)
        #expect(journal.contains { $0.purpose == "breach-notification" && $0.allowed && $0.source == "console" })

        let shared = folder.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: shared, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
        let refused = try await CommandLineTests.run(["breach", "letters", "--data", data, "--incident", id, "--as", "security.demo", "--out", shared.path])
        #expect(refused.status != 0 && refused.stderr.contains("can be read by other users"), "stderr: \(refused.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: shared.path).isEmpty, "no letter was written there")

        let notOfficer = try await CommandLineTests.run(["breach", "letters", "--data", data, "--incident", id, "--as", "agent.incident", "--out", out.path])
        #expect(notOfficer.status != 0 && notOfficer.stderr.contains("not an active security officer"), "stderr: \(notOfficer.stderr)")
        let nowhere = try await CommandLineTests.run(["breach", "letters", "--data", data, "--incident", id, "--as", "security.demo"])
        #expect(nowhere.status != 0 && nowhere.stderr.contains("--out"), "stderr: \(nowhere.stderr)")
    }
}

enum IncidentIDCheck {
    static func valid(_ s: String) -> Bool { Identifier<PersonTag>(validating: s) != nil }
}

extension BreachCommandTests {
    /// The incident of these tests: a new agent account reads two real applications of a demo
    /// registry (not its honeytokens, which a scope sets apart) from `source`.
    static func agentReadsTwoApplications(data: String, from source: String) async throws {
        let profile = try Repo.profile()
        let keys = try FileKeyProvider(path: data + "/guichet.keys")
        let registry = try await RegistryFolder(data: data).open()
        let store = try await RegistryFolder(data: data).store().store
        let (gate, auth) = (registry.gate, registry.auth)
        let operatorOrg = try #require(try await store.account(username: "security.demo")?.organisation)
        _ = try await auth.createAccount(username: "agent.incident", password: World.password, role: "agent", organisation: operatorOrg, createdBy: nil)
        let session = try await auth.signIn(username: "agent.incident", password: World.password)
        let activation = try await auth.consoleActivation(username: "agent.incident")?.code
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: activation)
        _ = try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        let agent = try await auth.authenticate(token: session.token)
        let key = try Vault(profile: profile, keys: keys).honeytokenKey()
        let decoys = Set(try await store.honeytokenTags())
        let ids = try await RegistryFolder(data: data).strings("SELECT id FROM dossier ORDER BY id")
            .filter { !decoys.contains(Honeytoken.tag($0, kind: "dossier", key: key)) }.prefix(2)
        #expect(ids.count == 2)
        for id in ids {
            _ = try await gate.read(DossierID(trusted: id), GateRequest(principal: agent, requestID: "incident", source: source, purpose: "list-management"))
        }
    }
}
