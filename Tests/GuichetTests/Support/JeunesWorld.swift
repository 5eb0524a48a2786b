import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetServer
import GuichetStore
import GuichetVault
import GuichetMFA

/// An empty R2 registry (profile `jeunes`) with two local offices and no file: advisers open
/// them over the API. Accounts (all active, as the console makes them): `admin`, `admin2`;
/// office A: `accounts-a1` and `accounts-a2` (account administrators), `adviser-a1`,
/// `adviser-a2`, `manager-a`; office B: `accounts-b`, `adviser-b`.
struct JeunesWorld: RoutedWorld {
    static let password = World.password
    let folder: URL
    let store: any WorldStorage
    let ledger: any LedgerProving
    let auth: Authenticator
    let server: GuichetServer
    let officeA: Organisation
    let officeB: Organisation
    let accounts: [String: AccountID]
    let sessions = SessionCache()

    /// - Parameter watched: run the profile's watch (alerts are raised), as a deployment does.
    static func make(watched: Bool = false) async throws -> JeunesWorld {
        let folder = try temporaryFolder()
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        let keys = try FileKeyProvider(path: keyFile)
        let (store, ledger, journal) = try await World.storage(in: folder)
        let profile = try Repo.profile(named: "jeunes")
        let registry = try await Registry.open(storage: store, ledger: ledger, journal: journal, profile: profile,
                                               keys: keys, keysOrigin: keys.origin, options: .testing(watch: watched ? profile.watch : nil))
        let op = Organisation(id: OrganisationID(), kind: "operator", name: "Opérateur", territory: nil, capacity: nil)
        let a = Organisation(id: OrganisationID(), kind: "local-office", name: "Mission locale A", territory: nil, capacity: nil)
        let b = Organisation(id: OrganisationID(), kind: "local-office", name: "Mission locale B", territory: nil, capacity: nil)
        try await store.insert(organisations: [op, a, b], at: Date())
        try await registry.gate.checkpoint(at: Date())
        var accounts: [String: AccountID] = [:]
        for (name, role, org) in [("admin", "admin", op), ("admin2", "admin", op), ("accounts-a1", "account-admin", a), ("accounts-a2", "account-admin", a),
                                  ("adviser-a1", "adviser", a), ("adviser-a2", "adviser", a), ("manager-a", "office-manager", a),
                                  ("accounts-b", "account-admin", b), ("adviser-b", "adviser", b)] {
            accounts[name] = try await registry.auth.createAccount(username: name, password: password, role: role, organisation: org.id, createdBy: nil)
        }
        return JeunesWorld(folder: folder, store: store, ledger: ledger, auth: registry.auth,
                           server: GuichetServer(gate: registry.gate, auth: registry.auth, store: store),
                           officeA: a, officeB: b, accounts: accounts)
    }

    func remove() { World.remove(store, folder: folder) }

    /// Signs in once, enrolling a TOTP second factor with an operator's activation code.
    func token(_ username: String) async throws -> String {
        if let token = sessions.tokens.withLock({ $0[username] }) { return token }
        let session = try await auth.signIn(username: username, password: Self.password)
        let code = try #require(try await auth.consoleActivation(username: username)?.code)
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: code)
        try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        sessions.tokens.withLock { $0[username] = session.token }
        return session.token
    }

    func withPublic(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.publicRouter().0).test(.router, body)
    }

    func withAdmin(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.adminRouter().0).test(.router, body)
    }
}

/// JSON text of a youth file an adviser opens over HTTP (synthetic person).
func youthFileBody(lastName: String = "Martin", note: String = "note scellée synthétique") -> String {
    """
    {"type": "youth-file",
     "fields": {"enrolledOn": "2026-11-30", "programme": "cej", "situation": "seeking", "supportActions": "atelier CV", "sealedNote": "\(note)"},
     "persons": [{"role": "young", "fields": {"firstName": "Lina", "lastName": "\(lastName)", "birthDate": "2007-03-14", "email": "lina.\(lastName.lowercased())@example.org"}}]}
    """
}
