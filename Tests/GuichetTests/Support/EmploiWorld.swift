import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import Synchronization
@testable import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetProfile
import GuichetServer
import GuichetStore
import GuichetSynth
import GuichetVault
import GuichetMFA

/// A clock that tests move by hand.
final class ManualClock: Sendable {
    private let current: Mutex<Date>
    init(_ start: Date = Date()) { current = Mutex(start) }
    var now: Date { current.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { current.withLock { $0 += seconds } }
    func set(_ date: Date) { current.withLock { $0 = date } }
    var function: @Sendable () -> Date { { [self] in self.now } }
}

extension Repo {
    static func profile(named name: String) throws -> Profile {
        try ProfileLoader.load(path: root.appendingPathComponent("profiles/\(name)").path)
    }
}

/// A small synthetic R4 registry (profile `emploi`) made by the real generator, with accounts:
/// `admin` and `admin2` (two administrators), `security`, `adviser1` (first agency, with a caseload), `adviser2` (second agency),
/// `partner1` and `partner2` (partner advisers of the two networks, each with its caseload),
/// `seeker` (a job seeker's own account). The gate's clock is a ``ManualClock``.
struct EmploiWorld {
    static let password = World.password
    let folder: URL
    let profile: Profile
    let store: any WorldStorage
    let ledger: any LedgerProving
    let auth: Authenticator
    let gate: Gate
    let server: GuichetServer
    let summary: EmploiGenerator.Summary
    let clock: ManualClock
    let accounts: [String: AccountID]
    let sessions = SessionCache()

    static func make(size: Int = 1_500) async throws -> EmploiWorld {
        let folder = try temporaryFolder()
        let profile = try Repo.profile(named: "emploi")
        let keyFile = folder.appendingPathComponent("guichet.keys").path
        try KeySet.generate().write(to: keyFile)
        let keys = try FileKeyProvider(path: keyFile)
        let clock = ManualClock()
        // One clock for the gate and the authenticator, as in a server.
        let (store, ledger, journal) = try await World.storage(in: folder)
        let registry = try await Registry.open(storage: store, ledger: ledger, journal: journal, profile: profile, keys: keys,
                                               keysOrigin: keys.origin, options: .testing(watch: nil, clock: clock.function))
        let (auth, gate) = (registry.auth, registry.gate)
        let summary = try await EmploiGenerator(profile: profile, keys: keys, size: size, today: LocalDate(year: 2026, month: 11, day: 2)!)
            .generate(into: store)
        var accounts: [String: AccountID] = [:]
        func add(_ name: String, _ role: String, _ org: Organisation?, person: PersonID? = nil, caseload: [DossierID] = []) async throws {
            let id = try await auth.createAccount(username: name, password: password, role: role, organisation: org?.id, person: person,
                                                  territory: org?.territory, createdBy: nil)
            try await store.assign(caseload, to: id)
            accounts[name] = id
        }
        guard let op = try await store.organisations(kind: "operator").first else { throw GuichetError.notFound }
        try await add("admin", "admin", op)
        try await add("admin2", "admin", op)
        try await add("security", "security", op)
        try await add("adviser1", "adviser", summary.agencies[0], caseload: summary.agencyCaseload)
        try await add("adviser2", "adviser", summary.agencies[1])
        try await add("partner1", "partner-adviser", summary.partnerNetworks[0], caseload: summary.partnerCaseloads[0])
        try await add("partner2", "partner-adviser", summary.partnerNetworks[1], caseload: summary.partnerCaseloads[1])
        try await add("seeker", "job-seeker", nil, person: summary.sampleSeeker)
        // A person not registered yet (one registration per job seeker: the sample seeker has one).
        let newcomer = try await gate.registerPerson(fields: ["firstName": .string("Camille"), "lastName": .string("Exemple"),
                                                              "birthDate": .string("1994-05-17")], requestID: "world", source: nil)
        try await add("newcomer", "job-seeker", nil, person: newcomer)
        return EmploiWorld(folder: folder, profile: profile, store: store, ledger: ledger, auth: auth, gate: gate,
                           server: GuichetServer(gate: gate, auth: auth, store: store), summary: summary, clock: clock, accounts: accounts)
    }

    func remove() { World.remove(store, folder: folder) }

    /// Signs in once (with a TOTP second factor for every kind but citizens).
    func token(_ username: String) async throws -> String {
        if let token = sessions.tokens.withLock({ $0[username] }) { return token }
        let session = try await auth.signIn(username: username, password: Self.password)
        if session.principal.needsSecondFactor {
            let (secret, _) = try await auth.beginTOTP(session.principal, activationCode: try await activationCode(username))
            try await auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: clock.now))
        }
        sessions.tokens.withLock { $0[username] = session.token }
        return session.token
    }

    func principal(_ username: String) async throws -> Principal { try await auth.authenticate(token: try await token(username)) }

    /// A fresh activation code, as an operator on the server gets it.
    func activationCode(_ username: String) async throws -> String {
        try #require(try await auth.consoleActivation(username: username)?.code)
    }

    func request(_ username: String, purpose: String? = nil) async throws -> GateRequest {
        GateRequest(principal: try await principal(username), requestID: UUID().uuidString, source: "127.0.0.1", purpose: purpose)
    }

    /// Every dossier id of the registry (read from the store, no personal data).
    func allDossiers() async throws -> [DossierID] {
        var out: [DossierID] = []
        var after: DossierID?
        repeat {
            let page = try await store.search(DossierQuery(type: "job-seeker", status: nil, scope: [.any], terms: [], after: after, limit: 500))
            out += page
            after = page.count == 500 ? page.last : nil
        } while after != nil
        return out
    }

    func withPublic(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.publicRouter().0).test(.router, body)
    }

    func withAdmin(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        try await Application(router: server.adminRouter().0).test(.router, body)
    }
}

/// The field paths a dossier view reveals (`category`, `partners`, `seeker.firstName`).
func revealedPaths(_ v: DossierView) -> Set<String> {
    var paths = Set(v.fields.keys)
    if v.partners != nil { paths.insert("partners") }
    for p in v.persons { for name in p.fields.keys { paths.insert("\(p.role).\(name)") } }
    return paths
}

extension JSON {
    /// The boolean, when this is one (tests only).
    var bool: Bool? { if case .bool(let b) = self { b } else { nil } }
}
