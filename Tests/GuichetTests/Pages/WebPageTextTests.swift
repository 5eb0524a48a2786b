import Foundation
import Testing
import GuichetCore
@testable import GuichetServer

/// The pages' templates, style sheet and texts are resource files, checked when they load (at
/// start-up or here), never while serving.
@Suite struct WebPageTextTests {
    static let resources = Repo.root.appendingPathComponent("Sources/GuichetServer/Pages/Web")

    /// A copy of the pages' files, changed by `edit`, loaded.
    static func loadEdited(_ edit: (URL) throws -> Void) throws -> WebPages {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("Web")
        try FileManager.default.copyItem(at: resources, to: copy)
        try edit(copy)
        return try WebPages.load(from: copy)
    }

    static func edit(_ folder: URL, _ file: String, _ change: (String) -> String) throws {
        let url = folder.appendingPathComponent(file)
        try change(try String(contentsOf: url, encoding: .utf8)).write(to: url, atomically: true, encoding: .utf8)
    }

    @Test("the bundled pages load: both languages have the same texts, and every text a template or the code names exists")
    func bundledPagesLoad() throws {
        try GuichetServer.checkPages()
        let pages = try WebPages.bundled.get()
        #expect(Set(pages.texts["fr"]?.keys ?? [:].keys) == Set(pages.texts["en"]?.keys ?? [:].keys))
        for language in WebPages.languages {
            let html = pages.render("sign-in", ["service": "Service <b>test</b>", "username": "\"><script>x</script>"], language: language)
            #expect(html.contains(#"<html lang="\#(language)">"#))
            #expect(html.contains("Service &lt;b&gt;test&lt;/b&gt;") && !html.contains("<script>"), "every value is escaped")
            #expect(!html.contains("{{"))
        }
    }

    @Test("a wait of one second is in the singular, in French (0 and 1) and English (1); more is in the plural",
          arguments: [("errThrottled", "fr", 1, "dans 1 seconde."), ("errThrottled", "fr", 0, "dans 0 seconde."),
                      ("errThrottled", "fr", 2, "dans 2 secondes."), ("errSlowed", "fr", 1, "dans 1 seconde,"),
                      ("errThrottled", "en", 1, "in 1 second."), ("errThrottled", "en", 0, "in 0 seconds."), ("errSlowed", "en", 1, "in 1 second,"),
                      ("errSlowed", "en", 30, "in 30 seconds,")])
    func waitsCounted(_ key: String, _ language: String, _ seconds: Int, _ expected: String) throws {
        let message = GuichetServer.errorMessage(key, seconds: seconds, try WebPages.bundled.get(), language)
        #expect(message.contains(expected), "\(message)")
    }

    @Test("the command line counts in English: one in the singular, other counts in the plural")
    func commandLineCounts() {
        #expect(Counted.english(1, "dossier") == "1 dossier" && Counted.english(2, "dossier") == "2 dossiers")
        #expect(Counted.english(0, "person") == "0 persons" && Counted.english(1, "entry", "entries") == "1 entry")
        #expect(Counted.english(3, "entry", "entries") == "3 entries")
    }

    @Test("a text missing in one language stops the loading, naming it")
    func missingTextRefused() throws {
        #expect(throws: PageError.self) {
            _ = try Self.loadEdited { folder in
                try Self.edit(folder, "texts/en.json") { $0.replacingOccurrences(of: "\"signInButton\": \"Sign in\",", with: "") }
            }
        }
        do {
            _ = try Self.loadEdited { folder in
                try Self.edit(folder, "templates/sign-in.mustache") { $0 + "{{t.noSuchText}}" }
            }
            Issue.record("a template naming an unknown text loaded")
        } catch let e as PageError {
            #expect(e.description.contains("noSuchText"))
        }
    }

    @Test("a template with an unescaped tag is refused")
    func unescapedTagRefused() throws {
        for tag in ["{{{username}}}", "{{&username}}"] {
            do {
                _ = try Self.loadEdited { folder in try Self.edit(folder, "templates/sign-in.mustache") { $0 + tag } }
                Issue.record("\(tag) loaded")
            } catch let e as PageError {
                #expect(e.description.contains("unescaped"))
            }
        }
    }
}

