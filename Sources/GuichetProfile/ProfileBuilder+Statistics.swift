import GuichetCore
import Foundation

/// The `statistics:` section (docs/LIFECYCLE.md, "Statistics"):
///
/// ```yaml
/// statistics:
///   threshold: 5
///   figures:
///     applications-by-territory-and-state:
///       dossiers: application
///       rows: territory
///       columns: status
///       definition: {fr: "…", en: "…"}
/// ```
extension ProfileBuilder {
    func statistics(_ c: YAMLCursor, profile: Profile) throws -> StatisticsSpec {
        var out = StatisticsSpec()
        let d = try c.dictionary(allowed: ["threshold", "figures", "age"])
        if let t = d["threshold"] {
            out.threshold = try t.int()
            guard (3...100).contains(out.threshold) else { throw t.fail("the threshold is from 3 to 100") }
        }
        if let ac = d["age"] { out.age = try ageBands(ac, profile: profile) }
        for (id, fc) in try d.required("figures", in: c).mapping() {
            guard id.range(of: "^[a-z][a-z0-9-]*$", options: .regularExpression) != nil else { throw fc.fail("a figure id is lower-case letters, digits and dashes") }
            let fd = try fc.dictionary(allowed: ["dossiers", "states", "rows", "columns", "definition"])
            let typeName = try fd.required("dossiers", in: fc).string()
            guard let type = profile.dossierTypes[typeName] else { throw fd["dossiers"]!.fail("unknown dossier type '\(typeName)'") }
            let states = try fd["states"]?.strings() ?? []
            for s in states where !type.workflow.states.contains(s) { throw fd["states"]!.fail("'\(s)' is not a state of '\(typeName)'") }
            func dimension(_ key: String) throws -> StatisticDimension {
                let dc = try fd.required(key, in: fc)
                guard let dim = StatisticDimension(rawValue: try dc.string()) else {
                    throw dc.fail("unknown dimension (expected one of: \(StatisticDimension.allCases.map(\.rawValue).joined(separator: ", ")))")
                }
                return dim
            }
            let rows = try dimension("rows"), columns = try dimension("columns")
            guard rows != columns else { throw fd["columns"]!.fail("rows and columns count by different dimensions") }
            if rows == .age || columns == .age {
                guard let age = out.age else { throw fc.fail("a figure by age needs the age bands ('statistics.age')") }
                guard let link = type.persons.first(where: { $0.role == age.person }), link.max == 1 else {
                    throw fc.fail("'\(typeName)' has no role '\(age.person)' with one person at most: it cannot count by age")
                }
            }
            let dc = try fd.required("definition", in: fc)
            let definition = try labels(dc, maxLength: 1_000)
            guard definition["fr"] != nil, definition["en"] != nil else { throw dc.fail("a figure's definition is written in fr and en") }
            out.figures.append(StatisticFigure(id: id, dossierType: typeName, states: states, rows: rows, columns: columns, definition: definition))
        }
        return out
    }

    /// `age: {person: child, field: birthDate, bands: [0-2, 3-5, 6+]}`: bands of whole years
    /// from 0, contiguous, the last one open (`N+`).
    func ageBands(_ c: YAMLCursor, profile: Profile) throws -> AgeBands {
        let d = try c.dictionary(allowed: ["person", "field", "bands"])
        let person = try d.required("person", in: c).string()
        guard profile.dossierTypes.values.contains(where: { $0.persons.contains { $0.role == person } }) else {
            throw d["person"]!.fail("no dossier type has a person of role '\(person)'")  // present: required above
        }
        let field = try d.required("field", in: c).string()
        guard let spec = profile.personField(field), case .date = spec.type else { throw d["field"]!.fail("'\(field)' is not a date field of persons") }
        let bc = try d.required("bands", in: c)
        var bands: [AgeBands.Band] = []
        for label in try bc.strings() {
            guard bands.last?.upTo != nil || bands.isEmpty else { throw bc.fail("the open band ('\(bands.last?.label ?? "")') comes last") }
            let next = bands.last?.upTo.map { $0 + 1 } ?? 0
            if label.hasSuffix("+"), let from = Int(label.dropLast()) {
                guard from == next else { throw bc.fail("'\(label)' must start at \(next): bands are contiguous from 0") }
                bands.append(.init(label: label, from: from, upTo: nil))
            } else {
                let parts = label.split(separator: "-").map { Int($0) }
                guard parts.count == 2, let from = parts[0], let to = parts[1], from <= to, to <= 150 else {
                    throw bc.fail("'\(label)' is not an age band (A-B or A+, whole years)")
                }
                guard from == next else { throw bc.fail("'\(label)' must start at \(next): bands are contiguous from 0") }
                bands.append(.init(label: label, from: from, upTo: to))
            }
        }
        guard bands.count >= 2, bands.last?.upTo == nil else { throw bc.fail("at least two bands, the last one open (A+)") }
        return AgeBands(person: person, field: field, bands: bands)
    }

    /// The `exports:` section: per partner role, what of its caseload it may export.
    ///
    /// ```yaml
    /// exports:
    ///   partner-adviser: {dossiers: job-seeker, purpose: disability-support, fields: [category, seeker.lastName], days: 7, canaries: 3}
    /// ```
    func exports(_ c: YAMLCursor, profile: Profile) throws -> [String: ExportRule] {
        var out: [String: ExportRule] = [:]
        for (role, rc) in try c.mapping() {
            guard let r = profile.roles[role] else { throw rc.fail("unknown role '\(role)'") }
            guard r.kind == .partner else { throw rc.fail("'\(role)' is not a partner role: only partners export their caseload") }
            let d = try rc.dictionary(allowed: ["dossiers", "purpose", "fields", "days", "canaries"])
            let typeName = try d.required("dossiers", in: rc).string()
            guard let type = profile.dossierTypes[typeName] else { throw d["dossiers"]!.fail("unknown dossier type '\(typeName)'") }
            let purpose = try d.required("purpose", in: rc).string()
            guard profile.purposes.contains(purpose) else { throw d["purpose"]!.fail("unknown purpose '\(purpose)'") }
            let fields = try d.required("fields", in: rc).strings()
            guard !fields.isEmpty else { throw d["fields"]!.fail("name the fields the file holds") }
            let paths = profile.fieldPaths(of: type)
            for f in fields where !paths.contains(f) { throw d["fields"]!.fail("'\(f)' is not a field of '\(typeName)'") }
            for f in fields where profile.classification(of: f, in: type) == .sealed || profile.classification(of: f, in: type) == .nationalID {
                throw d["fields"]!.fail("'\(f)' is never exported (sealed fields and national identifiers stay in the registry)")
            }
            let days = try d["days"]?.int() ?? 7
            guard (1...90).contains(days) else { throw d["days"]!.fail("an export is valid 1 to 90 days") }
            let canaries = try d["canaries"]?.int() ?? 3
            guard (1...20).contains(canaries) else { throw d["canaries"]!.fail("1 to 20 canary rows") }
            out[role] = ExportRule(role: role, dossierType: typeName, purpose: purpose, fields: fields, days: days, canaries: canaries)
        }
        return out
    }
}
