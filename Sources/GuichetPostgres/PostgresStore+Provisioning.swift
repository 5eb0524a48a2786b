public import Foundation
public import GuichetCore
@_spi(VaultOnly) public import GuichetStore
import PostgresNIO

/// Territories, organisations, caseloads and their requests, ranking, federated identities,
/// import runs, and the small reads of the server's pages, on PostgreSQL.
extension PostgresStore {
    // MARK: territories and organisations

    /// Adds a territory. - Throws: ``StoreError/duplicate(_:)`` when the code exists.
    public func insert(territory t: Territory, by: AccountID?, at: Date) async throws {
        try await transaction { c in
            let inserted = try await c.query("""
                INSERT INTO territory(code, name, created_at, created_by) VALUES (\(t.code), \(t.name), \(at.millis), \(by?.rawValue))
                ON CONFLICT (code) DO NOTHING RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect()
            guard !inserted.isEmpty else { throw StoreError.duplicate("territory") }
        }
    }

    /// Every territory, by code.
    public func territories() async throws -> [Territory] {
        try await read { c in
            try await c.query("SELECT code, name FROM territory ORDER BY code", logger: Self.logger).decode((String, String).self).collect()
                .map { Territory(code: $0.0, name: $0.1) }
        }
    }

    /// Whether a territory of this code exists.
    public func territoryExists(_ code: String) async throws -> Bool {
        try await read { c in try await !c.query("SELECT 1::int FROM territory WHERE code = \(code)", logger: Self.logger).decode(Int.self).collect().isEmpty }
    }

    /// Whether an organisation of this kind and name exists.
    public func organisationExists(kind: String, name: String) async throws -> Bool {
        try await read { c in
            try await !c.query("SELECT 1::int FROM organisation WHERE kind = \(kind) AND name = \(name) LIMIT 1", logger: Self.logger)
                .decode(Int.self).collect().isEmpty
        }
    }

    /// Organisations, optionally of one kind, by name.
    public func organisations(kind: String?) async throws -> [Organisation] {
        try await read { c in
            try await c.query("""
                SELECT id, kind, name, territory, capacity FROM organisation WHERE (\(kind)::text IS NULL OR kind = \(kind)) ORDER BY name, id
                """, logger: Self.logger).decode((String, String, String, String?, Int?).self).collect()
                .map { Organisation(id: OrganisationID(trusted: $0.0), kind: $0.1, name: $0.2, territory: $0.3, capacity: $0.4) }
        }
    }

    /// Notes that the server's command line made this account while provisioning.
    public func markProvisionedOnConsole(_ account: AccountID) async throws {
        try await transaction { c in
            try await c.query("UPDATE account SET provisioned_on_console = true WHERE id = \(account.rawValue)", logger: Self.logger)
        }
    }

    // MARK: caseloads

    /// Puts dossiers in an account's caseload, all or none.
    /// - Returns: the dossiers' previous assignees (nil: none), in the order given.
    /// - Throws: ``StoreError/notFound`` when one of the dossiers does not exist (nothing changes).
    public func assignCaseload(_ dossiers: [DossierID], to account: AccountID) async throws -> [AccountID?] {
        try await transaction { c in try await Self.assign(c, dossiers, to: account) }
    }

    static func assign(_ c: PostgresConnection, _ dossiers: [DossierID], to account: AccountID) async throws -> [AccountID?] {
        var previous: [AccountID?] = []
        for id in dossiers {
            // The row is locked, so that the assignee returned is the one replaced.
            guard let row = try await c.query("SELECT assigned_agent_id FROM dossier WHERE id = \(id.rawValue) FOR UPDATE", logger: logger)
                .decode(String?.self).collect().first else { throw StoreError.notFound }
            previous.append(row.map(AccountID.init(trusted:)))
            try await c.query("UPDATE dossier SET assigned_agent_id = \(account.rawValue) WHERE id = \(id.rawValue)", logger: logger)
        }
        return previous
    }

    /// Assigns dossiers to an account (synthetic data and tests). - Returns: how many exist.
    @discardableResult
    public func assign(_ dossiers: [DossierID], to account: AccountID) async throws -> Int {
        try await transaction { c in
            try await c.query("""
                UPDATE dossier SET assigned_agent_id = \(account.rawValue) WHERE id = ANY(\(dossiers.map(\.rawValue))) RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().count
        }
    }

    /// The dossiers in an account's caseload, by id.
    public func caseload(of account: AccountID) async throws -> [DossierID] {
        try await read { c in
            try await c.query("SELECT id FROM dossier WHERE assigned_agent_id = \(account.rawValue) ORDER BY id", logger: Self.logger)
                .decode(String.self).collect().map(DossierID.init(trusted:))
        }
    }

    /// Moves dossiers from one caseload to another, all or none.
    /// - Throws: ``StoreError/notFound`` when a dossier given is not in `from`'s caseload.
    public func transferCaseload(from: AccountID, to: AccountID, only: [DossierID]?) async throws -> [DossierID] {
        try await transaction { c in try await Self.transfer(c, from: from, to: to, only: only) }
    }

    static func transfer(_ c: PostgresConnection, from: AccountID, to: AccountID, only: [DossierID]?) async throws -> [DossierID] {
        let ids: [DossierID]
        if let only {
            for id in only {
                let holder = try await c.query("SELECT assigned_agent_id FROM dossier WHERE id = \(id.rawValue) FOR UPDATE", logger: logger)
                    .decode(String?.self).collect().first ?? nil
                guard holder == from.rawValue else { throw StoreError.notFound }
            }
            ids = only
        } else {
            ids = try await c.query("SELECT id FROM dossier WHERE assigned_agent_id = \(from.rawValue) ORDER BY id FOR UPDATE", logger: logger)
                .decode(String.self).collect().map(DossierID.init(trusted:))
        }
        try await c.query("""
            UPDATE dossier SET assigned_agent_id = \(to.rawValue) WHERE id = ANY(\(ids.map(\.rawValue))) AND assigned_agent_id = \(from.rawValue)
            """, logger: logger)
        return ids
    }

    /// Records a caseload request.
    public func insert(caseloadRequest r: CaseloadRequest) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO caseload_request(id, kind, from_account, to_account, dossiers, requested_by, requested_at)
                VALUES (\(r.id), \(r.kind.rawValue), \(r.from?.rawValue), \(r.to.rawValue), \(r.dossiers.map(\.rawValue).joined(separator: "\n")),
                    \(r.requestedBy.rawValue), \(r.requestedAt.millis))
                """, logger: Self.logger)
        }
    }

    typealias CaseloadRow = (String, String, String?, String, String, String, Int64)
    static let caseloadColumns = "SELECT id, kind, from_account, to_account, dossiers, requested_by, requested_at FROM caseload_request"

    static func caseloadRequest(_ r: CaseloadRow) -> CaseloadRequest {
        CaseloadRequest(id: r.0, kind: CaseloadRequest.Kind(rawValue: r.1) ?? .assign, from: r.2.map(AccountID.init(trusted:)),
                        to: AccountID(trusted: r.3), dossiers: r.4.split(separator: "\n").map { DossierID(trusted: String($0)) },
                        requestedBy: AccountID(trusted: r.5), requestedAt: Date(millis: r.6))
    }

    /// Caseload requests still waiting, oldest first.
    public func pendingCaseloadRequests() async throws -> [CaseloadRequest] {
        try await read { c in
            try await c.query(PostgresQuery(unsafeSQL: Self.caseloadColumns + " WHERE approved_by IS NULL ORDER BY requested_at"), logger: Self.logger)
                .decode(CaseloadRow.self).collect().map(Self.caseloadRequest)
        }
    }

    /// Approves a pending caseload request and makes the change, in one transaction. The
    /// table refuses an approval by the requester.
    public func approve(caseloadRequest id: String, by approver: AccountID, at: Date) async throws -> CaseloadRequest {
        try await transaction { c in
            var one = PostgresBindings()
            one.append(id)
            guard let r = try await c.query(PostgresQuery(unsafeSQL: Self.caseloadColumns + " WHERE id = $1 AND approved_by IS NULL FOR UPDATE",
                                                          binds: one), logger: Self.logger)
                .decode(CaseloadRow.self).collect().first.map(Self.caseloadRequest) else { throw StoreError.notFound }
            try await c.query("UPDATE caseload_request SET approved_by = \(approver.rawValue), approved_at = \(at.millis) WHERE id = \(id)",
                              logger: Self.logger)
            switch r.kind {
            case .assign: _ = try await Self.assign(c, r.dossiers, to: r.to)
            case .transfer:
                guard let from = r.from else { throw StoreError.notFound }
                _ = try await Self.transfer(c, from: from, to: r.to, only: r.dossiers)
            }
            return r
        }
    }

    // MARK: ranking

    /// The dossiers a partner ranks: of a type, in these states, with their sealed fields.
    public func rankCandidates(type: String, partner: OrganisationID, states: Set<String>) async throws -> [RankCandidate] {
        try await read { c in
            try await c.query("""
                SELECT d.id, d.created_at, d.fields FROM dossier_partner p JOIN dossier d ON d.id = p.dossier_id
                WHERE p.organisation_id = \(partner.rawValue) AND d.type = \(type) AND d.status = ANY(\(states.sorted()))
                """, logger: Self.logger).decode((String, Int64, Data).self).collect()
                .map { RankCandidate(id: DossierID(trusted: $0.0), createdAt: Date(millis: $0.1), fields: SealedFields(bytes: $0.2)) }
        }
    }

    // MARK: federated identities

    /// Links an issuer's subject to an account. - Throws: ``StoreError/duplicate(_:)`` when linked.
    public func linkFederatedIdentity(issuer: String, subject: String, account: AccountID, at: Date) async throws {
        try await transaction { c in
            let existing = try await c.query("""
                SELECT unlinked_at FROM federated_identity WHERE issuer = \(issuer) AND subject = \(subject) FOR UPDATE
                """, logger: Self.logger).decode(Int64?.self).collect()
            if let unlinked = existing.first {
                guard unlinked != nil else { throw StoreError.duplicate("link") }
                try await c.query("""
                    UPDATE federated_identity SET account_id = \(account.rawValue), linked_at = \(at.millis), unlinked_at = NULL
                    WHERE issuer = \(issuer) AND subject = \(subject)
                    """, logger: Self.logger)
                return
            }
            try await c.query("""
                INSERT INTO federated_identity(issuer, subject, account_id, linked_at) VALUES (\(issuer), \(subject), \(account.rawValue), \(at.millis))
                """, logger: Self.logger)
        }
    }

    /// Unlinks an issuer's subject. - Returns: whether it was linked.
    public func unlinkFederatedIdentity(issuer: String, subject: String, at: Date) async throws -> Bool {
        try await transaction { c in
            try await !c.query("""
                UPDATE federated_identity SET unlinked_at = \(at.millis) WHERE issuer = \(issuer) AND subject = \(subject) AND unlinked_at IS NULL
                RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().isEmpty
        }
    }

    /// The account an issuer's subject is linked to.
    public func federatedAccount(issuer: String, subject: String) async throws -> AccountID? {
        try await read { c in
            try await c.query("""
                SELECT account_id FROM federated_identity WHERE issuer = \(issuer) AND subject = \(subject) AND unlinked_at IS NULL
                """, logger: Self.logger).decode(String.self).collect().first.map(AccountID.init(trusted:))
        }
    }

    // MARK: import runs

    /// The latest run of an import of this file.
    public func importRun(fileDigest: String) async throws -> ImportRun? {
        try await importRun(where: "file_digest = $1 ORDER BY started_at DESC", fileDigest)
    }

    /// The oldest import of another file that started and did not end.
    public func unfinishedImport(otherThan fileDigest: String) async throws -> ImportRun? {
        try await importRun(where: "finished_at IS NULL AND file_digest <> $1 ORDER BY started_at", fileDigest)
    }

    /// The first run a condition on one text parameter finds (`$1`), in its order.
    private func importRun(where condition: String, _ parameter: String) async throws -> ImportRun? {
        var bindings = PostgresBindings()
        bindings.append(parameter)
        let query = PostgresQuery(unsafeSQL: """
            SELECT id, file_digest, mapping_digest, dossier_type, started_at, updated_at, finished_at, next_offset, next_line, dossiers, persons, skipped
            FROM import_run WHERE \(condition) LIMIT 1
            """, binds: bindings)
        return try await read { c in
            try await c.query(query, logger: Self.logger).decode((String, String, String, String, Int64, Int64, Int64?, Int64, Int64, Int64, Int64, Int64).self)
                .collect().first.map { r in
                    var run = ImportRun(id: r.0, fileDigest: r.1, mappingDigest: r.2, dossierType: r.3, startedAt: Date(millis: r.4))
                    run.updatedAt = Date(millis: r.5); run.finishedAt = r.6.map(Date.init(millis:))
                    run.nextOffset = UInt64(r.7); run.nextLine = Int(r.8); run.dossiers = Int(r.9); run.persons = Int(r.10); run.skipped = Int(r.11)
                    return run
                }
        }
    }

    /// Records a run's progress.
    public func save(importRun run: ImportRun) async throws {
        try await transaction { c in try await Self.upsert(c, run) }
    }

    /// Stores a batch of an import and the run's progress in one transaction: a run resumed
    /// after a crash starts after the last batch stored, never before nor after it.
    public func importBatch(_ items: [(DossierRecord, [NewPerson])], by: AccountID?, run: ImportRun) async throws {
        try await transaction { c in
            try await Self.insert(c, importing: items, by: by, writes: self.bulkWrites)
            try await Self.upsert(c, run)
        }
    }

    static func upsert(_ c: PostgresConnection, _ r: ImportRun) async throws {
        try await c.query("""
            INSERT INTO import_run(id, file_digest, mapping_digest, dossier_type, started_at, updated_at, finished_at,
                next_offset, next_line, dossiers, persons, skipped)
            VALUES (\(r.id), \(r.fileDigest), \(r.mappingDigest), \(r.dossierType), \(r.startedAt.millis), \(r.updatedAt.millis), \(r.finishedAt?.millis),
                \(Int64(r.nextOffset)), \(Int64(r.nextLine)), \(Int64(r.dossiers)), \(Int64(r.persons)), \(Int64(r.skipped)))
            ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, finished_at = excluded.finished_at,
                next_offset = excluded.next_offset, next_line = excluded.next_line, dossiers = excluded.dossiers,
                persons = excluded.persons, skipped = excluded.skipped
            """, logger: logger)
    }

    // MARK: the ledger's head and readiness

    /// The newest signed checkpoint.
    public func latestCheckpoint() async throws -> StoredCheckpoint? {
        try await read { c in
            try await c.query("SELECT size, root, note, at FROM ledger_checkpoint ORDER BY size DESC LIMIT 1", logger: Self.logger)
                .decode((Int64, Data, String, Int64).self).collect().first
                .map { StoredCheckpoint(size: $0.0, root: $0.1, note: $0.2, at: Date(millis: $0.3)) }
        }
    }

    /// Proves the database takes a write now.
    public func probeWrite(at: Date = Date()) async throws {
        try await setMeta("ready-probe", String(at.millis))
    }

    // MARK: the security officer's and the owner's lists

    typealias AlertRow = (String, Int64, String?, String, String, String, String, String?, String?, Int64?, String?)
    static let alertColumns = """
        SELECT id, at, account_id, detector, severity, response, detail, justification, acknowledged_by, acknowledged_at, note FROM watch_alert
        """

    static func alert(_ r: AlertRow) -> WatchAlert {
        WatchAlert(id: r.0, at: Date(millis: r.1), account: r.2.map(AccountID.init(trusted:)), detector: r.3, severity: r.4, response: r.5,
                   detail: r.6, justification: r.7, acknowledgedBy: r.8.map(AccountID.init(trusted:)), acknowledgedAt: r.9.map(Date.init(millis:)),
                   note: r.10)
    }

    /// Alerts, newest first: open ones only, or all.
    public func alerts(openOnly: Bool, account: AccountID? = nil, limit: Int) async throws -> [WatchAlert] {
        try await read { c in
            try await c.query(PostgresQuery(unsafeSQL: Self.alertColumns + """
                 WHERE (NOT $1 OR acknowledged_at IS NULL) AND ($2::text IS NULL OR account_id = $2) ORDER BY at DESC, id LIMIT $3
                """, binds: { var b = PostgresBindings(); b.append(openOnly); b.append(account?.rawValue); b.append(limit); return b }()),
                logger: Self.logger).decode(AlertRow.self).collect().map(Self.alert)
        }
    }

    /// Acknowledges an open alert. - Throws: ``StoreError/notFound`` when there is no such open alert.
    public func acknowledge(alert id: String, by: AccountID, note: String?, at: Date) async throws -> WatchAlert {
        try await transaction { c in
            guard let row = try await c.query("""
                UPDATE watch_alert SET acknowledged_by = \(by.rawValue), acknowledged_at = \(at.millis), note = \(note)
                WHERE id = \(id) AND acknowledged_at IS NULL
                RETURNING id, at, account_id, detector, severity, response, detail, justification, acknowledged_by, acknowledged_at, note
                """, logger: Self.logger).decode(AlertRow.self).collect().first else { throw StoreError.notFound }
            return Self.alert(row)
        }
    }

    /// Suspensions, newest first (open ones only, or all).
    public func suspensions(openOnly: Bool) async throws -> [Suspension] {
        try await read { c in
            try await c.query("""
                SELECT id, account_id, at, reason, reinstated_by, reinstated_at, reinstate_reason FROM watch_suspension
                WHERE (NOT \(openOnly) OR reinstated_at IS NULL) ORDER BY at DESC
                """, logger: Self.logger).decode((String, String, Int64, String, String?, Int64?, String?).self).collect().map {
                Suspension(id: $0.0, account: AccountID(trusted: $0.1), at: Date(millis: $0.2), reason: $0.3, reinstatedBy: $0.4.map(AccountID.init(trusted:)),
                           reinstatedAt: $0.5.map(Date.init(millis:)), reinstateReason: $0.6)
            }
        }
    }

    /// An account's notices, newest first.
    public func notices(account: AccountID) async throws -> [(at: Date, kind: String, detail: String)] {
        try await read { c in
            try await c.query("""
                SELECT at, kind, detail FROM account_notice WHERE account_id = \(account.rawValue) ORDER BY at DESC LIMIT 100
                """, logger: Self.logger).decode((Int64, String, String).self).collect().map { (at: Date(millis: $0.0), kind: $0.1, detail: $0.2) }
        }
    }
}
