public import GuichetCore
public import Foundation
import GRDB

/// A territory a deployment serves.
public struct Territory: Sendable, Equatable {
    public let code: String
    public let name: String
    public init(code: String, name: String) { self.code = code; self.name = name }
}

/// Why and when an account's owner left.
public struct Departure: Sendable, Equatable {
    public let account: AccountID
    public let at: Date
    /// Nil when the server's own command line recorded it.
    public let by: AccountID?
    public let reason: String
    public init(account: AccountID, at: Date, by: AccountID?, reason: String) {
        self.account = account; self.at = at; self.by = by; self.reason = reason
    }
}

extension Store {
    // MARK: territories

    /// Adds a territory.
    /// - Throws: ``StoreError/duplicate(_:)`` when the code exists.
    public func insert(territory t: Territory, by: AccountID?, at: Date) async throws {
        try await write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM territory WHERE code = ?", arguments: [t.code]) == true {
                throw StoreError.duplicate("territory")
            }
            try db.execute(sql: "INSERT INTO territory(code, name, created_at, created_by) VALUES (?, ?, ?, ?)",
                           arguments: [t.code, t.name, at.millis, by?.rawValue])
        }
    }

    /// Every territory, by code.
    public func territories() async throws -> [Territory] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT code, name FROM territory ORDER BY code").map { Territory(code: $0["code"], name: $0["name"]) }
        }
    }

    /// Whether a territory of this code exists.
    public func territoryExists(_ code: String) async throws -> Bool {
        try await read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM territory WHERE code = ?", arguments: [code]) ?? false }
    }

    /// Whether an organisation of this kind and name exists.
    public func organisationExists(kind: String, name: String) async throws -> Bool {
        try await read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM organisation WHERE kind = ? AND name = ?", arguments: [kind, name]) ?? false
        }
    }

    /// Notes that the server's command line made this account while provisioning (the watch's
    /// lifecycle detector then looks at its first minutes).
    public func markProvisionedOnConsole(_ account: AccountID) async throws {
        try await write { db in
            try db.execute(sql: "UPDATE account SET provisioned_on_console = 1 WHERE id = ?", arguments: [account.rawValue])
        }
    }

    // MARK: leavers

    /// Records that an account's owner left, in one transaction: the account is disabled for
    /// good, its sessions are revoked, its pending requests and unused activation codes lapse.
    /// - Throws: ``StoreError/notFound`` for no such account; ``StoreError/duplicate(_:)`` when
    ///   the departure is already recorded.
    public func recordDeparture(_ account: AccountID, reason: String, by: AccountID?, at: Date) async throws {
        try await write { db in try Self.recordDeparture(db, account, reason: reason, by: by, at: at) }
    }

    static func recordDeparture(_ db: Database, _ account: AccountID, reason: String, by: AccountID?, at: Date) throws {
        guard try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE id = ?", arguments: [account.rawValue]) == true else {
            throw StoreError.notFound
        }
        if try Bool.fetchOne(db, sql: "SELECT 1 FROM account_departure WHERE account_id = ?", arguments: [account.rawValue]) == true {
            throw StoreError.duplicate("departure")
        }
        try db.execute(sql: "UPDATE account SET status = 'disabled' WHERE id = ?", arguments: [account.rawValue])
        try db.execute(sql: "INSERT INTO account_departure(account_id, at, by, reason) VALUES (?, ?, ?, ?)",
                       arguments: [account.rawValue, at.millis, by?.rawValue, reason])
        try db.execute(sql: "UPDATE session SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL",
                       arguments: [at.millis, account.rawValue])
        try db.execute(sql: """
            UPDATE activation_code SET status = 'replaced', code_hash = COALESCE(code_hash, randomblob(32))
            WHERE account_id = ? AND status IN ('awaiting-approval', 'sending', 'issued')
            """, arguments: [account.rawValue])
    }

    /// The departure of an account, if its owner left.
    public func departure(of account: AccountID) async throws -> Departure? {
        try await read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM account_departure WHERE account_id = ?", arguments: [account.rawValue]).map { r in
                Departure(account: account, at: Date(millis: r["at"]), by: (r["by"] as String?).map(AccountID.init(trusted:)), reason: r["reason"])
            }
        }
    }

    // MARK: caseloads

    /// Puts dossiers in an account's caseload, all or none.
    /// - Returns: the dossiers' previous assignees (nil: none), in the order given.
    /// - Throws: ``StoreError/notFound`` when one of the dossiers does not exist (nothing changes).
    public func assignCaseload(_ dossiers: [DossierID], to account: AccountID) async throws -> [AccountID?] {
        try await write { db in try Self.assign(db, dossiers, to: account) }
    }

    static func assign(_ db: Database, _ dossiers: [DossierID], to account: AccountID) throws -> [AccountID?] {
        var previous: [AccountID?] = []
        for id in dossiers {
            guard let row = try Row.fetchOne(db, sql: "SELECT assigned_agent_id FROM dossier WHERE id = ?", arguments: [id.rawValue]) else {
                throw StoreError.notFound
            }
            previous.append((row["assigned_agent_id"] as String?).map(AccountID.init(trusted:)))
            try db.execute(sql: "UPDATE dossier SET assigned_agent_id = ? WHERE id = ?", arguments: [account.rawValue, id.rawValue])
        }
        return previous
    }

    /// The dossiers in an account's caseload, by id.
    public func caseload(of account: AccountID) async throws -> [DossierID] {
        try await read { db in
            try String.fetchAll(db, sql: "SELECT id FROM dossier WHERE assigned_agent_id = ? ORDER BY id", arguments: [account.rawValue])
                .map(DossierID.init(trusted:))
        }
    }

    /// Moves dossiers from one caseload to another, all or none: every dossier given (or, with
    /// none given, the whole caseload) must be in `from`'s caseload.
    /// - Returns: the dossiers moved.
    /// - Throws: ``StoreError/notFound`` when a dossier given is not in `from`'s caseload.
    public func transferCaseload(from: AccountID, to: AccountID, only: [DossierID]?) async throws -> [DossierID] {
        try await write { db in try Self.transfer(db, from: from, to: to, only: only) }
    }

    static func transfer(_ db: Database, from: AccountID, to: AccountID, only: [DossierID]?) throws -> [DossierID] {
        let ids: [DossierID]
        if let only {
            for id in only {
                guard try String.fetchOne(db, sql: "SELECT assigned_agent_id FROM dossier WHERE id = ?", arguments: [id.rawValue]) == from.rawValue else {
                    throw StoreError.notFound
                }
            }
            ids = only
        } else {
            ids = try String.fetchAll(db, sql: "SELECT id FROM dossier WHERE assigned_agent_id = ? ORDER BY id", arguments: [from.rawValue])
                .map(DossierID.init(trusted:))
        }
        for id in ids {
            try db.execute(sql: "UPDATE dossier SET assigned_agent_id = ? WHERE id = ? AND assigned_agent_id = ?",
                           arguments: [to.rawValue, id.rawValue, from.rawValue])
        }
        return ids
    }
}
