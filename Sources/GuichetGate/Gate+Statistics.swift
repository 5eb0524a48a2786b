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
        try await publishedStatisticsWithStates().figures
    }

    /// The profile's figures, and the count of dossiers of each type in each state, published
    /// together (`GET /v1/statistics`): every count that two of them share (a figure's row
    /// total and another's cell, the dossiers of a state and a figure's column total...) is
    /// suppressed in all of them as soon as in one, and each table then protects it as it
    /// protects its own small counts, until nothing changes. Suppressing each table alone let
    /// a hidden cell be worked out from another figure's total (an attacker test: 26 − 25).
    /// - Returns: the figures; and per dossier type, per state, its count (nil: suppressed).
    public func publishedStatisticsWithStates() async throws -> (figures: [PublishedFigure], states: [String: [String: Int?]]) {
        let spec = profile.statistics
        let now = clock()
        // Each table with what its entries count, so that equal counts are found by their keys.
        var tables: [(figure: StatisticFigure?, type: String, counts: CountTable, rows: StatisticDimension?, columns: StatisticDimension, states: [String])] = []
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
            tables.append((figure, figure.dossierType, CountTable(rows: rows, columns: columns, cells: cells), figure.rows, figure.columns,
                           figure.states.isEmpty ? type.workflow.states : figure.states))
        }
        // The dossiers of each type by state: one row, a column per state.
        for (name, type) in profile.dossierTypes.sorted(by: { $0.key < $1.key }) {
            let counts = try await store.countByStatus(type: name)
            tables.append((nil, name, CountTable(rows: [""], columns: type.workflow.states, cells: [type.workflow.states.map { counts[$0] ?? 0 }]),
                           nil, .status, type.workflow.states))
        }
        // What each entry of each grid counts: the type, the states, and the value of each
        // other dimension it is limited to.
        struct Key: Hashable { let type: String; let states: Set<String>; let limits: [String: String] }
        func key(_ t: Int, _ e: GridEntry) -> Key {
            let table = tables[t]
            var states = Set(table.states), limits: [String: String] = [:]
            func limit(_ d: StatisticDimension?, _ value: String) {
                guard let d else { return }
                if d == .status { states = states.intersection([value]) } else { limits[d.rawValue] = value }
            }
            if e.row < table.counts.rows.count { limit(table.rows, table.counts.rows[e.row]) }
            if e.column < table.counts.columns.count { limit(table.columns, table.counts.columns[e.column]) }
            return Key(type: table.type, states: states, limits: limits)
        }
        var entries: [Key: [(Int, GridEntry)]] = [:]
        for t in tables.indices {
            for i in 0...tables[t].counts.rows.count { for j in 0...tables[t].counts.columns.count { entries[key(t, GridEntry(i, j)), default: []].append((t, GridEntry(i, j))) } }
        }
        let shared = entries.values.filter { $0.count > 1 }
        var forced = Array(repeating: Set<GridEntry>(), count: tables.count)
        var published: [PublishedTable] = []
        // Each round only adds suppressions, so it ends.
        while true {
            published = tables.indices.map { Suppression.publish(tables[$0].counts, threshold: spec.threshold, forced: forced[$0]) }
            var changed = false
            for group in shared where group.contains(where: { published[$0.0].isHidden($0.1.row, $0.1.column) }) {
                for (t, e) in group where !published[t].isHidden(e.row, e.column) && forced[t].insert(e).inserted { changed = true }
            }
            if !changed { break }
        }
        var figures: [PublishedFigure] = [], states: [String: [String: Int?]] = [:]
        for (t, table) in tables.enumerated() {
            if let figure = table.figure {
                figures.append(PublishedFigure(figure: figure, table: published[t]))
            } else {
                states[table.type] = Dictionary(uniqueKeysWithValues: table.counts.columns.enumerated().map { ($1, published[t].cells[0][$0]) })
            }
        }
        return (figures, states)
    }
}
