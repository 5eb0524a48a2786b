import Foundation
import Testing
import Synchronization
import GuichetCore
import GuichetGate
@testable import GuichetStore

/// The lifecycle over HTTP: an archive read asked on the public listener and approved by a
/// second person on the admin listener; an erasure request with its receipt; a citizen's export.
@Suite struct LifecycleRoutesTests {
    @Test("an agent asks for an archive read over HTTP, security approves it on the admin listener, then the agent reads")
    func archiveReadOverHTTP() async throws {
        let (world, _, apps, _) = try await RetentionRunTests.place05()
        defer { world.remove() }
        let a = try #require(apps["A"]).id
        // Archived as a retention run archives it (the run itself: RetentionRunTests), at the
        // real time, so that these sessions stay valid.
        #expect(try await world.store.archive([a], at: Date(), rewrapped: [:]) == 1)
        let agent = try await world.token("agent"), security = try await world.token("security")
        let id = CapturedText()
        try await world.withPublic { client in
            let reply1: Reply = try await client.call(.get, "/v1/dossiers/\(a)", token: agent, purpose: "family-request")
            #expect(reply1.status == .forbidden)
            let bad = try await client.call(.post, "/v1/dossiers/\(a)/archive-reads", token: agent, purpose: "family-request", body: #"{"reference": "?"}"#)
            #expect(bad.status == .badRequest)
            let asked = try await client.call(.post, "/v1/dossiers/\(a)/archive-reads", token: agent, purpose: "family-request",
                                              body: #"{"reference": "CASE-42"}"#)
            #expect(asked.status == .created && asked["approved"] == .bool(false))
            id.value = asked["id"]?.string ?? ""
        }
        // An officer signed in with the password alone approves nothing, nor sees the requests
        // (an attacker test approved with such a session).
        let passwordOnly = try await world.auth.signIn(username: "security", password: World.password).token
        try await world.withAdmin { client in
            let listed: Reply = try await client.call(.get, "/admin/v1/archive-reads", token: passwordOnly)
            #expect(listed.status == .forbidden && listed.text.contains("second factor"), "\(listed.text)")
            let approving: Reply = try await client.call(.post, "/admin/v1/archive-reads/\(id.value)/approve", token: passwordOnly)
            #expect(approving.status == .forbidden, "\(approving.text)")
        }
        try await world.withPublic { client in
            let still: Reply = try await client.call(.get, "/v1/dossiers/\(a)", token: agent, purpose: "family-request")
            #expect(still.status == .forbidden, "not approved")
        }
        try await world.withAdmin { client in
            let reply2: Reply = try await client.call(.get, "/admin/v1/archive-reads", token: security)
            #expect(reply2["requests"]?.array?.count == 1)
            let ok = try await client.call(.post, "/admin/v1/archive-reads/\(id.value)/approve", token: security)
            #expect(ok.status == .ok && ok["approved"] == .bool(true))
            let reply3: Reply = try await client.call(.post, "/admin/v1/archive-reads/\(id.value)/approve", token: security)
            #expect(reply3.status == .notFound)
        }
        try await world.withPublic { client in
            let reply4: Reply = try await client.call(.get, "/v1/dossiers/\(a)", token: agent, purpose: "family-request")
            #expect(reply4.status == .ok)
        }
    }

    @Test("security records an erasure over HTTP and reads its receipt back; the citizen's export no longer holds the erased fields")
    func erasureAndExportOverHTTP() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1", childName: "Zoé")
        let child = try RetentionRunTests.child(app)
        let parentToken = try await world.token("parent1")
        try await world.withPublic { client in
            let export = try await client.call(.get, "/v1/me/export", token: parentToken)
            #expect(export.status == .ok)
            #expect(export["dossiers"]?.array?.count == 1 && export.text.contains("Zoé"))
            #expect(export["person"]?.object?["fields"]?.object?["lastName"] == .string("Tremblay"))
            #expect(export["accessHistory"]?.object?["accesses"]?.array?.isEmpty == false)
            let agentToken = try await world.token("agent")
            let reply5: Reply = try await client.call(.get, "/v1/me/export", token: agentToken)
            #expect(reply5.status == .forbidden)
        }
        let security = try await world.token("security")
        let receiptID = CapturedText()
        try await world.withAdmin { client in
            let admin = try await world.token("admin")
            let refused: Reply = try await client.call(.post, "/admin/v1/erasures", token: admin, body: #"{"person": "\#(child)", "reference": "REQ-1"}"#)
            #expect(refused.status == .forbidden)
            let reply6: Reply = try await client.call(.post, "/admin/v1/erasures", token: security, body: #"{"person": "\#(child)"}"#)
            #expect(reply6.status == .badRequest)
            let done = try await client.call(.post, "/admin/v1/erasures", token: security, body: #"{"person": "\#(child)", "reference": "REQ-1"}"#)
            #expect(done.status == .created && done["fields"]?.array?.count == 3 && done["keptDossiers"]?.array?.count == 1)
            #expect(done["kept"]?.array?.first?.object?["fields"] == .array([.string("child.birthDate")]), "kept for a legal duty")
            receiptID.value = done["request"]?.string ?? ""
            let again = try await client.call(.get, "/admin/v1/erasures/\(receiptID.value)", token: security)
            #expect(again.status == .ok && again["person"] == .string(child.rawValue))
            // Receipts and leak tracing need a second factor in the session, as the alerts do.
            let passwordOnly = try await world.auth.signIn(username: "security", password: World.password).token
            let receipt: Reply = try await client.call(.get, "/admin/v1/erasures/\(receiptID.value)", token: passwordOnly)
            #expect(receipt.status == .forbidden && !receipt.text.contains(child.rawValue), "\(receipt.text)")
            let leak: Reply = try await client.call(.post, "/admin/v1/export-leaks", token: passwordOnly, body: #"{"rows": ["abc"]}"#)
            #expect(leak.status == .forbidden, "\(leak.text)")
        }
        try await world.withPublic { client in
            let export = try await client.call(.get, "/v1/me/export", token: parentToken)
            #expect(export.status == .ok && !export.text.contains("Zoé"))
        }
    }
}

/// Text a test sets inside a `@Sendable` closure and reads after it.
final class CapturedText: Sendable {
    private let text = Mutex("")
    var value: String {
        get { text.withLock { $0 } }
        set { text.withLock { $0 = newValue } }
    }
}
