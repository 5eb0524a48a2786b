public import GuichetCore
public import Foundation
import GRDB

/// An alert in the security officer's queue.
public struct WatchAlert: Sendable, Equatable {
    public let id: String
    public let at: Date
    public let account: AccountID?
    public let detector: String
    public let severity: String
    public let response: String
    public let detail: String
    /// What the account wrote to justify reaching a watched person, if anything: sealed by the
    /// gate's vault (base64), since it may name people; `Gate.justification(of:)` opens it.
    public let justification: String?
    public let acknowledgedBy: AccountID?
    public let acknowledgedAt: Date?
    public let note: String?

    public init(id: String, at: Date, account: AccountID?, detector: String, severity: String, response: String, detail: String,
                justification: String? = nil, acknowledgedBy: AccountID? = nil, acknowledgedAt: Date? = nil, note: String? = nil) {
        self.id = id; self.at = at; self.account = account; self.detector = detector; self.severity = severity
        self.response = response; self.detail = detail; self.justification = justification
        self.acknowledgedBy = acknowledgedBy; self.acknowledgedAt = acknowledgedAt; self.note = note
    }
}

/// A person flagged as high-profile.
public struct WatchedPerson: Sendable, Equatable {
    public let person: PersonID
    public let reason: String
    public let flaggedBy: AccountID
    public let flaggedAt: Date
    public init(person: PersonID, reason: String, flaggedBy: AccountID, flaggedAt: Date) {
        self.person = person; self.reason = reason; self.flaggedBy = flaggedBy; self.flaggedAt = flaggedAt
    }
}

/// A suspension by the watch.
public struct Suspension: Sendable, Equatable {
    public let id: String
    public let account: AccountID
    public let at: Date
    public let reason: String
    public let reinstatedBy: AccountID?
    public let reinstatedAt: Date?
    public let reinstateReason: String?
    public init(id: String, account: AccountID, at: Date, reason: String, reinstatedBy: AccountID?, reinstatedAt: Date?, reinstateReason: String?) {
        self.id = id; self.account = account; self.at = at; self.reason = reason
        self.reinstatedBy = reinstatedBy; self.reinstatedAt = reinstatedAt; self.reinstateReason = reinstateReason
    }
}

extension Store {
    // MARK: detector state

