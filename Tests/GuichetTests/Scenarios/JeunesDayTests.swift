import Foundation
import Testing
import GuichetCore
import GuichetSynth

/// R2's day from an empty start (issue 16, "Done when"), over HTTP only: `guichet init`, the
/// office's account administrators, an import of ~10,000 young people; an adviser's account
/// asked by one account administrator and approved by another; the adviser opens, updates
/// with a sealed note, pauses and closes a file of their caseload and is refused outside it;
/// the ledger verifies at the end.
@Suite(.serialized) struct JeunesDayTests {
    @Test("a mission locale's day: a second approval for the adviser, a file opened, sealed, paused and closed, nothing outside the caseload")
    func day() async throws {
        try await day(postgres: nil, servers: 1)
    }

    /// Issue 19: the same day on PostgreSQL (`guichet init --store`), each request to the other
    /// of two `guichet serve` processes.
    @Test("R2 on PostgreSQL: the same day, served by two guichet serve processes behind one round-robin address", .enabled(if: TestPostgres.server != nil))
    func dayOnPostgres() async throws {
        try await Scenario.onFreshPostgres { try await day(postgres: $0, servers: 2) }
    }

    func day(postgres: String?, servers: Int) async throws {
        let s = try await Scenario.initialise("jeunes", postgres: postgres)
        defer { s.remove() }
        try await s.importSample()
        let officeName = try #require(ImportSample.organisations("jeunes")["local-office"]?.first)
        let office = try #require(s.organisations[officeName])
        let accountsOne = try await s.createStaff("comptes.un", role: "account-admin", organisation: office)
        let accountsTwo = try await s.createStaff("comptes.deux", role: "account-admin", organisation: office)
        let managerAccount = try await s.createStaff("responsable.un", role: "office-manager", organisation: office)
        try await s.serve(servers: servers)

        // Two people for one adviser account (R2, 2025).
        let one = try await s.signInOnAdminListener(accountsOne), two = try await s.signInOnAdminListener(accountsTwo)
        let adviserAccount = try await s.requestAndApprove("conseiller.un", role: "adviser", organisation: office, asker: one, approver: two)
        // The adviser's file: opened into their caseload (the new account's first access asks
        // for its second factor again), updated with a sealed note, paused, closed.
        let (adviser, opened) = try await s.firstAccess(adviserAccount, token: try await s.signIn(adviserAccount), "POST", "/v1/dossiers", purpose: "support", body: [
            "type": "youth-file",
            "fields": ["enrolledOn": "2026-12-01", "programme": "cej", "situation": "seeking"],
            "persons": [["role": "young", "fields": ["firstName": "Inès", "lastName": "Exemple", "birthDate": "2008-05-17", "email": "ines.exemple@example.org"]]],
        ])
        #expect(opened.status == 201, "\(opened)")
        let id = try #require(opened["id"]?.string)
        let note = "note scellée de scénario"
        let updated = try await s.call("PATCH", "/v1/dossiers/\(id)", token: adviser, purpose: "support",
                                       body: ["fields": ["situation": "training", "sealedNote": note]])
        #expect(updated.status == 200, "\(updated)")
        #expect(try await s.call("GET", "/v1/dossiers/\(id)", token: adviser, purpose: "support")["fields"]?.object?["sealedNote"]?.string == note)
        #expect(try await s.call("POST", "/v1/dossiers/\(id)/transitions/pause", token: adviser, purpose: "support")["status"]?.string == "paused")

        // The office manager sees the file, never the sealed note; the adviser sees nothing of the office's other files.
        let (manager, seen) = try await s.firstAccess(managerAccount, token: try await s.signIn(managerAccount), "GET", "/v1/dossiers/\(id)", purpose: "supervision")
        #expect(seen.status == 200 && !seen.text.contains(note), "\(seen)")
        let officeFiles = try await s.call("GET", "/v1/dossiers?limit=5", token: manager, purpose: "supervision")
        let others = (officeFiles["dossiers"]?.array ?? []).compactMap { $0.object?["id"]?.string }.filter { $0 != id }
        #expect(!others.isEmpty, "\(officeFiles)")
        for other in others {
            #expect(try await s.call("GET", "/v1/dossiers/\(other)", token: adviser, purpose: "support").status == 404)
            #expect(try await s.call("POST", "/v1/dossiers/\(other)/transitions/close", token: adviser, purpose: "support").status == 404)
        }
        let mine = try await s.call("GET", "/v1/dossiers?limit=100", token: adviser, purpose: "support")
        #expect(mine["dossiers"]?.array?.compactMap { $0.object?["id"]?.string } == [id] && !mine.text.contains(note), "\(mine)")

        #expect(try await s.call("POST", "/v1/dossiers/\(id)/transitions/close", token: adviser, purpose: "support")["status"]?.string == "closed")
        #expect(!s.serverLog.contains(note) && !s.serverLog.contains("Inès"))
        try await s.finish()
    }
}
