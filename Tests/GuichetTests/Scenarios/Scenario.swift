import Foundation
import Synchronization
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import GuichetCore
import GuichetImport
import GuichetMFA
import GuichetProfile
import GuichetSynth

/// A real deployment of one reference profile for the scenario tests of issue 16 ("Done
/// when"): everything an operator and the users would do, through the built `guichet` binary
/// and HTTP only; no generator, no demo, no registry opened in the test's process.
///
/// Use:
/// ```swift
/// let s = try await Scenario.initialise("place05")          // guichet init
/// defer { s.remove() }
/// let daycare = try await s.addOrganisation(kind: "daycare", name: "CPE Soleil", capacity: 2)
/// let agent = try await s.createStaff("agent.one", role: "agent", organisation: op)
/// let imported = try await s.importSample(naming: ["daycare": ["CPE Soleil"]])  // ~10,000 persons, guichet import
/// try await s.serve()                                         // guichet serve, loopback, ports 0
/// let token = try await s.signIn(agent)                       // password, then TOTP
/// let r = try await s.call("GET", "/v1/dossiers", as: agent, token: token, purpose: "list-management")
/// try await s.finish()                                        // stops, `guichet ledger verify` must pass
/// ```
/// Provisioning goes through the `guichet` commands (the server's console, journalled), the
/// import through `guichet import` with `profiles/NAME/import-mapping.yaml`.
///
/// Staff sign in with their password, then TOTP (enrolled with their activation code on the
/// first sign-in). The watch may ask a staff member to verify again (work outside the
/// profile's hours, a new account): ``call(_:_:as:token:purpose:body:)`` answers that once,
/// as the owner would. A TOTP code is accepted once per 30-second step, one step either side:
/// an account can prove its factor about twice a minute; ``proveTOTP(_:token:)`` waits when needed.
/// Admin and security roles go to the admin listener, the others to the public one.
final class Scenario: @unchecked Sendable {
    // @unchecked: the mutable state below is set by the test's own task, one step after another.

    /// A staff, partner or admin account as provisioned: what its owner was handed.
    struct Account: Sendable {
        let username: String
        let role: String
        let password: String
        let activationCode: String
    }

    /// An HTTP answer: status and JSON body (`.null` when the body is not JSON).
    struct Answer: Sendable, CustomStringConvertible {
        let status: Int
        let json: JSON
        let text: String
        subscript(key: String) -> JSON? { json.object?[key] }
        var description: String { "\(status) \(text.prefix(600))" }
    }

    let profile: String
    let folder: URL
    var data: String { folder.appendingPathComponent("data").path }
    /// The administrator made by `guichet init`.
    let admin: Account
    /// Organisations by name, as added (by this harness or the import's sample).
    private(set) var organisations: [String: OrganisationID] = [:]
    /// The CSV imported by ``importSample(lines:)``, its header and lines (for a test to pick
    /// a person whose file was imported).
    private(set) var sample: (path: String, header: [String], lines: Int)?
    /// How long `guichet import` took (the command alone), for the scenario's report.
    private(set) var importDuration: Duration?
    /// The `guichet serve` processes (several on PostgreSQL: ``serve(servers:)``).
    private(set) var servers: [ChildServer] = []
    /// The kind of each role of the profile (admin and security roles use the admin listener).
    let roleKinds: [String: RoleKind]
    /// Each server's public and admin listeners; requests go to each in turn, as behind a
    /// round-robin load balancer.
    private(set) var listeners: [(public: String, admin: String)] = []
    private let turn = Mutex(0)
    /// The PostgreSQL database of the registry (`initialise(_:postgres:)`); nil: SQLite in the folder.
    let postgres: String?
    /// TOTP secrets of the accounts enrolled by ``signIn(_:)``, and the last step each used.
    private var secrets: [String: (secret: TOTPSecret, step: Int64)] = [:]
    let http: URLSession

    private init(profile: String, folder: URL, admin: Account, postgres: String?) throws {
        self.profile = profile; self.folder = folder; self.admin = admin; self.postgres = postgres
        roleKinds = try ProfileLoader.load(path: Repo.root.appendingPathComponent("profiles/\(profile)").path).roles.mapValues(\.kind)
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 120
        // An API client: bearer tokens only. A session cookie kept from one account's sign-in
        // would go with every later request (a citizen's claim would carry the agent's session).
        config.httpShouldSetCookies = false
        config.httpCookieAcceptPolicy = .never
        http = URLSession(configuration: config)
    }

    // MARK: the operator's steps

