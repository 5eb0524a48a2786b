import Crypto
import Foundation
import GuichetCore
import HTTPTypes
import Hummingbird

/// Sessions for browsers: the token in a cookie that scripts cannot read (HttpOnly), sent only
/// over HTTPS (Secure, `__Host-` prefix: no Domain, Path=/) and never on cross-site requests
/// (SameSite=Strict). A request authenticated by the cookie that changes anything must also
/// carry the session's CSRF token in the `Guichet-CSRF` header, which a page of another site
/// cannot know; and it is refused when the browser says it came from another site.
enum SessionCookie {
    static let csrfHeader = HTTPField.Name("Guichet-CSRF")!
    static let fetchSiteHeader = HTTPField.Name("Sec-Fetch-Site")!

    /// Each listener has its own cookie: an admin session never rides on a public request.
    static func name(admin: Bool) -> String { admin ? "__Host-guichet-admin" : "__Host-guichet" }

    static func set(_ token: String, admin: Bool, maxAge: Int) -> String { header(name(admin: admin), token, maxAge: maxAge) }

    static func clear(admin: Bool) -> String { header(name(admin: admin), "", maxAge: 0) }

    /// The session token of the listener's cookie, if the request has one.
    static func read(_ request: Request, admin: Bool) -> String? {
        value(request, named: name(admin: admin)).flatMap { $0.isEmpty ? nil : $0 }
    }

    /// A `Set-Cookie` value with the attributes of every cookie Guichet sets (the session's and
    /// the sign-in page's notice): `__Host-` names, Path=/, Secure, HttpOnly, SameSite=Strict.
    static func header(_ name: String, _ value: String, maxAge: Int) -> String {
        "\(name)=\(value); Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
    }

    /// The value of the cookie `name` in the request's `Cookie` headers (empty when it is set
    /// empty), or nil.
    static func value(_ request: Request, named name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    /// The CSRF token bound to a session token: derived from it, so nothing more is stored, and
    /// unknowable to a page that cannot read the cookie.
    static func csrf(for token: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data("guichet-csrf\0\(token)".utf8))))
    }

    /// The hidden field of the pages' forms that carries the session's CSRF token.
    static let formField = "csrf"

    /// Refuses a request that a browser says came from another site: `Sec-Fetch-Site` other
    /// than `same-origin` or `none`, or an `Origin` that is not this listener's own host (the
    /// pages' forms, including sign-in, which has no session yet). Under the pages'
    /// `Referrer-Policy: no-referrer` a browser sends `Origin: null` even for its own forms, so
    /// an opaque origin passes only with `Sec-Fetch-Site: same-origin`.
    static func checkSameSite(_ request: Request) throws {
        let site = request.headers[fetchSiteHeader]
        if let site, site != "same-origin", site != "none" {
            throw GuichetError.forbidden("a request from another site is refused")
        }
        guard let origin = request.headers[.origin] else {
            // A browser older than Fetch Metadata that sends no Origin either: judged by the
            // page it names, as ``fromAnotherSite(_:)`` does (an attacker's audit: a forged
            // sign-in with neither header, but another site's Referer, was accepted).
            if site == nil, let referer = request.headers[.referer], !namesThisHost(referer, request) {
                throw GuichetError.forbidden("a request from another site is refused")
            }
            return
        }
        if origin == "null" {
            guard site == "same-origin" else { throw GuichetError.forbidden("a request from another site is refused") }
            return
        }
        guard namesThisHost(origin, request) else { throw GuichetError.forbidden("a request from another site is refused") }
    }

    /// Whether the browser says the request was started by another site (`Sec-Fetch-Site`
    /// `same-site` or `cross-site`: another port or a sibling host name counts). A browser
    /// without Fetch Metadata (older than 2020-2023) is judged by the page it names instead: an
    /// `Origin`, else a `Referer`, of another host and port (an image on a sibling site sends
    /// its page's address; Guichet's own pages send none, under `Referrer-Policy: no-referrer`).
    /// A request that names no page (API clients, the address bar, a bookmark) is not from
    /// another site.
    static func fromAnotherSite(_ request: Request) -> Bool {
        if let site = request.headers[fetchSiteHeader] { return site != "same-origin" && site != "none" }
        if let origin = request.headers[.origin], origin != "null" { return !namesThisHost(origin, request) }
        if let referer = request.headers[.referer] { return !namesThisHost(referer, request) }
        return false
    }

    /// Whether an `Origin` or `Referer` value names the host and port the request was sent to
    /// (`https://HOST[:PORT]`, then anything after a `/`, `?` or `#`). Anything unreadable does not.
    static func namesThisHost(_ address: String, _ request: Request) -> Bool {
        guard let scheme = address.range(of: "://"), let authority = request.head.authority?.lowercased(), !authority.isEmpty else { return false }
        let rest = address[scheme.upperBound...]
        let host = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        return !host.contains("@") && host.lowercased() == authority
    }

    /// Checks a form post of a page signed in by cookie: it must come from this site and carry
    /// the session's CSRF token in the hidden field ``formField``.
    static func checkForm(_ request: Request, token: String, given: String?) throws {
        try checkSameSite(request)
        guard let given, given == csrf(for: token) else {
            throw GuichetError.forbidden("the form does not carry this session's token: reload the page and try again")
        }
    }

    /// Checks a cookie-authenticated request: safe methods pass; others need the CSRF header
    /// and must not come from another site.
    static func check(_ request: Request, token: String) throws {
        // Reads too: a read journals an access in the owner's name (an attacker test: an
        // image on a sibling site made the browser read with the session's cookie).
        if fromAnotherSite(request) { throw GuichetError.forbidden("a request from another site is refused") }
        guard ![.get, .head, .options].contains(request.method) else { return }
        guard let given = request.headers[csrfHeader], given == csrf(for: token) else {
            throw GuichetError.forbidden("a request signed in by cookie must carry the Guichet-CSRF header given at sign-in")
        }
    }
}

/// A notice the sign-in page shows once, to the browser that just did what it says (an account
/// claimed or registered, a password reset): a cookie set on the redirect to the sign-in page,
/// short-lived, cleared by the page that shows it. A link to `sign-in?reset=1` shows nothing:
/// anyone can send one. `__Host-` (Path=/, no Domain): no sibling host can set it either.
enum NoticeCookie {
    /// The notices there are (the sign-in page's texts say each).
    static let notices: Set<String> = ["claimed", "registered", "reset"]

    /// Each listener its own, as the session's cookie.
    static func name(admin: Bool) -> String { admin ? "__Host-guichet-admin-notice" : "__Host-guichet-notice" }

    /// - Precondition: `notice` is one of ``notices``.
    static func set(_ notice: String, admin: Bool) -> String {
        precondition(notices.contains(notice), "no notice named \(notice)")
        return SessionCookie.header(name(admin: admin), notice, maxAge: 300)
    }

    static func clear(admin: Bool) -> String { SessionCookie.header(name(admin: admin), "", maxAge: 0) }

    /// The cookie's value, if the request has it (known or not: the page clears it either way).
    static func read(_ request: Request, admin: Bool) -> String? { SessionCookie.value(request, named: name(admin: admin)) }
}
