import Foundation
import GuichetAuth
import GuichetCore
import GuichetStore
import HTTPTypes
import Hummingbird

/// The account's security, on both listeners: the notices the owner received, the second
/// factors (an authenticator app enrolled with a code, a passkey through `passkey.js`), the
/// open sessions with a button to end one, and signing out everywhere. Enrolment calls the
/// same ``Authenticator`` functions as `POST /v1/me/mfa/...`, with the same rules: a first
/// factor of staff, partners and administrators needs the activation code; another factor
/// needs one verified in the last five minutes.
extension GuichetServer {
    /// Whether the account has a second factor to verify (an app or a passkey, not only
    /// recovery codes).
    func hasFactor(_ p: Principal) async throws -> Bool {
        try await store.factors(account: p.account).contains { $0.confirmed && $0.kind != "recovery" }
    }

    /// What the account page shows besides the notices: set after a form, once.
    struct AccountOutcome {
        var done: String?
        /// The new TOTP secret and its `otpauth://` URI (shown once, right after "add an app").
        var totp: (secret: String, uri: String)?
        /// Recovery codes issued with a first factor (shown once).
        var recoveryCodes: [String] = []
        var wrongCode = false
        var failed: String?
        /// Why the password form was refused (a text's key), and the rule's words.
        var passwordFailed: String?
        var detail: String?
        /// Why the contact form was refused (a text's key), the reason's words, and the address typed.
        var contactFailed: String?
        var contactDetail: String?
        var contactTyped: String?
        /// An address a confirmation code was sent to, and where it went (masked): the page asks for the code.
        var contactPending: String?
        var contactSentTo: String?
        /// Why the activation code was refused (the gate's words), said above the app's form.
        var activationFailed: String?
    }

