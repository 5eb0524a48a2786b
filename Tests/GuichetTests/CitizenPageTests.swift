import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
@testable import GuichetServer
import GuichetLedger

/// The citizens' page (C15), served from memory and driven in a real browser.
@Suite(.serialized)
struct CitizenPageTests {
    @Test("the page and its assets are served from memory with a strict policy, in French or English")
    func servedStrictly() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            let fr = try await client.call(.get, "/")
            #expect(fr.status == .ok && fr.text.contains(#"<html lang="fr">"#) && fr.text.contains("Qui a consulté mon dossier ?"))
            let policy = try #require(fr.headers[HTTPField.Name("Content-Security-Policy")!])
            #expect(policy.contains("script-src 'self'") && policy.contains("default-src 'none'") && !policy.contains("unsafe"))
            #expect(!fr.text.contains("<script>") && !fr.text.contains("<script type=\"text/javascript\">"), "no inline script: the policy would refuse it")
            let en = try await client.execute(uri: "/", method: .get, headers: [.acceptLanguage: "en-GB,en;q=0.8,fr;q=0.5"]) { String(buffer: $0.body) }
            #expect(en.contains(#"<html lang="en">"#) && en.contains("Who looked at my file?"))
            // The preferences' weights decide, not their order (a new user's audit).
            let weighted = try await client.execute(uri: "/", method: .get, headers: [.acceptLanguage: "en;q=0.1, fr;q=0.9"]) { String(buffer: $0.body) }
            #expect(weighted.contains(#"<html lang="fr">"#))
            let refusedEnglish = try await client.execute(uri: "/", method: .get, headers: [.acceptLanguage: "en;q=0, de"]) { String(buffer: $0.body) }
            #expect(refusedEnglish.contains(#"<html lang="fr">"#), "q=0 means not English")
            // Without JavaScript, the page points to the list rendered by the server.
            #expect(fr.text.contains(#"<noscript><p class="error">"#) && fr.text.contains(#"<a href="/web/export">Mes données</a></p></noscript>"#))
            #expect(en.contains(#"<a href="/web/export">My data</a></p></noscript>"#))
            let forced = try await client.call(.get, "/?lang=en")
            #expect(forced.text.contains(#"<html lang="en">"#))
            let script = try await client.call(.get, "/assets/citizen.js")
            #expect(script.status == .ok && script.headers[.contentType]?.hasPrefix("text/javascript") == true && script.text.contains("verifyInclusion"))
            #expect(try await client.call(.get, "/assets/citizen.css").status == .ok)
            #expect(try await client.call(.get, "/assets/guichet.sqlite").status == .notFound, "nothing on disk is served")
        }
    }

    @Test("the page comes in the language chosen on the /web pages (their cookie) unless one is chosen on it, and remembers a choice made on it")
    func languageOfTheWebPages() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            var browser = PageClient(client)
            browser.cookies["__Host-guichet-lang"] = "fr"
            let fr = try await browser.get("/", headers: ["Accept-Language": "en-GB,en;q=0.8"])
            #expect(fr.html.contains(#"<html lang="fr">"#), "French was chosen on /web: the browser's English does not win")
            let en = try await browser.get("/?lang=en")
            #expect(en.html.contains(#"<html lang="en">"#) && browser.cookies["__Host-guichet-lang"] == "en", "a choice made here is kept")
            let web = try await browser.get("/web/sign-in")
            #expect(web.html.contains(#"<html lang="en">"#), "and the /web pages follow it")
        }
    }

    @Test("the page links back to the citizen's files, and its style lets the hidden attribute hide the sign-in form")
    func linksAndHidden() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            for (language, label) in [("fr", "Mes dossiers"), ("en", "My files")] {
                let page = try await client.call(.get, "/?lang=\(language)")
                #expect(page.text.contains(#"<a href="/web/home" id="my-files">\#(label)</a>"#), "\(language)")
            }
            let css = try await client.call(.get, "/assets/citizen.css").text
            // `form { display: grid }` overrode the attribute: the form stayed on screen after signing in.
            #expect(css.contains("[hidden] { display: none !important; }"))
        }
    }

    @Test("in Chromium, a parent sees who read their child's file and why, each entry verified against the signed checkpoint, and nobody else's")
    func browserShowsVerifiedHistory() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.registerParent("parent2", lastName: "Gagnon")
        let mine = try await world.application(by: "parent1", daycares: [0])
        let theirs = try await world.application(by: "parent2", daycares: [1], childName: "Noah")
        _ = try await world.gate.read(mine.id, try await world.request("daycare1"))
        _ = try await world.gate.read(mine.id, try await world.request("agent", purpose: "family-request"))
        _ = try await world.gate.read(theirs.id, try await world.request("daycare2"))
        // The parent lists their own files ("You searched" in English).
        _ = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 10, try await world.request("parent1"))
        try await world.gate.checkpoint(at: Date())

        let app = Application(router: world.server.publicRouter().0)
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let script = Repo.root.appendingPathComponent("Tests/peers/browser_history.py").path
            let run = try await Python.run([script, "http://localhost:\(port)", "fr", "parent1", World.password])
            try #require(run.status == 0, "\(run.output)")
            let result = try JSONDecoder().decode(JSON.self, from: Data(run.output.split(separator: "\n").last.map(String.init)!.utf8))
            let rows = try #require(result.object?["rows"]?.array).compactMap { $0.object }
            let who = rows.compactMap { $0["who"]?.string }
            #expect(who.contains { $0.contains("CPE 1") && $0.contains("service de garde") }, "the daycare's read is listed, its role in French: \(who)")
            #expect(rows.contains { $0["who"]?.string?.contains("agent") == true && $0["purpose"]?.string == "demande de la famille" },
                    "the purpose reads as on /web/export: \(rows.map { $0["purpose"]?.string ?? "?" })")
            #expect(rows.contains { $0["action"]?.string == "consultation" }, "\(rows.map { $0["action"]?.string ?? "?" })")
            #expect(result.object?["signInVisible"]?.string == "false", "the sign-in form is hidden once signed in")
            #expect(who.contains("Vous-même"), "the parent's own accesses are marked as theirs")
            #expect(!who.contains { $0.contains("CPE 2") }, "another family's accesses never appear")
            #expect(rows.allSatisfy { $0["status"]?.string == "ok" }, "every entry is verified in the browser: \(rows.map { $0["status"]?.string ?? "?" })")
            let daycareRow = try #require(rows.first { $0["who"]?.string?.contains("CPE 1") == true })
            #expect(daycareRow["fields"]?.string?.isEmpty == false)
            #expect(result.object?["cookieVisibleToScript"]?.string == "", "the session cookie is HttpOnly")
            #expect(result.object?["language"]?.string == "fr")
            #expect(result.object?["summary"]?.string == "\(rows.count) consultations ; taille du registre signé : \(try await world.gate.ledgerSize()).",
                    "\(result.object?["summary"]?.string ?? "")")
            #expect(result.object?["wrongPassword"]?.string == "Nom d'utilisateur ou mot de passe incorrect.")
            #expect(result.object?["afterSignOut"]?.string == "sign-in")
            // Times as every /web page writes them, in UTC, with the machine-readable value kept
            // (a pages audit: "06/12/2026, 12:52:04", no time zone).
            for row in rows {
                let at = try ScopeFormat.parseTime(try #require(row["datetime"]?.string), "at")
                #expect(row["when"]?.string == PageFormat.time(at, "fr"), "\(row["when"]?.string ?? "?")")
            }

            let english = try await Python.run([script, "http://localhost:\(port)", "en", "parent1", World.password])
            try #require(english.status == 0, "\(english.output)")
            let en = try JSONDecoder().decode(JSON.self, from: Data(english.output.split(separator: "\n").last.map(String.init)!.utf8))
            let enRows = try #require(en.object?["rows"]?.array).compactMap { $0.object }
            #expect(enRows.contains { $0["who"]?.string == "You" && $0["action"]?.string == "searched" },
                    "the parent's own listing reads \"You searched\": \(enRows.map { "\($0["who"]?.string ?? "?") \($0["action"]?.string ?? "?")" })")
            for row in enRows {
                let at = try ScopeFormat.parseTime(try #require(row["datetime"]?.string), "at")
                #expect(row["when"]?.string == PageFormat.time(at, "en"), "\(row["when"]?.string ?? "?")")
            }
        }
    }
}
