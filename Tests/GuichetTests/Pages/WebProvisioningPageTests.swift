import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore

/// Territories on the admin listener's pages, as `GET/POST /admin/v1/territories`.
@Suite(.serialized)
struct WebTerritoriesPageTests {
    @Test("an administrator lists the territories and adds one by form (CSRF, a fresh factor); a bad or taken code comes back as typed and adds nothing; the organisation form offers it")
    func addByForm() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        let officer = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password, totp: secret)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.html.contains(#"href="/web/admin/territories""#), "linked from the administrator's home")
            let page = try await browser.get("/web/admin/territories")
            #expect(page.status == .ok && page.html.contains("Territories") && page.html.contains(#"id="new-territory""#))
            let csrf = try #require(page.csrf)
            let before = try await world.store.territories().count

            let forged = try await browser.post("/web/admin/territories", [("code", "75-nord"), ("name", "Paris nord")])
            #expect(forged.status == .forbidden)
            let bad = try await browser.post("/web/admin/territories", [("csrf", csrf), ("code", "75 nord"), ("name", "Paris nord")])
            #expect(bad.status == .badRequest && bad.html.contains("The territory was not added:") && bad.html.contains("1 to 32 characters"))
            #expect(bad.html.contains(#"value="75 nord""#) && bad.html.contains(#"value="Paris nord""#), "the form comes back as typed")
            #expect(try await world.store.territories().count == before, "nothing was added")

            let added = try await browser.post("/web/admin/territories", [("csrf", csrf), ("code", "75-nord"), ("name", "Paris nord")])
            #expect(added.status == .seeOther && added.location == "/web/admin/territories?done=territory")
            let listed = try await browser.get(try #require(added.location))
            #expect(listed.html.contains("The territory was added.") && listed.html.contains("<td><code>75-nord</code></td><td>Paris nord</td><td>0</td>"))
            #expect(try await world.store.territories().contains { $0.code == "75-nord" && $0.name == "Paris nord" })
            let taken = try await browser.post("/web/admin/territories", [("csrf", csrf), ("code", "75-nord"), ("name", "Autre")])
            #expect(taken.status == .conflict && taken.html.contains("A territory already has this code"))
            #expect(try await world.store.territories().filter { $0.code == "75-nord" }.map(\.name) == ["Paris nord"])

            // The organisation form offers the territory, and an organisation in it is counted.
            let withIt = try await browser.get("/web/home")
            #expect(withIt.html.contains(#"<option value="75-nord">75-nord · Paris nord</option>"#))
            let org = try await browser.post("/web/admin/organisations", [("csrf", csrf), ("kind", "daycare"), ("name", "CPE du Nord"), ("territory", "75-nord")])
            #expect(org.status == .seeOther)
            let counted = try await browser.get("/web/admin/territories?lang=fr")
            #expect(counted.html.contains("<td><code>75-nord</code></td><td>Paris nord</td><td>1</td>"))
            #expect(counted.html.contains("Territoires") && counted.html.contains("Ajouter un territoire"))
        }
        // Not for a security officer.
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("security", World.password, totp: officer)
            let refused = try await browser.get("/web/admin/territories?lang=en")
            #expect(refused.status == .forbidden && !refused.html.contains(#"id="new-territory""#))
        }
    }
}

