import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetStore
import HTTPTypes
import Hummingbird

/// Staff's and partners' home page: state the purpose, search within the role's summary
/// fields (the gate's search, with the role's search combinations), open one dossier.
extension GuichetServer {
    /// - Parameter justification: why, given in a step-up's form (a ceiling asks for it).
    /// - Parameter value: the search form's fields (the posted form; the query of a GET).
    /// - Parameter gone: the address held a sealed search this server can no longer open.
    func staffHome(_ req: Request, _ ctx: GuichetContext, _ s: PageScope, justification: String? = nil, gone: Bool = false,
                   _ value: (String) -> String?) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        guard let p = s.principal else { throw GuichetError.unauthenticated }
        let purpose = value("purpose").flatMap { $0.isEmpty ? nil : $0 }
        let types = dossierTypes(role: p.role, action: .search)
        guard let type = types.first(where: { $0.name == value("type") }) ?? types.first else {
            return try render("staff-home", ["purposes": [], "noSearch": true], s)
        }
        // A role without search combinations may search by any searchable field of persons, as
        // the gate allows: offer each (jeunes' and secu's staff could not search by name on the
        // pages; a pages audit).
        let declared = profile.roles[p.role]?.searchTerms ?? []
        // Only what the role may read and search by, for the purpose chosen or any it may state.
        let searchable = gate.searchablePaths(try gateRequest(s, ctx, purpose: purpose), type: type.name,
                                              purposes: purpose.map { [$0] } ?? ([nil] + profile.purposes))
        func mine(_ name: String) -> Bool { searchable.contains { $0.hasSuffix("." + name) } }
        let combos = (declared.isEmpty ? profile.personFields.filter(\.searchable).map { [$0.name] } : declared).filter { $0.allSatisfy(mine) }
        var names: [String] = []
        for name in combos.flatMap({ $0 }) where !names.contains(name) { names.append(name) }
        let searchedRoles = type.persons.filter { link in searchable.contains { $0.hasPrefix(link.role + ".") } }
        let who = value("who") ?? searchedRoles.first?.role ?? type.persons.first?.role ?? ""
        var criteria: [String: String] = [:]
        for name in names { if let v = value("q." + name), !v.isEmpty { criteria["\(who).\(name)"] = v } }
        let status = value("status").flatMap { $0.isEmpty ? nil : $0 }

