import Foundation
import Testing
import HTTPTypes
import HummingbirdTesting
import GuichetCore
import GuichetGate
@testable import GuichetStore

/// Erasure requests (GDPR art. 17): an officer records one, the gate erases by crypto-shredding,
/// and the receipt names what was erased and is provable from the ledger.
@Suite struct ErasureRequestTests {
    @Test("place05: erasing a child then the parent erases their fields, then the application, with receipts the ledger proves")
    func place05Erasure() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let child = try RetentionRunTests.child(app)
        let security = try await world.principal("security")

        // Only the officers the profile names; a bad reference is refused; nothing changes.
        await #expect(throws: GuichetError.self) { _ = try await world.gate.eraseOnRequest(person: child, reference: "REQ-1", try await world.principal("admin"), requestID: "t") }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.eraseOnRequest(person: child, reference: "a b", security, requestID: "t") }
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.eraseOnRequest(person: PersonID(), reference: "REQ-1", security, requestID: "t") }
        #expect(try await world.store.hasLiveKey(child.rawValue))

        let first = try await world.gate.eraseOnRequest(person: child, reference: "REQ-2027-1", security, requestID: "t", source: "198.51.100.23")
        // The officer's address is journalled with the erasure, as with every staff entry.
        let entry = try #require(try await world.ledger.journal().last { $0.action == "erasure" })
        #expect(entry.source == "198.51.100.23" && entry.account == security.account)
        // The child's birth date is kept for the ministry's audit (profile: retention.kept), under its own key.
        #expect(first.fields == ["firstName", "lastName", "nam"])
        #expect(first.kept?.map(\.dossier) == [app.id] && first.kept?.first?.fields == ["child.birthDate"])
        #expect(first.dossiers.isEmpty && first.keptDossiers == [app.id], "the parent is not erased: the application stays")
        #expect(try await !world.store.hasLiveKey(child.rawValue))
        #expect(try await world.store.hasLiveKey(app.id.rawValue))
        let agent = try await world.request("agent", purpose: "family-request")
        let view = try await world.gate.read(app.id, agent)
        #expect(RetentionRunTests.firstName(view, "child") == nil, "the child's fields are gone")
        #expect(RetentionRunTests.firstName(view, "parent") != nil, "the parent's stay")
        // The file says who was erased (a lifecycle audit: the child's section vanished, and
        // staff saw a live application they could offer a place to), over the API and the page.
        #expect(view.erasedRoles == ["child"])
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let page = try await browser.get("/web/dossiers/\(app.id.rawValue)")
            #expect(page.html.contains(WebPageTests.escaped("Effacé (droit à l'effacement) : Enfant.")), "\(page.html)")
            #expect(page.html.contains("adressez-vous au service qui le tient") && !page.html.contains("décidez"),
                    "the parent is told what happened, not what staff decide")
            let api = try await client.execute(uri: "/v1/dossiers/\(app.id.rawValue)", method: .get,
                                               headers: [.authorization: "Bearer \(try await world.token("parent1"))"]) { String(buffer: $0.body) }
            let object = try JSONSerialization.jsonObject(with: Data(api.utf8)) as? [String: Any]
            #expect(object?["erasedRoles"] as? [String] == ["child"], "\(api)")
        }
        // The child's name no longer finds anything (search terms removed).
        let found = try await world.gate.search(type: "application", status: nil, criteria: ["child.nam": "TREE25020399"], after: nil, limit: 10, agent)
        #expect(found.views.isEmpty)
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.eraseOnRequest(person: child, reference: "REQ-2027-1", security, requestID: "t") }

        let second = try await world.gate.eraseOnRequest(person: parent, reference: "REQ-2027-2", security, requestID: "t")
        #expect(second.dossiers == [app.id] && second.keptDossiers.isEmpty)
        #expect(second.fields == ["birthDate", "email", "firstName", "lastName", "nam", "phone"])
        #expect(second.kept?.first?.fields == ["desiredStart"], "the application's own kept fields, now that it is erased whole")
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.read(app.id, agent) }

        // Receipts: stored, provable from the ledger once a checkpoint covers them; a changed one is not.
        #expect(try await world.gate.verifyErasureReceipt(second) == false, "no checkpoint covers it yet")
        _ = try await world.gate.checkpoint(at: Date())
        for r in [first, second] {
            #expect(try await world.gate.erasureReceipt(r.request) == r)
            #expect(try await world.gate.verifyErasureReceipt(try ErasureReceipt(json: try r.json())))
        }
        let forged = try ErasureReceipt(json: try second.json().replacingOccurrences(of: parent.rawValue, with: child.rawValue))
        #expect(try await world.gate.verifyErasureReceipt(forged) == false)
        let text = try second.json()
        #expect(!text.contains("Tremblay") && !text.contains("example.org"), "a receipt holds no value")
        #expect(try await world.gate.auditor.verify().problem == nil)
    }

    @Test("place05: a parent erased on request after retention erased one of her applications: the receipt names only the live one, nothing is kept twice")
    func erasureAfterRetention() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let security = try await world.principal("security")
        let parentRequest = try await world.request("parent1")
        let withdrawn = try await world.application(by: "parent1", childName: "Enfant")
        _ = try await world.gate.transition(withdrawn.id, "withdraw", parentRequest)
        let live = try await world.application(by: "parent1", childName: "Cadet")
        clock.advance(366 * RetentionRunTests.day)
        let run = try await world.gate.runRetention()
        #expect(run.erased == 1, "the withdrawn application is erased by retention")
        #expect(try await world.store.lifecycle([withdrawn.id])[withdrawn.id]?.erasedAt != nil)
        #expect(try await world.store.hasLiveKey(parent.rawValue), "the parent stays: her other application is waiting")
        let keptBefore = try await world.store.kept(dossier: withdrawn.id).count

        let receipt = try await world.gate.eraseOnRequest(person: parent, reference: "REQ-2028-3", security, requestID: "t")
        // The application retention erased is neither erased again nor named as kept: a
        // receipt that named it told the citizen a file still held her.
        #expect(receipt.dossiers.isEmpty, "the live application keeps its child: \(receipt.dossiers)")
        #expect(receipt.keptDossiers == [live.id], "\(receipt.keptDossiers)")
        #expect(!(receipt.kept ?? []).contains { $0.dossier == withdrawn.id }, "retention kept its fields already")
        #expect(try await world.store.kept(dossier: withdrawn.id).count == keptBefore, "nothing of the erased application is kept a second time")
        #expect(try await !world.store.hasLiveKey(parent.rawValue))
        #expect(try await world.gate.auditor.verify().problem == nil)
    }

    @Test("every erasure is an alert in the security officers' queue naming the officer, and no personal value")
    func erasureIsAlerted() async throws {
        let base = try await World.make()
        defer { base.remove() }
        _ = try await base.registerParent("parent1", lastName: "Tremblay")
        let app = try await base.application(by: "parent1")
        let child = try RetentionRunTests.child(app)
        let world = try await base.watched()
        let security = try await world.principal("security")
        _ = try await world.gate.eraseOnRequest(person: child, reference: "REQ-2027-9", security, requestID: "t")
        let alert = try #require(try await world.store.alerts(openOnly: true, account: security.account, limit: 10).first { $0.detector == "person-erased" })
        #expect(alert.severity == "medium" && !alert.detail.contains("Tremblay") && !alert.detail.contains(child.rawValue))
    }

    @Test("emploi: a job seeker's erasure erases their file whole; the ledger still verifies")
    func emploiErasure() async throws {
        let world = try await EmploiWorld.make(size: 200)
        defer { world.remove() }
        let file = try #require(world.summary.agencyCaseload.first)
        let seeker = try #require(try await world.store.dossier(file)?.persons.first?.person)
        let receipt = try await world.gate.eraseOnRequest(person: seeker, reference: "RGPD-17-0042", try await world.principal("security"), requestID: "t")
        #expect(receipt.dossiers == [file] && receipt.fields.contains("nir"))
        #expect(try await !world.store.hasLiveKey(seeker.rawValue))
        #expect(try await !world.store.hasLiveKey(file.rawValue))
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.read(file, try await world.request("adviser1", purpose: "support")) }
        _ = try await world.gate.checkpoint(at: world.clock.now)
        #expect(try await world.gate.verifyErasureReceipt(receipt))
        #expect(try await world.gate.auditor.verify().problem == nil)
    }
}
