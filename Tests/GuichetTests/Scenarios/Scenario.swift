import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import GuichetCore
import GuichetImport
import GuichetMFA
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
/// let imported = try await s.importSample()                   // ~10,000 persons, guichet import
/// try await s.serve()                                         // guichet serve, loopback, ports 0
/// let token = try await s.signIn(agent)                       // password, then TOTP
/// let r = await s.call(.get, "/v1/dossiers", token: token)
/// try await s.finish()                                        // stops, `guichet ledger verify` must pass
/// ```
/// Provisioning goes through the `guichet` commands (the server's console, journalled), the
/// import through `guichet import` with `profiles/NAME/import-mapping.yaml`; the organisations
/// the sample's lines name (`ImportSample.organisations`) are added by ``importSample(lines:)``
/// when missing.
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
    private(set) var server: ChildServer?
    private(set) var publicBase = "", adminBase = ""
    /// TOTP secrets of the accounts enrolled by ``signIn(_:)``, and the last step each used.
    private var secrets: [String: (secret: TOTPSecret, step: Int64)] = [:]
    let http: URLSession

    private init(profile: String, folder: URL, admin: Account) {
        self.profile = profile; self.folder = folder; self.admin = admin
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 120
        http = URLSession(configuration: config)
    }

    // MARK: the operator's steps

    /// `guichet init --profile NAME` in a new temporary folder.
    static func initialise(_ profile: String) async throws -> Scenario {
        let folder = try temporaryFolder()
        let data = folder.appendingPathComponent("data").path
        let made = try await CommandLineTests.run(["init", "--data", data, "--profile", profile])
        guard made.status == 0, let password = value(after: "password", in: made.stdout),
              let code = value(after: "Activation code", in: made.stdout) else {
            throw TestFailure("guichet init failed: \(made.stdout) \(made.stderr)")
        }
        return Scenario(profile: profile, folder: folder, admin: Account(username: "admin", role: "admin", password: password, activationCode: code))
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
    /// and imports it with `guichet import`, after adding the organisations its lines name
    /// that do not exist yet. Returns the dossiers and persons stored.
    @discardableResult
    func importSample(lines: Int? = nil) async throws -> (dossiers: Int, persons: Int) {
        for (kind, names) in ImportSample.organisations(profile).sorted(by: { $0.key < $1.key }) {
            for name in names where organisations[name] == nil { try await addOrganisation(kind: kind, name: name) }
        }
        let count = lines ?? ImportCommandTests.tenThousandPersons[profile]!
        let path = folder.appendingPathComponent("export.csv").path
        let persons = try ImportSample.write(profile: profile, lines: count, to: path)
        let mapping = Repo.root.appendingPathComponent("profiles/\(profile)/import-mapping.yaml").path
        let r = try await guichet(["import", "--profile", profile, "--mapping", mapping, path])
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

    /// `guichet serve` on loopback, ports chosen by the system; its log goes to `server.log`.
    func serve() async throws {
        let s = try ChildServer(CommandLineTests.binary.path, ["serve", "--data", data, "--port", "0", "--admin-port", "0"],
                                directory: Repo.root, log: folder.appendingPathComponent("server.log"))
        server = s
        let text = try await s.waitFor("admin listener http://", timeout: 180)
        let urls = text.components(separatedBy: .whitespacesAndNewlines).filter { $0.hasPrefix("http://") }
            .map { $0.trimmingCharacters(in: CharacterSet(charactersIn: ",")) }
        guard urls.count >= 2 else { throw TestFailure("no listener addresses in: \(text)") }
        publicBase = urls[0]; adminBase = urls[1]
    }

    /// What the server wrote to its log so far (for tests that no secret or personal value is in it).
    var serverLog: String { (try? String(contentsOf: folder.appendingPathComponent("server.log"), encoding: .utf8)) ?? "" }

    /// Stops the server, then `guichet ledger verify`, which must pass; the folder is kept
    /// (``remove()`` deletes it).
    func finish() async throws {
        if let server { #expect(await server.stop(), "guichet serve ends on SIGTERM"); server.cleanUp() }
        server = nil
        let verified = try await CommandLineTests.run(["ledger", "verify", "--data", data])
        #expect(verified.status == 0 && verified.stdout.contains("ledger verified"), "ledger verify: \(verified.stdout) \(verified.stderr)")
    }

    /// Kills a server still running and deletes the folder.
    func remove() {
        server?.cleanUp()
        try? FileManager.default.removeItem(at: folder)
    }

    // MARK: HTTP

    /// One request to the public listener (or the admin listener with `admin: true`). A body
    /// is sent as JSON; `purpose` goes in `Guichet-Purpose`.
    func call(_ method: String, _ path: String, token: String? = nil, purpose: String? = nil, body: [String: Any]? = nil,
              admin: Bool = false) async throws -> Answer {
        var request = URLRequest(url: URL(string: (admin ? adminBase : publicBase) + path)!)  // the bases come from the server's own line
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let purpose { request.setValue(purpose, forHTTPHeaderField: "Guichet-Purpose") }
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
        let isAdmin = account.role == admin.role && account.username == admin.username
        let prefix = isAdmin ? "/admin/v1" : "/v1"
        let session = try await call("POST", prefix + "/session", body: ["username": account.username, "password": account.password], admin: isAdmin)
        guard let token = session["token"]?.string else { throw TestFailure("sign-in of \(account.username): \(session)") }
        var entry = secrets[account.username]
        if entry == nil {
            let enrol = try await call("POST", prefix + "/me/mfa/totp", token: token, body: ["activationCode": account.activationCode], admin: isAdmin)
            guard let base32 = enrol["secret"]?.string else { throw TestFailure("TOTP enrolment of \(account.username): \(enrol)") }
            entry = (try TOTPSecret(base32: base32), -1)
        }
        // A code not used before: the current step, else the next (the server accepts one step either side).
        let now = Int64(Date().timeIntervalSince1970) / 30
        let step = max(now, entry!.step + 1)  // set just above
        guard step <= now + 1 else { throw TestFailure("\(account.username) signed in too often for its TOTP steps") }
        let verified = try await call("POST", prefix + "/session/totp", token: token,
                                      body: ["code": entry!.secret.code(at: Date(timeIntervalSince1970: Double(step * 30)))], admin: isAdmin)
        guard verified.status == 200 else { throw TestFailure("TOTP of \(account.username): \(verified)") }
        secrets[account.username] = (entry!.secret, step)
        return token
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
