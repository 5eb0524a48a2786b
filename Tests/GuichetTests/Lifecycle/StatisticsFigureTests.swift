import Foundation
import Testing
import GuichetCore
import GuichetGate
@testable import GuichetStore

/// The profile's published figures (C14): each with a written definition, counted without
/// decrypting anything, small counts suppressed, erased dossiers left out.
@Suite struct StatisticsFigureTests {
    @Test("place05's figures have a definition in both languages and suppress every count below 5")
    func place05Figures() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        var ids: [DossierID] = []
        for n in 0..<7 { ids.append(try await world.application(by: "parent1", childName: "Enfant\(n)").id) }
        _ = try await world.gate.transition(ids[0], "withdraw", try await world.request("parent1"))
        let figures = try await world.gate.publishedStatistics()
        #expect(figures.map(\.figure.id).sorted() == ["applications-by-territory-and-state", "waiting-children-by-territory-and-age", "waiting-time-by-territory"])
        for f in figures { #expect(f.figure.definition["fr"]?.isEmpty == false && f.figure.definition["en"]?.isEmpty == false) }
        let byState = try #require(figures.first { $0.figure.id == "applications-by-territory-and-state" }).table
        #expect(byState.columns == ["waiting", "offered", "placed", "closed", "withdrawn"])
        let waiting = try #require(byState.columns.firstIndex(of: "waiting")), withdrawn = try #require(byState.columns.firstIndex(of: "withdrawn"))
        #expect(byState.rows.count == 1, "one territory")
        #expect(byState.cells[0][withdrawn] == nil, "1 withdrawn: suppressed")
        #expect(byState.cells[0][waiting] == nil, "6 waiting: suppressed too, or the row total would give the withdrawn one away")
        #expect(byState.rowTotals[0] == 7 && byState.total == 7)
        #expect(byState.primary >= 1 && byState.complementary >= 1)
        // The other figures count the same 6 waiting applications: their totals are hidden too,
        // or 7 − 6 would give the withdrawn one away (an attacker test did so: 26 − 25).
        let (linked, states) = try await world.gate.publishedStatisticsWithStates()
        for id in ["waiting-time-by-territory", "waiting-children-by-territory-and-age"] {
            let t = try #require(linked.first { $0.figure.id == id }).table
            #expect(t.rowTotals[0] == nil && t.total == nil, "\(id)")
        }
        // So are the dossiers by state beside them, with the figures' threshold.
        let byStatus = try #require(states["application"])
        #expect(byStatus["withdrawn"] == .some(.none) && byStatus["waiting"] == .some(.none) && byStatus["placed"] == .some(0), "\(byStatus)")
        #expect(try #require(linked.first { $0.figure.id == "applications-by-territory-and-state" }).table == byState)
        // Erased dossiers do not count.
        _ = try await world.store.erase(dossiers: [ids[1], ids[2]], persons: [], at: Date(), kept: [])
        let after = try #require(try await world.gate.publishedStatistics().first { $0.figure.id == "applications-by-territory-and-state" }).table
        #expect(after.rowTotals[0] == 5)
        // Nor in the dossiers by state beside them (a lifecycle audit found them counted there).
        #expect(try await world.store.countByStatus(type: "application") == ["waiting": 4, "withdrawn": 1])
    }
}
