import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// Password resets on pages (a new-user test: the reset e-mail said to enter the code "in
/// Guichet", and no page took it).
///
/// - The owner's side, `/web/password-reset` on both listeners, without a session: the code
///   received and a new password, as `POST {prefix}/password-reset` does
///   (``Authenticator/completeReset(code:newPassword:source:adminListener:)``: the same
///   throttle per source address, the same rules of a password; the accounts that sign in on
///   the admin listener are reset only there). Like the sign-in form, the form carries no CSRF
///   field (there is no session to bind it to); a post from another site is refused.
/// - The administrator's side, a form per account on the accounts page, as
///   `POST /admin/v1/accounts/{id}/password-reset` (``Authenticator/startReset(of:by:)``: a
///   fresh second factor, the code only to the owner's own address, which the page shows masked).
extension GuichetServer {
    /// The owner's form. A refused post comes back with the code as typed, never the passwords.
    /// - Parameters:
    ///   - failed: the key of the text that says why nothing was changed.
    ///   - detail: the rule's words, for a password the rules refuse.
    ///   - seconds: the wait, for a source that guessed too often.
    func passwordResetPage(_ s: PageScope, code: String = "", failed: String? = nil, detail: String? = nil, seconds: Int? = nil,
                           status: HTTPResponse.Status = .ok) throws -> Response {
        let pages = try Self.webPages()
        var values: [String: Any] = ["code": code, "publicListener": !s.admin]
        if let failed {
            values["failed"] = seconds.map { Self.errorMessage(failed, seconds: $0, pages, s.language) } ?? pages.text(failed, s.language)
            if let detail { values["detail"] = refusal(detail, s.language) }
        }
        var response = try render("password-reset", values, s, status: status)
        response.headers[.cacheControl] = "no-store"
        return response
    }

    func addPasswordResetPages(_ r: RouteRecorder, admin: Bool) {
        page(r, .get, "/web/password-reset", admin: admin) { _, _, s in try self.passwordResetPage(s) }
        page(r, .post, "/web/password-reset", admin: admin) { req, ctx, s in
            try SessionCookie.checkSameSite(req)
            let form = try await FormBody.read(req)
            // Passwords as typed (spaces are part of a passphrase); the code trimmed (a copy and paste).
            func raw(_ name: String) -> String { form.pairs.first { $0.name == name }?.value ?? "" }
            let code = form["code"] ?? "", password = raw("password")
            // Checked before the code is tried: a typing slip costs no guess against the throttle.
            guard !code.isEmpty else { return try self.passwordResetPage(s, failed: "resetWrongCode", status: .badRequest) }
            guard password == raw("confirm") else {
                return try self.passwordResetPage(s, code: code, failed: "resetMismatch", status: .badRequest)
            }
            do {
                try await self.auth.completeReset(code: code, newPassword: password, source: ctx.source, adminListener: admin)
            } catch GuichetError.unauthenticated {
                return try self.passwordResetPage(s, code: code, failed: "resetWrongCode", status: .unauthorized)
            } catch GuichetError.invalid(let m) {
                return try self.passwordResetPage(s, code: code, failed: "resetRefused", detail: m, status: .badRequest)
            } catch GuichetError.throttled(let wait) {
                var response = try self.passwordResetPage(s, code: code, failed: "errThrottled", seconds: wait, status: .tooManyRequests)
                response.headers[.retryAfter] = "\(wait)"
                return response
            }
            return WebPages.redirect("\(s.prefix)/sign-in", cookies: [NoticeCookie.set("reset", admin: admin)])
        }
    }

    /// An administrator sends an account's owner a reset code from the accounts page. What the
    /// page then says: where it went (masked) and until when, or why nothing was sent.
    func startResetFromPage(_ s: PageScope, _ ctx: GuichetContext, account id: AccountID, justification: String? = nil) async throws -> Response {
        _ = try pageProvisioner(s, ctx)  // an administrator with a fresh second factor, as every form of the page
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        var g = GateRequest(principal: p, requestID: Self.requestID(), source: ctx.source, purpose: nil)
        g.justification = justification
        try await gate.watchAccountChange(id, g)  // as over the API: past the ceiling, the step-up form
        let pages = try Self.webPages()
        let l = s.language
        let username = try await store.account(id: id)?.username ?? ""
        var shown: [String: Any] = ["username": username]
        let status: HTTPResponse.Status
        do {
            let requestID = g.requestID
            let started = try await auth.startReset(of: id, by: p) { try await self.provisioning.resetAddressOnFile(of: id, requestID: requestID) }
            shown["sentTo"] = started.sentTo
            shown["expires"] = PageFormat.when(started.expiresAt, l)
            status = .ok
        } catch GuichetError.conflict {
            shown["failed"] = pages.text("resetNoContact", l)
            status = .conflict
        } catch GuichetError.unavailable {
            shown["failed"] = pages.text(auth.mailer == nil ? "resetNoRelay" : "resetNotSent", l)
            status = .serviceUnavailable
        }
        return try await accountsPage(s, ctx, made: nil, passwordReset: shown, status: status)
    }
}
