import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetStore

/// A daycare's capacity changes after it was set (a co-operative's audit: a daycare that gained
/// places could only be made again as a new organisation, its applications naming the old one):
/// over the admin API, on the administrators' page and on the command line, journalled.
@Suite(.serialized) struct CapacityChangeTests {
    @Test("a full daycare's capacity raised over the admin API lets the next offer through; null removes the bound; bad input and other roles change nothing; the change is journalled")
    func raisedOverTheAPI() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let setup = RankCapacityTests()
        let tiny = try await setup.daycare(world, "tiny", capacity: 1)
        let files = [try await setup.apply(world, "p.a", to: tiny, sibling: nil), try await setup.apply(world, "p.b", to: tiny, sibling: nil),
                     try await setup.apply(world, "p.c", to: tiny, sibling: nil)]
        let daycare = try await world.request("tiny")
        _ = try await world.gate.transition(files[0], "offer", daycare)
        await #expect(throws: GuichetError.self, "full") { _ = try await world.gate.transition(files[1], "offer", daycare) }

        let admin = try await world.token("admin"), security = try await world.token("security")
        let path = "/admin/v1/organisations/\(tiny.id.rawValue)/capacity"
        let before = try await world.snapshot()
        let refusals: [(String, String?, String?, Int, String)] = [
            (path, admin, "{}", 400, "'capacity' is required"),
            (path, admin, #"{"capacity": -1}"#, 400, "from 0 to 1000000"),
            (path, admin, #"{"capacity": 1000001}"#, 400, "from 0 to 1000000"),
            (path, admin, #"{"capacity": "two"}"#, 400, "whole number"),
            (path, admin, #"{"capacity": 2, "name": "x"}"#, 400, "unknown field 'name'"),
            ("/admin/v1/organisations/\(OrganisationID().rawValue)/capacity", admin, #"{"capacity": 2}"#, 404, "no such resource"),
            ("/admin/v1/organisations/not-an-id/capacity", admin, #"{"capacity": 2}"#, 400, "not a valid identifier"),
            (path, security, #"{"capacity": 2}"#, 403, "administrator"),
            (path, nil, #"{"capacity": 2}"#, 401, "sign in"),
        ]
        for (uri, token, body, status, words) in refusals {
            let r = try await call(world, .post, uri, token: token, body: body)
            #expect(Int(r.status.code) == status && r.text.contains(words), "\(uri) \(body ?? ""): \(r.status) \(r.text)")
        }
        #expect(try await world.snapshot() == before, "refusals change nothing, not even the ledger")
        #expect(try await world.store.organisation(tiny.id)?.capacity == 1)

        let raised = try await call(world, .post, path, token: admin, body: #"{"capacity": 2}"#)
        #expect(raised.status == .ok && raised["capacity"]?.integer == 2 && raised["id"]?.string == tiny.id.rawValue, "\(raised.text)")
        _ = try await world.gate.transition(files[1], "offer", daycare)
        await #expect(throws: GuichetError.self, "full again at two") { _ = try await world.gate.transition(files[2], "offer", daycare) }
        let entries = try await world.ledger.journal().filter { $0.action == "provision:organisation-capacity" }
        #expect(entries.count == 1 && entries.first?.account != nil && entries.first?.reason.contains("capacity 2 (was 1)") == true,
                "\(entries.map(\.reason))")

        let removed = try await call(world, .post, path, token: admin, body: #"{"capacity": null}"#)
        #expect(removed.status == .ok && removed["capacity"] == JSON.null, "\(removed.text)")
        _ = try await world.gate.transition(files[2], "offer", daycare)
        #expect(try await world.store.organisation(tiny.id)?.capacity == nil)
    }

    @Test("an administrator changes a capacity on the organisations' table of the admin page; an empty value removes it; a bad one changes nothing", arguments: ["en", "fr"])
    func changedOnThePage(_ language: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        let daycare = try await RankCapacityTests().daycare(world, "lucioles", capacity: 2)
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password, totp: secret)
            let home = try await browser.get("/web/home?lang=\(language)")
            let action = "/web/admin/organisations/\(daycare.id.rawValue)/capacity"
            #expect(home.html.contains(#"<form method="post" action="\#(action)" class="capacity">"#), "a form on the organisation's row")
            #expect(home.html.contains(#"id="capacity-\#(daycare.id.rawValue)" name="capacity" type="number" min="0" max="1000000" value="2""#))
            #expect(home.html.contains(#"id="capacity-hint""#))
            // place05 reaches no file through a caseload: no caseload column, count or link (the same audit).
            #expect(!home.html.contains(#"class="caseload""#) && !home.html.contains("/caseload\""), "no caseload controls on place05")
            let csrf = try #require(home.csrf)
            let forged = try await browser.post(action, [("capacity", "5")])
            #expect(forged.status == .forbidden)
            let bad = try await browser.post(action, [("csrf", csrf), ("capacity", "-3")])
            #expect(bad.status == .badRequest, "\(bad.status)")
            #expect(try await world.store.organisation(daycare.id)?.capacity == 2, "nothing changed")

            let changed = try await browser.post(action, [("csrf", csrf), ("capacity", "5")])
            #expect(changed.status == .seeOther && changed.location == "/web/home?done=capacity", "\(changed.status)")
            #expect(try await world.store.organisation(daycare.id)?.capacity == 5)
            let told = try await browser.get("/web/home?done=capacity&lang=\(language)")
            #expect(told.html.contains(language == "fr" ? "La capacité de l&#39;organisation a été modifiée." : "The organisation&#39;s capacity was changed."),
                    "\(language)")
            #expect(told.html.contains(#"id="capacity-\#(daycare.id.rawValue)" name="capacity" type="number" min="0" max="1000000" value="5""#))

            let emptied = try await browser.post(action, [("csrf", csrf), ("capacity", "")])
            #expect(emptied.status == .seeOther)
            #expect(try await world.store.organisation(daycare.id)?.capacity == nil)
        }
        #expect(try await world.ledgerActions().filter { $0 == "provision:organisation-capacity" }.count == 2)
    }

    @Test("caseload controls are for the roles whose rules reach files through a caseload: the advisers of jeunes and emploi, no role of place05")
    func caseloadRoles() throws {
        let roles = try ["place05", "jeunes", "secu", "emploi"].map { name -> (String, [String]) in
            let profile = try Repo.profile(named: name)
            return (name, profile.roles.keys.filter(profile.usesCaseloads).sorted())
        }
        let by = Dictionary(uniqueKeysWithValues: roles)
        #expect(by["place05"] == [], "\(roles)")
        #expect(by["jeunes"]?.isEmpty == false && by["emploi"]?.contains("partner-adviser") == true, "\(roles)")
    }

    @Test("guichet organisations capacity sets and removes a capacity on the command line; it wants exactly one of --capacity and --none, and a known organisation")
    func changedOnTheCommandLine() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("registry").path
        func run(_ args: [String]) async throws -> CommandLineTests.Run { try await CommandLineTests.run(args + ["--data", data]) }
        #expect(try await CommandLineTests.run(["init", "--data", data]).status == 0)
        let added = try await run(["organisations", "add", "--kind", "daycare", "--name", "CPE Soleil", "--capacity", "40"])
        let id = try #require(ProvisionCommandTests.value(after: "added", in: added.stdout), "\(added.stdout) \(added.stderr)")

        let raised = try await run(["organisations", "capacity", "--organisation", id, "--capacity", "45"])
        #expect(raised.status == 0 && raised.stdout.contains("Organisation 'CPE Soleil': capacity 45 places"), "\(raised.stdout) \(raised.stderr)")
        #expect(try await run(["organisations", "list"]).stdout.contains("\tCPE Soleil\t45"))
        for (args, words) in [(["--capacity", "45", "--none"], "either --capacity N or --none"), ([], "either --capacity N or --none"),
                              (["--capacity=-1"], "from 0 to 1000000")] {
            let refused = try await run(["organisations", "capacity", "--organisation", id] + args)
            #expect(refused.status != 0 && refused.stderr.contains(words), "\(args): \(refused.stderr)")
        }
        let unknown = try await run(["organisations", "capacity", "--organisation", OrganisationID().rawValue, "--capacity", "3"])
        #expect(unknown.status != 0, "\(unknown.stdout)")
        let removed = try await run(["organisations", "capacity", "--organisation", id, "--none"])
        #expect(removed.status == 0 && removed.stdout.contains("capacity none"), "\(removed.stdout) \(removed.stderr)")
        #expect(try await run(["organisations", "list"]).stdout.contains("\tCPE Soleil\t-"))
    }
}