/// The pages are not API routes: they live under /web, apart from the OpenAPI documents.
@Suite struct WebPageRouteTests {
    @Test("every page of both listeners is under /web, and none is an API route")
    func pagesUnderWeb() async throws {
        let world = try await World.make()
        defer { world.remove() }
        for recorder in [world.server.publicRouter().1, world.server.adminRouter().1] {
            #expect(!recorder.pages.isEmpty)
            #expect(recorder.pages.allSatisfy { $0.path.hasPrefix("/web") }, "\(recorder.pages.map(\.path))")
            let api = Set(recorder.routes.map { "\($0.method) \($0.path)" })
            #expect(recorder.pages.allSatisfy { !api.contains("\($0.method) \($0.path)") })
        }
        let admin = Set(world.server.adminRouter().1.pages.map(\.path))
        #expect(!admin.contains("/web/apply") && !admin.contains("/web/claim") && !admin.contains("/web/register"), "citizens' pages exist on the public listener only")
        let publicPages = Set(world.server.publicRouter().1.pages.map(\.path))
        #expect(!publicPages.contains { $0.hasPrefix("/web/admin") || $0.hasPrefix("/web/security") }, "no admin page on the public listener")
    }
}

/// Times and decimal numbers as people read them on the pages, in each language.
@Suite struct PageFormatTests {
    // 2026-12-05T10:54:24Z and 2026-03-01T08:05:00Z.
    static let december = Date(timeIntervalSince1970: 1_796_468_064)
    static let march = Date(timeIntervalSince1970: 1_772_352_300)

    @Test("a time reads as a date and a time in UTC, in French or English, never as raw ISO 8601")
    func times() {
        #expect(Wire.timestamp(Self.december).string == "2026-12-05T10:54:24Z")
        #expect(PageFormat.time(Self.december, "fr") == "5 décembre 2026 à 10:54 UTC")
        #expect(PageFormat.time(Self.december, "en") == "5 December 2026, 10:54 UTC")
        #expect(PageFormat.time(Self.march, "fr") == "1er mars 2026 à 08:05 UTC")
        #expect(PageFormat.day(Self.march, "en") == "1 March 2026")
        #expect(PageFormat.when(Self.december, "fr") == ["text": "5 décembre 2026 à 10:54 UTC", "iso": "2026-12-05T10:54:24Z"], "the ISO value stays for datetime")
        #expect(PageFormat.whenDay(Self.december, "en")["iso"] == "2026-12-05")
    }

    @Test("hours have a comma on a French page and a point on an English one")
    func hours() {
        #expect(PageFormat.hours(71.04, "fr") == "71,0" && PageFormat.hours(71.04, "en") == "71.0")
        #expect(PageFormat.hours(0.5, "fr") == "0,5")
    }

    @Test("the pages' templates show times in a time element with the machine-readable value, and the page's words")
    func templatesUseTime() throws {
        let pages = try WebPages.bundled.get()
        let html = pages.render("citizen-home", ["dossiers": [["href": "/web/dossiers/x", "type": "t", "status": "s",
                                                               "created": PageFormat.whenDay(Self.december, "fr")]]], language: "fr")
        #expect(html.contains(#"<time datetime="2026-12-05">5 décembre 2026</time>"#), "\(html)")
    }
}

/// Field dates and decimals as people read them, in both languages.
@Suite struct FieldDateTextTests {
    @Test("a field's date reads in words, the first of the month as '1er' in French; decimals take a comma in French")
    func dates() throws {
        let first = try #require(LocalDate(iso: "2027-09-01")), other = try #require(LocalDate(iso: "2025-02-03"))
        #expect(PageFormat.day(first, "fr") == "1er septembre 2027" && PageFormat.day(first, "en") == "1 September 2027")
        #expect(PageFormat.day(other, "fr") == "3 février 2025" && PageFormat.day(other, "en") == "3 February 2025")
        #expect(PageFormat.decimal(6.25, "fr") == "6,2" || PageFormat.decimal(6.25, "fr") == "6,3")
        #expect(PageFormat.decimal(6.2, "en") == "6.2")
    }
}
