public import GuichetCore
public import Foundation
import GRDB

extension Store {
    /// Counts of the dossiers of a type (in `states`, or all), not erased, grouped by two
    /// dimensions read in clear (territory, state, waiting-time band). Personal fields are
    /// never read.
    /// - Returns: (row value, column value) → count, for the non-empty groups.
    /// - Parameter age: the age bands, for a dimension `age`: the band of the birth year of the
    ///   dossier's person of `age.person`, as the age reached in `year` (the year of the count);
    ///   `unknown` without one.
    /// - Parameter yearTags: the keyed tag of each birth year that may count (the store holds
    ///   tags, never years: `person_birth_year`); a tag not among them counts as `unknown`.
    public func countTable(type: String, states: [String], rows: StatisticDimension, columns: StatisticDimension,
                           age: AgeBands? = nil, year: Int = 0, yearTags: [String: Int] = [:], at now: Date) async throws -> [StatisticPair: Int] {
        let usesAge = rows == .age || columns == .age
        precondition(!usesAge || age != nil, "a count by age needs the profile's age bands")
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
            case .age: return "COALESCE(b.band, '\(AgeBands.unknown)')"
            }
        }
        // Each known tag with its band, as a table of values the birth years' tags join.
        var bands: [(tag: String, band: String)] = []
        for (tag, born) in yearTags {
            let reached = year - born
            if let band = age?.bands.first(where: { reached >= $0.from && ($0.upTo.map { reached <= $0 } ?? true) }) { bands.append((tag, band.label)) }
        }
        let values = bands.isEmpty ? "SELECT NULL AS tag, NULL AS band WHERE 0"
            : "SELECT column1 AS tag, column2 AS band FROM (VALUES " + bands.map { _ in "(?, ?)" }.joined(separator: ", ") + ")"
        let ageJoin = usesAge ? """
             LEFT JOIN dossier_person ap ON ap.dossier_id = d.id AND ap.role = ?
             LEFT JOIN person_birth_year y ON y.person_id = ap.person_id
             LEFT JOIN (\(values)) b ON b.tag = y.tag
            """ : ""
        let marks = states.isEmpty ? "" : " AND d.status IN (" + states.map { _ in "?" }.joined(separator: ",") + ")"
        let sql = """
            SELECT \(expression(rows)) AS r, \(expression(columns)) AS c, COUNT(*) AS n FROM dossier d
            LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id\(ageJoin)
            WHERE d.type = ? AND l.erased_at IS NULL\(marks) GROUP BY r, c
            """.replacingOccurrences(of: ":now", with: String(now.millis))
        let arguments = (usesAge ? [age?.person ?? ""] + bands.flatMap { [$0.tag, $0.band] } : []) + [type] + states
        return try await read { db in
            var out: [StatisticPair: Int] = [:]
            for row in try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments)) {
                out[StatisticPair(row: row["r"], column: row["c"])] = row["n"]
            }
            return out
        }
    }
}

/// A (row, column) key of a count table.
public struct StatisticPair: Hashable, Sendable {
    public let row: String
    public let column: String
    public init(row: String, column: String) { self.row = row; self.column = column }
}