/// A staff or partner account's caseload on its own page, and assigning one file to it, as
/// `GET/POST /admin/v1/accounts/{id}/caseload`; a file in another caseload is moved only after a
/// tick box that names that caseload.
@Suite(.serialized)
struct WebCaseloadAssignPageTests {
    @Test("an administrator sees an adviser's caseload by number and asks by form to assign a file; one held by another adviser needs the tick box that names them; a second administrator's approval moves it", arguments: ["en", "fr"])
    func assign(_ language: String) async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let fr = language == "fr"
        let secret = try await WebCaseloadPageTests.enrolAdmin(world)
        let adviser1 = try #require(world.accounts["adviser1"])
        let agency = world.summary.agencies[0]
        let adviser3 = try await world.auth.createAccount(username: "adviser3", password: EmploiWorld.password, role: "adviser",
                                                          organisation: agency.id, territory: agency.territory, createdBy: nil)
        let held = try await world.store.caseload(of: adviser1)
        let taken = try #require(held.first)
        // A file of the same agency in no caseload.
        var inCaseloads = Set(held)
        for name in ["partner1", "partner2"] { inCaseloads.formUnion(try await world.store.caseload(of: try #require(world.accounts[name]))) }
        let free = try #require(try await world.store.dossiers(try await world.allDossiers().filter { !inCaseloads.contains($0) })
            .first { $0.organisation == agency.id && $0.assignedAgent == nil }?.id)
        let action = "/web/admin/accounts/\(adviser3.rawValue)/caseload"

        try await world.withAdmin { client in
            var browser = PageClient(client)
            world.clock.advance(30)
            _ = try await browser.signIn("admin", EmploiWorld.password, totp: secret, at: world.clock.now)
            let home = try await browser.get("/web/home?lang=\(language)")
            #expect(home.html.contains(#"href="/web/admin/accounts/\#(adviser1.rawValue)/caseload""#), "linked from the accounts page")
            let view = try await browser.get("/web/admin/accounts/\(adviser1.rawValue)/caseload")
            #expect(view.status == .ok && view.html.contains(fr ? "Portefeuille de" : "Caseload of") && view.html.contains(">\(taken.rawValue)</code>"))
            #expect(view.html.components(separatedBy: #"<code class="dossier">"#).count - 1 == min(held.count, 500), "every file by number")
            let empty = try await browser.get(action)
            #expect(empty.html.contains(#"id="caseload-empty""#))
            let csrf = try #require(empty.csrf)

            // Refusals change nothing.
            let forged = try await browser.post(action, [("dossier", free.rawValue)])
            #expect(forged.status == .forbidden)
            let bad = try await browser.post(action, [("csrf", csrf), ("dossier", "not a number")])
            #expect(bad.status == .badRequest && bad.html.contains(fr ? "Ce n&#39;est pas un numéro de dossier" : "This is not a file number"))
            let unknown = try await browser.post(action, [("csrf", csrf), ("dossier", DossierID().rawValue)])
            #expect(unknown.status == .notFound && unknown.html.contains(fr ? "Aucun dossier ne porte ce numéro" : "No file has this number"))
            let already = try await browser.post("/web/admin/accounts/\(adviser1.rawValue)/caseload", [("csrf", csrf), ("dossier", taken.rawValue)])
            #expect(already.status == .conflict && already.html.contains(fr ? "déjà dans ce portefeuille" : "already in this caseload"))
            #expect(try await world.store.pendingCaseloadRequests().isEmpty, "nothing was asked")

            // A file in adviser1's caseload: the page names adviser1 and asks for the tick box first.
            let ask = try await browser.post(action, [("csrf", csrf), ("dossier", taken.rawValue)])
            #expect(ask.status == .conflict && ask.html.contains(#"id="assign-confirm-needed""#) && ask.html.contains("<strong>adviser1</strong>"))
            #expect(ask.html.contains(fr ? "Ce dossier est aujourd&#39;hui dans le portefeuille de" : "This file is now in the caseload of"))
            #expect(ask.html.contains(#"id="assign-confirm""#) && ask.html.contains(#"value="\#(taken.rawValue)""#), "the number kept, the box offered")
            #expect(try await world.store.pendingCaseloadRequests().isEmpty, "nothing was asked without the box")
            let confirmed = try await browser.post(action, [("csrf", csrf), ("dossier", taken.rawValue), ("confirm", "yes")])
            #expect(confirmed.status == .ok && confirmed.html.contains(#"id="assign-asked""#) && confirmed.html.contains(#"id="assign-moves-from""#))
            #expect(confirmed.html.contains(fr ? "le dossier quittera le portefeuille de" : "the file will leave the caseload of"))
            // A file in no caseload: asked at once, nothing to move it from.
            let plain = try await browser.post(action, [("csrf", csrf), ("dossier", free.rawValue)])
            #expect(plain.status == .ok && plain.html.contains(#"id="assign-asked""#) && !plain.html.contains(#"id="assign-moves-from""#))
            let requests = try await world.store.pendingCaseloadRequests()
            #expect(requests.count == 2 && Set(requests.flatMap(\.dossiers)) == [taken, free] && requests.allSatisfy { $0.to == adviser3 && $0.kind == .assign })
            #expect(plain.html.contains(#"<tr class="caseload-request">"#), "the requests waiting are listed on the caseload page")
            #expect(try await world.store.caseload(of: adviser3).isEmpty, "nothing moves before a second administrator approves")
            let listed = try await browser.get("/web/home")
            #expect(listed.html.contains((fr ? "Attribution" : "Assignment") + " (1)" + (fr ? "\u{00A0}: " : ": ") + taken.rawValue + " ← adviser1"),
                    "the requests list names the file and the caseload it empties")

            // The second administrator approves both.
            let session2 = try await world.auth.signIn(username: "admin2", password: EmploiWorld.password)
            let (secret2, _) = try await world.auth.beginTOTP(session2.principal, activationCode: try await world.activationCode("admin2"))
            _ = try await world.auth.verifyTOTP(session2.principal, code: try TOTPSecret(base32: secret2).code(at: world.clock.now))
            world.clock.advance(30)
            var other = PageClient(client)
            _ = try await other.signIn("admin2", EmploiWorld.password, totp: secret2, at: world.clock.now)
            let theirs = try await other.get("/web/home")
            for r in requests {
                let approved = try await other.post("/web/admin/requests/\(r.id)/approve", [("csrf", try #require(theirs.csrf))])
                #expect(approved.status == .seeOther, "\(approved.status)")
            }
            #expect(Set(try await world.store.caseload(of: adviser3)) == [taken, free])
            #expect(!(try await world.store.caseload(of: adviser1)).contains(taken), "moved out of adviser1's caseload")
            let after = try await other.get(action)
            #expect(after.html.contains(">\(taken.rawValue)</code>") && after.html.contains(">\(free.rawValue)</code>"))

            // Not an account with a caseload.
            let admin2 = try #require(world.accounts["admin2"])
            let none = try await browser.get("/web/admin/accounts/\(admin2.rawValue)/caseload")
            #expect(none.status == .badRequest)
        }
    }
}
