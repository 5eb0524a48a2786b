import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMail
import GuichetStore
import HTTPTypes
import Hummingbird

/// An incident from scope to letters to the register, one page per step (security officers,
/// admin listener, a second factor verified in the last five minutes as the breach API asks):
/// the scope page opens an incident (or links the existing one), the incident's page shows the
/// regulator report's clock and draft, the letters' page previews them (opening names and
/// contacts through the gate for `breach-notification`, journalled), the send page e-mails
/// them, and the register lists every incident. Each calls what `BreachRoutes.swift` calls.
extension GuichetServer {
    /// A security officer of a page, with a fresh second factor (as ``securityOfficer(_:)``).
    func pageSecurityOfficer(_ s: PageScope) throws -> Principal {
        guard let p = s.principal, p.kind == .security else { throw GuichetError.forbidden("breach response is for security officers") }
        try auth.requireStepUp(p)
        return p
    }

    static let incidentStatuses = BreachIncidentRecord.statuses

    /// The 72-hour clock of GDPR art. 33(1), in words.
    func incidentClock(_ i: BreachIncidentRecord, now: Date, _ pages: WebPages, _ l: String) -> [String: Any] {
        let hours = now.timeIntervalSince(i.detectedAt) / 3600
        let deadline = i.detectedAt.addingTimeInterval(72 * 3600)
        var clock: [String: Any] = ["deadline": PageFormat.when(deadline, l)]
        if let notified = i.notifiedAuthorityAt {
            clock["text"] = pages.text("incidentNotifiedAt", l).replacingOccurrences(of: "{at}", with: PageFormat.time(notified, l))
                .replacingOccurrences(of: "{hours}", with: PageFormat.hours(notified.timeIntervalSince(i.detectedAt) / 3600, l))
        } else if hours > 72 {
            clock["text"] = pages.text("incidentOverdue", l).replacingOccurrences(of: "{hours}", with: PageFormat.hours(hours, l))
            clock["overdue"] = true
        } else {
            clock["text"] = pages.text("incidentHoursLeft", l).replacingOccurrences(of: "{hours}", with: PageFormat.hours(72 - hours, l))
        }
        return clock
    }

    func incidentRow(_ i: BreachIncidentRecord, _ pages: WebPages, _ l: String) -> [String: Any] {
        ["id": i.id, "title": i.title, "status": pages.optionalText("incident_" + i.status, l) ?? i.status,
         "detected": PageFormat.when(i.detectedAt, l), "href": "/web/security/incidents/\(i.id)", "clock": incidentClock(i, now: Date(), pages, l)]
    }

    /// The incidents whose stored scope names one of these accounts (the scope page links them).
    func incidents(ofAccounts accounts: [AccountID]) async throws -> [BreachIncidentRecord] {
        try await BreachRegister(store: store).list().filter { i in (try? i.scopeQuery())?.accounts.contains(where: accounts.contains) == true }
    }

    /// The accounts of the scope form: user names or ids, separated by commas or spaces.
    func scopeAccounts(_ text: String) async throws -> [AccountID] {
        let names = text.split { $0 == "," || $0.isWhitespace }.map(String.init)
        guard (1...ScopeQuery.maxAccounts).contains(names.count) else {
            throw GuichetError.invalid("'accounts' must be a list of 1 to \(ScopeQuery.maxAccounts) account ids")
        }
        var ids: [AccountID] = []
        for name in names { ids.append(try await BreachResponse.account(named: name, store: store)) }
        return ids
    }

    /// The register: every incident with its state and its clock.
    func incidentsPage(_ s: PageScope, done: String?) async throws -> Response {
        let pages = try Self.webPages()
        _ = try pageSecurityOfficer(s)
        let rows = try await BreachRegister(store: store).list().reversed().map { incidentRow($0, pages, s.language) }
        var values: [String: Any] = ["incidents": rows, "noIncident": rows.isEmpty]
        if let done, let text = pages.optionalText("done_" + done, s.language) { values["done"] = text }
        return try render("security-incidents", values, s)
    }

