import Foundation
import HTTPTypes
import Hummingbird
import Mustache
import NIOCore

/// The server-rendered pages (issue #17): Mustache templates, one style sheet and the texts
/// of each language, resource files in `Pages/Web/` (`templates/*.mustache`, `guichet.css`,
/// `texts/fr.json`, `texts/en.json`), read and checked once at start-up, served from memory.
/// `texts/generated-fr.json` renders in French the texts the server generates in English
/// (refusals' details, notices, alerts: ``GeneratedTexts``).
///
/// Pages are plain HTML forms. Only the pages that offer a passkey (the account page, the
/// second-factor step, a step-up in the middle of a search or an export) load one script, `passkey.js`, from this site (``scriptPolicy``);
/// every other page's policy allows none. Every value goes
/// through Mustache's `{{name}}`, which escapes it for HTML; loading refuses a template that
/// uses an unescaped tag (`{{{name}}}`, `{{&name}}`). A text is named `{{t.KEY}}`; loading
/// checks that both languages have the same keys and that every key a template names exists.
struct WebPages: Sendable {
    static let languages = ["fr", "en"]
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    /// The policy of a page that offers a passkey: the same, plus the one script file of this
    /// site (no inline script) and `fetch` to this site only (the challenge).
    static let scriptPolicy =
        "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    let library: MustacheLibrary
    let css: String
    /// `passkey.js`: asks the browser for a passkey with the server's challenge and posts the answer in the page's form.
    let script: String
    /// Language → text key → text.
    let texts: [String: [String: String]]
    /// The names of the templates (without `.mustache`).
    let names: Set<String>
    /// The French renderings of the texts the server generates in English.
    let generatedFrench: GeneratedTexts

    /// The pages of the module's resources, loaded on first use (at start-up: ``GuichetServer/checkPages()``).
    static let bundled: Result<WebPages, PageError> = {
        guard let folder = Bundle.module.url(forResource: "Web", withExtension: nil) else {
            return .failure(PageError("the resource folder Web is missing from the module's bundle"))
        }
        return Result { try load(from: folder) }.mapError { $0 as? PageError ?? PageError("\($0)") }
    }()

