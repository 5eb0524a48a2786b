import Foundation
import GuichetCore
import GuichetOIDC
import GuichetAuth
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird
import Logging

/// Federated sign-in (issue #21 item 6): OpenID Connect, authorisation code with PKCE, as
/// FranceConnect (citizens) and ProConnect (staff) do it. On the public listener only.
extension GuichetServer {
    /// The cookie that binds a begun sign-in to the browser that began it. `SameSite=Lax`:
    /// the provider's redirect back is a top-level cross-site GET, which a Strict cookie
    /// would not ride on.
    static let oidcCookie = "__Host-guichet-oidc"

    func addOIDCRoutes(_ r: RouteRecorder) {
        r.on(.get, "/oidc/:provider/start") { req, ctx in
            // Without providers configured, every name is an unknown provider.
            guard let federation = self.federation else { throw Self.problem(.refused("no such identity provider")) }
            let name = ctx.parameters.get("provider") ?? ""
            let started: StartedSignIn
            do { started = try await federation.start(provider: name, source: ctx.source) } catch let e as OIDCError { throw Self.problem(e) }
            var response = Response(status: .seeOther, headers: [.location: started.url.absoluteString])
            response.headers[.setCookie] = "\(Self.oidcCookie)=\(started.binding); Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=600"
            return response
        }
        r.on(.get, "/oidc/:provider/callback") { req, ctx in
            // Without providers configured, every name is an unknown provider.
            guard let federation = self.federation else { throw Self.problem(.refused("no such identity provider")) }
            let name = ctx.parameters.get("provider") ?? ""
            let q = req.uri.queryParameters
            let state = q.get("state") ?? ""
            let signIn: FederatedSignIn
            do {
                signIn = try await federation.finish(provider: name, state: state, code: q.get("code"), error: q.get("error"),
                                                     binding: Self.cookie(req, Self.oidcCookie))
            } catch let e as OIDCError {
                self.logger.notice("federated sign-in refused", metadata: ["provider": .string(name), "why": .string(e.description)])
                throw Self.problem(e)
            }
            guard let account = try await self.store.federatedAccount(issuer: signIn.identity.issuer, subject: signIn.identity.subject) else {
                self.logger.notice("federated sign-in refused", metadata: ["provider": .string(name), "why": .string("no linked account")])
                throw GuichetError.forbidden("no Guichet account is linked to this identity: ask your service to link it (no account is ever created by a sign-in)")
            }
            let session = try await self.auth.signInFederated(account: account, citizens: signIn.population == .citizen,
                                                              secondFactorByProvider: signIn.secondFactorByProvider)
            let p = session.principal
            let secondFactor = !p.needsSecondFactor ? "not-needed" : p.mayReachPersonalData ? "done-by-provider" : "required"
            let maxAge = max(0, Int(session.expiresAt.timeIntervalSinceNow.rounded(.down)))
            var response: Response
            if (req.headers[.accept] ?? "").contains("application/json") {
                response = Reply.json(.object([
                    "token": .string(session.token), "expiresAt": Wire.timestamp(session.expiresAt),
                    "csrfToken": .string(SessionCookie.csrf(for: session.token)), "secondFactor": .string(secondFactor),
                    "account": .object(["id": .string(p.account.rawValue), "role": .string(p.role)]),
                ]), status: .created)
            } else {
                // A browser: to the page, which then asks for the second factor if needed.
                response = Response(status: .seeOther, headers: [.location: "/"])
            }
            response.headers.append(HTTPField(name: .setCookie, value: SessionCookie.set(session.token, admin: false, maxAge: maxAge)))
            response.headers.append(HTTPField(name: .setCookie, value: "\(Self.oidcCookie)=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0"))
            return response
        }
    }

    /// A refusal as the client sees it: the check that failed, nothing of the token.
    static func problem(_ e: OIDCError) -> GuichetError {
        switch e {
        case .refused(let m): .forbidden(m)
        case .provider(let m): .unavailable("the identity provider: \(m)")
        case .configuration(let m): .unavailable(m)
        case .tooMany(let s): .throttled(retryAfterSeconds: s)
        }
    }

    static func cookie(_ request: Request, _ wanted: String) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == wanted, !parts[1].isEmpty { return String(parts[1]) }
            }
        }
        return nil
    }
}
