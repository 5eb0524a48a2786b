public import Foundation
public import GuichetCore
@_spi(VaultOnly) public import GuichetStore
public import GuichetGate
import Logging
import PostgresNIO

/// The registry's database on PostgreSQL (issue 19, item 2): what SQLite's ``Store`` keeps,
/// behind the same storage protocols, so that several servers share one database.
///
/// Every method is one transaction. Where SQLite relies on its single writer to keep a step
/// single-use or a count exact, this store takes the row's lock first (`SELECT … FOR UPDATE`,
/// or an `UPDATE … WHERE` on the expected state, which PostgreSQL re-checks once a competing
/// transaction committed), so that two servers asking at once get what one server would.
///
/// The ledger lives in the same database, over the same connections (``ledger``).
public final class PostgresStore: Sendable {
    let client: PostgresClient
    private let runner: Task<Void, Never>
    public let address: PostgresAddress
    /// The access ledger in this database, sharing this store's connections.
    public let ledger: PostgresLedger
    /// How imported batches are written (``PostgresBulkWrites``; arrays through `unnest` unless told otherwise).
    public let bulkWrites: PostgresBulkWrites
    static var logger: Logger { PostgresPool.logger }

    private init(_ address: PostgresAddress, connections: Int, bulkWrites: PostgresBulkWrites) {
        (client, runner) = PostgresPool.start(address, connections: connections)
        self.address = address
        self.bulkWrites = bulkWrites
        ledger = PostgresLedger(sharing: client, address: address)
    }

    /// Connects (at most `connections` at once; the first within `timeout`) and brings the
    /// registry's and the ledger's tables up to date.
    /// - Throws: ``PostgresStoreError/unavailable(_:)`` when the server does not answer.
    /// - Parameter existing: refuse a database without Guichet's tables, creating nothing in it
    ///   (``PostgresStoreError/noRegistry(_:)``); otherwise they are created.
    /// - Parameter bulkWrites: how imported batches reach the tables (the benchmark compares both).
    public static func open(_ address: PostgresAddress, connections: Int = 16, timeout: Duration = .seconds(30),
                            existing: Bool = false, bulkWrites: PostgresBulkWrites = .arrays) async throws -> PostgresStore {
        let store = PostgresStore(address, connections: connections, bulkWrites: bulkWrites)
        do {
            try await PostgresPool.ready(store.client, address, timeout: timeout, migrations: [PostgresLedger.migrations, Self.migrations],
                                         existing: existing)
        } catch {
            await store.close()
            throw error
        }
        return store
    }

    /// Shuts the connection pool down (the ledger's too), without waiting for it.
    public func close() async {
        runner.cancel()
    }

    // MARK: transactions

