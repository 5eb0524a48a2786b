import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore
import GuichetGate

/// The admin listener's pages in process: only its own accounts sign in there, changes need
/// a fresh second factor and the session's CSRF field.
@Suite(.serialized)
struct WebAdminPageTests {
    @Test("a security officer acknowledges an alert by form, with the session's CSRF field, and it leaves the queue; watches a person and stops")
    func acknowledge() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let daycare1 = try #require(try await world.store.account(username: "daycare1")).id
        // daycare1 reads one application (a child and a parent), for the incident's scope.
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        _ = try await world.gate.read(app.id, try await world.request("daycare1"))
        try await world.store.insert(alerts: [WatchAlert(id: "alert-1", at: Date(), account: daycare1, detector: "volume", severity: "high",
                                                         response: "step-up", detail: "synthetic: 40 files in 10 minutes")])
        try await world.withAdmin { client in
            var browser = PageClient(client)
            let refused = try await browser.signIn("parent-or-agent-name-unknown", World.password)
            #expect(refused.status == .unauthorized)
            let agent = try await browser.signIn("agent", World.password)
            #expect(agent.status == .unauthorized, "a public listener's account does not sign in on the admin listener")
            _ = try await browser.signIn("security", World.password)
            let form = try await browser.get("/web/second-factor")
            try await Task.sleep(for: .seconds(0))
            let code = try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30))
            let verified = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", code)])
            #expect(verified.location == "/web/home")
            let home = try await browser.get("/web/home")
            #expect(home.status == .ok && home.html.contains("alert-1"))
            let csrf = try #require(home.csrf)
            let without = try await browser.post("/web/security/alerts/alert-1/acknowledge", [("note", "checked")])
            #expect(without.status == .forbidden)
            #expect(try await world.store.alerts(openOnly: true, account: nil, limit: 10).count == 1, "nothing changed")
            let done = try await browser.post("/web/security/alerts/alert-1/acknowledge", [("csrf", csrf), ("note", "checked with the daycare")])
            #expect(done.status == .seeOther, "\(done.status) \(done.html)")
            #expect(try await world.store.alerts(openOnly: true, account: nil, limit: 10).isEmpty)
            // A watched person: flagged with a reason, listed with it, then unflagged.
            let person = try await world.registerParent("parent9")
            let flagged = try await browser.post("/web/security/watched", [("csrf", csrf), ("person", person.rawValue), ("reason", "synthetic: a public figure")])
            #expect(flagged.status == .seeOther)
            let listed = try await browser.get("/web/home")
            #expect(listed.html.contains("synthetic: a public figure") && listed.html.contains(person.rawValue))
            let unflagged = try await browser.post("/web/security/watched/\(person.rawValue)/remove", [("csrf", csrf)])
            let stillWatched = try await world.store.watchedPersons()
            #expect(unflagged.status == .seeOther && stillWatched.isEmpty)
            // An incident's first step: what daycare1 received, from the signed ledger (no value).
            let scope = try await browser.get("/web/security/scope?account=daycare1")
            #expect(scope.status == .ok && scope.html.contains(#"<span id="scope-count">2</span>"#), "the child and the parent daycare1 read")
            #expect(!WebPageTests.personal.contains { scope.html.contains($0) }, "persons by number, fields by label, never a value")
        }
    }
}

