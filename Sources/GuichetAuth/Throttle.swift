public import Foundation
import Crypto
import GuichetCore

/// How sign-in attempts are slowed down and stopped (threats R1 and R4).
///
/// Per user name (existing or not, so that nothing reveals which accounts exist): the first
/// `freeFailures` consecutive failures cost nothing; each further failure doubles the wait
/// before the next attempt, from 1 s up to `maxDelay`; after `lockoutAfter` consecutive
/// failures the name is locked until its owner goes through the recovery path
/// (`guichet accounts unlock`, on the server itself). With the defaults an attacker gets at
/// most 20 guesses per account, spread over about 1.5 hours, then none. NIST SP 800-63B
/// allows up to 100; the regulator judged 50 too weak in the job-seeker case (R4); Keycloak's
/// default is 30 with waits up to 15 minutes. We lock earlier because every staff account
/// also has a second factor to recover with.
///
/// Per source address: at most `perSourceFailures` failures in `perSourceWindow`, then 429.
public struct ThrottlePolicy: Sendable, Equatable {
    public var freeFailures = 5
    public var maxDelay: TimeInterval = 15 * 60
    public var lockoutAfter = 20
    public var perSourceFailures = 30
    public var perSourceWindow: TimeInterval = 10 * 60
    /// Self-registrations allowed per source address and hour.
    public var perSourceRegistrations = 10

    public init() {}

    /// Seconds to wait after `failures` consecutive failures.
    public func delay(afterFailures failures: Int) -> TimeInterval {
        guard failures >= freeFailures else { return 0 }
        return min(maxDelay, pow(2, Double(failures - freeFailures)))
    }
}

/// The key under which a source address is counted by the per-address limits.
///
/// An IPv4 address counts alone. An IPv6 address counts by its /64 prefix: one subscriber,
/// one host or one virtual machine is usually given a whole /64, so an attacker holding one can
/// use 2^64 addresses, and counting each apart would let it walk past every per-address limit.
/// A /64 is what one IPv4 address behind a NAT is: the machines of one network share its count.
/// An IPv4 address mapped into IPv6 (`::ffff:192.0.2.1`) counts as the IPv4 address; a zone
/// (`%eth0`) is ignored. Anything that does not parse as an address counts as it is written.
public enum SourceKey {
    public static func of(_ source: String) -> String {
        guard let raw = SourceAddress.bytes(source) else { return source }
        return raw.count == 4 ? SourceAddress.format(raw) : SourceAddress.network(source, ipv4: 32, ipv6: 64) ?? source
    }
}

/// Failures per source address in a sliding window: how the per-address limits count.
/// Both implementations count by ``SourceKey/of(_:)``: an IPv6 /64 as one source.
protocol SourceCounting: Sendable {
    /// Seconds to wait before this source may try again, or nil.
    func retryAfter(_ source: String?, now: Date) async throws -> TimeInterval?
    /// Counts a failure from this source.
    func fail(_ source: String?, now: Date) async throws
}

/// Failures per source address in a sliding window, in memory: one server's own count (a
/// restart forgets them; the per-name throttle, which is what bounds guesses on an account, is
/// in the database). Used when the storage is not shared by several servers.
///
/// What it holds stays bounded whatever the addresses: a source is held only while it has a
/// failure in the window (a check alone adds nothing), and once the sources held double since
/// the last sweep (or a window passed since it), the sweep drops those whose failures all left
/// the window, so a flood from ever new addresses (an IPv6 prefix walked) costs a constant
/// amount per failure, amortised.
/// Past ``maxSources`` in one window, the sweep keeps the half that failed last: so many
/// addresses have long outnumbered the per-address limit, and the per-name throttle, in the
/// database, still bounds the guesses on each account.
actor SourceLimiter: SourceCounting {
    private var failures: [String: [Date]] = [:]
    private let policy: ThrottlePolicy
    /// The number of sources held at which the next sweep runs, and when the last one ran (a
    /// window after it, the next failure sweeps too, so that a flood that stopped is let go).
    private var sweepAt = SourceLimiter.firstSweep
    private var lastSweep = Date.distantPast
    static let firstSweep = 1_024
    static let maxSources = 100_000

    init(policy: ThrottlePolicy) { self.policy = policy }

    /// How many sources are held (tests).
    var sources: Int { failures.count }

    func retryAfter(_ source: String?, now: Date) -> TimeInterval? {
        guard let source = source.map(SourceKey.of), let held = failures[source] else { return nil }
        let recent = held.filter { now.timeIntervalSince($0) < policy.perSourceWindow }
        failures[source] = recent.isEmpty ? nil : recent
        guard recent.count >= policy.perSourceFailures, let oldest = recent.first else { return nil }
        return oldest.addingTimeInterval(policy.perSourceWindow).timeIntervalSince(now)
    }

    func fail(_ source: String?, now: Date) {
        guard let source = source.map(SourceKey.of) else { return }
        failures[source, default: []].append(now)
        let window = policy.perSourceWindow
        guard failures.count >= sweepAt || (failures.count > Self.firstSweep && now.timeIntervalSince(lastSweep) >= window) else { return }
        lastSweep = now
        failures = failures.compactMapValues { held in
            let recent = held.filter { now.timeIntervalSince($0) < window }
            return recent.isEmpty ? nil : recent
        }
        if failures.count > Self.maxSources {
            let latest = failures.map { ($0.key, $0.value.last ?? .distantPast) }.sorted { $0.1 > $1.1 }
            for (dropped, _) in latest.dropFirst(Self.maxSources / 2) { failures[dropped] = nil }
        }
        sweepAt = max(Self.firstSweep, failures.count * 2)
    }
}

