import Foundation
import Testing
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import GuichetCore
import GuichetLedger
import GuichetMerkle
@testable import GuichetStore

/// A citizen's access history (C15): every access to their dossiers, provably in the ledger.
@Suite struct AccessHistoryTests {
    @Test("a parent sees every access to their child's dossier, and nobody else's; each proof verifies")
    func parentSeesTheirChildsAccesses() async throws {
        let incident = try await ScriptedIncident.make()
        defer { incident.world.remove() }
        let world = incident.world
        try await world.gate.checkpoint(at: Date())
        let token = try await world.token("parent2")
        try await world.withPublic { client in
            let r = try await client.call(.get, "/v1/me/access-history?language=en", token: token)
            #expect(r.status == .ok, "\(r.text)")
            let checkpoint = try #require(r["checkpoint"]?.object)
            let size = try #require(checkpoint["size"]?.integer)
            let root = try Hash(base64: try #require(checkpoint["rootHash"]?.string))
            let note = try #require(checkpoint["note"]?.string)
            let verified = try world.gate.auditor.verifier.verifyCheckpoint(note, origin: world.gate.auditor.origin)
            #expect(Int(verified.size) == size && verified.rootHash == root)

            let accesses = try #require(r["accesses"]?.array?.compactMap { $0.object })
            // Exactly the entries that name parent2 or their dossier, computed from the whole journal.
            let all = try await world.ledger.journal()
            let expected = all.enumerated().filter { $0.element.dossiers.contains(incident.a2.id) || $0.element.persons.contains(incident.parent2) }.map(\.offset)
            #expect(accesses.compactMap { $0["index"]?.integer } == expected)
            for a in accesses {
                let dossiers = a["dossiers"]?.array?.compactMap(\.string) ?? []
                #expect(dossiers.isEmpty || dossiers == [incident.a2.id.rawValue], "only parent2's own dossier")
                #expect(a["account"] == nil && a["session"] == nil, "staff are shown by role and organisation")
                // The proof, in Swift.
                let entryText = try #require(a["entry"]?.string)
                let entry = try #require(Data(base64Encoded: entryText))
                let hashes = try #require(a["proof"]?.array).map { try Hash(base64: $0.string ?? "") }
                let proof = InclusionProof(leafIndex: UInt64(try #require(a["index"]?.integer)), treeSize: UInt64(size), hashes: hashes)
                try proof.verify(leafHash: MerkleHash.leaf(entry), rootHash: root)
            }
            // The attacker's read, the agent's search and the parent's own read are all there.
            let attacker = try #require(accesses.first { $0["role"]?.string == "daycare" && $0["action"]?.string == "read" })
            #expect(attacker["organisation"]?.object?["name"]?.string == "CPE 2")
            // The entries a citizen reads whole for the proofs carry a keyed tag of the staff
            // member's address, never the address.
            let attackerEntry = String(decoding: try #require(Data(base64Encoded: attacker["entry"]?.string ?? "")), as: UTF8.self)
            #expect(attackerEntry.contains("\"sourceTag\"") && !attackerEntry.contains(ScriptedIncident.attackerSource))
            #expect(!r.text.contains(ScriptedIncident.attackerSource))
            #expect(attacker["fieldLabels"]?.array?.contains(.string("the child's first name")) == true)
            #expect(accesses.contains { $0["role"]?.string == "agent" && $0["purpose"]?.string == "list-management" })
            #expect(accesses.contains { $0["byYou"] == .bool(true) })

            // The same proofs, checked by pymerkle (an independent implementation) against the signed root.
            let entries = try await world.store.ledgerEntries(0..<Int64(size)).map { $0.entry.base64EncodedString() }
            let proofs: [[String: Any]] = accesses.map { ["index": $0["index"]!.integer!, "proof": ($0["proof"]!.array!).map { try! Hash(base64: $0.string!).hex }] }
            let input = world.folder.appendingPathComponent("history.json")
            try JSONSerialization.data(withJSONObject: ["entries": entries, "root": root.hex, "size": size, "proofs": proofs]).write(to: input)
            let result = try await Python.run([Repo.root.appendingPathComponent("Tests/peers/ledger_peer.py").path, input.path])
            #expect(result.status == 0 && result.output.hasPrefix("OK: \(accesses.count) proofs"), "pymerkle said: \(result.output)")
        }
    }

    @Test("the access history is for citizens only, and shows an entry newer than the checkpoint without a proof")
    func historyOnlyForCitizens() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let agentToken = try await world.token("agent")
        let parentToken = try await world.token("parent1")
        try await world.withPublic { client in
            #expect(try await client.call(.get, "/v1/me/access-history", token: agentToken).status == .forbidden)
            #expect(try await client.call(.get, "/v1/me/access-history").status == .unauthorized)
            let r = try await client.call(.get, "/v1/me/access-history", token: parentToken)
            let accesses = try #require(r["accesses"]?.array?.compactMap { $0.object })
            #expect(accesses.count == 2, "self-registration and the creation of \(a.id)")
            #expect(accesses.allSatisfy { $0["proof"] == .null }, "the world's checkpoint predates them")
            #expect(try await client.call(.get, "/v1/me/access-history?language=de", token: parentToken).status == .badRequest)
        }
    }
}
