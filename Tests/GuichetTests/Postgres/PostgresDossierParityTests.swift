import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetDeployment
import GuichetImport
import GuichetServer
import GuichetGate
import GuichetPostgres
@_spi(VaultOnly) import GuichetStore

/// What the parity scenarios call, on SQLite's ``Store`` and on ``PostgresStore`` alike: the
/// storage protocols both implement (PostgreSQL's conformances to the server's and the
/// import's are declared where the deployment assembles them).
typealias DossierParityStorage = ServerStorage & ImportStorage

/// The dossiers' part of the gate's storage gives the same answers on PostgreSQL as on SQLite
/// (issue 19, item 2): the same scenario runs on both, and what each returns is compared.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresDossierParityTests {
    static let t0 = Date(timeIntervalSince1970: 1_767_225_600)
    static func at(_ s: Int) -> Date { t0.addingTimeInterval(Double(s)) }
    static func sealed(_ label: String) -> SealedFields { SealedFields(bytes: Data("synthetic sealed \(label)".utf8)) }
    static let key = WrappedKey(kekVersion: 1, bytes: Data(repeating: 0x3C, count: 40))

    /// A fixed world: ids drawn once, so that both back-ends hold the same rows.
    struct Fixture: Sendable {
        let daycare = OrganisationID(), partner = OrganisationID(), other = OrganisationID()
        let agent = AccountID(), colleague = AccountID(), admin = AccountID(), second = AccountID()
        let persons = (0..<6).map { _ in PersonID() }
        let dossiers = (0..<4).map { _ in DossierID() }

        func dossier(_ i: Int, status: String = "waiting") -> DossierRecord {
            DossierRecord(id: dossiers[i], type: "placement", status: status, organisation: i % 2 == 0 ? daycare : other,
                          assignedAgent: i == 0 ? agent : nil, territory: i < 2 ? "06" : "13", version: 1, fields: sealed("dossier \(i)"),
                          persons: [PersonLink(role: "child", person: persons[i]), PersonLink(role: "parent", person: persons[4]),
                                    PersonLink(role: "parent", person: persons[5])].filter { i < 2 || $0.role == "child" },
                          partners: i == 3 ? [] : [partner, daycare], createdAt: at(i), updatedAt: at(i), key: key)
        }

        func person(_ i: Int) -> NewPerson {
            NewPerson(record: PersonRecord(id: persons[i], version: 1, fields: sealed("person \(i)"), key: key),
                      terms: [PersonTerm(field: "lastName", term: "tag-\(i % 2)"), PersonTerm(field: "nam", term: "tag-nam-\(i)"),
                              PersonTerm(field: PersonTerm.birthYearField, term: "year-tag-\(i)")])
        }

        /// Builds the world on a back-end and runs every call of the scenario, returning what
        /// each answered, as text to compare.
        func run(_ s: any DossierParityStorage) async throws -> [String] {
            var out: [String] = []
            func note(_ label: String, _ value: Any) { out.append("\(label): \(value)") }
            try await s.insert(organisations: [Organisation(id: daycare, kind: "daycare", name: "CPE A", territory: "06", capacity: 40),
                                               Organisation(id: partner, kind: "daycare", name: "CPE B", territory: "06", capacity: 20),
                                               Organisation(id: other, kind: "daycare", name: "CPE C", territory: "13", capacity: 10)], at: at(0))
            for (i, id) in [agent, colleague, admin, second].enumerated() {
                try await s.insert(account: AccountRecord(id: id, username: "user-\(i)", passwordHash: "hash-\(i)", role: i < 2 ? "agent" : "admin",
                                                          organisation: daycare, person: nil, territory: nil, status: "active", createdAt: at(0)),
                                   createdBy: nil)
            }
            try await s.create(dossier: dossier(0), newPersons: [person(0), person(4), person(5)], by: admin, change: "create")
            try await s.create(dossier: dossier(1), newPersons: [person(1)], by: admin, change: "create")
            var run = ImportRun(id: "run-1", fileDigest: "digest-1", mappingDigest: "mapping-1", dossierType: "placement", startedAt: at(5))
            run.nextOffset = 1_234; run.nextLine = 3; run.dossiers = 2; run.persons = 2; run.updatedAt = at(6)
            try await s.importBatch([(dossier(3), [person(3)]), (dossier(2), [person(2)])], by: nil, run: run)
            note("run", try await s.importRun(fileDigest: "digest-1").map { "\($0.id) \($0.nextOffset) \($0.nextLine) \($0.dossiers) \($0.persons) \($0.updatedAt)" } ?? "nil")

            for i in 0..<4 { note("dossier \(i)", try await s.dossier(dossiers[i]).map(Self.describe) ?? "nil") }
            note("dossiers", try await s.dossiers([dossiers[2], DossierID(), dossiers[0]]).map(\.id.rawValue))
            let (d0, persons0) = try #require(try await s.dossierAndPersons(dossiers[0]))
            note("persons of 0", persons0.keys.map(\.rawValue).sorted().map { "\($0) v\(persons0[PersonID(trusted: $0)]!.version)" })
            note("linking parent", try await s.dossierIDs(linking: persons[4]).map(\.rawValue))

            // A transition with a notice, then a conflicting one.
            var moved = d0
            moved.status = "offered"; moved.persons = Array(d0.persons.prefix(2)); moved.partners = [partner]
            note("update", try await s.update(dossier: moved, at: at(100), by: agent, change: "offer", notice: true))
            do { _ = try await s.update(dossier: moved, at: at(101), by: agent, change: "offer", notice: false); note("stale update", "accepted") } catch {
                note("stale update", "\(error)")
            }
            note("versions", try await s.versions(of: dossiers[0]).map { "\($0.version) \($0.change) \($0.status) \($0.changedBy?.rawValue ?? "-")" })
            note("at version 1", try await s.dossier(dossiers[0], atVersion: 1).map(Self.describe) ?? "nil")
            note("at version 9", try await s.dossier(dossiers[0], atVersion: 9).map(Self.describe) ?? "nil")
            try await s.update(person: persons[1], expectedVersion: 1, fields: sealed("person 1 v2"), terms: [PersonTerm(field: "lastName", term: "tag-new")],
                               termFields: ["lastName"], at: at(110), by: agent, change: "correct")
            do { try await s.update(person: persons[1], expectedVersion: 1, fields: sealed("x"), terms: [], termFields: [], at: at(111), by: agent, change: "c")
                note("stale person", "accepted") } catch { note("stale person", "\(error)") }

            // Searches: scopes, status, terms, paging.
            let queries: [(String, DossierQuery)] = [
                ("any", DossierQuery(type: "placement", status: nil, scope: [.any], terms: [], after: nil, limit: 10)),
                ("none", DossierQuery(type: "placement", status: nil, scope: [], terms: [], after: nil, limit: 10)),
                ("waiting", DossierQuery(type: "placement", status: "waiting", scope: [.any], terms: [], after: nil, limit: 10)),
                ("partner", DossierQuery(type: "placement", status: nil, scope: [.partner(partner)], terms: [], after: nil, limit: 10)),
                ("org or agent", DossierQuery(type: "placement", status: nil, scope: [.organisation(other), .assigned(agent)], terms: [], after: nil, limit: 10)),
                ("territory", DossierQuery(type: "placement", status: nil, scope: [.territory("13")], terms: [], after: nil, limit: 10)),
                ("linked", DossierQuery(type: "placement", status: nil, scope: [.linkedPerson(persons[4], roles: ["parent", "guardian"])], terms: [], after: nil, limit: 10)),
                ("term", DossierQuery(type: "placement", status: nil, scope: [.any], terms: [(role: "child", field: "lastName", term: "tag-0")], after: nil, limit: 10)),
                ("new term", DossierQuery(type: "placement", status: nil, scope: [.any], terms: [(role: "child", field: "lastName", term: "tag-new")], after: nil, limit: 10)),
                ("old term", DossierQuery(type: "placement", status: nil, scope: [.any], terms: [(role: "child", field: "lastName", term: "tag-1")], after: nil, limit: 10)),
                ("two terms", DossierQuery(type: "placement", status: nil, scope: [.any], terms: [(role: "child", field: "lastName", term: "tag-0"),
                                                                                                   (role: "child", field: "nam", term: "tag-nam-2")], after: nil, limit: 10)),
                ("page", DossierQuery(type: "placement", status: nil, scope: [.any], terms: [], after: dossiers.map(\.rawValue).sorted().map(DossierID.init(trusted:))[1], limit: 1)),
                ("other type", DossierQuery(type: "youth", status: nil, scope: [.any], terms: [], after: nil, limit: 10)),
            ]
            for (label, q) in queries { note("search \(label)", try await s.search(q).map(\.rawValue)) }
            note("count", try await s.countByStatus(type: "placement").sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" })

            // The notice outbox.
            let due = try await s.claimDueNotices(now: at(200), limit: 10, lease: 60)
            note("due", due.map { "\($0.dossier.rawValue) v\($0.version) \($0.transition) \($0.attempts)" })
            note("due again within the lease", try await s.claimDueNotices(now: at(201), limit: 10, lease: 60).count)
            if let n = due.first { try await s.noticeAttempted(n, status: "pending", retryAt: at(300), at: at(202)) }
            note("due after retry", try await s.claimDueNotices(now: at(300), limit: 10, lease: 60).map { "\($0.version) \($0.attempts)" })

            // Caseloads and their requests.
            note("assign", try await s.assignCaseload([dossiers[1], dossiers[2]], to: agent).map { $0?.rawValue ?? "-" })
            do { _ = try await s.assignCaseload([dossiers[3], DossierID()], to: agent); note("assign unknown", "accepted") } catch { note("assign unknown", "\(error)") }
            note("caseload", try await s.caseload(of: agent).map(\.rawValue))
            note("transfer some", try await s.transferCaseload(from: agent, to: colleague, only: [dossiers[1]]).map(\.rawValue))
            do { _ = try await s.transferCaseload(from: agent, to: colleague, only: [dossiers[3]]); note("transfer not held", "accepted") } catch {
                note("transfer not held", "\(error)")
            }
            note("transfer all", try await s.transferCaseload(from: agent, to: colleague, only: nil).map(\.rawValue))
            try await s.insert(caseloadRequest: CaseloadRequest(id: "cr-1", kind: .transfer, from: colleague, to: agent, dossiers: [dossiers[0], dossiers[1]],
                                                                requestedBy: admin, requestedAt: at(400)))
            try await s.insert(caseloadRequest: CaseloadRequest(id: "cr-2", kind: .assign, from: nil, to: colleague, dossiers: [dossiers[3]],
                                                                requestedBy: admin, requestedAt: at(401)))
            note("pending", try await s.pendingCaseloadRequests().map { "\($0.id) \($0.kind) \($0.dossiers.count)" })
            do { _ = try await s.approve(caseloadRequest: "cr-1", by: admin, at: at(402)); note("self approval", "accepted") } catch { note("self approval", "refused") }
            note("approve", try await s.approve(caseloadRequest: "cr-1", by: second, at: at(403)).id)
            do { _ = try await s.approve(caseloadRequest: "cr-1", by: second, at: at(404)); note("approve twice", "accepted") } catch { note("approve twice", "\(error)") }
            note("caseload after", try await s.caseload(of: agent).map(\.rawValue))
            note("rank", try await s.rankCandidates(type: "placement", partner: partner, states: ["waiting", "offered"]).map { "\($0.id.rawValue) \($0.createdAt)" }.sorted())

            // Federation, territories, metadata.
            try await s.linkFederatedIdentity(issuer: "https://id.example.org", subject: "sub-1", account: agent, at: at(500))
            do { try await s.linkFederatedIdentity(issuer: "https://id.example.org", subject: "sub-1", account: colleague, at: at(501)); note("link twice", "accepted") } catch {
                note("link twice", "\(error)")
            }
            note("linked", try await s.federatedAccount(issuer: "https://id.example.org", subject: "sub-1")?.rawValue ?? "nil")
            note("unlink", try await s.unlinkFederatedIdentity(issuer: "https://id.example.org", subject: "sub-1", at: at(502)))
            note("unlink again", try await s.unlinkFederatedIdentity(issuer: "https://id.example.org", subject: "sub-1", at: at(503)))
            try await s.linkFederatedIdentity(issuer: "https://id.example.org", subject: "sub-1", account: colleague, at: at(504))
            note("relinked", try await s.federatedAccount(issuer: "https://id.example.org", subject: "sub-1")?.rawValue ?? "nil")
            try await s.insert(territory: Territory(code: "06", name: "Territory 06"), by: nil, at: at(600))
            do { try await s.insert(territory: Territory(code: "06", name: "again"), by: nil, at: at(601)); note("territory twice", "accepted") } catch {
                note("territory twice", "\(error)")
            }
            note("territories", [try await s.territoryExists("06"), try await s.territoryExists("99")])
            try await s.setMeta("profile", "place05"); try await s.setMeta("profile", "place05-b")
            note("meta", [try await s.meta("profile") ?? "nil", try await s.meta("absent") ?? "nil"])
            return out
        }

        static func describe(_ d: DossierRecord) -> String {
            "\(d.id.rawValue) \(d.type) \(d.status) org=\(d.organisation?.rawValue ?? "-") agent=\(d.assignedAgent?.rawValue ?? "-") \(d.territory ?? "-") v\(d.version) "
                + "\(d.fields.bytes.count)b persons=\(d.persons.map { "\($0.role):\($0.person.rawValue)" }) partners=\(d.partners.map(\.rawValue)) "
                + "\(d.createdAt.millis) \(d.updatedAt.millis) key=\(d.key?.kekVersion ?? 0) mark=\(String(describing: d.lifecycle))"
        }
    }

    @Test("the same dossiers, updates, searches, notices, caseloads, requests, federated links and import runs give the same answers on both back-ends")
    func sameAnswers() async throws {
        let fixture = Fixture()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-parity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let sqlite = try await fixture.run(try Store(path: folder.appendingPathComponent("guichet.sqlite").path))
        let address = try await PostgresLedgerTests.freshDatabase()
        let store = try await PostgresStore.open(address, timeout: .seconds(120))
        let postgres = try await fixture.run(store)
        #expect(sqlite.count == postgres.count)
        for (a, b) in zip(sqlite, postgres) { #expect(a == b) }
        // The scenario exercised what it claims: the stale writes were refused, the search found things.
        #expect(sqlite.contains("stale update: the record changed since it was read"))
        #expect(sqlite.contains { $0.hasPrefix("search term: [") && $0 != "search term: []" })
        await store.close()
        try await PostgresLedgerTests.drop(address)
    }

    @Test("two servers claiming due notices at once never take the same notice")
    func noticesClaimedOnce() async throws {
        let fixture = Fixture()
        let address = try await PostgresLedgerTests.freshDatabase()
        let one = try await PostgresStore.open(address, timeout: .seconds(120)), two = try await PostgresStore.open(address, timeout: .seconds(120))
        try await one.insert(organisations: [Organisation(id: fixture.daycare, kind: "daycare", name: "CPE A", territory: "06", capacity: 40),
                                             Organisation(id: fixture.partner, kind: "daycare", name: "CPE B", territory: "06", capacity: 20),
                                             Organisation(id: fixture.other, kind: "daycare", name: "CPE C", territory: "13", capacity: 10)], at: Self.at(0))
        try await one.insert(account: AccountRecord(id: fixture.agent, username: "agent", passwordHash: "hash", role: "agent", organisation: fixture.daycare,
                                                    person: nil, territory: nil, status: "active", createdAt: Self.at(0)), createdBy: nil)
        // Forty dossiers, each moved once with a notice.
        var ids: [DossierID] = []
        for i in 0..<40 {
            let child = PersonID(), id = DossierID()
            let d = DossierRecord(id: id, type: "placement", status: "waiting", organisation: fixture.daycare, assignedAgent: nil, territory: "06",
                                  version: 1, fields: Self.sealed("d\(i)"), persons: [PersonLink(role: "child", person: child)], partners: [],
                                  createdAt: Self.at(i), updatedAt: Self.at(i), key: Self.key)
            try await one.create(dossier: d, newPersons: [NewPerson(record: PersonRecord(id: child, version: 1, fields: Self.sealed("p\(i)"), key: Self.key), terms: [])],
                                 by: nil, change: "create")
            var moved = d
            moved.status = "offered"
            _ = try await one.update(dossier: moved, at: Self.at(100 + i), by: fixture.agent, change: "offer", notice: true)
            ids.append(id)
        }
        let claimed = try await withThrowingTaskGroup(of: [PendingNotice].self) { group in
            for (i, store) in [one, two, one, two].enumerated() {
                group.addTask { try await store.claimDueNotices(now: Self.at(1_000 + i), limit: 15, lease: 600) }
            }
            return try await group.reduce(into: [PendingNotice]()) { $0 += $1 }
        }
        #expect(claimed.count == 40, "every notice claimed")
        #expect(Set(claimed.map(\.dossier)).count == 40, "none claimed twice")
        await one.close(); await two.close()
        try await PostgresLedgerTests.drop(address)
    }
}
