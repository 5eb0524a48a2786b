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
    /// A factor older than five minutes, or the ceiling of changes met, gives the step-up form,
    /// which carries what was typed (and, for the ceiling, asks why) and erases after the code.
    func erase(_ form: FormBody, _ s: PageScope, source: String?) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let draft = ["person": form["person"] ?? "", "reference": form["reference"] ?? ""]
        let carried = form.pairs.filter { ["person", "reference", "confirm", "justification"].contains($0.name) }
        return try await answeringStepUp(form, s, action: "/web/security/erasures", carried: carried) { fresh in
            let officer = try self.pageErasureOfficer(fresh, fresh: true)
            func refused(_ key: String, _ status: HTTPResponse.Status = .badRequest) async throws -> Response {
                try await self.erasuresPage(fresh, receipt: nil, done: nil, draft: draft, error: pages.text(key, l), status: status)
            }
            guard form["confirm"] == "yes" else { return try await refused("erasureConfirmMissing") }
            guard let person = form["person"].flatMap(PersonID.init(validating:)) else { return try await refused("erasureBadPerson") }
            let receipt: ErasureReceipt
            do {
                receipt = try await self.gate.eraseOnRequest(person: person, reference: form["reference"] ?? "", officer, requestID: Self.requestID(),
                                                             source: source, justification: form["justification"])
            } catch GuichetError.notFound {
                return try await refused("erasureUnknownPerson", .notFound)
            } catch GuichetError.invalid {
                return try await refused("erasureBadReference")  // the gate's only invalid input here: the reference
            }
            return WebPages.redirect("/web/security/erasures?receipt=\(receipt.request)&done=erasure")
        }
    }

    /// An archived file's page for staff whose read the gate refused as archived: the requests
    /// of theirs that wait for approval, a link for a purpose already approved, and the form
    /// that asks (a purpose the profile allows for archives, a case reference). It says nothing
    /// the refusal did not: the gate refuses an archived file this way only to a role whose
    /// read the policy allows.
    /// - Parameters:
    ///   - reference: the reference as typed, when the form was refused (`error`).
    func archivedPage(_ id: DossierID, purpose: String?, done: String?, _ s: PageScope, reference: String? = nil, error: String? = nil,
                      status: HTTPResponse.Status = .forbidden) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        let spec = profile.retention.archive
        var values: [String: Any] = ["id": id.rawValue, "reference": reference ?? "",
                                     "intro": pages.text("archivedIntro", l).replacingOccurrences(of: "{minutes}", with: "\(spec?.minutes ?? 0)")]
        if let error { values["formError"] = pages.text(error, l) }
        if let done, let text = pages.optionalText("done_" + done, l) { values["done"] = text }
        let purposes = (spec?.purposes ?? []).sorted()
        func label(_ purpose: String) -> String { pages.optionalText("purpose_" + purpose, l) ?? purpose }
        let waiting = try await store.pendingArchiveRequests(limit: 500).filter { $0.account == p.account && $0.dossier == id }
        values["waiting"] = waiting.map { ["reference": $0.reference, "purpose": label($0.purpose), "at": PageFormat.when($0.requestedAt, l)] as [String: Any] }
        values["hasWaiting"] = !waiting.isEmpty
        var approved: [[String: Any]] = []
        for purpose in purposes where try await store.archiveReadApproved(account: p.account, dossier: id, purpose: purpose, at: Date()) {
            approved.append(["href": "\(s.prefix)/dossiers/\(id.rawValue)\(Self.purposeQuery(purpose))", "label": label(purpose)])
        }
        values["approved"] = approved
        if spec?.roles.contains(p.role) == true {
            values["mayAsk"] = true
            values["purposes"] = purposes.map { ["value": $0, "label": label($0), "selected": $0 == purpose] as [String: Any] }
        }
        return try render("dossier-archived", values, s, status: status)
    }

    /// The archive-read forms of the public listener: staff ask on the archived file's page.
    func addLifecyclePublicPages(_ r: RouteRecorder) {
        page(r, .post, "/web/dossiers/:id/archive-reads", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: DossierID = try ctx.parameters.identifier("id")
            let purpose = form["purpose"]
            do {
                _ = try await self.gate.requestArchiveRead(id, reference: form["reference"] ?? "", try self.gateRequest(s, ctx, purpose: purpose))
            } catch GuichetError.invalid {
                // The gate's only invalid input here: the reference. The form again, as typed.
                return try await self.archivedPage(id, purpose: purpose, done: nil, s, reference: form["reference"], error: "archiveBadReference",
                                                   status: .badRequest)
            }
            return WebPages.redirect("\(s.prefix)/dossiers/\(id.rawValue)\(Self.purposeQuery(purpose))&done=archive-read")
        }
    }

    /// Archive reads waiting for approval, as the security home lists them (approvers only).
    func pendingArchiveRows(_ officer: Principal, names: [AccountID: String], _ pages: WebPages, _ l: String) async throws -> [[String: Any]] {
        try await gate.pendingArchiveReads(officer).map { a -> [String: Any] in
            ["account": names[a.account] ?? "", "dossier": a.dossier.rawValue, "purpose": pages.optionalText("purpose_" + a.purpose, l) ?? a.purpose,
             "reference": a.reference, "mine": a.account == officer.account, "action": "/web/security/archive-reads/\(a.id)/approve"]
        }
    }

    func addLifecycleAdminPages(_ r: RouteRecorder) {
        // A second person approves an archive read: an approver's role, a fresh second factor,
        // never the account that asked (the gate decides again).
        page(r, .post, "/web/security/archive-reads/:id/approve", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            guard self.profile.retention.archive?.approvers.contains(p.role) == true else { throw GuichetError.forbidden("your role may not approve archive reads") }
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid request id") }
            // A stale factor, or past the ceiling of approvals: the step-up form asks for a code
            // (and why), and approves after it.
            let carried = form.pairs.filter { $0.name == "justification" }
            return try await self.answeringStepUp(form, s, action: "/web/security/archive-reads/\(id)/approve", carried: carried) { fresh in
                guard let p = fresh.principal else { throw GuichetError.unauthenticated }
                try self.auth.requireStepUp(p)
                do {
                    _ = try await self.gate.approveArchiveRead(id, p, requestID: Self.requestID(), source: ctx.source, justification: form["justification"])
                } catch GuichetError.notFound {
                    let pages = try Self.webPages()
                    return try self.render("error", ["message": pages.text("archiveRequestGone", s.language), "errorKey": "errNotFound"], fresh, status: .notFound)
                }
                return WebPages.redirect("/web/home?done=archive-approve")
            }
        }
        page(r, .get, "/web/security/erasures", admin: true) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.erasuresPage(s, receipt: req.uri.queryParameters.get("receipt"), done: req.uri.queryParameters.get("done"))
        }
        // The receipt as the verifiable JSON the API gives (`GET /admin/v1/erasures/{id}`), to
        // hand to the person or keep on file (a co-operative's audit: the page showed HTML only).
        page(r, .get, "/web/security/erasure-receipt.json", admin: true) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            _ = try self.pageErasureOfficer(s, fresh: false)
            guard let id = req.uri.queryParameters.get("receipt"), id.count <= 64, let receipt = try await self.gate.erasureReceipt(id) else {
                throw GuichetError.notFound
            }
            var response = Reply.json(try JSONParser.parse(Array(try receipt.json().utf8)))
            let name = String(id.filter { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }.prefix(64))
            response.headers[.contentDisposition] = "attachment; filename=\"erasure-receipt-\(name).json\""
            return response
        }
        page(r, .post, "/web/security/erasures", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            return try await self.erase(form, s, source: ctx.source)
        }
    }
}
