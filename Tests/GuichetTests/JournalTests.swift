import Foundation
import Testing
import GuichetLedger
import GuichetCore
import GuichetGate
@testable import GuichetStore
import GRDB

/// Every access, allowed or denied, is in the journal before data is returned; no entry, no data.
@Suite struct JournalTests {
    @Test("a read is journalled with who, what, whom and which fields, and no field value")
    func readIsJournalled() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let daycare = try await world.request("daycare1")
        let view = try await world.gate.read(a.id, daycare)
        let entries = try await world.ledger.journal(account: daycare.principal.account)
        let last = try #require(entries.last)
        #expect(last.action == "read" && last.allowed)
        #expect(last.dossiers == [a.id])
        #expect(Set(last.persons) == Set(view.persons.map(\.id)))
        #expect(Set(last.fields) == RoleVisibilityTests.daycareView)
        #expect(last.requestID == daycare.requestID)
        #expect(last.reason == "daycare-sees-applications-that-chose-it")
    }

    @Test("a refused read is journalled as denied, and the not-found attempt too")
    func refusalsAreJournalled() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let outsider = try await world.request("daycare2")
        await #expect(throws: GuichetError.notFound) { try await world.gate.read(a.id, outsider) }
        await #expect(throws: GuichetError.notFound) { try await world.gate.read(DossierID(), outsider) }
        let entries = try await world.ledger.journal(account: outsider.principal.account)
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { !$0.allowed && $0.fields.isEmpty })
        #expect(entries[0].reason == "no-rule" && entries[0].dossiers == [a.id])
        #expect(entries[1].reason == "not-found")
    }

    @Test("when the journal cannot be written, a read fails and returns no data")
    func failsClosedWhenTheJournalIsUnwritable() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        // Make the journal refuse appends, as a full disk or a broken table would.
        try await world.database.breakJournal()
        let parent = try await world.request("parent1")
        await #expect { try await world.gate.read(a.id, parent) } throws: { error in
            if case GuichetError.unavailable = error { return true } else { return false }
        }
        await #expect(throws: GuichetError.self) {
            try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 10, parent)
        }
    }

    @Test("concurrent reads share journal transactions and each gets its own entry")
    func concurrentAppendsAreAllRecorded() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        let parent = try await world.request("parent1")
        let before = try await world.ledger.journal(account: parent.principal.account).count
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<64 { group.addTask { _ = try await world.gate.read(a.id, parent) } }
            try await group.waitForAll()
        }
        #expect(try await world.ledger.journal(account: parent.principal.account).count == before + 64)
    }

    @Test("the journal, versions and dossiers refuse DELETE and UPDATE at the database itself")
    func historyCannotBeRewritten() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let parent = try await world.registerParent("parent1")
        let a = try await world.application(by: "parent1")
        _ = try await world.gate.read(a.id, try await world.request("parent1"))
        // A replaced version of the person, so that person_version has a row to refuse deleting.
        _ = try await world.gate.updatePerson(parent, fields: ["email": .string("changed.address@example.org")], expectedVersion: nil,
                                              try await world.request("parent1"))
        for sql in ["DELETE FROM ledger_entry", "UPDATE ledger_entry SET request_id = 'x'", "DELETE FROM ledger_node", "DELETE FROM dossier",
                    "DELETE FROM dossier_version", "UPDATE dossier_version SET change = 'x'", "DELETE FROM person",
                    "DELETE FROM person_version"] {
            #expect(await (try world.database).refuses(sql), "\(sql)")
        }
        #expect(await !(try world.database).refuses("DELETE FROM no_such_table"), "a statement that fails for another reason is not a refusal")
        #expect(try await world.rowCounts()["dossier"] == 1)
    }
}
