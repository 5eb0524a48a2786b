public import GuichetCore
import GuichetStore
import GuichetVault
import Foundation

/// A figure as published: its definition, and its table after suppression.
public struct PublishedFigure: Sendable, Equatable {
    public let figure: StatisticFigure
    public let table: PublishedTable
}

/// Published statistics without re-identification (C14): the profile's figures, counted from
/// values held in clear (no personal field is decrypted), small counts suppressed and others
/// suppressed to protect them (``Suppression``).
extension Gate {
    /// The profile's figures at the gate's clock.
    public func publishedStatistics() async throws -> [PublishedFigure] {
        let spec = profile.statistics
        let now = clock()
        var out: [PublishedFigure] = []
        for figure in spec.figures {
            guard let type = profile.dossierTypes[figure.dossierType] else { continue }
            // The year of the count, in the profile's time zone (ages are reached during it).
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: profile.watch.timezone) ?? TimeZone(secondsFromGMT: 0)!  // 0 is a valid offset
            let year = calendar.component(.year, from: now)
            // The tags of the birth years that may count (ages 0 to 150 in the year of the count):
            // the store holds only tags, mapped back here with the key file.
            var yearTags: [String: Int] = [:]
            if figure.rows == .age || figure.columns == .age {
                for born in (year - 150)...year { yearTags[try sealing { try vault.birthYearTag(born) }] = born }
            }
            let counts = try await store.countTable(type: figure.dossierType, states: figure.states, rows: figure.rows,
                                                    columns: figure.columns, age: spec.age, year: year, yearTags: yearTags, at: now)
            func values(_ d: StatisticDimension, _ found: Set<String>) -> [String] {
                switch d {
                case .status: return figure.states.isEmpty ? type.workflow.states : figure.states
                case .waiting: return StatisticDimension.waitingBands.map(\.label)
                case .age: return spec.age?.labels ?? []
                case .territory: return found.sorted()
                }
            }
            let rows = values(figure.rows, Set(counts.keys.map(\.row)))
            let columns = values(figure.columns, Set(counts.keys.map(\.column)))
            let cells = rows.map { r in columns.map { c in counts[StatisticPair(row: r, column: c)] ?? 0 } }
            out.append(PublishedFigure(figure: figure, table: Suppression.publish(CountTable(rows: rows, columns: columns, cells: cells),
                                                                                  threshold: spec.threshold)))
        }
        return out
    }
}
