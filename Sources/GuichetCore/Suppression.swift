/// A two-way table of counts to publish (rows × columns), before suppression.
public struct CountTable: Sendable, Equatable {
    public let rows: [String]
    public let columns: [String]
    /// `cells[row][column]`.
    public let cells: [[Int]]
    public init(rows: [String], columns: [String], cells: [[Int]]) {
        precondition(cells.count == rows.count && cells.allSatisfy { $0.count == columns.count }, "a count table is rows × columns")
        self.rows = rows; self.columns = columns; self.cells = cells
    }
}

/// A table as published: cells, row and column totals and the grand total, any of which may
/// be suppressed (nil).
public struct PublishedTable: Sendable, Equatable {
    public let rows: [String]
    public let columns: [String]
    public let cells: [[Int?]]
    public let rowTotals: [Int?]
    public let columnTotals: [Int?]
    public let total: Int?
    /// How many entries were suppressed because they were small (primary), and to protect them (complementary).
    public let primary: Int
    public let complementary: Int

    /// Whether the entry at `row`, `column` of the grid with margins is suppressed: `row ==
    /// rows.count` is the column totals, `column == columns.count` the row totals.
    public func isHidden(_ row: Int, _ column: Int) -> Bool {
        switch (row == rows.count, column == columns.count) {
        case (false, false): cells[row][column] == nil
        case (false, true): rowTotals[row] == nil
        case (true, false): columnTotals[column] == nil
        case (true, true): total == nil
        }
    }
}

/// An entry of a table's grid with margins (``PublishedTable/isHidden(_:_:)``).
public struct GridEntry: Hashable, Sendable {
    public let row: Int
    public let column: Int
    public init(_ row: Int, _ column: Int) { self.row = row; self.column = column }
}

/// Statistical disclosure control for published counts (C14): small counts are suppressed
/// (primary suppression), then other entries so that no suppressed entry can be worked out
/// by subtraction from the totals shown (complementary suppression).
///
/// The table is treated with its margins as one (rows + 1) × (columns + 1) grid in which every
/// line (a row with its total, a column with its total) is an additive relation. A line with
/// exactly one suppressed entry would give it away (total minus the shown cells), so the run
/// suppresses, on such a line, the smallest other non-zero entry that is not a total, and
/// repeats until no line has exactly one suppressed entry (or only suppressed ones); then a
/// suppressed entry on no cycle of suppressed entries gets a rectangle through it. Zero counts
/// are never suppressed (an empty cell discloses no one).
public enum Suppression {
    /// Publishes a table.
    /// - Parameter threshold: counts from 1 to `threshold - 1` are suppressed; at least 2.
    /// - Parameter forced: entries to suppress besides (the same counts suppressed in another
    ///   table published beside this one), protected as the small ones are.
    public static func publish(_ t: CountTable, threshold: Int, forced: Set<GridEntry> = []) -> PublishedTable {
        precondition(threshold >= 2, "a suppression threshold is at least 2")
        let r = t.rows.count, c = t.columns.count
        // The grid with margins: row r holds column totals, column c row totals.
        var grid = Array(repeating: Array(repeating: 0, count: c + 1), count: r + 1)
        for i in 0..<r { for j in 0..<c { grid[i][j] = t.cells[i][j]; grid[i][c] += t.cells[i][j]; grid[r][j] += t.cells[i][j]; grid[r][c] += t.cells[i][j] } }
        var hidden = grid.map { $0.map { $0 > 0 && $0 < threshold } }
        let primary = hidden.joined().filter { $0 }.count
        for e in forced where e.row <= r && e.column <= c && grid[e.row][e.column] > 0 { hidden[e.row][e.column] = true }
        var lines: [[(Int, Int)]] = (0...r).map { i in (0...c).map { (i, $0) } }
        lines += (0...c).map { j in (0...r).map { ($0, j) } }
        var changed = true
        while changed {
            changed = false
            // A line gives a hidden entry away when it hides only that one (the total minus the
            // shown cells), or only ones (hidden counts are never zero: k hidden entries summing
            // to k are all 1).
            for line in lines {
                let hiddenValues = line.filter { hidden[$0.0][$0.1] }.map { grid[$0.0][$0.1] }
                guard hiddenValues.count == 1 || (hiddenValues.count > 1 && hiddenValues.allSatisfy { $0 == 1 }) else { continue }
                // Prefer inner cells to totals, non-zero to zero, small to large.
                func key(_ e: (Int, Int)) -> (Int, Int, Int, Int, Int) {
                    let value = grid[e.0][e.1]
                    return (e.0 == r || e.1 == c ? 1 : 0, value == 0 ? 1 : 0, value, e.0, e.1)
                }
                let candidates = line.filter { !hidden[$0.0][$0.1] && grid[$0.0][$0.1] > 0 }.sorted { key($0) < key($1) }
                guard let pick = candidates.first else { continue }
                hidden[pick.0][pick.1] = true
                changed = true
            }
            // A hidden entry that lies on no cycle of hidden entries (a bridge between rows and
            // columns) is fixed by the others: hide the cheapest rectangle through it.
            if !changed, let (i, j) = bridge(hidden) {
                var best: (cost: Int, k: Int, l: Int)?
                for k in 0...r where k != i { for l in 0...c where l != j {
                    var cost = 0
                    // A zero is never hidden: a count known to be empty protects nothing.
                    let added = [(i, l), (k, j), (k, l)].filter { !hidden[$0.0][$0.1] }
                    guard added.allSatisfy({ grid[$0.0][$0.1] > 0 }) else { continue }
                    for (a, b) in added { cost += grid[a][b] }
                    if best == nil || cost < best!.cost { best = (cost, k, l) }  // just checked for nil
                } }
                if let best {
                    for (a, b) in [(i, best.l), (best.k, j), (best.k, best.l)] { hidden[a][b] = true }
                    changed = true
                }
            }
        }
        let complementary = hidden.joined().filter { $0 }.count - primary
        func shown(_ i: Int, _ j: Int) -> Int? { hidden[i][j] ? nil : grid[i][j] }
        return PublishedTable(rows: t.rows, columns: t.columns,
                              cells: (0..<r).map { i in (0..<c).map { shown(i, $0) } },
                              rowTotals: (0..<r).map { shown($0, c) }, columnTotals: (0..<c).map { shown(r, $0) },
                              total: shown(r, c), primary: primary, complementary: complementary)
    }

    /// A hidden entry on no cycle of hidden entries (rows and columns as the two sides of a
    /// graph, hidden entries as its edges), if any.
    static func bridge(_ hidden: [[Bool]]) -> (Int, Int)? {
        let rows = hidden.count, columns = hidden.first?.count ?? 0
        for i in 0..<rows { for j in 0..<columns where hidden[i][j] {
            // Is column j reachable from row i without the edge (i, j)?
            var seenRows = Set([i]), seenColumns = Set<Int>(), frontier = [(true, i)]
            while let (isRow, n) = frontier.popLast() {
                if isRow {
                    for l in 0..<columns where hidden[n][l] && !(n == i && l == j) && seenColumns.insert(l).inserted { frontier.append((false, l)) }
                } else {
                    for k in 0..<rows where hidden[k][n] && !(k == i && n == j) && seenRows.insert(k).inserted { frontier.append((true, k)) }
                }
            }
            if !seenColumns.contains(j) { return (i, j) }
        } }
        return nil
    }
}
