import Foundation
import GuichetAuth
import GuichetBreach
import GuichetCore
import GuichetPostgres
@_spi(VaultOnly) import GuichetStore
import GuichetWatch

/// One back-end under test, as the contract suites see it.
struct StorageUnderTest: Sendable {
    /// "sqlite" or "postgres".
    let name: String
    let watch: any WatchStorage
    let breach: any BreachStorage
    let auth: any AuthStorage
    /// Seeds an organisation of this kind and returns its id (contract tests need one for accounts).
    let addOrganisation: @Sendable (_ kind: String) async throws -> OrganisationID
    /// Seeds a person (synthetic sealed fields and a wrapped key) and returns its id.
    let addPerson: @Sendable () async throws -> PersonID
    let close: @Sendable () async throws -> Void
}

/// The storage back-ends the contract suites (`*StorageContractTests`) run against: each suite
/// is written against the storage protocols only, so that every back-end keeps the same
/// guarantees. Add a back-end here, in `names` and `make`, and every suite runs against it.
enum StorageBackends {
    /// The names of the back-ends to run: always "sqlite"; "postgres" too when
    /// GUICHET_TEST_POSTGRES names a server (`scripts/test` starts one).
    static var names: [String] { TestPostgres.server == nil ? ["sqlite"] : ["sqlite", "postgres"] }

    /// A fresh, empty back-end of this name.
    static func make(_ name: String) async throws -> StorageUnderTest {
        switch name {
        case "sqlite":
            return try sqlite()
        case "postgres":
            return try await postgres()
        default:
            throw StoreError.io("no storage back-end named \(name)")
        }
    }

    /// SQLite: a ``Store`` in a fresh temporary directory, removed by `close`.
    private static func sqlite() throws -> StorageUnderTest {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-contract-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let store = try Store(path: folder.appendingPathComponent("guichet.sqlite").path)
        return StorageUnderTest(
            name: "sqlite", watch: store, breach: store, auth: store,
            addOrganisation: { kind in
                let id = OrganisationID()
                try await store.insert(organisations: [Organisation(id: id, kind: kind, name: "Organisation \(id.rawValue.prefix(6))",
                                                                    territory: "T01", capacity: nil)], at: StorageBackends.seedTime)
                return id
            },
            addPerson: {
                let id = PersonID()
                try await store.create(person: NewPerson(record: StorageBackends.syntheticPerson(id), terms: []), at: StorageBackends.seedTime)
                return id
            },
            close: { try FileManager.default.removeItem(at: folder) })
    }

    /// PostgreSQL: a ``PostgresStore`` on a fresh database of the test server, dropped by `close`.
    private static func postgres() async throws -> StorageUnderTest {
        let address = try await PostgresLedgerTests.freshDatabase()
        let store = try await PostgresStore.open(address, connections: 8, timeout: .seconds(120))
        return StorageUnderTest(
            name: "postgres", watch: store, breach: store, auth: store,
            addOrganisation: { kind in
                let id = OrganisationID()
                try await store.insert(organisations: [Organisation(id: id, kind: kind, name: "Organisation \(id.rawValue.prefix(6))",
                                                                    territory: "T01", capacity: nil)], at: StorageBackends.seedTime)
                return id
            },
            addPerson: {
                let id = PersonID()
                try await store.create(person: NewPerson(record: StorageBackends.syntheticPerson(id), terms: []), at: StorageBackends.seedTime)
                return id
            },
            close: {
                await store.close()
                try await PostgresLedgerTests.drop(address)
            })
    }

    /// When seeded records were made.
    static let seedTime = Date(timeIntervalSince1970: 1_767_225_600)

    /// A person with opaque synthetic bytes as sealed fields (never opened by these tests) and
    /// a synthetic wrapped key.
    static func syntheticPerson(_ id: PersonID) -> PersonRecord {
        PersonRecord(id: id, version: 1, fields: SealedFields(bytes: Data("synthetic sealed fields \(id.rawValue)".utf8)),
                     key: WrappedKey(kekVersion: 1, bytes: Data(repeating: 0x5A, count: 40)))
    }
}

/// Helpers the contract suites share; they go through the protocols only.
extension StorageUnderTest {
    /// Runs `body` against a fresh back-end of this name, and closes it whatever happens.
    static func with(_ name: String, _ body: (StorageUnderTest) async throws -> Void) async throws {
        let backend = try await StorageBackends.make(name)
        do { try await body(backend) } catch { try? await backend.close(); throw error }
        try await backend.close()
    }

    /// An instant `seconds` after a fixed origin, in whole seconds, so that every back-end
    /// stores it exactly.
    static func at(_ seconds: Int) -> Date { Date(timeIntervalSince1970: 1_767_225_600 + Double(seconds)) }

    /// Adds an account through ``AuthStorage/insert(account:createdBy:)`` and returns it.
    @discardableResult
    func addAccount(_ username: String? = nil, role: String = "agent", status: String = "active", organisation: OrganisationID? = nil,
                    person: PersonID? = nil, createdBy: AccountID? = nil, at: Date = StorageUnderTest.at(0)) async throws -> AccountRecord {
        let id = AccountID()
        let record = AccountRecord(id: id, username: username ?? "user-\(id.rawValue.prefix(8).lowercased())", passwordHash: "hash-\(id.rawValue)",
                                   role: role, organisation: organisation, person: person, territory: nil, status: status, createdAt: at)
        try await auth.insert(account: record, createdBy: createdBy)
        return record
    }
}

/// Whether an error is ``StoreError/duplicate(_:)``, whatever it names.
func isDuplicate(_ error: any Error) -> Bool {
    if case StoreError.duplicate = error { true } else { false }
}

/// Bytes standing for a hash or a token in these tests (never a real one).
func fakeHash(_ label: String) -> Data { Data(("fake-hash:" + label).utf8) }

/// Runs `body` `n` times at once and returns every result (in no particular order).
func concurrently<T: Sendable>(_ n: Int, _ body: @escaping @Sendable (Int) async throws -> T) async throws -> [T] {
    try await withThrowingTaskGroup(of: T.self) { group in
        for i in 0..<n { group.addTask { try await body(i) } }
        var out: [T] = []
        for try await r in group { out.append(r) }
        return out
    }
}
