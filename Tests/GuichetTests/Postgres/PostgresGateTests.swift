import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMerkle
import GuichetPostgres
import GuichetStore
import GuichetVault

/// The test world of ``World`` on PostgreSQL: the registry opened on a fresh database of the
/// test server with the same start-up checks (`Registry.open(storage:ledger:journal:…)`), the
/// same organisations and accounts.
struct PostgresWorld: GateWorld {
    let address: PostgresAddress
    let store: PostgresStore
    let gate: Gate
    let auth: Authenticator
    let daycares: [Organisation]
    let clock: @Sendable () -> Date
    let sessions = SessionCache()
    let folder: URL

    static func make(clock: @escaping @Sendable () -> Date = { Date() }) async throws -> PostgresWorld {
        let address = try await PostgresLedgerTests.freshDatabase()
        let store = try await PostgresStore.open(address, timeout: .seconds(120))
        let folder = try temporaryFolder()
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        let keys = try FileKeyProvider(path: keyFile)
        let opened = try await Registry.open(storage: store, ledger: store.ledger,
                                             journal: { store.ledger.journal(signer: $0, origin: $1, sourceKey: $2) },
                                             profile: try Repo.profile(), keys: keys, keysOrigin: keyFile, options: .testing(watch: nil, clock: clock))
        let (_, daycares) = try await World.seed(auth: opened.auth, gate: opened.gate) { try await store.insert(organisations: $0, at: Date()) }
        return PostgresWorld(address: address, store: store, gate: opened.gate, auth: opened.auth, daycares: daycares, clock: clock, folder: folder)
    }

    func close() async throws {
        await store.close()
        try await PostgresLedgerTests.drop(address)
        try? FileManager.default.removeItem(at: folder)
    }
}

/// The gate on PostgreSQL (issue 19): the same flows as on SQLite, through the same gate.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresGateTests {
    @Test("on PostgreSQL, parents apply through the gate, the agent lists and reads every application, each access is in the ledger with a proof the citizen can check, and the ledger verifies whole")
    func aDayOnPostgres() async throws {
        let world = try await PostgresWorld.make()
        let parents = ["parent.a", "parent.b", "parent.c"]
        var persons: [PersonID] = []
        for (i, p) in parents.enumerated() {
            persons.append(try await world.registerParent(p, lastName: ["Tremblay", "Gagnon", "Roy"][i]))
            _ = try await world.application(by: p, daycares: [i % 3], childName: ["Emma", "Noah", "Lea"][i])
        }
        let views = try await world.allApplications()
        #expect(views.count == 3)
        let names = views.compactMap { v -> String? in
            guard case .text(let name)? = v.persons.first(where: { $0.role == "child" })?.fields["firstName"] else { return nil }
            return name
        }
        #expect(names.sorted() == ["Emma", "Lea", "Noah"], "the agent reads the sealed fields the parents wrote")

        // Searches by the child's name and birth date: the blind indexes on PostgreSQL.
        let agent = try await world.request("agent", purpose: "list-management")
        let found = try await world.gate.search(type: "application", status: nil, criteria: ["child.lastName": "tremblay", "child.birthDate": "2025-02-03"],
                                                after: nil, limit: 10, agent)
        #expect(found.views.count == 3)
        let none = try await world.gate.search(type: "application", status: nil, criteria: ["child.lastName": "Gagnon", "child.birthDate": "2025-02-03"],
                                               after: nil, limit: 10, agent)
        #expect(none.views.isEmpty)

        // The parent's history: the agent's read is there, with a proof against a checkpoint.
        _ = try await world.gate.checkpoint(at: Date())
        let history = try await world.gate.auditor.history(persons: [persons[0]], dossiers: [], account: nil)
        #expect(history.items.contains { $0.action == "read" && $0.role == "agent" })
        let checkpoint = try #require(history.checkpoint)
        for item in history.items {
            let proof = try #require(item.proof)
            try proof.verify(leafHash: MerkleHash.leaf(item.entry), rootHash: checkpoint.rootHash)
        }
        let report = try await world.gate.auditor.verify()
        #expect(report.problem == nil && report.entries > 10)
        try await world.close()
    }
}
