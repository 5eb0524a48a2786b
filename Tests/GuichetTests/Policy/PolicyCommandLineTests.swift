import Foundation
import Testing
import GRDB

/// `guichet policy test`, `guichet policy explain` and `guichet demo --profile emploi`, run as a user runs them.
@Suite(.serialized) struct PolicyCommandLineTests {
    @Test("guichet policy test runs a profile's table and exits 0 when every row holds")
    func tablePasses() async throws {
        for name in ["place05", "emploi"] {
            let r = try await CommandLineTests.run(["policy", "test", name])
            #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
            #expect(r.stdout.contains("\(name): ") && r.stdout.contains("rows hold") && !r.stdout.contains("FAIL"))
        }
    }

    @Test("guichet policy test prints each failing row with its line and exits non-zero")
    func tableFails() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(atPath: Repo.root.appendingPathComponent("profiles/emploi/profile.yaml").path,
                                         toPath: folder.appendingPathComponent("profile.yaml").path)
        try """
        tests:
          - name: partners see the NIR (wrong on purpose)
            role: partner-adviser
            relations: [assigned]
            action: read
            dossier: job-seeker
            purpose: disability-support
            expect: allow
            fields: ["seeker.*"]
          - name: a job seeker reads their own file
            role: job-seeker
            relations: [linked-person:seeker]
            action: read
            dossier: job-seeker
            expect: allow
        """.write(to: folder.appendingPathComponent("policy-tests.yaml"), atomically: true, encoding: .utf8)
        let r = try await CommandLineTests.run(["policy", "test", folder.path])
        #expect(r.status != 0)
        #expect(r.stdout.contains("FAIL policy-tests.yaml:2 partners see the NIR (wrong on purpose): fields granted but not expected: category,"), "\(r.stdout)")
        #expect(r.stdout.contains("; fields expected but not granted: seeker.address, seeker.nir\n"), "\(r.stdout)")
        #expect(r.stdout.contains("1 of 2 rows hold, 1 failed"))
    }

    @Test("guichet demo --profile emploi generates job seekers and caseloads; policy explain says why on that data folder")
    func demoAndExplain() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("emploi").path
        let demo = try await CommandLineTests.run(["demo", "--profile", "emploi", "--data", data, "--size", "800", "--no-serve"])
        #expect(demo.status == 0, "\(demo.stderr)")
        #expect(demo.stdout.contains("generated 800 job-seeker files"))
        let accounts = try JSONDecoder().decode([String: [[String: String]]].self, from: Data(contentsOf: URL(fileURLWithPath: data + "/demo-accounts.json")))
        #expect(Set(accounts["accounts"]?.compactMap { $0["role"] } ?? []) == ["admin", "security", "adviser", "partner-adviser", "job-seeker"])

        let db = try RegistryFolder(data: data).database
        let partner = try #require(try await db.strings("SELECT id FROM account WHERE username = 'partner1.demo'").first)
        let mine = try #require(try await db.strings("SELECT id FROM dossier WHERE assigned_agent_id = '\(partner)' AND status = 'registered' LIMIT 1").first)
        let other = try #require(try await db.strings("SELECT id FROM dossier WHERE assigned_agent_id IS NULL AND status = 'registered' LIMIT 1").first)

        let denied = try await CommandLineTests.run(["policy", "explain", "--data", data, "--as", "partner1.demo", "--dossier=\(other)",
                                               "--action", "read", "--purpose", "disability-support"])
        #expect(denied.status == 0, "\(denied.stderr)")
        #expect(denied.stdout.contains("partner-adviser-own-caseload (allow): not matched: relation: the rule needs 'assigned': the dossier is not assigned to the account"), "\(denied.stdout)")
        #expect(denied.stdout.contains("adviser-agency-files (allow): not matched: role: the rule is not for role 'partner-adviser'"))
        #expect(denied.stdout.contains("decision: DENY (no-rule)"))

        let allowed = try await CommandLineTests.run(["policy", "explain", "--data", data, "--as", "partner1.demo", "--dossier=\(mine)",
                                                "--action", "read", "--purpose", "disability-support"])
        #expect(allowed.stdout.contains("partner-adviser-own-caseload (allow): MATCHED"), "\(allowed.stdout)")
        #expect(allowed.stdout.contains("decision: ALLOW by partner-adviser-own-caseload"))
        #expect(allowed.stdout.contains("readable: category, disability,") && !allowed.stdout.contains("seeker.nir"))

        let noPurpose = try await CommandLineTests.run(["policy", "explain", "--data", data, "--as", "partner1.demo", "--dossier=\(mine)", "--action", "read"])
        #expect(noPurpose.stdout.contains("purpose: no purpose was stated; the rule needs one of disability-support"), "\(noPurpose.stdout)")
        #expect(noPurpose.stdout.contains("decision: DENY (purpose-not-allowed)"))

        let bad = try await CommandLineTests.run(["policy", "explain", "--data", data, "--as", "nobody", "--dossier=\(mine)", "--action", "read"])
        #expect(bad.status != 0 && bad.stderr.contains("no account 'nobody'"))
    }
}
