public import Foundation
import GuichetStore
import GuichetVault
import GuichetLedger
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Whether this server can do its work now (`GET /readyz`, #21): what a load balancer or
/// Kubernetes needs before sending it requests. Names of checks only, never a value.
public struct Readiness: Sendable, Equatable {
    /// Check name → nil when it passed, else why it failed (no secret, no personal value).
    public let checks: [String: String?]
    public var ready: Bool { checks.values.allSatisfy { $0 == nil } }
}

extension Gate {
    /// Free space below which `/readyz` reports the disk as full (#21 item 5): a small probe
    /// write still fits in the write-ahead log's reused pages when a ledger append no longer
    /// does, so the probe alone says "ready" on a full disk.
    public static let minimumFreeBytes: UInt64 = 32 << 20

    /// Runs the readiness checks: the database answers and takes a write (so a ledger append
    /// can commit), its filesystem is writable with at least `minimumFreeBytes` free, the keys
    /// in memory are this registry's, the ledger's right edge loads, and the latest signed
    /// checkpoint covers the ledger or is younger than `checkpointAge`.
    public func readiness(checkpointAge: TimeInterval, minimumFreeBytes: UInt64 = Gate.minimumFreeBytes) async -> Readiness {
        var checks: [String: String?] = [:]
        if let folder = store.localFolder { checks["disk"] = .some(Self.diskCheck(folder: folder, minimumFreeBytes: minimumFreeBytes)) }
        // Within a few seconds, or not at all: a probe that hangs while PostgreSQL is down tells
        // a load balancer nothing (an operator's audit: 66 s, then "ready" once it was back).
        let store = self.store
        // A database in this process (SQLite) does not go away; only a loaded machine slows it
        // (a fresh clone's test run answered past 2 s), so it gets longer.
        let deadline = store.localFolder == nil ? Self.readinessDeadline : Self.localReadinessDeadline
        guard await Self.answers(within: deadline, { _ = try await store.meta("profile") }) else {
            checks["database"] = "the database does not answer (nothing within \(Int(deadline)) s)"
            for name in ["writable", "keys", "ledger"] { checks[name] = "not checked: the database does not answer" }
            return Readiness(checks: checks)
        }
        checks["database"] = .some(nil)
        if let database = try? await store.databaseClock() { checks["clock"] = .some(Self.clockCheck(server: Date(), database: database)) }
        do { try await store.probeWrite(); checks["writable"] = .some(nil) } catch {
            checks["writable"] = "the database takes no write (read-only, disk full or locked): no access can be journalled"
        }
        do {
            let stored = try await store.meta("key-check")
            let mine = try vault.keyCheck()
            checks["keys"] = stored == nil || stored == mine ? .some(nil) : "the keys in memory are not this registry's"
            // A rotation made on another server of the same database: until its new key file is
            // copied here, every read of data wrapped by the new version is refused.
            if let rotation = try await lastRotation(), !(try vault.keyVersions().held.contains(rotation.version)), checks["keys"] == .some(nil) {
                checks["keys"] = "the key file lacks key version \(rotation.version), made by a rotation: copy the new key file here"
            }
        } catch { checks["keys"] = "the keys cannot be used" }
        do {
            let head = try await journal.head()
            checks["ledger"] = .some(nil)
            if let last = try await store.latestCheckpoint() {
                // Behind for how long: since this server first saw the ledger grow past this
                // checkpoint. A quiet ledger's old checkpoint is not stale when one entry comes
                // (a citizen's audit: one anonymous sign-up made every server unready for a
                // minute); a signer that stopped is, once entries wait past the age.
                let now = clock()
                var behind = behindSince.withLock { seen -> Date? in
                    guard head.size > last.size else { seen = nil; return nil }
                    if let s = seen, s.size == last.size { return s.since }
                    seen = (last.size, now)
                    return now
                }
                // The stored ledger, which the other servers of a database append to, may be
                // longer than this server's edge: behind since its first entry the checkpoint
                // lacks (an operator's audit: every server said "ok" while four entries had
                // waited five minutes for a signer that hung).
                if let first = try await journal.firstEntryTime(after: last.size) { behind = min(behind ?? first, first) }
                let fresh = behind.map { now.timeIntervalSince($0) <= checkpointAge } ?? true
                    || now.timeIntervalSince(last.at) <= checkpointAge
                checks["checkpoint"] = fresh ? .some(nil) : "the latest signed checkpoint is older than \(Int(checkpointAge)) s and behind the ledger"
            } else {
                checks["checkpoint"] = "no checkpoint was ever signed"
            }
        } catch { checks["ledger"] = "the ledger's right edge does not load" }
        return Readiness(checks: checks)
    }

    /// How long `/readyz` waits for a database server (PostgreSQL) to answer.
    static let readinessDeadline: TimeInterval = 2
    /// How long it waits for the registry's own SQLite file.
    static let localReadinessDeadline: TimeInterval = 10

    /// How far this server's clock may be from the database's. Several servers share the
    /// watch's windows, second-factor steps and sessions' ages through the database: an audit
    /// ran one server 11 minutes ahead, and a stolen account read 85 persons where the ceiling
    /// is 50, while every correct code on the other servers was refused.
    public static let maxClockSkew: TimeInterval = 5

    /// The `clock` check: nil within ``maxClockSkew``, else what is wrong and what to do.
    public static func clockCheck(server: Date, database: Date) -> String? {
        let skew = server.timeIntervalSince(database)
        guard abs(skew) > maxClockSkew else { return nil }
        return "this server's clock is \(Int(abs(skew).rounded())) s \(skew > 0 ? "ahead of" : "behind") the database's: synchronise the clocks (NTP); "
            + "the watch's windows and second-factor codes count on one time"
    }

    /// Whether `body` finished without error within `seconds`. A body still running then is
    /// cancelled and left to end on its own (a query waiting on a dead connection may not
    /// notice): the answer does not wait for it.
    static func answers(within seconds: TimeInterval, _ body: @escaping @Sendable () async throws -> Void) async -> Bool {
        let once = OnceFlag()
        return await withCheckedContinuation { (k: CheckedContinuation<Bool, Never>) in
            once.continuation.withLock { $0 = k }
            let work = Task {
                do { try await body(); once.resume(true) } catch { once.resume(false) }
            }
            Task {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                once.resume(false)
                work.cancel()
            }
        }
    }

    /// A continuation resumed once, by whichever comes first.
    final class OnceFlag: Sendable {
        let continuation = Mutex<CheckedContinuation<Bool, Never>?>(nil)
        func resume(_ value: Bool) { continuation.withLock { $0.take() }?.resume(returning: value) }
    }

    /// nil when the filesystem holding `folder` is writable with `minimumFreeBytes` free for an
    /// unprivileged writer (statvfs `f_bavail`), else why not.
    static func diskCheck(folder: String, minimumFreeBytes: UInt64) -> String? {
        var fs = statvfs()
        guard statvfs(folder.isEmpty ? "." : folder, &fs) == 0 else { return "the database's filesystem cannot be examined" }
        if fs.f_flag & UInt(ST_RDONLY) != 0 { return "the database's filesystem is read-only" }
        let free = UInt64(fs.f_bavail) * UInt64(fs.f_frsize)
        return free >= minimumFreeBytes ? nil : "the database's disk is full (less than \(minimumFreeBytes >> 20) MiB free)"
    }
}
