import Foundation
import Testing
import GuichetCore

/// R4's daily work over the public API (issue 16, item 4): a job seeker registers and makes
/// their own file at an agency, and updates what is theirs to update; the agency's advisers
/// manage it; another agency and the partner advisers never see it; a partner adviser's list
/// holds its caseload's summaries only, and it changes only what its work needs.
@Suite(.serialized) struct JobSeekerRegistrationTests {
    static let person = #"{"firstName": "Karim", "lastName": "Exemplaire", "birthDate": "1994-02-11", "email": "karim.exemplaire@example.org"}"#

    @Test("a job seeker registers, makes their file at an agency and updates it; that agency's adviser manages it, nobody else sees it")
    func registerAndManage() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let agency = world.summary.agencies[0].id
        let registered = try await call(world, admin: false, .post, "/v1/accounts",
                                        body: #"{"username": "seeker.new", "password": "\#(World.password)", "person": \#(Self.person)}"#)
        #expect(registered.status == .created && registered["role"]?.string == "job-seeker")
        let session = try await call(world, admin: false, .post, "/v1/session", body: #"{"username": "seeker.new", "password": "\#(World.password)"}"#)
        let seeker = try #require(session["token"]?.string)

        let someoneElse = #"{"type": "job-seeker", "fields": {"registeredOn": "2026-11-30", "category": "A"}, "persons": [{"role": "seeker", "fields": \#(Self.person)}], "partners": ["\#(agency)"]}"#
        let before = try await world.allDossiers().count
        #expect(try await call(world, admin: false, .post, "/v1/dossiers", token: seeker, body: someoneElse).status == .forbidden)
        #expect(try await world.allDossiers().count == before, "a refused registration writes nothing")
        // The registration date is the registry's: a job seeker who sends one (to backdate
        // their registration) is refused and nothing is written.
        let backdated = try await call(world, admin: false, .post, "/v1/dossiers", token: seeker, body: """
            {"type": "job-seeker", "fields": {"registeredOn": "2020-01-01", "category": "A"},
             "persons": [{"role": "seeker", "self": true}], "partners": ["\(agency)"]}
            """)
        #expect(backdated.status == .forbidden)
        #expect(try await world.allDossiers().count == before, "a refused registration writes nothing")
        let made = try await call(world, admin: false, .post, "/v1/dossiers", token: seeker, body: """
            {"type": "job-seeker", "fields": {"category": "A", "targetJob": "soudeur"},
             "persons": [{"role": "seeker", "self": true}], "partners": ["\(agency)"]}
            """)
        #expect(made.status == .created && made["status"]?.string == "registered")
        let id = try #require(made["id"]?.string)

        let own = try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: seeker)
        #expect(own.status == .ok && own["fields"]?.object?["targetJob"]?.string == "soudeur" && own["partners"]?.array?.count == 1)
        let day = Calendar(identifier: .gregorian).dateComponents(in: TimeZone(identifier: "UTC")!, from: world.clock.now)
        #expect(own["fields"]?.object?["registeredOn"]?.string == LocalDate(year: day.year!, month: day.month!, day: day.day!)?.iso,
                "the registry records the day of registration")
        #expect(try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: seeker, body: #"{"fields": {"targetJob": "chaudronnier"}}"#).status == .ok)
        for field in [#""category": "B""#, #""registeredOn": "2020-01-01""#, #""benefitRights": "x""#] {
            #expect(try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: seeker, body: #"{"fields": {\#(field)}}"#).status == .forbidden, "\(field)")
        }

        // The agency's adviser finds the registration by name and birth date, and manages it.
        let adviser = try await world.token("adviser1")
        let found = try await call(world, admin: false, .get, "/v1/dossiers?seeker.lastName=Exemplaire&seeker.birthDate=1994-02-11", token: adviser, purpose: "support")
        #expect(found["dossiers"]?.array?.compactMap { $0.object?["id"]?.string } == [id])
        let opened = try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: adviser, purpose: "support")
        #expect(opened.status == .ok && opened["fields"]?.object?["targetJob"]?.string == "chaudronnier")
        #expect(try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: adviser, purpose: "support",
                               body: #"{"fields": {"category": "B", "supportNeeds": "permis de conduire"}}"#).status == .ok)
        let suspended = try await call(world, admin: false, .post, "/v1/dossiers/\(id)/transitions/suspend", token: adviser, purpose: "support")
        #expect(suspended["status"]?.string == "suspended")

        // Another agency's adviser and the partner advisers: 404, and nothing in their searches.
        for (name, purpose) in [("adviser2", "support"), ("partner1", "disability-support"), ("partner2", "disability-support")] {
            let t = try await world.token(name)
            #expect(try await call(world, admin: false, .get, "/v1/dossiers/\(id)", token: t, purpose: purpose).status == .notFound, "\(name)")
            let search = try await call(world, admin: false, .get, "/v1/dossiers?seeker.lastName=Exemplaire&seeker.birthDate=1994-02-11", token: t, purpose: purpose)
            #expect(search.status == .ok && search["dossiers"]?.array?.isEmpty == true, "\(name)")
        }
    }

    @Test("a partner adviser's list shows its caseload's summaries only, and it changes only the contact date and support needs")
    func partnerListAndWrites() async throws {
        let world = try await EmploiWorld.make(size: 600)
        defer { world.remove() }
        let partner = try await world.token("partner1")
        let list = try await call(world, admin: false, .get, "/v1/dossiers?limit=100", token: partner, purpose: "disability-support")
        let items = (list["dossiers"]?.array ?? []).compactMap { $0.object }
        let ids = Set(items.compactMap { $0["id"]?.string }), caseload = Set(world.summary.partnerCaseloads[0].map(\.rawValue))
        #expect(!items.isEmpty && ids.isSubset(of: caseload))
        for item in items {
            let fields = Set((item["fields"]?.object ?? [:]).keys)
            #expect(fields.isSubset(of: ["category", "targetJob", "lastContact"]))
            for p in item["persons"]?.array ?? [] {
                let identity = p.object?["fields"]?.object ?? [:]
                #expect(identity.isEmpty, "no identity in a list")
            }
        }
        let id = try #require(world.summary.partnerCaseloads[0].first)
        #expect(try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: partner, purpose: "disability-support",
                               body: #"{"fields": {"lastContact": "2026-11-30", "supportNeeds": "aménagement de poste"}}"#).status == .ok)
        // A last contact cannot be in the future (an everyday users' audit saved 2099-01-01).
        let future = try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: partner, purpose: "disability-support",
                                    body: #"{"fields": {"lastContact": "2099-01-01"}}"#)
        #expect(future.status == .badRequest && future.text.contains("no later than today"), "\(future.text)")
        for body in [#"{"fields": {"category": "C"}}"#, #"{"fields": {"benefitRights": "x"}}"#] {
            #expect(try await call(world, admin: false, .patch, "/v1/dossiers/\(id)", token: partner, purpose: "disability-support", body: body).status == .forbidden)
        }
        #expect(try await call(world, admin: false, .post, "/v1/dossiers/\(id)/transitions/deregister", token: partner, purpose: "disability-support").status == .forbidden)
    }
}
