import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
import GuichetVault

/// From `guichet init` to working accounts with no generator (issue 16, item 1), through the
/// real `guichet` binary: territories, organisations, staff accounts with their activation
/// codes, caseloads, a claim code, a leaver; every step in the ledger, which verifies.
@Suite(.serialized) struct ProvisionCommandTests {
    /// The text after the last ": " on the line that contains `marker`.
    static func value(after marker: String, in text: String) -> String? {
        text.components(separatedBy: .newlines).first { $0.contains(marker) }?.components(separatedBy: ": ").last
    }

    @Test("an operator provisions an empty registry from the command line; bad input is refused and changes nothing; the ledger verifies")
    func provisionFromInit() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = folder.appendingPathComponent("registry").path
        func run(_ args: [String]) async throws -> CommandLineTests.Run { try await CommandLineTests.run(args + ["--data", data]) }
        #expect(try await CommandLineTests.run(["init", "--data", data]).status == 0)

        #expect(try await run(["territories", "add", "--code", "06", "--name", "Alpes-Maritimes"]).status == 0)
        let org = try await run(["organisations", "add", "--kind", "daycare", "--name", "CPE Soleil", "--territory", "06", "--capacity", "40"])
        let daycare = try #require(Self.value(after: "added", in: org.stdout), "stdout: \(org.stdout) stderr: \(org.stderr)")
        let op = try await run(["organisations", "add", "--kind", "operator", "--name", "Coopérative"])
        let operatorID = try #require(Self.value(after: "added", in: op.stdout))
        var passwords: [String: (String, String)] = [:]
        for name in ["agent.one", "agent.two"] {
            let made = try await run(["staff", "create", "--username", name, "--role", "agent", "--organisation", operatorID])
            #expect(made.status == 0, "stderr: \(made.stderr)")
            passwords[name] = (try #require(Self.value(after: "Password", in: made.stdout)), try #require(Self.value(after: "Activation code", in: made.stdout)))
            #expect(made.stdout.contains("No e-mail address: a forgotten password can be reset only once its owner sets one"), "\(made.stdout)")
            // No relay here: the advice names what is needed first, not the flag it would refuse.
            #expect(made.stdout.contains("needs a mail relay") && !made.stdout.contains("give --email"), "\(made.stdout)")
        }
        // With --email, reset codes have somewhere to go from the first day (a co-operative's
        // audit: staff made the documented way could never recover a forgotten password). An
        // address needs the mail relay that resets go through; none here: refused, saying so.
        let noRelay = try await run(["staff", "create", "--username", "agent.three", "--role", "agent", "--organisation", operatorID,
                                     "--email", "agent.three@example.org"])
        #expect(noRelay.status != 0 && noRelay.stderr.contains("no mail relay is configured"), "\(noRelay.stderr)")
        let settings = data + "/guichet.yaml"
        let plain = try String(contentsOfFile: settings, encoding: .utf8)
        try (plain + "\nsmtpHost: 127.0.0.1\nsmtpPort: 2\nmailFrom: registre@example.org\n").write(toFile: settings, atomically: true, encoding: .utf8)
        let withMail = try await run(["staff", "create", "--username", "agent.three", "--role", "agent", "--organisation", operatorID,
                                      "--email", "agent.three@example.org"])
        #expect(withMail.status == 0 && !withMail.stdout.contains("No e-mail address"), "\(withMail.stdout) \(withMail.stderr)")
        let badMail = try await run(["staff", "create", "--username", "agent.four", "--role", "agent", "--organisation", operatorID, "--email", "not an address"])
        #expect(badMail.status != 0, "\(badMail.stdout)")
        try plain.write(toFile: settings, atomically: true, encoding: .utf8)

        let registryFolder = RegistryFolder(data: data)
        let fingerprint = { () async throws -> [String: Int] in try await registryFolder.rowCounts() }
        let before = try await fingerprint()
        let refusals: [([String], String)] = [
            (["organisations", "add", "--kind", "bakery", "--name", "X"], "expected one of"),
            (["organisations", "add", "--kind", "daycare", "--name", "X", "--territory", "99"], "unknown territory"),
            (["territories", "add", "--code", "06", "--name", "again"], "exists"),
            (["staff", "create", "--username", "p.one", "--role", "parent"], "citizens"),
            (["staff", "create", "--username", "agent.one", "--role", "agent", "--organisation", operatorID], "taken"),
            (["caseload", "assign", "--adviser", "agent.one", "--dossier", "nope"], "--dossier number 1 is not a valid dossier id"),
            (["caseload", "assign", "--adviser", "agent.one", "--dossier", DossierID().rawValue], "do not exist"),
            (["caseload", "assign", "--adviser", "nobody.here", "--dossier", DossierID().rawValue], "no account"),
            (["claims", "issue", "--person", PersonID().rawValue], "not found"),
            (["staff", "deactivate", "--username", "agent.one", "--reason", ""], "reason"),
        ]
        for (args, words) in refusals {
            let r = try await run(args)
            // On PostgreSQL the command's server may log a notice (its election) while the error
            // is written: a log line can fall inside the error's text (a CI run), so log lines
            // are taken out before the error is read.
            let said = r.stderr.replacing(#/\d{4}-\d{2}-\d{2}T[0-9:.]+Z? (trace|debug|info|notice|warning) [^\n]*\n/#, with: "")
            #expect(r.status != 0 && said.contains(words), "\(args): \(r.stderr)")
        }
        #expect(try await fingerprint() == before, "refused commands change nothing, not even the ledger")

        // A family applies (as over the public API); its application goes to agent.one's caseload, then to agent.two's.
        let registry = try await registryFolder.open()
        let (accounts, _) = try await registryFolder.store()
        let three = try #require(try await accounts.account(username: "agent.three"))
        #expect(try await registry.auth.maskedContact(of: three.id) == "a***@example.org")
        #expect(try await accounts.account(username: "agent.four") == nil, "a bad address makes no account")
        let parent = try await registry.gate.registerPerson(fields: ["firstName": .string("Julie"), "lastName": .string("Tremblay"),
                                                                     "birthDate": .string("1990-04-12")], requestID: "test", source: nil)
        _ = try await registry.auth.createAccount(username: "julie", password: World.password, role: "parent", person: parent, createdBy: nil)
        let session = try await registry.auth.signIn(username: "julie", password: World.password)
        let made = try await registry.gate.create(DossierInput(
            type: "application", fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(5)],
            persons: [.caller(role: "parent"),
                      .new(role: "parent", fields: ["firstName": .string("Marc"), "lastName": .string("Tremblay"), "birthDate": .string("1988-02-01")]),
                      .new(role: "child", fields: ["firstName": .string("Emma"), "lastName": .string("Tremblay"), "birthDate": .string("2025-02-03")])],
            partners: [try #require(OrganisationID(validating: daycare))]),
            GateRequest(principal: try await registry.auth.authenticate(token: session.token), requestID: "test", source: nil, purpose: nil))
        let marc = try #require(made.persons.first { $0.role == "parent" && $0.person != parent }?.person)
        // The ids to assign come from the command line (an operator's audit: they came from psql).
        let listed = try await run(["caseload", "list", "--organisation", daycare, "--unassigned"])
        #expect(listed.status == 0 && listed.stdout.split(separator: "\n") == [Substring(made.id.rawValue)], "\(listed.stdout) \(listed.stderr)")
        let unknown = try await run(["caseload", "list", "--organisation", OrganisationID().rawValue])
        #expect(unknown.status != 0 && unknown.stderr.contains("no organisation has this id"), "\(unknown.stderr)")
        #expect(try await run(["caseload", "assign", "--adviser", "agent.one", "--dossier", made.id.rawValue]).status == 0)
        #expect(try await run(["caseload", "list", "--organisation", daycare, "--unassigned"]).stdout.isEmpty, "assigned: no longer listed as unassigned")
        #expect(try await run(["caseload", "list", "--organisation", daycare]).stdout.contains(made.id.rawValue))
        let moved = try await run(["caseload", "transfer", "--from", "agent.one", "--to", "agent.two"])
        #expect(moved.stdout.contains("1 dossier moved"), "one in the singular: \(moved.stdout) stderr: \(moved.stderr)")
        #expect(try await run(["caseload", "show", "--adviser", "agent.two"]).stdout.contains(made.id.rawValue))
        // An assignment that takes a file from another caseload says so.
        let back = try await run(["caseload", "assign", "--adviser", "agent.one", "--dossier", made.id.rawValue])
        #expect(back.status == 0 && back.stdout.contains("1 dossier left the caseload of 'agent.two'"), "\(back.stdout) stderr: \(back.stderr)")
        #expect(try await run(["caseload", "transfer", "--from", "agent.one", "--to", "agent.two"]).status == 0)
        let claim = try await run(["claims", "issue", "--person", marc.rawValue])
        #expect(try #require(Self.value(after: "Claim code", in: claim.stdout)).count == 29, "stderr: \(claim.stderr)")
        #expect(try await run(["claims", "issue", "--person", parent.rawValue]).stderr.contains("already has an account"))
        // A child holds no account (it would read its file and the file's history): refused, naming the roles.
        let child = try #require(made.persons.first { $0.role == "child" }?.person)
        let forChild = try await run(["claims", "issue", "--person", child.rawValue])
        #expect(forChild.status != 0 && forChild.stderr.contains("only as child, who holds no account"), "\(forChild.stderr)")

        let left = try await run(["staff", "deactivate", "--username", "agent.one", "--reason", "left the service"])
        #expect(left.status == 0, "stderr: \(left.stderr)")
        #expect(try await run(["staff", "deactivate", "--username", "agent.one", "--reason", "left"]).stderr.contains("already deactivated"))
        #expect(try await run(["staff", "list"]).stdout.contains("agent.one\tagent\tdisabled"))

        // The remaining agent works: its password and activation code enrol a second factor.
        let (password, code) = try #require(passwords["agent.two"])
        let agent = try await registry.auth.signIn(username: "agent.two", password: password)
        _ = try await registry.auth.beginTOTP(agent.principal, activationCode: code)
        await #expect(throws: GuichetError.self) { try await registry.auth.signIn(username: "agent.one", password: try #require(passwords["agent.one"]).0) }

        let actions = try await registryFolder.store().ledger.journal().map(\.action)
        for step in ["provision:territory", "provision:organisation", "provision:account-create", "provision:caseload-assign",
                     "provision:caseload-transfer", "claim-code-issue", "provision:deactivate"] {
            #expect(actions.contains(step), "\(step) is journalled")
        }
        let verified = try await CommandLineTests.run(["ledger", "verify", "--data", data])
        #expect(verified.status == 0, "stdout: \(verified.stdout) stderr: \(verified.stderr)")
    }
}
