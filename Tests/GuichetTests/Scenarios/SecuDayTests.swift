import Foundation
import Testing
import GuichetCore
import GuichetImport

/// R3, a day of a social-security fund (issue 16, item 4), from `guichet init` to a verified
/// ledger, over HTTP only: an insured person claims their imported account and sees their
/// rights and benefits; an employer declares salaries for its own employee and is refused,
/// with nothing changed and the refusal journalled, for someone else's; an agent manages the
/// files (claim code, rights and benefits, a new employment link).
@Suite(.serialized) struct SecuDayTests {
    /// The first open account of `fund` in the imported sample whose employer column is
    /// `employer`: its CNSS number.
    func insured(in s: Scenario, fund: String, employer: String) throws -> String {
        let reader = try CSVReader(path: try #require(s.sample).path)
        _ = try reader.next()  // the header
        let header = try #require(s.sample).header
        while let record = try reader.next() {
            let line = Dictionary(uniqueKeysWithValues: zip(header, record.fields))
            if line["CAISSE"] == fund, line["STATUT"] == "open", line["EMPLOYEUR"] == employer, let cnss = line["ASSURE_CNSS"] { return cnss }
        }
        throw TestFailure("no open account of \(fund) employed by \(employer) in the sample")
    }

    /// The accounts a CNSS number finds, within what the caller may search.
    func account(_ s: Scenario, cnss: String, as account: Scenario.Account, token: String, purpose: String?) async throws -> [JSON] {
        let found = try await s.call("GET", "/v1/dossiers?insured.cnss=\(cnss)", as: account, token: token, purpose: purpose)
        #expect(found.status == 200, "\(found)")
        return found["dossiers"]?.array ?? []
    }

    @Test("R3 day: a claim, rights and benefits seen, salaries declared for an employee only, a file managed; the ledger verifies")
    func day() async throws {
        try await day(postgres: nil, servers: 1)
    }

    /// Issue 19: the same day on PostgreSQL (`guichet init --store`), each request to the other
    /// of two `guichet serve` processes.
    @Test("R3 on PostgreSQL: the same day, served by two guichet serve processes behind one round-robin address", .enabled(if: TestPostgres.server != nil))
    func dayOnPostgres() async throws {
        try await Scenario.onFreshPostgres { try await day(postgres: $0, servers: 2) }
    }

    func day(postgres: String?, servers: Int) async throws {
        let s = try await Scenario.initialise("secu", postgres: postgres)
        defer { s.remove() }
        // Provisioning (the server's console): a fund, two employers and their staff.
        let fund = try await s.addOrganisation(kind: "fund", name: "Caisse exemple 1")
        let employer1 = try await s.addOrganisation(kind: "employer", name: "Employeur exemple 1")
        _ = try await s.addOrganisation(kind: "employer", name: "Employeur exemple 2")
        let agent = try await s.createStaff("agent.one", role: "agent", organisation: fund)
        let payroll = try await s.createStaff("paie.one", role: "employer", organisation: employer1)
        let imported = try await s.importSample(naming: ["fund": ["Caisse exemple 1"], "employer": ["Employeur exemple 1", "Employeur exemple 2"]])
        #expect(imported.persons >= 9_000)
        let mine = try insured(in: s, fund: "Caisse exemple 1", employer: "Employeur exemple 1")
        let theirs = try insured(in: s, fund: "Caisse exemple 1", employer: "Employeur exemple 2")
        try s.trustLoopbackProxy()
        try await s.serve(servers: servers)

        // The agent finds the imported account by CNSS number and issues a claim code.
        let agentToken = try await s.signIn(agent)
        let a = try #require(try await account(s, cnss: mine, as: agent, token: agentToken, purpose: "affiliation").first?.object?["id"]?.string)
        let opened = try await s.call("GET", "/v1/dossiers/\(a)", as: agent, token: agentToken, purpose: "affiliation")
        let person = try #require(opened["persons"]?.array?.first { $0.object?["role"]?.string == "insured" }?.object?["id"]?.string)
        #expect(opened["fields"]?.object?["bankAccount"] == nil, "an agent does not see the bank account")
        let code = try await s.call("POST", "/v1/persons/\(person)/claim-code", as: agent, token: agentToken, purpose: "affiliation")
        #expect(code.status == 201, "\(code)")

        // The agent records the insured person's rights and benefits.
        let rights = try await s.call("PATCH", "/v1/dossiers/\(a)", as: agent, token: agentToken, purpose: "claims",
                                      body: ["fields": ["rightsUntil": "2027-12-31", "benefits": "allocations familiales : 2 enfants (synthétique)"]])
        #expect(rights.status == 200, "\(rights)")

        // The insured person claims their account: no new person, their own file.
        let password = "une phrase de passe assez longue 2026"
        // No relay here: the code is shown for the office's letter; the person claims from
        // their own connection (the agent's address may not).
        #expect(code["delivery"]?.string == "letter")
        let claimed = try await s.call("POST", "/v1/accounts/claim",
                                       body: ["username": "assure.exemple", "password": password, "code": try #require(code["code"]?.string)],
                                       headers: ["X-Forwarded-For": "198.51.100.62"])
        #expect(claimed.status == 201 && claimed["person"]?.string == person, "\(claimed)")
        let insuredToken = try await s.signIn(citizen: "assure.exemple", password: password)
        let own = try await s.call("GET", "/v1/dossiers", token: insuredToken)
        #expect(own["dossiers"]?.array?.compactMap { $0.object?["id"]?.string } == [a], "\(own)")
        let seen = try await s.call("GET", "/v1/dossiers/\(a)", token: insuredToken)
        #expect(seen["fields"]?.object?["rightsUntil"]?.string == "2027-12-31")
        #expect(seen["fields"]?.object?["benefits"]?.string?.hasPrefix("allocations familiales") == true)
        #expect(seen["partners"]?.array?.compactMap(\.string) == [employer1.rawValue], "the insured person sees who declares them")

        // The employer finds its employee and declares salaries.
        let payrollToken = try await s.signIn(payroll)
        let found = try await account(s, cnss: mine, as: payroll, token: payrollToken, purpose: "salary-declaration")
        #expect(found.compactMap { $0.object?["id"]?.string } == [a])
        let view = try await s.call("GET", "/v1/dossiers/\(a)", as: payroll, token: payrollToken, purpose: "salary-declaration")
        let insuredFields = view["persons"]?.array?.first?.object?["fields"]?.object ?? [:]
        #expect(Set(insuredFields.keys) == ["firstName", "lastName", "birthDate", "cnss"], "\(view)")
        #expect(view["fields"]?.object?.keys.contains { ["bankAccount", "reimbursements", "benefits", "salaries"].contains($0) } == false)
        let declared = try await s.call("PATCH", "/v1/dossiers/\(a)", as: payroll, token: payrollToken, purpose: "salary-declaration",
                                        body: ["fields": ["salaries": "2026-10 : 8 500 MAD (synthétique)"]])
        #expect(declared.status == 200, "\(declared)")
        let afterDeclaration = try await s.call("GET", "/v1/dossiers/\(a)", token: insuredToken)
        let first = try #require(afterDeclaration["fields"]?.object?["salaries"]?.string)
        #expect(first.hasSuffix("2026-10 : 8 500 MAD (synthétique)"), "\(first)")
        // Salaries are append-only: the next declaration (which the employer cannot read) adds a
        // line, and keeps what was there; clearing them is refused.
        let next = try await s.call("PATCH", "/v1/dossiers/\(a)", as: payroll, token: payrollToken, purpose: "salary-declaration",
                                    body: ["fields": ["salaries": "2026-11 : 8 700 MAD (synthétique)"]])
        #expect(next.status == 200, "\(next)")
        let both = try await s.call("GET", "/v1/dossiers/\(a)", token: insuredToken)
        #expect(both["fields"]?.object?["salaries"]?.string == first + "\n2026-11 : 8 700 MAD (synthétique)", "\(both)")
        let cleared = try await s.call("PATCH", "/v1/dossiers/\(a)", as: payroll, token: payrollToken, purpose: "salary-declaration",
                                       body: ["fields": ["salaries": NSNull()]])
        #expect(cleared.status == 400 && cleared.text.contains("cannot be cleared"), "\(cleared)")
        let bank = try await s.call("PATCH", "/v1/dossiers/\(a)", as: payroll, token: payrollToken, purpose: "salary-declaration",
                                    body: ["fields": ["bankAccount": "MA64 0000 0000 0000 0000 0000 0001"]])
        #expect(bank.status == 403, "an employer changes salaries only: \(bank)")
        #expect(try await s.call("PATCH", "/v1/dossiers/\(a)", as: payroll, token: payrollToken, body: ["fields": ["salaries": "x"]]).status == 403,
                "no purpose, no declaration")

        // Someone else's employee: not found by the employer, refused, nothing changed, journalled.
        let b = try #require(try await account(s, cnss: theirs, as: agent, token: agentToken, purpose: "affiliation").first?.object?["id"]?.string)
        #expect(try await account(s, cnss: theirs, as: payroll, token: payrollToken, purpose: "salary-declaration").isEmpty)
        let before = try await s.call("GET", "/v1/dossiers/\(b)", as: agent, token: agentToken, purpose: "claims")
        let refused = try await s.call("PATCH", "/v1/dossiers/\(b)", as: payroll, token: payrollToken, purpose: "salary-declaration",
                                       body: ["fields": ["salaries": "2026-10 : 1 MAD (synthétique)"]])
        #expect(refused.status == 404, "\(refused)")
        #expect(try await s.call("GET", "/v1/dossiers/\(b)", as: payroll, token: payrollToken, purpose: "salary-declaration").status == 404)
        let after = try await s.call("GET", "/v1/dossiers/\(b)", as: agent, token: agentToken, purpose: "claims")
        #expect(after["version"]?.integer == before["version"]?.integer && after["version"] != nil, "the refused declaration changed nothing")
        #expect(try await refusal(in: s, dossier: b, role: "employer"), "the refused declaration is in the ledger")

        // The agent records that this person now also works for the first employer: then it may declare.
        let partners = (before["partners"]?.array?.compactMap(\.string) ?? []) + [employer1.rawValue]
        let linked = try await s.call("PATCH", "/v1/dossiers/\(b)", as: agent, token: agentToken, purpose: "affiliation", body: ["partners": partners])
        #expect(linked.status == 200, "\(linked)")
        let now = try await s.call("PATCH", "/v1/dossiers/\(b)", as: payroll, token: payrollToken, purpose: "salary-declaration",
                                   body: ["fields": ["salaries": "2026-11 : 6 000 MAD (synthétique)"]])
        #expect(now.status == 200, "\(now)")

        // No CNSS or CIN number in the server's log.
        #expect(!s.serverLog.contains(mine) && !s.serverLog.contains(theirs))
        try await s.finish()
    }

    /// Whether the ledger holds a refused update of `dossier` by an account of `role`, read by
    /// the administrator on the admin listener from a checkpoint signed now.
    func refusal(in s: Scenario, dossier: String, role: String) async throws -> Bool {
        let adminToken = try await s.signIn(s.admin)
        let note = try await s.call("POST", "/admin/v1/ledger/checkpoints", token: adminToken, admin: true)
        let size = try #require(Int(note.text.split(separator: "\n").dropFirst().first ?? ""), "\(note)")
        for index in stride(from: size - 1, through: max(0, size - 40), by: -1) {
            let e = try await s.call("GET", "/admin/v1/ledger/entries/\(index)", token: adminToken, admin: true)
            guard let entry = e["entry"]?.object else { continue }
            if entry["action"]?.string == "update", entry["decision"]?.string == "deny",
               entry["actor"]?.object?["role"]?.string == role, entry["dossiers"]?.array?.contains(.string(dossier)) == true { return true }
        }
        return false
    }
}
