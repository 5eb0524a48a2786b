import Foundation
import Logging
import PostgresNIO

/// What ``PostgresStore/grantServerRole(_:)`` gave a role.
public struct ServerRoleGrant: Sendable, Equatable {
    /// The tables the role reads and writes.
    public let tables: Int
    /// The tables it may only add to (each with the operations it may not do), from the
    /// database's own append-only triggers.
    public let appendOnly: [String: [String]]
}

extension PostgresStore {
    /// Gives `role`, an existing role of the server that the `guichet serve` processes then log
    /// in as, what a server needs and no more: reading and writing Guichet's tables, except the
    /// operations that the database's append-only triggers refuse (the ledger's `UPDATE` and
    /// `DELETE`, a version's, a kept record's…), which the role is not granted at all. The
    /// role does not own the tables, so it cannot turn their triggers off either (`ALTER
    /// TABLE`), nor create or drop any. Run as the owner of the tables (the role that made the
    /// registry); run it again after an upgrade that adds tables.
    /// - Throws: ``PostgresStoreError`` for a role name that is not a plain identifier, a role
    ///   the server does not have, the owner itself or a superuser (whom grants do not bind).
    public func grantServerRole(_ role: String) async throws -> ServerRoleGrant {
        guard role.range(of: #"^[a-z_][a-z0-9_]{0,62}$"#, options: .regularExpression) != nil else {
            throw PostgresStoreError.badRole("its name '\(role)' is not a plain PostgreSQL identifier (lower-case letters, digits, _)")
        }
        do { return try await grant(role) } catch let e as PostgresTransactionError {
            // The refusals below are thrown inside the transaction: give the operator their sentence,
            // not postgres-nio's wrapper of it (the operator's audit saw the whole structure printed).
            let cause = e.closureError ?? e.commitError ?? e.beginError ?? e
            throw cause is PostgresStoreError ? cause : Self.storeError(cause)
        }
    }

    private func grant(_ role: String) async throws -> ServerRoleGrant {
        try await client.withTransaction(logger: Self.logger) { c in
            let found = try await c.query("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = \(role)", logger: Self.logger)
                .decode((Bool, Bool).self).collect()
            guard let (superuser, owner) = found.first else {
                throw PostgresStoreError.badRole("the server has no role '\(role)': create it first (CREATE ROLE \(role) LOGIN PASSWORD '…'), then grant it")
            }
            if owner { throw PostgresStoreError.badRole("'\(role)' is the role that owns the tables: give the servers another role") }
            if superuser { throw PostgresStoreError.badRole("'\(role)' is a superuser, whom no grant binds: give the servers an ordinary role") }
            // The operations each table's append-only triggers refuse outright (statement-level
            // triggers calling guichet_append_only or guichet_kept), from pg_trigger's bits.
            var refused: [String: Set<String>] = [:]
            let triggers = try await c.query("""
                SELECT c.relname::text, t.tgtype::int FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE NOT t.tgisinternal AND p.proname IN ('guichet_append_only', 'guichet_kept') AND c.relnamespace = 'public'::regnamespace
                """, logger: Self.logger).decode((String, Int).self).collect()
            for (table, type) in triggers {
                if type & 8 != 0 { refused[table, default: []].insert("DELETE") }
                if type & 16 != 0 { refused[table, default: []].insert("UPDATE") }
            }
            let tables = try await c.query("""
                SELECT tablename::text FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
                """, logger: Self.logger).decode(String.self).collect()
            // Guichet's tables are in the schema `public` (the migrations name no other).
            var statements = ["GRANT USAGE ON SCHEMA public TO \(role)",
                              "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)",
                              "GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO \(role)",
                              // The migrations' record: read at start-up, written by the owner only.
                              "REVOKE INSERT, UPDATE, DELETE ON guichet_migration FROM \(role)"]
            for (table, operations) in refused.sorted(by: { $0.key < $1.key }) {
                statements.append("REVOKE \(operations.sorted().joined(separator: ", ")) ON \(table) FROM \(role)")
            }
            for sql in statements { try await c.query(PostgresQuery(unsafeSQL: sql), logger: Self.logger) }
            return ServerRoleGrant(tables: tables.count, appendOnly: refused.mapValues { $0.sorted() })
        }
    }
}
