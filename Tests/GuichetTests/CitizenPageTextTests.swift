import Foundation
import Testing
import GuichetCore
@testable import GuichetServer

/// The citizens' page is resource files (template, script, style, texts in French and
/// English); a missing text is found when they load, at start-up or here, never while serving.
@Suite struct CitizenPageTextTests {
    static let resources = Repo.root.appendingPathComponent("Sources/GuichetServer/Pages/Citizen")

    /// A copy of the page's files, changed by `edit`, loaded.
    static func loadEdited(_ edit: (URL) throws -> Void) throws -> CitizenPage {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let copy = folder.appendingPathComponent("Citizen")
        try FileManager.default.copyItem(at: resources, to: copy)
        try edit(copy)
        return try CitizenPage.load(from: copy)
    }

    static func texts(_ folder: URL, _ language: String) throws -> [String: String] {
        try JSONDecoder().decode([String: String].self, from: Data(contentsOf: folder.appendingPathComponent("texts/\(language).json")))
    }

    static func write(_ texts: [String: String], _ folder: URL, _ language: String) throws {
        try JSONEncoder().encode(texts).write(to: folder.appendingPathComponent("texts/\(language).json"))
    }

    @Test("the bundled page loads: both languages have the same texts, and the template and script name only defined ones")
    func bundledPageLoads() throws {
        try GuichetServer.checkPages()
        let page = try CitizenPage.bundled.get()
        #expect(Set(page.texts["fr"]?.keys ?? [:].keys) == Set(page.texts["en"]?.keys ?? [:].keys))
        for language in CitizenPage.languages {
            let html = page.html(language: language, service: "Service <test>")
            #expect(!html.contains("{{"), "every placeholder is filled in \(language)")
            #expect(html.contains("Service &lt;test&gt;"), "the service's title is escaped")
        }
    }

    /// Actions a citizen's history can show: the gate's, and the system events that name a
    /// person or a file (a claim code, a caseload assigned by an administrator, ...).
    static let historyActions = ["read", "search", "create", "update", "withdraw", "transition:accept", "versions", "restore",
                                 "claim-code-issue", "claim", "provision:caseload-assign", "provision:caseload-transfer",
                                 "provision:caseload-request", "provision:factor-reset", "access-request", "erasure", "shred",
                                 "archive-read:request", "retention:erase", "break-glass-open", "break-glass-review", "partner-export"]

    @Test("every action of a citizen's history has its label in both languages, the same as on the /web pages", arguments: historyActions)
    func actionLabels(_ action: String) throws {
        let page = try CitizenPage.bundled.get(), web = try WebPages.bundled.get()
        for language in CitizenPage.languages {
            // As citizen.js looks it up: by the full name, then by the kind before ':'.
            let base = String(action.split(separator: ":")[0])
            let shown = page.texts[language]?["action_" + action] ?? page.texts[language]?["action_" + base]
            #expect(shown != nil, "\(language): \(action) has no label")
            #expect(shown == web.actionLabel(action, language), "\(language): \(action) reads as on /web/export")
        }
    }

    @Test("the roles and purposes of a citizen's history read as on the /web pages, in both languages",
          arguments: ["role_partner-adviser", "role_daycare", "purpose_list-management", "purpose_family-request"])
    func roleAndPurposeLabels(_ key: String) throws {
        let page = try CitizenPage.bundled.get(), web = try WebPages.bundled.get()
        for language in CitizenPage.languages {
            #expect(page.texts[language]?[key] != nil && page.texts[language]?[key] == web.texts[language]?[key], "\(language): \(key)")
        }
    }

    @Test("a text missing in one language is refused when the page loads, naming the key and the file")
    func missingTranslation() throws {
        #expect { _ = try Self.loadEdited { folder in
            var en = try Self.texts(folder, "en")
            en["signOut"] = nil
            try Self.write(en, folder, "en")
        } } throws: { error in
            (error as? PageError)?.description.contains("'signOut' is missing in texts/en.json") == true
        }
    }

    @Test("a template or script naming a text that no language defines is refused")
    func unknownTextNamed() throws {
        #expect(throws: PageError.self) { _ = try Self.loadEdited { folder in
            let file = folder.appendingPathComponent("page.html")
            try (try String(contentsOf: file, encoding: .utf8) + "<p>{{farewell}}</p>\n").write(to: file, atomically: true, encoding: .utf8)
        } }
        #expect(throws: PageError.self) { _ = try Self.loadEdited { folder in
            let file = folder.appendingPathComponent("citizen.js")
            try (try String(contentsOf: file, encoding: .utf8) + "console.log(T.farewell);\n").write(to: file, atomically: true, encoding: .utf8)
        } }
        #expect(throws: PageError.self) { _ = try Self.loadEdited { folder in
            try FileManager.default.removeItem(at: folder.appendingPathComponent("citizen.css"))
        } }
    }
}
