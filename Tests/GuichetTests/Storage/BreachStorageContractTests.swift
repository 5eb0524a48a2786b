import Foundation
import Testing
import GuichetBreach
import GuichetCore
import GuichetStore

/// The guarantees of ``BreachStorage``, checked through the protocol only, against every
/// storage back-end (``StorageBackends``).
@Suite struct BreachStorageContractTests {
    typealias B = StorageUnderTest

    static func incident(_ id: String, detected: Date, by: AccountID?, created: Date = B.at(1_000)) -> BreachIncidentRecord {
        BreachIncidentRecord(id: id, title: "Synthetic incident \(id)", nature: "confidentiality: a test", facts: "synthetic facts",
                             effects: "none known", remedial: "none yet", consequences: "none expected", detectedAt: detected,
                             status: "open", encryptedAndKeysSafe: false,
                             scope: .object(["account": .string("synthetic"), "from": .string("2026-01-01T00:00:00Z")]),
                             notifiedAuthorityAt: nil, createdAt: created, createdBy: by, updatedAt: created)
    }

    @Test("an incident round-trips field for field; an unknown one is nil", arguments: StorageBackends.names)
    func roundTrip(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let officer = try await b.addAccount(role: "security")
            let i = Self.incident("inc-1", detected: B.at(500), by: officer.id)
            try await b.breach.insert(incident: i)
            #expect(try await b.breach.incident("inc-1") == i)
            #expect(try await b.breach.incident("inc-unknown") == nil)
            // By the command line: no author.
            let j = Self.incident("inc-2", detected: B.at(600), by: nil)
            try await b.breach.insert(incident: j)
            #expect(try await b.breach.incident("inc-2") == j)
        }
    }

    @Test("incidents come in the order of detection, not of insertion", arguments: StorageBackends.names)
    func orderOfDetection(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            try await b.breach.insert(incident: Self.incident("inc-late", detected: B.at(900), by: nil))
            try await b.breach.insert(incident: Self.incident("inc-early", detected: B.at(100), by: nil))
            try await b.breach.insert(incident: Self.incident("inc-middle", detected: B.at(500), by: nil))
            #expect(try await b.breach.incidents().map(\.id) == ["inc-early", "inc-middle", "inc-late"])
        }
    }

    @Test("update replaces the fields and records its change, by whom and when; a second insert under an id is refused", arguments: StorageBackends.names)
    func updateRecordsChange(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let officer = try await b.addAccount(role: "security")
            let original = Self.incident("inc-1", detected: B.at(500), by: officer.id)
            try await b.breach.insert(incident: original)
            let before = try await b.breach.incidentChanges("inc-1")

            var changed = original
            changed.status = "contained"
            changed.remedial = "synthetic remedy"
            changed.encryptedAndKeysSafe = true
            changed.notifiedAuthorityAt = B.at(1_500)
            changed.scope = .object(["source": .string("192.0.2.1")])
            changed.updatedAt = B.at(2_000)
            try await b.breach.update(incident: changed, by: officer.id, change: "status open → contained")

            #expect(try await b.breach.incident("inc-1") == changed)
            #expect(try await b.breach.incidents() == [changed])
            let after = try await b.breach.incidentChanges("inc-1")
            #expect(after.count == before.count + 1)
            #expect(after.last?.change == "status open → contained")
            #expect(after.last?.by == officer.id)
            #expect(after.last?.at == B.at(2_000))

            await #expect(throws: (any Error).self) { try await b.breach.insert(incident: Self.incident("inc-1", detected: B.at(1), by: nil)) }
            #expect(try await b.breach.incident("inc-1") == changed, "an incident is never replaced by a second insert")
        }
    }

    @Test("updating an unknown incident fails and records nothing", arguments: StorageBackends.names)
    func updateUnknown(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            await #expect(throws: (any Error).self) {
                try await b.breach.update(incident: Self.incident("inc-ghost", detected: B.at(1), by: nil), by: nil, change: "ghost")
            }
            #expect(try await b.breach.incident("inc-ghost") == nil)
            #expect(try await b.breach.incidentChanges("inc-ghost").isEmpty)
            #expect(try await b.breach.incidents().isEmpty)
        }
    }

    @Test("appendIncidentChange records a change and leaves the fields; changes come oldest first, each incident its own", arguments: StorageBackends.names)
    func appendAndOrder(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let officer = try await b.addAccount(role: "security")
            let one = Self.incident("inc-1", detected: B.at(500), by: officer.id), two = Self.incident("inc-2", detected: B.at(600), by: nil)
            try await b.breach.insert(incident: one)
            try await b.breach.insert(incident: two)
            let base = try await b.breach.incidentChanges("inc-1").count
            let baseTwo = try await b.breach.incidentChanges("inc-2")

            // Out of order in time: the history is read oldest first all the same.
            try await b.breach.appendIncidentChange("inc-1", change: "letters sent", at: B.at(3_000), by: officer.id)
            try await b.breach.appendIncidentChange("inc-1", change: "a note", at: B.at(2_000), by: nil)
            try await b.breach.appendIncidentChange("inc-1", change: "closing note", at: B.at(4_000), by: officer.id)

            #expect(try await b.breach.incident("inc-1") == one)
            let changes = try await b.breach.incidentChanges("inc-1")
            #expect(changes.count == base + 3)
            let mine = Array(changes.suffix(3))
            #expect(mine.map(\.change) == ["a note", "letters sent", "closing note"])
            #expect(mine.map(\.at) == [B.at(2_000), B.at(3_000), B.at(4_000)])
            #expect(mine.map(\.by) == [nil, officer.id, officer.id])
            #expect(changes.map(\.at) == changes.map(\.at).sorted(), "oldest first")
            #expect(try await b.breach.incidentChanges("inc-2") == baseTwo, "another incident's history is its own")
        }
    }
}