    /// Runs a day on a fresh PostgreSQL database of the test server (its address as typed on
    /// the command line), dropped afterwards.
    static func onFreshPostgres(_ day: (String) async throws -> Void) async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        try await day(address.typed)
        try await PostgresLedgerTests.drop(address)
    }

    /// `guichet init --profile NAME` in a new temporary folder; with `postgres` (an address),
    /// `--store` that database.
    static func initialise(_ profile: String, postgres: String? = nil) async throws -> Scenario {
        let folder = try temporaryFolder()
        let data = folder.appendingPathComponent("data").path
        let made = try await CommandLineTests.run(["init", "--data", data, "--profile", profile] + (postgres.map { ["--store", $0] } ?? []))
        guard made.status == 0, let password = value(after: "password", in: made.stdout),
              let code = value(after: "Activation code", in: made.stdout) else {
            throw TestFailure("guichet init failed: \(made.stdout) \(made.stderr)")
        }
        return try Scenario(profile: profile, folder: folder, admin: Account(username: "admin", role: "admin", password: password, activationCode: code),
                            postgres: postgres)
    }

    /// Runs `guichet ARGS --data DATA` and returns what it printed; throws when it fails.
    @discardableResult
    func guichet(_ args: [String]) async throws -> CommandLineTests.Run {
        let r = try await CommandLineTests.run(args + ["--data", data])
        guard r.status == 0 else { throw TestFailure("guichet \(args.prefix(2).joined(separator: " ")) failed: \(r.stderr)") }
        return r
    }

    /// `guichet territories add`.
    func addTerritory(code: String, name: String) async throws {
        try await guichet(["territories", "add", "--code", code, "--name", name])
    }

    /// `guichet organisations add`; returns its id (also kept in ``organisations``).
    @discardableResult
    func addOrganisation(kind: String, name: String, territory: String? = nil, capacity: Int? = nil) async throws -> OrganisationID {
        var args = ["organisations", "add", "--kind", kind, "--name", name]
        if let territory { args += ["--territory", territory] }
        if let capacity { args += ["--capacity", String(capacity)] }
        let r = try await guichet(args)
        guard let id = Self.value(after: "added", in: r.stdout).flatMap(OrganisationID.init(validating:)) else {
            throw TestFailure("no organisation id in: \(r.stdout)")
        }
        organisations[name] = id
        return id
    }

    /// `guichet staff create`: an account active at once, with its password and activation code.
    func createStaff(_ username: String, role: String, organisation: OrganisationID? = nil, territory: String? = nil) async throws -> Account {
        var args = ["staff", "create", "--username", username, "--role", role]
        if let organisation { args += ["--organisation", organisation.rawValue] }
        if let territory { args += ["--territory", territory] }
        let r = try await guichet(args)
        guard let password = Self.value(after: "Password", in: r.stdout), let code = Self.value(after: "Activation code", in: r.stdout) else {
            throw TestFailure("no password or activation code in: \(r.stdout)")
        }
        return Account(username: username, role: role, password: password, activationCode: code)
    }

    /// Writes the profile's synthetic export (`ImportSample`, about 10,000 persons by default)
    /// and imports it with `guichet import`. Its lines name the organisations given by kind
    /// (added already), or else the sample's own (`ImportSample.organisations`), which are
    /// added first when missing (one `guichet` run each: a few seconds apiece in a debug
    /// build, so pass your own). Returns the dossiers and persons stored.
    @discardableResult
    func importSample(lines: Int? = nil, naming named: [String: [String]]? = nil) async throws -> (dossiers: Int, persons: Int) {
        for (kind, names) in (named ?? ImportSample.organisations(profile)).sorted(by: { $0.key < $1.key }) {
            for name in names where organisations[name] == nil { try await addOrganisation(kind: kind, name: name) }
        }
        let count = lines ?? ImportCommandTests.tenThousandPersons[profile]!
        let path = folder.appendingPathComponent("export.csv").path
        let persons = try ImportSample.write(profile: profile, lines: count, to: path, organisations: named)
        let mapping = Repo.root.appendingPathComponent("profiles/\(profile)/import-mapping.yaml").path
        let clock = ContinuousClock(), started = clock.now
        let r = try await guichet(["import", "--profile", profile, "--mapping", mapping, path])
        importDuration = clock.now - started
        guard r.stdout.contains("\(count) dossiers and \(persons) persons stored") else { throw TestFailure("import: \(r.stdout) \(r.stderr)") }
        sample = (path, try CSVReader(path: path).next()?.fields ?? [], count)
        return (count, persons)
    }

    /// The cells of the imported sample's line `i` (0 = first after the header), by column.
    func sampleLine(_ i: Int) throws -> [String: String] {
        guard let sample else { throw TestFailure("importSample() first") }
        let reader = try CSVReader(path: sample.path)
        for _ in 0...i { _ = try reader.next() }  // the header, then the lines before
        guard let record = try reader.next() else { throw TestFailure("the sample has no line \(i)") }
        return Dictionary(uniqueKeysWithValues: zip(sample.header, record.fields))
    }

    /// Adds `smtpHost`, `smtpPort` and `mailFrom` to `guichet.yaml` so the server mails
    /// through `sink` (call before ``serve()``).
    func mail(to sink: SMTPSink, from sender: String = "guichet@example.org") throws {
        let file = URL(fileURLWithPath: data).appendingPathComponent("guichet.yaml")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        try (text + "\nsmtpHost: 127.0.0.1\nsmtpPort: \(sink.port)\nmailFrom: \(sender)\n").write(to: file, atomically: true, encoding: .utf8)
    }

    /// Adds `trustedProxies` (the loopback) to `guichet.yaml`, so that a request may say which
    /// client it stands for with `X-Forwarded-For` (call before ``serve()``): a citizen who
    /// claims a file does it from another address than the agent who issued the code.
    func trustLoopbackProxy() throws {
        let file = URL(fileURLWithPath: data).appendingPathComponent("guichet.yaml")
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        try (text + "\ntrustedProxies: [\"127.0.0.1\", \"::1\"]\n").write(to: file, atomically: true, encoding: .utf8)
    }

    /// `guichet serve` on loopback, ports chosen by the system; its log goes to `server.log`.
    /// On PostgreSQL, `servers` processes share the database (each with its own copy of the
    /// data folder, as on its own machine); requests then go to each in turn.
    func serve(servers count: Int = 1) async throws {
        for n in 0..<count {
            var data = self.data
            if n > 0 {
                // Another machine's folder: the same configuration and key file, nothing else.
                let other = folder.appendingPathComponent("data-\(n + 1)")
                try FileManager.default.createDirectory(at: other, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                for name in ["guichet.yaml", "guichet.keys"] {
                    try FileManager.default.copyItem(atPath: self.data + "/" + name, toPath: other.appendingPathComponent(name).path)
                }
                data = other.path
            }
            let s = try ChildServer(CommandLineTests.binary.path, ["serve", "--data", data, "--port", "0", "--admin-port", "0"],
                                    directory: Repo.root, log: folder.appendingPathComponent(Self.logName(n)))
            servers.append(s)
            let text = try await s.waitFor("admin listener http://", timeout: 180)
            let urls = text.components(separatedBy: .whitespacesAndNewlines).filter { $0.hasPrefix("http://") }
                .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
            guard urls.count >= 2 else { throw TestFailure("no listener addresses in: \(text)") }
            listeners.append((urls[0], urls[1]))
        }
    }

    /// SIGKILL to server `n` and what it started (a crash: no shutdown, no last checkpoint);
    /// requests then go to the others only.
    func crash(server n: Int) {
        servers[n].spawned.killGroup()
        listeners.remove(at: n)
    }

    /// What server `n` wrote to its log so far.
    func log(of n: Int) -> String {
        (try? String(contentsOf: folder.appendingPathComponent(Self.logName(n)), encoding: .utf8)) ?? ""
    }

    static func logName(_ n: Int) -> String { n == 0 ? "server.log" : "server-\(n + 1).log" }

    /// What the servers wrote to their logs so far (for tests that no secret or personal value is in it).
    var serverLog: String {
        (0..<max(1, servers.count)).map { (try? String(contentsOf: folder.appendingPathComponent(Self.logName($0)), encoding: .utf8)) ?? "" }
            .joined(separator: "\n")
    }

    /// Stops the servers, then `guichet ledger verify`, which must pass; the folder is kept
    /// (``remove()`` deletes it).
    func finish() async throws {
        for server in servers { #expect(await server.stop(), "guichet serve ends on SIGTERM"); server.cleanUp() }
        servers = []
        let verified = try await CommandLineTests.run(["ledger", "verify", "--data", data])
        #expect(verified.status == 0 && verified.stdout.contains("ledger verified"), "ledger verify: \(verified.stdout) \(verified.stderr)")
    }

    /// Kills a server still running and deletes the folder.
    func remove() {
        for server in servers { server.cleanUp() }
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: HTTP

    /// One request to the public listener (or the admin listener with `admin: true`). A body
    /// is sent as JSON; `purpose` goes in `Guichet-Purpose`.
    func call(_ method: String, _ path: String, token: String? = nil, purpose: String? = nil, body: [String: Any]? = nil,
              admin: Bool = false, headers: [String: String] = [:]) async throws -> Answer {
        guard !listeners.isEmpty else { throw TestFailure("no server: serve() first") }
        let target = listeners[turn.withLock { n in defer { n += 1 }; return n } % listeners.count]
        guard let url = URL(string: (admin ? target.admin : target.public) + path) else { throw TestFailure("not a URL: \(path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let purpose { request.setValue(purpose, forHTTPHeaderField: "Guichet-Purpose") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        let (bytes, response) = try await http.data(for: request)
        let text = String(decoding: bytes, as: UTF8.self)
        return Answer(status: (response as? HTTPURLResponse)?.statusCode ?? 0,
                      json: (try? JSONDecoder().decode(JSON.self, from: bytes)) ?? .null, text: text)
    }

    /// Signs a provisioned account in and proves its second factor: on its first sign-in it
    /// enrols TOTP with its activation code (as its owner would with an app), later ones give
    /// a code of a step not used yet. Returns the session token.
    func signIn(_ account: Account) async throws -> String {
        let isAdmin = roleKinds[account.role]?.usesAdminListener == true
        let prefix = isAdmin ? "/admin/v1" : "/v1"
        let session = try await call("POST", prefix + "/session", body: ["username": account.username, "password": account.password], admin: isAdmin)
        guard let token = session["token"]?.string else { throw TestFailure("sign-in of \(account.username): \(session)") }
        var entry = secrets[account.username]
        if entry == nil {
            let enrol = try await call("POST", prefix + "/me/mfa/totp", token: token, body: ["activationCode": account.activationCode], admin: isAdmin)
            guard let base32 = enrol["secret"]?.string else { throw TestFailure("TOTP enrolment of \(account.username): \(enrol)") }
            entry = (try TOTPSecret(base32: base32), -1)
        }
        secrets[account.username] = entry
        try await proveTOTP(account, token: token)
        return token
    }

    /// Proves the account's second factor again in this session with a code of a step not
    /// used yet (waiting for one when the current and next steps are used).
    func proveTOTP(_ account: Account, token: String) async throws {
        guard let entry = secrets[account.username] else { throw TestFailure("sign \(account.username) in first") }
        let isAdmin = roleKinds[account.role]?.usesAdminListener == true
        var now = Int64(Date().timeIntervalSince1970) / 30
        let step = max(now, entry.step + 1)
        // The server accepts one step either side of its clock: wait until `step` is at most the next one.
        while step > now + 1 {
            try await Task.sleep(for: .seconds(1))
            now = Int64(Date().timeIntervalSince1970) / 30
        }
        let verified = try await call("POST", (isAdmin ? "/admin/v1" : "/v1") + "/session/totp", token: token,
                                      body: ["code": entry.secret.code(at: Date(timeIntervalSince1970: Double(step * 30)))], admin: isAdmin)
        guard verified.status == 200 else { throw TestFailure("TOTP of \(account.username): \(verified)") }
        secrets[account.username] = (entry.secret, step)
    }

    /// A staff member's request that answers the watch's step-up (off-hours work, a new
    /// account...) as its owner would: on "verify your second factor again" it proves a fresh
    /// code and sends the request once more. Other refusals come back as they are.
    func call(_ method: String, _ path: String, as account: Account, token: String, purpose: String? = nil,
              body: [String: Any]? = nil) async throws -> Answer {
        let first = try await call(method, path, token: token, purpose: purpose, body: body)
        guard first.status == 403, first["detail"]?.string?.hasPrefix("unusual activity: verify your second factor again") == true else { return first }
        // The watch wants a second factor proved after the second it asked.
        try await Task.sleep(for: .milliseconds(1_100))
        try await proveTOTP(account, token: token)
        return try await call(method, path, token: token, purpose: purpose, body: body)
    }

    /// Signs a citizen in (no second factor); returns the session token.
    func signIn(citizen username: String, password: String) async throws -> String {
        let session = try await call("POST", "/v1/session", body: ["username": username, "password": password])
        guard let token = session["token"]?.string else { throw TestFailure("sign-in of \(username): \(session)") }
        return token
    }

    /// The text after the last ": " on the first line that contains `marker`.
    static func value(after marker: String, in text: String) -> String? { ProvisionCommandTests.value(after: marker, in: text) }
}