    /// The account page: notices, factors, sessions.
    func accountPage(_ scope: PageScope, _ outcome: AccountOutcome = AccountOutcome(), status: HTTPResponse.Status = .ok) async throws -> Response {
        // The session as it is now: a factor verified by the form just posted counts.
        var s = scope
        if let token = s.token { s.principal = try await auth.authenticate(token: token) }
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        let pages = try Self.webPages()
        let l = s.language
        func stamp(_ d: Date) -> [String: String] { PageFormat.when(d, l) }
        let notices = try await store.notices(account: p.account).map { n -> [String: Any] in
            ["at": stamp(n.at), "kind": pages.label("notice_", n.kind, l), "detail": pages.generated(n.detail, l)]
        }
        let factors = try await store.factors(account: p.account)
        let confirmed = factors.filter(\.confirmed)
        let apps = confirmed.filter { $0.kind == "totp" }.count, passkeys = confirmed.filter { $0.kind == "webauthn" }.count
        let recoveryLeft = confirmed.filter { $0.kind == "recovery" && $0.counter == 0 }.count
        let hasFactor = apps + passkeys > 0
        let sessions = try await auth.openSessions(of: p.account).map { x -> [String: Any] in
            ["id": x.id.rawValue, "created": stamp(x.createdAt), "lastUsed": stamp(x.lastSeenAt), "expires": stamp(x.expiresAt),
             "current": x.id == p.session, "secondFactor": x.secondFactorAt != nil ? pages.text("yes", l) : pages.text("no", l)]
        }
        var values: [String: Any] = [
            "notices": notices, "noNotice": notices.isEmpty, "sessions": sessions,
            "apps": apps, "passkeys": passkeys, "recoveryLeft": recoveryLeft,
            // A first factor of staff, partners and administrators needs the activation code.
            "askActivation": p.needsSecondFactor && !hasFactor,
            // Another factor needs one verified in the last five minutes (the account page is the way back here).
            "mayEnrol": !hasFactor || (try? auth.requireStepUp(p)) != nil,
            "pendingApp": factors.contains { $0.kind == "totp" && !$0.confirmed },
            "api": s.admin ? "/admin/v1" : "/v1", "service": profile.title[l] ?? profile.name,
            // The address reset codes go to, masked as administrators see it after a reset;
            // setting it needs a factor verified in the last five minutes (as PUT /v1/me/contact).
            "contactMay": (try? auth.requireStepUp(p)) != nil, "contactNoFactor": !hasFactor,
        ]
        // An address that does not open with this key file (a wrong key file) is not said to be
        // missing: the line is left out, and the rest of the page still works.
        do {
            if let masked = try await auth.maskedContact(of: p.account) { values["contact"] = masked } else { values["noContact"] = true }
        } catch {}
        if let key = outcome.contactFailed {
            values["contactFailed"] = pages.text(key, l)
            if let d = outcome.contactDetail { values["contactDetail"] = d }
        }
        values["contactTyped"] = outcome.contactTyped ?? ""
        if let pending = outcome.contactPending { values["contactPending"] = ["email": pending, "sentTo": outcome.contactSentTo ?? ""] }
        if let done = outcome.done { values["done"] = pages.text(done, l) }
        if let totp = outcome.totp {
            var shown: [String: Any] = ["secret": totp.secret, "uri": totp.uri]
            // The address as a QR code, to scan with the app (the text stays, to type).
            if let qr = QRCode(bytes: Array(totp.uri.utf8)) { shown["qr"] = ["extent": qr.extent, "path": qr.pathData] }
            values["totp"] = shown
        }
        if !outcome.recoveryCodes.isEmpty { values["recoveryCodes"] = outcome.recoveryCodes; values["hasRecoveryCodes"] = true }
        if outcome.wrongCode { values["wrongCode"] = true }
        if let key = outcome.passwordFailed {
            values["passwordFailed"] = pages.text(key, l)
            if let d = outcome.detail { values["passwordDetail"] = refusal(d, l) }
        }
        if let failed = outcome.failed { values["failed"] = refusal(failed, l) }
        if let m = outcome.activationFailed { values["activationFailed"] = refusal(m, l) }
        var response = try render("account", values, s, status: status, script: true)
        // A secret or recovery codes must not stay in a cache.
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The second-factor step: a code, a recovery code, or a passkey when the account has one.
    func secondFactorPage(_ s: PageScope, next: String, wrongCode: Bool = false) async throws -> Response {
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        let factors = try await store.factors(account: p.account).filter(\.confirmed)
        let values: [String: Any] = [
            "next": next, "wrongCode": wrongCode, "api": s.admin ? "/admin/v1" : "/v1",
            "hasPasskey": factors.contains { $0.kind == "webauthn" },
            "noFactor": !factors.contains { $0.kind == "webauthn" || $0.kind == "totp" },
        ]
        return try render("second-factor", values, s, status: wrongCode ? .unauthorized : .ok, script: true)
    }

    func addAccountPages(_ r: RouteRecorder, admin: Bool) {
        page(r, .get, "/web/account", admin: admin) { req, _, scope in
            try await self.accountPage(try await self.signedIn(req, scope))
        }
        // Add an authenticator app: a new secret, shown once with its otpauth:// URI.
        page(r, .post, "/web/account/totp", admin: admin) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            // A wrong, used or missing activation code: said on this page, by the form (an audit
            // found it on an error page headed "your role does not allow this action").
            let begun: (secret: String, uri: String)
            do { begun = try await self.auth.beginTOTP(p, activationCode: form["activationCode"], source: ctx.source) } catch GuichetError.forbidden(let m) where m.contains("activation code") {
                return try await self.accountPage(s, AccountOutcome(activationFailed: m), status: .forbidden)
            }
            return try await self.accountPage(s, AccountOutcome(totp: begun))
        }
        // Confirm the app with a code from it; a first factor brings recovery codes, shown once.
        page(r, .post, "/web/account/totp/confirm", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            let codes: [String]
            do { codes = try await self.auth.verifyTOTP(p, code: try form.required("code")) } catch GuichetError.unauthenticated {
                return try await self.accountPage(s, AccountOutcome(wrongCode: true), status: .unauthorized)
            }
            // The factor is passed: a new session token, as at the second-factor step.
            var renewed = s
            let cookie = try await self.renewAfterFactor(&renewed)
            var response = try await self.accountPage(renewed, AccountOutcome(done: "appEnrolled", recoveryCodes: codes))
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
            return response
        }
        // A passkey: the answer of navigator.credentials.create() that passkey.js put in the
        // form, for the challenge it asked of POST /v1/me/mfa/webauthn/challenge.
        page(r, .post, "/web/account/passkey", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            guard let client = form["clientDataJSON"].flatMap(Base64URL.decode),
                  let attestation = form["attestationObject"].flatMap(Base64URL.decode) else {
                throw GuichetError.invalid("'clientDataJSON' and 'attestationObject' must be base64url")
            }
            do {
                let codes = try await self.auth.registerWebAuthn(p, clientDataJSON: client, attestationObject: attestation)
                var renewed = s
                let cookie = try await self.renewAfterFactor(&renewed)
                var response = try await self.accountPage(renewed, AccountOutcome(done: "passkeyEnrolled", recoveryCodes: codes))
                response.headers.append(HTTPField(name: .setCookie, value: cookie))
                return response
            } catch GuichetError.invalid(let m) {
                return try await self.accountPage(s, AccountOutcome(failed: m), status: .badRequest)
            } catch GuichetError.conflict(let m) {
                return try await self.accountPage(s, AccountOutcome(failed: m), status: .conflict)
            }
        }
        // Change the password with the current one; the account's other sessions end.
        page(r, .post, "/web/account/password", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            do {
                try await self.auth.changePassword(p, current: try form.required("current"), new: try form.required("password"))
            } catch GuichetError.unauthenticated {
                return try await self.accountPage(s, AccountOutcome(passwordFailed: "passwordWrongCurrent"), status: .unauthorized)
            } catch GuichetError.invalid(let m) {
                return try await self.accountPage(s, AccountOutcome(passwordFailed: "passwordRefused", detail: m), status: .badRequest)
            }
            return try await self.accountPage(s, AccountOutcome(done: "passwordChanged"))
        }
        // The contact address, where password reset codes go: only its owner sets it, with a
        // fresh second factor (an administrator who could would send resets to themselves).
        page(r, .post, "/web/account/contact", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            let email = form["email"] ?? ""
            // Two steps, as PUT /v1/me/contact: a code sent to the address, then the code typed.
            if let code = form["code"] {
                do {
                    try await self.auth.confirmContact(email, code: code, for: p)
                } catch GuichetError.forbidden(let m) {
                    var outcome = AccountOutcome(contactFailed: "contactCodeRefused", contactDetail: m, contactTyped: email)
                    outcome.contactPending = email
                    return try await self.accountPage(s, outcome, status: .forbidden)
                } catch GuichetError.invalid(let m) {
                    return try await self.accountPage(s, AccountOutcome(contactFailed: "contactRefused", contactDetail: m, contactTyped: email), status: .badRequest)
                }
                return try await self.accountPage(s, AccountOutcome(done: "contactChanged"))
            }
            let sentTo: String
            do {
                sentTo = try await self.auth.requestContact(email, for: p)
            } catch GuichetError.forbidden(let m) where Self.forbiddenKey(m) == "errFreshFactor" {
                return try await self.accountPage(s, AccountOutcome(contactFailed: "contactNeedsFreshFactor", contactTyped: email), status: .forbidden)
            } catch GuichetError.invalid(let m) {
                return try await self.accountPage(s, AccountOutcome(contactFailed: "contactRefused", contactDetail: m, contactTyped: email), status: .badRequest)
            } catch GuichetError.unavailable(let m) {
                return try await self.accountPage(s, AccountOutcome(contactFailed: "contactRefused", contactDetail: m, contactTyped: email), status: .serviceUnavailable)
            }
            var outcome = AccountOutcome(done: "contactCodeSentDone")
            outcome.contactPending = email
            outcome.contactSentTo = sentTo
            return try await self.accountPage(s, outcome)
        }
        // End one session of one's own (another account's session id changes nothing).
        page(r, .post, "/web/account/sessions/end", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            guard let id = SessionID(validating: try form.required("session")) else { throw GuichetError.invalid("'session' is not a session") }
            guard try await self.auth.endSessions(id, by: p) else { throw GuichetError.notFound }
            if id == p.session { return WebPages.redirect("\(s.prefix)/sign-in", cookies: [SessionCookie.clear(admin: admin)]) }
            return try await self.accountPage(s, AccountOutcome(done: "sessionEnded"))
        }
        // Sign out everywhere: every session of the account, the API's included.
        page(r, .post, "/web/account/sessions", admin: admin) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            _ = try await self.auth.endSessions(nil, by: p)
            return WebPages.redirect("\(s.prefix)/sign-in", cookies: [SessionCookie.clear(admin: admin)])
        }
    }
}
