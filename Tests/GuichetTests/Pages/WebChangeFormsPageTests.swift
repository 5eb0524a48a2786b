import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
@testable import GuichetServer

/// The dossier page's change forms (pages audit #3): a person's fields the caller's update
/// grant lets them set, each in a form of its own posted to `/web/dossiers/ID/persons/PID`,
/// and the services chosen in the file's "Change" form, where the grant lets the caller set
/// `partners`. Synthetic data only.
@Suite(.serialized)
struct WebChangeFormsPageTests {
    /// The form of one person on a dossier page, whole.
    static func personForm(_ html: String, _ person: PersonID) -> String? {
        guard let start = html.range(of: "id=\"person-\(person.rawValue)\"") else { return nil }
        let rest = html[start.lowerBound...]
        return rest.range(of: "</form>").map { String(rest[..<$0.upperBound]) }
    }

    /// The value of an input of a form (the first of that name).
    static func value(_ form: String, _ name: String) -> String? {
        guard let start = form.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = form[start.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }

    /// The selected option of each service slot of the file's "Change" form, in order.
    static func chosenSlots(_ html: String) -> [String] {
        guard let start = html.range(of: #"<fieldset id="edit-partners">"#), let end = html[start.upperBound...].range(of: "</fieldset>") else { return [] }
        return html[start.upperBound..<end.lowerBound].matches(of: #/<select id="edit-partner-\d+" name="partner"[^>]*>(.*?)</select>/#).map { slot in
            slot.1.firstMatch(of: #/<option value="([^"]*)" selected>/#).map { String($0.1) } ?? ""
        }
    }

    @Test("an agent changes a parent's e-mail, phone and address from the file's page: written, journalled, readable; a stale version and a bad value come back on the page as typed")
    func agentChangesParentContact() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let child = try #require(app.persons.first { $0.role == "child" }?.person)
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let path = "/web/dossiers/\(app.id.rawValue)?purpose=family-request"
            let page = try await browser.get(path + "&lang=en")
            let form = try #require(Self.personForm(page.html, parent), "the parent's form")
            #expect(form.contains("Change contact details (Parent)"))
            #expect(form.contains(#"type="email" id="person-\#(parent.rawValue)-email" name="p.email" value="parent1@example.org""#))
            #expect(form.contains(#"type="tel""#) && form.contains(#"name="p.phone""#) && form.contains(#"name="p.address""#))
            #expect(!form.contains("p.firstName") && !form.contains("p.nam"), "only what the agent's rule lets it write")
            #expect(Self.personForm(page.html, child) == nil, "the agent may change nothing of the child")
            let version = try #require(Self.value(form, "version"))
            let phone = try #require(Self.value(form, "p.phone"))
            let csrf = try #require(page.csrf)
            let action = "/web/dossiers/\(app.id.rawValue)/persons/\(parent.rawValue)"
            let changed = try await browser.post(action, [("csrf", csrf), ("purpose", "family-request"), ("version", version),
                                                          ("p.email", "julie.moved@example.org"), ("p.phone", phone),
                                                          ("p.address", "12 rue des Érables, Gatineau")])
            #expect(changed.status == .seeOther && changed.location?.hasSuffix("&done=person") == true, "\(changed.status)")
            let after = try await browser.get((changed.location ?? "") + "&lang=en")
            #expect(after.html.contains("The person&#39;s details were saved.") || after.html.contains("The person's details were saved."))
            #expect(after.html.contains("julie.moved@example.org") && after.html.contains("12 rue des Érables, Gatineau"))
            let now = try await world.gate.readPerson(parent, try await world.request("parent1"))
            #expect(now.fields["email"]?.revealedJSON == .string("julie.moved@example.org") && now.version == (Int(version) ?? 0) + 1)
            let writes = try await world.ledger.journal().filter { $0.role == "agent" && $0.action == "update" && $0.persons == [parent] }
            #expect(writes.count == 1 && writes[0].allowed && writes[0].fields.contains("parent.email") && writes[0].purpose == "family-request")
            // The form as it was before that change: refused as stale, the form back as typed with why.
            let stale = try await browser.post(action, [("csrf", csrf), ("purpose", "family-request"), ("version", version),
                                                        ("p.email", "too.late@example.org"), ("p.phone", phone), ("p.address", "")])
            #expect(stale.status == .conflict)
            let staleForm = try #require(Self.personForm(stale.html, parent))
            #expect(staleForm.contains(#"id="person-\#(parent.rawValue)-error""#) && staleForm.contains("changed since version"))
            #expect(Self.value(staleForm, "p.email") == "too.late@example.org", "as typed")
            #expect(Self.value(staleForm, "version") == String((Int(version) ?? 0) + 1), "saving again replaces what is on file now")
            #expect(stale.html.contains("julie.moved@example.org"), "what is on file now, above the form")
            // A value the gate refuses: the form again as typed, with the field named.
            let bad = try await browser.post(action, [("csrf", csrf), ("purpose", "family-request"), ("version", String((Int(version) ?? 0) + 1)),
                                                      ("p.email", "not an address"), ("p.phone", phone), ("p.address", "12 rue des Érables, Gatineau")])
            let badForm = try #require(Self.personForm(bad.html, parent))
            #expect(bad.status == .badRequest && Self.value(badForm, "p.email") == "not an address")
            #expect(bad.html.contains(#"id="person-\#(parent.rawValue)-error""#) && !bad.html.contains("The request did not go through"))
            // Said at the top too, linking down to the form's error (a social-security audit: the error sat far below the fold).
            let top = try #require(bad.html.range(of: ##"<p class="error" id="change-failed-top"><a href="#person-\##(parent.rawValue)-error">"##), "a link at the top")
            #expect(top.lowerBound < bad.html.range(of: #"id="person-\#(parent.rawValue)-error""#)!.lowerBound)
            // Without the form's CSRF field: refused, nothing written.
            let forged = try await browser.post(action, [("purpose", "family-request"), ("p.email", "forged@example.org")])
            #expect(forged.status == .forbidden)
            let last = try await world.gate.readPerson(parent, try await world.request("parent1"))
            #expect(last.fields["email"]?.revealedJSON == .string("julie.moved@example.org") && last.version == now.version)
            // In French: the same form, its title in French.
            let french = try await browser.get(path + "&lang=fr")
            #expect(try #require(Self.personForm(french.html, parent)).contains("Modifier les coordonnées (Parent)"))
        }
    }

    @Test("a parent changes the services chosen from the file's page, the current ones prefilled in order; none chosen is refused (the profile's minimum) with the choice kept")
    func parentChangesServices() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1", daycares: [0, 2])
        let (d0, d1, d2) = (world.daycares[0].id.rawValue, world.daycares[1].id.rawValue, world.daycares[2].id.rawValue)
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let path = "/web/dossiers/\(app.id.rawValue)"
            let page = try await browser.get(path + "?lang=en")
            #expect(page.html.contains(#"<fieldset id="edit-partners">"#) && page.html.contains("Choose from 1 to 10 services"))
            #expect(Self.chosenSlots(page.html) == [d0, d2, ""], "the current choices in their order, one slot free")
            let csrf = try #require(page.csrf)
            let version = try #require(Self.value(page.html, "version"))
            let changed = try await browser.post(path, [("csrf", csrf), ("purpose", ""), ("version", version), ("partners-offered", "1"),
                                                        ("partner", d1), ("partner", d0), ("partner", "")])
            #expect(changed.status == .seeOther, "\(changed.status)")
            let view = try await world.gate.read(app.id, try await world.request("parent1"))
            #expect(view.partners?.map(\.rawValue) == [d1, d0])
            let reloaded = try await browser.get(path + "?lang=en")
            #expect(Self.chosenSlots(reloaded.html) == [d1, d0, ""])
            // None chosen: below the profile's minimum; the page again, the slots as sent, with why.
            let none = try await browser.post(path, [("csrf", csrf), ("purpose", ""), ("version", String(view.version)), ("partners-offered", "1"),
                                                     ("partner", ""), ("partner", ""), ("partner", "")])
            #expect(none.status == .badRequest && none.html.contains(#"id="edit-error""#) && none.html.contains("from 1 to 10"))
            #expect(try await world.gate.read(app.id, try await world.request("parent1")).partners?.map(\.rawValue) == [d1, d0], "nothing written")
        }
    }

    @Test("an agent changes the services chosen; a daycare sees no change form and its forged posts are refused with nothing written")
    func agentServicesAndDaycareRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1", daycares: [0])
        let agentSecret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        let daycareSecret = try await WebPagesBrowserTests.enrolTOTP(world, "daycare1")
        let before = try await world.gate.readPerson(parent, try await world.request("parent1"))
        try await world.withPublic { client in
            var agent = PageClient(client)
            _ = try await agent.signIn("agent", World.password, totp: agentSecret, at: world.clock().addingTimeInterval(30))
            let page = try await agent.get("/web/dossiers/\(app.id.rawValue)?purpose=list-management&lang=en")
            #expect(Self.chosenSlots(page.html) == [world.daycares[0].id.rawValue, "", ""])
            let changed = try await agent.post("/web/dossiers/\(app.id.rawValue)", [
                ("csrf", try #require(page.csrf)), ("purpose", "list-management"), ("version", try #require(Self.value(page.html, "version"))),
                ("partners-offered", "1"), ("partner", world.daycares[0].id.rawValue), ("partner", world.daycares[1].id.rawValue)])
            #expect(changed.status == .seeOther)
            #expect(try await world.gate.read(app.id, try await world.request("parent1")).partners == [world.daycares[0].id, world.daycares[1].id])

            var daycare = PageClient(client)
            _ = try await daycare.signIn("daycare1", World.password, totp: daycareSecret, at: world.clock().addingTimeInterval(30))
            let seen = try await daycare.get("/web/dossiers/\(app.id.rawValue)?purpose=placement&lang=en")
            #expect(seen.status == .ok && seen.html.contains(#"id="fields""#))
            #expect(!seen.html.contains("person-change") && !seen.html.contains("edit-partners") && !seen.html.contains(#"id="edit""#))
            let csrf = try #require(seen.csrf)
            let person = try await daycare.post("/web/dossiers/\(app.id.rawValue)/persons/\(parent.rawValue)", [
                ("csrf", csrf), ("purpose", "placement"), ("p.email", "forged@example.org")])
            #expect(person.status == .forbidden || person.status == .notFound, "\(person.status)")
            let services = try await daycare.post("/web/dossiers/\(app.id.rawValue)", [
                ("csrf", csrf), ("purpose", "placement"), ("partners-offered", "1"), ("partner", world.daycares[2].id.rawValue)])
            #expect(services.status == .forbidden || services.status == .notFound, "\(services.status)")
        }
        let after = try await world.gate.readPerson(parent, try await world.request("parent1"))
        #expect(after.version == before.version && after.fields["email"]?.revealedJSON == .string("parent1@example.org"), "nothing written")
        #expect(try await world.gate.read(app.id, try await world.request("parent1")).partners == [world.daycares[0].id, world.daycares[1].id])
    }

    @Test("an adviser changes a job seeker's contact details from the file's page (emploi): written, journalled, shown in both languages")
    func adviserChangesSeekerContact() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let files = try await world.store.dossiers(world.summary.agencyCaseload).filter { $0.status != "deregistered" }
        let file = try #require(files.first, "the generator gives adviser1's agency open files")
        let seeker = try #require(file.persons.first { $0.role == "seeker" }?.person)
        let adviserSecret = try await WebPartnerExportPageTests.enrol(world, "adviser1")
        world.clock.advance(30)
        try await world.withPublic { client in
            var adviser = PageClient(client)
            _ = try await adviser.signIn("adviser1", EmploiWorld.password, totp: adviserSecret, at: world.clock.now)
            let path = "/web/dossiers/\(file.id.rawValue)?purpose=support"
            let page = try await adviser.get(path + "&lang=en")
            let form = try #require(Self.personForm(page.html, seeker), "the job seeker's form")
            #expect(form.contains("Change the job seeker&#39;s contact details") || form.contains("Change the job seeker's contact details"))
            #expect(form.contains(#"name="p.email""#) && form.contains(#"name="p.phone""#) && form.contains(#"name="p.address""#))
            #expect(!form.contains("p.lastName") && !form.contains("p.nir"))
            let sent = [("csrf", try #require(page.csrf)), ("purpose", "support"), ("version", try #require(Self.value(form, "version"))),
                        ("p.email", "new.contact@example.org"), ("p.phone", Self.value(form, "p.phone") ?? ""),
                        ("p.address", "3 place du Marché, Lyon")]
            let changed = try await adviser.post("/web/dossiers/\(file.id.rawValue)/persons/\(seeker.rawValue)", sent)
            #expect(changed.status == .seeOther, "\(changed.status) \(changed.html.prefix(2_000))")
            let after = try await adviser.get(path + "&lang=fr")
            #expect(after.html.contains("new.contact@example.org") && after.html.contains("3 place du Marché, Lyon"))
            #expect(after.html.contains("Modifier les coordonnées du demandeur d&#39;emploi") || after.html.contains("Modifier les coordonnées du demandeur d'emploi"))
            let writes = try await world.ledger.journal(account: world.accounts["adviser1"]).filter { $0.action == "update" && $0.persons == [seeker] }
            #expect(writes.count == 1 && writes[0].allowed && writes[0].fields.contains("seeker.email"))
        }
    }

    @Test("a partner adviser, whose rule writes no person field, sees no person form on a file of its caseload, and a forged post is refused with nothing written")
    func partnerAdviserRefused() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        // An open file of the registry put in partner1's caseload (a small world may give it none open).
        let files = try await world.store.dossiers(Array(try await world.allDossiers().prefix(50))).filter { $0.status != "deregistered" }
        let file = try #require(files.first)
        try await world.store.assign([file.id], to: try #require(world.accounts["partner1"]))
        let seeker = try #require(file.persons.first { $0.role == "seeker" }?.person)
        let before = try #require(try await world.store.persons([seeker])[seeker]?.version)
        let secret = try await WebPartnerExportPageTests.enrol(world, "partner1")
        world.clock.advance(30)
        try await world.withPublic { client in
            var partner = PageClient(client)
            _ = try await partner.signIn("partner1", EmploiWorld.password, totp: secret, at: world.clock.now)
            let page = try await partner.get("/web/dossiers/\(file.id.rawValue)?purpose=disability-support&lang=en")
            #expect(page.status == .ok && page.html.contains(#"id="fields""#))
            #expect(!page.html.contains("person-change"), "no person form")
            #expect(page.html.contains(#"id="edit""#), "its own fields' form stays")
            let forged = try await partner.post("/web/dossiers/\(file.id.rawValue)/persons/\(seeker.rawValue)", [
                ("csrf", try #require(page.csrf)), ("purpose", "disability-support"), ("p.email", "forged@example.org")])
            #expect(forged.status == .forbidden, "\(forged.status)")
        }
        #expect(try await world.store.persons([seeker])[seeker]?.version == before, "nothing written")
        let refused = try await world.ledger.journal(account: world.accounts["partner1"]).filter { $0.action == "update" }
        #expect(refused.allSatisfy { !$0.allowed } && !refused.isEmpty, "the refusal is journalled")
    }
}
