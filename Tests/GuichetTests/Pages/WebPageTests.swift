import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA

/// The server-rendered pages (issue #17), in process: their policy and language, that nothing
/// personal is shown without a session, and that forms refuse cross-site posts and posts
/// without the session's CSRF field, changing nothing.
@Suite(.serialized)
struct WebPageTests {
    /// Personal values of the world's parent and application; none may appear without a session.
    static let personal = ["Emma", "Tremblay", "TREE25020399", "TREJ90541201", "parent1@example.org", "514-555-0142", "synthetic allergy note", "1990-04-12"]

    /// Text as the pages write it (Mustache escapes the apostrophe).
    static func escaped(_ s: String) -> String { s.replacingOccurrences(of: "'", with: "&#39;") }

    static func strictPolicy(_ page: PageClient.Page) -> Bool {
        guard let p = page.policy else { return false }
        return p.contains("default-src 'none'") && p.contains("style-src 'self'") && p.contains("form-action 'self'")
            && p.contains("frame-ancestors 'none'") && !p.contains("script-src") && !p.contains("unsafe")
    }

    @Test("pages are served with a strict policy, no script and no inline style, in French by default or English when asked")
    func servedStrictly() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            var browser = PageClient(client)
            let fr = try await browser.get("/web/sign-in")
            #expect(fr.status == .ok && fr.html.contains(#"<html lang="fr">"#) && fr.html.contains(Self.escaped("Nom d'utilisateur")))
            #expect(Self.strictPolicy(fr), "\(fr.policy ?? "no policy")")
            #expect(!fr.html.contains("<script") && !fr.html.contains("style=") && !fr.html.contains("<style"))
            let en = try await browser.get("/web/sign-in", headers: ["Accept-Language": "en-GB,en;q=0.8"])
            #expect(en.html.contains(#"<html lang="en">"#) && en.html.contains("User name"))
            let chosen = try await browser.get("/web/sign-in?lang=en")
            #expect(chosen.html.contains(#"<html lang="en">"#))
            #expect(browser.cookies["__Host-guichet-lang"] == "en", "the language chosen is remembered")
            let later = try await browser.get("/web/sign-in")
            #expect(later.html.contains(#"<html lang="en">"#), "and used on the next page")
            let css = try await browser.get("/web/guichet.css")
            #expect(css.status == .ok && css.headers[.contentType]?.hasPrefix("text/css") == true)
            // `//web/sign-in` is routed as `/web/sign-in`; its language links stay on this site
            // (`//web/…` would be a protocol-relative link to a host named "web").
            let doubled = try await browser.get("//web/sign-in?x=1")
            #expect(doubled.status == .ok && doubled.html.contains(#"href="/web/sign-in?x=1&amp;lang=fr""#) && !doubled.html.contains(#"href="//"#),
                    "the language links must stay on this site")
        }
        try await world.withAdmin { client in
            var browser = PageClient(client)
            let page = try await browser.get("/web/sign-in")
            #expect(page.status == .ok && Self.strictPolicy(page), "the admin listener has its own sign-in page")
        }
    }

    @Test("without a session every page sends the browser to sign in and shows no personal data", arguments: ["/web/home", "/web/apply", "/web/second-factor"])
    func noSessionNoData(_ path: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            for uri in [path, "/web/dossiers/\(app.id.rawValue)"] {
                let page = try await browser.get(uri)
                let back = uri == "/web/home" || uri == "/web/second-factor" ? "" : "?next=" + (uri.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
                #expect(page.status == .seeOther && page.location == "/web/sign-in" + back, "\(uri): \(page.status) \(page.location ?? "")")
                #expect(!Self.personal.contains { page.html.contains($0) })
                browser.cookies["__Host-guichet"] = "not-a-session-token"
                let forged = try await browser.get(uri)
                #expect(forged.status == .seeOther && !Self.personal.contains { forged.html.contains($0) }, "a made-up cookie is no session")
                browser.cookies = [:]
            }
        }
    }

    @Test("a parent signs in by form, sees their application's status, and opens it in full through the gate")
    func parentSignsIn() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            let wrong = try await browser.signIn("parent1", World.password + "-wrong")
            #expect(wrong.status == .unauthorized && wrong.html.contains(Self.escaped("Nom d'utilisateur ou mot de passe incorrect.")))
            #expect(browser.cookies["__Host-guichet"] == nil)
            let signedIn = try await browser.signIn("parent1", World.password)
            #expect(signedIn.status == .seeOther && signedIn.location == "/web/home")
            let cookie = try #require(signedIn.headers[.setCookie])
            #expect(cookie.hasPrefix("__Host-guichet=") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Secure"))
            let home = try await browser.get("/web/home")
            #expect(home.status == .ok && home.html.contains("en attente") && home.html.contains("/web/dossiers/\(app.id.rawValue)"))
            // The row names the child by first name (pages audit #11), and nothing else of the file.
            #expect(home.html.contains(#"<span class="who">Emma</span>"#) && !home.html.contains("synthetic allergy note"))
            let dossier = try await browser.get("/web/dossiers/\(app.id.rawValue)")
            #expect(dossier.status == .ok && dossier.html.contains("Emma") && dossier.html.contains("synthetic allergy note"))
            #expect(dossier.html.contains("CPE 1") && dossier.html.contains(#"<td class="position">1 / 1</td>"#), "its rank on the chosen service's list")
            let other = try await browser.get("/web/dossiers/\(DossierID().rawValue)")
            #expect(other.status == .notFound && other.html.contains(Self.escaped("vous n'y avez pas accès")) && Self.strictPolicy(other))
        }
    }

    @Test("the public sign-in page always tells administrators and security officers to sign in at the admin address, the same for any name typed")
    func adminHint() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let fr = Self.escaped("Administrateurs et responsables de la sécurité : vous ne vous connectez pas ici, mais à l'adresse d'administration que l'exploitant vous a donnée.")
        let en = "Administrators and security officers: you do not sign in here, but at the administration address your operator gave you."
        try await world.withPublic { client in
            var browser = PageClient(client)
            #expect(try await browser.get("/web/sign-in").html.contains(fr))
            let admin = try await browser.signIn("admin", World.password)
            let nobody = try await browser.signIn("nobody-here", World.password)
            #expect(admin.status == .unauthorized && nobody.status == .unauthorized)
            // Never reveals that an account exists: an administrator's name and an unknown one get the same page.
            #expect(admin.html.contains(fr) && nobody.html.contains(fr))
            #expect(admin.html.replacingOccurrences(of: #"value="admin""#, with: "") == nobody.html.replacingOccurrences(of: #"value="nobody-here""#, with: ""))
            #expect(try await browser.get("/web/sign-in?lang=en").html.contains(en))
        }
        try await world.withAdmin { client in
            var browser = PageClient(client)
            let page = try await browser.get("/web/sign-in?lang=en")
            #expect(page.status == .ok && !page.html.contains(en), "not on the admin listener itself")
        }
    }

    @Test("an unknown address under /web is a 404 page in the page's language on both listeners; the API's unknown addresses stay JSON problems")
    func unknownWebAddress() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let notFoundFr = Self.escaped("Cette page n'existe pas")
        try await world.withPublic { client in
            var browser = PageClient(client)
            for uri in ["/web/nothing-here", "/web/dossiers/x/y/z", "/web/admin/nothing"] {
                let page = try await browser.get(uri)
                #expect(page.status == .notFound && page.headers[.contentType]?.hasPrefix("text/html") == true, "\(uri): \(page.status)")
                #expect(page.html.contains(#"<html lang="fr">"#) && page.html.contains(notFoundFr) && Self.strictPolicy(page), "\(uri)")
            }
            browser.cookies["__Host-guichet-lang"] = "en"
            let en = try await browser.get("/web/nothing-here")
            #expect(en.status == .notFound && en.html.contains(#"<html lang="en">"#), "in the language chosen")
            #expect(en.html.contains("This page does not exist") && !en.html.contains("This file does not exist"), "a page, not a file")
            let api = try await browser.get("/v1/nothing-here")
            #expect(api.status == .notFound && api.headers[.contentType]?.hasPrefix("application/problem+json") == true && !api.html.contains("<html"))
        }
        try await world.withAdmin { client in
            var browser = PageClient(client)
            let page = try await browser.get("/web/nothing-here?lang=en")
            #expect(page.status == .notFound && page.html.contains(#"<html lang="en">"#) && page.headers[.contentType]?.hasPrefix("text/html") == true)
            let api = try await browser.get("/admin/v1/nothing-here")
            #expect(api.status == .notFound && api.headers[.contentType]?.hasPrefix("application/problem+json") == true)
        }
    }

    @Test("a cross-site form post is refused and changes nothing, the sign-in form included")
    func crossSitePostRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            let crossSignIn = try await browser.post("/web/sign-in", [("username", "parent1"), ("password", World.password)],
                                                     headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(crossSignIn.status == .forbidden && browser.cookies["__Host-guichet"] == nil)
            // A browser older than Fetch Metadata that sends no Origin either is judged by its
            // Referer: another site's page is refused (an attacker's audit: such a forged
            // sign-in was accepted), this site's own page is not.
            for referer in ["https://attacker.example/login", "http://localhost.attacker.example/", "http://localhost:8443/"] {
                let forged = try await browser.post("/web/sign-in", [("username", "parent1"), ("password", World.password)], headers: ["Referer": referer])
                #expect(forged.status == .forbidden && browser.cookies["__Host-guichet"] == nil, "\(referer)")
            }
            let ownPage = try await browser.post("/web/sign-in", [("username", "parent1"), ("password", World.password)],
                                                 headers: ["Referer": "http://localhost/web/sign-in"])
            #expect(ownPage.status != .forbidden && browser.cookies["__Host-guichet"] != nil, "this site's own page: \(ownPage.status)")
            browser.cookies["__Host-guichet"] = nil
            _ = try await browser.signIn("parent1", World.password)
            let opened = try await browser.get("/web/dossiers/\(app.id.rawValue)")
            let csrf = try #require(opened.csrf)
            let withdraw = "/web/dossiers/\(app.id.rawValue)/transitions/withdraw"
            for headers in [["Sec-Fetch-Site": "cross-site"], ["Sec-Fetch-Site": "same-site"], ["Origin": "https://attacker.example"], ["Origin": "null"]] {
                let refused = try await browser.post(withdraw, [("csrf", csrf)], headers: headers)
                #expect(refused.status == .forbidden, "\(headers)")
                #expect(refused.html.contains(Self.escaped("vient d'un autre site")))
            }
            let after = try await world.gate.read(app.id, try await world.request("parent1"))
            #expect(after.status == "waiting" && after.version == app.version, "nothing changed")
        }
    }

    @Test("a page that another site opens with the session's cookie (a link, an image) runs nothing: no file opened, nothing journalled, a link to open it from here")
    func pageOpenedByAnotherSite() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let path = "/web/dossiers/\(app.id.rawValue)?purpose=family-request"
            let before = try await world.store.ledgerSize()
            for site in ["same-site", "cross-site"] {
                let page = try await browser.get(path, headers: ["Sec-Fetch-Site": site, "Sec-Fetch-Dest": "image"])
                #expect(page.status == .forbidden && !page.html.contains("Emma"), "\(site)")
                #expect(page.html.contains(Self.escaped("demandée par un autre site")) && page.html.contains(#"id="continue""#))
                #expect(page.html.contains(#"href="/web/dossiers/\#(app.id.rawValue)?purpose=family-request""#), "a link to open it from here")
            }
            // A path that starts with two slashes keeps one in the link (not a link to another host).
            let doubled = try await browser.get("//web/home", headers: ["Sec-Fetch-Site": "same-site"])
            #expect(doubled.status == .forbidden && doubled.html.contains(#"href="/web/home""#) && !doubled.html.contains(#"href="//web"#))
            #expect(try await world.store.ledgerSize() == before, "nothing journalled in the user's name")
            // The cookie on the API, from another site: refused too, reads included.
            let token = try #require(browser.cookies["__Host-guichet"])
            let api = try await client.execute(uri: "/v1/dossiers/\(app.id.rawValue)", method: .get,
                                               headers: [.cookie: "__Host-guichet=\(token)", HTTPField.Name("Sec-Fetch-Site")!: "same-site"]) { $0.status }
            #expect(api == .forbidden)
            #expect(try await world.store.ledgerSize() == before)
            // Opened from here (the link, a bookmark, the address bar): the file opens.
            for site in ["same-origin", "none"] {
                let page = try await browser.get(path, headers: ["Sec-Fetch-Site": site])
                #expect(page.status == .ok && page.html.contains("Emma"), "\(site)")
            }
            #expect(try await browser.get(path).html.contains("Emma"), "a client that sends no Sec-Fetch-Site (an older browser)")
            // An older browser (no Sec-Fetch-Site) is judged by the page it names: an image on a
            // sibling site sends that page's address. Nothing runs, nothing is journalled.
            let beforeOld = try await world.store.ledgerSize()
            for named in [["Referer": "https://sibling.example/news?id=1"], ["Origin": "https://sibling.example"],
                          ["Referer": "http://localhost.sibling.example/"], ["Referer": "http://localhost@sibling.example/"],
                          ["Referer": "http://localhost:8443/"], ["Referer": "not an address"]] {
                let page = try await browser.get(path, headers: named)
                #expect(page.status == .forbidden && !page.html.contains("Emma") && page.html.contains(#"id="continue""#), "\(named)")
            }
            let oldAPI = try await client.execute(uri: "/v1/dossiers/\(app.id.rawValue)", method: .get,
                                                  headers: [.cookie: "__Host-guichet=\(token)", .referer: "https://sibling.example/"]) { $0.status }
            #expect(oldAPI == .forbidden)
            #expect(try await world.store.ledgerSize() == beforeOld, "nothing journalled in the user's name")
            // A page of this host named (the test server's host is localhost), or none: the file opens.
            #expect(try await browser.get(path, headers: ["Referer": "http://LOCALHOST/web/home"]).html.contains("Emma"))
        }
    }

    @Test("an agent searches by one of the role's combinations alone (an e-mail): no field is marked required, the terms are posted, never in the address")
    func agentSearchPostsTerms() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret)
            let home = try await browser.get("/web/home")
            #expect(home.status == .ok && home.html.contains(#"<form method="post" action="/web/home""#))
            let form = try #require(home.html.firstMatch(of: #/<form method="post" action="/web/home"[\s\S]*?</form>/#).map { String($0.0) })
            #expect(!form.contains(" required"), "any one combination will do: no field is required")
            let terms = [("type", "application"), ("search", "1"), ("purpose", "list-management"), ("who", "parent"), ("q.email", "parent1@example.org")]
            #expect(try await browser.post("/web/home", terms).status == .forbidden, "a search post carries the session's CSRF field")
            let found = try await browser.post("/web/home", [("csrf", try #require(home.csrf))] + terms)
            #expect(found.status == .ok && found.html.contains(#"class="result""#), "\(found.status)")
            #expect(!found.html.contains("q.email=") && !found.html.contains("parent1%40example.org"), "the terms stand in no link of the page")
            // An address with terms (an old link): they are not used, nor shown back.
            let old = try await browser.get("/web/home?type=application&search=1&purpose=list-management&who=parent&q.email=parent1%40example.org")
            #expect(old.status == .ok && !old.html.contains("parent1@example.org"))
        }
    }

    @Test("a step-up with a code on a file's page, from a session of the password alone, gives the session a new token: the old one opens nothing")
    func stepUpRenewsToken() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password)
            let before = try #require(browser.cookies["__Host-guichet"])
            let csrf = try #require(try await browser.get("/web/second-factor").csrf)
            let opened = try await browser.post("/web/dossiers/\(app.id.rawValue)/open", [("csrf", csrf), ("purpose", "list-management"),
                                                ("code", try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30)))])
            #expect(opened.status == .ok && opened.html.contains("Emma"), "\(opened.status)")
            let after = try #require(browser.cookies["__Host-guichet"])
            #expect(after != before, "a new token with the factor")
            let stale = try await client.call(.get, "/v1/dossiers/\(app.id.rawValue)", token: before, purpose: "list-management")
            #expect(stale.status == .unauthorized, "the token of the password alone is dead")
            #expect(try await client.call(.get, "/v1/dossiers/\(app.id.rawValue)", token: after, purpose: "list-management").status == .ok)
        }
    }

    @Test("the published statistics as a page, without sign-in, the same counts as the API's, small ones shown hidden; the analyst's home links to it")
    func statisticsPage() async throws {
        let world = try await World.make()
        defer { world.remove() }
        for i in 0..<6 {
            _ = try await world.registerParent("parent\(i)", lastName: "Tremblay\(i)")
            _ = try await world.application(by: "parent\(i)")
        }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "analyst")
        try await world.withPublic { client in
            var browser = PageClient(client)
            let page = try await browser.get("/web/statistics")
            #expect(page.status == .ok && page.html.contains("Statistiques") && page.html.contains("Dossiers par état"))
            let api = try await client.execute(uri: "/v1/statistics", method: .get) { String(buffer: $0.body) }
            let waiting = try #require(try JSONDecoder().decode(JSON.self, from: Data(api.utf8)).object?["dossiers"]?.object?["application"]?
                .object?["byStatus"]?.object?["waiting"])
            #expect(waiting == .number(6))
            #expect(page.html.contains("<th scope=\"row\">en attente</th><td>6</td>"), "six waiting applications, as the API says")
            #expect(page.html.contains("masqué"), "small counts are hidden, not shown")
            #expect(page.html.contains("âge inconnu") && !page.html.contains(">unknown<"), "the age band of an erased birth date in words")
            #expect(!page.html.contains("Tremblay"), "no personal value")
            let english = try await browser.get("/web/statistics?lang=en")
            #expect(english.html.contains("Files by state") && english.html.contains("hidden"))

            _ = try await browser.signIn("analyst", World.password, totp: secret)
            let home = try await browser.get("/web/home")
            #expect(home.html.contains(#"href="/web/statistics""#), "the analyst's home leads to the statistics")
        }
    }

    @Test("an agent gives a person of a file a claim code from the file's page: shown once for a letter; a person with an account or a child gets none; a parent is offered no such button")
    func claimCodeFromTheFilePage() async throws {
        let world = try await World.make()
        defer { world.remove() }
        // A second parent in the registry without an account (Marc), beside parent1 and a child.
        let marc = try await ClaimCodeTests.secondParent(world, by: "parent1")
        let appID = try #require(try await world.store.dossierIDs(linking: marc).first)
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        let record = try #require(try await world.store.dossier(appID))
        let child = try #require(record.persons.first { $0.role == "child" }).person
        let parent = try #require(record.persons.first { $0.role == "parent" && $0.person != marc }).person
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret)
            // A file's address without its purpose asks for one, reading nothing.
            let agentID = try #require(try await world.store.account(username: "agent")).id
            let before = try await world.ledger.journal(account: agentID).count
            let ask = try await browser.get("/web/dossiers/\(appID.rawValue)?lang=en")
            #expect(ask.status == .ok && ask.html.contains(#"id="choose-purpose""#) && ask.html.contains(#"<option value="list-management">"#))
            #expect(!ask.html.contains(child.rawValue), "nothing of the file is shown before a purpose")
            #expect(try await world.ledger.journal(account: agentID).count == before, "nothing was read")
            // A file opened by its number from the home's form goes to its page, for the purpose.
            let home = try await browser.get("/web/home")
            #expect(home.html.contains(#"id="by-number""#))
            let byNumber = try await browser.get("/web/open?file=\(appID.rawValue)&purpose=list-management")
            #expect(byNumber.status == .seeOther && byNumber.location?.removingPercentEncoding == "/web/dossiers/\(appID.rawValue)?purpose=list-management", "\(byNumber.location ?? "")")
            #expect(try await browser.get("/web/open?file=not-a-number&purpose=list-management").status == .badRequest)
            let page = try await browser.get("/web/dossiers/\(appID.rawValue)?purpose=list-management")
            let action = "/web/dossiers/\(appID.rawValue)/persons/\(marc.rawValue)/claim-code"
            #expect(page.html.contains(#"action="\#(action)""#))
            #expect(!page.html.contains("/persons/\(parent.rawValue)/claim-code"), "no button for a person who has an account")
            #expect(!page.html.contains("/persons/\(child.rawValue)/claim-code"), "no button for a child: a child holds no account")
            // The file's and each person's numbers are shown (what an erasure or a caseload form asks for).
            #expect(page.html.contains(#"<code id="file-number">\#(appID.rawValue)</code>"#))
            #expect(page.html.contains("<code>\(child.rawValue)</code>") && page.html.contains("<code>\(parent.rawValue)</code>"))
            // Dates read in words (a new-user test found ISO dates on the file page).
            #expect(page.html.contains("1 September 2027") && !page.html.contains(">2027-09-01<"), "the page is in English since the purpose's form")
            let csrf = try #require(page.csrf)
            #expect(try await browser.post(action, [("purpose", "list-management")]).status == .forbidden, "the CSRF field is needed")
            // Issued by the POST, shown by the GET it redirects to, once (pages audit #17): a reload issues nothing.
            let posted = try await browser.post(action, [("csrf", csrf), ("purpose", "list-management")])
            #expect(posted.status == .seeOther && !posted.html.contains(#"id="claim-code""#), "\(posted.status)")
            let location = try #require(posted.location)
            #expect(location.removingPercentEncoding == "/web/dossiers/\(appID.rawValue)?purpose=list-management", "no code in the address")
            let issued = try await browser.get(location)
            #expect(issued.status == .ok && issued.html.contains(#"id="claim-code""#) && issued.headers[.cacheControl] == "no-store")
            // No relay here: the page says so, not that the person has no address (an everyday users' audit).
            #expect(issued.html.contains("No mail relay is set") && !issued.html.contains("no address on file"))
            let code = try #require(issued.html.firstMatch(of: #/id="claim-code"><strong>([^<]+)</strong>/#).map { String($0.1) })
            #expect(code.count >= 10 && !location.contains(code) && !browser.cookies.values.contains { $0.contains(code) })
            let reloaded = try await browser.get(location)
            #expect(reloaded.status == .ok && !reloaded.html.contains(#"id="claim-code""#) && !reloaded.html.contains(code), "shown once")
            #expect(try await world.ledger.journal(account: agentID).contains { $0.action == "claim-code-issue" })
            let taken = try await browser.post("/web/dossiers/\(appID.rawValue)/persons/\(parent.rawValue)/claim-code", [("csrf", csrf), ("purpose", "list-management")])
            #expect(taken.status == .conflict, "the parent has an account already")
            // A child's code asked all the same (a hand-made form): refused, nothing issued.
            let forChild = try await browser.post("/web/dossiers/\(appID.rawValue)/persons/\(child.rawValue)/claim-code", [("csrf", csrf), ("purpose", "list-management")])
            #expect(forChild.status == .conflict && !forChild.html.contains(#"id="claim-code""#), "\(forChild.status)")
            #expect(try await world.ledger.journal(account: agentID).filter { $0.action == "claim-code-issue" }.count == 1, "only Marc's code")
        }
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let own = try await browser.get("/web/dossiers/\(appID.rawValue)")
            #expect(own.status == .ok && !own.html.contains("claim-code"), "a citizen is offered no claim code")
            #expect(try await browser.get("/web/open?file=\(appID.rawValue)").status == .forbidden, "a citizen opens files from their home")
        }
    }

    @Test("an agent answers a person's access request from the file's page (purpose family-request): the data and history as a JSON file, the reference journalled")
    func accessRequestFromTheFilePage() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        let parent = try #require(try await world.store.dossier(app.id)?.persons.first { $0.role == "parent" }).person
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret)
            let action = "/web/dossiers/\(app.id.rawValue)/persons/\(parent.rawValue)/export"
            let other = try await browser.get("/web/dossiers/\(app.id.rawValue)?purpose=list-management")
            #expect(!other.html.contains(action), "offered for the access requests' purpose only")
            let page = try await browser.get("/web/dossiers/\(app.id.rawValue)?purpose=family-request")
            #expect(page.html.contains(#"action="\#(action)""#))
            let form = [("csrf", try #require(page.csrf)), ("purpose", "family-request"), ("reference", "REQ-2026-0412")]
            #expect(try await browser.post(action, Array(form.dropFirst())).status == .forbidden, "the CSRF field is needed")
            // A reference refused (a person's name: what someone types by mistake) comes back
            // on the file's page, beside its field, as typed; nothing is produced or journalled.
            let named = try await browser.post(action, [form[0], form[1], ("reference", "Julie Tremblay")])
            #expect(named.status == .badRequest && named.html.contains(#"id="access-\#(parent.rawValue)-error""#), "\(named.status)")
            #expect(named.html.contains(#"value="Julie Tremblay""#) && named.html.contains(#"maxlength="64""#) && named.headers[.contentDisposition] == nil)
            let answer = try await browser.post(action, form)
            #expect(answer.status == .ok && answer.headers[.contentDisposition]?.contains("attachment") == true)
            #expect(answer.html.contains("Tremblay") && answer.html.contains("\"accessHistory\""), "the person's data and their access history")
            let agentID = try #require(try await world.store.account(username: "agent")).id
            #expect(try await world.ledger.journal(account: agentID).contains { $0.action == "access-request" && $0.reason.contains("REQ-2026-0412") })
        }
    }

    @Test("a form post without the session's CSRF field, or with a wrong one, is refused; with it, the step is taken")
    func csrfFieldRequired() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let opened = try await browser.get("/web/dossiers/\(app.id.rawValue)")
            let csrf = try #require(opened.csrf)
            let withdraw = "/web/dossiers/\(app.id.rawValue)/transitions/withdraw"
            let without = try await browser.post(withdraw, [])
            #expect(without.status == .forbidden && without.html.contains(Self.escaped("n'est plus valable")))
            let wrong = try await browser.post(withdraw, [("csrf", String(csrf.reversed()))])
            #expect(wrong.status == .forbidden)
            #expect(try await world.gate.read(app.id, try await world.request("parent1")).status == "waiting", "nothing changed")
            #expect(opened.html.contains(#"id="confirm-withdraw""#), "a final step asks to tick a box")
            let unconfirmed = try await browser.post(withdraw, [("csrf", csrf)])
            #expect(unconfirmed.status == .badRequest && unconfirmed.html.contains("cochez la case"), "the refusal's detail in the page's language (French)")
            #expect(try await world.gate.read(app.id, try await world.request("parent1")).status == "waiting", "nothing changed")
            let done = try await browser.post(withdraw, [("csrf", csrf), ("confirm", "yes")])
            #expect(done.status == .seeOther && done.location?.hasPrefix("/web/dossiers/\(app.id.rawValue)") == true)
            #expect(try await world.gate.read(app.id, try await world.request("parent1")).status == "withdrawn")
            let out = try await browser.post("/web/sign-out", [("csrf", csrf)])
            #expect(out.status == .seeOther && browser.cookies["__Host-guichet"] == nil)
            let home = try await browser.get("/web/home")
            #expect(home.status == .seeOther, "signed out")
        }
    }

    @Test("a parent applies by form, choosing services in order, and the gate creates the application")
    func parentApplies() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let form = try await browser.get("/web/apply?lang=en")
            #expect(form.status == .ok && form.html.contains("CPE 2") && form.html.contains(#"name="p.child.firstName""#))
            let csrf = try #require(form.csrf)
            let fields = [("csrf", csrf), ("p.child.firstName", "Zoé"), ("p.child.lastName", "Tremblay"), ("p.child.birthDate", "2025-05-01"),
                          ("f.desiredStart", "2027-09-01"), ("f.daysPerWeek", "4"), ("f.schedule", "part-time"),
                          ("partner", world.daycares[1].id.rawValue), ("partner", world.daycares[0].id.rawValue), ("partner", "")]
            let bad = try await browser.post("/web/apply", fields.map { $0.0 == "f.daysPerWeek" ? ($0.0, "9") : $0 })
            #expect(bad.status == .badRequest && bad.html.contains("daysPerWeek"), "a refused application says why")
            let created = try await browser.post("/web/apply", fields)
            #expect(created.status == .seeOther)
            let location = try #require(created.location)
            let page = try await browser.get(location)
            #expect(page.html.contains("Zoé") && page.html.contains("Your application was saved."))
            let mine = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 10, try await world.request("parent1"))
            let view = try await world.gate.read(try #require(mine.views.first).id, try await world.request("parent1"))
            #expect(view.partners == [world.daycares[1].id, world.daycares[0].id], "the services in the order chosen")
        }
    }
}

