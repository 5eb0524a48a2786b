import Foundation
import Testing
import GuichetCore
import GuichetMFA

extension Scenario {
    /// Signs in, once, an account of the admin listener other than `guichet init`'s (a second
    /// administrator, a local office's account administrator): password, then TOTP enrolment
    /// with its activation code. Returns the session token, with a fresh second factor.
    func signInOnAdminListener(_ account: Account) async throws -> String {
        let session = try await call("POST", "/admin/v1/session", body: ["username": account.username, "password": account.password], admin: true)
        guard let token = session["token"]?.string else { throw TestFailure("sign-in of \(account.username): \(session)") }
        let enrol = try await call("POST", "/admin/v1/me/mfa/totp", token: token, body: ["activationCode": account.activationCode], admin: true)
        guard let base32 = enrol["secret"]?.string else { throw TestFailure("TOTP enrolment of \(account.username): \(enrol)") }
        let code = try TOTPSecret(base32: base32).code(at: Date())
        let verified = try await call("POST", "/admin/v1/session/totp", token: token, body: ["code": code], admin: true)
        guard verified.status == 200 else { throw TestFailure("TOTP of \(account.username): \(verified)") }
        return token
    }

    /// An account asked for over the admin API by `asker` and approved by `approver`, as it
    /// is handed to its owner (password and activation code).
    func requestAndApprove(_ username: String, role: String, organisation: OrganisationID, asker: String, approver: String) async throws -> Account {
        let password = World.password
        let made = try await call("POST", "/admin/v1/accounts", token: asker, body: [
            "username": username, "password": password, "role": role, "organisation": organisation.rawValue], admin: true)
        guard made.status == 201, made["status"]?.string == "pending", let code = made["activation"]?.object?["code"]?.string else {
            throw TestFailure("account request for \(username): \(made)")
        }
        let requests = try await call("GET", "/admin/v1/requests", token: approver, admin: true)
        guard let id = requests["requests"]?.array?.compactMap(\.object).first(where: { $0["account"]?.string == made["id"]?.string })?["id"]?.string else {
            throw TestFailure("no request for \(username): \(requests)")
        }
        let own = try await call("POST", "/admin/v1/requests/\(id)/approve", token: asker, admin: true)
        #expect(own.status == 403, "the one who asked cannot approve: \(own)")
        let approved = try await call("POST", "/admin/v1/requests/\(id)/approve", token: approver, admin: true)
        guard approved.status == 200 else { throw TestFailure("approval of \(username): \(approved)") }
        return Account(username: username, role: role, password: password, activationCode: code)
    }
}

extension Scenario {
    /// The first personal-data call of a staff or partner account made less than 30 minutes
    /// ago, right after its sign-in: the watch's `fresh-account` detector reports it to the
    /// security officers, and the factor proved at that sign-in stands for the step-up it would
    /// otherwise ask (a co-operative's audit: the code just typed was refused as used). Returns
    /// the token and the answer.
    func firstAccess(_ account: Account, token: String, _ method: String, _ path: String, purpose: String?,
                     body: [String: Any]? = nil) async throws -> (token: String, answer: Answer) {
        let answer = try await call(method, path, token: token, purpose: purpose, body: body)
        #expect(!answer.text.contains("verify your second factor again"), "a fresh account's first access, just signed in, is not asked for its factor again: \(answer)")
        return (token, answer)
    }
}
