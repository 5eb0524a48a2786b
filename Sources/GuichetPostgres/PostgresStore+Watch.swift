public import Foundation
public import GuichetCore
public import GuichetStore
public import GuichetWatch
import PostgresNIO

/// The watch's storage on PostgreSQL: detector states, honeytokens, watched persons, alerts and
/// suspensions, shared by every server on the database.
extension PostgresStore: WatchStorage {
    public func watchStates() async throws -> [(AccountID, Data)] {
        try await read(answer: PostgresPool.appendDeadline) { c in
            try await c.query("SELECT account_id, state FROM watch_state", logger: Self.logger).decode((String, Data).self).collect()
                .map { (AccountID(trusted: $0.0), $0.1) }
        }
    }

    public func saveWatchStates(_ states: [(AccountID, Data)], at: Date) async throws {
        guard !states.isEmpty else { return }
        let ids = states.map(\.0.rawValue), data = states.map { ByteBuffer(bytes: $0.1) }
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            try await c.query("""
                INSERT INTO watch_state(account_id, state, updated_at) SELECT a, s, \(at.millis) FROM unnest(\(ids)::text[], \(data)::bytea[]) AS u(a, s)
                ON CONFLICT (account_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at, version = watch_state.version + 1
                """, logger: Self.logger)
        }
    }

    public func accountOrigin(_ id: AccountID) async throws -> (createdAt: Date, createdBy: AccountID?, onConsole: Bool)? {
        try await read(answer: PostgresPool.appendDeadline) { c in
            // Since it could act: its creation, or the approval of its creation or of a new role.
            try await c.query("""
                SELECT GREATEST(a.created_at, COALESCE((SELECT MAX(approved_at) FROM account_request WHERE account_id = a.id), 0))::bigint,
                       a.created_by, a.provisioned_on_console
                FROM account a WHERE a.id = \(id.rawValue)
                """, logger: Self.logger)
                .decode((Int64, String?, Bool).self).collect()
                .first.map { (Date(millis: $0.0), $0.1.map(AccountID.init(trusted:)), $0.2) }
        }
    }

    public func honeytokenTags() async throws -> [Data] {
        try await read(answer: PostgresPool.appendDeadline) { c in try await c.query("SELECT tag FROM watch_honeytoken", logger: Self.logger).decode(Data.self).collect() }
    }

    /// Adds honeytoken tags.
    public func insertHoneytokenTags(_ tags: [Data]) async throws {
        guard !tags.isEmpty else { return }
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            try await c.query("INSERT INTO watch_honeytoken(tag) SELECT unnest(\(tags.map { ByteBuffer(bytes: $0) })::bytea[]) ON CONFLICT DO NOTHING", logger: Self.logger)
        }
    }

    public func watchedPersons() async throws -> [WatchedPerson] {
        try await read(answer: PostgresPool.appendDeadline) { c in
            try await c.query("SELECT person_id, reason, flagged_by, flagged_at FROM watched_person ORDER BY flagged_at", logger: Self.logger)
                .decode((String, String, String, Int64).self).collect()
                .map { WatchedPerson(person: PersonID(trusted: $0.0), reason: $0.1, flaggedBy: AccountID(trusted: $0.2), flaggedAt: Date(millis: $0.3)) }
        }
    }

    public func watch(person: PersonID, reason: String, by: AccountID, at: Date) async throws {
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            let known = try await c.query("SELECT 1::int FROM person WHERE id = \(person.rawValue)", logger: Self.logger).decode(Int.self).collect()
            guard !known.isEmpty else { throw StoreError.notFound }
            try await c.query("""
                INSERT INTO watched_person(person_id, reason, flagged_by, flagged_at) VALUES (\(person.rawValue), \(reason), \(by.rawValue), \(at.millis))
                ON CONFLICT (person_id) DO UPDATE SET reason = excluded.reason, flagged_by = excluded.flagged_by, flagged_at = excluded.flagged_at
                """, logger: Self.logger)
        }
    }

    @discardableResult
    public func unwatch(person: PersonID, by: AccountID, at: Date) async throws -> Bool {
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            try await c.query("""
                INSERT INTO watched_person_removed(person_id, reason, flagged_by, flagged_at, removed_by, removed_at)
                SELECT person_id, reason, flagged_by, flagged_at, \(by.rawValue), \(at.millis) FROM watched_person WHERE person_id = \(person.rawValue)
                """, logger: Self.logger)
            return try await !c.query("DELETE FROM watched_person WHERE person_id = \(person.rawValue) RETURNING 1::int", logger: Self.logger)
                .decode(Int.self).collect().isEmpty
        }
    }

    public func insert(alerts: [WatchAlert]) async throws {
        guard !alerts.isEmpty else { return }
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            for a in alerts {
                try await c.query("""
                    INSERT INTO watch_alert(id, at, account_id, detector, severity, response, detail, justification)
                    VALUES (\(a.id), \(a.at.millis), \(a.account?.rawValue), \(a.detector), \(a.severity), \(a.response), \(a.detail), \(a.justification))
                    """, logger: Self.logger)
            }
        }
    }

    /// Suspends an account: disabled, every session revoked, the suspension recorded, in one
    /// transaction. A suspension already open is kept as it is. The account's row is locked
    /// first, so that two servers suspending it at once record one suspension.
    public func suspend(account: AccountID, id: String, reason: String, at: Date) async throws {
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            try await c.query("SELECT 1::int FROM account WHERE id = \(account.rawValue) FOR UPDATE", logger: Self.logger)
            try await c.query("UPDATE account SET status = 'disabled' WHERE id = \(account.rawValue)", logger: Self.logger)
            try await c.query("UPDATE session SET revoked_at = \(at.millis) WHERE account_id = \(account.rawValue) AND revoked_at IS NULL",
                              logger: Self.logger)
            // Its claim codes not yet used expire with it (SQLite's `suspend` says why).
            try await c.query("""
                UPDATE claim_code SET expires_at = \(at.millis) WHERE issued_by = \(account.rawValue) AND status = 'issued' AND expires_at > \(at.millis)
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO watch_suspension(id, account_id, at, reason) SELECT \(id), \(account.rawValue), \(at.millis), \(reason)
                WHERE NOT EXISTS (SELECT 1 FROM watch_suspension WHERE account_id = \(account.rawValue) AND reinstated_at IS NULL)
                """, logger: Self.logger)
        }
    }

    public func reinstate(account: AccountID, by: AccountID, reason: String, at: Date) async throws -> Suspension {
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            guard let (id, since, why) = try await c.query("""
                SELECT id, at, reason FROM watch_suspension WHERE account_id = \(account.rawValue) AND reinstated_at IS NULL FOR UPDATE
                """, logger: Self.logger).decode((String, Int64, String).self).collect().first else { throw StoreError.notFound }
            try await c.query("""
                UPDATE watch_suspension SET reinstated_by = \(by.rawValue), reinstated_at = \(at.millis), reinstate_reason = \(reason) WHERE id = \(id)
                """, logger: Self.logger)
            try await c.query("UPDATE account SET status = 'active' WHERE id = \(account.rawValue) AND status = 'disabled'", logger: Self.logger)
            return Suspension(id: id, account: account, at: Date(millis: since), reason: why, reinstatedBy: by, reinstatedAt: at, reinstateReason: reason)
        }
    }
}