/// The account's security page: the owner's notices, and signing out everywhere.
/// A wait the sign-in page asks for is said in Retry-After too, as the API says it (an
/// attacker test found the page's 429 without it).
@Suite(.serialized)
struct WebSignInWaitTests {
    @Test("the daycare's search offers no purpose that only the security officers' rules name; the admin sign-in page tells staff where they sign in")
    func purposesAndHints() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "daycare1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("daycare1", World.password, totp: secret)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.status == .ok && home.html.contains(#"name="purpose""#), "\(home.status)")
            #expect(!home.html.contains(#"value="breach-notification""#), "the security officers' purpose is theirs")
        }
        try await world.withAdmin { client in
            var browser = PageClient(client)
            let page = try await browser.get("/web/sign-in?lang=en")
            #expect(page.html.contains(#"id="public-hint""#) && page.html.contains("Staff, partners and citizens sign in at the service"))
        }
    }

    @Test("the sign-in page's 429 carries Retry-After, as the API's does")
    func retryAfter() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            var browser = PageClient(client)
            var throttled: PageClient.Page?
            for _ in 0..<12 {
                let page = try await browser.signIn("agent", World.password + "-wrong")
                if page.status == .tooManyRequests { throttled = page; break }
            }
            let page = try #require(throttled, "the back-off after five failures")
            #expect(Int(page.headers[.retryAfter] ?? "") ?? 0 >= 1)
        }
    }
}

