public import GuichetCore
import GuichetStore
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
            let counts = try await store.countTable(type: figure.dossierType, states: figure.states, rows: figure.rows,
                                                    columns: figure.columns, age: spec.age, year: calendar.component(.year, from: now), at: now)
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
            let cells = rows.map { r in columns.map { c in counts[Store.Pair(row: r, column: c)] ?? 0 } }
            out.append(PublishedFigure(figure: figure, table: Suppression.publish(CountTable(rows: rows, columns: columns, cells: cells),
                                                                                  threshold: spec.threshold)))
        }
        return out
    }
}