/// One account's watch state read and written over the version read, so that every server's
/// watch assesses an account's requests one after the other.
extension PostgresStore: SharedWatchStorage {
    public func watchState(_ account: AccountID) async throws -> (state: Data, version: Int64)? {
        try await read(answer: PostgresPool.appendDeadline) { c in
            try await c.query("SELECT state, version FROM watch_state WHERE account_id = \(account.rawValue)", logger: Self.logger)
                .decode((Data, Int64).self).collect().first.map { (state: $0.0, version: $0.1) }
        }
    }

    public func saveWatchState(_ account: AccountID, _ state: Data, expected: Int64?, at: Date) async throws -> Bool {
        try await transaction(answer: PostgresPool.appendDeadline) { c in
            if let expected {
                return try await !c.query("""
                    UPDATE watch_state SET state = \(state), updated_at = \(at.millis), version = version + 1
                    WHERE account_id = \(account.rawValue) AND version = \(expected) RETURNING 1::int
                    """, logger: Self.logger).decode(Int.self).collect().isEmpty
            }
            return try await !c.query("""
                INSERT INTO watch_state(account_id, state, updated_at) VALUES (\(account.rawValue), \(state), \(at.millis))
                ON CONFLICT (account_id) DO NOTHING RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().isEmpty
        }
    }
}
