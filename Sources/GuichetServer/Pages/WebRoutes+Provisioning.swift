import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// Administrators' pages for what the admin API provisions and the accounts page did not show
/// (a new-user test: an organisation's territory had to exist, and no page could add one; a
/// file could be put in a caseload only with the command line, which moves it silently):
///
/// - `/web/admin/territories`: the territories and a form to add one, as
///   `GET/POST /admin/v1/territories` (``Provisioning/addTerritory(code:name:by:)``).
/// - `/web/admin/accounts/{id}/caseload`: a staff or partner account's caseload by file number,
///   as `GET /admin/v1/accounts/{id}/caseload` (numbers only, read from the store as the API
///   does: no personal value), and a form to assign a file, as `POST .../caseload`
///   (``Provisioning/assignCaseload(_:to:by:)``: a request a second administrator approves). A
///   file already in another account's caseload is moved out of it by an assignment: the page
///   names that account and asks for a tick box first.
///
/// Each needs an administrator with a second factor verified in the last five minutes, as the API.
extension GuichetServer {
    /// An administrator (not an account administrator: the API's routes take administrators only),
    /// with a fresh second factor.
    func pageAdministrator(_ s: PageScope, _ ctx: GuichetContext) throws -> Provisioner {
        guard let p = s.principal, p.kind == .admin else { throw GuichetError.forbidden("this needs an administrator account") }
        return try pageProvisioner(s, ctx)
    }

    // MARK: territories

    /// - Parameters:
    ///   - draft: the form refused, as typed (`code`, `name`), with `failed` (why).
    func territoriesPage(_ s: PageScope, _ ctx: GuichetContext, done: String? = nil, draft: [String: String] = [:],
                         status: HTTPResponse.Status = .ok) async throws -> Response {
        _ = try pageAdministrator(s, ctx)
        let pages = try Self.webPages()
        let organisations = try await store.organisations(kind: nil)
        let territories = try await store.territories().sorted { $0.code < $1.code }.map { t -> [String: Any] in
            ["code": t.code, "name": t.name, "organisations": organisations.filter { $0.territory == t.code }.count]
        }
        var values: [String: Any] = ["territories": territories, "none": territories.isEmpty,
                                     "code": draft["code"] ?? "", "name": draft["name"] ?? ""]
        if let failed = draft["failed"] { values["failed"] = failed }
        if let done, let text = pages.optionalText("done_" + done, s.language) { values["done"] = text }
        return try render("admin-territories", values, s, status: status)
    }

    // MARK: caseloads

    /// An account's caseload, by file number, with the assignment form.
    /// - Parameters:
    ///   - draft: the file number typed, when the form comes back.
    ///   - failed: why nothing was asked.
    ///   - confirmFrom: the user name of the account whose caseload holds the file now (the form
    ///     asks for the tick box that confirms the move).
    ///   - asked: the request just made (the file, and the account it moves from, if any).
    func caseloadPage(_ s: PageScope, _ ctx: GuichetContext, account id: AccountID, draft: String = "", failed: String? = nil,
                      confirmFrom: String? = nil, asked: [String: Any]? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let by = try pageAdministrator(s, ctx)
        let pages = try Self.webPages()
        let l = s.language
        guard let account = try await store.account(id: id) else { throw GuichetError.notFound }
        guard let kind = profile.roles[account.role]?.kind, kind == .staff || kind == .partner else {
            throw GuichetError.invalid("only staff and partner accounts have a caseload")
        }
        let ids = try await store.caseload(of: id)
        let names = try await staffNames()
        // The requests about this caseload that wait for a second administrator.
        let waiting = try await provisioning.pendingCaseloadRequests(by: by).filter { $0.to == id || $0.from == id }.map { r -> [String: Any] in
            ["kind": pages.text(r.kind == .assign ? "caseloadAssign" : "transfer", l), "count": r.dossiers.count,
             "dossiers": r.dossiers.prefix(20).map(\.rawValue).joined(separator: ", "), "to": names[r.to] ?? "",
             "requestedBy": names[r.requestedBy] ?? "", "at": PageFormat.when(r.requestedAt, l)]
        }
        let shown = 500
        let organisations = try await organisationNames()
        var values: [String: Any] = [
            "username": account.username, "role": pages.optionalText("role_" + account.role, l) ?? account.role,
            "count": ids.count, "empty": ids.isEmpty,
            "dossiers": ids.prefix(shown).map { ["id": $0.rawValue, "href": "/web/admin/registry?id=\($0.rawValue)"] },
            "more": ids.count > shown ? pages.text("caseloadMore", l).replacingOccurrences(of: "{shown}", with: "\(shown)") : "",
            "waiting": waiting, "noWaiting": waiting.isEmpty,
            "action": "/web/admin/accounts/\(id.rawValue)/caseload", "dossier": draft,
        ]
        if let name = account.organisation.flatMap({ organisations[$0] }) { values["organisation"] = name }
        if let failed { values["failed"] = failed }
        if let confirmFrom { values["confirmFrom"] = confirmFrom }
        if let asked { values["asked"] = asked }
        return try render("admin-caseload", values, s, status: status)
    }