    /// One incident: its facts, its changes, the regulator report's clock and draft, a form to
    /// record its state, and the way to the letters.
    func incidentPage(_ id: String, _ s: PageScope, done: String?) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        _ = try pageSecurityOfficer(s)
        let (incident, scope, report) = try await BreachResponse.report(incident: id, gate: gate, store: store, contact: breachContact)
        let names = try await staffNames()
        var values = incidentRow(incident, pages, l)
        values["nature"] = incident.nature
        values["facts"] = incident.facts
        values["consequences"] = incident.consequences
        values["remedial"] = incident.remedial
        values["exempt"] = incident.encryptedAndKeysSafe
        values["persons"] = scope.persons.count
        values["decoys"] = scope.decoyPersons.count + scope.decoyDossiers.count
        values["hasDecoys"] = scope.decoyPersons.count + scope.decoyDossiers.count > 0
        values["checkpoint"] = scope.checkpoint.size
        values["report"] = report.markdown(language: l)
        if !scope.claimCodes.isEmpty {
            values["claims"] = "\(scope.claimCodes.count) (\(scope.claimCodes.filter { $0.claimedBy != nil }.count))"
            values["claimCodes"] = try await claimCodeRows(scope, l)
        }
        values["changes"] = try await store.incidentChanges(incident.id).map { c -> [String: Any] in
            ["at": PageFormat.when(c.at, l), "by": c.by.flatMap { names[$0] } ?? "", "change": pages.incidentChange(c.change, l)]
        }
        values["statuses"] = Self.incidentStatuses.map { status -> [String: Any] in ["value": status, "label": pages.optionalText("incident_" + status, l) ?? status, "selected": status == incident.status] }
        values["updateAction"] = "/web/security/incidents/\(incident.id)"
        values["lettersAction"] = "/web/security/incidents/\(incident.id)/letters"
        values["purpose"] = LetterWriter.purpose
        values["languages"] = WebPages.languages.map { code -> [String: Any] in ["value": code, "label": code == "fr" ? "Français" : "English", "selected": code == l] }
        if let done, let text = pages.optionalText("done_" + done, l) { values["done"] = text }
        return try render("security-incident", values, s)
    }

    /// The letters of an incident, previewed: counts, who can be reached and how (no contact
    /// printed), the fields each letter names, and one letter's text; the sending form, or
    /// plainly that no mail relay is configured.
    /// - Parameter value: the form's values (the posted form, or the query of a GET); its
    ///   `justification` answers the ceiling of persons (a large incident), with the step-up.
    func lettersPage(_ id: String, _ ctx: GuichetContext, _ s: PageScope, _ value: (String) -> String?) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        _ = try pageSecurityOfficer(s)
        let language = value("language") ?? l
        let g = try gateRequest(s, ctx, purpose: value("purpose"), justification: value("justification"))
        let (incident, _, batch) = try await BreachResponse.letters(incident: id, gate: gate, store: store, contact: breachContact, language: language, g)
        var values: [String: Any] = ["id": incident.id, "title": incident.title, "incidentHref": "/web/security/incidents/\(incident.id)",
                                     "language": language, "purpose": LetterWriter.purpose, "justification": value("justification") ?? "",
                                     "note": pages.text(batch.article34Exemption ? "lettersExempt" : "lettersRequired", l),
                                     "count": batch.letters.count,
                                     "byEmail": batch.letters.filter { $0.recipients.contains { $0.email != nil } }.count,
                                     "byPost": batch.letters.filter { !$0.recipients.contains { $0.email != nil } }.count,
                                     "unreachable": batch.unreachable.map(\.rawValue), "noUnreachable": batch.unreachable.isEmpty]
        values["letters"] = batch.letters.map { letter -> [String: Any] in
            ["person": letter.person.rawValue, "fields": letter.fieldLabels.joined(separator: ", "), "recipients": letter.recipients.count,
             "email": pages.text(letter.recipients.contains { $0.email != nil } ? "yes" : "no", l),
             "address": pages.text(letter.recipients.contains { $0.address != nil } ? "yes" : "no", l)]
        }
        if let first = batch.letters.first { values["sample"] = ["subject": first.subject, "text": first.text] }
        // The letters say only the measures recorded: none recorded, the officer is told.
        values["noMeasures"] = incident.remedial.isEmpty
        values["noContact"] = batch.contactMissing
        if auth.mailer == nil {
            values["noRelay"] = true
        } else if !batch.letters.isEmpty {
            values["sendAction"] = "/web/security/incidents/\(incident.id)/letters/send"
        }
        return try render("security-letters", values, s)
    }

    /// Sends an incident's letters through the configured relay; without one, says so before
    /// any name or contact is opened.
    func sendLetters(_ id: String, _ form: FormBody, _ ctx: GuichetContext, _ s: PageScope) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let officer = try pageSecurityOfficer(s)
        let incident = try await BreachRegister(store: store).incident(id)
        var values: [String: Any] = ["id": incident.id, "title": incident.title, "incidentHref": "/web/security/incidents/\(incident.id)"]
        guard let mailer = auth.mailer else {
            values["noRelay"] = true
            return try render("security-letters-sent", values, s, status: .serviceUnavailable)
        }
        // Before any name is opened: letters that name no contact point are not sent.
        guard !breachContact.isEmpty else { throw GuichetError.conflict(BreachResponse.noContact) }
        let g = try gateRequest(s, ctx, purpose: form["purpose"], justification: form["justification"])
        let (_, _, batch) = try await BreachResponse.letters(incident: id, gate: gate, store: store, contact: breachContact,
                                                             language: form["language"] ?? l, g)
        let delivery = try await BreachResponse.send(batch, with: mailer, store: store, by: officer.account, via: "")
        values["sent"] = delivery.sent
        values["failed"] = delivery.failed.map { ["person": $0.person.rawValue, "to": $0.to, "reason": pages.generated($0.reason, l)] }
        values["noFailure"] = delivery.failed.isEmpty
        values["toPost"] = (delivery.withoutEmail + batch.unreachable).map(\.rawValue)
        values["noPost"] = delivery.withoutEmail.isEmpty && batch.unreachable.isEmpty
        values["summary"] = pages.text("lettersSentSummary", l).replacingOccurrences(of: "{sent}", with: "\(delivery.sent)")
            .replacingOccurrences(of: "{failed}", with: "\(delivery.failed.count)")
            .replacingOccurrences(of: "{other}", with: "\(delivery.withoutEmail.count + batch.unreachable.count)")
        return try render("security-letters-sent", values, s)
    }

    /// Registers an incident from an account's scope (the scope page's form).
    func openIncident(_ form: FormBody, _ s: PageScope) async throws -> Response {
        let officer = try pageSecurityOfficer(s)
        let raw = try form.required("account").split(separator: ",").map(String.init)
        guard (1...ScopeQuery.maxAccounts).contains(raw.count) else { throw GuichetError.invalid("'account' is not a valid account") }
        var accounts: [AccountID] = []
        for text in raw {
            guard let account = AccountID(validating: text) else { throw GuichetError.invalid("'account' is not a valid account") }
            guard try await store.account(id: account) != nil else { throw GuichetError.notFound }
            accounts.append(account)
        }
        let detected = try ScopeFormat.parseTime(try form.required("detectedAt"), "detectedAt")
        let input = IncidentInput(title: try form.required("title"), nature: try form.required("nature"), facts: try form.required("facts"),
                                  consequences: form["consequences"] ?? "", detectedAt: detected,
                                  encryptedAndKeysSafe: form["encryptedAndKeysSafe"] == "yes", scope: ScopeQuery(accounts: accounts))
        let incident = try await BreachRegister(store: store).register(input, by: officer.account)
        return WebPages.redirect("/web/security/incidents/\(incident.id)?done=incident")
    }

    /// Records an incident's new state, measures or the time the authority was notified.
    func updateIncident(_ id: String, _ form: FormBody, _ s: PageScope) async throws -> Response {
        let officer = try pageSecurityOfficer(s)
        let notified = try form["notifiedAuthorityAt"].map { try ScopeFormat.parseTime($0, "notifiedAuthorityAt") }
        let current = try await BreachRegister(store: store).incident(id)
        _ = try await BreachRegister(store: store).update(id, status: form["status"], remedial: form["remedial"].flatMap { $0 == current.remedial ? nil : $0 },
                                                          effects: nil, notifiedAuthorityAt: notified, by: officer.account)
        return WebPages.redirect("/web/security/incidents/\(id)?done=incidentUpdate")
    }

    func addBreachPages(_ r: RouteRecorder) {
        page(r, .get, "/web/security/incidents", admin: true) { req, _, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.incidentsPage(s, done: req.uri.queryParameters.get("done"))
        }
        page(r, .post, "/web/security/incidents", admin: true) { req, _, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            do {
                return try await self.openIncident(form, s)
            } catch GuichetError.invalid(let m) {
                // The form again, as typed, with why (a new-user test: a mistyped date threw
                // away the title, facts and consequences already written).
                guard let id = form["account"].flatMap(AccountID.init(validating:)), let account = try await self.store.account(id: id) else {
                    throw GuichetError.invalid(m)
                }
                let draft: [String: Any] = ["title": form["title"] ?? "", "nature": form["nature"] ?? "", "facts": form["facts"] ?? "",
                                            "consequences": form["consequences"] ?? "", "detectedAt": form["detectedAt"] ?? "",
                                            "exempt": form["encryptedAndKeysSafe"] == "yes"]
                let pages = try Self.webPages()
                var response = try await self.scopePage(req, s, account: account.username, draft: draft,
                                                        error: "\(pages.text("incidentRefused", s.language)) \(self.refusal(m, s.language))")
                response.status = .badRequest
                return response
            }
        }
        page(r, .get, "/web/security/incidents/:id", admin: true) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.incidentPage(ctx.parameters.get("id") ?? "", s, done: req.uri.queryParameters.get("done"))
        }
        page(r, .post, "/web/security/incidents/:id", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            return try await self.updateIncident(ctx.parameters.get("id") ?? "", form, s)
        }
        page(r, .get, "/web/security/incidents/:id/letters", admin: true) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.lettersPage(ctx.parameters.get("id") ?? "", ctx, s) { name in req.uri.queryParameters.get(name).map { String($0) } }
        }
        // Preparing and sending open every addressee's name and contacts: a large incident meets
        // the officer's ceiling of persons, which the step-up form answers with a fresh factor
        // and why, carrying what was chosen (an operator's audit: the page could not be answered,
        // and each reload counted past the ceiling until the officer was suspended).
        page(r, .post, "/web/security/incidents/:id/letters", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id = ctx.parameters.get("id") ?? ""
            let carried = form.pairs.filter { ["purpose", "language", "justification"].contains($0.name) }
            return try await self.answeringStepUp(form, s, action: "/web/security/incidents/\(id)/letters", carried: carried) { fresh in
                try await self.lettersPage(id, ctx, fresh) { form[$0] }
            }
        }
        page(r, .post, "/web/security/incidents/:id/letters/send", admin: true) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id = ctx.parameters.get("id") ?? ""
            let carried = form.pairs.filter { ["purpose", "language", "justification"].contains($0.name) }
            return try await self.answeringStepUp(form, s, action: "/web/security/incidents/\(id)/letters/send", carried: carried) { fresh in
                try await self.sendLetters(id, form, ctx, fresh)
            }
        }
    }
}
