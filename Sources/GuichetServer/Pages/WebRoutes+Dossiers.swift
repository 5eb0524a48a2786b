import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// The dossier pages every signed-in role of the public listener shares: one dossier opened
/// through the gate (the fields the policy lets this role see), its rank on each waiting list,
/// and the workflow steps the role may take, each a form. Citizens' and staff's own pages
/// (their lists, search, applying) are in their own files.
extension GuichetServer {
    func addDossierPages(_ r: RouteRecorder) {
        // A file opened by its number (the staff home's form): to its page, for the purpose
        // stated; a number that is no file number is refused here, before any read.
        page(r, .get, "/web/open", admin: false) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            guard let p = s.principal, p.kind == .staff || p.kind == .partner else { throw GuichetError.forbidden("only staff and partners open files by their number") }
            guard let id = req.uri.queryParameters.get("file").map({ $0.trimmingCharacters(in: .whitespaces) }).flatMap(DossierID.init(validating:)) else {
                throw GuichetError.invalid("this is not a file number (22 characters, as shown on a file's page)")
            }
            let purpose = req.uri.queryParameters.get("purpose").flatMap { $0.isEmpty ? nil : $0 }
            return WebPages.redirect("\(s.prefix)/dossiers/\(id.rawValue)" + (purpose.map { Self.purposeQuery($0) } ?? ""))
        }
        page(r, .get, "/web/dossiers/:id", admin: false) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            let id: DossierID = try ctx.parameters.identifier("id")
            let purpose = req.uri.queryParameters.get("purpose").flatMap { $0.isEmpty ? nil : $0 }
            let done = req.uri.queryParameters.get("done")
            // Staff and partners state why before a file opens: a file's address without its
            // purpose (typed, or a number given by a colleague) asks for it rather than ending
            // on a refusal (a new-user test). Nothing is read until one is chosen.
            if purpose == nil, let p = s.principal, p.kind == .staff || p.kind == .partner, let offered = self.purposesToChoose(p) {
                return try self.purposeChoicePage(id, offered, s)
            }
            // A claim code issued just before (the form's POST sent here): shown this once.
            let claim = s.principal.flatMap { self.claimCodeFlash.take(session: $0.session, dossier: id) }.map { Self.claimValues($0, s.language, relay: self.auth.mailer != nil) }
            var response = try await self.dossierPage(id, purpose: purpose, justification: nil, done: done, s, ctx, extra: claim.map { ["claimIssued": $0] } ?? [:])
            if claim != nil { response.headers[.cacheControl] = "no-store" }  // a code must not stay in a cache
            return response
        }
        // The step-up a ceiling or unusual activity asks for: a fresh code and, for a
        // ceiling, why; then the dossier is opened with that justification.
        page(r, .post, "/web/dossiers/:id/open", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            let id: DossierID = try ctx.parameters.identifier("id")
            var fresh = s
            var cookie: String?
            if let code = form["code"] {
                do { _ = try await self.auth.verifyTOTP(p, code: code) } catch GuichetError.unauthenticated {
                    // The same step-up again, saying the code was wrong, with the reason as typed.
                    return try await self.dossierPage(id, purpose: form["purpose"], justification: nil, done: nil, s, ctx,
                                                      wrongCode: (true, form["justification"] ?? ""))
                }
                cookie = try await self.renewAfterFactor(&fresh)
            } else {
                fresh.principal = try await self.principal(token: s.token ?? "", admin: false)
            }
            var response = try await self.dossierPage(id, purpose: form["purpose"], justification: form["justification"], done: nil, fresh, ctx)
            if let cookie { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
            return response
        }
        // Break-glass (a role the profile allows): a fresh code and a written reason, then the
        // gate opens the file for the profile's minutes, with its restricted fields, for review.
        page(r, .post, "/web/dossiers/:id/break-glass", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            guard let p = s.principal else { throw GuichetError.unauthenticated }
            let id: DossierID = try ctx.parameters.identifier("id")
            // A reason the gate would refuse comes back on the form as typed, before the code
            // is checked, so that the code is not spent on it.
            let typed = form.pairs.first { $0.name == "justification" }?.value ?? ""
            do { _ = try self.gate.checkBreakGlassJustification(typed) } catch GuichetError.invalid(let m) {
                return try self.breakGlassPage(id, purpose: form["purpose"], s, failed: m, typed: typed)
            }
            // A wrong code is said as one, beside the form, with the reason as typed (an
            // everyday users' audit: it read "unusual activity", and the reason was lost).
            do { _ = try await self.auth.verifyTOTP(p, code: try form.required("code")) } catch GuichetError.unauthenticated {
                return try self.breakGlassPage(id, purpose: form["purpose"], s, failed: nil, typed: typed, wrongCode: true)
            }
            var fresh = s
            let cookie = try await self.renewAfterFactor(&fresh)
            let g = try self.gateRequest(fresh, ctx, purpose: form["purpose"])
            do {
                _ = try await self.gate.breakGlass(id, justification: typed, g)
            } catch GuichetError.invalid(let m) {
                var page = try self.breakGlassPage(id, purpose: form["purpose"], fresh, failed: m, typed: typed)
                page.headers.append(HTTPField(name: .setCookie, value: cookie))
                return page
            } catch {
                // Refused after the factor passed: the error page carries the new cookie too.
                var page = try self.errorPage(error, fresh)
                page.headers.append(HTTPField(name: .setCookie, value: cookie))
                return page
            }
            var response = try await self.dossierPage(id, purpose: form["purpose"], justification: nil, done: "break-glass", fresh, ctx)
            response.headers.append(HTTPField(name: .setCookie, value: cookie))
            return response
        }
        // A claim code for a person of the file, for them to make their account and see their
        // file (a new-user test found no page for it): e-mailed to their address on file, or
        // shown once here for the office's letter.
        // A person's access request answered at the counter (`POST /v1/persons/{id}/export`):
        // their data and access history, as the JSON file the API gives, to hand over; the
        // request's reference is journalled (a new-user test found no page for it).
        page(r, .post, "/web/dossiers/:id/persons/:person/export", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let person: PersonID = try ctx.parameters.identifier("person")
            let g = try self.gateRequest(s, ctx, purpose: form["purpose"].flatMap { $0.isEmpty ? nil : $0 })
            let export: CitizenExport
            do { export = try await self.gate.exportOnBehalf(of: person, reference: try form.required("reference"), g) } catch let e as GuichetError {
                // A reference refused (a name, a date, too long): the file's page again, with
                // why beside the field and what was typed (an everyday users' audit).
                let id: DossierID = try ctx.parameters.identifier("id")
                guard case .invalid = e, let refused = RefusedChange(e, form: .accessRequest(person), typed: form) else { throw e }
                return try await self.dossierPage(id, purpose: form["purpose"], justification: nil, done: nil, s, ctx, refused: refused)
            }
            let history = try await BreachResponse.history(of: person, account: nil, gate: self.gate, store: self.store,
                                                           language: s.language, after: nil, limit: self.limits.historyPage)
            var response = Reply.json(Self.exportJSON(export, history: history))
            response.headers[.contentDisposition] = "attachment; filename=\"\(self.profile.name)-access-request.json\""
            response.headers[.cacheControl] = "no-store"
            return response
        }
        page(r, .post, "/web/dossiers/:id/persons/:person/claim-code", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: DossierID = try ctx.parameters.identifier("id")
            let person: PersonID = try ctx.parameters.identifier("person")
            let purpose = form["purpose"].flatMap { $0.isEmpty ? nil : $0 }
            let g = try self.gateRequest(s, ctx, purpose: purpose)
            let delivery = try await self.provisioning.issueClaim(for: person, g)
            // To the file's page by GET (a reload there issues nothing), which shows it once.
            self.claimCodeFlash.put(delivery, session: g.principal.session, dossier: id)
            return WebPages.redirect("\(s.prefix)/dossiers/\(id.rawValue)\(Self.purposeQuery(purpose))")
        }
        page(r, .post, "/web/dossiers/:id/transitions/:name", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: DossierID = try ctx.parameters.identifier("id")
            let name = ctx.parameters.get("name") ?? ""
            let g = try self.gateRequest(s, ctx, purpose: form["purpose"], justification: form["justification"])
            // By the step's name (in any type of file), before the gate: the answer tells
            // nothing of the file itself.
            if form["confirm"] != "yes", self.profile.dossierTypes.values.contains(where: { Self.isFinal(name, $0) }) {
                // The file's page again (as the gate lets the caller read it), with why at the
                // step's button (a pages audit: a bare error page).
                let refused = GuichetError.invalid("this step is final: tick the box that confirms it, then click again")
                return try await self.dossierPage(id, purpose: form["purpose"], justification: nil, done: nil, s, ctx,
                                                  refusedStep: (name, refused))
            }
            do {
                if name == "withdraw" {
                    _ = try await self.gate.transition(id, "withdraw", g)
                } else {
                    _ = try await self.gate.transition(id, name, g)
                    self.noticeNudge.wake()  // a notice the transition owes is in the outbox: wake its sender
                }
            } catch let e as GuichetError {
                if let page = try self.stepUpPage(e, id, purpose: form["purpose"], s) { return page }
                throw e
            }
            return WebPages.redirect("\(s.prefix)/dossiers/\(id.rawValue)\(Self.purposeQuery(form["purpose"]))&done=\(name)")
        }
        page(r, .post, "/web/dossiers/:id", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: DossierID = try ctx.parameters.identifier("id")
            let g = try self.gateRequest(s, ctx, purpose: form["purpose"], justification: form["justification"])
            let view = try await self.gate.read(id, g)
            guard let type = self.profile.dossierTypes[view.type] else { throw GuichetError.notFound }
            do {
                var fields: [String: JSON] = [:]
                for spec in type.fields where !spec.system && self.writable(spec.name, type: view.type, role: g.principal.role) {
                    if let v = try Self.formValue(form, "f." + spec.name, spec) { fields[spec.name] = v }
                }
                // The services chosen, when the form offered them (its marker field): sent only
                // when they differ from the file's, and the gate decides whether they may be.
                var partners: [OrganisationID]?
                if form["partners-offered"] != nil {
                    let chosen = try Self.chosenPartners(form)
                    if chosen != view.partners { partners = chosen }
                }
                guard !fields.isEmpty || partners != nil else { throw GuichetError.invalid("change at least one field") }
                _ = try await self.gate.update(id, DossierChanges(fields: fields, partners: partners, expectedVersion: Int(form["version"] ?? "")), g)
            } catch let e as GuichetError {
                if let page = try self.stepUpPage(e, id, purpose: form["purpose"], s) { return page }
                // Refused as typed (a value out of range, too many services, a stale version):
                // the file's page again, the form as typed, with why.
                if let refused = RefusedChange(e, form: .dossier, typed: form) {
                    return try await self.dossierPage(id, purpose: form["purpose"], justification: nil, done: nil, s, ctx, refused: refused)
                }
                throw e
            }
            return WebPages.redirect("\(s.prefix)/dossiers/\(id.rawValue)\(Self.purposeQuery(form["purpose"]))&done=update")
        }
        addPersonChangePages(r)
    }

    static func purposeQuery(_ purpose: String?) -> String {
        "?purpose=" + (purpose?.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
    }

    /// Whether a role's rules let it write a dossier field (the form shows an input only then;
    /// the gate decides again on the update).
    func writable(_ path: String, type: String, role: String) -> Bool {
        profile.rules.contains { $0.effect == .allow && $0.roles.contains(role) && $0.dossierTypes.contains(type)
            && $0.actions.contains(.update) && $0.write.matches(path) }
    }

    /// Whether a step leads to a state the file never leaves (a withdrawal, a deregistration,
    /// a closing): the page asks to tick a box first (a new-user test: one click withdrew an
    /// application and lost its place on the list).
    static func isFinal(_ step: String, _ type: DossierType) -> Bool {
        step == "withdraw" || type.workflow.transitions.values.contains { $0.name == step && type.workflow.final.contains($0.to) }
    }

    /// One dossier opened through the gate, as a page.
    /// The ceiling's and the watch's step-up, when `e` asks for one: a form for the code (and,
    /// for a ceiling, why) that reopens the file with them, which answers the demand; a change
    /// refused at the ceiling of changes is then clicked again. Nil for any other refusal.
    /// - Parameter wrongCode: whether the code just sent was wrong (said above the form), and
    ///   the reason typed with it.
    func stepUpPage(_ e: GuichetError, _ id: DossierID, purpose: String?, _ s: PageScope,
                    wrongCode: (Bool, typed: String) = (false, "")) throws -> Response? {
        var values = try errorValues(e, s)
        guard values["stepUp"] != nil else { return nil }
        values["wrongCode"] = wrongCode.0
        values["justification"] = wrongCode.typed
        values["openAction"] = "\(s.prefix)/dossiers/\(id.rawValue)/open"
        values["purpose"] = purpose ?? ""
        values["askWhy"] = ["errCeiling", "errCeilingChanges", "errCeilingApprovals"].contains(values["errorKey"] as? String ?? "")
        // A passkey cannot go in this form: the second-factor step verifies it and sends
        // the browser back here, where the reason is given with the code left empty.
        let back = "\(s.prefix)/dossiers/\(id.rawValue)" + (purpose.map { "?purpose=\($0)" } ?? "")
        values["next"] = back.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        return try render("error", values, s, status: Problem.response(e).status)
    }

    /// The step-up a refusal asks for in the middle of a form (``answeringStepUp(_:_:action:carried:_:)``):
    /// the error page with a form for the code (and, for a ceiling, why) that posts the form
    /// again to `action` with what was typed in hidden fields (the reason typed goes in the box
    /// that asks why); an account with a passkey gets a passkey form that carries the same.
    /// A search that reaches a watched person outside the caseload asks only why (no code).
    /// Nil for any other refusal.
    /// - Parameter wrongCode: the code just sent was wrong (said above the form).
    func carriedStepUpPage(_ e: GuichetError, action: String, carried: [(name: String, value: String)], _ s: PageScope,
                           wrongCode: Bool = false) async throws -> Response? {
        var values = try errorValues(e, s)
        let key = values["errorKey"] as? String ?? ""
        let whyOnly = key == "errJustification"
        guard values["stepUp"] != nil || whyOnly, let p = s.principal else { return nil }
        values["wrongCode"] = wrongCode
        let askWhy = ["errCeiling", "errCeilingChanges", "errCeilingApprovals", "errJustification"].contains(key)
        values["openAction"] = action
        values["askWhy"] = askWhy
        values["whyOnly"] = whyOnly
        values["carries"] = true
        values["carried"] = carried.filter { !(askWhy && $0.name == "justification") }.map { ["name": $0.name, "value": $0.value] }
        if askWhy { values["justification"] = carried.first { $0.name == "justification" }?.value ?? "" }
        let passkey = whyOnly ? false : try await store.factors(account: p.account).contains { $0.confirmed && $0.kind == "webauthn" }
        if passkey { values["passkey"] = ["api": s.admin ? "/admin/v1" : "/v1"] }
        return try render("error", values, s, status: Problem.response(e).status, script: passkey)
    }

    /// A file outside the role's scope, for a role that may break the glass: "not found", and the
    /// form to break it, with the reason as `typed` and why it was refused (400) when it was.
    /// - Parameter wrongCode: the code just sent was wrong (said above the form, 401).
    func breakGlassPage(_ id: DossierID, purpose: String?, _ s: PageScope, failed: String?, typed: String, wrongCode: Bool = false) throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        var values = try errorValues(.notFound, s)
        values["message"] = pages.text("errNotFound", l)
        values["errorKey"] = "errNotFound"
        values["breakGlassAction"] = "\(s.prefix)/dossiers/\(id.rawValue)/break-glass"
        values["purpose"] = purpose ?? ""
        values["breakGlassIntro"] = pages.text("breakGlassIntro", l)
            .replacingOccurrences(of: "{characters}", with: "\(profile.breakGlass?.minJustification ?? 0)")
            .replacingOccurrences(of: "{minutes}", with: "\(profile.breakGlass?.minutes ?? 0)")
        values["breakGlassMin"] = profile.breakGlass?.minJustification ?? 0
        values["breakGlassMax"] = Gate.maxNoteLength
        values["breakGlassTyped"] = typed
        if let failed { values["breakGlassFailed"] = refusal(failed, l) }
        values["wrongCode"] = wrongCode
        return try render("error", values, s, status: wrongCode ? .unauthorized : failed == nil ? .notFound : .badRequest)
    }

    /// - Parameter extra: values shown once above the file (a claim code just issued).
    /// - Parameter refused: a change form the server refused, shown again as typed with why.
    /// - Parameter refusedStep: a workflow step refused before the gate (its box unticked), and why.
    func dossierPage(_ id: DossierID, purpose: String?, justification: String?, done: String?, _ s: PageScope, _ ctx: GuichetContext,
                     extra: [String: Any] = [:], refused: RefusedChange? = nil,
                     refusedStep: (name: String, error: GuichetError)? = nil,
                     wrongCode: (Bool, typed: String) = (false, "")) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        var g = try gateRequest(s, ctx, purpose: purpose, justification: justification)
        let view: DossierView
        do {
            view = try await gate.read(id, g)
        } catch GuichetError.notFound where profile.breakGlass?.roles.contains(g.principal.role) == true {
            // Outside the role's scope, for a role that may break the glass: say so, and offer it.
            return try breakGlassPage(id, purpose: purpose, s, failed: nil, typed: "")
        } catch GuichetError.forbidden(let m) where m.hasPrefix("this dossier is archived") {
            // Archived, and the policy lets this role read it: the way to ask for an archive
            // read, or where the request stands (a new-user test found no page for it).
            return try await archivedPage(id, purpose: purpose, done: done, s)
        } catch let e as GuichetError {
            if let page = try stepUpPage(e, id, purpose: purpose, s, wrongCode: wrongCode) { return page }
            throw e
        }
        g.justification = nil
        guard let type = profile.dossierTypes[view.type] else { throw GuichetError.notFound }
        let changeable = try await gate.changeable(id, g)
        let organisations = try await organisationNames()
        let mayAnswerAccess = profile.retention.accessRequests.map { $0.roles.contains(g.principal.role) && purpose.map($0.purposes.contains) == true } ?? false
        // Staff who may change this file (not merely their role: a file opened by break-glass
        // reads only) issue claim codes from it.
        let mayIssueClaims = g.principal.kind == .staff && (!changeable.fields.isEmpty || !changeable.persons.isEmpty)
        var values: [String: Any] = [
            "id": view.id.rawValue, "version": view.version, "purpose": purpose ?? "",
            "status": stateLabel(view.status, pages, l), "created": PageFormat.whenDay(view.createdAt, l),
            "fields": fieldRows(view, type: type, organisations: organisations, pages, l),
        ]
        // A refused change is said at the top too, with a link to its form further down (a
        // social-security audit: the error sat 3,900 pixels below where the page opened).
        if let refused {
            let anchor: String
            switch refused.form {
            case .dossier: anchor = "#edit-error"
            case .person(let person): anchor = "#person-\(person.rawValue)-error"
            case .accessRequest(let person): anchor = "#access-\(person.rawValue)-error"
            }
            values["changeFailedTop"] = ["text": pages.text("changeFailedTop", l), "href": anchor]
        }
        // Each person with their number (not personal data: what an erasure or an access
        // request names; a new-user test found it only inside the forms' addresses).
        var persons: [[String: Any]] = []
        // Two persons of one role (a secu account's dependants) are told apart by first name
        // (else by number) in the names of their forms: axe-core's landmark-unique found two
        // forms called "Modifier les renseignements de l'ayant droit" on one page.
        let byRole = Dictionary(grouping: view.persons, by: \.role)
        var ofRole: [String: Int] = [:]
        for person in view.persons {
            ofRole[person.role, default: 0] += 1
            var who: String?
            if let same = byRole[person.role], same.count > 1 {
                let n = ofRole[person.role] ?? 1
                func first(_ p: PersonView) -> String? { p.fields["firstName"].map { display($0, pages, l) }.flatMap { $0.isEmpty ? nil : $0 } }
                if let name = first(person) {
                    who = same.filter { first($0) == name }.count > 1 ? "\(name) (\(n))" : name
                } else {
                    who = String(n)
                }
            }
            var row: [String: Any] = ["role": pages.optionalText("person_" + person.role, l) ?? person.role, "person": person.id.rawValue,
             "fields": person.fields.keys.sorted().map { name in
                 ["label": Labels.field(name, language: l, profile: profile), "value": readable(person.fields[name]!, pages, l)]  // keys of the same dictionary
             }]
            // Staff who may change the file issue the person's claim code here (the gate's
            // provisioning decides again); a person who has an account, or who is linked as
            // one who holds none (a child), is offered none.
            if mayIssueClaims, profile.mayHoldAccount(links: [(view.type, person.role)]), try await !store.personHasAccount(person.id) {
                row["claimAction"] = "\(s.prefix)/dossiers/\(id.rawValue)/persons/\(person.id.rawValue)/claim-code"
            }
            // A person's access request (GDPR art. 15) answered here, by the roles the profile names.
            if mayAnswerAccess {
                row["accessAction"] = "\(s.prefix)/dossiers/\(id.rawValue)/persons/\(person.id.rawValue)/export"
                // A reference refused comes back beside its field, as typed.
                if let refused, refused.form == .accessRequest(person.id) {
                    row["accessFailed"] = refusal(refused.message, l)
                    row["accessTyped"] = refused.typed["reference"] ?? ""
                }
            }
            if let who { row["who"] = who }
            if let form = personChangeForm(person, id, type, changeable, refused: refused, who: who, s) { row["change"] = form }
            persons.append(row)
        }
        values["persons"] = persons
        if !view.erasedRoles.isEmpty {
            let roles = view.erasedRoles.map { pages.optionalText("person_" + $0, l) ?? $0 }.joined(separator: ", ")
            // Staff decide what becomes of the file; its citizen is told only what happened.
            let note = s.principal?.kind == .citizen ? "personErasedNoteCitizen" : "personErasedNote"
            values["erasedNote"] = pages.text(note, l).replacingOccurrences(of: "{roles}", with: roles)
                .replacingOccurrences(of: "{status}", with: stateLabel(view.status, pages, l))
        }
        if let done {
            values["done"] = pages.optionalText("done_" + done, l) ?? pages.text("done_update", l)
        }
        values.merge(extra) { _, new in new }
        if type.ranking != nil, view.status == type.workflow.initial {
            if let ranks = try? await gate.ranks(of: id, g), !ranks.ranks.isEmpty {
                values["ranks"] = ranks.ranks.map { ["organisation": organisations[$0.organisation] ?? "", "rank": $0.rank, "of": $0.of] as [String: Any] }
                values["hasRanks"] = true
                // The parent reads "your rank"; staff read the file's (a lifecycle audit).
                values["ranksCaption"] = pages.text(s.principal?.kind == .citizen ? "ranksCaption" : "ranksCaptionStaff", l)
                values["rankRule"] = ranks.explanation[l] ?? ranks.explanation.values.first ?? ""
            }
        }
        let actions = try await gate.allowedSteps(id, g).map { step -> [String: Any] in
            var action: [String: Any] = ["name": step, "label": pages.optionalText("transition_" + step, l) ?? step,
                                         "action": "\(s.prefix)/dossiers/\(id.rawValue)/transitions/\(step)", "final": Self.isFinal(step, type)]
            if let refusedStep, refusedStep.name == step, case .invalid(let m) = refusedStep.error { action["stepFailed"] = refusal(m, l) }
            return action
        }
        values["actions"] = actions
        values["hasActions"] = !actions.isEmpty
        // A step this page does not offer (any more): why, above the file.
        if let refusedStep, !actions.contains(where: { $0["stepFailed"] != nil }), case .invalid(let m) = refusedStep.error {
            values["stepError"] = refusal(m, l)
        }
        try await addEditForm(&values, view, type, changeable, refused: refused, s)
        return try render("dossier", values, s, status: refused?.status ?? (refusedStep != nil ? .badRequest : .ok))
    }

    /// The values of the error page for an error (without rendering it).
    func errorValues(_ e: GuichetError, _ s: PageScope) throws -> [String: Any] {
        let pages = try Self.webPages()
        var key = "errForbidden"
        if case .forbidden(let m) = e { key = Self.forbiddenKey(m) }
        var values: [String: Any] = ["message": pages.text(key, s.language), "errorKey": key]
        if ["errCeiling", "errCeilingChanges", "errCeilingApprovals", "errStepUp", "errFreshFactor"].contains(key) { values["stepUp"] = true }
        return values
    }

    /// Organisation id → name (public data).
    func organisationNames() async throws -> [OrganisationID: String] {
        Dictionary(try await store.organisations(kind: nil).map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    func stateLabel(_ state: String, _ pages: WebPages, _ l: String) -> String { pages.optionalText("state_" + state, l) ?? state }

    /// The dossier's own fields (and its chosen services) as label and value rows.
    func fieldRows(_ view: DossierView, type: DossierType, organisations: [OrganisationID: String], _ pages: WebPages, _ l: String) -> [[String: Any]] {
        var rows: [[String: Any]] = type.fields.compactMap { spec in
            view.fields[spec.name].map { value in
                // A system field set from the actor's organisation (offeredBy) shows its name.
                var shown = readable(value, pages, l)
                if spec.system, let id = OrganisationID(validating: shown), let name = organisations[id] { shown = name }
                // A choice reads as in the edit form's list (choice_ labels).
                if case .choice = spec.type { shown = pages.label("choice_", shown, l) }
                return ["label": Labels.field(spec.name, language: l, profile: profile), "value": shown]
            }
        }
        if let partners = view.partners, !partners.isEmpty {
            rows.append(["label": Labels.field("partners", language: l, profile: profile),
                         "value": partners.map { organisations[$0] ?? "?" }.joined(separator: ", ")])
        }
        return rows
    }

    /// A value as people read it: a date in words ("1er septembre 2027", "1 September 2027");
    /// forms keep ``display(_:_:_:)``, which their inputs take.
    func readable(_ value: FieldValue, _ pages: WebPages, _ l: String) -> String {
        if case .date(let d) = value { return PageFormat.day(d, l) }
        return display(value, pages, l)
    }

    /// A value as text: the one place the pages reveal one, and only what the gate returned.
    func display(_ value: FieldValue, _ pages: WebPages, _ l: String) -> String {
        switch value.revealedJSON {
        case .string(let s): return s
        case .number(let n): return String(Int(n))
        case .bool(let b): return pages.text(b ? "yes" : "no", l)
        default: return ""
        }
    }

    /// The inputs of a form for fields (dates, numbers, choices, yes/no, text), showing the `current` values, or what was `typed` in a form the
    /// server refused (as sent, so that nothing typed is lost).
    /// - Parameter ownData: the form asks for the person's own details (a registration): the
    ///   browser may fill them (WCAG 1.3.5, "identify input purpose"; a co-operative's audit ran
    ///   axe-core on the registration form); elsewhere staff type other people's, and nothing fills.
    func formInputs(_ specs: [FieldSpec], prefix: String, current: [String: FieldValue] = [:], typed: FormBody? = nil,
                    ownData: Bool = false, _ pages: WebPages, _ l: String) -> [[String: Any]] {
        specs.map { spec in
            let sent = typed.map { form in form.pairs.first { $0.name == prefix + spec.name }?.value ?? "" }
            let now = sent ?? current[spec.name].map { display($0, pages, l) } ?? ""
            var input: [String: Any] = ["name": prefix + spec.name, "id": (prefix + spec.name).replacingOccurrences(of: ".", with: "-"),
                                        "label": Labels.field(spec.name, language: l, profile: profile), "value": now]
            if spec.required { input["required"] = true }
            if ownData, let purpose = Self.inputPurposes[spec.name] { input["autocomplete"] = purpose }
            switch spec.type {
            case .date:
                input["kind"] = ["date": true]
                if spec.notAfterToday { input["latest"] = gate.today().iso }
            case .integer(let min, let max): input["kind"] = ["number": ["min": min, "max": max]]
            case .boolean:
                input["kind"] = ["choice": true]
                input["options"] = [["value": "", "label": "—"],
                                    ["value": "true", "label": pages.text("yes", l), "selected": sent.map { $0 == "true" } ?? (now == pages.text("yes", l))],
                                    ["value": "false", "label": pages.text("no", l), "selected": sent.map { $0 == "false" } ?? (now == pages.text("no", l))]]
            case .choice(let values):
                input["kind"] = ["choice": true]
                input["options"] = [["value": "", "label": "—"]] + values.sorted().map {
                    ["value": $0, "label": pages.optionalText("choice_" + $0, l) ?? $0, "selected": $0 == now] as [String: Any]
                }
            case .email: input["kind"] = ["email": true]
            case .phone: input["kind"] = ["tel": true]
            default: input["kind"] = ["text": true]
            }
            return input
        }
    }

    /// The HTML autocomplete tokens of a person's usual fields, for forms about oneself.
    static let inputPurposes = ["firstName": "given-name", "lastName": "family-name", "birthDate": "bday", "email": "email",
                                "phone": "tel", "address": "street-address"]

    /// A form field's value as the JSON the gate takes, by the field's type; nil when empty.
    /// - Throws: ``GuichetError/invalid(_:)`` for a number that is not one.
    static func formValue(_ form: FormBody, _ name: String, _ spec: FieldSpec) throws -> JSON? {
        guard let raw = form[name] else { return nil }
        switch spec.type {
        case .integer:
            guard let n = Int(raw) else { throw GuichetError.invalid("'\(spec.name)' must be a whole number") }
            return .number(Double(n))
        case .boolean: return .bool(raw == "true")
        default: return .string(raw)
        }
    }
}

extension GuichetServer {
    /// The purposes a role may read files for, when every rule that lets it read names some;
    /// nil when one needs none (a daycare reads the applications made to it without one).
    func purposesToChoose(_ p: Principal) -> [String]? {
        let reading = profile.rules.filter { $0.effect == .allow && $0.roles.contains(p.role) && $0.actions.contains(.read) }
        guard !reading.isEmpty, !reading.contains(where: { $0.purposes.isEmpty }) else { return nil }
        return profile.purposes.filter { name in reading.contains { $0.purposes.contains(name) } }
    }

    /// Asks for the purpose before a file opens (``purposesToChoose(_:)``).
    func purposeChoicePage(_ id: DossierID, _ offered: [String], _ s: PageScope) throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let values: [String: Any] = [
            "message": pages.text("errPurpose", l), "errorKey": "errPurpose",
            "purposeChoice": ["action": "\(s.prefix)/dossiers/\(id.rawValue)",
                              "options": offered.map { ["value": $0, "label": pages.optionalText("purpose_" + $0, l) ?? $0] }] as [String: Any],
        ]
        return try render("error", values, s, status: .ok)
    }
}
