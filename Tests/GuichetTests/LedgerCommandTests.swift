import Foundation
import Testing

/// `guichet ledger` as an operator runs it after an incident.
@Suite(.serialized) struct LedgerCommandTests {
    @Test("ledger checkpoint, prove and verify; verify names a tampered entry and fails")
    func verifyCommand() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "20", "--no-serve"]).status == 0)
        let signed = try await CommandLineTests.run(["ledger", "checkpoint", "--data", data])
        #expect(signed.status == 0 && signed.stdout.contains("— guichet/place05/"), "stdout: \(signed.stdout) stderr: \(signed.stderr)")
        let ok = try await CommandLineTests.run(["ledger", "verify", "--data", data])
        #expect(ok.status == 0 && ok.stdout.contains("ledger verified"), "stderr: \(ok.stderr)")
        let proof = try await CommandLineTests.run(["ledger", "prove", "--data", data, "--index", "0"])
        #expect(proof.status == 0 && proof.stdout.contains("\"proof\""), "stderr: \(proof.stderr)")
        let backwards = try await CommandLineTests.run(["ledger", "prove", "--data", data, "--from", "5", "--to", "2"])
        #expect(backwards.status != 0 && backwards.stderr.contains("--from must not be after --to"), "stderr: \(backwards.stderr)")

        // An intruder who owns the database (its file, or PostgreSQL's superuser) rewrites history.
        try await RegistryFolder(data: data).execute(
            sqlite: ["DROP TRIGGER ledger_entry_no_update",
                     "UPDATE ledger_entry SET entry = CAST(replace(CAST(entry AS TEXT), 'import', 'imp0rt') AS BLOB) WHERE idx = 0"],
            postgres: ["ALTER TABLE ledger_entry DISABLE TRIGGER ledger_entry_append_only",
                       "UPDATE ledger_entry SET entry = convert_to(replace(convert_from(entry, 'UTF8'), 'import', 'imp0rt'), 'UTF8') WHERE idx = 0"])
        let bad = try await CommandLineTests.run(["ledger", "verify", "--data", data])
        #expect(bad.status != 0 && bad.stderr.contains("entry 0 does not match"), "stderr: \(bad.stderr)")
    }

    @Test("a server does not start on a ledger with an entry deleted: it says so and what to do; verify still names the entry")
    func serveRefusesDeletedEntry() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("demo").path
        #expect(try await CommandLineTests.run(["demo", "--data", data, "--size", "20", "--no-serve"]).status == 0)
        // Two more entries (a console step each), then an intruder who owns the database
        // deletes the middle one (an incident audit: the server started, served and signed
        // checkpoints on such a ledger, and nothing said so).
        for _ in 0..<2 {
            let reset = try await CommandLineTests.run(["accounts", "password-reset", "--data", data, "--username", "agent.demo"])
            #expect(reset.status == 0, "stderr: \(reset.stderr)")
        }
        let entries = try await RegistryFolder(data: data).count("ledger_entry")
        try #require(entries >= 3, "\(entries) entries")
        try await RegistryFolder(data: data).execute(
            sqlite: ["DROP TRIGGER ledger_entry_no_delete", "DELETE FROM ledger_entry WHERE idx = 1"],
            postgres: ["ALTER TABLE ledger_entry DISABLE TRIGGER USER", "DELETE FROM ledger_entry WHERE idx = 1"])
        let served = try await CommandLineTests.run(["serve", "--data", data, "--port", "0", "--admin-port", "0"])
        #expect(served.status != 0 && served.stderr.contains("the ledger is damaged: 1 of the") && served.stderr.contains("guichet ledger verify"),
                "stderr: \(served.stderr)")
        let verify = try await CommandLineTests.run(["ledger", "verify", "--data", data])
        #expect(verify.status != 0 && verify.stderr.contains("entry 1 is missing"), "stderr: \(verify.stderr)")
    }
}
