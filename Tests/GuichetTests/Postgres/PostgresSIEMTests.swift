import Foundation
import Testing
import GuichetPostgres
import GuichetServer

/// The SIEM export from several servers on one PostgreSQL database (issue 19, item 3): one
/// cursor in the database, and only the elected server exports, so that the SIEM receives
/// every ledger entry once, not once per server, and the next elected server goes on where
/// the last one stopped.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresSIEMTests {
    @Test("two servers export the ledger once between them: only the elected one sends, the next elected one goes on from the shared cursor, nothing twice, nothing lost")
    func oneExportForTwoServers() async throws {
        let world = try await PostgresWorld.make()
        let other = try await PostgresStore.open(world.address, connections: 4, timeout: .seconds(120))
        let stores = [world.store, other]
        let elections = stores.map { PostgresSignerElection($0.ledger, retry: .milliseconds(200)) }
        let files = (0..<2).map { world.folder.appendingPathComponent("siem-\($0).jsonl").path }
        let exporters = (0..<2).map {
            SIEMExporter(store: stores[$0], sink: JSONLinesFileSink(path: files[$0]), cursor: .shared(stores[$0], name: "siem-file"),
                         signing: elections[$0], batch: 4)
        }
        func indexes(_ path: String) throws -> [Int64] {
            guard FileManager.default.fileExists(atPath: path) else { return [] }
            return try SIEMExportTests.lines(path).compactMap { ($0["index"] as? NSNumber)?.int64Value }
        }
        func exportOnBoth() async throws -> [Int] {
            async let a = exporters[0].exportPending()
            async let b = exporters[1].exportPending()
            return [try await a, try await b]
        }

        _ = try await world.registerParent("parent.a")
        _ = try await world.application(by: "parent.a")
        let leader = try #require(try await PostgresSignerElectionTests.leaders(elections, within: 20).first)
        let size0 = try await world.gate.ledgerSize()
        let first = try await exportOnBoth()
        #expect(first[leader] == Int(size0) && first[1 - leader] == 0, "\(first)")
        #expect(try indexes(files[leader]) == Array(0..<size0))
        #expect(try indexes(files[1 - leader]).isEmpty, "the server that is not elected sends nothing")
        #expect(try await other.siemCursor("siem-file") == size0, "the cursor is in the database")

        // The elected server stops (a restart, a crash): the other is elected and goes on.
        await elections[leader].stop()
        let next = try #require(try await PostgresSignerElectionTests.leaders(elections, within: 20).first)
        #expect(next == 1 - leader)
        _ = try await world.application(by: "parent.a", childName: "Noah")
        let size1 = try await world.gate.ledgerSize()
        #expect(size1 > size0)
        let second = try await exportOnBoth()
        #expect(second[next] == Int(size1 - size0) && second[leader] == 0, "\(second)")
        #expect(try indexes(files[next]) == Array(size0..<size1), "the new server sends what came after, not the whole ledger again")
        #expect((try indexes(files[0]) + indexes(files[1])).sorted() == Array(0..<size1), "every entry exactly once between the two")

        // A late save by a server that lost the election never moves the cursor back.
        try await stores[leader].saveSIEMCursor("siem-file", next: 1)
        #expect(try await other.siemCursor("siem-file") == size1)
        #expect(try await other.siemCursor("siem-syslog") == nil)

        for e in elections { await e.stop() }
        await other.close()
        try await world.close()
    }
}