    /// Every stored detector state.
    public func watchStates() async throws -> [(AccountID, Data)] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT account_id, state FROM watch_state").map { (AccountID(trusted: $0["account_id"]), $0["state"]) }
        }
    }

    /// Writes detector states (insert or replace), in one transaction.
    public func saveWatchStates(_ states: [(AccountID, Data)], at: Date) async throws {
        guard !states.isEmpty else { return }
        try await write { db in
            let stmt = try db.makeStatement(sql: """
                INSERT INTO watch_state(account_id, state, updated_at) VALUES (?, ?, ?)
                ON CONFLICT(account_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at
                """)
            for (id, data) in states { try stmt.execute(arguments: [id.rawValue, data, at.millis]) }
        }
    }

    /// When an account was created, by whom (nil: by the server's own command line), and whether
    /// that command line made it while provisioning (not `init` or `demo`).
    public func accountOrigin(_ id: AccountID) async throws -> (createdAt: Date, createdBy: AccountID?, onConsole: Bool)? {
        try await read { db in
            // Since it could act: its creation, or the approval of its creation or of a new role
            // (an insider audit: an account asked for 30 minutes before its approval was never fresh).
            try Row.fetchOne(db, sql: """
                SELECT MAX(a.created_at, COALESCE((SELECT MAX(approved_at) FROM account_request WHERE account_id = a.id), 0)) AS created_at,
                       a.created_by, a.provisioned_on_console
                FROM account a WHERE a.id = ?
                """, arguments: [id.rawValue]).map { r in
                (Date(millis: r["created_at"]), (r["created_by"] as String?).map(AccountID.init(trusted:)), (r["provisioned_on_console"] as Int64) == 1)
            }
        }
    }

    // MARK: honeytokens and watched persons

    /// The keyed tags of honeytoken records.
    public func honeytokenTags() async throws -> [Data] {
        try await read { db in try Data.fetchAll(db, sql: "SELECT tag FROM watch_honeytoken") }
    }

    /// Adds honeytoken tags.
    public func insertHoneytokenTags(_ tags: [Data]) async throws {
        try await write { db in
            for t in tags { try db.execute(sql: "INSERT OR IGNORE INTO watch_honeytoken(tag) VALUES (?)", arguments: [t]) }
        }
    }

    /// Persons flagged as high-profile.
    public func watchedPersons() async throws -> [WatchedPerson] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM watched_person ORDER BY flagged_at").map { r in
                WatchedPerson(person: PersonID(trusted: r["person_id"]), reason: r["reason"], flaggedBy: AccountID(trusted: r["flagged_by"]),
                              flaggedAt: Date(millis: r["flagged_at"]))
            }
        }
    }

    /// Flags a person as watched (again: the reason is replaced).
    /// - Throws: ``StoreError/notFound`` when no such person exists.
    public func watch(person: PersonID, reason: String, by: AccountID, at: Date) async throws {
        try await write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM person WHERE id = ?", arguments: [person.rawValue]) == true else { throw StoreError.notFound }
            try db.execute(sql: """
                INSERT INTO watched_person(person_id, reason, flagged_by, flagged_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(person_id) DO UPDATE SET reason = excluded.reason, flagged_by = excluded.flagged_by, flagged_at = excluded.flagged_at
                """, arguments: [person.rawValue, reason, by.rawValue, at.millis])
        }
    }

    /// Removes a watch flag, kept in `watched_person_removed` with who removed it and when
    /// (a controls audit: the removal deleted the flag's reason and author for good).
    /// - Returns: whether the person was watched.
    @discardableResult
    public func unwatch(person: PersonID, by: AccountID, at: Date) async throws -> Bool {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO watched_person_removed(person_id, reason, flagged_by, flagged_at, removed_by, removed_at)
                SELECT person_id, reason, flagged_by, flagged_at, ?, ? FROM watched_person WHERE person_id = ?
                """, arguments: [by.rawValue, at.millis, person.rawValue])
            try db.execute(sql: "DELETE FROM watched_person WHERE person_id = ?", arguments: [person.rawValue])
            return db.changesCount == 1
        }
    }

    // MARK: alerts

    /// Adds alerts to the queue.
    public func insert(alerts: [WatchAlert]) async throws {
        guard !alerts.isEmpty else { return }
        try await write { db in
            for a in alerts {
                try db.execute(sql: """
                    INSERT INTO watch_alert(id, at, account_id, detector, severity, response, detail, justification)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [a.id, a.at.millis, a.account?.rawValue, a.detector, a.severity, a.response, a.detail, a.justification])
            }
        }
    }

    /// Alerts, newest first: open ones only, or all.
    public func alerts(openOnly: Bool, account: AccountID? = nil, limit: Int) async throws -> [WatchAlert] {
        try await read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM watch_alert WHERE (?1 = 0 OR acknowledged_at IS NULL) AND (?2 IS NULL OR account_id = ?2)
                ORDER BY at DESC, id LIMIT ?3
                """, arguments: [openOnly ? 1 : 0, account?.rawValue, limit]).map(WatchAlert.init(row:))
        }
    }

    /// Acknowledges an open alert. - Throws: ``StoreError/notFound`` when there is no such open alert.
    public func acknowledge(alert id: String, by: AccountID, note: String?, at: Date) async throws -> WatchAlert {
        try await write { db in
            try db.execute(sql: "UPDATE watch_alert SET acknowledged_by = ?, acknowledged_at = ?, note = ? WHERE id = ? AND acknowledged_at IS NULL",
                           arguments: [by.rawValue, at.millis, note, id])
            guard db.changesCount == 1, let row = try Row.fetchOne(db, sql: "SELECT * FROM watch_alert WHERE id = ?", arguments: [id]) else {
                throw StoreError.notFound
            }
            return WatchAlert(row: row)
        }
    }

    // MARK: suspensions

    /// Suspends an account: disabled, every session revoked, the suspension recorded, in one
    /// transaction. A suspension already open is kept as it is.
    public func suspend(account: AccountID, id: String, reason: String, at: Date) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE account SET status = 'disabled' WHERE id = ?", arguments: [account.rawValue])
            try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL", arguments: [at.millis, account.rawValue])
            // Its claim codes not yet used expire with it (an attacker's audit: codes a stolen
            // agent issued just before its suspension were claimed afterwards, and their citizen
            // accounts read the whole files).
            try db.execute(sql: "UPDATE claim_code SET expires_at = ? WHERE issued_by = ? AND status = 'issued' AND expires_at > ?",
                           arguments: [at.millis, account.rawValue, at.millis])
            let open = try Bool.fetchOne(db, sql: "SELECT 1 FROM watch_suspension WHERE account_id = ? AND reinstated_at IS NULL",
                                         arguments: [account.rawValue]) == true
            if !open {
                try db.execute(sql: "INSERT INTO watch_suspension(id, account_id, at, reason) VALUES (?, ?, ?, ?)",
                               arguments: [id, account.rawValue, at.millis, reason])
            }
        }
    }

    /// Lifts the open suspension of an account and makes it active again, with the reason.
    /// - Throws: ``StoreError/notFound`` when the account has no open suspension.
    public func reinstate(account: AccountID, by: AccountID, reason: String, at: Date) async throws -> Suspension {
        try await write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM watch_suspension WHERE account_id = ? AND reinstated_at IS NULL",
                                             arguments: [account.rawValue]) else { throw StoreError.notFound }
            let id: String = row["id"]
            try db.execute(sql: "UPDATE watch_suspension SET reinstated_by = ?, reinstated_at = ?, reinstate_reason = ? WHERE id = ?",
                           arguments: [by.rawValue, at.millis, reason, id])
            try db.execute(sql: "UPDATE account SET status = 'active' WHERE id = ? AND status = 'disabled'", arguments: [account.rawValue])
            return Suspension(id: id, account: account, at: Date(millis: row["at"]), reason: row["reason"], reinstatedBy: by,
                              reinstatedAt: at, reinstateReason: reason)
        }
    }

    /// Suspensions, newest first (open ones only, or all).
    public func suspensions(openOnly: Bool) async throws -> [Suspension] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM watch_suspension WHERE (?1 = 0 OR reinstated_at IS NULL) ORDER BY at DESC",
                             arguments: [openOnly ? 1 : 0]).map { r in
                Suspension(id: r["id"], account: AccountID(trusted: r["account_id"]), at: Date(millis: r["at"]), reason: r["reason"],
                           reinstatedBy: (r["reinstated_by"] as String?).map(AccountID.init(trusted:)),
                           reinstatedAt: (r["reinstated_at"] as Int64?).map(Date.init(millis:)), reinstateReason: r["reinstate_reason"])
            }
        }
    }
}

extension WatchAlert {
    init(row r: Row) {
        self.init(id: r["id"], at: Date(millis: r["at"]), account: (r["account_id"] as String?).map(AccountID.init(trusted:)),
                  detector: r["detector"], severity: r["severity"], response: r["response"], detail: r["detail"],
                  justification: r["justification"], acknowledgedBy: (r["acknowledged_by"] as String?).map(AccountID.init(trusted:)),
                  acknowledgedAt: (r["acknowledged_at"] as Int64?).map(Date.init(millis:)), note: r["note"])
    }
}
