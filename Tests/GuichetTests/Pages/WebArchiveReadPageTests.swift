import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// An archived file read from the pages (C13): staff ask on the file's page, a security officer
/// approves on the security home with a fresh second factor, then the file opens on its page.
@Suite(.serialized)
struct WebArchiveReadPageTests {
    /// The actions of the ledger's entries.
    static func actions(_ world: World) async throws -> [String] {
        let entries = try await world.store.ledgerEntries(0..<(try await world.gate.ledgerSize()))
        return entries.compactMap { (try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any])?["action"] as? String }
    }

    @Test("an agent asks on the archived file's page, security approves on its home, then the agent reads the file on its page; in both languages")
    func askApproveRead() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1", childName: "Alice").id
        // Archived as a retention run archives it (the run itself: RetentionRunTests), at the real time.
        #expect(try await world.store.archive([a], at: Date(), rewrapped: [:]) == 1)
        let agentSecret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        let securitySecret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let file = "/web/dossiers/\(a.rawValue)?purpose=family-request"
        try await world.withPublic { client in
            var agent = PageClient(client)
            _ = try await agent.signIn("agent", World.password, totp: agentSecret)
            let archived = try await agent.get(file + "&lang=en")
            #expect(archived.status == .forbidden && archived.html.contains(#"id="archive-form""#) && archived.html.contains("lasts 60 minutes"))
            #expect(!archived.html.contains("Alice") && !archived.html.contains(#"id="archive-waiting""#))
            #expect(archived.html.contains(#"<option value="family-request" selected>"#))
            let french = try await agent.get(file + "&lang=fr")
            #expect(french.html.contains("Dossier archivé") && french.html.contains("Demander à le lire"))
            _ = try await agent.get(file + "&lang=en")
            let csrf = try #require(archived.csrf)
            let action = "/web/dossiers/\(a.rawValue)/archive-reads"
            // A reference that could hold a name: the form again as typed, with why; without the CSRF field: refused. Nothing asked.
            let bad = try await agent.post(action, [("csrf", csrf), ("purpose", "family-request"), ("reference", "Alice T")])
            #expect(bad.status == .badRequest && bad.html.contains(#"id="archive-error""#) && bad.html.contains(#"value="Alice T""#))
            let forged = try await agent.post(action, [("purpose", "family-request"), ("reference", "CASE-2027/001")])
            #expect(forged.status == .forbidden)
            #expect(try await world.store.pendingArchiveRequests(limit: 10).isEmpty, "nothing asked")
            let asked = try await agent.post(action, [("csrf", csrf), ("purpose", "family-request"), ("reference", "CASE-2027/001")])
            // The purpose in the address as the other forms of the file put it (percent-encoded).
            let encoded = "/web/dossiers/\(a.rawValue)\(GuichetServer.purposeQuery("family-request"))"
            #expect(asked.status == .seeOther && asked.location == encoded + "&done=archive-read")
            let waiting = try await agent.get(try #require(asked.location))
            #expect(waiting.status == .forbidden && waiting.html.contains(#"id="done""#) && waiting.html.contains("must approve it"))
            #expect(waiting.html.contains(#"id="archive-waiting""#) && waiting.html.contains("CASE-2027/001") && !waiting.html.contains("Alice"))
            let frenchWaiting = try await agent.get(file + "&lang=fr")
            #expect(frenchWaiting.html.contains("En attente d"))
            _ = try await agent.get(file + "&lang=en")
            let request = try #require(try await world.store.pendingArchiveRequests(limit: 10).first)
            #expect(request.dossier == a && request.reference == "CASE-2027/001" && request.purpose == "family-request")
            try await world.withAdmin { client in
                var officer = PageClient(client)
                _ = try await officer.signIn("security", World.password, totp: securitySecret)
                let home = try await officer.get("/web/home?lang=en")
                #expect(home.status == .ok && home.html.contains(#"id="archive-reads""#) && home.html.contains("CASE-2027/001") && home.html.contains(">agent<"))
                let frenchHome = try await officer.get("/web/home?lang=fr")
                #expect(frenchHome.html.contains("Approuver la lecture"))
                let approve = "/web/security/archive-reads/\(request.id)/approve"
                let approved = try await officer.post(approve + "?lang=en", [("csrf", try #require(home.csrf))])
                #expect(approved.status == .seeOther && approved.location == "/web/home?done=archive-approve")
                let after = try await officer.get("/web/home?done=archive-approve")
                #expect(after.html.contains(#"id="done""#) && after.html.contains(#"id="no-archive-read""#))
                // Approved once: a second click says so and changes nothing.
                let again = try await officer.post(approve, [("csrf", try #require(home.csrf))])
                #expect(again.status == .notFound && again.html.contains("no longer waits"))
            }
            let opened = try await agent.get(file + "&lang=en")
            #expect(opened.status == .ok && opened.html.contains("Alice") && !opened.html.contains(#"id="archive-form""#))
            // For another purpose the file stays closed, with the way to the purpose approved.
            let other = try await agent.get("/web/dossiers/\(a.rawValue)?purpose=list-management")
            #expect(other.status == .forbidden && !other.html.contains("Alice"))
            #expect(other.html.contains(#"class="archive-open""#) && other.html.contains(#"href="\#(encoded)""#))
        }
        let actions = try await Self.actions(world)
        #expect(actions.contains("archive-read:request") && actions.contains("archive-read:approve"))
    }

    @Test("only an approver's role approves, with a fresh second factor: an administrator and a password-only officer change nothing")
    func whoApproves() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1").id
        #expect(try await world.store.archive([a], at: Date(), rewrapped: [:]) == 1)
        let asked = try await world.gate.requestArchiveRead(a, reference: "CASE-2027/002", try await world.request("agent", purpose: "family-request"))
        let adminSecret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        _ = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let approve = "/web/security/archive-reads/\(asked.id)/approve"
        try await world.withAdmin { client in
            var admin = PageClient(client)
            _ = try await admin.signIn("admin", World.password, totp: adminSecret)
            let home = try await admin.get("/web/home")
            #expect(!home.html.contains("CASE-2027/002"), "no approval form for a role that may not approve")
            let refused = try await admin.post(approve, [("csrf", try #require(home.csrf))])
            #expect(refused.status == .forbidden)
            var passwordOnly = PageClient(client)
            _ = try await passwordOnly.signIn("security", World.password)
            let step = try await passwordOnly.get("/web/second-factor")
            let stale = try await passwordOnly.post(approve, [("csrf", try #require(step.csrf))])
            // Asked for a code on the spot, the approval carried; a wrong code approves nothing.
            #expect(stale.status == .forbidden && stale.html.contains(#"action="\#(approve)" class="stack" id="step-up""#) && stale.html.contains(#"name="code""#))
            let carried = try WebStepUpKeepsFormTests.carried(stale.html)
            let wrong = try await passwordOnly.post(approve, carried + [("code", "000000")])
            #expect(wrong.status == .forbidden && wrong.html.contains(#"id="code-wrong""#), "a wrong code approves nothing")
        }
        let pending = try await world.store.pendingArchiveRequests(limit: 10)
        #expect(pending.map(\.id) == [asked.id], "still waiting")
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a, try await world.request("agent", purpose: "family-request")) }
    }
}
