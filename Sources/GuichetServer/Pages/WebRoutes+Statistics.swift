import Foundation
import GuichetCore
import Hummingbird

/// The published statistics as a page (`/web/statistics`, public listener, no sign-in, as
/// `GET /v1/statistics`): the same cached answer, suppressed counts shown as such. An
/// analyst's home links to it (a new-user test: the analyst's only page was a dead end, the
/// statistics raw JSON).
extension GuichetServer {
    func addStatisticsPage(_ r: RouteRecorder) {
        page(r, .get, "/web/statistics", admin: false) { req, _, scope in
            var s = scope
            // Signed in or not: the menu shows when a session comes with the page.
            if SessionCookie.read(req, admin: false) != nil, let signed = try? await self.signedIn(req, scope) { s = signed }
            return try await self.statisticsPage(s)
        }
    }

    func statisticsPage(_ s: PageScope) async throws -> Response {
        let pages = try Self.webPages()
        let l = s.language
        let answer = try await statisticsAnswer()
        let hidden = pages.text("statHidden", l)
        func cell(_ v: JSON?) -> String {
            guard let v, case .number(let n) = v else { return hidden }
            return Int(n).formatted(.number.locale(Locale(identifier: l == "fr" ? "fr_FR" : "en_GB")))
        }
        func values(_ v: JSON?) -> [String] { v?.array?.compactMap(\.string) ?? [] }
        func dimension(_ by: String, _ value: String) -> String {
            switch by {
            case "status": return stateLabel(value, pages, l)
            case "territory" where value.isEmpty: return pages.text("statNoTerritory", l)
            // An age band of a person whose birth year is not kept (a co-operative's audit read
            // « unknown » on the French page).
            case _ where value == AgeBands.unknown: return pages.text("statUnknownAge", l)
            default: return value
            }
        }
        var types: [[String: Any]] = []
        for (name, entry) in (answer.object?["dossiers"]?.object ?? [:]).sorted(by: { $0.key < $1.key }) {
            let states = (entry.object?["byStatus"]?.object ?? [:]).sorted { $0.key < $1.key }
            types.append(["type": typeLabel(name, pages, l),
                          "states": states.map { ["state": stateLabel($0.key, pages, l), "count": cell($0.value)] as [String: Any] }])
        }
        var figures: [[String: Any]] = []
        for f in answer.object?["figures"]?.array ?? [] {
            guard let o = f.object else { continue }
            let rowsBy = o["rows"]?.object?["by"]?.string ?? "", columnsBy = o["columns"]?.object?["by"]?.string ?? ""
            let columns = values(o["columns"]?.object?["values"]).map { dimension(columnsBy, $0) }
            let cells = o["cells"]?.array ?? [], rowTotals = o["rowTotals"]?.array ?? []
            let rows = values(o["rows"]?.object?["values"]).enumerated().map { i, row -> [String: Any] in
                ["label": dimension(rowsBy, row), "cells": (cells.indices.contains(i) ? cells[i].array ?? [] : []).map { ["value": cell($0)] },
                 "total": cell(rowTotals.indices.contains(i) ? rowTotals[i] : nil)]
            }
            figures.append(["id": o["id"]?.string ?? "", "definition": o["definition"]?.object?[l]?.string ?? o["definition"]?.object?.values.first?.string ?? "",
                            "rowsBy": pages.optionalText("dimension_" + rowsBy, l) ?? rowsBy, "columns": columns.map { ["label": $0] }, "rows": rows,
                            "columnTotals": (o["columnTotals"]?.array ?? []).map { ["value": cell($0)] }, "total": cell(o["total"])])
        }
        return try render("statistics", ["types": types, "figures": figures, "threshold": profile.statistics.threshold], s)
    }
}