/// A leaver's account deactivated from the administrators' page (docs/OPERATIONS.md, step 7).
@Suite(.serialized)
struct WebDeactivationPageTests {
    @Test("an administrator deactivates a leaver by form, with a reason and a box ticked; a privileged account waits for a second administrator")
    func deactivate() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let secret = try await WebCaseloadPageTests.enrolAdmin(world)
        let adviser1 = try #require(world.accounts["adviser1"]), admin2 = try #require(world.accounts["admin2"])
        let adviserToken = try await world.token("adviser1")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            world.clock.advance(30)
            _ = try await browser.signIn("admin", EmploiWorld.password, totp: secret, at: world.clock.now)
            let home = try await browser.get("/web/home?lang=en")
            let action = "/web/admin/accounts/\(adviser1.rawValue)/deactivate"
            #expect(home.html.contains(#"action="\#(action)""#))
            let csrf = try #require(home.csrf)
            let unconfirmed = try await browser.post(action, [("csrf", csrf), ("reason", "left on 2026-12-04, ticket OPS-118")])
            #expect(unconfirmed.status == .badRequest)
            #expect(try await world.store.account(id: adviser1)?.status == "active", "nothing changed")
            let done = try await browser.post(action, [("csrf", csrf), ("reason", "left on 2026-12-04, ticket OPS-118"), ("confirm", "yes")])
            #expect(done.status == .ok && done.html.contains(#"id="account-left""#), "\(done.status)")
            #expect(try await world.store.account(id: adviser1)?.status == "disabled")
            await #expect(throws: GuichetError.unauthenticated) { _ = try await world.auth.authenticate(token: adviserToken) }
            let privileged = try await browser.post("/web/admin/accounts/\(admin2.rawValue)/deactivate",
                                                    [("csrf", csrf), ("reason", "left on 2026-12-04, ticket OPS-119"), ("confirm", "yes")])
            #expect(privileged.status == .ok && privileged.html.contains("waits for a second administrator"))
            #expect(try await world.store.account(id: admin2)?.status == "active", "a privileged account waits for a second administrator")
        }
    }
}

