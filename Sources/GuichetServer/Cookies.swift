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

    static func set(_ token: String, admin: Bool, maxAge: Int) -> String {
        "\(name(admin: admin))=\(token); Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
    }

    static func clear(admin: Bool) -> String {
        "\(name(admin: admin))=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0"
    }

    /// The session token of the listener's cookie, if the request has one.
    static func read(_ request: Request, admin: Bool) -> String? {
        let wanted = name(admin: admin)
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == wanted, !parts[1].isEmpty { return String(parts[1]) }
            }
        }
        return nil
    }

    /// The CSRF token bound to a session token: derived from it, so nothing more is stored, and
    /// unknowable to a page that cannot read the cookie.
    static func csrf(for token: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data("guichet-csrf\0\(token)".utf8))))
    }

    /// Checks a cookie-authenticated request: safe methods pass; others need the CSRF header
    /// and must not come from another site.
    static func check(_ request: Request, token: String) throws {
        guard ![.get, .head, .options].contains(request.method) else { return }
        if let site = request.headers[fetchSiteHeader], site != "same-origin", site != "none" {
            throw GuichetError.forbidden("a request from another site is refused")
        }
        guard let given = request.headers[csrfHeader], given == csrf(for: token) else {
            throw GuichetError.forbidden("a request signed in by cookie must carry the Guichet-CSRF header given at sign-in")
        }
    }
}