        // The purposes a search of this role may state (a rule without purposes allows any):
        // a partner adviser is not offered the agency's, nor a daycare breach notification.
        let searching = profile.rules.filter { $0.effect == .allow && $0.roles.contains(p.role) && $0.actions.contains(.search) }
        // A rule without purposes allows any, but a purpose that only other roles' rules name
        // (the security officers' breach notification) is theirs: not offered (a new-user test).
        let mine = profile.rules.filter { $0.roles.contains(p.role) }
        let offered = searching.contains { $0.purposes.isEmpty }
            ? profile.purposes.filter { name in
                let naming = profile.rules.filter { $0.purposes.contains(name) }
                return naming.isEmpty || naming.contains { r in mine.contains { $0.id == r.id } }
            }
            : profile.purposes.filter { name in searching.contains { $0.purposes.contains(name) } }
        let purposes: [[String: Any]] = [["value": "", "label": "—"]] + offered.map { name -> [String: Any] in
            ["value": name, "label": pages.optionalText("purpose_" + name, l) ?? name, "selected": name == purpose]
        }
        let statuses: [[String: Any]] = [["value": "", "label": pages.text("anyStatus", l)]] + type.workflow.states.map { state -> [String: Any] in
            ["value": state, "label": stateLabel(state, pages, l), "selected": state == status]
        }
        var searchFields: [[String: Any]] = []
        for name in names {
            guard let spec = profile.personField(name) else { continue }
            var input = formInputs([spec], prefix: "q.", pages, l)[0]
            input["value"] = value("q." + name) ?? ""
            // Any one of the role's combinations will do: no single field is required here.
            input["required"] = nil
            searchFields.append(input)
        }
        let whoOptions: [[String: Any]] = searchedRoles.map { link -> [String: Any] in
            ["value": link.role, "label": pages.optionalText("person_" + link.role, l) ?? link.role, "selected": link.role == who]
        }
        let combosText = combos.map { combo in combo.map { Labels.field($0, language: l, profile: profile) }.joined(separator: " + ") }
            .joined(separator: l == "fr" ? "\u{00A0}; " : "; ")
        var values: [String: Any] = ["purposes": purposes, "type": type.name, "statuses": statuses, "searchFields": searchFields,
                                     "whoOptions": whoOptions, "hasTerms": !names.isEmpty, "combos": combosText]
        if gone { values["gone"] = true }
        // Nothing is searched until the form was sent (a purpose or a criterion given). A search
        // the gate refuses as asked (terms that make no combination of the role's) comes back
        // on this form, as typed, with the refusal.
        if value("search") != nil {
            do {
                try await search(type, status: status, criteria: criteria, purpose: purpose, who: who, names: names, into: &values,
                                 p, ctx, s, justification: justification, value)
            } catch GuichetError.invalid(let m) {
                values["failed"] = refusal(m, l)
                return try render("staff-home", values, s, status: .badRequest)
            } catch GuichetError.forbidden(let m) where Self.forbiddenKey(m) == "errPurpose" {
                // A search without the purpose the role's rules ask for: the form again as
                // typed, saying so (a pages audit: a bare error page, the terms lost).
                values["failed"] = pages.text("errPurposeSearch", l)
                return try render("staff-home", values, s, status: .forbidden)
            }
        }
        return try render("staff-home", values, s)
    }

    /// Runs the search of the staff home's form and puts its results into `values`.
    func search(_ type: DossierType, status: String?, criteria: [String: String], purpose: String?, who: String, names: [String],
                into values: inout [String: Any], _ p: Principal, _ ctx: GuichetContext, _ s: PageScope,
                justification: String?, _ value: (String) -> String?) async throws {
        let pages = try Self.webPages()
        let l = s.language
        let g = try gateRequest(s, ctx, purpose: purpose, justification: justification)
        let organisations = try await organisationNames()
        func row(_ view: DossierView) -> [String: Any] {
            let rows = fieldRows(view, type: type, organisations: organisations, pages, l)
            // French puts a space before the colon ("date : …").
            let colon = l == "fr" ? "\u{00A0}: " : ": "
            let summary = rows.map { row in "\(row["label"] as? String ?? "")\(colon)\(row["value"] as? String ?? "")" }.joined(separator: " · ")
            return ["href": "\(s.prefix)/dossiers/\(view.id.rawValue)\(Self.purposeQuery(purpose))", "id": view.id.rawValue, "status": stateLabel(view.status, pages, l),
                    "created": PageFormat.whenDay(view.createdAt, l), "summary": summary]
        }
        // The next page's form carries the search as sent (terms too: posted, never in an
        // address) and where the page stopped.
        var carried: [[String: String]] = [["name": "type", "value": type.name], ["name": "search", "value": "1"],
                                           ["name": "purpose", "value": purpose ?? ""], ["name": "status", "value": status ?? ""]]
        if !criteria.isEmpty {
            carried.append(["name": "who", "value": who])
            carried += names.compactMap { name in value("q." + name).map { ["name": "q." + name, "value": $0] } }
        }
        if let list = try await ownWaitingList(type, status: status, criteria: criteria, p) {
            // An organisation's own waiting list, in rank order, with the rank shown.
            let from = value("from").flatMap { Int($0) }.map { max(1, $0) } ?? 1
            let page = try await gate.waitingList(list, type: type.name, from: from, limit: Self.searchPageSize, g)
            values["results"] = page.entries.map { entry in row(entry.view).merging(["rank": String(entry.rank)]) { $1 } }
            values["ranked"] = true
            values["noResult"] = page.entries.isEmpty
            if let first = page.entries.first?.rank, let last = page.entries.last?.rank {
                values["shown"] = pages.text("rankedShown", l).replacingOccurrences(of: "{from}", with: String(first))
                    .replacingOccurrences(of: "{to}", with: String(last)).replacingOccurrences(of: "{total}", with: String(page.total))
            }
            if let next = page.next { values["next"] = carried + [["name": "from", "value": String(next)]] }
        } else {
            let after = try value("after").map { raw in
                guard let id = DossierID(validating: raw) else { throw GuichetError.invalid("'after' is not a valid cursor") }
                return id
            }
            let page = try await gate.search(type: type.name, status: status, criteria: criteria, after: after,
                                             limit: Self.searchPageSize, g)
            values["results"] = page.views.map(row)
            values["noResult"] = page.views.isEmpty
            if let next = page.next { values["next"] = carried + [["name": "after", "value": next.rawValue]] }
        }
        values["hasNext"] = values["next"] != nil
        values["searched"] = true
    }

    /// How many files a page of results shows.
    static let searchPageSize = 20

    /// The organisation whose waiting list a search is, when it is one: no terms, the one
    /// state the type's ranking orders, by an account of an organisation of the kind the
    /// dossiers choose (a daycare); nil for any other search.
    func ownWaitingList(_ type: DossierType, status: String?, criteria: [String: String], _ p: Principal) async throws -> OrganisationID? {
        guard criteria.isEmpty, let ranking = type.ranking, let status, ranking.states == [status],
              let kind = type.partners?.organisationKind, let own = p.organisation,
              try await store.organisation(own)?.kind == kind else { return nil }
        return own
    }
}