@Suite(.serialized)
struct WebAccountPageTests {
    @Test("a parent sees the notices of failed sign-ins and signs out everywhere, which ends their other sessions too")
    func accountSecurity() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let other = try await world.token("parent1")  // another session (an API client, say)
        try await world.withPublic { client in
            var browser = PageClient(client)
            for _ in 0..<5 { _ = try await browser.signIn("parent1", World.password + "-wrong") }
            var signedIn = try await browser.signIn("parent1", World.password)
            if signedIn.status == .tooManyRequests {  // the back-off after five failures
                try await Task.sleep(for: .seconds(2))
                signedIn = try await browser.signIn("parent1", World.password)
            }
            #expect(signedIn.location == "/web/home", "\(signedIn.status)")
            let page = try await browser.get("/web/account?lang=en")
            #expect(page.status == .ok && page.html.contains(#"<tr class="notice-row">"#), "the failures are told to the owner")
            let csrf = try #require(page.csrf)
            let out = try await browser.post("/web/account/sessions", [("csrf", csrf)])
            #expect(out.status == .seeOther && out.location == "/web/sign-in")
            let me = try await client.call(.get, "/v1/me", token: other)
            #expect(me.status == .unauthorized, "every session of the account ended")
        }
    }
}

/// Claiming an existing file on a page, with the office's one-time code.
@Suite(.serialized)
struct WebClaimPageTests {
    @Test("a parent claims their file with the code by form; a wrong code or a cross-site post makes no account")
    func claim() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let marc = try await world.gate.registerPerson(fields: ["firstName": .string("Marc"), "lastName": .string("Gagnon"), "birthDate": .string("1988-03-09")],
                                                       requestID: "test", source: nil)
        let code = try await world.auth.issueClaim(for: marc, by: nil).code
        try await world.withPublic { client in
            var browser = PageClient(client)
            let form = try await browser.get("/web/claim?lang=en")
            #expect(form.status == .ok && form.html.contains(#"id="claim""#))
            let fields = [("username", "marc.gagnon"), ("password", "a long synthetic passphrase"), ("code", code)]
            let cross = try await browser.post("/web/claim", fields, headers: ["Sec-Fetch-Site": "cross-site"])
            #expect(cross.status == .forbidden)
            let wrong = try await browser.post("/web/claim", [fields[0], fields[1], ("code", "AAAAA-BBBBB-CCCCC-DDDDD-EEEEE")])
            #expect(wrong.status == .forbidden && wrong.html.contains(#"id="error""#))
            #expect(try await world.store.personHasAccount(marc) == false, "nothing made")
            let made = try await browser.post("/web/claim", fields)
            #expect(made.status == .seeOther && made.location == "/web/sign-in")
            #expect(try await world.store.personHasAccount(marc) == true)
            let signedIn = try await browser.signIn("marc.gagnon", "a long synthetic passphrase")
            #expect(signedIn.location == "/web/home")
        }
    }
}
