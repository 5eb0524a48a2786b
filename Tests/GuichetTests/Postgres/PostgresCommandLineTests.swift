import Foundation
import Testing
import GuichetCore
import GRDB
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
        // A bad administrator name is refused before the folder, the key file or the schema is made:
        // the same database then takes the registry.
        let bad = try await CommandLineTests.run(["init", "--data", data, "--profile", "place05", "--store", address.typed, "--admin", "Bad Name"])
        #expect(bad.status != 0 && bad.stderr.contains("a user name has 3 to 64 characters"), "\(bad.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data), "nothing was made")
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
        #expect(refused.status != 0 && refused.stderr.contains("connection refused") && !(refused.stderr + refused.stdout).contains("s3cret-pw"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: again))

        let wrong = try await CommandLineTests.run(["init", "--data", again, "--profile", "place05", "--store", "mysql://u@h/d"])
        #expect(wrong.status != 0 && wrong.stderr.contains("store:"), "\(wrong.stderr)")
        #expect(!FileManager.default.fileExists(atPath: again))
        try await PostgresLedgerTests.drop(address)
    }

    @Test("a password given with the address never reaches guichet.yaml; later commands take it from PGPASSWORD, and a missing or wrong one is refused at once, saying so without the password")
    func passwordKeptOut() async throws {
        let server = try #require(TestPostgres.server)
        let secret = "pw-\(UUID().uuidString.prefix(13))"  // synthetic, made for this run
        let address = try await PostgresLedgerTests.freshDatabase()
        // scripts/postgres-cluster checks this role's password (scram-sha-256); every other role connects on trust.
        try await PostgresLedgerTests.admin(server) { admin in
            try await admin.execute("DO $$ BEGIN CREATE ROLE guichet_pw LOGIN SUPERUSER; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
            try await admin.execute("ALTER ROLE guichet_pw PASSWORD '\(secret)'")
        }
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data").path
        let bare = "postgres://guichet_pw@\(address.host):\(address.port)/\(address.database)?sslmode=disable"
        let made = try await CommandLineTests.run(["init", "--data", data, "--profile", "place05", "--store", bare.replacingOccurrences(of: "guichet_pw@", with: "guichet_pw:\(secret)@")])
        try #require(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("was not written to guichet.yaml") && made.stdout.contains("PGPASSWORD"), "\(made.stdout)")
        let settings = try String(contentsOfFile: data + "/guichet.yaml", encoding: .utf8)
        #expect(settings.contains("store: \(bare)") && !settings.contains(secret), "\(settings)")

        var environment = ProcessInfo.processInfo.environment
        environment["PGPASSWORD"] = nil
        environment["GUICHET_STORE"] = nil
        func verify(password: String?) async throws -> Child.Result {
            environment["PGPASSWORD"] = password
            return try await Child.run(CommandLineTests.binary.path, ["ledger", "verify", "--data", data], directory: Repo.root, environment: environment, timeout: 600)
        }
        let none = try await verify(password: nil)
        #expect(none.status != 0 && none.stderr.contains("refused the user or its password") && none.stderr.contains("no password was given: put it in PGPASSWORD"),
                "\(none.stderr)")
        let wrong = try await verify(password: "pw-not-this-one")
        #expect(wrong.status != 0 && wrong.stderr.contains("refused the user or its password") && !wrong.output.contains("pw-not-this-one"), "\(wrong.stderr)")
        let right = try await verify(password: secret)
        #expect(right.status == 0 && right.stdout.contains("ledger verified") && !right.output.contains(secret), "\(right.stderr)")
        try await PostgresLedgerTests.drop(address)
    }

    @Test("the console commands work on PostgreSQL; backup and restore say to use PostgreSQL's own tools and change nothing")
    func console() async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data").path
        #expect(try await CommandLineTests.run(["init", "--data", data, "--profile", "place05", "--store", address.typed]).status == 0)
        func ok(_ args: [String]) async throws -> String {
            let r = try await CommandLineTests.run(args + ["--data", data])
            #expect(r.status == 0, "guichet \(args.prefix(2).joined(separator: " ")): \(r.stderr)")
            // A one-shot command does not take part in the signer's election (an operator's audit:
            // each said it was elected to sign and to run the retention and the SIEM export).
            #expect(!r.stderr.contains("elected"), "guichet \(args.prefix(2).joined(separator: " ")): \(r.stderr)")
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

        for args in [["backup", "--out", base.appendingPathComponent("b.sqlite").path]] {
            let r = try await CommandLineTests.run(args + ["--data", data])
            #expect(r.status != 0 && r.stderr.contains("PostgreSQL database") && !r.stderr.contains("s3cret"), "guichet \(args[0]): \(r.stderr)")
        }
        // `serve --store` naming a database that holds no registry (a typo, a wrong database) starts nothing.
        let other = try await PostgresLedgerTests.freshDatabase()
        let served = try await CommandLineTests.run(["serve", "--data", data, "--store", other.typed, "--port", "0", "--admin-port", "0"])
        #expect(served.status != 0 && served.stderr.contains("holds no registry") && served.stderr.contains("nothing was changed"), "\(served.stderr)")
        #expect(try await StoreCopyTests.count(other, "information_schema.tables", where: "table_schema = 'public'") == 0, "no table was made in it")
        try await PostgresLedgerTests.drop(other)
        let restore = try await CommandLineTests.run(["restore", "--from", data + "/guichet.yaml", "--data", data, "--replace"])
        #expect(restore.status != 0 && restore.stderr.contains("pg_restore"), "\(restore.stderr)")
        #expect(!FileManager.default.fileExists(atPath: data + "/guichet.sqlite"), "no command wrote a SQLite file into the folder")
        #expect(!FileManager.default.fileExists(atPath: base.appendingPathComponent("b.sqlite").path))
        try await PostgresLedgerTests.drop(address)
    }

    @Test("on a registry moved to PostgreSQL, key rotation re-wraps every data key there and retires the old version, and retention archives and erases there; the SQLite file left behind is untouched")
    func keysAndRetention() async throws {
        let base = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: base) }
        let data = base.appendingPathComponent("data").path
        let demo = try await CommandLineTests.run(["demo", "--data", data, "--size", "30", "--no-serve"])
        try #require(demo.status == 0, "\(demo.stderr)")
        // Three applications withdrawn 400 days ago (synthetic: the demo's are all recent), before the move.
        let old = Int64((Date().timeIntervalSince1970 - 400 * 86_400) * 1000)
        let ids = try await DatabaseQueue(path: data + "/guichet.sqlite").write { db -> [String] in
            let ids = try String.fetchAll(db, sql: "SELECT id FROM dossier WHERE status = 'waiting' ORDER BY id LIMIT 3")
            for id in ids { try db.execute(sql: "UPDATE dossier SET status = 'withdrawn', updated_at = ? WHERE id = ?", arguments: [old, id]) }
            return ids
        }
        try #require(ids.count == 3)
        let address = try await PostgresLedgerTests.freshDatabase()
        // A password typed in the address (this role is trusted, so any works) is not written to guichet.yaml.
        let typed = address.typed.replacingOccurrences(of: "\(address.user)@", with: "\(address.user):pw-typed-not-kept@")
        let moved = try await CommandLineTests.run(["store", "copy", "--data", data, "--to", typed, "--switch-over"])
        try #require(moved.status == 0, "\(moved.stderr)")
        #expect(moved.stdout.contains("PGPASSWORD") && !(moved.stdout + moved.stderr).contains("pw-typed-not-kept"), "\(moved.stdout)")
        let yaml = try String(contentsOfFile: data + "/guichet.yaml", encoding: .utf8)
        #expect(yaml.contains("store: \(address.typed)") && !yaml.contains("pw-typed-not-kept"), "\(yaml)")
        let wrapped = try await StoreCopyTests.count(address, "data_key", where: "wrapped IS NOT NULL")
        #expect(wrapped > 30)
        func ok(_ args: [String]) async throws -> String {
            let r = try await CommandLineTests.run(args + ["--data", data])
            #expect(r.status == 0, "guichet \(args.prefix(2).joined(separator: " ")): \(r.stderr)")
            // A one-shot command does not take part in the signer's election (an operator's audit:
            // each said it was elected to sign and to run the retention and the SIEM export).
            #expect(!r.stderr.contains("elected"), "guichet \(args.prefix(2).joined(separator: " ")): \(r.stderr)")
            return r.stdout
        }

        #expect(try await ok(["keys", "status"]).contains("version 1 (current): \(wrapped) data keys"))
        let rotated = try await CommandLineTests.run(["keys", "rotate", "--data", data])
        #expect(rotated.status == 0 && rotated.stdout.contains("rotated to version 2") && rotated.stdout.contains("\(wrapped) data keys re-wrapped"),
                "\(rotated.stdout) \(rotated.stderr)")
        #expect(rotated.stderr.contains("re-wrapped \(wrapped) / \(wrapped) data keys under version 2"), "progress: \(rotated.stderr)")
        #expect(rotated.stdout.contains("to every other server of this database now"), "the other servers need the new file: \(rotated.stdout)")
        #expect(try await StoreCopyTests.count(address, "data_key", where: "wrapped IS NOT NULL AND kek_version = 2") == wrapped)
        _ = try await ok(["keys", "retire", "--version", "1"])
        let status = try await ok(["keys", "status"])
        #expect(status.contains("version 2 (current): \(wrapped) data keys") && !status.contains("version 1"), "\(status)")

        // Each command opened the registry with the rotated key file: its key check unwraps a stored data key.
        let dry = try await ok(["retention", "run", "--dry-run"])
        #expect(Set(dry.split(separator: "\n").filter { $0.hasPrefix("would erase ") }.map { String($0.dropFirst(12)) }) == Set(ids), "\(dry)")
        #expect(try await StoreCopyTests.count(address, "dossier_lifecycle") == 0, "a dry run changes nothing")
        let run = try await ok(["retention", "run", "--batch", "2"])
        #expect(run.contains("application withdrawn: erased 3 dossiers"), "\(run)")
        let list = ids.map { "'\($0)'" }.joined(separator: ",")
        #expect(try await StoreCopyTests.count(address, "data_key", where: "wrapped IS NULL AND subject_id IN (\(list))") == 3)
        #expect(try await ok(["retention", "run"]).contains("0 archived, 0 erased"))
        #expect(try await ok(["ledger", "verify"]).contains("ledger verified"))

        // None of it touched the SQLite file the registry moved from.
        let sqlite = try await DatabaseQueue(path: data + "/guichet.sqlite").read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM data_key WHERE kek_version <> 1") ?? -1,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dossier_lifecycle") ?? -1)
        }
        #expect(sqlite == (0, 0))
        try await PostgresLedgerTests.drop(address)
    }
}
