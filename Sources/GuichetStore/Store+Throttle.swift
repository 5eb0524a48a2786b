public import GuichetCore
public import Foundation
import GRDB

/// The throttle state of one sign-in key.
public struct ThrottleState: Sendable, Equatable {
    public let failures: Int
    public let lastAttemptAt: Date
    public let locked: Bool
    public init(failures: Int, lastAttemptAt: Date, locked: Bool) {
        self.failures = failures; self.lastAttemptAt = lastAttemptAt; self.locked = locked
    }

    /// How long an attempt at `now` must still wait in this state (`wait` gives the delay after
    /// the last attempt, the lockout's when locked), or nil when it may proceed.
    public func remainingWait(at now: Date, wait: (ThrottleState) -> TimeInterval) -> TimeInterval? {
        if locked { return wait(self) }
        let remaining = lastAttemptAt.addingTimeInterval(wait(self)).timeIntervalSince(now)
        return remaining > 0 ? remaining : nil
    }
}

extension Store {
    /// Atomically decides whether a sign-in attempt may proceed and, if so, counts it as a
    /// failure until ``clearThrottle(key:)`` says it succeeded, so that concurrent attempts
    /// cannot slip through the same free slot.
    /// - Parameter wait: given the state, how long the next attempt must wait (nil: locked).
    /// - Returns: nil when the attempt may proceed, else the seconds to wait.
    public func reserveSignInAttempt(key: String, at now: Date, lockoutAfter: Int,
                                     wait: @escaping @Sendable (ThrottleState) -> TimeInterval) async throws -> (retryAfter: TimeInterval?, failures: Int) {
        // At the stored resolution: an attempt of this same millisecond, rounded up when it was
        // stored, must not look like a wait still due ("retry after 1 s" with no wait due).
        let now = Date(millis: now.millis)
        @Sendable func state(_ db: Database) throws -> ThrottleState {
            let row = try Row.fetchOne(db, sql: "SELECT failures, last_attempt_at, locked FROM sign_in_throttle WHERE key = ?", arguments: [key])
            return ThrottleState(failures: row?["failures"] ?? 0, lastAttemptAt: Date(millis: row?["last_attempt_at"] ?? 0),
                                 locked: (row?["locked"] ?? 0) == 1)
        }
        // Read first, on a reader: while a name waits or is locked, a guess at it is refused
        // without taking the one writer that the gate's ledger entries need (a guesser sends
        // thousands). Only an attempt that may proceed is decided again, under the write lock.
        let seen = try await read(state)
        if let remaining = seen.remainingWait(at: now, wait: wait) { return (remaining, seen.failures) }
        return try await write { db in
            let state = try state(db)
            if let remaining = state.remainingWait(at: now, wait: wait) { return (remaining, state.failures) }
            let failures = state.failures + 1
            try db.execute(sql: """
                INSERT INTO sign_in_throttle(key, failures, last_attempt_at, locked) VALUES (?1, ?2, ?3, ?4)
                ON CONFLICT(key) DO UPDATE SET failures = ?2, last_attempt_at = ?3, locked = ?4
                """, arguments: [key, failures, now.millis, failures >= lockoutAfter ? 1 : 0])
            return (nil, failures)
        }
    }

    /// Forgets a key's failures (a successful sign-in, or an unlock).
    public func clearThrottle(key: String) async throws {
        try await write { db in try db.execute(sql: "DELETE FROM sign_in_throttle WHERE key = ?", arguments: [key]) }
    }

    public func clearThrottles(prefix: String) async throws {
        // Not LIKE: the keys' characters (`_`) are LIKE's wildcards.
        try await write { db in
            try db.execute(sql: "DELETE FROM sign_in_throttle WHERE substr(key, 1, ?) = ?", arguments: [prefix.utf8.count, prefix])
        }
    }

    public func knownSource(key: String, since: Date) async throws -> Bool {
        try await read { db in
            try Int.fetchOne(db, sql: "SELECT 1 FROM sign_in_throttle WHERE key = ? AND last_attempt_at >= ? AND failures = 0 AND locked = 0",
                             arguments: [key, since.millis]) != nil
        }
    }

    public func noteKnownSource(key: String, at: Date) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO sign_in_throttle(key, failures, last_attempt_at, locked) VALUES (?1, 0, ?2, 0)
                ON CONFLICT(key) DO UPDATE SET failures = 0, last_attempt_at = ?2, locked = 0
                """, arguments: [key, at.millis])
        }
    }

    /// Records something the account's owner must be told.
    public func addNotice(account: AccountID, kind: String, detail: String, at: Date) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO account_notice(id, account_id, at, kind, detail) VALUES (?, ?, ?, ?, ?)",
                           arguments: [Identifier<AccountTag>().rawValue, account.rawValue, at.millis, kind, detail])
        }
    }

    /// The notices of an account, newest first.
    public func notices(account: AccountID) async throws -> [(at: Date, kind: String, detail: String)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT at, kind, detail FROM account_notice WHERE account_id = ? ORDER BY at DESC LIMIT 100",
                             arguments: [account.rawValue]).map { (Date(millis: $0["at"]), $0["kind"], $0["detail"]) }
        }
    }
}
