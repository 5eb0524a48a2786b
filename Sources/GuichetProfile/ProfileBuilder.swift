import GuichetCore
import Foundation
import Yams

/// Turns a parsed YAML tree into a checked ``Profile``; every reference is resolved here, so
/// nothing later has to guess.
struct ProfileBuilder {
    let root: YAMLCursor

    func build() throws -> Profile {
        let top = try root.dictionary(allowed: Set<String>(["profile", "title", "language", "purposes", "organisations",
                                                 "person", "dossiers", "roles", "rules", "watch", "retention", "statistics", "exports"])
                                                .union(Self.policyKeys))
        let nameCursor = try top.required("profile", in: root)
        let name = try nameCursor.string()
        guard name.range(of: "^[a-z0-9][a-z0-9-]*$", options: .regularExpression) != nil else {
            throw nameCursor.fail("a profile name is lower-case letters, digits and dashes")
        }
        var title: [String: String] = [:]
        if let t = top["title"] { for (lang, c) in try t.mapping() { title[lang] = try c.string() } }
        let language = try top["language"]?.string() ?? "fr"
        guard ["fr", "en"].contains(language) else { throw top["language"]!.fail("supported languages are fr and en") }
        let purposes = try top["purposes"]?.strings() ?? []
        let orgKinds = try top.required("organisations", in: root).strings()

        let personCursor = try top.required("person", in: root)
        let personFields = try personCursor.mapping().map { try field(name: $0.0, $0.1) }
        if let appending = personFields.first(where: \.appends) {
            throw personCursor.fail("person field '\(appending.name)': only a dossier's field can be append-only")
        }
        guard !personFields.isEmpty else { throw personCursor.fail("declare at least one person field") }
        if let f = personFields.first(where: { $0.classification == .sealed }) {
            throw personCursor.fail("'\(f.name)': a person field cannot be sealed (seal a field of the dossier)")
        }

        var dossierTypes: [String: DossierType] = [:]
        for (typeName, c) in try top.required("dossiers", in: root).mapping() {
            dossierTypes[typeName] = try dossierType(name: typeName, c, orgKinds: orgKinds, personFields: personFields)
        }
        guard !dossierTypes.isEmpty else { throw top["dossiers"]!.fail("declare at least one dossier type") }

        var roles: [String: Role] = [:]
        for (roleName, c) in try top.required("roles", in: root).mapping() {
            let d = try c.dictionary(allowed: ["kind", "organisation", "ceiling", "summary", "search", "provisions"])
            let kindCursor = try d.required("kind", in: c)
            guard let kind = RoleKind(rawValue: try kindCursor.string()) else {
                throw kindCursor.fail("unknown role kind (expected one of: \(RoleKind.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            let org = try d["organisation"]?.string()
            if let org, !orgKinds.contains(org) { throw d["organisation"]!.fail("unknown organisation kind '\(org)'") }
            if kind == .partner, org == nil { throw c.fail("a partner role must name its organisation kind") }
            var role = Role(name: roleName, kind: kind, organisationKind: org)
            if let cc = d["ceiling"] { role.ceiling = try ceiling(cc, kind: kind) }
            roles[roleName] = role
        }

        let partial = Profile(name: name, title: title, defaultLanguage: language, personFields: personFields,
                              organisationKinds: orgKinds, dossierTypes: dossierTypes, roles: roles, rules: [], purposes: purposes)
        let rules = try (top["rules"]?.sequence() ?? []).map { try rule($0, profile: partial) }
        var ids = Set<String>()
        for (r, c) in zip(rules, try top["rules"]?.sequence() ?? []) where !ids.insert(r.id).inserted {
            throw c.fail("duplicate rule id '\(r.id)'")
        }
        for (roleName, c) in try top.required("roles", in: root).mapping() {
            let d = try c.dictionary(allowed: ["kind", "organisation", "ceiling", "summary", "search", "provisions"])
            let provisioned = try provisions(d["provisions"], of: roleName, in: c, roles: roles)
            roles[roleName]?.provisions = provisioned
            if let sc = d["summary"] { roles[roleName]?.summary = try selector(sc, types: Array(dossierTypes.keys), profile: partial) }
            if let sc = d["search"] { roles[roleName]?.searchTerms = try searchTerms(sc, profile: partial) }
        }
        let glass = try top["break-glass"].map { try self.breakGlass($0, profile: partial) }
        try checkAdministratorsReadNoPersonalField(rules, roles: roles, profile: partial, cursors: try top["rules"]?.sequence() ?? [])
        var profile = Profile(name: name, title: title, defaultLanguage: language, personFields: personFields,
                              organisationKinds: orgKinds, dossierTypes: dossierTypes, roles: roles, rules: rules, purposes: purposes,
                              breakGlass: glass)
        if let w = top["watch"] { profile.watch = try watchSettings(w) }
        if let r = top["retention"] { profile.retention = try retention(r, profile: profile) }
        if let s = top["statistics"] { profile.statistics = try statistics(s, profile: profile) }
        if let e = top["exports"] { profile.exports = try exports(e, profile: profile) }
        return profile
    }

    private static let fieldName = "^[a-z][A-Za-z0-9]*$"

    func field(name: String, _ c: YAMLCursor) throws -> FieldSpec {
        guard name.range(of: Self.fieldName, options: .regularExpression) != nil else {
            throw c.fail("a field name is camelCase letters and digits")
        }
        let d = try c.dictionary(allowed: ["type", "class", "required", "searchable", "system", "min", "max", "values", "format", "maxLength", "label", "default",
                                           "append"])
        let typeCursor = try d.required("type", in: c)
        let type: FieldType
        switch try typeCursor.string() {
        case "text": type = .text(maxLength: try d["maxLength"]?.int() ?? 500)
        case "integer": type = .integer(min: try d["min"]?.int() ?? Int.min, max: try d["max"]?.int() ?? Int.max)
        case "date":
            type = .date
            if let m = d["min"] { throw m.fail("a date field takes no 'min'") }
        case "boolean": type = .boolean
        case "email": type = .email
        case "phone":
            let f = d["format"]
            guard let format = try PhoneFormat(rawValue: f?.string() ?? PhoneFormat.nanp.rawValue) else {
                throw f!.fail("unknown phone numbering (expected one of: \(PhoneFormat.allCases.map(\.rawValue).joined(separator: ", ")))")  // nanp is known
            }
            type = .phone(format: format)
        case "national-id":
            let f = try d.required("format", in: c)
            guard let format = NationalIDFormat(rawValue: try f.string()) else {
                throw f.fail("unknown national identifier format (expected one of: \(NationalIDFormat.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            type = .nationalID(format: format)
        case "choice":
            let values = try d.required("values", in: c).strings()
            guard !values.isEmpty else { throw d["values"]!.fail("a choice needs at least one value") }
            type = .choice(Set(values))
        default:
            throw typeCursor.fail("unknown field type (expected one of: text, integer, date, boolean, email, phone, national-id, choice)")
        }
        let classCursor = try d.required("class", in: c)
        guard let cls = Classification(rawValue: try classCursor.string()) else {
            throw classCursor.fail("unknown classification (expected one of: \(Classification.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if case .nationalID = type, cls != .nationalID {
            throw classCursor.fail("a national identifier must be classified national-id")
        }
        if cls == .sealed, try d["searchable"]?.bool() == true { throw classCursor.fail("a sealed field is never searchable") }
        let system = try d["system"]?.bool() ?? false
        let required = try d["required"]?.bool() ?? false
        if system && required { throw c.fail("a system field cannot be required: the workflow sets it") }
        var spec = FieldSpec(name: name, type: type, classification: cls, required: required,
                             searchable: try d["searchable"]?.bool() ?? false, system: system)
        if let l = d["label"] { spec.labels = try labels(l) }
        if let dflt = d["default"] {
            guard try dflt.string() == "today" else { throw dflt.fail("the only default is 'today' (the day the dossier is created)") }
            guard type == .date else { throw dflt.fail("only a date field can default to today") }
            guard !system else { throw dflt.fail("a system field is set by the workflow; it takes no default") }
            spec.defaultsToToday = true
        }
        if type == .date, let m = d["max"] {
            guard try m.string() == "today" else { throw m.fail("the only 'max' of a date is 'today' (no later than the day it is written)") }
            guard !system else { throw m.fail("a system field is set by the workflow; it takes no 'max'") }
            spec.notAfterToday = true
        }
        if let a = d["append"], try a.bool() {
            guard case .text = type, !system, !required, !(spec.searchable) else {
                throw a.fail("only a text field that is not required, searchable or set by the workflow can be append-only")
            }
            spec.appends = true
        }
        return spec
    }

    /// `label: {fr: "…", en: "…"}`: a short text per language.
    func labels(_ c: YAMLCursor, maxLength: Int = 120) throws -> [String: String] {
        var out: [String: String] = [:]
        for (language, lc) in try c.mapping() {
            guard language.range(of: "^[a-z]{2}$", options: .regularExpression) != nil else {
                throw lc.fail("a label is given per language code (fr, en)")
            }
            let text = try lc.string().trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty, text.count <= maxLength else { throw lc.fail("a text here is 1 to \(maxLength) characters") }
            out[language] = text
        }
        return out
    }

    func dossierType(name: String, _ c: YAMLCursor, orgKinds: [String], personFields: [FieldSpec]) throws -> DossierType {
        let d = try c.dictionary(allowed: ["persons", "partners", "fields", "workflow", "rank", "label", "perCitizen"])
        var links: [PersonLinkSpec] = []
        for (role, lc) in try d.required("persons", in: c).mapping() {
            let ld = try lc.dictionary(allowed: ["min", "max", "label", "account"])
            let min = try ld["min"]?.int() ?? 0, max = try ld["max"]?.int() ?? 1
            guard min >= 0, max >= 1, min <= max else { throw lc.fail("need 0 <= min <= max and max >= 1") }
            var link = PersonLinkSpec(role: role, min: min, max: max)
            if let l = ld["label"] { link.labels = try labels(l) }
            if let a = ld["account"] { link.account = try a.bool() }
            links.append(link)
        }
        var partners: PartnerSpec?
        if let pc = d["partners"] {
            let pd = try pc.dictionary(allowed: ["kind", "min", "max", "label", "one", "ordered"])
            let kind = try pd.required("kind", in: pc).string()
            guard orgKinds.contains(kind) else { throw pd["kind"]!.fail("unknown organisation kind '\(kind)'") }
            let min = try pd["min"]?.int() ?? 0, max = try pd["max"]?.int() ?? 1
            guard min >= 0, max >= 1, min <= max else { throw pc.fail("need 0 <= min <= max and max >= 1") }
            var spec = PartnerSpec(organisationKind: kind, min: min, max: max)
            if let l = pd["label"] { spec.labels = try labels(l) }
            if let l = pd["one"] { spec.one = try labels(l) }
            if let o = pd["ordered"] { spec.ordered = try o.bool() }
            partners = spec
        }
        let fields = try d.required("fields", in: c).mapping().map { try field(name: $0.0, $0.1) }
        for reserved in ["partners", "status", "type", "id"] where fields.contains(where: { $0.name == reserved }) {
            throw d["fields"]!.fail("'\(reserved)' is reserved and cannot be a field name")
        }
        let wc = try d.required("workflow", in: c)
        let wd = try wc.dictionary(allowed: ["initial", "states", "final", "transitions"])
        let states = try wd.required("states", in: wc).strings()
        guard Set(states).count == states.count, !states.isEmpty else { throw wd["states"]!.fail("states must be distinct and not empty") }
        let initial = try wd.required("initial", in: wc).string()
        guard states.contains(initial) else { throw wd["initial"]!.fail("'\(initial)' is not one of the states") }
        let final = try wd["final"]?.strings() ?? []
        for f in final where !states.contains(f) { throw wd["final"]!.fail("'\(f)' is not one of the states") }
        var transitions: [String: Transition] = [:]
        var byCursors: [String: YAMLCursor] = [:]
        for (tname, tc) in try wd.required("transitions", in: wc).mapping() {
            let td = try tc.dictionary(allowed: ["from", "to", "sets", "capacity", "notify", "by"])
            let from = try td.required("from", in: tc).strings()
            for s in from where !states.contains(s) { throw td["from"]!.fail("'\(s)' is not one of the states") }
            let to = try td.required("to", in: tc).string()
            guard states.contains(to) else { throw td["to"]!.fail("'\(to)' is not one of the states") }
            var sets: [String: ActorAttribute] = [:]
            for (fname, sc) in try td["sets"]?.mapping() ?? [] {
                guard let f = fields.first(where: { $0.name == fname }), f.system else {
                    throw sc.fail("a transition may only set a declared system field")
                }
                guard let attr = ActorAttribute(rawValue: try sc.string()) else {
                    throw sc.fail("expected actor.organisation, actor.account or today")
                }
                sets[fname] = attr
            }
            var transition = Transition(name: tname, from: Set(from), to: to, sets: sets)
            transition.capacity = try td["capacity"].map { try capacity($0, fields: fields, states: states, sets: sets) }
            transition.notice = try td["notify"].map { try notice($0, links: links, personFields: personFields) }
            if let bc = td["by"] {
                let by = try bc.string()
                guard let f = fields.first(where: { $0.name == by }), f.system, f.classification == .public else {
                    throw bc.fail("'by' must be a public system field that a transition sets to actor.organisation")
                }
                transition.by = by
                byCursors[tname] = bc
            }
            transitions[tname] = transition
        }
        for (tname, t) in transitions {
            guard let by = t.by, !transitions.values.contains(where: { $0.sets[by] == .organisation }) else { continue }
            throw (byCursors[tname] ?? wc).fail("'\(by)' names a field no transition sets to actor.organisation")
        }
        let workflow = Workflow(initial: initial, states: states, final: Set(final), transitions: transitions)
        var type = DossierType(name: name, persons: links, partners: partners, fields: fields, workflow: workflow)
        type.ranking = try d["rank"].map { try ranking($0, fields: fields, workflow: workflow) }
        if let l = d["label"] { type.labels = try labels(l) }
        if let pc = d["perCitizen"] {
            let n = try pc.int()
            guard (1...1_000).contains(n) else { throw pc.fail("'perCitizen' is a number of dossiers from 1 to 1000") }
            type.perCitizen = n
        }
        return type
    }

    func rule(_ c: YAMLCursor, profile: Profile) throws -> Rule {
        let d = try c.dictionary(allowed: ["id", "allow", "deny", "roles", "dossiers", "when", "read", "write", "purposes", "states"])
        let id = try d.required("id", in: c).string()
        let effect: Rule.Effect
        let actionCursor: YAMLCursor
        switch (d["allow"], d["deny"]) {
        case (let a?, nil): effect = .allow; actionCursor = a
        case (nil, let n?): effect = .deny; actionCursor = n
        default: throw c.fail("a rule has exactly one of 'allow' or 'deny'")
        }
        let types = try d["dossiers"]?.strings() ?? Array(profile.dossierTypes.keys)
        for t in types where profile.dossierTypes[t] == nil { throw d["dossiers"]!.fail("unknown dossier type '\(t)'") }
        var actions = Set<Action>()
        for text in try actionCursor.strings() {
            guard let action = Action(text) else {
                throw actionCursor.fail("unknown action '\(text)' (expected read, search, create, update, withdraw, versions, restore or transition:NAME)")
            }
            if case .transition(let t) = action {
                for type in types where profile.dossierTypes[type]!.workflow.transitions[t] == nil {
                    throw actionCursor.fail("dossier type '\(type)' has no transition '\(t)'")
                }
            }
            actions.insert(action)
        }
        let roles = try d.required("roles", in: c).strings()
        for r in roles where profile.roles[r] == nil { throw d["roles"]!.fail("unknown role '\(r)'") }
        let (relation, linkRoles) = try when(d["when"], rule: c, types: types, profile: profile)
        let read = try selector(d["read"], types: types, profile: profile)
        let write = try selector(d["write"], types: types, profile: profile)
        if effect == .deny, d["read"] != nil || d["write"] != nil {
            throw c.fail("a deny rule refuses the whole action; it takes no read or write list")
        }
        if effect == .allow, d["read"] == nil {
            throw c.fail("an allow rule names the fields it returns: add 'read' (a list of field paths, or [] for none)")
        }
        let purposes = try d["purposes"]?.strings() ?? []
        for p in purposes where !profile.purposes.contains(p) { throw d["purposes"]!.fail("unknown purpose '\(p)'") }
        let states = try d["states"]?.strings() ?? []
        for s in states where !types.contains(where: { profile.dossierTypes[$0]!.workflow.states.contains(s) }) {
            throw d["states"]!.fail("'\(s)' is not a state of the rule's dossier types")
        }
        return Rule(id: id, effect: effect, roles: Set(roles), dossierTypes: Set(types), relation: relation,
                    linkRoles: linkRoles, actions: actions, read: read, write: write,
                    purposes: Set(purposes), states: Set(states))
    }

    private func when(_ c: YAMLCursor?, rule: YAMLCursor, types: [String], profile: Profile) throws -> (Relation, Set<String>) {
        guard let c else { throw rule.fail("missing required key 'when' (any, linked-person, partner, organisation, assigned or territory)") }
        let expected = "expected one of: \(Relation.allCases.map(\.rawValue).joined(separator: ", "))"
        if case .scalar(_) = c.node {
            guard let r = Relation(rawValue: try c.string()) else { throw c.fail("unknown relation (\(expected))") }
            if r == .linkedPerson { throw c.fail("linked-person needs the link roles, as {linked-person: [parent]}") }
            return (r, [])
        }
        let m = try c.mapping()
        guard m.count == 1, let (key, value) = m.first, let r = Relation(rawValue: key), r == .linkedPerson else {
            throw c.fail("unknown relation (\(expected))")
        }
        let links = try value.strings()
        for l in links where !types.allSatisfy({ t in profile.dossierTypes[t]!.persons.contains { $0.role == l } }) {
            throw value.fail("'\(l)' is not a person role of the rule's dossier types")
        }
        return (r, Set(links))
    }

    func selector(_ c: YAMLCursor?, types: [String], profile: Profile) throws -> FieldSelector {
        guard let c else { return .none }
        let patterns = try c.strings()
        let paths = types.flatMap { profile.fieldPaths(of: profile.dossierTypes[$0]!) }
        for p in patterns where !paths.contains(where: { FieldSelector([p]).matches($0) }) {
            throw c.fail("'\(p)' matches no field of the rule's dossier types")
        }
        return FieldSelector(patterns)
    }
}
