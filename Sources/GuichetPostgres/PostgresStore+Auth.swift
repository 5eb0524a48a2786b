public import Foundation
public import GuichetCore
public import GuichetStore
public import GuichetAuth
import PostgresNIO

/// The authenticator's storage on PostgreSQL: accounts, sessions, second factors, sign-in
/// throttles and the single-use codes, shared by every server on the database.
///
/// Single-use steps are `UPDATE … WHERE status = 'issued'` (or the expected counter): when two
/// servers race, PostgreSQL makes the second wait for the first's commit and re-checks its
/// condition on the committed row, which no longer matches. A sign-in attempt locks its
/// throttle's row before it reads it, so concurrent attempts on any server queue on one count.
extension PostgresStore: AuthStorage {
    /// The account's columns, and whether it has a confirmed app or passkey.
    static let accountColumns = """
        SELECT a.id, a.username, a.password_hash, a.role, a.organisation_id, a.person_id, a.territory, a.status, a.created_at,
            EXISTS (SELECT 1 FROM second_factor f WHERE f.account_id = a.id AND f.confirmed AND f.kind IN ('totp', 'webauthn')),
            a.factors_reset_at IS NOT NULL
        FROM account a
        """
    /// What an activation awaiting approval (no code yet) holds once replaced: the table wants a
    /// hash for every status but 'awaiting-approval', and a random one stands for no code at all.
    static let fillerHash = "sha256(convert_to(id || ':' || random()::text || ':' || clock_timestamp()::text, 'UTF8'))"
    typealias AccountRow = (String, String, String, String, String?, String?, String?, String, Int64, Bool, Bool)

    static func account(_ r: AccountRow) -> AccountRecord {
        var a = AccountRecord(id: AccountID(trusted: r.0), username: r.1, passwordHash: r.2, role: r.3,
                              organisation: r.4.map(OrganisationID.init(trusted:)), person: r.5.map(PersonID.init(trusted:)),
                              territory: r.6, status: r.7, createdAt: Date(millis: r.8))
        a.hasSecondFactor = r.9
        a.factorsReset = r.10
        return a
    }

    func accounts(_ filter: String, _ value: String?) async throws -> [AccountRecord] {
        var bindings = PostgresBindings()
        if let value { bindings.append(value) }
        let query = PostgresQuery(unsafeSQL: Self.accountColumns + " " + filter, binds: bindings)
        return try await read { c in try await c.query(query, logger: Self.logger).decode(AccountRow.self).collect().map(Self.account) }
    }

    // MARK: accounts

    public func insert(account a: AccountRecord, createdBy: AccountID?) async throws {
        try await transaction { c in
            let inserted = try await c.query("""
                INSERT INTO account(id, username, password_hash, role, organisation_id, person_id, territory, status, created_at, created_by)
                VALUES (\(a.id.rawValue), \(a.username), \(a.passwordHash), \(a.role), \(a.organisation?.rawValue), \(a.person?.rawValue),
                    \(a.territory), \(a.status), \(a.createdAt.millis), \(createdBy?.rawValue))
                ON CONFLICT (username) DO NOTHING RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect()
            guard !inserted.isEmpty else { throw StoreError.duplicate("user name") }
        }
    }

    public func account(username: String) async throws -> AccountRecord? {
        // PostgreSQL text cannot hold a NUL (the query would fail): no user name has one.
        guard !username.contains("\0") else { return nil }
        return try await accounts("WHERE a.username = $1", username).first
    }

    public func account(id: AccountID) async throws -> AccountRecord? {
        try await accounts("WHERE a.id = $1", id.rawValue).first
    }

    public func accounts() async throws -> [AccountRecord] {
        try await accounts("ORDER BY a.username", nil)
    }

    /// The accounts of these roles, by user name (through `account_by_role`).
    public func accounts(roles: [String]) async throws -> [AccountRecord] {
        guard !roles.isEmpty else { return [] }
        var bindings = PostgresBindings()
        bindings.append(roles)
        let query = PostgresQuery(unsafeSQL: Self.accountColumns + " WHERE a.role = ANY($1) ORDER BY a.username", binds: bindings)
        return try await read { c in try await c.query(query, logger: Self.logger).decode(AccountRow.self).collect().map(Self.account) }
    }

    public func setPasswordHash(_ hash: String, for id: AccountID) async throws {
        try await transaction { c in
            try await c.query("UPDATE account SET password_hash = \(hash) WHERE id = \(id.rawValue)", logger: Self.logger)
        }
    }

    // MARK: sessions

    public func insertSession(id: SessionID, tokenHash: Data, account: AccountID, at: Date, expiresAt: Date) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO session(token_hash, id, account_id, created_at, last_seen_at, expires_at)
                VALUES (\(tokenHash), \(id.rawValue), \(account.rawValue), \(at.millis), \(at.millis), \(expiresAt.millis))
                """, logger: Self.logger)
        }
    }

