import Foundation
import Testing
import GuichetCore

/// Published counts without re-identification (C14): small counts suppressed, and others so
/// that no suppressed entry can be worked out from what is shown.
@Suite struct SuppressionTests {
    /// The table with its margins as one grid (row `r`: column totals; column `c`: row totals).
    static func grid(_ t: CountTable) -> [[Int]] {
        let r = t.rows.count, c = t.columns.count
        var g = Array(repeating: Array(repeating: 0, count: c + 1), count: r + 1)
        for i in 0..<r { for j in 0..<c { let v = t.cells[i][j]; g[i][j] = v; g[i][c] += v; g[r][j] += v; g[r][c] += v } }
        return g
    }

    static func published(_ p: PublishedTable) -> [[Int?]] {
        p.cells.enumerated().map { $0.element + [p.rowTotals[$0.offset]] } + [p.columnTotals + [p.total]]
    }

    /// An attacker's view: every shown entry, and each hidden one a whole number >= 0 (what
    /// the published totals say; docs/LIFECYCLE.md says what this leaves out). Looks for
    /// another table consistent with all of it in which the entry (i, j) differs, by moving
    /// counts around a cycle of hidden entries (what keeps every row and column sum).
    static func alternative(to g: [[Int]], shown: [[Int?]], differingAt i: Int, _ j: Int) -> [[Int]]? {
        let rows = g.count, columns = g[0].count
        let hidden = shown.map { $0.map { $0 == nil } }
        // Paths from column j back to row i through hidden entries, alternating column → row → column.
        var found: [[Int]]?
        func search(_ path: [(Int, Int)], at column: Int, rowsUsed: Set<Int>, columnsUsed: Set<Int>, budget: inout Int) {
            guard found == nil, budget > 0 else { return }
            budget -= 1
            for k in 0..<rows where hidden[k][column] && !(k == i && column == j) {
                if k == i {
                    try? check(path + [(k, column)])
                    if found != nil { return }
                    continue
                }
                guard !rowsUsed.contains(k) else { continue }
                for l in 0..<columns where hidden[k][l] && l != column && !columnsUsed.contains(l) {
                    search(path + [(k, column), (k, l)], at: l, rowsUsed: rowsUsed.union([k]), columnsUsed: columnsUsed.union([l]), budget: &budget)
                }
            }
        }
        func check(_ cycle: [(Int, Int)]) throws {
            // The cycle is (i, j), then the path; signs alternate. In the grid, margins enter their
            // line with the opposite sign, so a move of +d on an inner entry is -d on a margin.
            for d in [1, -1] {
                var alt = g
                for (n, (a, b)) in ([(i, j)] + cycle).enumerated() {
                    let inner = (a < rows - 1 ? 1 : -1) * (b < columns - 1 ? 1 : -1)
                    alt[a][b] += (n % 2 == 0 ? d : -d) * inner
                }
                guard alt.joined().allSatisfy({ $0 >= 0 }) else { continue }
                // Consistent: every shown entry unchanged, every sum holds.
                let cells = (0..<rows - 1).map { Array(alt[$0][0..<columns - 1]) }
                let recomputed = grid(CountTable(rows: (0..<rows - 1).map(String.init), columns: (0..<columns - 1).map(String.init), cells: cells))
                guard recomputed == alt, zip(alt.joined(), shown.joined()).allSatisfy({ $1 == nil || $0 == $1 }), alt[i][j] != g[i][j] else { continue }
                found = alt
                return
            }
        }
        var budget = 20_000
        search([], at: j, rowsUsed: [i], columnsUsed: [j], budget: &budget)
        return found
    }

    @Test("counts from 1 to threshold-1 are suppressed, zeros and larger counts are shown")
    func primary() {
        let t = CountTable(rows: ["05", "06"], columns: ["waiting", "closed"], cells: [[40, 30], [25, 50]])
        let p = Suppression.publish(t, threshold: 5)
        let expected: [[Int?]] = [[40, 30], [25, 50]]
        #expect(p.cells == expected)
        #expect(p.total == 145)
        #expect(p.primary == 0 && p.complementary == 0)
        let small = Suppression.publish(CountTable(rows: ["05", "06", "07"], columns: ["a", "b", "c"], cells: [[3, 20, 30], [12, 0, 40], [25, 18, 33]]), threshold: 5)
        #expect(small.cells[0][0] == nil)
        #expect(small.cells[1][1] == 0)
        #expect(small.primary == 1)
    }

    @Test("a lone suppressed cell is protected: the row total minus the shown cells does not give it")
    func complementary() throws {
        let t = CountTable(rows: ["05", "06", "07"], columns: ["a", "b", "c"], cells: [[3, 20, 30], [12, 9, 40], [25, 18, 33]])
        let p = Suppression.publish(t, threshold: 5)
        #expect(p.cells[0][0] == nil)
        // Row 05 and column a each hide at least one more entry than the small one.
        let row: [Int?] = p.cells[0] + [p.rowTotals[0]]
        let column: [Int?] = p.cells.map { $0[0] } + [p.columnTotals[0]]
        let hiddenInRow = row.filter { $0 == nil }.count, hiddenInColumn = column.filter { $0 == nil }.count
        #expect(hiddenInRow >= 2)
        #expect(hiddenInColumn >= 2)
        #expect(Self.alternative(to: Self.grid(t), shown: Self.published(p), differingAt: 0, 0) != nil)
    }

    @Test("no suppressed entry of many random tables can be recovered from what is published", arguments: [5, 10])
    func suppressedCellsCannotBeRecovered(threshold: Int) throws {
        var rng = SplitMix(seed: UInt64(threshold))
        for _ in 0..<150 {
            let r = Int.random(in: 1...4, using: &rng), c = Int.random(in: 2...5, using: &rng)
            let cells = (0..<r).map { _ in (0..<c).map { _ in
                switch Int.random(in: 0..<10, using: &rng) { case 0..<2: 0; case 2..<5: Int.random(in: 1..<threshold, using: &rng); default: Int.random(in: threshold...60, using: &rng) }
            } }
            let t = CountTable(rows: (0..<r).map { "r\($0)" }, columns: (0..<c).map { "c\($0)" }, cells: cells)
            let p = Suppression.publish(t, threshold: threshold)
            let g = Self.grid(t), shown = Self.published(p)
            for (i, row) in shown.enumerated() { for (j, v) in row.enumerated() {
                if let v { #expect(v == g[i][j]) } else {
                    #expect(Self.alternative(to: g, shown: shown, differingAt: i, j) != nil, "entry (\(i), \(j)) of \(cells) is recoverable from \(shown)")
                }
                if g[i][j] > 0 && g[i][j] < threshold { #expect(v == nil, "a small count is shown") }
            } }
        }
    }
}

/// A small seeded generator (SplitMix64), for reproducible random tables.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
