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
        let d = try c.dictionary(allowed: ["threshold", "figures"])
        if let t = d["threshold"] {
            out.threshold = try t.int()
            guard (3...100).contains(out.threshold) else { throw t.fail("the threshold is from 3 to 100") }
        }
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
            let dc = try fd.required("definition", in: fc)
            let definition = try labels(dc, maxLength: 1_000)
            guard definition["fr"] != nil, definition["en"] != nil else { throw dc.fail("a figure's definition is written in fr and en") }
            out.figures.append(StatisticFigure(id: id, dossierType: typeName, states: states, rows: rows, columns: columns, definition: definition))
        }
        return out
    }
}
