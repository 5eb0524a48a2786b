import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// A citizen's self-registration on a page (`/web/register`, public listener), where the
/// deployment has a citizen role, as `POST /v1/accounts`: the same user-name and password
/// rules, the same throttle per source address, the gate's `registerPerson` then the
/// authenticator's `createAccount`. Unlike the API, the page never says whether a user name is
/// taken: a taken name and a new account get the same answer, and nothing is written for the
/// taken one.
extension GuichetServer {
    /// The role a citizen registers as (the API's choice: the first citizen role by name).
    var registrationRole: String? {
        profile.roles.values.filter { $0.kind == .citizen }.map(\.name).sorted().first
    }

    func registerPage(_ s: PageScope, failed: String? = nil, form: FormBody? = nil) throws -> Response {
        let pages = try Self.webPages()
        guard registrationRole != nil else { throw GuichetError.forbidden("this deployment has no self-registration") }
        var current: [String: FieldValue] = [:]
        for spec in profile.personFields { if let v = form?["p." + spec.name] { current[spec.name] = .text(v) } }
        var values: [String: Any] = [
            "fields": formInputs(profile.personFields, prefix: "p.", current: current, ownData: true, pages, s.language),
            "username": form?["username"] ?? "",
        ]
        if let failed { values["failed"] = true; values["detail"] = refusal(failed, s.language) }
        return try render("register", values, s, status: failed == nil ? .ok : .badRequest)
    }

    /// Registers a citizen, or does nothing if the user name is taken (after the same checks
    /// and the same password hashing); the callers, the page and `POST /v1/accounts`, answer
    /// the same either way.
    /// - Returns: the new account and person; nil when the name was taken.
    /// - Throws: ``GuichetError/invalid(_:)`` for a bad name, password or field (before the name
    ///   is looked up); ``GuichetError/throttled(retryAfterSeconds:)``.
    func registerCitizen(username: String, password: String, person: [String: JSON], role: String,
                         source: String?) async throws -> (account: AccountID, person: PersonID)? {
        try Authenticator.checkUsername(username)
        try PasswordRules.check(password, username: username)
        try gate.checkRegistration(fields: person)
        // The throttle first: asking name after name counts against the source like registering.
        try await auth.reserveRegistration(source: source)
        guard try await store.account(username: username) == nil else {
            _ = try await auth.hasher.hash(password)  // as long as creating the account
            return nil
        }
        let requestID = Self.requestID()
        let (id, clashes) = try await gate.registerPersonNotingClashes(fields: person, requestID: requestID, source: source)
        do {
            let account = try await auth.createAccount(username: username, password: password, role: role, person: id, createdBy: nil)
            await gate.noteIdentityClash(account: account, fields: clashes)
            return (account, id)
        } catch {
            // The name was taken in the meantime, or the account could not be made: the person
            // just written belongs to nobody, so its data key is destroyed rather than leaving
            // an orphan readable.
            _ = try? await gate.shred(person: id, reason: "self-registration failed", requestID: requestID)
            if case GuichetError.conflict = error { return nil }
            throw error
        }
    }

    func addRegisterPages(_ r: RouteRecorder) {
        page(r, .get, "/web/register", admin: false) { _, _, s in try self.registerPage(s) }
        page(r, .post, "/web/register", admin: false) { req, ctx, s in
            try SessionCookie.checkSameSite(req)
            let form = try await FormBody.read(req)
            guard let role = self.registrationRole else { throw GuichetError.forbidden("this deployment has no self-registration") }
            do {
                var person: [String: JSON] = [:]
                for spec in self.profile.personFields {
                    if let v = try Self.formValue(form, "p." + spec.name, spec) { person[spec.name] = v }
                }
                _ = try await self.registerCitizen(username: form["username"] ?? "", password: form.pairs.first { $0.name == "password" }?.value ?? "",
                                               person: person, role: role, source: ctx.source)
            } catch GuichetError.invalid(let m) {
                return try self.registerPage(s, failed: m, form: form)
            }
            return WebPages.redirect("\(s.prefix)/sign-in", cookies: [NoticeCookie.set("registered", admin: false)])
        }
    }
}
