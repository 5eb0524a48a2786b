public import GuichetCore
public import Foundation
import GRDB

/// Which ledger index a breach scope starts from (the most selective filter given).
public enum LedgerIndexKey: Sendable, Equatable {
    case account(AccountID)
    case session(SessionID)
    case source(String)
    /// No actor filter: the time index alone.
    case time
}

/// One incident of the breach register (GDPR art. 33(5)). Free texts are written by the
/// security officer; they must describe, not copy, personal data.
public struct BreachIncidentRecord: Sendable, Equatable {
    public let id: String
    public var title: String
    /// The nature of the breach (confidentiality, integrity, availability; how).
    public var nature: String
    public var facts: String
    public var effects: String
    public var remedial: String
    /// Likely consequences for the persons concerned.
    public var consequences: String
    public var detectedAt: Date
    /// open, contained, notified, closed.
    public var status: String
    /// Art. 34(3)(a): the exposed fields were encrypted and the keys were not exposed.
    public var encryptedAndKeysSafe: Bool
    /// The scope query (JSON object: account, session, source, from, to).
    public var scope: JSON
    public var notifiedAuthorityAt: Date?
    public let createdAt: Date
    public let createdBy: AccountID?
    public var updatedAt: Date

    public static let statuses = ["open", "contained", "notified", "closed"]

    public init(id: String, title: String, nature: String, facts: String, effects: String, remedial: String, consequences: String,
                detectedAt: Date, status: String, encryptedAndKeysSafe: Bool, scope: JSON, notifiedAuthorityAt: Date?,
                createdAt: Date, createdBy: AccountID?, updatedAt: Date) {
        self.id = id; self.title = title; self.nature = nature; self.facts = facts; self.effects = effects; self.remedial = remedial
        self.consequences = consequences; self.detectedAt = detectedAt; self.status = status; self.encryptedAndKeysSafe = encryptedAndKeysSafe
        self.scope = scope; self.notifiedAuthorityAt = notifiedAuthorityAt; self.createdAt = createdAt; self.createdBy = createdBy
        self.updatedAt = updatedAt
    }
}

/// One recorded change of an incident.
public struct BreachIncidentChange: Sendable, Equatable {
    public let at: Date
    public let by: AccountID?
    public let change: String
    public init(at: Date, by: AccountID?, change: String) { self.at = at; self.by = by; self.change = change }
}

extension Store {
    /// Entry indexes below `below` (a checkpoint's size) from one index, in a time window,
    /// oldest first, at most `limit`: answer-sized, never a scan of the ledger.
    public func ledgerIndexes(_ key: LedgerIndexKey, from: Date?, to: Date?, below: Int64, limit: Int) async throws -> [Int64] {
        let lo = from?.millis ?? Int64.min, hi = to?.millis ?? Int64.max
        return try await read { db in
            switch key {
            case .account(let a):
                return try Self.accountIndexes(db, a, lo: lo, hi: hi, below: below, limit: limit)
            case .session(let s):
                let indexed = try Row.fetchAll(db, sql: "SELECT at, idx FROM ledger_session WHERE session_id = ? AND at >= ? AND at < ? AND idx < ? ORDER BY at, idx LIMIT ?",
                                               arguments: [s.rawValue, lo, hi, below, limit])
                return try Self.withTail(db, indexed, below: below, lo: lo, hi: hi, limit: limit) { $0.session == s.rawValue }
            case .source(let s):
                let indexed = try Row.fetchAll(db, sql: "SELECT at, idx FROM ledger_source WHERE source = ? AND at >= ? AND at < ? AND idx < ? ORDER BY at, idx LIMIT ?",
                                               arguments: [s, lo, hi, below, limit])
                return try Self.withTail(db, indexed, below: below, lo: lo, hi: hi, limit: limit) { $0.source == s }
            case .time:
                return try Int64.fetchAll(db, sql: "SELECT idx FROM ledger_entry WHERE at >= ? AND at < ? AND idx < ? ORDER BY at, idx LIMIT ?",
                                   arguments: [lo, hi, below, limit])
            }
        }
    }

    /// Entry indexes that name any of the persons or dossiers, above `after` and below
    /// `below`, oldest first (a citizen's access history, page by page): answer-sized.
    public func ledgerIndexes(persons: [PersonID], dossiers: [DossierID], after: Int64 = -1, below: Int64, limit: Int) async throws -> [Int64] {
        try await read { db in
            var out = Set<Int64>()
            let p = try db.cachedStatement(sql: "SELECT idx FROM ledger_person WHERE person_id = ? AND idx > ? AND idx < ? ORDER BY idx LIMIT ?")
            for id in persons { out.formUnion(try Int64.fetchAll(p, arguments: [id.rawValue, after, below, limit])) }
            let d = try db.cachedStatement(sql: "SELECT idx FROM ledger_dossier WHERE dossier_id = ? AND idx > ? AND idx < ? ORDER BY idx LIMIT ?")
            for id in dossiers { out.formUnion(try Int64.fetchAll(d, arguments: [id.rawValue, after, below, limit])) }
            let (ps, ds) = (Set(persons.map(\.rawValue)), Set(dossiers.map(\.rawValue)))
            for t in try Self.tailEntries(db, below: below, { $0.persons.contains(where: ps.contains) || $0.dossiers.contains(where: ds.contains) })
            where t.idx > after { out.insert(t.idx) }
            return Array(out.sorted().prefix(limit))
        }
    }

