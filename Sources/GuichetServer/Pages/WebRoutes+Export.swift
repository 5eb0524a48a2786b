import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetGate
import GuichetLedger
import HTTPTypes
import Hummingbird
import NIOCore

/// The citizen's export as a page (GDPR art. 15 and 20, #20 item 3): the same gate call as
/// `GET /v1/me/export` (every read journalled), shown with labels, and the same JSON to download.
extension GuichetServer {
    func addExportPages(_ r: RouteRecorder) {
        page(r, .get, "/web/export", admin: false) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            return try await self.citizenHeavy.run(for: s.principal?.account.rawValue ?? "") { try await self.exportPage(s, ctx) }
        }
        page(r, .get, "/web/export.json", admin: false) { req, ctx, scope in
            let s = try await self.signedIn(req, scope)
            let g = try self.citizenRequest(s, ctx), language = s.language
            let json = try await self.citizenHeavy.run(for: g.principal.account.rawValue) { try await self.citizenExport(g, language: language) }
            var response = Reply.json(json)
            response.headers[.contentDisposition] = "attachment; filename=\"\(self.profile.name)-export.json\""
            response.headers[.cacheControl] = "no-store"
            return response
        }
    }

    /// A citizen's gate request (the export is of a citizen's own data only).
    func citizenRequest(_ s: PageScope, _ ctx: GuichetContext) throws -> GateRequest {
        guard let p = s.principal, p.kind == .citizen, p.person != nil else { throw GuichetError.forbidden("the export is of a citizen's own data") }
        return try gateRequest(s, ctx, purpose: nil)
    }

    func exportPage(_ s: PageScope, _ ctx: GuichetContext) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let g = try citizenRequest(s, ctx)
        let json = try await citizenExport(g, language: l)
        return try render("citizen-export", exportValues(json, organisations: try await organisationNames(), pages, l), s)
    }

    /// The page's values from the export's JSON (the same document as the download).
    func exportValues(_ json: JSON, organisations: [OrganisationID: String], _ pages: WebPages, _ l: String) -> [String: Any] {
        func text(_ v: JSON?) -> String {
            switch v {
            case .string(let s)?: return s
            case .number(let n)?: return n == n.rounded() ? String(Int(n)) : String(n)
            case .bool(let b)?: return pages.text(b ? "yes" : "no", l)
            default: return ""
            }
        }
        /// - Parameter system: the dossier's system fields; one set from the actor's organisation
        ///   (`offeredBy`) shows the organisation's name, as on the file's page.
        /// - Parameter choices: the dossier's choice fields, shown with their choice_ labels as on the file's page.
        /// - Parameter dates: the date fields, written in words as on the file's page ("30 août 2002"; pages audit #12).
        func rows(_ fields: JSON?, role: String?, system: Set<String> = [], choices: Set<String> = [], dates: Set<String> = []) -> [[String: Any]] {
            (fields?.object ?? [:]).keys.sorted().map { name in
                var value = text(fields?.object?[name])
                if dates.contains(name), let d = LocalDate(iso: value) { value = PageFormat.day(d, l) }
                if system.contains(name), let id = OrganisationID(validating: value), let organisation = organisations[id] { value = organisation }
                if choices.contains(name) { value = pages.label("choice_", value, l) }
                return ["label": Labels.field(role.map { "\($0).\(name)" } ?? name, language: l, profile: profile), "value": value]
            }
        }
        /// A time of the document ("2026-12-05T10:54:24Z") for people, its value kept for `datetime`.
        func when(_ v: JSON?, day: Bool = false) -> [String: String] {
            let iso = text(v)
            guard let d = try? ScopeFormat.parseTime(iso, "at") else { return ["text": iso, "iso": iso] }
            return day ? PageFormat.whenDay(d, l) : PageFormat.when(d, l)
        }
        let personDates = Set(profile.personFields.filter { $0.type == .date }.map(\.name))
        let o = json.object ?? [:]
        var values: [String: Any] = ["exportedAt": when(o["exportedAt"])]
        if let person = o["person"]?.object {
            values["person"] = ["fields": rows(person["fields"], role: nil, dates: personDates)]
        }
        let dossiers = (o["dossiers"]?.array ?? []).map { d -> [String: Any] in
            let d = d.object ?? [:]
            let type = text(d["type"])
            let system = Set(profile.dossierTypes[type]?.fields.filter(\.system).map(\.name) ?? [])
            let choices = Set(profile.dossierTypes[type]?.fields.filter { if case .choice = $0.type { true } else { false } }.map(\.name) ?? [])
            let dates = Set(profile.dossierTypes[type]?.fields.filter { $0.type == .date }.map(\.name) ?? [])
            var fields = rows(d["fields"], role: nil, system: system, choices: choices, dates: dates)
            if let partners = d["partners"]?.array, !partners.isEmpty {
                fields.append(["label": Labels.field("partners", language: l, profile: profile),
                               "value": partners.map { OrganisationID(validating: text($0)).flatMap { organisations[$0] } ?? "?" }.joined(separator: ", ")])
            }
            return ["id": text(d["id"]), "type": typeLabel(type, pages, l), "status": stateLabel(text(d["status"]), pages, l),
                    "created": when(d["createdAt"], day: true), "fields": fields,
                    "persons": (d["persons"]?.array ?? []).map { p -> [String: Any] in
                        let p = p.object ?? [:]
                        let role = text(p["role"])
                        return ["role": pages.optionalText("person_" + role, l) ?? role, "fields": rows(p["fields"], role: role, dates: personDates)]
                    }]
        }
        values["dossiers"] = dossiers
        values["noDossier"] = dossiers.isEmpty
        let accesses = (o["accessHistory"]?.object?["accesses"]?.array ?? []).reversed().map { a -> [String: Any] in
            let a = a.object ?? [:]
            let named = [text(a["organisation"]?.object?["name"]), text(a["role"]).isEmpty ? "" : (pages.optionalText("role_" + text(a["role"]), l) ?? text(a["role"]))]
                .filter { !$0.isEmpty }.joined(separator: " · ")
            // No account's role: the service itself wrote the entry (a notice mailed, the sign-up).
            let who = a["byYou"] == .bool(true) ? pages.text("exportYou", l) : named.isEmpty ? pages.text("exportSystem", l) : named
            let purpose = text(a["purpose"])
            return ["at": when(a["at"]), "who": who, "action": pages.actionLabel(text(a["action"]), l),
                    "fields": (a["fieldLabels"]?.array ?? []).isEmpty ? pages.text("exportNoField", l)
                        : (a["fieldLabels"]?.array ?? []).map { text($0) }.joined(separator: ", "),
                    "purpose": purpose.isEmpty ? "—" : (pages.optionalText("purpose_" + purpose, l) ?? purpose),
                    "refused": text(a["decision"]) == "deny"]
        }
        values["accesses"] = accesses
        values["noAccess"] = accesses.isEmpty
        values["moreAccesses"] = o["accessHistory"]?.object?["next"].map { $0 != .null } ?? false
        return values
    }
}
