import Foundation
import Testing
import GuichetCore
import GuichetPostgres

/// The command line on a registry that lives on PostgreSQL (issue 19): `guichet init --store`,
/// the console commands, and a clear refusal, changing nothing, from the commands that work on
/// SQLite's file only.
@Suite(.serialized, .enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresCommandLineTests {
    @Test("guichet init --store creates the registry in PostgreSQL; a database that holds one, or does not answer, is refused before any folder is made, without the password")
    func initialise() async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("one").path
        let made = try await CommandLineTests.run(["init", "--data", data, "--profile", "place05", "--store", address.typed])
        #expect(made.status == 0 && made.stdout.contains("Created"), "\(made.stderr)")
        #expect(try String(contentsOfFile: data + "/guichet.yaml", encoding: .utf8).contains("store: \(address.typed)"))
        #expect(!FileManager.default.fileExists(atPath: data + "/guichet.sqlite"), "no SQLite file beside a PostgreSQL registry")

        let again = base.appendingPathComponent("two").path
        let twice = try await CommandLineTests.run(["init", "--data", again, "--profile", "place05", "--store", address.typed])
        #expect(twice.status != 0 && twice.stderr.contains("already holds a registry"), "\(twice.stderr)")
        #expect(!FileManager.default.fileExists(atPath: again), "nothing was made")

        let closed = "postgres://guichet:s3cret-pw@127.0.0.1:1/registry?sslmode=disable"
        let refused = try await CommandLineTests.run(["init", "--data", again, "--profile", "place05", "--store", closed])
        #expect(refused.status != 0 && refused.stderr.contains("does not answer") && !(refused.stderr + refused.stdout).contains("s3cret-pw"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: again))

        let wrong = try await CommandLineTests.run(["init", "--data", again, "--profile", "place05", "--store", "mysql://u@h/d"])
        #expect(wrong.status != 0 && wrong.stderr.contains("store:"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: again))
        try await PostgresLedgerTests.drop(address)
    }

    @Test("the console commands work on PostgreSQL; backup, restore and key rotation say they do not yet and change nothing")
    func console() async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data").path
        #expect(try await CommandLineTests.run(["init", "--data", data, "--profile", "place05", "--store", address.typed]).status == 0)
        func ok(_ args: [String]) async throws -> String {
            let r = try await CommandLineTests.run(args + ["--data", data])
            #expect(r.status == 0, "guichet \(args.prefix(2).joined(separator: " ")): \(r.stderr)")
            return r.stdout
        }
        _ = try await ok(["territories", "add", "--code", "75", "--name", "Paris"])
        #expect(try await ok(["territories", "list"]).contains("75\tParis"))
        let added = try await ok(["organisations", "add", "--kind", "daycare", "--name", "CPE Exemple", "--territory", "75", "--capacity", "12"])
        let org = try #require(ProvisionCommandTests.value(after: "added", in: added))
        #expect(try await ok(["organisations", "list"]).contains(org))
        _ = try await ok(["staff", "create", "--username", "cpe.educ", "--role", "daycare", "--organisation", org])
        #expect(try await ok(["staff", "list"]).contains("cpe.educ"))
        #expect(try await ok(["breach", "list"]).isEmpty)
        let explained = try await CommandLineTests.run(["policy", "explain", "--data", data, "--as", "nobody", "--dossier=\(DossierID().rawValue)", "--action", "read"])
        #expect(explained.status != 0 && explained.stderr.contains("no account 'nobody'"), "read from PostgreSQL: \(explained.stderr)")
        #expect(try await ok(["ledger", "verify"]).contains("ledger verified"))

        for args in [["backup", "--out", base.appendingPathComponent("b.sqlite").path], ["keys", "status"]] {
            let r = try await CommandLineTests.run(args + ["--data", data])
            #expect(r.status != 0 && r.stderr.contains("PostgreSQL database") && !r.stderr.contains("s3cret"), "guichet \(args[0]): \(r.stderr)")
        }
        let restore = try await CommandLineTests.run(["restore", "--from", data + "/guichet.yaml", "--data", data, "--replace"])
        #expect(restore.status != 0 && restore.stderr.contains("pg_restore"), "\(restore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data + "/guichet.sqlite"), "no command wrote a SQLite file into the folder")
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("b.sqlite").path))
        try await PostgresLedgerTests.drop(address)
    }
}
