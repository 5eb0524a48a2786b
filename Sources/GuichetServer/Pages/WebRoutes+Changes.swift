import Foundation
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// A change form of the dossier page that the server refused: shown again on the page as
/// typed, with why, rather than on the generic error page (an audit found typed values lost).
struct RefusedChange {
    enum Form: Equatable {
        /// The dossier's own "Change" form (its fields and the services chosen).
        case dossier
        /// The form of one linked person's fields.
        case person(PersonID)
        /// The reference of one person's access request answered at the counter.
        case accessRequest(PersonID)
    }

    let form: Form
    let typed: FormBody
    /// The refusal, in English as the gate gave it (the page translates it).
    let message: String
    let status: HTTPResponse.Status

    /// A refusal the form can be corrected from: a value refused (400) or a stale version (409).
    /// Nil for any other, which keeps its own page (a step-up, not found, forbidden).
    init?(_ e: GuichetError, form: Form, typed: FormBody) {
        switch e {
        case .invalid(let m): (message, status) = (m, .badRequest)
        case .conflict(let m): (message, status) = (m, .conflict)
        default: return nil
        }
        self.form = form
        self.typed = typed
    }
}

/// The dossier page's change forms: the file's own fields with the services chosen, and each
/// linked person's fields the caller may change (an audit found that nobody could change a
/// family's address or its choice of daycares from the pages, although the profile allows it).
/// What is offered is the gate's update grant (``Gate/changeable(_:_:)``); the gate decides
/// again on every change.
extension GuichetServer {
    func addPersonChangePages(_ r: RouteRecorder) {
        // One person's fields, changed through the gate (`PATCH /v1/persons/{id}`), against the
        // version the form was made from; a step-up asked on the way carries what was typed.
        page(r, .post, "/web/dossiers/:id/persons/:person", admin: false) { req, ctx, scope in
            let form = try await FormBody.read(req)
            let s = try await self.signedIn(req, scope, form: form)
            let id: DossierID = try ctx.parameters.identifier("id")
            let person: PersonID = try ctx.parameters.identifier("person")
            let carried = form.pairs.filter { ["purpose", "version", "justification"].contains($0.name) || $0.name.hasPrefix("p.") }
            let action = "\(s.prefix)/dossiers/\(id.rawValue)/persons/\(person.rawValue)"
            return try await self.answeringStepUp(form, s, action: action, carried: carried) { fresh in
                try await self.changePerson(person, of: id, form, fresh, ctx)
            }
        }
    }

    /// Sends a person form's fields to the gate: each `p.<field>` sent, an empty one as a
    /// removal (the gate refuses it for a required field); back to the file's page.
    func changePerson(_ person: PersonID, of id: DossierID, _ form: FormBody, _ s: PageScope, _ ctx: GuichetContext) async throws -> Response {
        let purpose = form["purpose"]
        let g = try gateRequest(s, ctx, purpose: purpose, justification: form["justification"])
        do {
            var fields: [String: JSON] = [:]
            for spec in profile.personFields where form.pairs.contains(where: { $0.name == "p." + spec.name }) {
                fields[spec.name] = try Self.formValue(form, "p." + spec.name, spec) ?? .null
            }
            _ = try await gate.updatePerson(person, fields: fields, expectedVersion: Int(form["version"] ?? ""), g)
        } catch let e as GuichetError {
            guard let refused = RefusedChange(e, form: .person(person), typed: form) else { throw e }
            return try await dossierPage(id, purpose: purpose, justification: nil, done: nil, s, ctx, refused: refused)
        }
        return WebPages.redirect("\(s.prefix)/dossiers/\(id.rawValue)\(Self.purposeQuery(purpose))&done=person")
    }

    /// The services a form chose, in its order (empty choices left out).
    /// - Throws: ``GuichetError/invalid(_:)`` for a value that is no organisation number, or a
    ///   service chosen twice: said, not silently kept once (a new user's audit: a parent who
    ///   chose one daycare in two boxes had one choice stored and was not told).
    static func chosenPartners(_ form: FormBody) throws -> [OrganisationID] {
        var chosen: [OrganisationID] = []
        for raw in form.all("partner") where !raw.isEmpty {
            guard let id = OrganisationID(validating: raw) else { throw GuichetError.invalid("'partner' is not a valid organisation") }
            guard !chosen.contains(id) else { throw GuichetError.invalid("the same service is chosen twice: choose another one, or leave the box empty") }
            chosen.append(id)
        }
        return chosen
    }

