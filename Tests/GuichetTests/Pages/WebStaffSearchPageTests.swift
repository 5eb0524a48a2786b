import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
@testable import GuichetServer

/// The staff home's search (`/web/home`): results come 20 to a page with a next page that
/// keeps the search; a daycare's waiting list comes in rank order, its rank shown (an audit
/// found the first 20 only, by file number, with nothing saying the list was cut).
@Suite(.serialized)
struct WebStaffSearchPageTests {
    /// The hidden fields of the next page's form, in order.
    static func nextForm(_ html: String) -> [(String, String)]? {
        guard let form = html.firstMatch(of: #/<form method="post" action="/web/home" id="next-page">(.*?)</form>/#.dotMatchesNewlines()) else { return nil }
        return form.1.matches(of: #/<input type="hidden" name="([^"]+)" value="([^"]*)">/#).map { (String($0.1), String($0.2)) }
    }

    static func rows(_ html: String) -> [String] {
        html.matches(of: #/<tr class="result">.*?<code>([A-Za-z0-9_-]+)</code>/#).map { String($0.1) }
    }

    @Test("a daycare's waiting list comes in rank order, 20 to a page, with the ranks, how many there are, and a next page that keeps the purpose")
    func daycareWaitingListPaged() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        for n in 0..<23 { _ = try await world.application(by: "parent1", childName: "Enfant\(n)") }
        let list = try await world.gate.waitingList(world.daycares[0].id, type: "application", from: 1, limit: 50,
                                                    try await world.request("agent", purpose: "list-management"))
        let made = list.entries.map(\.view.id.rawValue)
        #expect(made.count == 23)
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "daycare1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("daycare1", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let home = try await browser.get("/web/home?lang=en")
            let first = try await browser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "application"), ("search", "1"),
                                                              ("purpose", "placement"), ("status", "waiting")])
            #expect(first.status == .ok)
            #expect(Self.rows(first.html).count == 20)
            #expect(first.html.contains("ranks 1 to 20 of 23"), "how many are on the list")
            #expect(first.html.contains(#"<td class="rank">1</td>"#) && first.html.contains(#"<td class="rank">20</td>"#))
            #expect(Self.rows(first.html) == Array(made.prefix(20)), "rank order: the oldest application first")
            #expect(first.html.contains(#"id="more-results""#), "says that more files match")
            let next = try #require(Self.nextForm(first.html))
            #expect(next.contains { $0 == ("purpose", "placement") } && next.contains { $0 == ("status", "waiting") } && next.contains { $0 == ("from", "21") })
            let second = try await browser.post("/web/home", [("csrf", try #require(first.csrf))] + next)
            #expect(second.status == .ok)
            #expect(Self.rows(second.html) == Array(made.suffix(3)))
            #expect(second.html.contains("ranks 21 to 23 of 23") && second.html.contains(#"<td class="rank">23</td>"#))
            #expect(Self.nextForm(second.html) == nil && !second.html.contains(#"id="more-results""#), "the end of the list")
            // A file's own page names its rank as the file's, not the reader's (a lifecycle
            // audit: staff read "your rank").
            let file = try await browser.get("/web/dossiers/\(made[0])?purpose=placement&lang=en")
            #expect(file.html.contains("This file&#39;s rank on the list of each chosen service") && !file.html.contains("Your rank"), "\(file.html)")
        }
        try await world.withPublic { client in
            var parent = PageClient(client)
            _ = try await parent.signIn("parent1", World.password)
            let own = try await parent.get("/web/dossiers/\(made[0])?lang=en")
            #expect(own.html.contains("Your rank on the list of each chosen service"), "\(own.html)")
        }
    }

    @Test("an agent's search past 20 files has a next page that keeps the purpose and the terms; the next page shows the rest")
    func agentSearchPaged() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        var ids: Set<String> = []
        for n in 0..<22 { ids.insert(try await world.application(by: "parent1", childName: "Enfant\(n)").id.rawValue) }
        let made = ids
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let home = try await browser.get("/web/home?lang=en")
            let first = try await browser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "application"), ("search", "1"),
                                                              ("purpose", "family-request"), ("status", ""), ("who", "child"),
                                                              ("q.lastName", "Tremblay"), ("q.birthDate", "2025-02-03")])
            #expect(first.status == .ok)
            #expect(Self.rows(first.html).count == 20 && !first.html.contains(#"class="rank""#), "a search is no waiting list: no rank")
            #expect(first.html.contains(#"id="more-results""#))
            let next = try #require(Self.nextForm(first.html))
            for pair in [("purpose", "family-request"), ("who", "child"), ("q.lastName", "Tremblay"), ("q.birthDate", "2025-02-03")] {
                #expect(next.contains { $0 == pair }, "\(pair.0) kept")
            }
            #expect(next.contains { $0.0 == "after" })
            let second = try await browser.post("/web/home", [("csrf", try #require(first.csrf))] + next)
            #expect(second.status == .ok && Self.rows(second.html).count == 2)
            #expect(Set(Self.rows(first.html) + Self.rows(second.html)) == made, "every file, once")
            #expect(Self.nextForm(second.html) == nil)
        }
    }

    @Test("a search with terms that make none of the role's combinations comes back on the same form, as typed, with the refusal", arguments: ["fr", "en"])
    func refusedSearchKeepsTheForm(language: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret, at: world.clock().addingTimeInterval(30))
            let home = try await browser.get("/web/home?lang=\(language)")
            let refused = try await browser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "application"), ("search", "1"),
                                                                ("purpose", "family-request"), ("status", "waiting"), ("who", "parent"),
                                                                ("q.lastName", "Fictif")])
            #expect(refused.status == .badRequest)
            #expect(refused.html.contains(#"id="search""#) && !refused.html.contains("data-key="), "the search form, not the error page")
            #expect(refused.html.contains(#"id="error""#) && refused.html.contains(#"<span id="detail">"#))
            #expect(refused.html.contains(#"name="q.lastName" value="Fictif""#), "the term kept")
            #expect(refused.html.contains(#"<option value="family-request" selected>"#) && refused.html.contains(#"<option value="waiting" selected>"#)
                    && refused.html.contains(#"<option value="parent" selected>"#), "the purpose, status and person kept")
        }
    }

    @Test("a search answers with an address that holds no term, so that Back after opening a file shows the results again; only the session that searched can open it, and not altered")
    func backAfterOpeningAFile() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        for n in 0..<3 { _ = try await world.application(by: "parent1", childName: "Enfant\(n)") }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "agent")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("agent", World.password, totp: secret, at: clock.now.addingTimeInterval(30))
            let home = try await browser.get("/web/home?lang=en")
            let sent = try await browser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "application"), ("search", "1"),
                                                             ("purpose", "family-request"), ("status", ""), ("who", "child"),
                                                             ("q.lastName", "Tremblay"), ("q.birthDate", "2025-02-03")], follow: false)
            #expect(sent.status == .seeOther)
            let location = try #require(sent.location)
            #expect(location.hasPrefix("/web/home?s="))
            for term in ["Tremblay", "2025", "family-request", "lastName"] { #expect(!location.contains(term), "no term in the address: \(term)") }
            let results = try await browser.get(location)
            #expect(results.status == .ok && Self.rows(results.html).count == 3, "the results at that address")
            #expect(results.html.contains(#"name="q.lastName" value="Tremblay""#), "the form as typed")
            let opened = try #require(Self.rows(results.html).first)
            #expect(try await browser.get("/web/dossiers/\(opened)?purpose=family-request").status == .ok)
            // Back: the same address, run again (the results are not kept anywhere).
            let back = try await browser.get(location)
            #expect(back.status == .ok && Self.rows(back.html) == Self.rows(results.html), "Back shows the results again")
            #expect(!back.html.contains(#"id="search-gone""#))
            // In French, through the language link of the same address.
            let french = try await browser.get(location + "&lang=fr")
            #expect(french.status == .ok && Self.rows(french.html).count == 3 && french.html.contains("lang=\"fr\""))
            // Altered by one character (inside: the last may carry only padding bits): nothing
            // is searched, the form asks to search again.
            var chars = Array(location)
            let middle = "/web/home?s=".count + 20
            chars[middle] = chars[middle] == "A" ? "B" : "A"
            let altered = try await browser.get(String(chars))
            #expect(altered.status == .ok && Self.rows(altered.html).isEmpty && altered.html.contains(#"id="search-gone""#))
            #expect(!altered.html.contains("Tremblay"))
            // Another session of the same account cannot open it.
            var other = PageClient(client)
            clock.advance(60)
            _ = try await other.signIn("agent", World.password, totp: secret, at: clock.now.addingTimeInterval(30))
            let elsewhere = try await other.get(location)
            #expect(elsewhere.status == .ok && Self.rows(elsewhere.html).isEmpty && elsewhere.html.contains(#"id="search-gone""#))
            // A refused search comes back at its address too, as typed, with why.
            let refused = try await browser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "application"), ("search", "1"),
                                                                ("purpose", "family-request"), ("who", "parent"), ("q.lastName", "Fictif")])
            #expect(refused.status == .badRequest && refused.html.contains(#"name="q.lastName" value="Fictif""#))
        }
    }

    @Test("a sealed search opens only for its session, unaltered, within its lifetime")
    func sealRules() throws {
        let seal = SearchSeal()
        let now = Date()
        let pairs: [(name: String, value: String)] = [("type", "application"), ("search", "1"), ("q.lastName", "Élodie & co=1%"), ("csrf", "x"), ("code", "123456")]
        let token = try seal.seal(pairs, session: "s1", now: now)
        let opened = try #require(seal.open(token, session: "s1", now: now.addingTimeInterval(60)))
        #expect(opened.map(\.name) == ["type", "search", "q.lastName"], "never the CSRF field or a code")
        #expect(opened.last?.value == "Élodie & co=1%")
        #expect(seal.open(token, session: "s2", now: now) == nil, "another session")
        #expect(seal.open(token, session: "s1", now: now.addingTimeInterval(SearchSeal.lifetime + 1)) == nil, "expired")
        #expect(SearchSeal().open(token, session: "s1", now: now) == nil, "another process's key")
        #expect(seal.open("", session: "s1") == nil && seal.open("%%%", session: "s1") == nil)
    }
}
