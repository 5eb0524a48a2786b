public import GuichetCore
public import Foundation
import GRDB

extension Store {
    /// Counts of the dossiers of a type (in `states`, or all), not erased, grouped by two
    /// dimensions read in clear (territory, state, waiting-time band). Personal fields are
    /// never read.
    /// - Returns: (row value, column value) → count, for the non-empty groups.
    public func countTable(type: String, states: [String], rows: StatisticDimension, columns: StatisticDimension,
                           at now: Date) async throws -> [Pair: Int] {
        func expression(_ d: StatisticDimension) -> String {
            switch d {
            case .territory: return "COALESCE(d.territory, '')"
            case .status: return "d.status"
            case .waiting:
                var cases = "CASE"
                for band in StatisticDimension.waitingBands {
                    if let days = band.days { cases += " WHEN :now - d.created_at < \(days) * 86400000 THEN '\(band.label)'" } else { cases += " ELSE '\(band.label)'" }
                }
                return cases + " END"
            }
        }
        let marks = states.isEmpty ? "" : " AND d.status IN (" + states.map { _ in "?" }.joined(separator: ",") + ")"
        let sql = """
            SELECT \(expression(rows)) AS r, \(expression(columns)) AS c, COUNT(*) AS n FROM dossier d
            LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id
            WHERE d.type = ? AND l.erased_at IS NULL\(marks) GROUP BY r, c
            """.replacingOccurrences(of: ":now", with: String(now.millis))
        return try await read { db in
            var out: [Pair: Int] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments([type] + states)) {
                out[Pair(row: row["r"], column: row["c"])] = row["n"]
            }
            return out
        }
    }

    /// A (row, column) key of a count table.
    public struct Pair: Hashable, Sendable {
        public let row: String
        public let column: String
        public init(row: String, column: String) { self.row = row; self.column = column }
    }
}
