import Foundation
import Testing
import GuichetCore
import GuichetPostgres
@_spi(VaultOnly) import GuichetStore

/// An imported batch reaches PostgreSQL by `COPY … FROM STDIN` (issue 19, item 2): exactly the
/// rows that the `INSERT … SELECT FROM unnest` path writes, whatever bytes the values hold, and
/// nothing at all when the batch fails.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresBulkImportTests {
    typealias P = PostgresDossierParityTests
    static let tables = ["data_key", "person", "person_version", "person_term", "person_birth_year",
                         "dossier", "dossier_person", "dossier_partner", "dossier_version"]

    /// Every row of the batch's tables, as PostgreSQL prints them (BYTEA as hexadecimal), sorted.
    static func rows(_ address: PostgresAddress) async throws -> [String: [String]] {
        var out: [String: [String]] = [:]
        for table in tables { out[table] = try await TestDatabase.postgres(address).strings("SELECT t::text FROM \(table) t ORDER BY 1") }
        return out
    }

    /// A batch whose values need COPY's escapes: tabs, new lines, carriage returns and
    /// backslashes in text, `\N` spelled out, every byte value in the sealed fields, absent
    /// (NULL) columns, a search term given twice, a dossier with partners and two parents.
    struct Batch: Sendable {
        let organisation = OrganisationID(), partner = OrganisationID()
        let persons = (0..<3).map { _ in PersonID() }, dossiers = (0..<2).map { _ in DossierID() }
        let author = AccountID()

        var items: [(DossierRecord, [NewPerson])] {
            let every = SealedFields(bytes: Data((0...255).map(UInt8.init)) + Data("\\N\t\n".utf8))
            let awkward = "placement\twith\\tab\nand line \r é \\N"
            func person(_ i: Int, terms: [PersonTerm]) -> NewPerson {
                NewPerson(record: PersonRecord(id: persons[i], version: 1, fields: i == 0 ? every : P.sealed("person \(i)"), key: P.key), terms: terms)
            }
            let first = DossierRecord(id: dossiers[0], type: awkward, status: "waiting\\", organisation: nil, assignedAgent: nil, territory: nil,
                                      version: 1, fields: every, persons: [PersonLink(role: "child", person: persons[0])], partners: [],
                                      createdAt: P.at(1), updatedAt: P.at(2), key: P.key)
            let second = DossierRecord(id: dossiers[1], type: "placement", status: "waiting", organisation: organisation, assignedAgent: nil,
                                       territory: "06\t", version: 1, fields: P.sealed("dossier"),
                                       persons: [PersonLink(role: "child", person: persons[1]), PersonLink(role: "parent", person: persons[2]),
                                                 PersonLink(role: "parent", person: persons[0])],
                                       partners: [partner, organisation], createdAt: P.at(3), updatedAt: P.at(3), key: P.key)
            return [(first, [person(0, terms: [PersonTerm(field: "lastName", term: "tag\\a"), PersonTerm(field: "lastName", term: "tag\\a"),
                                                PersonTerm(field: PersonTerm.birthYearField, term: "year\t1")])]),
                    (second, [person(1, terms: [PersonTerm(field: "nam", term: "n\n1")]), person(2, terms: [])])]
        }

        func open(_ writes: PostgresBulkWrites) async throws -> (PostgresStore, PostgresAddress) {
            let address = try await PostgresLedgerTests.freshDatabase()
            let store = try await PostgresStore.open(address, timeout: .seconds(120), bulkWrites: writes)
            try await store.insert(organisations: [Organisation(id: organisation, kind: "daycare", name: "CPE A", territory: "06", capacity: 40),
                                                   Organisation(id: partner, kind: "daycare", name: "CPE B", territory: "06", capacity: 20)], at: P.at(0))
            try await store.insert(account: AccountRecord(id: author, username: "importer", passwordHash: "hash", role: "admin", organisation: organisation,
                                                          person: nil, territory: nil, status: "active", createdAt: P.at(0)), createdBy: nil)
            return (store, address)
        }
    }

    @Test("a batch written by COPY holds exactly the rows of the unnest path, values that need COPY's escapes included, and reads back unchanged")
    func sameRows() async throws {
        let batch = Batch()
        let (copy, copyAddress) = try await batch.open(.copy)
        let (arrays, arraysAddress) = try await batch.open(.arrays)
        #expect(copy.bulkWrites == .copy && arrays.bulkWrites == .arrays)
        try await copy.importBatch(batch.items, by: batch.author)
        try await arrays.importBatch(batch.items, by: batch.author)

        let copied = try await Self.rows(copyAddress), inserted = try await Self.rows(arraysAddress)
        for table in Self.tables {
            #expect(copied[table] == inserted[table], "\(table): COPY wrote \(copied[table] ?? []), unnest \(inserted[table] ?? [])")
        }
        // What the batch holds, so that the comparison above is not of two empty tables.
        #expect(copied["person"]?.count == 3 && copied["dossier_person"]?.count == 4 && copied["dossier_partner"]?.count == 2)
        #expect(copied["person_term"]?.count == 2, "the term given twice is written once")
        #expect(copied["person_birth_year"] == inserted["person_birth_year"] && copied["person_birth_year"]?.count == 1)

        // Read back through the store: the awkward text and every byte value, unchanged.
        let items = batch.items
        let (dossier, persons) = try #require(try await copy.dossierAndPersons(batch.dossiers[0]))
        #expect(dossier.type == items[0].0.type && dossier.status == "waiting\\" && dossier.territory == nil && dossier.organisation == nil)
        #expect(dossier.fields == items[0].0.fields && persons[batch.persons[0]]?.fields == items[0].0.fields)
        let second = try #require(try await copy.dossier(batch.dossiers[1]))
        #expect(second.territory == "06\t" && second.partners == [batch.partner, batch.organisation]
                && second.persons.map(\.person) == [batch.persons[1], batch.persons[2], batch.persons[0]])
        await copy.close(); await arrays.close()
        try await PostgresLedgerTests.drop(copyAddress); try await PostgresLedgerTests.drop(arraysAddress)
    }

    @Test("a batch that COPY cannot write leaves none of its rows, and the next batch goes through on the same connections")
    func failedBatchLeavesNothing() async throws {
        let batch = Batch()
        let (store, address) = try await batch.open(.copy)
        var broken = batch.items
        // The second dossier links a person that is neither new nor stored: its links fail,
        // after the persons, the first dossier and the data keys were streamed.
        broken[1].0.persons.append(PersonLink(role: "parent", person: PersonID()))
        await #expect(throws: (any Error).self) { try await store.importBatch(broken, by: batch.author) }
        for table in Self.tables { #expect(try await TestDatabase.postgres(address).count(table) == 0, "\(table) kept rows of the failed batch") }
        // Every connection of the pool is out of COPY mode: the same batch, whole, is written.
        for _ in 0..<3 { _ = try await store.dossier(batch.dossiers[0]) }
        try await store.importBatch(batch.items, by: batch.author)
        #expect(try await TestDatabase.postgres(address).count("person") == 3)
        await store.close()
        try await PostgresLedgerTests.drop(address)
    }
}
