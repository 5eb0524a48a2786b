import Foundation
import Testing
import GuichetCore
import GuichetGate
@testable import GuichetStore

/// Archived dossiers are read only through the gate, with a purpose the profile allows for
/// archives and a second person's approval that expires (C13).
@Suite struct ArchiveReadTests {
    @Test("an archived application is read only after an agent asks with an archive purpose and security approves, until it expires")
    func twoPersonArchiveRead() async throws {
        let (world, clock, apps, actors) = try await RetentionRunTests.place05()
        defer { world.remove() }
        let a = try #require(apps["A"]).id
        clock.advance(100 * 86_400)
        #expect(try await world.gate.runRetention().archived == 2, "A (closed) and B (withdrawn)")
        let agent = try actors.request("agent", purpose: "family-request")
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a, agent) }
        // Nor its persons through it.
        let child = try RetentionRunTests.child(try #require(apps["A"]))
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.readPerson(child, agent) }

        // The purpose must be one the profile allows for archives; the reference is checked.
        await #expect(throws: GuichetError.self) {
            _ = try await world.gate.requestArchiveRead(a, reference: "CASE-1", try actors.request("agent", purpose: "list-management"))
        }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.requestArchiveRead(a, reference: "x", agent) }
        // A role the profile does not name may not ask; a dossier not archived is not found.
        await #expect(throws: GuichetError.self) { _ = try await world.gate.requestArchiveRead(a, reference: "CASE-1", try actors.request("daycare1")) }
        await #expect(throws: GuichetError.notFound) {
            _ = try await world.gate.requestArchiveRead(try #require(apps["C"]).id, reference: "CASE-1", agent)
        }

        let asked = try await world.gate.requestArchiveRead(a, reference: "CASE-2027/001", agent)
        #expect(!asked.approved)
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a, agent) }
        // The asker cannot approve (their role is no approver), nor can an admin the profile does not name.
        await #expect(throws: GuichetError.self) { _ = try await world.gate.approveArchiveRead(asked.id, try #require(actors.principals["agent"]), requestID: "t") }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.approveArchiveRead(asked.id, try #require(actors.principals["admin"]), requestID: "t") }
        let security = try #require(actors.principals["security"])
        #expect(try await world.gate.pendingArchiveReads(security).map(\.id) == [asked.id])
        let approved = try await world.gate.approveArchiveRead(asked.id, security, requestID: "t")
        #expect(approved.approved && approved.expiresAt == Date(millis: clock.now.addingTimeInterval(3_600).millis))
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.approveArchiveRead(asked.id, security, requestID: "t") }

        let view = try await world.gate.read(a, agent)
        #expect(RetentionRunTests.firstName(view, "child") != nil)
        // Only for the purpose approved, and only for the asker.
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a, try actors.request("agent", purpose: "list-management")) }
        clock.advance(3_601)
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a, agent) }

        // Each step is in the ledger.
        let entries = try await world.store.ledgerEntries(0..<(try await world.gate.ledgerSize()))
        let actions = entries.compactMap { (try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any])?["action"] as? String }
        #expect(actions.contains("retention:archive") && actions.contains("archive-read:request") && actions.contains("archive-read:approve"))
    }

    @Test("an archive read is approved only in a session that verified a second factor; an approval opens the file to be read, never changed")
    func approvalNeedsSecondFactorAndOnlyReads() async throws {
        let (world, clock, apps, actors) = try await RetentionRunTests.place05()
        defer { world.remove() }
        let a = try #require(apps["A"]).id
        clock.advance(100 * 86_400)
        _ = try await world.gate.runRetention()
        let agent = try actors.request("agent", purpose: "family-request")
        let asked = try await world.gate.requestArchiveRead(a, reference: "CASE-2027/002", agent)
        // An access request answered for the child of the archived application alone: left out,
        // so nothing readable, 404 (it was a 403 that told the person exists).
        let child = try RetentionRunTests.child(try #require(apps["A"]))
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.exportOnBehalf(of: child, reference: "REQ-2027-9", agent) }
        let passwordOnly = try await world.auth.signIn(username: "security", password: World.password).principal
        #expect(!passwordOnly.mayReachPersonalData)
        await #expect(throws: GuichetError.self) { _ = try await world.gate.pendingArchiveReads(passwordOnly) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.approveArchiveRead(asked.id, passwordOnly, requestID: "t") }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(a, agent) }
        _ = try await world.gate.approveArchiveRead(asked.id, try #require(actors.principals["security"]), requestID: "t")
        #expect(try await world.gate.read(a, agent).id == a)
        // A change with the approved purpose is refused as archived (it was let through to the workflow).
        await #expect {
            _ = try await world.gate.update(a, DossierChanges(fields: ["schedule": .string("full-time")], partners: nil, expectedVersion: nil), agent)
        } throws: { "\($0)".contains("archived") }
    }

    @Test("the store refuses an approval by the account that asked")
    func askerCannotApprove() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let agent = try await world.principal("agent").account
        try await world.store.insertArchiveRequest(id: "r1", dossier: app.id, account: agent, purpose: "family-request", reference: "CASE-1", at: Date())
        #expect(try await !world.store.approveArchiveRequest("r1", by: agent, at: Date(), expires: Date().addingTimeInterval(60)))
        #expect(try await !world.store.archiveReadApproved(account: agent, dossier: app.id, purpose: "family-request", at: Date()))
    }
}
