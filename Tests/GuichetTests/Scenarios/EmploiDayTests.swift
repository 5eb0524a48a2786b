import Foundation
import Testing
import GuichetCore
import GuichetSynth

/// R4's day from an empty start (issue 16, "Done when"), over HTTP only: `guichet init`, an
/// import of ~10,000 job seekers, a Cap emploi partner adviser's account asked by one
/// administrator and approved by another, its caseload; a job seeker registers and updates
/// their file, the agency's adviser manages it, the partner adviser sees only its caseload and
/// only its fields; the ledger verifies at the end.
@Suite(.serialized) struct EmploiDayTests {
    @Test("a job seeker registers at an agency, the adviser manages the file, the partner adviser stays inside its caseload and its fields")
    func day() async throws {
        try await day(postgres: nil, servers: 1)
    }

    /// Issue 19: the same day on PostgreSQL (`guichet init --store`), each request to the other
    /// of two `guichet serve` processes.
    @Test("R4 on PostgreSQL: the same day, served by two guichet serve processes behind one round-robin address", .enabled(if: TestPostgres.server != nil))
    func dayOnPostgres() async throws {
        try await Scenario.onFreshPostgres { try await day(postgres: $0, servers: 2) }
    }

    func day(postgres: String?, servers: Int) async throws {
        let s = try await Scenario.initialise("emploi", postgres: postgres)
        defer { s.remove() }
        try await s.importSample()
        let agencyName = try #require(ImportSample.organisations("emploi")["agency"]?.first)
        let agency = try #require(s.organisations[agencyName])
        let network = try await s.addOrganisation(kind: "partner-network", name: "Cap emploi exemple")
        let operatorID = try await s.addOrganisation(kind: "operator", name: "Opérateur exemple")
        let secondAdmin = try await s.createStaff("admin.deux", role: "admin", organisation: operatorID)
        let adviserAccount = try await s.createStaff("conseiller.agence", role: "adviser", organisation: agency)
        try await s.serve(servers: servers)

        let admin = try await s.signIn(s.admin), admin2 = try await s.signInOnAdminListener(secondAdmin)
        let partnerAccount = try await s.requestAndApprove("conseiller.capemploi", role: "partner-adviser", organisation: network, asker: admin, approver: admin2)

        // A job seeker registers (person and account), then their file at the agency, then updates it.
        let registered = try await s.call("POST", "/v1/accounts", body: [
            "username": "demandeur.exemple", "password": "scenario job seeker passphrase",
            "person": ["firstName": "Karim", "lastName": "Exemple", "birthDate": "1994-02-11", "email": "karim.exemple@example.org"]])
        #expect(registered.status == 201, "\(registered)")
        let seeker = try await s.signIn(citizen: "demandeur.exemple", password: "scenario job seeker passphrase")
        let file = try await s.call("POST", "/v1/dossiers", token: seeker, body: [
            "type": "job-seeker", "fields": ["category": "A", "targetJob": "soudeur"],
            "persons": [["role": "seeker", "self": true]], "partners": [agency.rawValue]])
        #expect(file.status == 201, "\(file)")
        let id = try #require(file["id"]?.string)
        // One registration per job seeker (perCitizen: 1; a citizen's audit made 20 at one agency).
        let second = try await s.call("POST", "/v1/dossiers", token: seeker, body: [
            "type": "job-seeker", "fields": ["category": "A", "targetJob": "soudeur"],
            "persons": [["role": "seeker", "self": true]], "partners": [agency.rawValue]])
        #expect(second.status == 409 && second.text.contains("a file of this kind already"), "\(second)")
        // Sent at the same instant, registrations are still counted: each server makes one
        // at a time (a second process may make its own, so at most one per server); the
        // account's requests in flight past its limit are turned away (429).
        #expect(try await s.call("POST", "/v1/accounts", body: [
            "username": "demandeur.presse", "password": "scenario hurried seeker passphrase",
            "person": ["firstName": "Nadia", "lastName": "Exemple", "birthDate": "1990-07-23", "email": "nadia.exemple@example.org"]]).status == 201)
        let hurried = try await s.signIn(citizen: "demandeur.presse", password: "scenario hurried seeker passphrase")
        let burst = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await s.call("POST", "/v1/dossiers", token: hurried, body: [
                        "type": "job-seeker", "fields": ["category": "A", "targetJob": "peintre"],
                        "persons": [["role": "seeker", "self": true]], "partners": [agency.rawValue]]).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        let made = burst.filter { $0 == 201 }.count
        #expect(made >= 1 && made <= servers && burst.allSatisfy { [201, 409, 429].contains($0) }, "\(burst)")
        #expect(try await s.call("PATCH", "/v1/dossiers/\(id)", token: seeker, body: ["fields": ["targetJob": "chaudronnier"]]).status == 200)
        #expect(try await s.call("PATCH", "/v1/dossiers/\(id)", token: seeker, body: ["fields": ["category": "B"]]).status == 403)

        // The agency's adviser manages it.
        let (adviser, opened) = try await s.firstAccess(adviserAccount, token: try await s.signIn(adviserAccount), "GET", "/v1/dossiers/\(id)", purpose: "support")
        #expect(opened.status == 200 && opened["fields"]?.object?["targetJob"]?.string == "chaudronnier", "\(opened)")
        #expect(try await s.call("PATCH", "/v1/dossiers/\(id)", token: adviser, purpose: "support", body: ["fields": ["category": "B", "supportNeeds": "permis"]]).status == 200)
        #expect(try await s.call("POST", "/v1/dossiers/\(id)/transitions/suspend", token: adviser, purpose: "support")["status"]?.string == "suspended")
        #expect(try await s.call("POST", "/v1/dossiers/\(id)/transitions/reinstate", token: adviser, purpose: "support")["status"]?.string == "registered")

        // The partner adviser's caseload: three of the agency's imported files.
        let agencyFiles = try await s.call("GET", "/v1/dossiers?limit=4", token: adviser, purpose: "support")
        let assigned = Array((agencyFiles["dossiers"]?.array ?? []).compactMap { $0.object?["id"]?.string }.filter { $0 != id }.prefix(3))
        #expect(assigned.count == 3, "\(agencyFiles)")
        let accounts = try await s.call("GET", "/admin/v1/accounts", token: admin, admin: true)
        let partnerRow = (accounts["accounts"]?.array ?? []).compactMap { $0.object }.first { $0["username"]?.string == "conseiller.capemploi" }
        let partnerID = try #require(partnerRow?["id"]?.string)
        let asked = try await s.call("POST", "/admin/v1/accounts/\(partnerID)/caseload", token: admin, body: ["dossiers": assigned], admin: true)
        #expect(asked.status == 202 && asked["status"]?.string == "pending", "a caseload waits for a second administrator: \(asked)")
        let given = try await s.call("POST", "/admin/v1/requests/\(try #require(asked["id"]?.string))/approve", token: admin2, admin: true)
        #expect(given.status == 200, "\(given)")

        let (partner, page) = try await s.firstAccess(partnerAccount, token: try await s.signIn(partnerAccount), "GET", "/v1/dossiers?limit=100",
                                                      purpose: "disability-support")
        #expect(page.status == 200 && page["next"]?.string == nil, "\(page)")
        let listed = (page["dossiers"]?.array ?? []).compactMap { $0.object?["id"]?.string }
        #expect(Set(listed) == Set(assigned), "the partner adviser lists its caseload and nothing else")
        let allowed: Set<String> = ["category", "targetJob", "lastContact", "disability", "supportNeeds"]
        let allowedPerson: Set<String> = ["firstName", "lastName", "birthDate", "registryId", "email", "phone"]
        for one in assigned {
            let r = try await s.call("GET", "/v1/dossiers/\(one)", token: partner, purpose: "disability-support")
            #expect(r.status == 200)
            let fields = Set((r["fields"]?.object ?? [:]).keys)
            #expect(fields.isSubset(of: allowed), "\(r)")
            for p in r["persons"]?.array ?? [] {
                let personFields = Set((p.object?["fields"]?.object ?? [:]).keys)
                #expect(personFields.isSubset(of: allowedPerson), "\(r)")
            }
        }
        #expect(try await s.call("GET", "/v1/dossiers/\(id)", token: partner, purpose: "disability-support").status == 404)
        let byName = try await s.call("GET", "/v1/dossiers?seeker.lastName=Exemple&seeker.birthDate=1994-02-11", token: partner, purpose: "disability-support")
        #expect(byName.status == 200 && byName["dossiers"]?.array?.isEmpty == true, "\(byName)")
        try await s.finish()
    }
}