    /// Reads and checks the templates, style sheet and texts in `folder`.
    /// - Throws: ``PageError`` naming the file, and the key or the language.
    static func load(from folder: URL) throws -> WebPages {
        func read(_ url: URL) throws -> String {
            guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                throw PageError("\(url.lastPathComponent) is missing or not UTF-8")
            }
            return text
        }
        var texts: [String: [String: String]] = [:]
        for language in languages {
            let name = "texts/\(language).json"
            guard let words = try? JSONDecoder().decode([String: String].self, from: Data(try read(folder.appendingPathComponent(name)).utf8)) else {
                throw PageError("Web/\(name) is not a JSON object of strings")
            }
            texts[language] = words
        }
        let generatedName = "texts/generated-fr.json"
        guard let generated = try? JSONDecoder().decode([String: String].self, from: Data(try read(folder.appendingPathComponent(generatedName)).utf8)) else {
            throw PageError("Web/\(generatedName) is not a JSON object of strings")
        }
        for (english, french) in generated.sorted(by: { $0.key < $1.key })
        where english.components(separatedBy: "{}").count - 1 != GeneratedTexts.valueCount(french) {
            throw PageError("Web/\(generatedName): the French of '\(english)' does not take as many values as the English")
        }
        let keys = Set(texts.values.flatMap(\.keys))
        for language in languages {
            if let missing = keys.subtracting(texts[language, default: [:]].keys).sorted().first {
                throw PageError("text '\(missing)' is missing in Web/texts/\(language).json")
            }
        }
        for key in codeKeys where !keys.contains(key) {
            throw PageError("text '\(key)', which the pages' code names, is missing in Web/texts/*.json")
        }
        let templateFolder = folder.appendingPathComponent("templates")
        let files = (try? FileManager.default.contentsOfDirectory(atPath: templateFolder.path)) ?? []
        var library = MustacheLibrary()
        var names: Set<String> = []
        for file in files.sorted() where file.hasSuffix(".mustache") {
            let name = String(file.dropLast(".mustache".count))
            let text = try read(templateFolder.appendingPathComponent(file))
            if text.contains("{{{") || text.contains("{{&") {
                throw PageError("Web/templates/\(file) uses an unescaped tag: every value must be escaped")
            }
            for key in textKeys(text) where !keys.contains(key) {
                throw PageError("Web/templates/\(file) names the text '\(key)', which Web/texts/*.json do not define")
            }
            do { try library.register(text, named: name) } catch {
                throw PageError("Web/templates/\(file) is not a valid template")
            }
            names.insert(name)
        }
        guard names.contains("layout") else { throw PageError("Web/templates/layout.mustache is missing") }
        return WebPages(library: library, css: try read(folder.appendingPathComponent("guichet.css")),
                        script: try read(folder.appendingPathComponent("passkey.js")), texts: texts, names: names,
                        generatedFrench: GeneratedTexts(generated))
    }

    /// The texts the routes name in code (labels of states, roles and purposes are optional:
    /// without one the name itself is shown).
    static let codeKeys = ["menuDossiers", "menuApply", "menuHistory", "menuSearch", "menuHome", "menuAccount", "menuRegistry", "menuScope", "menuIncidents", "menuKeys", "menuExport", "yes", "no", "anyStatus", "done_update",
                           "appEnrolled", "passkeyEnrolled", "sessionEnded",
                           "errSignIn", "errNotFound", "errForbidden", "errInvalid", "errConflict", "errNoPlace", "errThrottled", "errSlowed", "errThrottled_one", "errSlowed_one", "errTooLarge",
                           "errUnavailable", "errBusy", "errInternal", "errCeiling", "errCeilingChanges", "errCeilingApprovals", "errStepUp", "errSuspended", "errJustification",
                           "errCrossSite", "errPageNotFound", "errFormAddress", "errCsrf", "errSecondFactor", "errFreshFactor", "errPurpose",
                           "incidentNotifiedAt", "incidentOverdue", "incidentHoursLeft", "lettersExempt", "lettersRequired", "lettersSentSummary",
                           "exportYou", "keysRotation",
                           "erasureConfirmMissing", "erasureBadPerson", "erasureUnknownPerson", "erasureBadReference",
                           "archivedIntro", "archiveBadReference", "archiveRequestGone",
                           "partnerExportsIntro", "partnerExportBadKey", "menuPartnerExports", "leaksBadRows",
                           "resetWrongCode", "resetMismatch", "resetRefused", "resetNoContact", "resetNoRelay", "resetNotSent",
                           "contactChanged", "contactNeedsFreshFactor", "contactRefused",
                           "territoryRefused", "territoryExists", "done_territory", "caseloadAssign", "caseloadMore", "caseloadBadNumber",
                           "caseloadNoDossier", "caseloadAlready", "caseloadRefused", "transfer"]

    /// The text keys a template names (`{{t.KEY}}`, also as a section).
    static func textKeys(_ template: String) -> [String] {
        template.matches(of: #/\{\{[#^/]?\s*t\.([A-Za-z0-9_]+)\s*\}\}/#).map { String($0.1) }
    }

    /// A text of a language; the key itself if it is not one (never for a key a template names).
    func text(_ key: String, _ language: String) -> String {
        texts[language]?[key] ?? key
    }

    /// The labels the citizens' page `/` shares with these pages (its history's actions, roles
    /// and purposes), language → key → text.
    var historyLabels: [String: [String: String]] {
        texts.mapValues { $0.filter { k, _ in k.hasPrefix("action_") || k.hasPrefix("role_") || k.hasPrefix("purpose_") } }
    }

    /// The label of a ledger action: by its full name (`provision:caseload-assign`), then by its
    /// kind (`transition` for `transition:accept`), else the name itself (citizen.js does the same).
    func actionLabel(_ action: String, _ language: String) -> String {
        optionalText("action_" + action, language)
            ?? action.split(separator: ":").first.flatMap { optionalText("action_" + $0, language) } ?? action
    }

    /// A text for a count `n`: its `KEY_one` variant where the language puts the noun in the
    /// singular (French: 0 and 1; English: 1), else `KEY`; `{placeholder}` becomes `n`.
    func counted(_ key: String, _ n: Int, placeholder: String, _ language: String) -> String {
        let singular = language == "fr" ? (n == 0 || n == 1) : n == 1
        let text = singular ? optionalText(key + "_one", language) ?? self.text(key, language) : self.text(key, language)
        return text.replacingOccurrences(of: "{\(placeholder)}", with: "\(n)")
    }

    /// A text the server generated in English (a refusal's detail, a notice, an alert, a
    /// suspension's reason) in the page's language: in French, its rendering by the first
    /// catalogue template that matches it whole (``GeneratedTexts``); otherwise, or when none
    /// does, as it is. The result is a value like any other: Mustache escapes it.
    func generated(_ english: String, _ language: String) -> String {
        language == "fr" ? generatedFrench.french(english) ?? english : english
    }

    /// A text of a language if it exists (labels of states, transitions and purposes).
    func optionalText(_ key: String, _ language: String) -> String? {
        texts[language]?[key]
    }

    /// Renders a template with its values; `t` (the language's texts) and `lang` are added.
    /// - Precondition: `name` is a template of the folder (the routes name only their own).
    func render(_ name: String, _ values: [String: Any], language: String) -> String {
        precondition(names.contains(name), "no template named \(name)")
        var context = values
        context["t"] = texts[language] ?? [:]
        context["lang"] = language
        // The name was checked above, so the library has it.
        return library.render(context, withTemplate: name) ?? ""
    }

    /// - Parameter script: the page loads `passkey.js` (``scriptPolicy``); otherwise no script may run.
    static func html(_ body: String, status: HTTPResponse.Status = .ok, script: Bool = false) -> Response {
        var headers: HTTPFields = [.contentType: "text/html; charset=utf-8"]
        headers[HTTPField.Name("Content-Security-Policy")!] = script ? scriptPolicy : contentSecurityPolicy  // a valid header name
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// A redirection after a form (303: the browser follows it with a GET).
    static func redirect(_ location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location]
        for c in cookies { headers.append(HTTPField(name: .setCookie, value: c)) }
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy
        return Response(status: .seeOther, headers: headers)
    }
}
