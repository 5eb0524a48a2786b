import Foundation
import Testing
import GuichetStore
@testable import GuichetServer

/// Issue #22: the work one session or account can have in flight is bounded, and the database
/// files are owner-only.
struct RequestLimitTests {
    @Test("a session gets no more requests in flight than its limit, and its slots come back when a request ends")
    func sessionSlots() throws {
        let counter = InFlightCounter()
        let requests = (0..<5).map { _ in RequestSlots(counter, retryAfter: 1) }
        for r in requests.prefix(4) { try r.take("session:a", scope: "session", limit: 4) }
        #expect(throws: TooManyInFlight.self) { try requests[4].take("session:a", scope: "session", limit: 4) }
        // Another session is not held back by the first.
        try requests[4].take("session:b", scope: "session", limit: 4)
        requests[0].releaseAll()
        let again = RequestSlots(counter, retryAfter: 1)
        try again.take("session:a", scope: "session", limit: 4)
        for r in requests.dropFirst() { r.releaseAll() }
        again.releaseAll()
        #expect(counter.busyKeys == 0, "every slot was given back")
    }

    @Test("an account's limit counts the requests of all its sessions, and one request takes its account's slot once")
    func accountSlots() throws {
        let counter = InFlightCounter()
        let first = RequestSlots(counter, retryAfter: 1), second = RequestSlots(counter, retryAfter: 1), third = RequestSlots(counter, retryAfter: 1)
        try first.take("account:x", scope: "account", limit: 2)
        try first.take("account:x", scope: "account", limit: 2)
        try second.take("account:x", scope: "account", limit: 2)
        #expect(throws: TooManyInFlight.self) { try third.take("account:x", scope: "account", limit: 2) }
        first.releaseAll(); second.releaseAll(); third.releaseAll()
        #expect(counter.busyKeys == 0)
    }

    @Test("the database file and its -wal and -shm files are readable by their owner only, even when the file existed with a wider mode")
    func databaseFilesOwnerOnly() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("guichet.sqlite").path
        func mode(_ file: String) throws -> Int { try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int ?? -1 }
        do {
            let store = try Store(path: path)
            try await store.setMeta("probe", "1")
            for file in [path, path + "-wal", path + "-shm"] { #expect(try mode(file) == 0o600, "\(file)") }
        }
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: file)
        }
        let reopened = try Store(path: path)
        _ = try await reopened.meta("probe")
        for file in [path, path + "-wal", path + "-shm"] where FileManager.default.fileExists(atPath: file) {
            #expect(try mode(file) == 0o600, "\(file) was tightened")
        }
    }
}
