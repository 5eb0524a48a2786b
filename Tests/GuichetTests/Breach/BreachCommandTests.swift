import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMerkle
import GuichetVault
@testable import GuichetStore

/// `guichet breach` and `guichet ledger history`, run as the real command on a demo registry.
@Suite(.serialized) struct BreachCommandTests {
    @Test("breach scope, register, update, export, report and ledger history from the command line")
    func breachCommands() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try CommandLineTests.run(["demo", "--data", data, "--size", "10", "--no-serve"]).status == 0)
        // A citizen registers (journalled), through the real gate on the demo's files.
        let person: PersonID
        do {
            let store = try Store(path: data + "/guichet.sqlite")
            let gate = try Gate(profile: try Repo.profile(), store: store, keys: try FileKeyProvider(path: data + "/guichet.keys"))
            person = try await gate.registerPerson(fields: ["firstName": .string("Julie"), "lastName": .string("Roy"), "birthDate": .string("1990-04-12")],
                                                   requestID: "cli-test", source: "198.51.100.4")
        }

        let scope = try CommandLineTests.run(["breach", "scope", "--data", data, "--source", "198.51.100.4", "--format", "csv"])
        #expect(scope.status == 0 && scope.stdout.hasPrefix("kind,person,dossier,field,"), "stderr: \(scope.stderr)")
        #expect(scope.stderr.contains("scope: 0 persons"), "a registration exposes nobody: \(scope.stderr)")
        let json = try CommandLineTests.run(["breach", "scope", "--data", data, "--source", "198.51.100.4"])
        let parsed = try JSONDecoder().decode(JSON.self, from: Data(json.stdout.utf8))
        #expect(parsed.object?["writes"]?.array?.count == 1 && parsed.object?["checkpoint"]?.object?["size"]?.integer != nil)
        let empty = try CommandLineTests.run(["breach", "scope", "--data", data])
        #expect(empty.status != 0 && empty.stderr.contains("give at least one"))
        let badTime = try CommandLineTests.run(["breach", "scope", "--data", data, "--from", "yesterday"])
        #expect(badTime.status != 0 && badTime.stderr.contains("ISO 8601"))

        let registered = try CommandLineTests.run(["breach", "register", "--data", data, "--title", "Test incident", "--nature", "A test",
                                                   "--facts", "None", "--detected-at", ScopeFormat.time(Date()), "--source", "198.51.100.4"])
        let id = registered.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(registered.status == 0 && IncidentIDCheck.valid(id), "stderr: \(registered.stderr)")
        let updated = try CommandLineTests.run(["breach", "update", "--data", data, "--incident", id, "--status", "contained"])
        #expect(updated.status == 0, "stderr: \(updated.stderr)")
        let export = try CommandLineTests.run(["breach", "export", "--data", data, "--format", "csv"])
        #expect(export.stdout.split(separator: "\r\n").count == 2 && export.stdout.contains(",contained,"))
        let report = try CommandLineTests.run(["breach", "report", "--data", data, "--incident", id])
        #expect(report.status == 0 && report.stdout.hasPrefix("# Personal data breach") && report.stdout.contains("0 persons"), "stderr: \(report.stderr)")

        // The citizen's history: the registration, proved against the checkpoint the scope signed.
        let history = try CommandLineTests.run(["ledger", "history", "--data", data, "--person", person.rawValue])
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
        #expect(try CommandLineTests.run(["ledger", "history", "--data", data, "--person", "nope"]).status != 0)
    }
}

enum IncidentIDCheck {
    static func valid(_ s: String) -> Bool { Identifier<PersonTag>(validating: s) != nil }
}
