import Foundation
import Testing
import GuichetCore
import GuichetGate
import GRDB
import GuichetVault
@testable import GuichetStore

/// Statistics by age band (C14): counted from a keyed tag of the birth year kept when a person
/// is written (no personal field decrypted, nothing journalled, no year in the database), as the
/// age reached in the year of the count, with primary and complementary suppression.
@Suite struct AgeBandStatisticsTests {
    /// A waiting application for a child born on `birth` (the world's first daycare).
    static func apply(_ world: World, born birth: String, n: Int) async throws -> WriteResult {
        try await world.gate.create(DossierInput(
            type: "application",
            fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(5)],
            persons: [.caller(role: "parent"),
                      .new(role: "child", fields: ["firstName": .string("Enfant\(n)"), "lastName": .string("Tremblay"), "birthDate": .string(birth)])],
            partners: [world.daycares[0].id]), try await world.request("parent1"))
    }

    @Test("place05 at an injected clock: children counted by age band, the small band suppressed with a complement, nothing recoverable")
    func place05AgeBands() async throws {
        // 15 March 2027, noon in Québec: ages are those reached during 2027.
        let clock = ManualClock(Date(timeIntervalSince1970: 1_805_126_400))
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        // 0-2 (born 2025-2026): 6; 3-5 (born 2022-2024): 7, one of them born on 31 December 2024
        // (2 on the day of the count, but 3 reached in 2027); 6+ (born 2021 or before): 1.
        let births = ["2025-01-10", "2025-06-30", "2026-02-01", "2026-11-11", "2026-11-30", "2025-12-31",
                      "2022-03-03", "2022-08-08", "2023-01-01", "2023-05-05", "2024-04-04", "2024-09-09", "2024-12-31",
                      "2021-12-31"]
        var apps: [WriteResult] = []
        for (n, b) in births.enumerated() { apps.append(try await Self.apply(world, born: b, n: n)) }
        let before = try await world.gate.ledgerSize()
        let figure = try #require(try await world.gate.publishedStatistics().first { $0.figure.id == "waiting-children-by-territory-and-age" })
        #expect(try await world.gate.ledgerSize() == before, "counting by age decrypts nothing and journals nothing")
        let t = figure.table
        #expect(t.columns == ["0-2", "3-5", "6+", "unknown"])
        #expect(t.rows.count == 1 && t.total == 14 && t.rowTotals == [14])
        #expect(t.columnTotals[1] == 7 && t.cells[0][1] == 7)
        #expect(t.cells[0][2] == nil, "one child of 6 or more: suppressed")
        #expect(t.cells[0][0] == nil && t.columnTotals[0] == nil, "and 6 hidden too, or the row total would give the 1 away")
        #expect(t.cells[0][3] == 0, "zeros are shown")
        #expect(t.primary >= 1 && t.complementary >= 1)
        // No hidden entry is fixed by what is shown and the sums.
        let truth = CountTable(rows: t.rows, columns: t.columns, cells: [[6, 7, 1, 0]])
        let grid = SuppressionTests.grid(truth), shown = SuppressionTests.published(t)
        for (i, line) in shown.enumerated() {
            for (j, entry) in line.enumerated() where entry == nil {
                #expect(SuppressionTests.alternative(to: grid, shown: shown, differingAt: i, j) != nil, "hidden entry (\(i), \(j)) is recoverable")
            }
        }

        // A corrected birth date moves the child (its birth year is rewritten with the person);
        // an erased child counts as unknown.
        let child0 = try RetentionRunTests.child(apps[0])
        _ = try await world.gate.updatePerson(child0, fields: ["birthDate": .string("2020-01-01")], expectedVersion: nil, try await world.request("parent1"))
        let moved = try #require(try await world.gate.publishedStatistics().first { $0.figure.id == "waiting-children-by-territory-and-age" }).table
        #expect(moved.columnTotals[1] == 7 && moved.total == 14)
        #expect(moved.cells[0][0] == nil && moved.cells[0][2] == nil, "5 and 2: both still hidden (2 < 5), the 7 shown")
        let years = try await world.rowCounts()["person_birth_year"] ?? 0
        // The database holds keyed tags, never a year: a copy without the key file tells none.
        let stored = try await world.database.strings("SELECT tag FROM person_birth_year")
        #expect(stored.count == years && stored.allSatisfy { Int($0) == nil && $0.count == 20 }, "tags, never years")
        #expect(stored.contains(try Vault(profile: world.profile, keys: world.keys).birthYearTag(2020)), "the corrected child's year, as its tag")
        _ = try await world.gate.eraseOnRequest(person: try RetentionRunTests.child(apps[6]), reference: "REQ-AGE-1", try await world.principal("security"),
                                                requestID: "t")
        let erased = try #require(try await world.gate.publishedStatistics().first { $0.figure.id == "waiting-children-by-territory-and-age" }).table
        #expect(erased.total == 14 && erased.cells[0][1] == 6, "the erased child left its band")
        #expect(erased.cells[0][3] == nil, "and counts as unknown (1: suppressed)")
        #expect(try await world.rowCounts()["person_birth_year"] == years - 1, "the erased child's birth year went with it")
    }

    @Test("emploi: the generator's job seekers are all counted by age, none unknown, the total is the registered count")
    func emploiAgeBands() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let figures = try await world.gate.publishedStatistics()
        let byAge = try #require(figures.first { $0.figure.id == "job-seekers-by-territory-and-age" }).table
        let byState = try #require(figures.first { $0.figure.id == "job-seekers-by-territory-and-state" }).table
        #expect(byAge.columns == ["0-24", "25-34", "35-49", "50+", "unknown"])
        let registered = try #require(byState.columns.firstIndex(of: "registered"))
        #expect(byAge.total != nil && byAge.total == byState.columnTotals[registered])
        #expect(byAge.columnTotals.last == 0, "every generated seeker has a birth year")
        #expect(byAge.columnTotals.dropLast().contains { ($0 ?? 0) > 0 })
    }
}
