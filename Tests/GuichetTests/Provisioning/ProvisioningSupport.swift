import Foundation
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing
import GuichetCore
import GuichetStore

/// A test registry with the two routers.
protocol RoutedWorld {
    func withPublic(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws
    func withAdmin(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws
}
extension World: RoutedWorld {}
extension EmploiWorld: RoutedWorld {}

/// One request to a world's admin or public router, in process.
func call(_ world: some RoutedWorld, admin: Bool = true, _ method: HTTPRequest.Method, _ path: String, token: String? = nil,
          purpose: String? = nil, body: String? = nil) async throws -> Reply {
    let out = Mutex<Reply?>(nil)
    let run: @Sendable (any TestClientProtocol) async throws -> Void = { client in
        let r = try await client.call(method, path, token: token, purpose: purpose, body: body)
        out.withLock { $0 = r }
    }
    if admin { try await world.withAdmin(run) } else { try await world.withPublic(run) }
    return try #require(out.withLock { $0 })
}

extension World {
    /// A second administrator (made as `guichet init` makes the first), signed in with a fresh second factor.
    func secondAdmin() async throws -> String {
        if try await store.account(username: "admin2") == nil {
            _ = try await auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: operatorOrg.id, createdBy: nil)
        }
        return try await token("admin2")
    }

    /// The actions of the ledger's entries, in order.
    func ledgerActions() async throws -> [String] {
        try await ledger.journal().map(\.action)
    }

    /// What bad input must leave as it was: the data tables and the ledger.
    func snapshot() async throws -> Snapshot {
        Snapshot(counts: try await dataCounts(), ledger: try await store.ledgerSize())
    }
}

/// Row counts of the data tables and the ledger's size.
struct Snapshot: Equatable {
    let counts: [String: Int]
    let ledger: Int64
}
