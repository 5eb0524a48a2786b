import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Why the citizens' page cannot be served: a resource file is missing or unreadable, or a
/// text is missing in one language. Found at start-up (``GuichetServer/checkPages()``) and by
/// the tests, never while serving.
public struct PageError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    init(_ message: String) { description = "citizens' page: " + message }
}

/// The citizens' page (C15): sign in, then see who accessed your file, when, which fields and
/// why, each access checked in the browser against the ledger's signed checkpoint. Its
/// template, script, style and texts are resource files (`Pages/Citizen/`: `page.html`,
/// `citizen.js`, `citizen.css`, `texts/fr.json`, `texts/en.json`), read once and served from
/// memory (nothing else on disk is served), in French or English, with a Content-Security
/// Policy that allows only this page's own script and style.
///
/// The template's placeholders are `{{KEY}}` for a text (HTML-escaped), `{{lang}}`,
/// `{{service}}` (the deployment's title) and `{{texts}}` (every text of the language, as the
/// JSON data block the script reads). Loading checks that both languages have the same keys,
/// and that every key the template and the script name exists.
struct CitizenPage: Sendable {
    static let languages = ["fr", "en"]
    static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    /// Placeholders that are not texts.
    static let reserved: Set<String> = ["lang", "service", "texts"]

    /// Language → the page with its texts in place (`{{service}}` left for each request).
    let pages: [String: String]
    let js: String
    let css: String
    /// Language → text key → text.
    let texts: [String: [String: String]]

    /// The page of the module's resources, loaded on first use (at start-up: ``GuichetServer/checkPages()``).
    static let bundled: Result<CitizenPage, PageError> = {
        guard let folder = Bundle.module.url(forResource: "Citizen", withExtension: nil) else {
            return .failure(PageError("the resource folder Citizen is missing from the module's bundle"))
        }
        return Result { try load(from: folder, labels: try WebPages.bundled.get().historyLabels) }
            .mapError { $0 as? PageError ?? PageError("\($0)") }
    }()

    /// Reads and checks the page's files in `folder`.
    /// - Parameter labels: language → key → text added to the page's own texts: the labels of
    ///   actions, roles and purposes of the `/web` pages, so that both show the same words.
    /// - Throws: ``PageError`` naming the file, the key and the language.
    static func load(from folder: URL, labels: [String: [String: String]] = [:]) throws -> CitizenPage {
        func read(_ name: String) throws -> String {
            guard let text = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else {
                throw PageError("\(name) is missing or not UTF-8")
            }
            return text
        }
        var texts: [String: [String: String]] = [:]
        for language in languages {
            let name = "texts/\(language).json"
            guard let words = try? JSONDecoder().decode([String: String].self, from: Data(try read(name).utf8)) else {
                throw PageError("\(name) is not a JSON object of strings")
            }
            texts[language] = words.merging(labels[language] ?? [:]) { own, _ in own }
        }
        let template = try read("page.html"), js = try read("citizen.js"), css = try read("citizen.css")
        let keys = Set(texts.values.flatMap(\.keys))
        for language in languages {
            if let missing = keys.subtracting(texts[language, default: [:]].keys).sorted().first {
                throw PageError("text '\(missing)' is missing in texts/\(language).json")
            }
        }
        for name in placeholders(template) where !reserved.contains(name) && !keys.contains(name) {
            throw PageError("page.html names the text '\(name)', which texts/*.json do not define")
        }
        for name in scriptKeys(js) where !keys.contains(name) {
            throw PageError("citizen.js reads the text '\(name)', which texts/*.json do not define")
        }
        var pages: [String: String] = [:]
        for language in languages {
            let words = texts[language, default: [:]]
            pages[language] = fill(template) { name in
                switch name {
                case "lang": language
                case "service": "{{service}}"
                case "texts": json(words)
                default: escape(words[name] ?? "")  // every name was checked above
                }
            }
        }
        return CitizenPage(pages: pages, js: js, css: css, texts: texts)
    }

    /// The `{{name}}` placeholders of a template.
    static func placeholders(_ template: String) -> [String] {
        template.matches(of: #/\{\{([A-Za-z0-9_.\-]+)\}\}/#).map { String($0.1) }
    }

    /// The text keys a script reads literally (`T.name`, `T["name"]`).
    static func scriptKeys(_ js: String) -> [String] {
        js.matches(of: #/\bT\.([A-Za-z0-9_]+)/#).map { String($0.1) } + js.matches(of: #/\bT\["([^"]+)"\]/#).map { String($0.1) }
    }

    /// Replaces each `{{name}}` by `value(name)`, in one pass (a value is never read again).
    static func fill(_ template: String, _ value: (String) -> String) -> String {
        template.replacing(#/\{\{([A-Za-z0-9_.\-]+)\}\}/#) { value(String($0.1)) }
    }

    /// The page in `language` for a deployment titled `service`.
    func html(language: String, service: String) -> String {
        (pages[language] ?? pages["fr"] ?? "").replacingOccurrences(of: "{{service}}", with: Self.escape(service))
    }

    /// The language from the browser's preference, then the profile's (the page's route looks
    /// at `?lang=` and at the language chosen on the `/web` pages first: ``GuichetServer/pageLanguage(_:)``).
    static func language(_ request: Request, default fallback: String) -> String {
        if let accept = request.headers[.acceptLanguage] {
            // By the preference's weight (`q`, 1 when absent), then its order: `en;q=0.1, fr;q=0.9`
            // is French (a new user's audit got English, the weights ignored).
            var best: (language: String, q: Double)?
            for part in accept.split(separator: ",") {
                let pieces = part.split(separator: ";")
                let tag = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
                let q = pieces.dropFirst().compactMap { p -> Double? in
                    let kv = p.trimmingCharacters(in: .whitespaces)
                    return kv.hasPrefix("q=") ? Double(kv.dropFirst(2)) : nil
                }.first ?? 1
                guard q > 0, let language = tag.hasPrefix("fr") ? "fr" : tag.hasPrefix("en") ? "en" : nil else { continue }
                if best == nil || q > best!.q { best = (language, q) }
            }
            if let best { return best.language }
        }
        return languages.contains(fallback) ? fallback : "fr"
    }

    static func response(_ body: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type]
        headers[HTTPField.Name("Content-Security-Policy")!] = contentSecurityPolicy  // a valid header name
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The words as a JSON data block (not a script: the policy lets it through unexecuted);
    /// `<` is escaped so that nothing in it can close the element.
    static func json(_ texts: [String: String]) -> String {
        // Encoding a dictionary of strings cannot fail.
        let data = try! JSONSerialization.data(withJSONObject: texts, options: [.sortedKeys])
        return String(decoding: data, as: UTF8.self).replacingOccurrences(of: "<", with: "\\u003c")
    }

    static func escape(_ s: String) -> String {
        s.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}
