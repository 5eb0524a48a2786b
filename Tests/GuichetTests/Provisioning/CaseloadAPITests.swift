import Foundation
import Testing
import GuichetCore
import GuichetStore

/// Caseloads over the admin API (issue 16, item 1): assignment and transfer between advisers,
/// all or none, journalled; what a partner adviser may read follows its caseload at once (R4).
@Suite(.serialized) struct CaseloadAPITests {
    @Test("a partner adviser's caseload moves to a colleague once a second administrator approves: the colleague reads those files, the first adviser gets 404, both steps are in the ledger")
    func transferMovesAccess() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let admin = try await world.token("admin"), admin2 = try await world.token("admin2")
        let p1 = try #require(world.accounts["partner1"]), p2 = try #require(world.accounts["partner2"])
        let first = try #require(world.summary.partnerCaseloads[0].first)
        let shown = try await call(world, .get, "/admin/v1/accounts/\(p1)/caseload", token: admin)
        #expect(shown["dossiers"]?.array?.count == world.summary.partnerCaseloads[0].count)
        let t1 = try await world.token("partner1"), t2 = try await world.token("partner2")
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t1, purpose: "disability-support").status == .ok)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t2, purpose: "disability-support").status == .notFound)

        // One administrator asks: nothing moves yet.
        let asked = try await call(world, .post, "/admin/v1/accounts/\(p1)/caseload/transfer", token: admin, body: #"{"to": "\#(p2)"}"#)
        #expect(asked.status == .accepted && asked["status"]?.string == "pending" && asked["kind"]?.string == "caseload-transfer", "\(asked.text)")
        #expect(asked["dossiers"]?.array?.count == world.summary.partnerCaseloads[0].count)
        let id = try #require(asked["id"]?.string)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t2, purpose: "disability-support").status == .notFound)
        #expect(try await world.store.caseload(of: p1).count == world.summary.partnerCaseloads[0].count)
        let request = try #require(try await world.ledger.journal().last { $0.action == "provision:caseload-request" })
        #expect(Set(request.dossiers) == Set(world.summary.partnerCaseloads[0]) && request.account == world.accounts["admin"])

        // The one who asked cannot approve; the second administrator sees it in the queue and approves.
        let own = try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin)
        #expect(own.status == .forbidden && own.text.contains("second administrator"), "\(own.text)")
        #expect(try await world.store.caseload(of: p2).count == world.summary.partnerCaseloads[1].count)
        let queue = try await call(world, .get, "/admin/v1/requests", token: admin2)
        #expect((queue["requests"]?.array ?? []).contains { $0.object?["id"]?.string == id && $0.object?["from"]?.string == p1.rawValue })
        let approved = try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin2)
        #expect(approved.status == .ok && approved["status"]?.string == "approved", "\(approved.text)")
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t2, purpose: "disability-support").status == .ok)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t1, purpose: "disability-support").status == .notFound)
        #expect(try await world.store.caseload(of: p1).isEmpty)
        let entry = try #require(try await world.ledger.journal().last { $0.action == "provision:caseload-transfer" })
        #expect(Set(entry.dossiers) == Set(world.summary.partnerCaseloads[0]) && entry.account == world.accounts["admin2"])
        #expect(try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin2).status == .notFound, "approved once only")

        // And back, one dossier at a time, asked by the second administrator and approved by the first.
        let back = try await call(world, .post, "/admin/v1/accounts/\(p1)/caseload", token: admin2, body: #"{"dossiers": ["\#(first)"]}"#)
        #expect(back.status == .accepted && back["kind"]?.string == "caseload-assign")
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t1, purpose: "disability-support").status == .notFound)
        let backID = try #require(back["id"]?.string)
        #expect(try await call(world, .post, "/admin/v1/requests/\(backID)/approve", token: admin).status == .ok)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t1, purpose: "disability-support").status == .ok)
    }

    @Test("a caseload request whose dossiers moved meanwhile is refused at approval and changes nothing")
    func staleRequestsAreRefused() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let admin = try await world.token("admin"), admin2 = try await world.token("admin2")
        let p1 = try #require(world.accounts["partner1"]), p2 = try #require(world.accounts["partner2"])
        let caseload = world.summary.partnerCaseloads[0]

        // Moved meanwhile: a transfer of two dossiers, then one of them goes elsewhere first.
        let asked = try await call(world, .post, "/admin/v1/accounts/\(p1)/caseload/transfer", token: admin,
                                   body: #"{"to": "\#(p2)", "dossiers": ["\#(caseload[0])", "\#(caseload[1])"]}"#)
        let id = try #require(asked["id"]?.string)
        let other = try await call(world, .post, "/admin/v1/accounts/\(p1)/caseload/transfer", token: admin,
                                   body: #"{"to": "\#(p2)", "dossiers": ["\#(caseload[1])"]}"#)
        #expect(try await call(world, .post, "/admin/v1/requests/\(try #require(other["id"]?.string))/approve", token: admin2).status == .ok)
        let before = (try await world.store.caseload(of: p1), try await world.store.caseload(of: p2), try await world.store.ledgerSize())
        let stale = try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: admin2)
        #expect(stale.status == .conflict && stale.text.contains("ask again"), "\(stale.text)")
        let after = (try await world.store.caseload(of: p1), try await world.store.caseload(of: p2), try await world.store.ledgerSize())
        #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2, "nothing moved and nothing was journalled")
    }

    @Test("a caseload request that waited more than 7 days is refused at approval and changes nothing")
    func expiredRequestIsRefused() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let p1 = try #require(world.accounts["partner1"]), p2 = try #require(world.accounts["partner2"])
        let one = try #require(world.summary.partnerCaseloads[0].first)
        let late = try await call(world, .post, "/admin/v1/accounts/\(p2)/caseload", token: try await world.token("admin"),
                                  body: #"{"dossiers": ["\#(one)"]}"#)
        let id = try #require(late["id"]?.string)
        world.clock.advance(8 * 24 * 3600)
        // The second administrator signs in eight days later.
        let expired = try await call(world, .post, "/admin/v1/requests/\(id)/approve", token: try await world.token("admin2"))
        #expect(expired.status == .conflict && expired.text.contains("7 days"), "\(expired.text)")
        let (still, notMoved) = (try await world.store.caseload(of: p1), try await world.store.caseload(of: p2))
        #expect(still.contains(one) && !notMoved.contains(one))
    }

    @Test("a caseload step with a bad dossier or account is refused whole and changes nothing")
    func badStepsChangeNothing() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let admin = try await world.token("admin")
        let p1 = try #require(world.accounts["partner1"]), p2 = try #require(world.accounts["partner2"])
        let a1 = try #require(world.accounts["adviser1"]), security = try #require(world.accounts["security"])
        let caseload = world.summary.partnerCaseloads[0]
        let records = try await world.store.dossiers(try await world.allDossiers())
        let otherAgency = try #require(records.first { $0.organisation == world.summary.agencies[1].id && $0.assignedAgent == nil })
        let before = (try await world.store.caseload(of: p1), try await world.store.caseload(of: p2), try await world.store.caseload(of: a1),
                      try await world.store.ledgerSize())
        let cases: [(String, String, Int, String)] = [
            ("/admin/v1/accounts/\(p2)/caseload", #"{"dossiers": ["\#(caseload[0])", "\#(DossierID())"]}"#, 400, "do not exist"),
            ("/admin/v1/accounts/\(p2)/caseload", #"{"dossiers": ["\#(caseload[0])", "\#(caseload[0])"]}"#, 400, "twice"),
            ("/admin/v1/accounts/\(p2)/caseload", #"{"dossiers": []}"#, 400, "1 to 10000"),
            ("/admin/v1/accounts/\(p2)/caseload", #"{"dossiers": ["not-an-id"]}"#, 400, "valid identifier"),
            ("/admin/v1/accounts/\(security)/caseload", #"{"dossiers": ["\#(caseload[0])"]}"#, 400, "only staff and partner"),
            ("/admin/v1/accounts/\(AccountID())/caseload", #"{"dossiers": ["\#(caseload[0])"]}"#, 404, "Not found"),
            ("/admin/v1/accounts/\(a1)/caseload", #"{"dossiers": ["\#(otherAgency.id)"]}"#, 400, "another organisation"),
            ("/admin/v1/accounts/\(p1)/caseload/transfer", #"{"to": "\#(p1)"}"#, 400, "same account"),
            ("/admin/v1/accounts/\(p1)/caseload/transfer", #"{"to": "\#(p2)", "dossiers": ["\#(otherAgency.id)"]}"#, 400, "not in the caseload"),
            ("/admin/v1/accounts/\(p1)/caseload/transfer", #"{"to": "\#(security)"}"#, 400, "only staff and partner"),
            ("/admin/v1/accounts/\(p1)/caseload/transfer", #"{}"#, 400, "'to'"),
            // Another role: an adviser's files are not handed to a partner adviser whole (nor back).
            ("/admin/v1/accounts/\(a1)/caseload/transfer", #"{"to": "\#(p1)"}"#, 400, "same role"),
            ("/admin/v1/accounts/\(p1)/caseload/transfer", #"{"to": "\#(a1)"}"#, 400, "same role"),
        ]
        for (path, body, status, words) in cases {
            let r = try await call(world, .post, path, token: admin, body: body)
            #expect(Int(r.status.code) == status && r.text.contains(words), "\(path) \(body): \(r.status) \(r.text)")
        }
        let after = (try await world.store.caseload(of: p1), try await world.store.caseload(of: p2), try await world.store.caseload(of: a1),
                     try await world.store.ledgerSize())
        #expect(after.0 == before.0 && after.1 == before.1 && after.2 == before.2 && after.3 == before.3)
    }
}
