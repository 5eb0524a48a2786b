import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// Names the store and the watch keep (choices, detectors, responses, notices, organisation
/// kinds, version and incident changes) read in the page's language, not as raw names.
@Suite(.serialized)
struct WebLabelsPageTests {
    @Test("a choice reads in the file's page and the export as in the edit form's list ('temps plein', not 'full-time')")
    func choiceLabels() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")  // schedule: full-time
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let page = try await browser.get("/web/dossiers/\(app.id.rawValue)?lang=fr")
            #expect(page.html.contains("<dd>temps plein</dd>") && !page.html.contains("<dd>full-time</dd>"), "the read view uses the choice_ labels")
            #expect(page.html.contains(#"<option value="full-time" selected>temps plein</option>"#), "and the edit list still selects the value")
            let export = try await browser.get("/web/export")
            #expect(export.html.contains("<dd>temps plein</dd>") && !export.html.contains("<dd>full-time</dd>"))
        }
    }

    @Test("a security officer reads alerts' detectors, severities and responses, and the account's notices, in French")
    func officerLabels() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        let daycare1 = try #require(try await world.store.account(username: "daycare1")).id
        try await world.store.insert(alerts: [WatchAlert(id: "alert-1", at: Date(), account: daycare1, detector: "fresh-account", severity: "high",
                                                         response: "step-up", detail: "synthetic detail"),
                                              WatchAlert(id: "alert-2", at: Date(), account: daycare1, detector: "new-privileged-account", severity: "info",
                                                         response: "alert", detail: "an account of role 'daycare' (partner) became active")])
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let home = try await browser.get("/web/home?lang=fr")
            #expect(home.html.contains("compte tout récent (élevée)") && home.html.contains("nouvelle vérification du second facteur"), "detector, severity, response")
            #expect(!home.html.contains("fresh-account") && !home.html.contains(">step-up<"))
            #expect(home.html.contains("un compte du rôle «\u{00A0}service de garde\u{00A0}» (partenaire) est devenu actif"), "the role and its kind by their labels")
            #expect(!home.html.contains("'daycare' (partner)"))
            let account = try await browser.get("/web/account")
            #expect(account.html.contains("code d&#39;activation émis") || account.html.contains("code d'activation émis"), "the notice's kind in French")
            #expect(!account.html.contains("activation-code-issued"))
        }
    }

    @Test("an administrator reads organisation kinds, the new account's status and versions' changes in French")
    func adminLabels() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        _ = try await world.gate.transition(app.id, "offer", try await world.request("daycare1"))
        let op = try #require(try await world.store.organisations(kind: "operator").first).id.rawValue
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password)
            let form = try await browser.get("/web/second-factor?lang=fr")
            let code = try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30))
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", code)])
            let home = try await browser.get("/web/home")
            #expect(home.html.contains("<td>exploitant</td>") && home.html.contains("<td>service de garde</td>"), "organisation kinds")
            #expect(home.html.contains(#"<option value="daycare">service de garde</option>"#))
            let made = try await browser.post("/web/admin/accounts", [("csrf", try #require(home.csrf)), ("username", "agent.new"),
                                                                      ("password", World.password), ("role", "agent"), ("organisation", op)])
            #expect(made.html.contains("(en attente d&#39;approbation)") || made.html.contains("(en attente d'approbation)"), "the new account's status")
            #expect(!made.html.contains("(pending)"))
            let registry = try await browser.get("/web/admin/registry?id=\(app.id.rawValue)")
            #expect(registry.html.contains("<td>création</td>") && registry.html.contains("<td>Offrir une place</td>"), "versions' changes")
        }
    }

    @Test("version and incident changes read in the page's language; a note written by people stays as written")
    func changes() throws {
        let pages = try WebPages.bundled.get()
        #expect(pages.versionChange("restore of version 1", "fr") == "restauration de la version 1")
        #expect(pages.versionChange("accept", "fr") == pages.text("transition_accept", "fr") && pages.versionChange("accept", "fr") != "accept")
        #expect(pages.versionChange("create", "en") == "created")
        #expect(pages.incidentChange("registered (status open)", "fr") == "enregistré (statut : ouvert)")
        #expect(pages.incidentChange("status open → contained; effects updated", "en") == "status: open → contained; effects updated")
        #expect(pages.incidentChange("authority notified at 2026-12-05T10:54:24.000Z", "fr") == "autorité notifiée le 5 décembre 2026 à 10:54 UTC")
        #expect(pages.incidentChange("letters written to files by the console: 3", "fr") == "letters written to files by the console: 3")
    }

    /// Every detector, response, severity, notice kind and organisation kind has a label in both languages.
    static let named: [String] = ["detector_fresh-account", "detector_volume-burst", "detector_honeytoken", "detector_watched-person",
                                  "detector_new-privileged-account", "detector_ceiling", "response_step-up", "response_suspend",
                                  "severity_critical", "notice_activation-code-issued", "notice_failed-sign-ins", "notice_sign-in-locked",
                                  "orgkind_operator", "orgkind_daycare", "orgkind_ministry", "orgkind_agency", "orgkind_fund"]

    @Test("the names shown on the security and administration pages have labels in both languages", arguments: named)
    func labelled(_ key: String) throws {
        let pages = try WebPages.bundled.get()
        for language in WebPages.languages { #expect(pages.optionalText(key, language) != nil, "\(language): \(key)") }
    }
}