    /// The form for one linked person's fields, when the caller may change some: those fields,
    /// in the profile's order, with their values now (or as typed in a refused form).
    /// - Parameter who: what tells this person apart from another of the same role on the
    ///   page (a first name, a number), added to the form's name; nil when they are alone.
    func personChangeForm(_ person: PersonView, _ id: DossierID, _ type: DossierType, _ changeable: Changeable,
                          refused: RefusedChange?, who: String? = nil, _ s: PageScope) -> [String: Any]? {
        guard let pages = try? Self.webPages(),
              let c = changeable.persons.first(where: { $0.id == person.id && $0.role == person.role }) else { return nil }
        let l = s.language
        let typed = refused?.form == .person(person.id) ? refused : nil
        let specs = profile.personFields.filter { c.fields.contains($0.name) }
        // Two persons' forms on one page: their inputs' ids name the person.
        let inputs = formInputs(specs, prefix: "p.", current: person.fields, typed: typed?.typed, pages, l).map { input in
            var input = input
            input["id"] = "person-\(person.id.rawValue)-" + String((input["name"] as? String ?? "").dropFirst("p.".count))
            return input
        }
        // "Change the job seeker's contact details" with the profile's words for the person
        // (`label` of the link), else the role's name; "details" when more than contacts.
        let contactOnly = specs.allSatisfy { $0.classification == .contact }
        let of = type.persons.first { $0.role == person.role }?.labels[l]
        var title = of.map { pages.text(contactOnly ? "personEditContactOf" : "personEditOf", l).replacingOccurrences(of: "{of}", with: $0) }
            ?? pages.text(contactOnly ? "personEditContact" : "personEdit", l)
                .replacingOccurrences(of: "{role}", with: pages.optionalText("person_" + person.role, l) ?? person.role)
        if let who { title += " — " + who }
        var form: [String: Any] = [
            "action": "\(s.prefix)/dossiers/\(id.rawValue)/persons/\(person.id.rawValue)", "formID": "person-\(person.id.rawValue)",
            "title": title, "version": c.version, "inputs": inputs,
        ]
        if let typed { form["failed"] = failedText(typed, l) }
        return form
    }

    /// The dossier's own "Change" form: the fields the update grant lets the caller set and,
    /// when it lets them set `partners`, the services to choose in order (the same choices as
    /// the application form), the current ones in their slots.
    func addEditForm(_ values: inout [String: Any], _ view: DossierView, _ type: DossierType, _ changeable: Changeable,
                     refused: RefusedChange?, _ s: PageScope) async throws {
        let pages = try Self.webPages()
        let l = s.language
        let typed = refused?.form == .dossier ? refused : nil
        let editable = type.fields.filter { !$0.system && changeable.fields.contains($0.name) }
        if !editable.isEmpty {
            values["edit"] = formInputs(editable, prefix: "f.", current: view.fields, typed: typed?.typed, pages, l)
        }
        if changeable.fields.contains("partners"), let spec = type.partners {
            let choices = try await store.organisations(kind: spec.organisationKind).sorted { $0.name < $1.name }
            let chosen = typed.map { $0.typed.all("partner") } ?? (view.partners ?? []).map(\.rawValue)
            // As many slots as the application form (up to 3), more for a file that chose more,
            // one left free to add a service; never more than the profile's maximum.
            let slots = max(1, min(spec.max, max(3, chosen.count + 1)))
            let words = partnerWords(spec, pages, l, slots: slots)
            values["editPartners"] = (1...slots).map { n in
                let mine = n <= chosen.count ? chosen[n - 1] : ""
                return ["n": n, "id": "edit-partner-\(n)", "required": n <= spec.min, "slot": words.slot(n),
                        "options": [["value": "", "label": "—"]] + choices.map {
                            ["value": $0.id.rawValue, "label": $0.name, "selected": $0.id.rawValue == mine] as [String: Any]
                        }] as [String: Any]
            }
            values["hasEditPartners"] = true
            values["partnersLegend"] = words.legend
            if let rule = words.rule { values["partnersRule"] = rule }
        }
        if values["edit"] != nil || values["editPartners"] != nil { values["hasEdit"] = true }
        if let typed { values["editFailed"] = failedText(typed, l) }
    }

    /// Why a change form was refused, as the page says it; a stale version says what to do.
    func failedText(_ refused: RefusedChange, _ l: String) -> String {
        let why = refusal(refused.message, l)
        guard refused.status == .conflict, let pages = try? Self.webPages() else { return why }
        // The refusal is a clause ("… ; relisez-le"): it ends with a full stop before the next
        // sentence (an everyday users' audit read "relisez-le Les valeurs…").
        let ended = why.hasSuffix(".") ? why : why + "."
        return ended + " " + pages.text("changeConflict", l)
    }
}
