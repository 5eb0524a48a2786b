import Foundation
import Testing
import GuichetCore
@testable import GuichetStore
@testable import GuichetGate

/// `GET /readyz` (#21): ready only when the server can do its work; a failed check is named.
@Suite struct ReadinessTests {
    @Test("a started registry is ready on both listeners; keys that are not the registry's, or no checkpoint, make it not ready, naming the check")
    func readiness() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            let r = try await client.call(.get, "/readyz")
            #expect(r.status == .ok && r["status"]?.string == "ready", "\(r.text)")
            // The disk check is of the database's folder: none on PostgreSQL (its server watches its own disk).
            for check in ["database", "writable", "keys", "ledger", "checkpoint"] + (TestBackend.postgres == nil ? ["disk"] : ["clock"]) {
                #expect(r["checks"]?.object?[check]?.string == "ok", "\(check): \(r.text)")
            }
        }
        try await world.withAdmin { client in
            let r = try await client.call(.get, "/readyz")
            #expect(r.status == .ok)
        }

        try await world.store.setMeta("key-check", "another registry's key check")
        try await world.withPublic { client in
            let r = try await client.call(.get, "/readyz")
            #expect(r.status == .serviceUnavailable && r["status"]?.string == "not-ready")
            #expect(r["checks"]?.object?["keys"]?.string?.contains("not this registry's") == true)
            #expect(r["checks"]?.object?["database"]?.string == "ok")
        }
        #expect(try await world.store.latestCheckpoint() != nil)
    }

    @Test("a server whose clock is off the database's by more than 5 s is not ready, and says which way and what to do")
    func clockSkew() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(Gate.clockCheck(server: now, database: now.addingTimeInterval(-4)) == nil)
        #expect(Gate.clockCheck(server: now.addingTimeInterval(660), database: now)
                == "this server's clock is 660 s ahead of the database's: synchronise the clocks (NTP); the watch's windows and second-factor codes count on one time")
        #expect(Gate.clockCheck(server: now, database: now.addingTimeInterval(7))?.contains("7 s behind the database's") == true)
    }

    @Test("a server whose key file lacks the version of a rotation made elsewhere is not ready, and says to copy the new key file")
    func keyFileBehind() async throws {
        let world = try await World.make()
        defer { world.remove() }
        // Another server of the same database rotated to a version this key file does not hold.
        let held = try world.gate.vault.keyVersions()
        try await world.gate.recordRotation(version: held.current + 1, at: Date())
        try await world.withPublic { client in
            let r = try await client.call(.get, "/readyz")
            #expect(r.status == .serviceUnavailable && r["checks"]?.object?["keys"]?.string?.contains("copy the new key file here") == true, "\(r.text)")
        }
        try await world.gate.recordRotation(version: held.current, at: Date())
        try await world.withPublic { client in
            let r = try await client.call(.get, "/readyz")
            #expect(r.status == .ok)
        }
    }

    @Test("the disk check names a full disk, and passes with room to spare")
    func diskCheck() {
        let folder = FileManager.default.temporaryDirectory.path
        #expect(Gate.diskCheck(folder: folder, minimumFreeBytes: 0) == nil)
        #expect(Gate.diskCheck(folder: folder, minimumFreeBytes: UInt64.max >> 1)?.contains("disk is full") == true)
        #expect(Gate.diskCheck(folder: "/no/such/folder", minimumFreeBytes: 0) == "the database's filesystem cannot be examined")
    }

    @Test("a registry that never signed a checkpoint is not ready")
    func noCheckpoint() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.database.execute(sqlite: ["DROP TRIGGER IF EXISTS ledger_checkpoint_no_delete", "DELETE FROM ledger_checkpoint"],
                                         postgres: ["ALTER TABLE ledger_checkpoint DISABLE TRIGGER USER", "DELETE FROM ledger_checkpoint"])
        try await world.withPublic { client in
            let r = try await client.call(.get, "/readyz")
            #expect(r.status == .serviceUnavailable && r["checks"]?.object?["checkpoint"]?.string == "no checkpoint was ever signed", "\(r.text)")
        }
    }

    @Test("a quiet ledger's old checkpoint is not stale when one entry comes; entries left unsigned past the age are")
    func quietLedgerStaysReady() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        _ = try await world.gate.checkpoint(at: clock.now)
        // Ten quiet minutes, then one entry (a citizen's audit: an anonymous sign-up made every
        // server unready for a minute, until the signer's next round).
        clock.advance(600)
        try await world.gate.recordSystemEvent("test:one-entry", reason: "one entry after a quiet spell", requestID: "t")
        var r = await world.gate.readiness(checkpointAge: 180)
        #expect(r.checks["checkpoint"] == .some(nil), "\(r.checks)")
        clock.advance(120)
        r = await world.gate.readiness(checkpointAge: 180)
        #expect(r.checks["checkpoint"] == .some(nil), "still within the age: \(r.checks)")
        // No signer signed it for longer than the age: not ready.
        clock.advance(90)
        r = await world.gate.readiness(checkpointAge: 180)
        #expect(r.checks["checkpoint"] == "the latest signed checkpoint is older than 180 s and behind the ledger", "\(r.checks)")
        // Signed: ready again.
        _ = try await world.gate.checkpoint(at: clock.now)
        r = await world.gate.readiness(checkpointAge: 180)
        #expect(r.checks["checkpoint"] == .some(nil), "\(r.checks)")
    }

    @Test("entries another server appended, left unsigned past the age, make this server unready at its first probe")
    func otherServersEntries() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        // The world's making signs a first checkpoint at the time it ends (minutes after the
        // clock was made, under the full suite's load): the clock starts from there.
        clock.set(Date())
        _ = try await world.gate.checkpoint(at: clock.now)
        // A second server of the database appends; this one's own edge does not move (an
        // operator's audit: both servers said "ok" while entries waited five minutes).
        let other = try await world.reopened(clock: clock.function)
        try await other.gate.recordSystemEvent("test:other-server", reason: "an entry another server appended", requestID: "t")
        // A probe whose database check ran out of time (the full suite's load) checks nothing
        // else: asked again.
        func probe() async -> Readiness {
            var r = await world.gate.readiness(checkpointAge: 180)
            for _ in 0..<5 where r.checks["database"] != .some(nil) { r = await world.gate.readiness(checkpointAge: 180) }
            return r
        }
        clock.advance(120)
        var r = await probe()
        #expect(r.checks["checkpoint"] == .some(nil), "within the age: \(r.checks)")
        clock.advance(90)
        r = await probe()
        let latest = try await world.store.latestCheckpoint()
        let first = try await world.ledger.journal().last.map { "\($0.action) at \($0.at)" } ?? "none"
        #expect(r.checks["checkpoint"] == "the latest signed checkpoint is older than 180 s and behind the ledger",
                "\(r.checks); checkpoint \(latest.map { "\($0.size) at \($0.at)" } ?? "none"), last entry \(first), now \(clock.now)")
    }
}
