public import Foundation
public import GuichetCore
public import GuichetStore
import PostgresNIO

/// What oversight keeps on PostgreSQL: archive read requests, erasure requests, break-glass
/// openings and their review, partner exports and their canaries, and the statistics' counts.
/// The same rows and answers as SQLite's `Store+ArchiveRequests`, `Store+BreakGlass`,
/// `Store+Exports` and `Store+Statistics`; text is ordered bytewise (`COLLATE "C"`) as SQLite
/// orders it.
extension PostgresStore {
    // MARK: archive read requests

    /// Stores a new archive read request (pending).
    public func insertArchiveRequest(id: String, dossier: DossierID, account: AccountID, purpose: String, reference: String, at: Date) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO archive_request(id, dossier_id, account_id, purpose, reference, requested_at)
                VALUES (\(id), \(dossier.rawValue), \(account.rawValue), \(purpose), \(reference), \(at.millis))
                """, logger: Self.logger)
        }
    }

    /// One archive read request.
    public func archiveRequest(_ id: String) async throws -> ArchiveRequestRecord? {
        try await read { c in
            try await c.query("SELECT \(unescaped: Self.archiveRequestColumns) FROM archive_request WHERE id = \(id)", logger: Self.logger)
                .decode(ArchiveRequestRow.self).collect().first.map(Self.archiveRequest)
        }
    }

    /// Pending archive read requests, oldest first.
    public func pendingArchiveRequests(limit: Int = 100) async throws -> [ArchiveRequestRecord] {
        try await read { c in
            try await c.query("""
                SELECT \(unescaped: Self.archiveRequestColumns) FROM archive_request WHERE approved_by IS NULL
                ORDER BY requested_at, id COLLATE "C" LIMIT \(limit)
                """, logger: Self.logger).decode(ArchiveRequestRow.self).collect().map(Self.archiveRequest)
        }
    }

    /// Approves a pending request by another account. Returns false when it was not pending
    /// or the approver is the requester (the table refuses that too). Single-use on several
    /// servers: the `UPDATE … WHERE approved_by IS NULL` is re-checked by PostgreSQL once a
    /// competing approval commits, so only one of two approvals at once succeeds.
    public func approveArchiveRequest(_ id: String, by approver: AccountID, at: Date, expires: Date) async throws -> Bool {
        try await transaction { c in
            try await !c.query("""
                UPDATE archive_request SET approved_by = \(approver.rawValue), approved_at = \(at.millis), expires_at = \(expires.millis)
                WHERE id = \(id) AND approved_by IS NULL AND account_id <> \(approver.rawValue) RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect().isEmpty
        }
    }

    /// Whether an approved, unexpired archive read lets this account read this dossier for this purpose.
    public func archiveReadApproved(account: AccountID, dossier: DossierID, purpose: String, at: Date) async throws -> Bool {
        try await read { c in
            try await !c.query("""
                SELECT 1::int FROM archive_request WHERE account_id = \(account.rawValue) AND dossier_id = \(dossier.rawValue) AND purpose = \(purpose)
                AND approved_by IS NOT NULL AND expires_at > \(at.millis) LIMIT 1
                """, logger: Self.logger).decode(Int.self).collect().isEmpty
        }
    }

    static let archiveRequestColumns = "id, dossier_id, account_id, purpose, reference, requested_at, approved_by, expires_at"
    typealias ArchiveRequestRow = (String, String, String, String, String, Int64, String?, Int64?)

    static func archiveRequest(_ r: ArchiveRequestRow) -> ArchiveRequestRecord {
        ArchiveRequestRecord(id: r.0, dossier: DossierID(trusted: r.1), account: AccountID(trusted: r.2), purpose: r.3, reference: r.4,
                             requestedAt: Date(millis: r.5), approvedBy: r.6.map(AccountID.init(trusted:)), expiresAt: r.7.map(Date.init(millis:)))
    }

    // MARK: erasure requests

    /// Stores a completed erasure request and its receipt.
    public func insertErasureRequest(_ r: ErasureRequestRecord) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO erasure_request(id, person_id, recorded_by, reference, recorded_at, ledger_index, receipt)
                VALUES (\(r.id), \(r.person.rawValue), \(r.recordedBy.rawValue), \(r.reference), \(r.recordedAt.millis), \(r.ledgerIndex), \(r.receipt))
                """, logger: Self.logger)
        }
    }

    /// An erasure request by id.
    public func erasureRequest(_ id: String) async throws -> ErasureRequestRecord? {
        try await read { c in
            try await c.query("""
                SELECT id, person_id, recorded_by, reference, recorded_at, ledger_index, receipt FROM erasure_request WHERE id = \(id)
                """, logger: Self.logger).decode((String, String, String, String, Int64, Int64, String).self).collect().first.map {
                ErasureRequestRecord(id: $0.0, person: PersonID(trusted: $0.1), recordedBy: AccountID(trusted: $0.2), reference: $0.3,
                                     recordedAt: Date(millis: $0.4), ledgerIndex: $0.5, receipt: $0.6)
            }
        }
    }

    // MARK: break-glass

    /// Stores a new opening, unless the account already made `limit` openings since `since`.
    /// - Returns: whether the opening was stored.
    ///
    /// Race-free across servers: the transaction takes an advisory lock on the account
    /// (`break-glass/<account>`) before counting, so two openings by one account at once, on
    /// any servers, are counted one after the other (SQLite's single writer does this there).
    @discardableResult
    public func insert(breakGlass r: BreakGlassRecord, limit: Int = .max, since: Date = .distantPast) async throws -> Bool {
        try await transaction { c in
            try await Self.lock(c, "break-glass", r.account.rawValue)
            guard try await Self.breakGlassCount(c, account: r.account, since: since) < limit else { return false }
            try await c.query("""
                INSERT INTO break_glass(id, account_id, dossier_id, justification, opened_at, expires_at)
                VALUES (\(r.id), \(r.account.rawValue), \(r.dossier.rawValue), \(r.justification), \(r.openedAt.millis), \(r.expiresAt.millis))
                """, logger: Self.logger)
            return true
        }
    }

    /// How many openings an account made since a time.
    public func breakGlassCount(account: AccountID, since: Date) async throws -> Int {
        try await read { c in try await Self.breakGlassCount(c, account: account, since: since) }
    }

    static func breakGlassCount(_ c: PostgresConnection, account: AccountID, since: Date) async throws -> Int {
        try await c.query("SELECT count(*)::bigint FROM break_glass WHERE account_id = \(account.rawValue) AND opened_at >= \(since.millis)",
                          logger: logger).decode(Int.self).collect().first ?? 0
    }

    /// The opening that lets `account` read `dossier` at `now`, if any (latest expiry first).
    public func activeBreakGlass(account: AccountID, dossier: DossierID, at now: Date) async throws -> BreakGlassRecord? {
        try await read { c in
            try await c.query("""
                SELECT \(unescaped: Self.breakGlassColumns) FROM break_glass
                WHERE account_id = \(account.rawValue) AND dossier_id = \(dossier.rawValue) AND expires_at > \(now.millis) AND opened_at <= \(now.millis)
                ORDER BY expires_at DESC LIMIT 1
                """, logger: Self.logger).decode(BreakGlassRow.self).collect().first.map(Self.breakGlass)
        }
    }

    /// One opening by id.
    public func breakGlass(id: String) async throws -> BreakGlassRecord? {
        try await read { c in
            try await c.query("SELECT \(unescaped: Self.breakGlassColumns) FROM break_glass WHERE id = \(id)", logger: Self.logger)
                .decode(BreakGlassRow.self).collect().first.map(Self.breakGlass)
        }
    }

    /// Openings not yet reviewed, oldest first (openings of the same instant by id, where
    /// SQLite would give them in the order they were stored).
    public func pendingBreakGlass(limit: Int = 500) async throws -> [BreakGlassRecord] {
        try await read { c in
            try await c.query("""
                SELECT \(unescaped: Self.breakGlassColumns) FROM break_glass WHERE verdict IS NULL ORDER BY opened_at, id COLLATE "C" LIMIT \(limit)
                """, logger: Self.logger).decode(BreakGlassRow.self).collect().map(Self.breakGlass)
        }
    }

    /// Closes the review of an opening; an `unjustified` verdict also ends the access now.
    /// Single-use: the `UPDATE … WHERE verdict IS NULL` lets one of two reviews at once through.
    /// - Throws: ``StoreError/notFound`` when there is no such opening awaiting review.
    public func review(breakGlass id: String, verdict: String, by reviewer: AccountID, note: Data, at now: Date) async throws -> BreakGlassRecord {
        try await transaction { c in
            guard let row = try await c.query("""
                UPDATE break_glass SET verdict = \(verdict), reviewed_by = \(reviewer.rawValue), reviewed_at = \(now.millis), review_note = \(note),
                    expires_at = CASE WHEN \(verdict) = 'unjustified' THEN LEAST(expires_at, \(now.millis)) ELSE expires_at END
                WHERE id = \(id) AND verdict IS NULL
                RETURNING \(unescaped: Self.breakGlassColumns)
                """, logger: Self.logger).decode(BreakGlassRow.self).collect().first
            else { throw StoreError.notFound }
            return Self.breakGlass(row)
        }
    }

    static let breakGlassColumns = "id, account_id, dossier_id, justification, opened_at, expires_at, verdict, reviewed_by, reviewed_at, review_note"
    typealias BreakGlassRow = (String, String, String, Data, Int64, Int64, String?, String?, Int64?, Data?)

    static func breakGlass(_ r: BreakGlassRow) -> BreakGlassRecord {
        BreakGlassRecord(id: r.0, account: AccountID(trusted: r.1), dossier: DossierID(trusted: r.2), justification: r.3,
                         openedAt: Date(millis: r.4), expiresAt: Date(millis: r.5), verdict: r.6, reviewedBy: r.7.map(AccountID.init(trusted:)),
                         reviewedAt: r.8.map(Date.init(millis:)), reviewNote: r.9)
    }

    // MARK: partner exports

    /// Records an export and the ids of its canary rows, in one transaction.
    public func insertExport(_ e: PartnerExportRecord, canaries: [String]) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO partner_export(id, account_id, created_at, expires_at, dossiers, persons, ledger_index)
                VALUES (\(e.id), \(e.account.rawValue), \(e.createdAt.millis), \(e.expiresAt.millis), \(e.dossiers), \(e.persons), \(e.ledgerIndex))
                """, logger: Self.logger)
            if !canaries.isEmpty {
                try await c.query("INSERT INTO export_canary(row_id, export_id) SELECT u.r, \(e.id) FROM unnest(\(canaries)::text[]) AS u(r)",
                                  logger: Self.logger)
            }
        }
    }

    /// The exports whose canary rows are among these row ids, by id.
    public func exports(withCanaries rows: [String]) async throws -> [PartnerExportRecord] {
        guard !rows.isEmpty else { return [] }
        return try await read { c in
            try await c.query("""
                SELECT \(unescaped: Self.exportColumns) FROM partner_export
                WHERE id IN (SELECT export_id FROM export_canary WHERE row_id = ANY(\(rows))) ORDER BY id COLLATE "C"
                """, logger: Self.logger).decode(ExportRow.self).collect().map(Self.export)
        }
    }

    /// The exports an account made, newest first (at most `limit`).
    public func exports(account: AccountID, limit: Int = 100) async throws -> [PartnerExportRecord] {
        try await read { c in
            try await c.query("""
                SELECT \(unescaped: Self.exportColumns) FROM partner_export WHERE account_id = \(account.rawValue)
                ORDER BY created_at DESC, id COLLATE "C" LIMIT \(limit)
                """, logger: Self.logger).decode(ExportRow.self).collect().map(Self.export)
        }
    }

    static let exportColumns = "id, account_id, created_at, expires_at, dossiers, persons, ledger_index"
    typealias ExportRow = (String, String, Int64, Int64, Int, Int, Int64)

    static func export(_ r: ExportRow) -> PartnerExportRecord {
        PartnerExportRecord(id: r.0, account: AccountID(trusted: r.1), createdAt: Date(millis: r.2), expiresAt: Date(millis: r.3),
                            dossiers: r.4, persons: r.5, ledgerIndex: r.6)
    }

    // MARK: statistics

    /// Counts of the dossiers of a type (in `states`, or all), not erased, grouped by two
    /// dimensions read in clear (territory, state, waiting-time band). Personal fields are
    /// never read.
    /// - Returns: (row value, column value) → count, for the non-empty groups.
    /// - Parameter age: the age bands, for a dimension `age`: the band of the birth year of the
    ///   dossier's person of `age.person`, as the age reached in `year` (the year of the count);
    ///   `unknown` without one.
    /// - Parameter yearTags: the keyed tag of each birth year that may count (the store holds
    ///   tags, never years: `person_birth_year`); a tag not among them counts as `unknown`.
    public func countTable(type: String, states: [String], rows: StatisticDimension, columns: StatisticDimension,
                           age: AgeBands? = nil, year: Int = 0, yearTags: [String: Int] = [:], at now: Date) async throws -> [StatisticPair: Int] {
        let usesAge = rows == .age || columns == .age
        precondition(!usesAge || age != nil, "a count by age needs the profile's age bands")
        // Only fixed SQL and integers go into the text; every value is bound.
        func expression(_ d: StatisticDimension) -> String {
            switch d {
            case .territory: return "COALESCE(d.territory, '')"
            case .status: return "d.status"
            case .waiting:
                var cases = "CASE"
                for band in StatisticDimension.waitingBands {
                    let label = band.label.replacingOccurrences(of: "'", with: "''")
                    if let days = band.days {
                        cases += " WHEN \(now.millis)::bigint - d.created_at < \(days)::bigint * 86400000 THEN '\(label)'"
                    } else {
                        cases += " ELSE '\(label)'"
                    }
                }
                return cases + " END"
            case .age: return "COALESCE(b.band, '\(AgeBands.unknown.replacingOccurrences(of: "'", with: "''"))')"
            }
        }
        // Each known tag with its band, as a table the birth years' tags join.
        var tags: [String] = [], labels: [String] = []
        for (tag, born) in yearTags {
            let reached = year - born
            if let band = age?.bands.first(where: { reached >= $0.from && ($0.upTo.map { reached <= $0 } ?? true) }) {
                tags.append(tag); labels.append(band.label)
            }
        }
        let (r, col) = (expression(rows), expression(columns))
        let role = age?.person ?? ""
        let query: PostgresQuery = usesAge ? """
                SELECT \(unescaped: r) AS r, \(unescaped: col) AS c, COUNT(*)::bigint AS n FROM dossier d
                LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id
                LEFT JOIN dossier_person ap ON ap.dossier_id = d.id AND ap.role = \(role)
                LEFT JOIN person_birth_year y ON y.person_id = ap.person_id
                LEFT JOIN unnest(\(tags)::text[], \(labels)::text[]) AS b(tag, band) ON b.tag = y.tag
                WHERE d.type = \(type) AND l.erased_at IS NULL AND (cardinality(\(states)::text[]) = 0 OR d.status = ANY(\(states)::text[]))
                GROUP BY 1, 2
                """ : """
                SELECT \(unescaped: r) AS r, \(unescaped: col) AS c, COUNT(*)::bigint AS n FROM dossier d
                LEFT JOIN dossier_lifecycle l ON l.dossier_id = d.id
                WHERE d.type = \(type) AND l.erased_at IS NULL AND (cardinality(\(states)::text[]) = 0 OR d.status = ANY(\(states)::text[]))
                GROUP BY 1, 2
                """
        return try await read { c in
            var out: [StatisticPair: Int] = [:]
            for (row, column, n) in try await c.query(query, logger: Self.logger).decode((String, String, Int).self).collect() {
                out[StatisticPair(row: row, column: column)] = n
            }
            return out
        }
    }
}
