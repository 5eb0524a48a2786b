import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// Citizens' pages: their dossiers and status (the gate's search as the citizen, summaries
/// only), applying or registering (the gate's create, the citizen as the dossier's person).
extension GuichetServer {
    /// The dossier types a role's rules allow it to do `action` on.
    func dossierTypes(role: String, action: Action) -> [DossierType] {
        let names = Set(profile.rules.filter { $0.effect == .allow && $0.roles.contains(role) && $0.actions.contains(action) }
            .flatMap(\.dossierTypes))
        return names.sorted().compactMap { profile.dossierTypes[$0] }
    }

    /// "My dossiers": every dossier the citizen may search, newest state first, each a link.
    func citizenHome(_ req: Request, _ ctx: GuichetContext, _ s: PageScope) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let g = try gateRequest(s, ctx, purpose: nil)
        var rows: [[String: Any]] = []
        for type in dossierTypes(role: g.principal.role, action: .search) {
            let page = try await gate.search(type: type.name, status: nil, criteria: [:], after: nil, limit: 50, g)
            for view in page.views {
                var row: [String: Any] = ["href": "\(s.prefix)/dossiers/\(view.id.rawValue)", "type": typeLabel(view.type, pages, l),
                                          "created": PageFormat.whenDay(view.createdAt, l), "status": stateLabel(view.status, pages, l)]
                // Whose file it is, by first name, when the caller may read it: a parent with
                // several children tells their files apart (pages audit #11). The persons of the
                // type's first role (place05's child, secu's insured person, not their
                // dependants), else the others of the file, else the file's own person.
                let main = profile.dossierTypes[view.type]?.persons.first?.role
                let others = view.persons.filter { $0.id != g.principal.person }
                let ofMain = view.persons.filter { $0.role == main }
                let shown = !ofMain.isEmpty ? ofMain : !others.isEmpty ? others : view.persons
                let named = shown.compactMap { $0.fields["firstName"].map { display($0, pages, l) } }
                if !named.isEmpty { row["who"] = named.joined(separator: ", ") }
                rows.append(row)
            }
        }
        var canApply = false
        if let (type, _) = creatable(role: g.principal.role) { canApply = try await !gate.holdsMostFiles(of: type.name, g) }
        // Where to ask for a correction or an erasure: the contact the letters name (a
        // co-operative's audit: no citizen page said how to exercise these rights).
        var values: [String: Any] = ["dossiers": rows, "none": rows.isEmpty, "canApply": canApply]
        if !breachContact.isEmpty { values["contact"] = breachContact }
        return try render("citizen-home", values, s)
    }

    func addCitizenPages(_ r: RouteRecorder) {
        // Claiming a file the registry already holds, with the one-time code the office sent:
        // the account is made and linked to the person, as `POST /v1/accounts/claim` does.
        page(r, .get, "/web/claim", admin: false) { _, _, s in try self.render("claim", [:], s) }
        page(r, .post, "/web/claim", admin: false) { req, ctx, s in
            try SessionCookie.checkSameSite(req)
            let form = try await FormBody.read(req)
            // What was typed comes back with a refusal (the code too, from the office's
            // letter, as the password reset keeps its code); never the password.
            let username = form["username"] ?? "", code = form["code"] ?? ""
            do {
                _ = try await self.provisioning.claim(username: username, password: form.pairs.first { $0.name == "password" }?.value ?? "",
                                                      code: code, requestID: Self.requestID(), source: ctx.source,
                                                      claimant: await self.claimant(req))
            } catch GuichetError.invalid(let m) {
                return try self.render("claim", ["failed": true, "detail": self.refusal(m, s.language), "username": username, "code": code], s,
                                       status: .badRequest)
            } catch GuichetError.forbidden {
                return try self.render("claim", ["failed": true, "username": username, "code": code], s, status: .forbidden)
            } catch GuichetError.conflict(let m) {
                // A taken name (the code was good and is not used up): choose another.
                return try self.render("claim", ["failed": true, "detail": self.refusal(m, s.language), "username": "", "code": code], s,
                                       status: .conflict)
            }
            return WebPages.redirect("\(s.prefix)/sign-in", cookies: [NoticeCookie.set("claimed", admin: false)])
        }
        page(r, .get, "/web/apply", admin: false) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            // A citizen who holds as many files as allowed is told so before typing anything.
            if let p = s.principal, p.kind == .citizen, let (type, _) = self.creatable(role: p.role),
               try await self.gate.holdsMostFiles(of: type.name, try self.gateRequest(s, ctx, purpose: nil)) {
                return try await self.applyPage(s, failed: "you have a file of this kind already (a person may have \(type.perCitizen ?? 1)): change it rather than make another",
                                                typed: nil, status: .conflict)
            }
            return try await self.applyPage(s, failed: nil, typed: nil)
        }
        page(r, .post, "/web/apply", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            // Staff state why they open a file, as on every file they open (the rule's purposes).
            let g = try self.gateRequest(s, ctx, purpose: form["purpose"].flatMap { $0.isEmpty ? nil : $0 })
            guard let found = self.creatable(role: g.principal.role) else { throw GuichetError.forbidden("your role may not create dossiers") }
            do {
                return try await self.apply(form, type: found.0, rule: found.1, s, g)
            } catch GuichetError.invalid(let m) {
                return try await self.applyPage(s, failed: m, typed: form)
            } catch GuichetError.conflict(let m) {
                // As many files as allowed already: the form as typed, with why.
                return try await self.applyPage(s, failed: m, typed: form, status: .conflict)
            }
        }
    }

    /// Creates the application `form` describes, through the gate; the page of the new file.
    func apply(_ form: FormBody, type: DossierType, rule: Rule, _ s: PageScope, _ g: GateRequest) async throws -> Response {
        var fields: [String: JSON] = [:]
        for spec in type.fields where !spec.system && rule.write.matches(spec.name) {
            if let v = try Self.formValue(form, "f." + spec.name, spec) { fields[spec.name] = v }
        }
        // A citizen is linked as themself; staff (an R2 adviser opening a young person's file)
        // type every person in (an audit: the adviser's form linked a person of no role).
        let citizen = g.principal.kind == .citizen
        let own = citizen ? rule.linkRoles.sorted().first ?? "" : ""
        var persons: [PersonInput] = citizen ? [.caller(role: own)] : []
        for link in type.persons where link.role != own {
            var p: [String: JSON] = [:]
            for spec in self.profile.personFields where rule.write.matches("\(link.role).\(spec.name)") {
                if let v = try Self.formValue(form, "p.\(link.role).\(spec.name)", spec) { p[spec.name] = v }
            }
            if !p.isEmpty || link.min > 0 { persons.append(.new(role: link.role, fields: p)) }
        }
        let partners = try Self.chosenPartners(form)
        let written = try await self.gate.create(DossierInput(type: type.name, fields: fields, persons: persons, partners: partners), g)
        let purpose = g.purpose.map { "&purpose=" + ($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "") } ?? ""
        return WebPages.redirect("\(s.prefix)/dossiers/\(written.id.rawValue)?done=create\(purpose)")
    }

    /// The dossier type a citizen may create and the rule that allows it.
    func creatable(role: String) -> (DossierType, Rule)? {
        for rule in profile.rules where rule.effect == .allow && rule.roles.contains(role) && rule.actions.contains(.create) {
            if let name = rule.dossierTypes.sorted().first, let type = profile.dossierTypes[name] { return (type, rule) }
        }
        return nil
    }

    /// The form to apply (R1) or register (R4): the dossier's fields the rule lets the citizen
    /// write, the other persons' fields (a child's), and the services to choose in order.
    /// A refused form comes back with what was `typed`, the services chosen in their slots.
    func applyPage(_ s: PageScope, failed: String?, typed: FormBody?, status: HTTPResponse.Status? = nil) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        guard let p = s.principal, let found = creatable(role: p.role) else { throw GuichetError.forbidden("your role may not create dossiers") }
        let (type, rule) = found
        let citizen = p.kind == .citizen
        let own = citizen ? rule.linkRoles.sorted().first ?? "" : ""
        var values: [String: Any] = [
            "fields": formInputs(type.fields.filter { !$0.system && rule.write.matches($0.name) }, prefix: "f.", typed: typed, pages, l),
            "persons": type.persons.filter { $0.role != own }.map { link in
                // A citizen never types another person's national identifier; staff, whose
                // rule lets them write it, do.
                ["role": pages.optionalText("person_" + link.role, l) ?? link.role,
                 "fields": formInputs(profile.personFields.filter { rule.write.matches("\(link.role).\($0.name)") && (!citizen || $0.classification != .nationalID) },
                                      prefix: "p.\(link.role).", typed: typed, pages, l)] as [String: Any]
            },
        ]
        if !citizen {
            values["staff"] = true
            if !rule.purposes.isEmpty {
                let chosen = typed?["purpose"]
                values["purposes"] = ["options": profile.purposes.filter(rule.purposes.contains).map {
                    ["value": $0, "label": pages.optionalText("purpose_" + $0, l) ?? $0, "selected": $0 == chosen] as [String: Any]
                }] as [String: Any]
            }
        }
        if let partners = type.partners, rule.write.matches("partners") {
            let choices = try await store.organisations(kind: partners.organisationKind).sorted { $0.name < $1.name }
            values["hasPartners"] = true
            let slots = max(1, min(partners.max, 3))
            let words = partnerWords(partners, pages, l, slots: slots)
            values["partnersLegend"] = words.legend
            if let rule = words.rule { values["partnersRule"] = rule }
            let chosen = typed?.pairs.filter { $0.name == "partner" }.map { $0.value.trimmingCharacters(in: .whitespaces) } ?? []
            values["partners"] = (1...slots).map { n in
                let mine = n <= chosen.count ? chosen[n - 1] : ""
                return ["n": n, "id": "partner-\(n)", "required": n <= partners.min, "slot": words.slot(n),
                        "options": [["value": "", "label": "—"]] + choices.map {
                            ["value": $0.id.rawValue, "label": $0.name, "selected": $0.id.rawValue == mine] as [String: Any]
                        }] as [String: Any]
            }
        }
        if let failed { values["failed"] = refusal(failed, l) }
        return try render("apply", values, s, status: status ?? (failed == nil ? .ok : .badRequest))
    }
}
