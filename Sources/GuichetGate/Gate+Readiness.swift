public import Foundation
import GuichetStore
import GuichetVault
import GuichetLedger
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
        do { _ = try await store.meta("profile"); checks["database"] = .some(nil) } catch { checks["database"] = "the database does not answer" }
        do { try await store.probeWrite(); checks["writable"] = .some(nil) } catch {
            checks["writable"] = "the database takes no write (read-only, disk full or locked): no access can be journalled"
        }
        do {
            let stored = try await store.meta("key-check")
            let mine = try vault.keyCheck()
            checks["keys"] = stored == nil || stored == mine ? .some(nil) : "the keys in memory are not this registry's"
        } catch { checks["keys"] = "the keys cannot be used" }
        do {
            let head = try await journal.head()
            checks["ledger"] = .some(nil)
            if let last = try await store.latestCheckpoint() {
                let fresh = last.size == head.size || clock().timeIntervalSince(last.at) <= checkpointAge
                checks["checkpoint"] = fresh ? .some(nil) : "the latest signed checkpoint is older than \(Int(checkpointAge)) s and behind the ledger"
            } else {
                checks["checkpoint"] = "no checkpoint was ever signed"
            }
        } catch { checks["ledger"] = "the ledger's right edge does not load" }
        return Readiness(checks: checks)
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
