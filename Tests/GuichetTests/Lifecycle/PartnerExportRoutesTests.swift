import Foundation
import Testing
import Crypto
import HTTPTypes
import GuichetCore
import GuichetGate
import GuichetLedger
@testable import GuichetStore

/// Partner exports over HTTP (C11): `POST /v1/exports` returns the encrypted file, `GET
/// /v1/exports` lists the caller's exports, `POST /admin/v1/export-leaks` names the recipient
/// of a leaked file.
@Suite struct PartnerExportRoutesTests {
    @Test("emploi over HTTP: a partner adviser exports its caseload; the file opens with its key and holds the canaries; the ledger names every person")
    func partnerExportsOverHTTP() async throws {
        let world = try await EmploiWorld.make()
        defer { world.remove() }
        let caseload = try await world.store.dossiers(world.summary.partnerCaseloads[0]).filter { $0.status != "deregistered" }
        try #require(!caseload.isEmpty, "the generator gives partner1 a caseload")
        let recipient = Curve25519.KeyAgreement.PrivateKey()
        let key = recipient.publicKey.rawRepresentation.base64EncodedString()
        let partner = try await world.token("partner1")
        let before = try await world.gate.ledgerSize()
        let file = CapturedText()
        try await world.withPublic { client in
            let noPurpose = try await client.call(.post, "/v1/exports", token: partner, body: #"{"recipientKey": "\#(key)"}"#)
            #expect(noPurpose.status == .badRequest || noPurpose.status == .forbidden, "\(noPurpose.status)")
            let badKey = try await client.call(.post, "/v1/exports", token: partner, purpose: "disability-support", body: #"{"recipientKey": "AAEC"}"#)
            #expect(badKey.status == .badRequest)
            let unknown = try await client.call(.post, "/v1/exports", token: partner, purpose: "disability-support",
                                                body: #"{"recipientKey": "\#(key)", "rows": 3}"#)
            #expect(unknown.status == .badRequest)
            let made = try await client.call(.post, "/v1/exports", token: partner, purpose: "disability-support", body: #"{"recipientKey": "\#(key)"}"#)
            #expect(made.status == .created, "\(made.text)")
            #expect(made.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            file.value = made.text
            let listed = try await client.call(.get, "/v1/exports", token: partner)
            #expect(listed.status == .ok && listed["exports"]?.array?.count == 1)
            #expect(listed["exports"]?.array?.first?.object?["dossiers"] == .number(Double(caseload.count)))
        }
        let rows = try PartnerExportFile.open(Data(file.value.utf8), privateKey: recipient, at: world.clock.now)
        let ids = Set(caseload.map(\.id.rawValue))
        let real = rows.filter { ids.contains($0["id"]?.string ?? "") }
        #expect(real.count == caseload.count, "every file of the caseload")
        #expect(rows.count == caseload.count + 3, "and the three canary rows")
        #expect(real.allSatisfy { $0["seeker.lastName"]?.string?.isEmpty == false })
        // One partner-export entry names every person the file holds.
        let entries = try await world.store.ledgerEntries(before..<(try await world.gate.ledgerSize()))
        let exportEntry = try #require(entries.compactMap { try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any] }
            .first { $0["action"] as? String == "partner-export" })
        #expect(Set(exportEntry["persons"] as? [String] ?? []) == Set(caseload.flatMap(\.persons).map(\.person.rawValue)))
        #expect(try await world.gate.auditor.verify().problem == nil)

        // The leaked file, by its row ids only, names partner1 to a security officer; not to an administrator.
        let rowIDs = rows.compactMap { $0["id"]?.string }.shuffled().map { "\"\($0)\"" }.joined(separator: ", ")
        let security = try await world.token("security"), admin = try await world.token("admin")
        let partnerAccount = try #require(world.accounts["partner1"])
        try await world.withAdmin { client in
            let traced = try await client.call(.post, "/admin/v1/export-leaks", token: security, body: #"{"rows": [\#(rowIDs)]}"#)
            #expect(traced.status == .ok)
            #expect(traced["exports"]?.array?.compactMap { $0.object?["account"]?.string } == [partnerAccount.rawValue])
            let refused = try await client.call(.post, "/admin/v1/export-leaks", token: admin, body: #"{"rows": [\#(rowIDs)]}"#)
            #expect(refused.status == .forbidden)
            let empty = try await client.call(.post, "/admin/v1/export-leaks", token: security, body: #"{"rows": []}"#)
            #expect(empty.status == .badRequest)
        }
    }

    @Test("a role without an export rule gets 403 over HTTP, and nothing is journalled as disclosed")
    func refusedExportDisclosesNothing() async throws {
        let world = try await EmploiWorld.make(size: 200)
        defer { world.remove() }
        let key = Curve25519.KeyAgreement.PrivateKey().publicKey.rawRepresentation.base64EncodedString()
        let adviser = try await world.token("adviser1")
        let before = try await world.gate.ledgerSize()
        try await world.withPublic { client in
            let refused = try await client.call(.post, "/v1/exports", token: adviser, purpose: "support", body: #"{"recipientKey": "\#(key)"}"#)
            #expect(refused.status == .forbidden)
            #expect(!refused.text.contains("ciphertext"))
            let listing = try await client.call(.get, "/v1/exports", token: adviser)
            #expect(listing.status == .forbidden)
        }
        let account = try #require(world.accounts["adviser1"])
        let rows = try await world.ledger.journal(account: account)
        #expect(!rows.contains { $0.disclosed }, "a refused export discloses nothing")
        let entries = try await world.store.ledgerEntries(before..<(try await world.gate.ledgerSize()))
        #expect(!entries.contains { String(decoding: $0.entry, as: UTF8.self).contains("partner-export") })
        #expect(try await world.store.exports(account: account, limit: 100).isEmpty)
    }
}
