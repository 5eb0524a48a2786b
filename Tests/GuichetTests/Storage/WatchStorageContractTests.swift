import Foundation
import Testing
import GuichetCore
import GuichetStore
import GuichetWatch

/// The guarantees of ``WatchStorage``, checked through the protocol only, against every
/// storage back-end (``StorageBackends``).
@Suite struct WatchStorageContractTests {
    typealias B = StorageUnderTest

    @Test("a fresh back-end has no detector state, no honeytoken and no watched person", arguments: StorageBackends.names)
    func freshIsEmpty(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            #expect(try await b.watch.watchStates().isEmpty)
            #expect(try await b.watch.honeytokenTags().isEmpty)
            #expect(try await b.watch.watchedPersons().isEmpty)
        }
    }

    @Test("detector states round-trip, and saving an account's state again replaces it and leaves the others", arguments: StorageBackends.names)
    func statesRoundTrip(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let one = try await b.addAccount(), two = try await b.addAccount()
            try await b.watch.saveWatchStates([(one.id, Data("{\"n\":1}".utf8)), (two.id, Data("{\"n\":2}".utf8))], at: B.at(10))
            var states = Dictionary(uniqueKeysWithValues: try await b.watch.watchStates())
            #expect(states == [one.id: Data("{\"n\":1}".utf8), two.id: Data("{\"n\":2}".utf8)])

            try await b.watch.saveWatchStates([(one.id, Data("{\"n\":3}".utf8))], at: B.at(20))
            try await b.watch.saveWatchStates([], at: B.at(30))
            let all = try await b.watch.watchStates()
            #expect(all.count == 2, "one state per account, however often saved")
            states = Dictionary(uniqueKeysWithValues: all)
            #expect(states == [one.id: Data("{\"n\":3}".utf8), two.id: Data("{\"n\":2}".utf8)])
        }
    }

    @Test("accountOrigin: when and by whom an account was made, not on the console when made through the API; nil for an unknown account", arguments: StorageBackends.names)
    func accountOrigin(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let admin = try await b.addAccount(role: "admin", at: B.at(0))
            let made = try await b.addAccount(createdBy: admin.id, at: B.at(60))
            let origin = try #require(try await b.watch.accountOrigin(made.id))
            #expect(origin.createdAt == B.at(60))
            #expect(origin.createdBy == admin.id)
            #expect(origin.onConsole == false)
            let first = try #require(try await b.watch.accountOrigin(admin.id))
            #expect(first.createdBy == nil && first.createdAt == B.at(0))
            #expect(try await b.watch.accountOrigin(AccountID()) == nil)
        }
    }

    @Test("watch and unwatch a person: flagged with reason, by whom and when; an unknown person is notFound; unwatch says whether it was flagged", arguments: StorageBackends.names)
    func watchAndUnwatch(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let officer = try await b.addAccount(role: "security")
            let person = try await b.addPerson(), other = try await b.addPerson()
            await #expect(throws: StoreError.notFound) {
                try await b.watch.watch(person: PersonID(), reason: "unknown", by: officer.id, at: B.at(1))
            }
            try await b.watch.watch(person: person, reason: "synthetic reason one", by: officer.id, at: B.at(5))
            var watched = try await b.watch.watchedPersons()
            #expect(watched.count == 1)
            #expect(watched.first?.person == person && watched.first?.reason == "synthetic reason one")
            #expect(watched.first?.flaggedBy == officer.id && watched.first?.flaggedAt == B.at(5))

            // Flagging again keeps one flag (the new reason), so that one unwatch lifts it.
            try await b.watch.watch(person: person, reason: "synthetic reason two", by: officer.id, at: B.at(6))
            watched = try await b.watch.watchedPersons()
            #expect(watched.map(\.person) == [person])
            #expect(watched.first?.reason == "synthetic reason two")

            #expect(try await b.watch.unwatch(person: other, by: officer.id, at: B.at(7)) == false)
            #expect(try await b.watch.unwatch(person: person, by: officer.id, at: B.at(7)) == true)
            #expect(try await b.watch.unwatch(person: person, by: officer.id, at: B.at(7)) == false)
            #expect(try await b.watch.watchedPersons().isEmpty)
        }
    }

    @Test("alerts are stored, with or without an account; an alert id is never stored twice", arguments: StorageBackends.names)
    func insertAlerts(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let agent = try await b.addAccount()
            let alerts = [
                WatchAlert(id: "alert-1", at: B.at(1), account: agent.id, detector: "volume", severity: "high", response: "suspend",
                           detail: "synthetic detail", justification: "c2VhbGVk"),
                WatchAlert(id: "alert-2", at: B.at(2), account: nil, detector: "honeytoken", severity: "critical", response: "alert",
                           detail: "synthetic detail"),
            ]
            try await b.watch.insert(alerts: alerts)
            try await b.watch.insert(alerts: [])
            // The queue is read and acknowledged by id: a second alert under an id is refused.
            await #expect(throws: (any Error).self) {
                try await b.watch.insert(alerts: [WatchAlert(id: "alert-1", at: B.at(3), account: nil, detector: "volume", severity: "low",
                                                             response: "alert", detail: "again")])
            }
        }
    }

    @Test("suspend disables the account and ends every open session at once", arguments: StorageBackends.names)
    func suspendEndsSessions(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let agent = try await b.addAccount(), bystander = try await b.addAccount()
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("s1"), account: agent.id, at: B.at(0), expiresAt: B.at(3_600))
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("s2"), account: agent.id, at: B.at(1), expiresAt: B.at(3_600))
            try await b.auth.insertSession(id: SessionID(), tokenHash: fakeHash("s3"), account: bystander.id, at: B.at(1), expiresAt: B.at(3_600))

            try await b.watch.suspend(account: agent.id, id: "suspension-1", reason: "synthetic burst", at: B.at(10))

            #expect(try await b.auth.account(id: agent.id)?.status == "disabled")
            #expect(try await b.auth.session(tokenHash: fakeHash("s1"))?.revoked == true)
            #expect(try await b.auth.session(tokenHash: fakeHash("s2"))?.revoked == true)
            #expect(try await b.auth.openSessions(account: agent.id, now: B.at(11)).isEmpty)
            // Nobody else's.
            #expect(try await b.auth.account(id: bystander.id)?.status == "active")
            #expect(try await b.auth.session(tokenHash: fakeHash("s3"))?.revoked == false)
        }
    }

    @Test("reinstate closes the open suspension and enables the account; with no open suspension it is notFound", arguments: StorageBackends.names)
    func reinstate(_ name: String) async throws {
        try await B.with(name) { (b: StorageUnderTest) async throws in
            let officer = try await b.addAccount(role: "security"), agent = try await b.addAccount()
            await #expect(throws: StoreError.notFound) {
                try await b.watch.reinstate(account: agent.id, by: officer.id, reason: "never suspended", at: B.at(1))
            }
            try await b.watch.suspend(account: agent.id, id: "suspension-1", reason: "synthetic burst", at: B.at(10))
            // Suspending again while suspended keeps the one open suspension.
            try await b.watch.suspend(account: agent.id, id: "suspension-2", reason: "synthetic burst again", at: B.at(20))
            #expect(try await b.auth.account(id: agent.id)?.status == "disabled")

            let lifted = try await b.watch.reinstate(account: agent.id, by: officer.id, reason: "checked: a false alarm", at: B.at(30))
            #expect(lifted.id == "suspension-1" && lifted.account == agent.id)
            #expect(lifted.at == B.at(10) && lifted.reason == "synthetic burst")
            #expect(lifted.reinstatedBy == officer.id && lifted.reinstatedAt == B.at(30) && lifted.reinstateReason == "checked: a false alarm")
            #expect(try await b.auth.account(id: agent.id)?.status == "active")

            await #expect(throws: StoreError.notFound) {
                try await b.watch.reinstate(account: agent.id, by: officer.id, reason: "twice", at: B.at(40))
            }
            await #expect(throws: StoreError.notFound) {
                try await b.watch.reinstate(account: AccountID(), by: officer.id, reason: "unknown", at: B.at(40))
            }
        }
    }
}
