import Foundation
import Testing
import GuichetCore
import GuichetStore

/// Caseloads over the admin API (issue 16, item 1): assignment and transfer between advisers,
/// all or none, journalled; what a partner adviser may read follows its caseload at once (R4).
@Suite(.serialized) struct CaseloadAPITests {
    @Test("a partner adviser's caseload moves to a colleague: the colleague reads those files, the first adviser gets 404, the move is in the ledger")
    func transferMovesAccess() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let admin = try await world.token("admin")
        let p1 = try #require(world.accounts["partner1"]), p2 = try #require(world.accounts["partner2"])
        let first = try #require(world.summary.partnerCaseloads[0].first)
        let shown = try await call(world, .get, "/admin/v1/accounts/\(p1)/caseload", token: admin)
        #expect(shown["dossiers"]?.array?.count == world.summary.partnerCaseloads[0].count)
        let t1 = try await world.token("partner1"), t2 = try await world.token("partner2")
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t1, purpose: "disability-support").status == .ok)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t2, purpose: "disability-support").status == .notFound)

        let moved = try await call(world, .post, "/admin/v1/accounts/\(p1)/caseload/transfer", token: admin, body: #"{"to": "\#(p2)"}"#)
        #expect(moved.status == .ok && moved["moved"]?.integer == world.summary.partnerCaseloads[0].count)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t2, purpose: "disability-support").status == .ok)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t1, purpose: "disability-support").status == .notFound)
        #expect(try await world.store.caseload(of: p1).isEmpty)
        let entry = try #require(try await world.store.journal().last { $0.action == "provision:caseload-transfer" })
        #expect(Set(entry.dossiers) == Set(world.summary.partnerCaseloads[0]) && entry.account == world.accounts["admin"])

        // And back, one dossier at a time.
        let back = try await call(world, .post, "/admin/v1/accounts/\(p1)/caseload", token: admin, body: #"{"dossiers": ["\#(first)"]}"#)
        #expect(back.status == .ok && back["assigned"]?.integer == 1)
        #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(first)", token: t1, purpose: "disability-support").status == .ok)
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
