import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird
import NIOCore

/// Partner exports as pages (C11, docs/LIFECYCLE.md): a partner whose role the profile lets
/// export lists its exports and makes one, encrypted to the key it pastes, downloaded at once
/// (the same gate call as `POST /v1/exports`); a security officer traces a leaked file by its
/// row ids (as `POST /admin/v1/export-leaks`).
extension GuichetServer {
    /// A partner of a page whose role has an export rule, past the second factor.
    func pageExporter(_ s: PageScope) throws -> (Principal, ExportRule) {
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        guard let rule = profile.exports[p.role] else { throw GuichetError.forbidden("your role may not export data") }
        guard p.mayReachPersonalData else { throw GuichetError.forbidden("a second factor is required before any personal data") }
        return (p, rule)
    }

    /// The exports page: what an export holds, the form (as typed, with why, when refused), and
    /// the account's exports (ids, dates, counts; never a row).
    func partnerExportsPage(_ s: PageScope, recipientKey: String = "", justification: String = "", error: String? = nil,
                            status: HTTPResponse.Status = .ok) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let (p, rule) = try pageExporter(s)
        let now = Date()
        let rows = try await gate.exports(of: p).map { e -> [String: Any] in
            ["id": e.id, "created": PageFormat.when(e.createdAt, l), "expires": PageFormat.when(e.expiresAt, l), "expired": e.expiresAt <= now,
             "dossiers": e.dossiers, "persons": e.persons, "ledgerIndex": e.ledgerIndex]
        }
        let fields = rule.fields.map { Labels.field($0, language: l, profile: profile) }.joined(separator: ", ")
        var values: [String: Any] = ["purpose": rule.purpose, "recipientKey": recipientKey, "justification": justification,
                                     "exports": rows, "noExport": rows.isEmpty,
                                     "intro": pages.text("partnerExportsIntro", l).replacingOccurrences(of: "{fields}", with: fields)
                                         .replacingOccurrences(of: "{days}", with: "\(rule.days)")]
        if let error { values["formError"] = pages.text(error, l) }
        return try render("partner-exports", values, s, status: status)
    }

    /// Makes an export from the form and returns the file to download; a key that is not one
    /// brings the form back as typed, and no file is made.
    func makePartnerExport(_ form: FormBody, _ s: PageScope, _ ctx: GuichetContext) async throws -> Response {
        _ = try pageExporter(s)
        let typed = form.pairs.first { $0.name == "recipientKey" }?.value ?? ""
        func refused() async throws -> Response {
            try await partnerExportsPage(s, recipientKey: typed, justification: form["justification"] ?? "", error: "partnerExportBadKey", status: .badRequest)
        }
        // A pasted key may be wrapped over lines.
        guard let key = Data(base64Encoded: String(typed.filter { !$0.isWhitespace })) else { return try await refused() }
        let file: PartnerExportFile
        do {
            file = try await gate.exportCaseload(recipientKey: key, try gateRequest(s, ctx, purpose: form["purpose"], justification: form["justification"]))
        } catch GuichetError.invalid {
            return try await refused()  // the gate's only invalid input here: the key
        }
        var response = Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
        response.headers[.contentDisposition] = "attachment; filename=\"guichet-export-\(file.id).json\""
        response.headers[.cacheControl] = "no-store"
        return response
    }

    /// The leak-tracing page: the rows pasted (as typed) and the exports they come from.
    func leaksPage(_ s: PageScope, _ ctx: GuichetContext, rows: String = "", found: [PartnerExportRecord]? = nil, error: String? = nil,
                   status: HTTPResponse.Status = .ok) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        _ = try pageOfficer(s, ctx, fresh: false)
        var values: [String: Any] = ["rows": rows]
        if let error { values["formError"] = pages.text(error, l) }
        if let found {
            let names = try await staffNames()
            let exports = found.map { e -> [String: Any] in
                ["id": e.id, "account": names[e.account] ?? "", "created": PageFormat.when(e.createdAt, l), "expires": PageFormat.when(e.expiresAt, l),
                 "dossiers": e.dossiers, "persons": e.persons, "ledgerIndex": e.ledgerIndex]
            }
            values["searched"] = true
            values["exports"] = exports
            values["noMatch"] = exports.isEmpty
        }
        return try render("security-export-leaks", values, s, status: status)
    }

    func addPartnerExportPages(_ r: RouteRecorder) {
        page(r, .get, "/web/exports", admin: false) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.partnerExportsPage(s)
        }
        page(r, .post, "/web/exports", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            // A step-up asked on the way carries the key pasted and the reason typed.
            let carried = form.pairs.filter { ["purpose", "recipientKey", "justification"].contains($0.name) }
            return try await self.answeringStepUp(form, s, action: "\(s.prefix)/exports", carried: carried) { fresh in
                try await self.makePartnerExport(form, fresh, ctx)
            }
        }
    }

    func addLeakPages(_ r: RouteRecorder) {
        page(r, .get, "/web/security/export-leaks", admin: true) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.leaksPage(s, ctx)
        }
        page(r, .post, "/web/security/export-leaks", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            _ = try self.pageOfficer(s, ctx, fresh: false)
            let typed = form.pairs.first { $0.name == "rows" }?.value ?? ""
            // One row id a line; quotes and commas copied from the file's JSON are dropped.
            let ids = typed.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: CharacterSet(charactersIn: " \t\",")) }.filter { !$0.isEmpty }
            guard !ids.isEmpty, ids.count <= Gate.maxExportDossiers + 1_000, ids.allSatisfy({ $0.count <= 64 }) else {
                return try await self.leaksPage(s, ctx, rows: typed, error: "leaksBadRows", status: .badRequest)
            }
            return try await self.leaksPage(s, ctx, rows: typed, found: try await self.gate.identifyLeak(rowIDs: ids))
        }
    }
}
