import Foundation
import Testing
import GuichetCore
import GuichetGate
@testable import GuichetStore

/// Items 3 and 4 of the lifecycle on emploi: a job seeker's own data, and the published figures.
@Suite struct EmploiLifecycleTests {
    @Test("emploi: a job seeker exports their own file and person, each read journalled; staff cannot use the citizen's export")
    func ownData() async throws {
        let world = try await EmploiWorld.make(size: 200)
        defer { world.remove() }
        let before = try await world.gate.ledgerSize()
        let export = try await world.gate.exportOwnData(try await world.request("seeker"))
        let own = try await world.store.dossierIDs(linking: world.summary.sampleSeeker)
        #expect(export.dossiers.map(\.id) == own)
        #expect(export.person?.id == world.summary.sampleSeeker && export.person?.fields["lastName"] != nil)
        #expect(try await world.gate.ledgerSize() > before, "the reads are journalled")
        await #expect(throws: GuichetError.self) { _ = try await world.gate.exportOwnData(try await world.request("adviser1", purpose: "support")) }
    }

    @Test("emploi: each shown count of the figures is the true count, every count from 1 to 4 is hidden, and hidden ones cannot be worked out")
    func figures() async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let published = try await world.gate.publishedStatistics()
        let figure = try #require(published.first { $0.figure.id == "job-seekers-by-territory-and-state" })
        #expect(figure.figure.definition["fr"]?.contains("masqués") == true)
        let files = try await world.store.dossiers(try await EmploiRetentionTests.files(world).map(\.id))
        let table = figure.table
        var truth = Array(repeating: Array(repeating: 0, count: table.columns.count), count: table.rows.count)
        for f in files {
            let i = try #require(table.rows.firstIndex(of: f.territory ?? "")), j = try #require(table.columns.firstIndex(of: f.status))
            truth[i][j] += 1
        }
        let t = CountTable(rows: table.rows, columns: table.columns, cells: truth)
        let grid = SuppressionTests.grid(t), shown = SuppressionTests.published(table)
        for (i, row) in shown.enumerated() { for (j, v) in row.enumerated() {
            if let v { #expect(v == grid[i][j]) } else {
                #expect(SuppressionTests.alternative(to: grid, shown: shown, differingAt: i, j) != nil, "(\(i), \(j)) recoverable")
            }
            if grid[i][j] > 0 && grid[i][j] < 5 { #expect(v == nil) }
        } }
    }
}
