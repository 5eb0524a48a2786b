import Foundation
import Testing
import GuichetPostgres
import PostgresNIO

/// The servers' own PostgreSQL role (issue 19): `guichet store grant` gives it what a server
/// needs, and the database refuses it, beside its triggers, any change to the ledger and the
/// kept records, and any change to the tables themselves.
@Suite(.serialized, .enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresServerRoleTests {
    /// The SQLSTATE of what the database answered `sql`, run as `address`'s user; nil when it ran.
    static func refusal(_ sql: String, as address: PostgresAddress) async throws -> String? {
        let admin = try await PostgresAdmin.connect(address)
        defer { Task { await admin.close() } }
        do {
            try await admin.execute(sql)
            return nil
        } catch let error as PSQLError {
            return error.serverInfo?[.sqlState] ?? "\(error.code)"
        }
    }

    @Test("a role granted by guichet store grant runs the console and signs checkpoints, and may add to the ledger but never change it, delete from it, turn its triggers off, nor make a table")
    func serverRole() async throws {
        let owner = try await PostgresLedgerTests.freshDatabase()
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("registry").path
        #expect(try await CommandLineTests.run(["init", "--data", data, "--profile", "place05", "--store", owner.typed]).status == 0)

        let role = "guichet_server_\(UUID().uuidString.prefix(8).lowercased().replacingOccurrences(of: "-", with: ""))"
        let refused = try await CommandLineTests.run(["store", "grant", "--data", data, "--role", role])
        #expect(refused.status != 0 && refused.stderr.contains("has no role '\(role)'") && refused.stderr.contains("CREATE ROLE"), "\(refused.stderr)")
        // The sentence alone, not postgres-nio's transaction error around it.
        #expect(refused.stderr.contains("Error: the role cannot be used: the server has no role") && !refused.stderr.contains("PostgresTransactionError"),
                "\(refused.stderr)")
        try await PostgresLedgerTests.admin(owner) { try await $0.execute("CREATE ROLE \(role) LOGIN") }
        let ownRole = try await CommandLineTests.run(["store", "grant", "--data", data, "--role", owner.user])
        #expect(ownRole.status != 0 && ownRole.stderr.contains("owns the tables") && !ownRole.stderr.contains("PostgresTransactionError"), "\(ownRole.stderr)")
        let badName = try await CommandLineTests.run(["store", "grant", "--data", data, "--role", "x; DROP TABLE account"])
        #expect(badName.status != 0 && badName.stderr.contains("the role cannot be used: its name")
                && badName.stderr.contains("not a plain PostgreSQL identifier") && !badName.stderr.contains("address"), "\(badName.stderr)")
        let granted = try await CommandLineTests.run(["store", "grant", "--data", data, "--role", role])
        #expect(granted.status == 0, "\(granted.stderr)")
        #expect(granted.stdout.contains("ledger_entry: no DELETE or UPDATE") && granted.stdout.contains("dossier_version: no DELETE or UPDATE")
                && granted.stdout.contains("dossier: no DELETE"), "\(granted.stdout)")

        // The address it prints for the servers keeps the folder's TLS mode.
        let server = try PostgresAddress(parsing: "postgres://\(role)@\(owner.host):\(owner.port)/\(owner.database)?sslmode=disable")
        #expect(granted.stdout.contains("start every server with the address \(server.setting) in GUICHET_STORE"), "\(granted.stdout)")
        // The console and the checkpoint signer as the role: it reads and writes, and appends.
        var environment = ProcessInfo.processInfo.environment
        environment["GUICHET_STORE"] = server.typed
        func run(_ args: [String]) async throws -> Child.Result {
            try await Child.run(CommandLineTests.binary.path, args + ["--data", data], directory: Repo.root, environment: environment, timeout: 600)
        }
        let before = try await StoreCopyTests.count(owner, "ledger_entry")
        let signedBefore = try await StoreCopyTests.count(owner, "ledger_checkpoint")
        for args in [["territories", "add", "--code", "06", "--name", "Alpes-Maritimes"],
                     ["organisations", "add", "--kind", "operator", "--name", "Coopérative"],
                     ["ledger", "checkpoint"]] {
            let r = try await run(args)
            #expect(r.status == 0, "\(args): \(r.stderr)")
        }
        let entries = try await StoreCopyTests.count(owner, "ledger_entry")
        #expect(entries == before + 2, "each of the role's two changes was journalled: \(before) then \(entries) entries")
        #expect(try await StoreCopyTests.count(owner, "ledger_checkpoint") == signedBefore + 1, "the role signed a checkpoint")

        // What the role may not do, refused by the database's grants (42501), not by a trigger.
        for sql in ["UPDATE ledger_entry SET request_id = 'x'", "DELETE FROM ledger_entry", "DELETE FROM ledger_checkpoint",
                    "UPDATE dossier_version SET change = 'x'", "DELETE FROM dossier",
                    "ALTER TABLE ledger_entry DISABLE TRIGGER USER", "DROP TRIGGER ledger_entry_append_only ON ledger_entry",
                    "CREATE TABLE stolen (x int)", "INSERT INTO guichet_migration(name) VALUES ('x')"] {
            #expect(try await Self.refusal(sql, as: server) == "42501", "\(sql)")
        }
        // The owner, for comparison, is refused the same UPDATE by the trigger (P0001), not the grants.
        #expect(try await Self.refusal("UPDATE ledger_entry SET request_id = 'x'", as: owner) == "P0001")

        let verified = try await run(["ledger", "verify"])
        #expect(verified.status == 0 && verified.stdout.contains("ledger verified"), "\(verified.stdout) \(verified.stderr)")
    }
}
