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
import GuichetSynth
import GuichetVault
import GuichetMFA

/// A small R3 registry (profile `secu`) made by the real generator (synthetic persons only),
/// without the watch: an open insured account with at least two dependants, its insured
/// person's citizen account `insured1`, and, for its fund, `agent`; an `employer` of the first
/// employer; `security` and `admin` of the operator.
struct SecuWorld {
    let folder: URL
    let profile: Profile
    let store: any WorldStorage
    let auth: Authenticator
    let gate: Gate
    let server: GuichetServer
    /// The open account with two dependants or more, and its persons.
    let account: DossierID
    let insured: PersonID
    let dependants: [PersonID]
    let fund: OrganisationID

    static func make(size: Int = 150) async throws -> SecuWorld {
        let folder = try temporaryFolder()
        let profile = try Repo.profile(named: "secu")
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        let keys = try FileKeyProvider(path: keyFile)
        let (store, ledger, journal) = try await World.storage(in: folder)
        let registry = try await Registry.open(storage: store, ledger: ledger, journal: journal, profile: profile, keys: keys,
                                               keysOrigin: keys.origin, options: .testing(watch: nil))
        let summary = try await SecuGenerator(profile: profile, keys: keys, size: size, today: LocalDate(year: 2026, month: 11, day: 23)!)
            .generate(into: store)
        let ids = try await store.search(DossierQuery(type: "insured-account", status: "open", scope: [.any], terms: [], after: nil, limit: size))
        let record = try #require(try await store.dossiers(ids).first { $0.persons.filter { $0.role == "dependant" }.count >= 2 },
                                  "an open account with two dependants")
        let insured = try #require(record.persons.first { $0.role == "insured" }?.person)
        let fund = try #require(record.organisation)
        let auth = registry.auth
        _ = try await auth.createAccount(username: "insured1", password: World.password, role: "insured", person: insured, createdBy: nil)
        _ = try await auth.createAccount(username: "agent", password: World.password, role: "agent", organisation: fund, createdBy: nil)
        _ = try await auth.createAccount(username: "employer", password: World.password, role: "employer", organisation: summary.employers[0].id,
                                         createdBy: nil)
        _ = try await auth.createAccount(username: "security", password: World.password, role: "security", organisation: summary.operatorOrg,
                                         createdBy: nil)
        _ = try await auth.createAccount(username: "admin", password: World.password, role: "admin", organisation: summary.operatorOrg, createdBy: nil)
        try await registry.gate.checkpoint(at: Date())
        return SecuWorld(folder: folder, profile: profile, store: store, auth: auth, gate: registry.gate,
                         server: GuichetServer(gate: registry.gate, auth: auth, store: store), account: record.id, insured: insured,
                         dependants: record.persons.filter { $0.role == "dependant" }.map(\.person), fund: fund)
    }

    func remove() { World.remove(store, folder: folder) }

    /// Enrols a TOTP factor as the owner does with an operator's activation code; its secret.
    func enrol(_ username: String) async throws -> String {
        let session = try await auth.signIn(username: username, password: World.password)
        let code = try #require(try await auth.consoleActivation(username: username)?.code)
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: code)
        try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        return secret
    }

    /// A gate request of a staff account, signed in with its first factor enrolled now.
    func request(_ username: String, purpose: String?) async throws -> GateRequest {
        let session = try await auth.signIn(username: username, password: World.password)
        let code = try #require(try await auth.consoleActivation(username: username)?.code)
        let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: code)
        try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        return GateRequest(principal: try await auth.authenticate(token: session.token), requestID: UUID().uuidString, source: "127.0.0.1", purpose: purpose)
    }

    /// The first names of the account's persons, as the insured person reads them (synthetic).
    func firstNames() async throws -> [PersonID: String] {
        let session = try await auth.signIn(username: "insured1", password: World.password)
        let view = try await gate.read(account, GateRequest(principal: session.principal, requestID: UUID().uuidString, source: "127.0.0.1", purpose: nil))
        try await auth.signOut(token: session.token)
        var names: [PersonID: String] = [:]
        for p in view.persons { if case .string(let s) = p.fields["firstName"]?.revealedJSON { names[p.id] = s } }
        return names
    }

    func withPublic(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.publicRouter().0).test(.router, body)
    }

    func withAdmin(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.adminRouter().0).test(.router, body)
    }
}

extension JeunesWorld {
    /// A youth file opened by `adviser` (in their caseload) for a synthetic young person, and
    /// that person's citizen account `username`: the file's id and the person.
    func youngPerson(_ username: String, adviser: String = "adviser-a1", firstName: String = "Lina") async throws -> (DossierID, PersonID) {
        let p = try await auth.authenticate(token: try await token(adviser))
        let made = try await server.gate.create(DossierInput(
            type: "youth-file",
            fields: ["enrolledOn": .string("2026-11-30"), "programme": .string("cej"), "situation": .string("seeking")],
            persons: [.new(role: "young", fields: ["firstName": .string(firstName), "lastName": .string("Exemple"),
                                                   "birthDate": .string("2007-03-14"), "email": .string("\(username)@example.org")])],
            partners: []),
            GateRequest(principal: p, requestID: UUID().uuidString, source: "127.0.0.1", purpose: "support"))
        let person = try #require(made.persons.first { $0.role == "young" }?.person)
        _ = try await auth.createAccount(username: username, password: World.password, role: "young", person: person, createdBy: nil)
        return (made.id, person)
    }
}
