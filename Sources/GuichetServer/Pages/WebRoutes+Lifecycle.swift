import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// The data lifecycle's pages (docs/LIFECYCLE.md), for those who work only in the browser:
/// an erasure request (GDPR art. 17) carried out by an erasure officer on the admin listener,
/// with its receipt; an archived file's read asked by staff on the file's page and approved by
/// a security officer on the security home. Each calls what `LifecycleRoutes.swift` calls.
extension GuichetServer {
    /// An erasure officer of a page (a role the profile's `retention.erasure.roles` names), past
    /// the second factor; `fresh`: verified in the last five minutes, for the erasure itself.
    func pageErasureOfficer(_ s: PageScope, fresh: Bool) throws -> Principal {
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        guard profile.retention.erasureOfficers.contains(p.role) else { throw GuichetError.forbidden("your role may not record erasure requests") }
        if fresh { try auth.requireStepUp(p) } else if !p.mayReachPersonalData {
            throw GuichetError.forbidden("a second factor is required before any personal data")
        }
        return p
    }

    /// The erasure page: a receipt (looked up by its number, or just made), the erasure form
    /// (as typed, with why, when it was refused) and the receipt look-up.
    func erasuresPage(_ s: PageScope, receipt id: String?, done: String?, draft: [String: String] = [:], error: String? = nil,
                      status: HTTPResponse.Status = .ok) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        _ = try pageErasureOfficer(s, fresh: false)
        var values: [String: Any] = ["draft": draft]
        var status = status
        if let error { values["formError"] = error }
        if let id, !id.isEmpty {
            values["lookup"] = id
            if id.count <= 64, let receipt = try await gate.erasureReceipt(id) {
                values["receipt"] = receiptValues(receipt, l)
            } else {
                values["receiptMissing"] = true
                status = .notFound
            }
        }
        if let done, let text = pages.optionalText("done_" + done, l) { values["done"] = text }
        return try render("security-erasures", values, s, status: status)
    }

    /// A receipt as the page shows it: numbers, field labels, dates; never a value.
    func receiptValues(_ r: ErasureReceipt, _ l: String) -> [String: Any] {
        let kept = (r.kept ?? []).map { k -> [String: Any] in
            ["dossier": k.dossier.rawValue, "fields": k.fields.map { Labels.field($0, language: l, profile: profile) }.joined(separator: ", "),
             "ground": k.ground[l] ?? k.ground.values.sorted().first ?? "", "until": PageFormat.whenDay(k.until, l)]
        }
        return ["id": r.request, "person": r.person.rawValue, "reference": r.reference, "erasedAt": PageFormat.when(r.erasedAt, l),
                "fields": r.fields.map { profile.personField($0)?.labels[l] ?? Labels.field($0, language: l, profile: profile) }.joined(separator: ", "),
                "dossiers": r.dossiers.map(\.rawValue), "keptDossiers": r.keptDossiers.map(\.rawValue),
                "ledgerIndex": r.ledgerIndex, "kept": kept, "hasKept": !kept.isEmpty]
    }

    /// Carries out an erasure from the form: the box ticked, a person number, a reference; the
    /// gate erases and journals. A refusal shows the form again as typed, with why; nothing is erased.
    func erase(_ form: FormBody, _ s: PageScope) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let officer = try pageErasureOfficer(s, fresh: true)
        let draft = ["person": form["person"] ?? "", "reference": form["reference"] ?? ""]
        func refused(_ key: String, _ status: HTTPResponse.Status = .badRequest) async throws -> Response {
            try await erasuresPage(s, receipt: nil, done: nil, draft: draft, error: pages.text(key, l), status: status)
        }
        guard form["confirm"] == "yes" else { return try await refused("erasureConfirmMissing") }
        guard let person = form["person"].flatMap(PersonID.init(validating:)) else { return try await refused("erasureBadPerson") }
        let receipt: ErasureReceipt
        do {
            receipt = try await gate.eraseOnRequest(person: person, reference: form["reference"] ?? "", officer, requestID: Self.requestID())
        } catch GuichetError.notFound {
            return try await refused("erasureUnknownPerson", .notFound)
        } catch GuichetError.invalid {
            return try await refused("erasureBadReference")  // the gate's only invalid input here: the reference
        }
        return WebPages.redirect("/web/security/erasures?receipt=\(receipt.request)&done=erasure")
    }

    func addLifecycleAdminPages(_ r: RouteRecorder) {
        page(r, .get, "/web/security/erasures", admin: true) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.erasuresPage(s, receipt: req.uri.queryParameters.get("receipt"), done: req.uri.queryParameters.get("done"))
        }
        page(r, .post, "/web/security/erasures", admin: true) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            return try await self.erase(form, s)
        }
    }
}
