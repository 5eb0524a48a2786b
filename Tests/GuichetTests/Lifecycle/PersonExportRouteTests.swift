import Foundation
import Testing
import Hummingbird
import HummingbirdTesting
import GuichetCore
import GuichetLedger
import GuichetStore

/// An access request answered by staff for someone else (#20 item 3): only through the gate,
/// for a role and a purpose the profile's `retention.access` names, journalled.
@Suite(.serialized) struct PersonExportRouteTests {
    @Test("an agent answers a family's access request for its stated purpose: the person and their files, each read journalled, and one access-request entry")
    func agentAnswers() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let person = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let agent = try await world.token("agent")
        let agentID = try #require(try await world.store.account(username: "agent")).id
        try await world.withPublic { client in
            let before = try await world.ledger.journal(account: agentID).count
            let r = try await client.call(.post, "/v1/persons/\(person.rawValue)/export", token: agent, purpose: "family-request",
                                          body: #"{"reference": "REQ-2026-0042"}"#)
            #expect(r.status == .ok, "\(r.text)")
            #expect(r["dossiers"]?.array?.first?.object?["id"]?.string == app.id.rawValue)
            #expect(r["person"]?.object?["fields"]?.object?["email"]?.string == "parent1@example.org")
            #expect(r["accessHistory"]?.object?["accesses"]?.array != nil)
            // The parent's own fields only: the child's name and health-insurance number, which
            // the agent may read, are not the parent's to receive in their answer (a lifecycle audit).
            #expect(!r.text.contains("Emma") && !r.text.contains("TREE25020399"), "\(r.text)")
            let entries = try await world.ledger.journal(account: agentID).dropFirst(before)
            #expect(entries.filter { $0.disclosed && $0.purpose == "family-request" }.count == 2, "the file and the person, read through the gate")
            #expect(entries.filter { $0.disclosed }.allSatisfy { $0.persons == [person] }, "nobody else's fields opened: \(entries.map(\.persons))")
            let answer = try #require(entries.first { $0.action == "access-request" })
            #expect(answer.persons == [person] && answer.dossiers == [app.id] && answer.reason.contains("REQ-2026-0042") && answer.purpose == "family-request")
        }
    }

    @Test("without the purpose, for another purpose, for a role the profile does not name, or without a reference: refused, nothing produced or recorded as answered")
    func refusals() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let person = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        let agent = try await world.token("agent")
        let daycare = try await world.token("daycare1")
        let parent = try await world.token("parent1")
        try await world.withPublic { client in
            let path = "/v1/persons/\(person.rawValue)/export"
            let body = #"{"reference": "REQ-1"}"#
            #expect(try await client.call(.post, path, body: body).status == .unauthorized)
            #expect(try await client.call(.post, path, token: agent, body: body).status == .forbidden)
            #expect(try await client.call(.post, path, token: agent, purpose: "list-management", body: body).status == .forbidden)
            #expect(try await client.call(.post, path, token: daycare, purpose: "placement", body: body).status == .forbidden)
            #expect(try await client.call(.post, path, token: parent, purpose: "family-request", body: body).status == .forbidden)
            let noReference = try await client.call(.post, path, token: agent, purpose: "family-request", body: "{}")
            #expect(noReference.status == .badRequest)
            let named = try await client.call(.post, path, token: agent, purpose: "family-request", body: #"{"reference": "demande de Julie Tremblay"}"#)
            #expect(named.status == .badRequest, "a reference is a case number, never a name: it stays in the ledger")
            // Nor a person's identifier or birth date (a lifecycle audit: the person's own NAM as the reference).
            for reference in ["TREE25020399", "REQ-TREE25020399", "Emma.Tremblay.2025-02-03"] {
                let identifier = try await client.call(.post, path, token: agent, purpose: "family-request", body: #"{"reference": "\#(reference)"}"#)
                #expect(identifier.status == .badRequest && identifier.text.contains("never"), "\(reference): \(identifier.status)")
            }
            let unknown = try await client.call(.post, path, token: agent, purpose: "family-request", body: #"{"reference": "REQ-1", "extra": 1}"#)
            #expect(unknown.status == .badRequest)
            let nobody = try await client.call(.post, "/v1/persons/\(PersonID().rawValue)/export", token: agent, purpose: "family-request", body: body)
            #expect(nobody.status == .notFound)
        }
        #expect(try await world.ledger.journal().allSatisfy { $0.action != "access-request" }, "nothing recorded as answered")
    }
}