    public func session(tokenHash: Data) async throws -> SessionRecord? {
        try await read { c in
            try await c.query("""
                SELECT id, account_id, last_seen_at, expires_at, revoked_at IS NOT NULL, second_factor_at FROM session WHERE token_hash = \(tokenHash)
                """, logger: Self.logger).decode((String, String, Int64, Int64, Bool, Int64?).self).collect().first.map {
                SessionRecord(id: SessionID(trusted: $0.0), account: AccountID(trusted: $0.1), lastSeenAt: Date(millis: $0.2),
                              expiresAt: Date(millis: $0.3), revoked: $0.4, secondFactorAt: $0.5.map(Date.init(millis:)))
            }
        }
    }

    public func touchSession(_ id: SessionID, at: Date) async throws {
        try await transaction { c in
            try await c.query("UPDATE session SET last_seen_at = \(at.millis) WHERE id = \(id.rawValue)", logger: Self.logger)
        }
    }

    @discardableResult
    public func revokeSessions(account: AccountID, at: Date) async throws -> Int {
        try await transaction { c in
            try await c.query("""
                UPDATE session SET revoked_at = \(at.millis) WHERE account_id = \(account.rawValue) AND revoked_at IS NULL RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().count
        }
    }

    @discardableResult
    public func revokeSessions(account: AccountID, keeping: Int, at: Date) async throws -> Int {
        try await transaction { c in
            try await c.query("""
                UPDATE session SET revoked_at = \(at.millis) WHERE account_id = \(account.rawValue) AND revoked_at IS NULL
                AND expires_at > \(at.millis) AND id NOT IN (
                    SELECT id FROM session WHERE account_id = \(account.rawValue) AND revoked_at IS NULL AND expires_at > \(at.millis)
                    ORDER BY (id = (SELECT id FROM session WHERE account_id = \(account.rawValue) AND revoked_at IS NULL AND expires_at > \(at.millis)
                                     ORDER BY created_at DESC, id DESC LIMIT 1)) DESC,
                             (second_factor_at IS NOT NULL) DESC, created_at DESC, id DESC LIMIT \(keeping))
                RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().count
        }
    }

    public func openSessions(account: AccountID, now: Date) async throws -> [OpenSession] {
        try await read { c in
            try await c.query("""
                SELECT id, created_at, last_seen_at, expires_at, second_factor_at FROM session
                WHERE account_id = \(account.rawValue) AND revoked_at IS NULL AND expires_at > \(now.millis)
                ORDER BY last_seen_at DESC, created_at DESC LIMIT 100
                """, logger: Self.logger).decode((String, Int64, Int64, Int64, Int64?).self).collect().map {
                OpenSession(id: SessionID(trusted: $0.0), createdAt: Date(millis: $0.1), lastSeenAt: Date(millis: $0.2),
                            expiresAt: Date(millis: $0.3), secondFactorAt: $0.4.map(Date.init(millis:)))
            }
        }
    }

    @discardableResult
    public func revokeSession(id: SessionID, account: AccountID, at: Date) async throws -> Bool {
        try await transaction { c in
            try await !c.query("""
                UPDATE session SET revoked_at = \(at.millis) WHERE id = \(id.rawValue) AND account_id = \(account.rawValue) AND revoked_at IS NULL
                RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().isEmpty
        }
    }

    public func revokeSession(tokenHash: Data, at: Date) async throws {
        try await transaction { c in
            try await c.query("UPDATE session SET revoked_at = \(at.millis) WHERE token_hash = \(tokenHash) AND revoked_at IS NULL",
                              logger: Self.logger)
        }
    }

    public func rekeySession(tokenHash old: Data, to new: Data) async throws -> Bool {
        try await transaction { c in
            try await c.query("UPDATE session SET token_hash = \(new) WHERE token_hash = \(old) AND revoked_at IS NULL RETURNING 1::int",
                              logger: Self.logger).decode(Int.self).collect().count == 1
        }
    }

    // MARK: activation codes

    public func insertActivation(id: String, account: AccountID, codeHash: Data?, delivery: String, by: AccountID?,
                                 at: Date, expiresAt: Date, status: String) async throws {
        try await transaction { c in
            try await c.query("""
                UPDATE activation_code SET status = 'replaced', code_hash = COALESCE(code_hash, \(unescaped: Self.fillerHash))
                WHERE account_id = \(account.rawValue) AND status IN ('awaiting-approval', 'sending', 'issued')
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO activation_code(id, account_id, code_hash, delivery, issued_by, issued_at, expires_at, status)
                VALUES (\(id), \(account.rawValue), \(codeHash), \(delivery), \(by?.rawValue), \(at.millis), \(expiresAt.millis), \(status))
                """, logger: Self.logger)
        }
    }

    public func setActivationStatus(_ id: String, sent: Bool) async throws {
        try await transaction { c in
            try await c.query("UPDATE activation_code SET status = \(sent ? "issued" : "not-sent") WHERE id = \(id) AND status = 'sending'",
                              logger: Self.logger)
        }
    }

    public func approveActivation(_ id: String, codeHash: Data, by approver: AccountID, at: Date, expiresAt: Date) async throws -> ActivationRecord? {
        try await transaction { c in
            try await c.query("""
                UPDATE activation_code SET status = 'issued', code_hash = \(codeHash), approved_by = \(approver.rawValue), expires_at = \(expiresAt.millis)
                WHERE id = \(id) AND status = 'awaiting-approval' AND issued_by <> \(approver.rawValue)
                RETURNING id, account_id, delivery, issued_by, issued_at, expires_at, approved_by, status, used_at
                """, logger: Self.logger).decode((String, String, String, String?, Int64, Int64, String?, String, Int64?).self).collect()
                .first.map(Self.activation)
        }
    }

    static func activation(_ r: (String, String, String, String?, Int64, Int64, String?, String, Int64?)) -> ActivationRecord {
        ActivationRecord(id: r.0, account: AccountID(trusted: r.1), delivery: r.2, issuedBy: r.3.map(AccountID.init(trusted:)),
                         issuedAt: Date(millis: r.4), expiresAt: Date(millis: r.5), approvedBy: r.6.map(AccountID.init(trusted:)),
                         status: r.7, usedAt: r.8.map(Date.init(millis:)))
    }

    public func redeemActivation(account: AccountID, codeHash: Data, session: SessionID, at: Date) async throws -> Bool {
        try await transaction { c in
            try await !c.query("""
                UPDATE activation_code SET status = 'used', used_at = \(at.millis), used_session = \(session.rawValue)
                WHERE account_id = \(account.rawValue) AND code_hash = \(codeHash) AND status = 'issued' AND expires_at > \(at.millis)
                RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().isEmpty
        }
    }

    public func sessionActivated(_ session: SessionID) async throws -> Bool {
        try await read { c in
            try await !c.query("SELECT 1::int FROM activation_code WHERE used_session = \(session.rawValue) LIMIT 1", logger: Self.logger)
                .decode(Int.self).collect().isEmpty
        }
    }

    public func activationsAwaitingApproval() async throws -> [ActivationRecord] {
        try await read { c in
            try await c.query("""
                SELECT id, account_id, delivery, issued_by, issued_at, expires_at, approved_by, status, used_at FROM activation_code
                WHERE status = 'awaiting-approval' ORDER BY issued_at, seq
                """, logger: Self.logger).decode((String, String, String, String?, Int64, Int64, String?, String, Int64?).self).collect()
                .map(Self.activation)
        }
    }

    // MARK: claim codes

    public func insertClaim(id: String, locator: String, person: PersonID, codeHash: Data, by: AccountID?, from: String?,
                            at: Date, expiresAt: Date, limits: [(count: Int, since: Date)] = []) async throws {
        let limits = limits.map { (count: $0.count, since: $0.since.millis) }
        try await transaction { c in
            // The issuer's codes counted under a lock of its own, held to the commit: two
            // servers' issuances by one account take turns.
            if let by, !limits.isEmpty {
                try await Self.lock(c, "claim-issuer", by.rawValue)
                for (i, limit) in limits.enumerated() {
                    let n = try await c.query("SELECT COUNT(*)::bigint FROM claim_code WHERE issued_by = \(by.rawValue) AND issued_at >= \(limit.since)",
                                              logger: Self.logger).decode(Int64.self).collect().first ?? 0
                    if n >= limit.count { throw StoreError.limitReached(i) }
                }
            }
            try await c.query("UPDATE claim_code SET status = 'replaced' WHERE person_id = \(person.rawValue) AND status = 'issued'", logger: Self.logger)
            // A live code holding this locator: the unique index refuses the insert
            // (`claim_code_live_locator`), whichever server holds it.
            try await c.query("""
                INSERT INTO claim_code(id, locator, person_id, code_hash, issued_by, issued_from, issued_at, expires_at, status)
                VALUES (\(id), \(locator), \(person.rawValue), \(codeHash), \(by?.rawValue), \(from), \(at.millis), \(expiresAt.millis), 'issued')
                """, logger: Self.logger)
        }
    }

    public func liveClaim(locator: String, codeHash: Data, at: Date) async throws -> LiveClaim? {
        try await read { c in
            try await c.query("""
                SELECT person_id, issued_by, issued_from, issued_at FROM claim_code
                WHERE locator = \(locator) AND code_hash = \(codeHash) AND status = 'issued' AND expires_at > \(at.millis)
                """, logger: Self.logger).decode((String, String?, String?, Int64).self).collect().first.map { row in
                LiveClaim(person: PersonID(trusted: row.0), issuedBy: row.1.map(AccountID.init(trusted:)), issuedFrom: row.2,
                          issuedAt: Date(millis: row.3))
            }
        }
    }

    public func claimsIssued(by account: AccountID, since: Date) async throws -> Int {
        try await read { c in
            try await c.query("""
                SELECT COUNT(*)::bigint FROM claim_code WHERE issued_by = \(account.rawValue) AND issued_at >= \(since.millis)
                """, logger: Self.logger).decode(Int64.self).collect().first.map(Int.init) ?? 0
        }
    }

    public func redeemClaim(locator: String, codeHash: Data, account a: AccountRecord, at: Date) async throws -> Bool {
        guard let person = a.person else { return false }
        return try await transaction { c in
            // The code's row is locked; a second redemption waits, then finds it used.
            let live = try await c.query("""
                SELECT person_id FROM claim_code WHERE locator = \(locator) AND code_hash = \(codeHash) AND status = 'issued' AND expires_at > \(at.millis)
                FOR UPDATE
                """, logger: Self.logger).decode(String.self).collect()
            guard live.first == person.rawValue else { return false }
            try await Self.lock(c, "person-account", person.rawValue)
            let taken = try await c.query("SELECT 1::int FROM account WHERE person_id = \(person.rawValue) LIMIT 1", logger: Self.logger)
                .decode(Int.self).collect()
            guard taken.isEmpty else { throw StoreError.duplicate("account of this person") }
            let inserted = try await c.query("""
                INSERT INTO account(id, username, password_hash, role, organisation_id, person_id, territory, status, created_at, created_by)
                VALUES (\(a.id.rawValue), \(a.username), \(a.passwordHash), \(a.role), NULL, \(person.rawValue), NULL, 'active', \(a.createdAt.millis), NULL)
                ON CONFLICT (username) DO NOTHING RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect()
            guard !inserted.isEmpty else { throw StoreError.duplicate("user name") }
            try await c.query("""
                UPDATE claim_code SET status = 'used', used_at = \(at.millis), used_by_account = \(a.id.rawValue)
                WHERE locator = \(locator) AND code_hash = \(codeHash) AND status = 'issued'
                """, logger: Self.logger)
            return true
        }
    }

    public func personHasAccount(_ person: PersonID) async throws -> Bool {
        try await read { c in
            try await !c.query("SELECT 1::int FROM account WHERE person_id = \(person.rawValue) LIMIT 1", logger: Self.logger)
                .decode(Int.self).collect().isEmpty
        }
    }

    // MARK: departures and requests

    public func recordDeparture(_ account: AccountID, reason: String, by: AccountID?, at: Date) async throws {
        try await transaction { c in try await Self.recordDeparture(c, account, reason: reason, by: by, at: at) }
    }

    static func recordDeparture(_ c: PostgresConnection, _ account: AccountID, reason: String, by: AccountID?, at: Date) async throws {
        let known = try await c.query("SELECT 1::int FROM account WHERE id = \(account.rawValue) FOR UPDATE", logger: Self.logger)
            .decode(Int.self).collect()
        guard !known.isEmpty else { throw StoreError.notFound }
        try await c.query("UPDATE account SET status = 'disabled' WHERE id = \(account.rawValue)", logger: Self.logger)
        let recorded = try await c.query("""
            INSERT INTO account_departure(account_id, at, by, reason) VALUES (\(account.rawValue), \(at.millis), \(by?.rawValue), \(reason))
            ON CONFLICT (account_id) DO NOTHING RETURNING 1::int
            """, logger: Self.logger).decode(Int.self).collect()
        guard !recorded.isEmpty else { throw StoreError.duplicate("departure") }
        try await c.query("UPDATE session SET revoked_at = \(at.millis) WHERE account_id = \(account.rawValue) AND revoked_at IS NULL",
                          logger: Self.logger)
        try await c.query("""
            UPDATE activation_code SET status = 'replaced', code_hash = COALESCE(code_hash, \(unescaped: Self.fillerHash))
            WHERE account_id = \(account.rawValue) AND status IN ('awaiting-approval', 'sending', 'issued')
            """, logger: Self.logger)
    }

    public func insert(departureRequest r: DepartureRequest) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO departure_request(id, account_id, reason, requested_by, requested_at)
                VALUES (\(r.id), \(r.account.rawValue), \(r.reason), \(r.requestedBy.rawValue), \(r.requestedAt.millis))
                """, logger: Self.logger)
        }
    }

    public func resetFactors(_ account: AccountID, id: String, reason: String, by: AccountID?, at: Date) async throws -> FactorResetRecord {
        try await transaction { c in
            let known = try await c.query("UPDATE account SET factors_reset_at = \(at.millis) WHERE id = \(account.rawValue) RETURNING 1::int",
                                          logger: Self.logger).decode(Int.self).collect()
            guard !known.isEmpty else { throw StoreError.notFound }
            let factors = try await c.query("DELETE FROM second_factor WHERE account_id = \(account.rawValue) RETURNING 1::int", logger: Self.logger)
                .decode(Int.self).collect().count
            let sessions = try await c.query("""
                UPDATE session SET revoked_at = \(at.millis) WHERE account_id = \(account.rawValue) AND revoked_at IS NULL RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().count
            try await c.query("""
                UPDATE activation_code SET status = 'replaced', code_hash = COALESCE(code_hash, \(unescaped: Self.fillerHash))
                WHERE account_id = \(account.rawValue) AND status IN ('awaiting-approval', 'sending', 'issued')
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO factor_reset(id, account_id, reset_by, reset_at, reason, factors_removed, sessions_ended)
                VALUES (\(id), \(account.rawValue), \(by?.rawValue), \(at.millis), \(reason), \(factors), \(sessions))
                """, logger: Self.logger)
            return FactorResetRecord(id: id, account: account, by: by, at: at, reason: reason, factorsRemoved: factors, sessionsEnded: sessions)
        }
    }

    public func clearFactorsReset(_ account: AccountID) async throws {
        try await transaction { c in
            try await c.query("UPDATE account SET factors_reset_at = NULL WHERE id = \(account.rawValue)", logger: Self.logger)
        }
    }

    public func factorResets(of account: AccountID) async throws -> [FactorResetRecord] {
        try await read { c in
            try await c.query("""
                SELECT id, reset_by, reset_at, reason, factors_removed, sessions_ended FROM factor_reset
                WHERE account_id = \(account.rawValue) ORDER BY reset_at DESC, seq DESC
                """, logger: Self.logger).decode((String, String?, Int64, String, Int, Int).self).collect().map { r in
                FactorResetRecord(id: r.0, account: account, by: r.1.map(AccountID.init(trusted:)), at: Date(millis: r.2), reason: r.3,
                                  factorsRemoved: r.4, sessionsEnded: r.5)
            }
        }
    }

    typealias DepartureRequestRow = (String, String, String, String, Int64)
    static let departureRequestColumns = "SELECT id, account_id, reason, requested_by, requested_at FROM departure_request"

    static func departureRequest(_ r: DepartureRequestRow) -> DepartureRequest {
        DepartureRequest(id: r.0, account: AccountID(trusted: r.1), reason: r.2, requestedBy: AccountID(trusted: r.3), requestedAt: Date(millis: r.4))
    }

    public func pendingDepartureRequests() async throws -> [DepartureRequest] {
        try await read { c in
            try await c.query(PostgresQuery(unsafeSQL: Self.departureRequestColumns + " WHERE approved_by IS NULL ORDER BY requested_at"),
                              logger: Self.logger)
                .decode(DepartureRequestRow.self).collect().map(Self.departureRequest)
        }
    }

    /// Approves a pending departure request and records the departure, in one transaction. The
    /// table refuses an approval by the requester.
    public func approve(departureRequest id: String, by approver: AccountID, at: Date) async throws -> DepartureRequest {
        try await transaction { c in
            var one = PostgresBindings()
            one.append(id)
            guard let r = try await c.query(PostgresQuery(unsafeSQL: Self.departureRequestColumns + " WHERE id = $1 AND approved_by IS NULL FOR UPDATE",
                                                          binds: one), logger: Self.logger)
                .decode(DepartureRequestRow.self).collect().first.map(Self.departureRequest) else { throw StoreError.notFound }
            try await c.query("UPDATE departure_request SET approved_by = \(approver.rawValue), approved_at = \(at.millis) WHERE id = \(id)",
                              logger: Self.logger)
            try await Self.recordDeparture(c, r.account, reason: r.reason, by: approver, at: at)
            return r
        }
    }

    public func departure(of account: AccountID) async throws -> Departure? {
        try await read { c in
            try await c.query("SELECT at, by, reason FROM account_departure WHERE account_id = \(account.rawValue)", logger: Self.logger)
                .decode((Int64, String?, String).self).collect().first
                .map { Departure(account: account, at: Date(millis: $0.0), by: $0.1.map(AccountID.init(trusted:)), reason: $0.2) }
        }
    }

    public func insert(request r: AccountRequest) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO account_request(id, account_id, kind, role, requested_by, requested_at)
                VALUES (\(r.id), \(r.account.rawValue), \(r.kind), \(r.role), \(r.requestedBy.rawValue), \(r.requestedAt.millis))
                """, logger: Self.logger)
        }
    }

    typealias RequestRow = (String, String, String, String, String, Int64, String?)

    static func request(_ r: RequestRow) -> AccountRequest {
        AccountRequest(id: r.0, account: AccountID(trusted: r.1), kind: r.2, role: r.3, requestedBy: AccountID(trusted: r.4),
                       requestedAt: Date(millis: r.5), approvedBy: r.6.map(AccountID.init(trusted:)))
    }

    public func pendingRequests() async throws -> [AccountRequest] {
        try await read { c in
            try await c.query("""
                SELECT id, account_id, kind, role, requested_by, requested_at, approved_by FROM account_request
                WHERE approved_by IS NULL AND account_id NOT IN (SELECT account_id FROM account_departure) ORDER BY requested_at
                """, logger: Self.logger).decode(RequestRow.self).collect().map(Self.request)
        }
    }

    public func approve(request id: String, by approver: AccountID, at: Date) async throws -> AccountRequest {
        try await transaction { c in
            guard let r = try await c.query("""
                SELECT id, account_id, kind, role, requested_by, requested_at, approved_by FROM account_request
                WHERE id = \(id) AND approved_by IS NULL AND account_id NOT IN (SELECT account_id FROM account_departure) FOR UPDATE
                """, logger: Self.logger).decode(RequestRow.self).collect().first.map(Self.request) else { throw StoreError.notFound }
            // The table's CHECK refuses an approval by the requester.
            try await c.query("UPDATE account_request SET approved_by = \(approver.rawValue), approved_at = \(at.millis) WHERE id = \(id)",
                              logger: Self.logger)
            if r.kind == "create" {
                try await c.query("UPDATE account SET status = 'active' WHERE id = \(r.account.rawValue) AND status = 'pending'", logger: Self.logger)
            } else {
                try await c.query("UPDATE account SET role = \(r.role) WHERE id = \(r.account.rawValue)", logger: Self.logger)
            }
            return AccountRequest(id: r.id, account: r.account, kind: r.kind, role: r.role, requestedBy: r.requestedBy,
                                  requestedAt: r.requestedAt, approvedBy: approver)
        }
    }

    // MARK: contact and password resets

    public func contact(of account: AccountID) async throws -> Data? {
        try await read { c in
            try await c.query("SELECT contact FROM account WHERE id = \(account.rawValue)", logger: Self.logger).decode(Data?.self).collect().first ?? nil
        }
    }

    public func setContact(_ sealed: Data, for account: AccountID) async throws {
        try await transaction { c in
            try await c.query("UPDATE account SET contact = \(sealed) WHERE id = \(account.rawValue)", logger: Self.logger)
        }
    }

    public func insertReset(id: String, account: AccountID, tokenHash: Data, by: AccountID, at: Date, expiresAt: Date) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO password_reset(id, account_id, token_hash, requested_by, requested_at, expires_at, status)
                VALUES (\(id), \(account.rawValue), \(tokenHash), \(by.rawValue), \(at.millis), \(expiresAt.millis), 'sending')
                """, logger: Self.logger)
        }
    }

    public func setResetStatus(_ id: String, sent: Bool) async throws {
        try await transaction { c in
            try await c.query("UPDATE password_reset SET status = \(sent ? "sent" : "not-sent") WHERE id = \(id) AND status = 'sending'",
                              logger: Self.logger)
        }
    }

    public func pendingReset(tokenHash: Data, at: Date) async throws -> (PasswordResetRecord, AccountRecord)? {
        let found = try await read { c in
            try await c.query("""
                SELECT id, account_id, requested_by, requested_at, expires_at, status, used_at FROM password_reset r WHERE token_hash = \(tokenHash)
                AND NOT EXISTS (SELECT 1 FROM password_reset n WHERE n.account_id = r.account_id AND n.requested_at > r.requested_at)
                """, logger: Self.logger).decode((String, String, String, Int64, Int64, String, Int64?).self).collect().first
        }
        guard let r = found else { return nil }
        let reset = PasswordResetRecord(id: r.0, account: AccountID(trusted: r.1), requestedBy: AccountID(trusted: r.2), requestedAt: Date(millis: r.3),
                                        expiresAt: Date(millis: r.4), status: r.5, usedAt: r.6.map(Date.init(millis:)))
        guard reset.status == "sent", reset.expiresAt > at, let account = try await account(id: reset.account) else { return nil }
        return (reset, account)
    }

    public func completeReset(_ id: String, passwordHash: String, throttleKey: String, at: Date) async throws -> Bool {
        try await transaction { c in
            guard let account = try await c.query("""
                UPDATE password_reset r SET status = 'used', used_at = \(at.millis) WHERE id = \(id) AND status = 'sent' AND expires_at > \(at.millis)
                AND NOT EXISTS (SELECT 1 FROM password_reset n WHERE n.account_id = r.account_id AND n.requested_at > r.requested_at)
                RETURNING account_id
                """, logger: Self.logger).decode(String.self).collect().first else { return false }
            try await c.query("UPDATE account SET password_hash = \(passwordHash) WHERE id = \(account)", logger: Self.logger)
            try await c.query("UPDATE session SET revoked_at = \(at.millis) WHERE account_id = \(account) AND revoked_at IS NULL", logger: Self.logger)
            try await c.query("DELETE FROM sign_in_throttle WHERE key = \(throttleKey)", logger: Self.logger)
            return true
        }
    }

    // MARK: second factors

    public func insert(factor f: SecondFactorRecord, at: Date) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO second_factor(id, account_id, kind, secret, credential_id, counter, confirmed, created_at)
                VALUES (\(f.id), \(f.account.rawValue), \(f.kind), \(f.secret), \(f.credentialID), \(f.counter), \(f.confirmed), \(at.millis))
                """, logger: Self.logger)
        }
    }

    public func factors(account: AccountID, kind: String?) async throws -> [SecondFactorRecord] {
        try await read { c in
            try await c.query("""
                SELECT id, account_id, kind, secret, credential_id, counter, confirmed FROM second_factor
                WHERE account_id = \(account.rawValue) AND (\(kind)::text IS NULL OR kind = \(kind)) ORDER BY created_at, seq
                """, logger: Self.logger).decode((String, String, String, Data, Data?, Int64, Bool).self).collect().map {
                SecondFactorRecord(id: $0.0, account: AccountID(trusted: $0.1), kind: $0.2, secret: $0.3, credentialID: $0.4, counter: $0.5, confirmed: $0.6)
            }
        }
    }

    public func advance(factor id: String, from expected: Int64, to counter: Int64) async throws -> Bool {
        try await transaction { c in
            try await !c.query("""
                UPDATE second_factor SET counter = \(counter), confirmed = true WHERE id = \(id) AND counter = \(expected) RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().isEmpty
        }
    }

    public func dropUnconfirmed(account: AccountID, kind: String) async throws {
        try await transaction { c in
            try await c.query("DELETE FROM second_factor WHERE account_id = \(account.rawValue) AND kind = \(kind) AND NOT confirmed", logger: Self.logger)
        }
    }

    public func markSecondFactor(session: SessionID, at: Date) async throws {
        try await transaction { c in
            try await c.query("UPDATE session SET second_factor_at = \(at.millis) WHERE id = \(session.rawValue)", logger: Self.logger)
        }
    }

    public func putChallenge(_ challenge: Data, kind: String, session: SessionID, expires: Date) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO mfa_challenge(session_id, challenge, kind, expires_at) VALUES (\(session.rawValue), \(challenge), \(kind), \(expires.millis))
                ON CONFLICT (session_id) DO UPDATE SET challenge = excluded.challenge, kind = excluded.kind, expires_at = excluded.expires_at
                """, logger: Self.logger)
        }
    }

    public func takeChallenge(kind: String, session: SessionID, now: Date) async throws -> Data? {
        try await transaction { c in
            // Spent whatever its kind, as SQLite's store does; returned only if of this kind and alive.
            guard let (k, challenge, expires) = try await c.query("""
                DELETE FROM mfa_challenge WHERE session_id = \(session.rawValue) RETURNING kind, challenge, expires_at
                """, logger: Self.logger).decode((String, Data, Int64).self).collect().first,
                  k == kind, Date(millis: expires) > now else { return nil }
            return challenge
        }
    }

    // MARK: throttles and notices

    public func reserveSignInAttempt(key: String, at now: Date, lockoutAfter: Int,
                                     wait: @escaping @Sendable (ThrottleState) -> TimeInterval) async throws -> (retryAfter: TimeInterval?, failures: Int) {
        let now = Date(millis: now.millis)
        // Read first, without a lock: while a name waits or is locked, a guess at it is refused
        // with one read, no row lock and no commit to flush (a guesser sends thousands). Only an
        // attempt that may proceed is decided again, on the locked row.
        let seen = try await read { c in
            try await c.query("SELECT failures, last_attempt_at, locked FROM sign_in_throttle WHERE key = \(key)", logger: Self.logger)
                .decode((Int, Int64, Bool).self).collect().first
        }
        if let (f, at, locked) = seen {
            let state = ThrottleState(failures: f, lastAttemptAt: Date(millis: at), locked: locked)
            if let remaining = state.remainingWait(at: now, wait: wait) { return (remaining, state.failures) }
        }
        return try await transaction { c in
            // The row exists before it is locked, so that two first attempts queue on it too.
            try await c.query("""
                INSERT INTO sign_in_throttle(key, failures, last_attempt_at, locked) VALUES (\(key), 0, 0, false) ON CONFLICT (key) DO NOTHING
                """, logger: Self.logger)
            let row = try await c.query("SELECT failures, last_attempt_at, locked FROM sign_in_throttle WHERE key = \(key) FOR UPDATE", logger: Self.logger)
                .decode((Int, Int64, Bool).self).collect().first ?? (0, Int64(0), false)
            let state = ThrottleState(failures: row.0, lastAttemptAt: Date(millis: row.1), locked: row.2)
            if let remaining = state.remainingWait(at: now, wait: wait) { return (remaining, state.failures) }
            let failures = state.failures + 1
            try await c.query("""
                UPDATE sign_in_throttle SET failures = \(failures), last_attempt_at = \(now.millis), locked = \(failures >= lockoutAfter) WHERE key = \(key)
                """, logger: Self.logger)
            return (nil, failures)
        }
    }

    public func clearThrottle(key: String) async throws {
        try await transaction { c in try await c.query("DELETE FROM sign_in_throttle WHERE key = \(key)", logger: Self.logger) }
    }

    public func clearThrottles(prefix: String) async throws {
        // Not LIKE (the keys' `_` is a wildcard), nor a range (the database's collation orders
        // punctuation its own way): the key's beginning, compared exactly.
        try await transaction { c in
            try await c.query("DELETE FROM sign_in_throttle WHERE starts_with(key, \(prefix))", logger: Self.logger)
        }
    }

    public func knownSource(key: String, since: Date) async throws -> Bool {
        try await read { c in
            try await c.query("""
                SELECT 1::int FROM sign_in_throttle WHERE key = \(key) AND last_attempt_at >= \(since.millis) AND failures = 0 AND NOT locked
                """, logger: Self.logger).decode(Int.self).collect().first != nil
        }
    }

    public func noteKnownSource(key: String, at: Date) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO sign_in_throttle(key, failures, last_attempt_at, locked) VALUES (\(key), 0, \(at.millis), false)
                ON CONFLICT (key) DO UPDATE SET failures = 0, last_attempt_at = \(at.millis), locked = false
                """, logger: Self.logger)
        }
    }

    public func addNotice(account: AccountID, kind: String, detail: String, at: Date) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO account_notice(id, account_id, at, kind, detail) VALUES (\(Identifier<AccountTag>().rawValue), \(account.rawValue), \(at.millis), \(kind), \(detail))
                """, logger: Self.logger)
        }
    }
}

/// The per-address limits on PostgreSQL: one count for every server on the database.
extension PostgresStore: SharedSourceStorage {
    public func recordSourceFailure(limit: String, source: String, at: Date, keepingSince: Date) async throws {
        try await transaction { c in
            try await c.query("""
                DELETE FROM source_failure WHERE limit_name = \(limit) AND at < \(keepingSince.millis)
                """, logger: Self.logger)
            try await c.query("INSERT INTO source_failure(limit_name, source, at) VALUES (\(limit), \(source), \(at.millis))", logger: Self.logger)
        }
    }

    public func sourceFailures(limit: String, source: String, since: Date, max: Int) async throws -> [Date] {
        try await read { c in
            try await c.query("""
                SELECT at FROM source_failure WHERE limit_name = \(limit) AND source = \(source) AND at > \(since.millis) ORDER BY at, seq LIMIT \(max)
                """, logger: Self.logger).decode(Int64.self).collect().map(Date.init(millis:))
        }
    }
}