    /// Asks for a file to be put in an account's caseload. When another account's caseload holds
    /// it, the request is made only with the tick box that confirms the move, and says so.
    func assignFromPage(_ s: PageScope, _ ctx: GuichetContext, account id: AccountID, form: FormBody) async throws -> Response {
        let by = try pageAdministrator(s, ctx)
        let pages = try Self.webPages()
        let l = s.language
        let typed = form["dossier"] ?? ""
        func refused(_ key: String, detail: String? = nil, status: HTTPResponse.Status = .badRequest) async throws -> Response {
            let text = pages.text(key, l) + (detail.map { " " + self.refusal($0, l) } ?? "")
            return try await caseloadPage(s, ctx, account: id, draft: typed, failed: text, status: status)
        }
        guard let dossier = DossierID(validating: typed) else { return try await refused("caseloadBadNumber") }
        guard let record = try await store.dossiers([dossier]).first else { return try await refused("caseloadNoDossier", status: .notFound) }
        if record.assignedAgent == id { return try await refused("caseloadAlready", status: .conflict) }
        var from: String?
        if let holder = record.assignedAgent {
            from = try await store.account(id: holder)?.username ?? ""
            guard form["confirm"] == "yes" else {
                return try await caseloadPage(s, ctx, account: id, draft: typed, confirmFrom: from, status: .conflict)
            }
        }
        do {
            _ = try await provisioning.assignCaseload([dossier], to: id, by: by)
        } catch GuichetError.invalid(let m) {
            return try await refused("caseloadRefused", detail: m)
        }
        var asked: [String: Any] = ["dossier": dossier.rawValue]
        if let from { asked["from"] = from }
        return try await caseloadPage(s, ctx, account: id, asked: asked)
    }

    func addProvisioningPages(_ r: RouteRecorder) {
        page(r, .get, "/web/admin/territories", admin: true) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            let done = req.uri.queryParameters.get("done")
            return try await self.territoriesPage(s, ctx, done: done)
        }
        page(r, .post, "/web/admin/territories", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let by = try self.pageAdministrator(s, ctx)
            let code = form["code"] ?? "", name = form["name"] ?? ""
            let pages = try Self.webPages()
            do {
                _ = try await self.provisioning.addTerritory(code: code, name: name, by: by)
                return WebPages.redirect("/web/admin/territories?done=territory")
            } catch GuichetError.invalid(let m) {
                return try await self.territoriesPage(s, ctx, draft: ["code": code, "name": name, "failed": pages.text("territoryRefused", s.language) + " " + self.refusal(m, s.language)],
                                                      status: .badRequest)
            } catch GuichetError.conflict {
                return try await self.territoriesPage(s, ctx, draft: ["code": code, "name": name, "failed": pages.text("territoryExists", s.language)],
                                                      status: .conflict)
            }
        }
        page(r, .get, "/web/admin/accounts/:id/caseload", admin: true) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.caseloadPage(s, ctx, account: try ctx.parameters.identifier("id"))
        }
        page(r, .post, "/web/admin/accounts/:id/caseload", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            return try await self.assignFromPage(s, ctx, account: try ctx.parameters.identifier("id"), form: form)
        }
    }
}
