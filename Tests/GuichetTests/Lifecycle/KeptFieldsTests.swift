import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
@testable import GuichetStore

/// Fields kept for a legal duty through an erasure (GDPR art. 17(3)(b)): sealed again under a
/// key of their own that the erasure does not destroy, readable only through the gate by the
/// roles and purposes the profile names, named on the receipt with their legal ground, and
/// destroyed when their term is over.
@Suite struct KeptFieldsTests {
    @Test("emploi: an erasure request keeps the benefit audit fields readable by an adviser for compensation; the rest is gone; the receipt names both")
    func emploiRequestKeepsAuditFields() async throws {
        let world = try await EmploiWorld.make(size: 200)
        defer { world.remove() }
        let adviser = try await world.request("adviser1", purpose: "compensation")
        // A file of the adviser's agency with benefit rights, as the adviser reads it before.
        var found: (DossierID, DossierView)?
        for id in world.summary.agencyCaseload {
            let view = try await world.gate.read(id, adviser)
            if view.fields["benefitRights"] != nil { found = (id, view); break }
        }
        let (file, before) = try #require(found, "the generator gives some files benefit rights")
        let seeker = try #require(before.persons.first { $0.role == "seeker" })
        let security = try await world.principal("security")
        let receipt = try await world.gate.eraseOnRequest(person: seeker.id, reference: "RGPD-17-0043", security, requestID: "t")

        // The receipt: what was erased, and what is kept, with its ground and term.
        #expect(receipt.dossiers == [file])
        #expect(receipt.fields.contains("nir") && receipt.fields.contains("lastName") && !receipt.fields.contains("registryId"))
        let kept = try #require(receipt.kept?.first)
        #expect(receipt.kept?.count == 1 && kept.dossier == file)
        #expect(Set(kept.fields).isSuperset(of: ["benefitRights", "registeredOn", "seeker.registryId"]))
        #expect(!kept.fields.contains("seeker.lastName") && !kept.fields.contains("supportNeeds"))
        #expect(kept.ground["fr"]?.isEmpty == false && kept.ground["en"]?.isEmpty == false)
        #expect(abs(kept.until.timeIntervalSince(world.clock.now) - 10 * 365 * 86_400) < 2)

        // Everything else is gone: the person's and the file's keys are destroyed.
        #expect(try await !world.store.hasLiveKey(seeker.id.rawValue))
        #expect(try await !world.store.hasLiveKey(file.rawValue))
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.read(file, adviser) }

        // The kept fields: readable by the adviser for compensation, with the same values, journalled.
        let view = try await world.gate.readKept(file, adviser)
        #expect(view.fields["benefitRights"] == before.fields["benefitRights"])
        #expect(view.fields["registeredOn"] == before.fields["registeredOn"])
        #expect(view.fields["seeker.registryId"] == seeker.fields["registryId"])
        #expect(view.fields["seeker.lastName"] == nil && view.fields["supportNeeds"] == nil)
        let adviserAccount: AccountID = try #require(world.accounts["adviser1"])
        let last = try #require(try await world.ledger.journal(account: adviserAccount).last)
        #expect(last.allowed && last.disclosed && last.fields.contains("benefitRights") && last.persons == [seeker.id])

        // Not for another purpose, another role, or an adviser of another agency.
        await #expect(throws: GuichetError.self) { _ = try await world.gate.readKept(file, try await world.request("adviser1", purpose: "support")) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.readKept(file, try await world.request("partner1", purpose: "disability-support")) }
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.readKept(file, try await world.request("adviser2", purpose: "compensation")) }

        // The receipt is proved by the ledger; one that hides what is kept is not.
        _ = try await world.gate.checkpoint(at: world.clock.now)
        #expect(try await world.gate.erasureReceipt(receipt.request) == receipt)
        #expect(try await world.gate.verifyErasureReceipt(receipt))
        let hidden = ErasureReceiptJSON.dropKept(try receipt.json())
        #expect(try await world.gate.verifyErasureReceipt(try ErasureReceipt(json: hidden)) == false)
        #expect(try await world.gate.auditor.verify().problem == nil)

        // After ten years, retention destroys the kept fields' key too.
        world.clock.advance(10 * 365 * 86_400 + 86_400)
        let report = try await world.gate.runRetention()
        #expect(report.keptErased >= 1)
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.readKept(file, adviser) }
        #expect(try await world.gate.auditor.verify().problem == nil)
    }

    @Test("place05: retention erases a withdrawn application and keeps its audit fields for an agent managing the list, in the same run")
    func place05RetentionKeepsAuditFields() async throws {
        let (world, clock, apps, actors) = try await RetentionRunTests.place05()
        defer { world.remove() }
        let b = try #require(apps["B"])
        let agent = try actors.request("agent", purpose: "list-management")
        let before = try await world.gate.read(b.id, agent)
        let birth = try #require(before.persons.first { $0.role == "child" }?.fields["birthDate"])
        // Nothing is kept of a live application.
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.readKept(b.id, agent) }

        clock.advance(365 * 86_400 + 3_600)
        let start = try await world.gate.ledgerSize()
        let report = try await world.gate.runRetention()
        #expect(report.erased == 1 && report.keptErased == 0)
        #expect(try await !world.store.hasLiveKey(b.id.rawValue))
        #expect(try await !world.store.hasLiveKey(try RetentionRunTests.child(b).rawValue))
        await #expect(throws: GuichetError.notFound) { _ = try await world.gate.read(b.id, agent) }

        let kept = try await world.gate.readKept(b.id, agent)
        #expect(kept.fields["desiredStart"] == before.fields["desiredStart"])
        #expect(kept.fields["child.birthDate"] == birth)
        #expect(kept.fields["child.firstName"] == nil && kept.fields["parent.email"] == nil && kept.fields["specialNeeds"] == nil)
        #expect(kept.ground["en"]?.contains("audit") == true)
        // Refused to the family-request purpose and to a daycare; journalled erasure names what is kept.
        await #expect(throws: GuichetError.self) { _ = try await world.gate.readKept(b.id, try actors.request("agent", purpose: "family-request")) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.readKept(b.id, try actors.request("daycare1", purpose: "placement")) }
        let entries = try await world.store.ledgerEntries(start..<(try await world.gate.ledgerSize()))
        let erase = try #require(entries.compactMap { try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any] }
            .first { $0["action"] as? String == "retention:erase" })
        #expect((erase["reason"] as? String)?.contains("kept for a legal duty: child.birthDate, desiredStart") == true)
        #expect(try await world.gate.auditor.verify().problem == nil)
    }
}

/// A receipt's JSON with its kept fields removed (a forgery that hides them).
enum ErasureReceiptJSON {
    static func dropKept(_ json: String) -> String {
        guard var object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
        object["kept"] = []
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return json }
        return String(decoding: data, as: UTF8.self)
    }
}
