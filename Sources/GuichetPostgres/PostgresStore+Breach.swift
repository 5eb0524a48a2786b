public import Foundation
public import GuichetCore
public import GuichetStore
public import GuichetBreach
import PostgresNIO

/// The breach register on PostgreSQL: incidents and their changes, never deleted (the
/// database refuses it), each change in the transaction of what it records.
extension PostgresStore: BreachStorage {
    public func insert(incident i: BreachIncidentRecord) async throws {
        try await transaction { c in
            try await c.query("""
                INSERT INTO breach_incident(id, title, nature, facts, effects, remedial, consequences, detected_at, status,
                    encrypted_and_keys_safe, scope, notified_authority_at, created_at, created_by, updated_at)
                VALUES (\(i.id), \(i.title), \(i.nature), \(i.facts), \(i.effects), \(i.remedial), \(i.consequences), \(i.detectedAt.millis),
                    \(i.status), \(i.encryptedAndKeysSafe), \(Self.text(i.scope)), \(i.notifiedAuthorityAt?.millis), \(i.createdAt.millis),
                    \(i.createdBy?.rawValue), \(i.updatedAt.millis))
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO breach_incident_change(incident_id, at, by, change)
                VALUES (\(i.id), \(i.createdAt.millis), \(i.createdBy?.rawValue), \("registered (status \(i.status))"))
                """, logger: Self.logger)
        }
    }

    public func update(incident i: BreachIncidentRecord, by: AccountID?, change: String) async throws {
        try await transaction { c in
            let updated = try await c.query("""
                UPDATE breach_incident SET title = \(i.title), nature = \(i.nature), facts = \(i.facts), effects = \(i.effects),
                    remedial = \(i.remedial), consequences = \(i.consequences), detected_at = \(i.detectedAt.millis), status = \(i.status),
                    encrypted_and_keys_safe = \(i.encryptedAndKeysSafe), scope = \(Self.text(i.scope)),
                    notified_authority_at = \(i.notifiedAuthorityAt?.millis), updated_at = \(i.updatedAt.millis)
                WHERE id = \(i.id) RETURNING 1::int
                """, logger: Self.logger).decode(Int.self).collect()
            guard !updated.isEmpty else { throw StoreError.notFound }
            try await c.query("""
                INSERT INTO breach_incident_change(incident_id, at, by, change) VALUES (\(i.id), \(i.updatedAt.millis), \(by?.rawValue), \(change))
                """, logger: Self.logger)
        }
    }

    public func appendIncidentChange(_ id: String, change: String, at: Date, by: AccountID?) async throws {
        try await transaction { c in
            try await c.query("INSERT INTO breach_incident_change(incident_id, at, by, change) VALUES (\(id), \(at.millis), \(by?.rawValue), \(change))",
                              logger: Self.logger)
        }
    }

    public func incident(_ id: String) async throws -> BreachIncidentRecord? {
        try await incidents(where: "WHERE id = $1", id).first
    }

    public func incidents() async throws -> [BreachIncidentRecord] {
        try await incidents(where: "", nil)
    }

    public func incidentChanges(_ id: String) async throws -> [BreachIncidentChange] {
        try await read { c in
            try await c.query("SELECT at, by, change FROM breach_incident_change WHERE incident_id = \(id) ORDER BY at, seq", logger: Self.logger)
                .decode((Int64, String?, String).self).collect()
                .map { BreachIncidentChange(at: Date(millis: $0.0), by: $0.1.map(AccountID.init(trusted:)), change: $0.2) }
        }
    }

    private func incidents(where filter: String, _ id: String?) async throws -> [BreachIncidentRecord] {
        var bindings = PostgresBindings()
        if let id { bindings.append(id) }
        let query = PostgresQuery(unsafeSQL: """
            SELECT id, title, nature, facts, effects, remedial, consequences, detected_at, status, encrypted_and_keys_safe, scope,
                notified_authority_at, created_at, created_by, updated_at FROM breach_incident \(filter) ORDER BY detected_at, id
            """, binds: bindings)
        return try await read { c in
            try await c.query(query, logger: Self.logger)
                .decode((String, String, String, String, String, String, String, Int64, String, Bool, String, Int64?, Int64, String?, Int64).self)
                .collect().map { r in
                    BreachIncidentRecord(id: r.0, title: r.1, nature: r.2, facts: r.3, effects: r.4, remedial: r.5, consequences: r.6,
                                         detectedAt: Date(millis: r.7), status: r.8, encryptedAndKeysSafe: r.9,
                                         scope: (try? JSONDecoder().decode(JSON.self, from: Data(r.10.utf8))) ?? .object([:]),
                                         notifiedAuthorityAt: r.11.map(Date.init(millis:)), createdAt: Date(millis: r.12),
                                         createdBy: r.13.map(AccountID.init(trusted:)), updatedAt: Date(millis: r.14))
                }
        }
    }

    /// A scope as stored: JSON with sorted keys, as SQLite's store writes it.
    static func text(_ json: JSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // A JSON value always encodes.
        return String(decoding: try! encoder.encode(json), as: UTF8.self)
    }
}