    /// Runs `body` in one transaction, with PostgreSQL's errors as ``StoreError``s.
    @discardableResult
    func transaction<T: Sendable>(answer: Duration = PostgresPool.answerDeadline,
                                  _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            // `body` may outlive this call: one that never gets its answer is left behind.
            return try await PostgresPool.run(client, transaction: true, answer: answer, body)
        } catch let e as PostgresTransactionError {
            throw Self.storeError(e.closureError ?? e.commitError ?? e.beginError ?? e)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Runs `body` on one connection, outside an explicit transaction (a read of one statement).
    @discardableResult
    func read<T: Sendable>(answer: Duration = PostgresPool.answerDeadline,
                           _ body: @escaping @Sendable (PostgresConnection) async throws -> T) async throws -> T {
        do {
            return try await PostgresPool.run(client, transaction: false, answer: answer, body)
        } catch {
            throw Self.storeError(error)
        }
    }

    /// Unique constraints, by name, and what a ``StoreError/duplicate(_:)`` calls them.
    static let uniques = ["account_username_key": "user name", "claim_code_live_locator": "claim locator",
                          "account_departure_pkey": "departure"]

    /// The ``StoreError`` of a failure: a sentence without any value of the request.
    static func storeError(_ error: any Error) -> any Error {
        if error is StoreError || error is StoreCopyError { return error }
        if error is PostgresPool.NoConnection {
            return StoreError.unavailable("PostgreSQL: no connection within \(PostgresPool.leaseDeadline) (the database does not answer)")
        }
        if error is PostgresPool.NoAnswer {
            return StoreError.unavailable("PostgreSQL: no answer once the statement was sent (its outcome is not known)")
        }
        guard let e = error as? PSQLError else { return StoreError.unavailable("PostgreSQL: \(type(of: error))") }
        guard e.code == .server, let state = e.serverInfo?[.sqlState] else {
            return StoreError.unavailable("PostgreSQL: \(e.code)")
        }
        switch state {
        case "23505": return StoreError.duplicate(e.serverInfo?[.constraintName].flatMap { uniques[$0] } ?? "record")
        case "23503": return StoreError.notFound
        case "53100", "53200", "53300", "57P01", "57P02", "57P03", "25006", "08000", "08003", "08006":
            return StoreError.unavailable("PostgreSQL SQLSTATE \(state)")
        default:
            // A data exception's message (class 22, "invalid input syntax for type …: \"…\"")
            // quotes the value; others name the rule or object. The detail, which can hold
            // values, is always left out.
            guard !state.hasPrefix("22") else { return StoreError.io("PostgreSQL SQLSTATE \(state): a value does not fit its column") }
            return StoreError.io("PostgreSQL SQLSTATE \(state): \(e.serverInfo?[.message]?.prefix(200) ?? "")")
        }
    }

    /// Takes a transaction-scoped advisory lock on one value's hash (a user name, a person):
    /// what serialises two servers' checks of "no such row yet" before an insert.
    static func lock(_ c: PostgresConnection, _ space: String, _ value: String) async throws {
        try await c.query("SELECT pg_advisory_xact_lock(hashtextextended(\(space + "/" + value), 0))", logger: logger)
    }

    // MARK: organisations and persons (the part of the gate's tables the others read)

    /// Adds organisations.
    public func insert(organisations: [Organisation], at: Date) async throws {
        try await transaction { c in
            for o in organisations {
                try await c.query("""
                    INSERT INTO organisation(id, kind, name, territory, capacity, created_at)
                    VALUES (\(o.id.rawValue), \(o.kind), \(o.name), \(o.territory), \(o.capacity), \(at.millis))
                    """, logger: Self.logger)
            }
        }
    }

    /// Sets or removes (nil) an organisation's capacity; false when there is no such organisation.
    public func setCapacity(of id: OrganisationID, to capacity: Int?) async throws -> Bool {
        try await transaction { c in
            try await c.query("UPDATE organisation SET capacity = \(capacity) WHERE id = \(id.rawValue) RETURNING id", logger: Self.logger)
                .decode(String.self).collect().isEmpty == false
        }
    }

    /// One organisation.
    public func organisation(_ id: OrganisationID) async throws -> Organisation? {
        try await read { c in
            try await c.query("SELECT id, kind, name, territory, capacity FROM organisation WHERE id = \(id.rawValue)", logger: Self.logger)
                .decode((String, String, String, String?, Int?).self).collect()
                .first.map { Organisation(id: OrganisationID(trusted: $0.0), kind: $0.1, name: $0.2, territory: $0.3, capacity: $0.4) }
        }
    }

    /// Stores a person on their own (a citizen signing up), at version 1: data key, fields (the
    /// current version, in `person`) and search terms.
    public func create(person p: NewPerson, at: Date) async throws {
        guard let key = p.record.key else { preconditionFailure("a new person has a data key") }
        let id = p.record.id.rawValue, fields = p.record.fields.bytes
        try await transaction { c in
            try await c.query("""
                INSERT INTO data_key(subject_id, kek_version, wrapped, created_at) VALUES (\(id), \(key.kekVersion), \(key.bytes), \(at.millis))
                """, logger: Self.logger)
            try await c.query("""
                INSERT INTO person(id, version, fields, updated_at, changed_by, change) VALUES (\(id), 1, \(fields), \(at.millis), NULL, 'register')
                """, logger: Self.logger)
            for t in p.terms {
                if t.field == PersonTerm.birthYearField {
                    try await c.query("""
                        INSERT INTO person_birth_year(person_id, tag) VALUES (\(id), \(t.term)) ON CONFLICT (person_id) DO UPDATE SET tag = excluded.tag
                        """, logger: Self.logger)
                } else {
                    try await c.query("INSERT INTO person_term(field, term, person_id) VALUES (\(t.field), \(t.term), \(id)) ON CONFLICT DO NOTHING",
                                      logger: Self.logger)
                }
            }
        }
    }

    /// Persons by id.
    public func persons(_ ids: [PersonID]) async throws -> [PersonID: PersonRecord] {
        guard !ids.isEmpty else { return [:] }
        return try await read { c in
            let rows = try await c.query("""
                SELECT p.id, p.version, p.fields, k.kek_version, k.wrapped FROM person p LEFT JOIN data_key k ON k.subject_id = p.id
                WHERE p.id = ANY(\(ids.map(\.rawValue)))
                """, logger: Self.logger).decode((String, Int, Data, Int?, Data?).self).collect()
            var out: [PersonID: PersonRecord] = [:]
            for (id, version, fields, kek, wrapped) in rows {
                let key = wrapped.flatMap { w in kek.map { WrappedKey(kekVersion: $0, bytes: w) } }
                out[PersonID(trusted: id)] = PersonRecord(id: PersonID(trusted: id), version: version, fields: SealedFields(bytes: fields), key: key)
            }
            return out
        }
    }
}

extension AsyncSequence {
    /// Every element, in order.
    func collect() async throws -> [Element] {
        var out: [Element] = []
        for try await e in self { out.append(e) }
        return out
    }
}

/// Everything the gate needs of a database, on PostgreSQL.
extension PostgresStore: GateStorage {
    /// A database server has no local folder whose free space readiness could check.
    public var localFolder: String? { nil }
}
