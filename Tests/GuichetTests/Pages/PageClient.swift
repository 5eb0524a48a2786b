import Foundation
import GuichetMFA
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

/// A browser's side of the pages, in process: a cookie jar for the session and the language,
/// form posts (`application/x-www-form-urlencoded`) that carry the CSRF field a page gave.
struct PageClient {
    struct Page {
        let status: HTTPResponse.Status
        let headers: HTTPFields
        let html: String
        var location: String? { headers[.location] }
        /// The hidden CSRF field of the page's forms, if it has one.
        var csrf: String? { html.firstMatch(of: #/name="csrf" value="([^"]+)"/#).map { String($0.1) } }
        var policy: String? { headers[HTTPField.Name("Content-Security-Policy")!] }
    }

    let client: any TestClientProtocol
    var cookies: [String: String] = [:]

    init(_ client: any TestClientProtocol) { self.client = client }

    var cookieHeader: String? { cookies.isEmpty ? nil : cookies.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "; ") }

    mutating func keep(_ headers: HTTPFields) {
        for value in headers[values: .setCookie] {
            let pair = value.split(separator: ";")[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            if pair[1].isEmpty || value.contains("Max-Age=0") { cookies[String(pair[0])] = nil } else { cookies[String(pair[0])] = String(pair[1]) }
        }
    }

    mutating func get(_ uri: String, headers extra: [String: String] = [:]) async throws -> Page {
        var fields: HTTPFields = [:]
        if let c = cookieHeader { fields[.cookie] = c }
        for (k, v) in extra { fields[HTTPField.Name(k)!] = v }
        let page = try await client.execute(uri: uri, method: .get, headers: fields) { Page(status: $0.status, headers: $0.headers, html: String(buffer: $0.body)) }
        keep(page.headers)
        return page
    }

    /// Posts a form as a browser on this site would (`Sec-Fetch-Site: same-origin`), unless
    /// `headers` say otherwise.
    /// - Parameter follow: follow the search's redirection (false: return it).
    mutating func post(_ uri: String, _ form: [(String, String)], headers extra: [String: String] = ["Sec-Fetch-Site": "same-origin"],
                       follow: Bool = true) async throws -> Page {
        var fields: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let c = cookieHeader { fields[.cookie] = c }
        for (k, v) in extra { fields[HTTPField.Name(k)!] = v }
        let body = form.map { "\(Self.encode($0.0))=\(Self.encode($0.1))" }.joined(separator: "&")
        let page = try await client.execute(uri: uri, method: .post, headers: fields, body: ByteBuffer(string: body)) {
            Page(status: $0.status, headers: $0.headers, html: String(buffer: $0.body))
        }
        keep(page.headers)
        // The staff home's search answers with a redirection to its sealed address, which a
        // browser follows (``SearchSeal``); other posts' redirections are read by the tests.
        if follow, page.status == .seeOther, let location = page.location, location.hasPrefix("/web/home?s=") {
            return try await get(location)
        }
        return page
    }

    static func encode(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? s
    }

    /// Signs in through the sign-in form; returns the page the browser is sent to.
    mutating func signIn(_ username: String, _ password: String) async throws -> Page {
        try await post("/web/sign-in", [("username", username), ("password", password)])
    }

    /// Signs in, then passes the second-factor step with a code of an enrolled app, at `at` (by
    /// default the code of the next 30 seconds: the enrolment used the current one; a world with
    /// a test clock gives its time, advanced). Returns the page sent to.
    mutating func signIn(_ username: String, _ password: String, totp secret: String,
                         at: Date = Date().addingTimeInterval(30)) async throws -> Page {
        _ = try await signIn(username, password)
        let step = try await get("/web/second-factor")
        guard let csrf = step.csrf else { throw PageClientError.noForm("/web/second-factor") }
        return try await post("/web/second-factor", [("csrf", csrf), ("code", try TOTPSecret(base32: secret).code(at: at))])
    }
}

enum PageClientError: Error {
    case noForm(String)
}