/// What a storage shared by several servers offers so that the per-address limits count once
/// for all of them (issue 19, item 3): an address spreading its attempts over every server is
/// limited as by one. A back-end MUST keep a failure until `keepingSince` passes it, and MAY
/// drop it after.
public protocol SharedSourceStorage: Sendable {
    /// Counts a failure of `source` under a limit (`sign-in`, `registration`), and forgets
    /// this source's failures older than `keepingSince`.
    func recordSourceFailure(limit: String, source: String, at: Date, keepingSince: Date) async throws
    /// The instants of `source`'s failures under a limit since `since`, oldest first, at most `max`.
    func sourceFailures(limit: String, source: String, since: Date, max: Int) async throws -> [Date]
}

/// The per-address limits counted in a shared storage.
struct StoredSourceLimiter: SourceCounting {
    let storage: any SharedSourceStorage
    let limit: String
    let policy: ThrottlePolicy

    func retryAfter(_ source: String?, now: Date) async throws -> TimeInterval? {
        guard let source = source.map(SourceKey.of) else { return nil }
        let recent = try await storage.sourceFailures(limit: limit, source: source, since: now.addingTimeInterval(-policy.perSourceWindow),
                                                      max: policy.perSourceFailures)
        guard recent.count >= policy.perSourceFailures, let oldest = recent.first else { return nil }
        return oldest.addingTimeInterval(policy.perSourceWindow).timeIntervalSince(now)
    }

    func fail(_ source: String?, now: Date) async throws {
        guard let source = source.map(SourceKey.of) else { return }
        try await storage.recordSourceFailure(limit: limit, source: source, at: now, keepingSince: now.addingTimeInterval(-policy.perSourceWindow))
    }
}

/// One holder at a time, in arrival order, across suspension points (an actor alone does not:
/// its methods interleave at every `await`).
actor SerialLock {
    private var held = false
    private var waiting: [CheckedContinuation<Void, Never>] = []

    func acquire() async {
        guard held else { held = true; return }
        await withCheckedContinuation { waiting.append($0) }
    }

    func release() {
        if waiting.isEmpty { held = false } else { waiting.removeFirst().resume() }
    }
}

extension Authenticator {
    /// Counts a self-registration from a source: at most `perSourceRegistrations` an hour from
    /// one address, so that nobody fills the registry (or the user-name space) by script.
    /// The check and the count are one step on this server: thirty registrations at once from
    /// one address all passed the check before any was counted (a citizen's audit, on
    /// PostgreSQL: 30 accounts where the limit is 10).
    /// - Throws: ``GuichetError/throttled(retryAfterSeconds:)`` when the source must wait.
    public func reserveRegistration(source: String?) async throws {
        await registrationLock.acquire()
        do {
            let now = clock()
            if let wait = try await registrations.retryAfter(source, now: now) {
                throw GuichetError.throttled(retryAfterSeconds: max(1, Int(wait.rounded(.up))))
            }
            try await registrations.fail(source, now: now)
        } catch {
            await registrationLock.release()
            throw error
        }
        await registrationLock.release()
    }

    /// The throttle key of a user name: a hash, so the table does not list attempted names.
    static func throttleKey(_ username: String) -> String {
        Base64URL.encode(Array(SHA256.hash(data: Data(("sign-in\0" + username.lowercased()).utf8))))
    }

    /// The throttle key of a user name's sign-ins on one listener. Each listener counts and locks
    /// its own: the public listener never checks an administrator's or security officer's
    /// password, so guesses there could only lock them out of the admin listener, from the
    /// Internet (an attacker test). An in-process caller (no listener) counts as the public one.
    static func signInKey(_ username: String, adminListener: Bool?) -> String {
        adminListener == true ? throttleKey("admin-listener\0" + username) : throttleKey(username)
    }
}
