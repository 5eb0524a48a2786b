import Foundation
import Testing
import Crypto
import GuichetCore
@testable import GuichetStore
@testable import GuichetWatch

/// The security officers' queue of alerts and suspensions cannot be emptied by a DELETE: an
/// incident audit deleted both with the servers' own database role (`guichet store grant`),
/// and they vanished from the officers' lists while the ledger still verified.
@Suite struct WatchRowsKeptTests {
    @Test("alerts and suspensions are never deleted, on either back-end; acknowledging and reinstating still work")
    func kept() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let agent = try await world.principal("agent").account
        let watch = Watch(settings: .defaults, store: world.store, honeytokenKey: SymmetricKey(size: .bits256))
        try await watch.suspend(agent, detector: "test-ceiling", detail: "a test of the kept rows", at: Date())
        #expect(try await world.database.count("watch_alert") == 1)
        #expect(try await world.database.count("watch_suspension") == 1)
        for (table, sentence) in [("watch_alert", "alerts are kept"), ("watch_suspension", "suspensions are kept")] {
            await #expect {
                try await world.database.execute(sqlite: ["DELETE FROM \(table)"], postgres: ["DELETE FROM \(table)"])
            } throws: { error in String(reflecting: error).contains(sentence) }
        }
        #expect(try await world.database.count("watch_alert") == 1)
        #expect(try await world.database.count("watch_suspension") == 1)
        // Their states still change: an officer acknowledges and reinstates.
        let alert = try #require(try await world.store.alerts(openOnly: true, account: nil, limit: 10).first)
        _ = try await world.store.acknowledge(alert: alert.id, by: agent, note: nil, at: Date())
        #expect(try await world.store.alerts(openOnly: true, account: nil, limit: 10).isEmpty)
    }

    @Test("a removed watch flag is kept whole, with who removed it and when, and the kept row refuses changes and deletions, on either back-end")
    func removedFlagsKept() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let person = try await world.registerParent("parent1")
        let officer = try await world.principal("security").account
        let admin = try await world.principal("admin").account
        let watch = Watch(settings: .defaults, store: world.store, honeytokenKey: SymmetricKey(size: .bits256))
        try await watch.setWatched(person, reason: "sealed reason stand-in", by: officer, at: Date(timeIntervalSince1970: 1_800_000_000))
        try await watch.setWatched(person, reason: nil, by: admin, at: Date(timeIntervalSince1970: 1_800_000_600))
        #expect(try await world.database.count("watched_person") == 0)
        #expect(try await world.database.count("watched_person_removed", where: "person_id = '\(person)' AND flagged_by = '\(officer)' AND removed_by = '\(admin)' AND removed_at = 1800000600000") == 1)
        for statement in ["DELETE FROM watched_person_removed", "UPDATE watched_person_removed SET reason = 'x'"] {
            await #expect {
                try await world.database.execute(sqlite: [statement], postgres: [statement])
            } throws: { error in String(reflecting: error).contains("removed watch flags are kept") }
        }
        #expect(try await world.database.count("watched_person_removed") == 1)
    }
}