    /// An index's answer (rows of `at`, `idx` in that order) completed with the matching
    /// entries of the ledger's tail, which integration has not yet moved into the index.
    private static func withTail(_ db: Database, _ indexed: [Row], below: Int64, lo: Int64, hi: Int64, limit: Int,
                                 _ matches: (LedgerRefs) -> Bool) throws -> [Int64] {
        var all: [(at: Int64, idx: Int64)] = indexed.map { ($0[0], $0[1]) }
        let known = Set(all.map(\.idx))
        for t in try tailEntries(db, below: below, matches) where t.at >= lo && t.at < hi && !known.contains(t.idx) { all.append((t.at, t.idx)) }
        all.sort { ($0.at, $0.idx) < ($1.at, $1.idx) }
        return all.prefix(limit).map(\.idx)
    }

    // MARK: breach register

    /// Records a new incident, and its creation as its first change.
    public func insert(incident i: BreachIncidentRecord) async throws {
        try await write { db in
            try db.execute(sql: """
                INSERT INTO breach_incident(id, title, nature, facts, effects, remedial, consequences, detected_at, status,
                    encrypted_and_keys_safe, scope, notified_authority_at, created_at, created_by, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [i.id, i.title, i.nature, i.facts, i.effects, i.remedial, i.consequences, i.detectedAt.millis, i.status,
                                 i.encryptedAndKeysSafe ? 1 : 0, Self.text(i.scope), i.notifiedAuthorityAt?.millis, i.createdAt.millis,
                                 i.createdBy?.rawValue, i.updatedAt.millis])
            try db.execute(sql: "INSERT INTO breach_incident_change(incident_id, at, by, change) VALUES (?, ?, ?, ?)",
                           arguments: [i.id, i.createdAt.millis, i.createdBy?.rawValue, "registered (status \(i.status))"])
        }
    }

    /// Saves an incident's new state and a description of the change (kept for ever).
    /// - Throws: ``StoreError/notFound`` for an unknown incident.
    public func update(incident i: BreachIncidentRecord, by: AccountID?, change: String) async throws {
        try await write { db in
            try db.execute(sql: """
                UPDATE breach_incident SET title = ?, nature = ?, facts = ?, effects = ?, remedial = ?, consequences = ?, detected_at = ?,
                    status = ?, encrypted_and_keys_safe = ?, scope = ?, notified_authority_at = ?, updated_at = ? WHERE id = ?
                """, arguments: [i.title, i.nature, i.facts, i.effects, i.remedial, i.consequences, i.detectedAt.millis, i.status,
                                 i.encryptedAndKeysSafe ? 1 : 0, Self.text(i.scope), i.notifiedAuthorityAt?.millis, i.updatedAt.millis, i.id])
            guard db.changesCount == 1 else { throw StoreError.notFound }
            try db.execute(sql: "INSERT INTO breach_incident_change(incident_id, at, by, change) VALUES (?, ?, ?, ?)",
                           arguments: [i.id, i.updatedAt.millis, by?.rawValue, change])
        }
    }

    /// Adds a change to an incident's history without changing the incident.
    public func appendIncidentChange(_ id: String, change: String, at: Date, by: AccountID?) async throws {
        try await write { db in
            try db.execute(sql: "INSERT INTO breach_incident_change(incident_id, at, by, change) VALUES (?, ?, ?, ?)",
                           arguments: [id, at.millis, by?.rawValue, change])
        }
    }

    /// One incident.
    public func incident(_ id: String) async throws -> BreachIncidentRecord? {
        try await read { db in try Row.fetchOne(db, sql: "SELECT * FROM breach_incident WHERE id = ?", arguments: [id]).map(Self.incidentRecord) }
    }

    /// Every incident, by detection time.
    public func incidents() async throws -> [BreachIncidentRecord] {
        try await read { db in try Row.fetchAll(db, sql: "SELECT * FROM breach_incident ORDER BY detected_at, id").map(Self.incidentRecord) }
    }

    /// The recorded changes of an incident, oldest first.
    public func incidentChanges(_ id: String) async throws -> [BreachIncidentChange] {
        try await read { db in
            try Row.fetchAll(db, sql: "SELECT at, by, change FROM breach_incident_change WHERE incident_id = ? ORDER BY at, rowid", arguments: [id]).map {
                BreachIncidentChange(at: Date(millis: $0["at"]), by: ($0["by"] as String?).map(AccountID.init(trusted:)), change: $0["change"])
            }
        }
    }

    static func text(_ json: JSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A JSON value always encodes.
        return String(decoding: try! encoder.encode(json), as: UTF8.self)
    }

    static func incidentRecord(_ r: Row) -> BreachIncidentRecord {
        let scopeText: String = r["scope"]
        return BreachIncidentRecord(
            id: r["id"], title: r["title"], nature: r["nature"], facts: r["facts"], effects: r["effects"], remedial: r["remedial"],
            consequences: r["consequences"], detectedAt: Date(millis: r["detected_at"]), status: r["status"],
            encryptedAndKeysSafe: (r["encrypted_and_keys_safe"] as Int64) == 1,
            scope: (try? JSONDecoder().decode(JSON.self, from: Data(scopeText.utf8))) ?? .object([:]),
            notifiedAuthorityAt: (r["notified_authority_at"] as Int64?).map(Date.init(millis:)), createdAt: Date(millis: r["created_at"]),
            createdBy: (r["created_by"] as String?).map(AccountID.init(trusted:)), updatedAt: Date(millis: r["updated_at"]))
    }
}
