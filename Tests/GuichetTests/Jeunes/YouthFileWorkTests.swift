import Foundation
import Testing
import GuichetCore

/// R2's daily work over the public API (issue 16, item 4): an adviser opens, updates, pauses,
/// resumes and closes youth files of their own caseload, with a sealed note that nobody else
/// reads; a file outside the caseload is refused.
@Suite(.serialized) struct YouthFileWorkTests {
    @Test("an adviser opens a file into their caseload, updates it with a sealed note, pauses, resumes and closes it")
    func adviserWorksAFile() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let a1 = try await world.token("adviser-a1")
        let opened = try await call(world, admin: false, .post, "/v1/dossiers", token: a1, purpose: "support", body: youthFileBody())
        #expect(opened.status == .created && opened["status"]?.string == "active")
        let id = try #require(opened["id"]?.string)
        #expect(try await world.store.caseload(of: try #require(world.accounts["adviser-a1"])).map(\.rawValue) == [id])

        let read = try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: a1, purpose: "support")
        #expect(read.status == .ok && read["fields"]?.object?["sealedNote"]?.string == "note scellée synthétique")
        let patched = try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: a1, purpose: "support",
                                     body: #"{"fields": {"situation": "training", "sealedNote": "suivi renforcé, note synthétique"}}"#)
        #expect(patched.status == .ok && patched["version"]?.integer == 2)
        let again = try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: a1, purpose: "support")
        #expect(again["fields"]?.object?["situation"]?.string == "training")
        #expect(again["fields"]?.object?["sealedNote"]?.string == "suivi renforcé, note synthétique")

        for (move, state) in [("pause", "paused"), ("resume", "active"), ("pause", "paused"), ("close", "closed")] {
            let r = try await call(world, admin: false, .post, "/v1/dossiers/\(id)/transitions/\(move)", token: a1, purpose: "support")
            #expect(r.status == .ok && r["status"]?.string == state, "\(move)")
        }
        let closed = try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: a1, purpose: "support")
        #expect(closed["status"]?.string == "closed" && closed["fields"]?.object?["closedOn"]?.string != nil)
        let late = try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: a1, purpose: "support", body: #"{"fields": {"situation": "employment"}}"#)
        #expect(late.status == .conflict, "a closed file takes no more changes")
        let resumeClosed = try await call(world, admin: false, .post, "/v1/dossiers/\(id)/transitions/resume", token: a1, purpose: "support")
        #expect(resumeClosed.status != .ok)
        let actions = try await world.ledger.journal().filter { $0.dossiers.map(\.rawValue).contains(id) }.map(\.action)
        #expect(actions.filter { $0.hasPrefix("transition") }.count >= 4 && actions.contains("create") && actions.contains("update"))
    }

    @Test("a file outside the adviser's caseload is refused: a colleague of the office, another office, a pause, an update")
    func outsideTheCaseloadIsRefused() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let a1 = try await world.token("adviser-a1"), a2 = try await world.token("adviser-a2"), b = try await world.token("adviser-b")
        let id = try #require(try await call(world, admin: false, .post, "/v1/dossiers", token: a1, purpose: "support", body: youthFileBody())["id"]?.string)
        let before = try await world.store.dossier(try #require(DossierID(validating: id)))
        for t in [a2, b] {
            let r = try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: t, purpose: "support")
            #expect(r.status == .notFound && !r.text.contains("Lina") && !r.text.contains("scellée"))
            #expect(try await call(world, admin: false, .post, "/v1/dossiers/\(id)/transitions/pause", token: t, purpose: "support").status == .notFound)
            #expect(try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: t, purpose: "support",
                                   body: #"{"fields": {"sealedNote": "x"}}"#).status == .notFound)
            let list = try await call(world, admin: false, .get, "/v1/dossiers?limit=100", token: t, purpose: "support")
            #expect(list.status == .ok && list["dossiers"]?.array?.isEmpty == true)
        }
        #expect(try await world.store.dossier(try #require(DossierID(validating: id))) == before, "nothing changed")
        let refusals = try await world.ledger.journal().filter { $0.dossiers.map(\.rawValue).contains(id) && !$0.allowed }
        #expect(refusals.count >= 6, "refusals are journalled")
    }

    @Test("a sealed note is in no list, no search result, no manager's view")
    func sealedNoteStaysWithTheAdviser() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let a1 = try await world.token("adviser-a1"), manager = try await world.token("manager-a")
        let id = try #require(try await call(world, admin: false, .post, "/v1/dossiers", token: a1, purpose: "support", body: youthFileBody())["id"]?.string)
        let list = try await call(world, admin: false, .get, "/v1/dossiers?limit=10", token: a1, purpose: "support")
        let item = try #require(list["dossiers"]?.array?.first?.object)
        #expect(item["id"]?.string == id && item["fields"]?.object?["sealedNote"] == nil && !list.text.contains("scellée"))
        let searched = try await call(world, admin: false, .get, "/v1/dossiers?young.lastName=Martin", token: a1, purpose: "support")
        #expect(searched["dossiers"]?.array?.count == 1 && !searched.text.contains("scellée"))
        let seen = try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: manager, purpose: "supervision")
        #expect(seen.status == .ok && seen["fields"]?.object?["programme"]?.string == "cej")
        #expect(seen["fields"]?.object?["sealedNote"] == nil && !seen.text.contains("scellée"))
    }
}
