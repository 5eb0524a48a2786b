import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// What a page handler knows of its request: the language, the listener, and the session of
/// the page's cookie once ``GuichetServer/signedIn(_:_:form:)`` checked it.
struct PageScope: Sendable {
    let language: String
    let admin: Bool
    /// The path and query the language links point back to.
    let here: String
    var token: String?
    var principal: Principal?

    /// The CSRF token of the session, for the hidden field of every form.
    var csrf: String? { token.map(SessionCookie.csrf(for:)) }
    var prefix: String { "/web" }
}

extension GuichetServer {
    static let languageCookie = "__Host-guichet-lang"

    /// The `Set-Cookie` value that remembers a language chosen (`/` and the `/web` pages share it).
    static func languageCookie(_ language: String) -> String {
        "\(languageCookie)=\(language); Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=31536000"
    }

    /// The pages' language: `?lang=` first, then the language chosen earlier (a cookie), then
    /// the browser's preference, then the profile's.
    func pageLanguage(_ request: Request) -> String {
        if let l = request.uri.queryParameters.get("lang"), WebPages.languages.contains(l) { return l }
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == Self.languageCookie, WebPages.languages.contains(String(parts[1])) { return String(parts[1]) }
            }
        }
        return CitizenPage.language(request, default: profile.defaultLanguage)
    }

    /// The loaded pages, or a 503 if they did not load (a server that started has checked them).
    static func webPages() throws -> WebPages {
        guard case .success(let pages) = WebPages.bundled else { throw GuichetError.unavailable("the pages are not available") }
        return pages
    }

    /// Registers a page: errors become a page in plain words (a page that needs a session sends
    /// a browser without one to the sign-in form); `?lang=` is remembered in a cookie.
    func page(_ r: RouteRecorder, _ method: HTTPRequest.Method, _ path: String, admin: Bool,
              _ handler: @escaping @Sendable (Request, GuichetContext, PageScope) async throws -> Response) {
        r.onPage(method, path) { req, ctx in
            let query = req.uri.query.map { "?" + $0 } ?? ""
            let scope = PageScope(language: self.pageLanguage(req), admin: admin, here: req.uri.path + query)
            var response: Response
            if method == .get || method == .head, SessionCookie.read(req, admin: admin) != nil, SessionCookie.fromAnotherSite(req) {
                // A page opened with the session's cookie by another site (a link, an image, a
                // frame or a form on another port or a sibling host): nothing runs in the
                // user's name, no file is opened, nothing is journalled; a link lets the user
                // open the page themselves (an attacker test: `<img src=/web/dossiers/ID?purpose=…>`
                // on a sibling site journalled reads in a staff member's name).
                return try self.fromElsewherePage(scope)
            }
            do {
                response = try await handler(req, ctx, scope)
            } catch GuichetError.unauthenticated where method == .get {
                // Back to the page asked once signed in (an expired session forgets nothing);
                // home and the second factor, where signing in leads anyway, need none.
                let back = Self.samePagePath(scope.here, prefix: scope.prefix).flatMap {
                    $0 == scope.prefix + "/home" || $0.hasPrefix(scope.prefix + "/second-factor") ? nil
                        : $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
                }
                response = WebPages.redirect("\(scope.prefix)/sign-in" + (back.map { "?next=" + $0 } ?? ""))
            } catch {
                response = try self.errorPage(error, scope)
            }
            if let l = req.uri.queryParameters.get("lang"), WebPages.languages.contains(l) {
                response.headers.append(HTTPField(name: .setCookie, value: Self.languageCookie(l)))
            }
            return response
        }
    }

    /// The session of the page's cookie (pages never take a bearer token). A form post must
    /// come from this site and carry the session's CSRF token.
    /// - Throws: ``GuichetError/unauthenticated`` without a valid session; ``GuichetError/forbidden(_:)``
    ///   for a cross-site post or a wrong token.
    func signedIn(_ req: Request, _ scope: PageScope, form: FormBody? = nil) async throws -> PageScope {
        if req.method != .get && req.method != .head { try SessionCookie.checkSameSite(req) }
        guard let token = SessionCookie.read(req, admin: scope.admin) else { throw GuichetError.unauthenticated }
        if req.method != .get && req.method != .head {
            try SessionCookie.checkForm(req, token: token, given: form?[SessionCookie.formField])
        }
        var s = scope
        s.token = token
        s.principal = try await principal(token: token, admin: scope.admin)
        return s
    }

    /// After a second factor passed on a page (the second-factor step, a step-up on a file,
    /// break-glass, a first enrolment): the session gets a new token, `s` carries it (and its
    /// principal as it is now), and the cookie to set is returned. The token of the password
    /// alone stops working at once (attacker tests: a step-up on a file lifted it to full access).
    func renewAfterFactor(_ s: inout PageScope) async throws -> String {
        guard let old = s.token else { throw GuichetError.unauthenticated }
        let token = try await auth.renewToken(old)
        s.token = token
        let p = try await principal(token: token, admin: s.admin)
        s.principal = p
        let session = try await auth.openSessions(of: p.account).first { $0.id == p.session }
        let maxAge = max(0, Int((session?.expiresAt ?? Date()).timeIntervalSinceNow.rounded(.down)))
        return SessionCookie.set(token, admin: s.admin, maxAge: maxAge)
    }

    /// Verifies the second factor a page's form sends: a passkey's answer (the fields passkey.js
    /// fills in from navigator.credentials.get()), an app's code, or a recovery code.
    /// - Returns: false when the form sends none.
    /// - Throws: ``GuichetError/unauthenticated`` for a wrong one.
    func verifyPageFactor(_ form: FormBody, _ p: Principal) async throws -> Bool {
        if let id = form["credentialId"] {
            func bytes(_ name: String) throws -> [UInt8] {
                guard let b = form[name].flatMap(Base64URL.decode) else { throw GuichetError.invalid("'\(name)' must be base64url") }
                return b
            }
            guard let credential = Base64URL.decode(id) else { throw GuichetError.invalid("'credentialId' must be base64url") }
            try await auth.verifyWebAuthn(p, credentialID: credential, clientDataJSON: try bytes("clientDataJSON"),
                                          authenticatorData: try bytes("authenticatorData"), signature: try bytes("signature"))
        } else if let code = form["code"] {
            _ = try await auth.verifyTOTP(p, code: code)
        } else if let code = form["recoveryCode"] {
            try await auth.useRecoveryCode(p, code: code)
        } else {
            return false
        }
        return true
    }

    /// A form's action that may meet a step-up (the search, a partner's export). A code or a
    /// passkey sent by the step-up form is verified first, and the session renewed; a refusal
    /// that asks for a step-up gives the step-up form, which posts `carried` (what was typed:
    /// the route names the fields, never a password) back to `action`, so that nothing typed
    /// is lost. A wrong code gives the same form again.
    func answeringStepUp(_ form: FormBody, _ s: PageScope, action: String, carried: [(name: String, value: String)],
                         _ body: (PageScope) async throws -> Response) async throws -> Response {
        var fresh = s
        var cookie: String?
        if form["code"] != nil || form["credentialId"] != nil {
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            do { _ = try await verifyPageFactor(form, p) } catch GuichetError.unauthenticated {
                let wrong = GuichetError.forbidden("unusual activity: the code was wrong or already used")
                if let page = try await carriedStepUpPage(wrong, action: action, carried: carried, s, wrongCode: true) { return page }
                throw wrong
            }
            cookie = try await renewAfterFactor(&fresh)
        }
        var response: Response
        do {
            response = try await body(fresh)
        } catch let e as GuichetError {
            if let page = try await carriedStepUpPage(e, action: action, carried: carried, fresh) {
                response = page
            } else if cookie != nil {
                // Refused after the factor passed: the error page carries the new cookie too.
                response = try errorPage(e, fresh)
            } else {
                throw e
            }
        }
        if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    /// A gate request for a page: the same as the API's, the purpose and justification taken
    /// from the form or the query rather than from headers.
    func gateRequest(_ scope: PageScope, _ ctx: GuichetContext, purpose: String?, justification: String? = nil) throws -> GateRequest {
        guard let p = scope.principal else { throw GuichetError.unauthenticated }
        var g = GateRequest(principal: p, requestID: Self.requestID(), source: ctx.source, purpose: purpose)
        g.justification = justification
        return g
    }

    /// Renders a page inside the layout: the service's name, the language links, and, when
    /// signed in, the account's name, its menu and the sign-out form.
    /// - Parameter script: the page loads `passkey.js` (only pages that offer a passkey).
    func render(_ template: String, _ values: [String: Any], _ scope: PageScope, status: HTTPResponse.Status = .ok,
                script: Bool = false) throws -> Response {
        let pages = try Self.webPages()
        var v = values
        let l = scope.language
        v["service"] = profile.title[l] ?? profile.name
        // One leading slash: `//web/sign-in` is routed as `/web/sign-in`, and a link to
        // `//web/…` would be protocol-relative, to a host named "web" (an attacker test).
        let base = "/" + (scope.here.split(separator: "?", maxSplits: 1).first ?? "").drop { $0 == "/" || $0 == "\\" }
        var query = scope.here.split(separator: "?", maxSplits: 1).dropFirst().first.map {
            $0.split(separator: "&").filter { !$0.hasPrefix("lang=") }.joined(separator: "&")
        } ?? ""
        if !query.isEmpty { query += "&" }
        v["langFr"] = "\(base)?\(query)lang=fr"
        v["langEn"] = "\(base)?\(query)lang=en"
        if let p = scope.principal, let csrf = scope.csrf {
            v["csrf"] = csrf
            // French elides before a vowel: "en tant qu'agent.demo" (a social-security audit).
            let elided = l == "fr" && p.username.first.map { "aeiouyh".contains($0) } == true
            v["account"] = ["name": p.username, "role": pages.optionalText("role_" + p.role, l) ?? p.role,
                            "elided": elided]
            v["menu"] = menu(p, scope, pages)
        }
        v["script"] = script
        return WebPages.html(pages.render(template, v, language: l), status: status, script: script)
    }

    /// The links of a role's menu.
    func menu(_ p: Principal, _ scope: PageScope, _ pages: WebPages) -> [[String: Any]] {
        let l = scope.language
        func item(_ key: String, _ path: String) -> [String: Any] { ["label": pages.text(key, l), "href": scope.prefix + path] }
        switch p.kind {
        case .citizen:
            // "New application" only where the profile lets the role create a file, as
            // /web/apply decides (jeunes' and secu's citizens got an error page from it).
            let apply = creatable(role: p.role) != nil ? [item("menuApply", "/apply")] : []
            return [item("menuDossiers", "/home")] + apply + [["label": pages.text("menuHistory", l), "href": "/"],
                                                              item("menuExport", "/export"), item("menuAccount", "/account")]
        case .staff, .partner:
            // A role the profile lets export its caseload (C11) finds its exports in the menu.
            let exports = profile.exports[p.role] != nil ? [item("menuPartnerExports", "/exports")] : []
            // A role the profile lets open files (R2's advisers) opens them from the menu.
            let create = creatable(role: p.role) != nil ? [item("menuNewFile", "/apply")] : []
            return [item("menuSearch", "/home")] + create + [item("menuStatistics", "/statistics")] + exports + [item("menuAccount", "/account")]
        case .admin: return [item("menuHome", "/home"), item("menuRegistry", "/admin/registry"), item("menuKeys", "/admin/keys"), item("menuAccount", "/account")]
        case .security: return [item("menuHome", "/home"), item("menuScope", "/security/scope"), item("menuIncidents", "/security/incidents"),
                                item("menuAccount", "/account")]
        default: return [item("menuHome", "/home"), item("menuAccount", "/account")]
        }
    }

    /// The page a browser gets when another site opened one of these pages with the user's
    /// session: 403, and a link to open it from here (the link's path keeps one leading slash).
    func fromElsewherePage(_ scope: PageScope) throws -> Response {
        let pages = try Self.webPages()
        let here = "/" + scope.here.drop { $0 == "/" || $0 == "\\" }
        return try render("error", ["message": pages.text("errFromElsewhere", scope.language), "errorKey": "errFromElsewhere",
                                    "continueHref": here], scope, status: .forbidden)
    }

    /// An error as a page in plain words, with the status of its problem details.
    func errorPage(_ error: any Error, _ scope: PageScope) throws -> Response {
        let pages = try Self.webPages()
        let l = scope.language
        var values: [String: Any] = [:]
        let status: HTTPResponse.Status
        let key: String
        var seconds: Int?
        switch error {
        case let e as GuichetError:
            status = Problem.response(e).status
            switch e {
            case .unauthenticated: key = "errSignIn"
            case .notFound: key = "errNotFound"
            case .forbidden(let m):
                key = Self.forbiddenKey(m)
                if key == "errForbidden" { values["detail"] = refusal(m, l) }
            case .invalid(let m): key = "errInvalid"; values["detail"] = refusal(m, l)
            case .conflict(let m):
                // A full service is no changed file (a co-operative's audit read "the file has
                // changed" above a refused offer).
                key = m.hasPrefix("no place left:") ? "errNoPlace" : "errConflict"
                values["detail"] = refusal(m, l)
            case .throttled(let s): key = "errThrottled"; seconds = s
            case .slowed(let s): key = "errSlowed"; seconds = s
            case .tooLarge: key = "errTooLarge"
            case .unavailable: key = "errUnavailable"
            }
        case is TooManyInFlight: status = .tooManyRequests; key = "errBusy"
        default: status = .internalServerError; key = "errInternal"
        }
        values["message"] = Self.errorMessage(key, seconds: seconds, pages, l)
        values["errorKey"] = key
        values["next"] = scope.here.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        if key == "errCeiling" || key == "errCeilingChanges" || key == "errCeilingApprovals" || key == "errStepUp" || key == "errSecondFactor" || key == "errFreshFactor" { values["stepUp"] = true }
        var response = try render("error", values, scope, status: status)
        // A wait is said in the page and, as the API does, in Retry-After (RFC 9110 §10.2.3).
        if let seconds { response.headers[.retryAfter] = String(max(1, seconds)) }
        return response
    }

    /// An error's text in a language; a wait is counted ("1 seconde", "2 secondes").
    static func errorMessage(_ key: String, seconds: Int?, _ pages: WebPages, _ l: String) -> String {
        guard let seconds else { return pages.text(key, l) }
        return pages.counted(key, seconds, placeholder: "seconds", l)
    }

    /// The page of an address under `/web` that no route knows: the error page (404) in the
    /// page's language, rather than the API's problem document.
    func webNotFoundPage(_ req: Request, admin: Bool) throws -> Response {
        let query = req.uri.query.map { "?" + $0 } ?? ""
        let scope = PageScope(language: pageLanguage(req), admin: admin, here: req.uri.path + query)
        // An address no page has: not "this file does not exist", which is the gate's answer.
        return try render("error", ["message": try Self.webPages().text("errPageNotFound", scope.language), "errorKey": "errPageNotFound"],
                          scope, status: .notFound)
    }

    /// A page address opened with GET that only a form posts to (a bookmark, a new tab, the
    /// address bar after a form): the error page (405) in the page's language, rather than the
    /// API's problem document in English (an everyday users' audit).
    func webFormAddressPage(_ req: Request, admin: Bool) throws -> Response {
        let scope = PageScope(language: pageLanguage(req), admin: admin, here: req.uri.path)
        return try render("error", ["message": try Self.webPages().text("errFormAddress", scope.language), "errorKey": "errFormAddress"],
                          scope, status: .methodNotAllowed)
    }

    /// The text that explains a refusal in plain words, from the gate's message (which names
    /// limits and states, never a person).
    static func forbiddenKey(_ m: String) -> String {
        if m.contains("ceiling") {
            return m.contains("you have changed") ? "errCeilingChanges" : m.contains("you have approved") ? "errCeilingApprovals" : "errCeiling"
        }
        if m.contains("unusual activity") { return "errStepUp" }
        if m.contains("suspended") { return "errSuspended" }
        if m.contains("watched person") { return "errJustification" }
        if m.contains("another site") { return "errCrossSite" }
        if m.contains("session's token") { return "errCsrf" }
        if m.contains("second factor is required") { return "errSecondFactor" }
        if m.contains("verified in the last 5 minutes") { return "errFreshFactor" }
        if m.contains("Guichet-Purpose") { return "errPurpose" }
        return "errForbidden"
    }

    /// `raw` when it is a path of this site's pages (`/web/…`), to send the browser back to
    /// after signing in or a second factor; nil for anything else (another site, `//host`, a
    /// scheme, a backslash, characters a path and its query do not need).
    static func samePagePath(_ raw: String?, prefix: String) -> String? {
        let safe = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "/?=&-_.%"))
        guard let raw, raw.hasPrefix(prefix + "/"), !raw.contains("//"), raw.unicodeScalars.allSatisfy(safe.contains) else { return nil }
        // No dot segment, plain or escaped: `/web/../v1/me/export` is `/v1/me/export` to a
        // browser (a new user's audit), outside the pages.
        let path = raw.prefix { $0 != "?" }
        guard !path.lowercased().contains("%2e"), !path.split(separator: "/").contains(where: { $0 == "." || $0 == ".." }) else { return nil }
        return raw
    }

    /// What the sign-in page always shows: the hints, the claim and registration links, and the
    /// page to go back to (a same-site path only).
    func signInValues(_ s: PageScope, next: String?) -> [String: Any] {
        var values: [String: Any] = ["canClaim": !s.admin, "publicListener": !s.admin, "canRegister": !s.admin && registrationRole != nil]
        if let back = Self.samePagePath(next, prefix: s.prefix) { values["next"] = back }
        return values
    }

    /// The pages of both listeners: sign-in, second factor, sign-out and the style sheet;
    /// each role's pages are added by their own files.
    func addWebPages(_ r: RouteRecorder, admin: Bool) {
        r.onPage(.get, "/web/guichet.css") { _, _ in
            var response = WebPages.html(try Self.webPages().css)
            response.headers[.contentType] = "text/css; charset=utf-8"
            return response
        }
        r.onPage(.get, "/web/passkey.js") { _, _ in
            var response = WebPages.html(try Self.webPages().script)
            response.headers[.contentType] = "text/javascript; charset=utf-8"
            return response
        }
        page(r, .get, "/web", admin: admin) { _, _, s in WebPages.redirect("\(s.prefix)/home") }
        page(r, .get, "/web/sign-in", admin: admin) { req, _, s in
            // A notice only for the browser that just did what it says (NoticeCookie), once;
            // never from the address, which anyone can send.
            let notice = NoticeCookie.read(req, admin: admin)
            var response = try self.render("sign-in", self.signInValues(s, next: req.uri.queryParameters.get("next")).merging(
                ["claimed": notice == "claimed", "registered": notice == "registered", "passwordReset": notice == "reset"]) { $1 }, s)
            if notice != nil { response.headers.append(HTTPField(name: .setCookie, value: NoticeCookie.clear(admin: admin))) }
            return response
        }
        page(r, .post, "/web/sign-in", admin: admin) { req, ctx, s in
            try SessionCookie.checkSameSite(req)
            let form = try await FormBody.read(req)
            let username = form["username"] ?? "", password = form.pairs.first { $0.name == "password" }?.value ?? ""
            let back = Self.samePagePath(form["next"], prefix: s.prefix)
            // A refusal keeps the page as it was: the name typed, the links, the return address.
            let refused = self.signInValues(s, next: back).merging(["failed": true, "username": username]) { $1 }
            let session: IssuedSession
            do {
                session = try await self.auth.signIn(username: username, password: password, source: ctx.source, adminListener: admin)
            } catch GuichetError.unauthenticated {
                return try self.render("sign-in", refused, s, status: .unauthorized)
            }
            guard session.principal.kind.usesAdminListener == admin else {
                try await self.auth.signOut(token: session.token)
                // The same answer as a wrong password, with the same permanent hint: it never says
                // that the name is an administrator's.
                return try self.render("sign-in", refused, s, status: .unauthorized)
            }
            let maxAge = max(0, Int(session.expiresAt.timeIntervalSinceNow.rounded(.down)))
            let cookie = SessionCookie.set(session.token, admin: admin, maxAge: maxAge)
            if session.principal.needsSecondFactor {
                // An account with no factor yet enrols one on its account page, rather than being
                // asked for a code from an app it does not have (a co-operative's audit).
                if try await !self.hasFactor(session.principal) { return WebPages.redirect(s.prefix + "/account", cookies: [cookie]) }
                let carried = back.flatMap { $0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) }.map { "?next=" + $0 } ?? ""
                return WebPages.redirect(s.prefix + "/second-factor" + carried, cookies: [cookie])
            }
            return WebPages.redirect(back ?? s.prefix + "/home", cookies: [cookie])
        }
        page(r, .get, "/web/second-factor", admin: admin) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.secondFactorPage(s, next: req.uri.queryParameters.get("next") ?? "")
        }
        page(r, .post, "/web/second-factor", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            do {
                guard try await self.verifyPageFactor(form, p) else { throw GuichetError.invalid("'code' is required") }
            } catch GuichetError.unauthenticated {
                return try await self.secondFactorPage(s, next: form["next"] ?? "", wrongCode: true)
            }
            // Back to the page that asked for a fresh factor, on this site only.
            let next = Self.samePagePath(form["next"], prefix: s.prefix) ?? s.prefix + "/home"
            // A new session token (and so a new CSRF token) once the factor is passed: the one
            // the password alone gave stops working.
            var renewed = s
            let cookie = try await self.renewAfterFactor(&renewed)
            return WebPages.redirect(next, cookies: [cookie])
        }
        page(r, .post, "/web/sign-out", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            if let token = s.token { try await self.auth.signOut(token: token) }
            return WebPages.redirect("\(s.prefix)/sign-in", cookies: [SessionCookie.clear(admin: admin)])
        }
        addAccountPages(r, admin: admin)
        addPasswordResetPages(r, admin: admin)
        if !admin { addStatisticsPage(r) }
        page(r, .get, "/web/home", admin: admin) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            if p.needsSecondFactor && !p.mayReachPersonalData {
                return WebPages.redirect("\(s.prefix)/\(try await self.hasFactor(p) ? "second-factor" : "account")")
            }
            switch p.kind {
            case .citizen: return try await self.citizenHome(req, ctx, s)
            // From the address: a purpose and a status at most, never a person's terms (the
            // form posts them; an old link with `q.…` searches without them).
            case .staff, .partner:
                // A search the form posted, sealed into this address (``SearchSeal``): run
                // again, as when it was sent; one this server cannot open (expired, another
                // session's or server's) gives the form, asking to search again.
                if let sealed = req.uri.queryParameters.get("s") {
                    guard let token = s.token, let pairs = self.searchSeal.open(sealed, session: token) else {
                        return try await self.staffHome(req, ctx, s, gone: true) { _ in nil }
                    }
                    let form = FormBody(pairs: pairs)
                    return try await self.answeringStepUp(form, s, action: "\(s.prefix)/home", carried: pairs) { fresh in
                        try await self.staffHome(req, ctx, fresh, justification: form["justification"]) { form[$0] }
                    }
                }
                return try await self.staffHome(req, ctx, s) { $0.hasPrefix("q.") ? nil : req.uri.queryParameters.get($0) }
            default: return try await self.adminHome(req, ctx, s)
            }
        }
        // The search form posts its terms (a name, a birth date, an identifier), so that they
        // never stand in an address: not in the browser's history, not in a proxy's log.
        page(r, .post, "/web/home", admin: admin) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal, p.kind == .staff || p.kind == .partner else { throw GuichetError.forbidden("only staff and partners search files") }
            if p.needsSecondFactor && !p.mayReachPersonalData { return WebPages.redirect("\(s.prefix)/second-factor") }
            // A step-up asked in the middle of a search carries its terms (never a password).
            let carried = form.pairs.filter { SearchSeal.carries($0.name) }
            // A search as the form sent it (no code to verify) is answered by a redirection to
            // an address that holds it sealed, so that Back after opening a result comes back to
            // the results (pages audit M4); the GET runs it.
            if form["search"] != nil, form["code"] == nil, form["credentialId"] == nil, form["recoveryCode"] == nil, let token = s.token {
                return WebPages.redirect("\(s.prefix)/home?s=\(try self.searchSeal.seal(carried, session: token))")
            }
            return try await self.answeringStepUp(form, s, action: "\(s.prefix)/home", carried: carried) { fresh in
                try await self.staffHome(req, ctx, fresh, justification: form["justification"]) { form[$0] }
            }
        }
    }
}

/// Turns the router's "no such route" under `/web` into the pages' 404 page; every other path
/// (`/v1/...`, `/admin/v1/...`) keeps the API's problem document (``ProblemMiddleware``, outside it).
struct WebNotFoundMiddleware: RouterMiddleware {
    typealias Context = GuichetContext
    let page: @Sendable (Request) throws -> Response

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && Self.isPage(request.uri.path) {
            return try page(request)
        }
    }

    /// `/web` and what is under it (`//web/…` is routed as `/web/…`).
    static func isPage(_ path: String) -> Bool {
        let p = "/" + path.drop { $0 == "/" }
        return p == "/web" || p.hasPrefix("/web/")
    }
}