/// Caseloads on the admin listener's page (emploi): each adviser's count, and its transfer.
@Suite(.serialized)
struct WebCaseloadPageTests {
    /// Enrols the administrator's app at the world's clock; returns its secret.
    static func enrolAdmin(_ world: EmploiWorld) async throws -> String {
        let session = try await world.auth.signIn(username: "admin", password: EmploiWorld.password)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: try await world.activationCode("admin"))
        _ = try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: world.clock.now))
        return secret
    }

    @Test("an administrator sees each adviser's caseload and asks by form to transfer one to a colleague, with a fresh second factor; a second administrator's approval moves it")
    func transfer() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let secret = try await WebCaseloadPageTests.enrolAdmin(world)
        let adviser1 = try #require(world.accounts["adviser1"])
        // A colleague at the same agency (a transfer never crosses organisations).
        let adviser2 = try await world.auth.createAccount(username: "adviser3", password: EmploiWorld.password, role: "adviser",
                                                          organisation: world.summary.agencies[0].id, territory: world.summary.agencies[0].territory, createdBy: nil)
        let before = try await world.store.caseload(of: adviser1).count
        #expect(before > 0)
        try await world.withAdmin { client in
            var browser = PageClient(client)
            world.clock.advance(30)
            _ = try await browser.signIn("admin", EmploiWorld.password, totp: secret, at: world.clock.now)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.status == .ok && home.html.contains(#"<td class="caseload">\#(before)"#), "the adviser's caseload is counted")
            let done = try await browser.post("/web/admin/accounts/\(adviser1.rawValue)/caseload/transfer", [("csrf", try #require(home.csrf)), ("to", adviser2.rawValue)])
            #expect(done.status == .seeOther, "\(done.status) \(done.html.firstMatch(of: #/id="detail">([^<]*)/#).map { String($0.1) } ?? "")")
            // A caseload waits for a second administrator: nothing moved, the request is listed.
            #expect(try await world.store.caseload(of: adviser1).count == before)
            let listed = try await browser.get("/web/home")
            let request = try #require(try await world.store.pendingCaseloadRequests().first)
            #expect(request.to == adviser2 && request.dossiers.count == before)
            // Its requester may not approve it: no button that would fail, a line saying it waits.
            #expect(listed.html.contains(#"<tr class="request">"#) && !listed.html.contains("/web/admin/requests/\(request.id)/approve"))
            #expect(listed.html.contains("Your request: it waits for another administrator to approve it."))
            let french = try await browser.get("/web/home?lang=fr")
            #expect(french.html.contains(WebPageTests.escaped("Votre demande : elle attend l'accord d'un autre administrateur.")))
            _ = try await browser.get("/web/home?lang=en")
            // The second administrator gets the button, and it approves.
            let session2 = try await world.auth.signIn(username: "admin2", password: EmploiWorld.password)
            let (secret2, _) = try await world.auth.beginTOTP(session2.principal, activationCode: try await world.activationCode("admin2"))
            _ = try await world.auth.verifyTOTP(session2.principal, code: try TOTPSecret(base32: secret2).code(at: world.clock.now))
            world.clock.advance(30)
            var other = PageClient(client)
            _ = try await other.signIn("admin2", EmploiWorld.password)
            let form2 = try await other.get("/web/second-factor?lang=en")
            _ = try await other.post("/web/second-factor", [("csrf", try #require(form2.csrf)), ("code", try TOTPSecret(base32: secret2).code(at: world.clock.now))])
            let theirs = try await other.get("/web/home")
            #expect(theirs.html.contains("/web/admin/requests/\(request.id)/approve") && !theirs.html.contains("waits for another administrator"))
            let approved = try await other.post("/web/admin/requests/\(request.id)/approve", [("csrf", try #require(theirs.csrf))])
            #expect(approved.status == .seeOther, "\(approved.status)")
            #expect(try await world.store.caseload(of: adviser1).isEmpty)
            #expect(try await world.store.caseload(of: adviser2).count == before)
            world.clock.advance(400)  // past the five minutes of a fresh second factor
            let stale = try await browser.post("/web/admin/accounts/\(adviser2.rawValue)/caseload/transfer", [("csrf", try #require(home.csrf)), ("to", adviser1.rawValue)])
            #expect(stale.status == .forbidden && stale.html.contains(#"id="verify-again""#), "a transfer needs a fresh second factor, said in plain words")
            #expect(try await world.store.caseload(of: adviser2).count == before, "nothing moved")
            // The home after five idle minutes: the second-factor step, then back home (an
            // everyday users' audit met an error page without a menu, whose home link looped).
            let idle = try await browser.get("/web/home")
            #expect(idle.status == .seeOther && idle.location == "/web/second-factor?next=%2Fweb%2Fhome", "\(idle.status) \(idle.location ?? "")")
        }
    }
}

/// Versions and restore on the administrators' registry page, through the gate.
@Suite(.serialized)
struct WebRegistryPageTests {
    @Test("an administrator lists a file's kept versions (no personal field) and restores the first by form; the ledger's checkpoints are listed")
    func restore() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        _ = try await world.gate.update(app.id, DossierChanges(fields: ["daysPerWeek": .number(3)], partners: nil, expectedVersion: nil), try await world.request("parent1"))
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password)
            for path in ["/web/admin/registry", "/web/admin/registry?id=\(app.id.rawValue)", "/web/admin/keys"] {
                let early = try await browser.get(path)
                #expect(early.status == .forbidden && !early.html.contains(#"<tr class="checkpoint">"#), "the password alone opens no administrator's page: \(path)")
            }
            let form = try await browser.get("/web/second-factor?lang=en")
            let before = try #require(browser.cookies["__Host-guichet-admin"])
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)),
                                                              ("code", try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30)))])
            // A new session token once the factor is passed; the one of the password alone is dead.
            let after = try #require(browser.cookies["__Host-guichet-admin"])
            #expect(after != before)
            var stale = PageClient(client)
            stale.cookies["__Host-guichet-admin"] = before
            let old = try await stale.get("/web/admin/registry")
            #expect(old.status == .seeOther && old.location == "/web/sign-in?next=%2Fweb%2Fadmin%2Fregistry", "the token taken before the factor opens nothing")
            let page = try await browser.get("/web/admin/registry?id=\(app.id.rawValue)")
            #expect(page.status == .ok && page.html.components(separatedBy: #"<tr class="version">"#).count == 3, "two versions kept")
            #expect(page.html.contains(#"<tr class="checkpoint">"#) && page.html.contains(#"<tr class="metric">"#), "checkpoints and the metrics summary")
            #expect(!WebPageTests.personal.contains { page.html.contains($0) }, "no personal field on the versions page")
            let restore = try #require(page.html.firstMatch(of: #/action="(/web/admin/dossiers/[^"]+/versions/1/restore)"/#).map { String($0.1) })
            let unconfirmed = try await browser.post(restore, [("csrf", try #require(page.csrf))])
            #expect(unconfirmed.status == .badRequest && unconfirmed.html.contains("tick the box"), "a restore asks to tick a box first")
            #expect(try await world.gate.read(app.id, try await world.request("parent1")).version == 2, "nothing restored")
            let done = try await browser.post(restore, [("csrf", try #require(page.csrf)), ("confirm", "yes")])
            #expect(done.status == .seeOther, "\(done.status)")
            let view = try await world.gate.read(app.id, try await world.request("parent1"))
            #expect(view.fields["daysPerWeek"] == .integer(5) && view.version == 3, "version 1 restored as version 3")
        }
    }
}
