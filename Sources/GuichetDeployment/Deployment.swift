public import Foundation
import GuichetAuth
public import GuichetCore
import GuichetMFA
public import GuichetGate
import GuichetProfile
import GuichetStore
import GuichetLedger
import GuichetPostgres
public import GuichetImport
public import GuichetServer
public import GuichetVault
public import GuichetMail
public import GuichetOIDC
import Logging
import Yams

/// A failure of a data folder (missing, misconfigured, wrong keys): a sentence for the
/// operator, never a secret or a personal value.
public struct DeploymentError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

/// A data folder: its database, its configuration file, its key file and its profile; opened
/// with every start-up check (``Registry/open(store:profile:keys:keysOrigin:options:)``).
/// What every `guichet` subcommand does with `--data`, as a library, so that the tests run it.
public struct Deployment: Sendable {
    public static let databaseName = "guichet.sqlite"
    public static let configName = "guichet.yaml"
    public static let keysName = "guichet.keys"

    public let folder: URL
    public var database: String { folder.appendingPathComponent(Self.databaseName).path }
    public var configFile: String { folder.appendingPathComponent(Self.configName).path }

    public init(_ path: String) { folder = URL(fileURLWithPath: path).standardizedFileURL }

    /// Whether the folder already holds a registry: its SQLite database, or a configuration
    /// naming its PostgreSQL database (``storeLocation(_:settings:)``).
    public var exists: Bool {
        if FileManager.default.fileExists(atPath: database) { return true }
        guard FileManager.default.fileExists(atPath: configFile), case .postgres = try? storeLocation() else { return false }
        return true
    }

    /// Creates the folder, readable by its owner only.
    public func create() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Finds a profile by path or by name: an existing path, then `$GUICHET_PROFILES/NAME`,
    /// then `profiles/NAME` in the current folder or above the executable.
    /// - Throws: ``DeploymentError`` when none is found.
    public static func resolveProfile(_ nameOrPath: String) throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: nameOrPath) { return URL(fileURLWithPath: nameOrPath).standardizedFileURL.path }
        var candidates: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["GUICHET_PROFILES"] {
            candidates.append(URL(fileURLWithPath: dir).appendingPathComponent(nameOrPath))
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("profiles").appendingPathComponent(nameOrPath))
        // Above the executable: as invoked, and as it really is (a copy, or `guichet` found
        // through PATH, where the command line names no folder).
        let executables = [URL(fileURLWithPath: CommandLine.arguments[0]), Bundle.main.executableURL].compactMap { $0 }
        for executable in executables {
            var dir = executable.resolvingSymlinksInPath().deletingLastPathComponent()
            for _ in 0..<5 {
                candidates.append(dir.appendingPathComponent("profiles").appendingPathComponent(nameOrPath))
                dir = dir.deletingLastPathComponent()
            }
        }
        // The checkout it was built from, when it is still there: a binary copied elsewhere on
        // the machine that built it finds the profiles it came with (a co-operative's audit:
        // `guichet init --profile place05` worked only from the checkout).
        candidates.append(URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("profiles").appendingPathComponent(nameOrPath))
        for c in candidates where fm.fileExists(atPath: c.appendingPathComponent("profile.yaml").path) {
            return c.standardizedFileURL.path
        }
        throw DeploymentError("no profile '\(nameOrPath)' found (looked for a path, $GUICHET_PROFILES/\(nameOrPath) and profiles/\(nameOrPath)); pass --profile PATH")
    }

    /// Loads a profile, or fails with its file, line, key and reason.
    public static func loadProfile(_ path: String) throws -> Profile {
        do { return try ProfileLoader.load(path: path) } catch let e as ProfileError {
            throw DeploymentError("invalid profile: \(e)")
        }
    }

    /// The first role of kind admin in a profile.
    public static func adminRole(_ profile: Profile) throws -> String {
        guard let role = profile.roles.values.filter({ $0.kind == .admin }).map(\.name).sorted().first else {
            throw DeploymentError("the profile declares no admin role")
        }
        return role
    }

    /// The configuration file's settings, all optional (`guichet.yaml`; docs/OPERATIONS.md).
    public struct Settings: Codable, Equatable, Sendable {
        public var profile: String?
        public var publicHost: String?
        public var publicPort: Int?
        public var adminHost: String?
        public var adminPort: Int?
        /// Names the admin listener answers to besides localhost and the loopback addresses
        /// (the name of an SSH tunnel or VPN): any other Host gets 421 (DNS rebinding); env
        /// `GUICHET_ADMIN_HOST_NAMES`, comma-separated, wins.
        public var adminHostNames: [String]?
        /// RFC 9116 contacts (mailto: or https:), comma-separated, for /.well-known/security.txt.
        public var securityContact: String?
        /// Disclosure policy URL for security.txt.
        public var securityPolicy: String?
        /// WebAuthn relying party: the site's host name (default localhost) and origin
        /// (default http://localhost:PUBLICPORT); passkeys are bound to them.
        public var webauthnRPID: String?
        public var webauthnOrigin: String?
        /// The admin listener's pages' origin, for administrators' and security officers'
        /// passkeys (default http://localhost:ADMINPORT while the RP ID is localhost).
        public var webauthnAdminOrigin: String?
        /// Mail relay for password-reset codes and notification letters: plain SMTP to a relay on
        /// this host (a local Postfix, say), which handles TLS onwards. Off loopback only with
        /// `smtpAllowRemote: true`.
        public var smtpHost: String?
        public var smtpPort: Int?
        public var smtpAllowRemote: Bool?
        /// The sender address of Guichet's messages.
        public var mailFrom: String?
        /// The reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed
        /// (addresses or networks); env `GUICHET_TRUSTED_PROXIES`, comma-separated, wins.
        public var trustedProxies: [String]?
        /// The forwarding header those proxies write: `x-forwarded-for` (the default: nginx,
        /// HAProxy) or `forwarded` (RFC 7239); the other is ignored. Env `GUICHET_TRUSTED_PROXY_HEADER` wins.
        public var trustedProxyHeader: String?
        /// Logs: `text` or `json`, the lowest level written, `stderr` or `stdout` (env GUICHET_LOG_* wins).
        public var logFormat: String?, logLevel: String?, logOutput: String?
        /// SIEM export: JSON lines to this file; RFC 5424 syslog over TCP to HOST:PORT (env GUICHET_SIEM_* wins).
        public var siemFile: String?, siemSyslog: String?
        /// Federated sign-in: OpenID Connect providers (docs/AUTHENTICATION.md).
        public var oidc: [OIDCProviderSettings]?
        /// Where the registry lives: `sqlite` (the default, in the folder) or a PostgreSQL
        /// address shared by several servers (env `GUICHET_STORE` wins; docs/SCALING.md).
        public var store: String?
        /// Seconds between two signed ledger checkpoints (default 60; env
        /// `GUICHET_CHECKPOINT_SECONDS` wins): shorter means a fresher signed size for
        /// citizens' proofs and a quicker signature after a signer takeover.
        public var checkpointSeconds: Int?

        public init(profile: String? = nil, securityContact: String? = nil) {
            self.profile = profile; self.securityContact = securityContact
        }

        /// These settings with the listeners' ports as served (flags included), in memory only.
        func serving(on ports: (public: Int, admin: Int)?) -> Settings {
            guard let ports else { return self }
            var s = self
            s.publicPort = ports.public; s.adminPort = ports.admin
            return s
        }

        /// Every key the file may hold: any other is refused, so that a mistyped security
        /// setting (`trustedProxie:`) is not silently ignored.
        public enum CodingKeys: String, CodingKey, CaseIterable {
            case profile, publicHost, publicPort, adminHost, adminPort, adminHostNames, securityContact, securityPolicy,
                 webauthnRPID, webauthnOrigin, webauthnAdminOrigin, smtpHost, smtpPort, smtpAllowRemote, mailFrom, trustedProxies,
                 trustedProxyHeader, logFormat, logLevel, logOutput, siemFile, siemSyslog, oidc, store, checkpointSeconds
        }
        static var expectedKeys: String { CodingKeys.allCases.map(\.rawValue).joined(separator: ", ") }

        /// The configured mailer, if any.
        /// - Throws: ``DeploymentError`` naming `file` when the relay settings are wrong.
        public func mailer(_ file: String) throws -> (any Mailer)? {
            guard let smtpHost else { return nil }
            guard let mailFrom, let sender = try? MailAddress(mailFrom) else {
                throw DeploymentError("\(file): smtpHost is set, so mailFrom must be a valid sender address")
            }
            do {
                return try SMTPMailer(host: smtpHost, port: smtpPort ?? 25, sender: sender, allowRemote: smtpAllowRemote ?? false)
            } catch let e as MailError { throw DeploymentError("\(file): \(e.description)") }
        }
    }

    /// The settings of `guichet.yaml`, or none when the file is missing.
    /// - Throws: ``DeploymentError`` when the file is not a valid configuration.
    public func readSettings() throws -> Settings {
        guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else { return Settings() }
        let settings: Settings
        do { settings = try YAMLDecoder().decode(Settings.self, from: text) } catch {
            throw DeploymentError("\(configFile): not a valid configuration (expected keys: \(Settings.expectedKeys))")
        }
        if let map = (try? Yams.load(yaml: text)) as? [String: Any] {
            let unknown = map.keys.filter { Settings.CodingKeys(rawValue: $0) == nil }.sorted()
            if !unknown.isEmpty {
                throw DeploymentError("\(configFile): unknown key\(unknown.count == 1 ? "" : "s") \(unknown.map { "'\(GuichetError.echo($0))'" }.joined(separator: ", ")) "
                                      + "(a mistyped setting? expected keys: \(Settings.expectedKeys))")
            }
        }
        return settings
    }

    public func writeSettings(_ s: Settings) throws {
        try YAMLEncoder().encode(s).write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    /// Where the keys come from: `--keys PATH`, then `GUICHET_KEYS` (the key file's content),
    /// then `GUICHET_KEYS_FILE`, then `DATA/guichet.keys`.
    public func keysSource(_ flag: String?) -> (path: String?, content: String?) {
        let env = ProcessInfo.processInfo.environment
        if let flag { return (flag, nil) }
        if let content = env["GUICHET_KEYS"] { return (nil, content) }
        return (env["GUICHET_KEYS_FILE"] ?? folder.appendingPathComponent(Self.keysName).path, nil)
    }

    /// Loads the keys, creating a key file first when `create` is set and none exists.
    /// - Throws: ``DeploymentError`` with the key error's sentence.
    public func keys(_ flag: String?, create: Bool = false) throws -> FileKeyProvider {
        let source = keysSource(flag)
        do {
            if let content = source.content { return try FileKeyProvider(environmentValue: content) }
            let path = source.path!  // keysSource gives a path whenever it gives no content
            if create && !FileManager.default.fileExists(atPath: path) { try KeySet.generate().write(to: path) }
            return try FileKeyProvider(path: path)
        } catch let e as KeyError { throw DeploymentError(e.description) }
    }

    /// The options a served registry runs with: the relying party and mailer of the settings,
    /// the profile's watch, a server's password hashing and clock.
    public func options(_ profile: Profile, settings: Settings) throws -> RegistryOptions {
        if let problem = Self.originProblem(settings) { throw DeploymentError("\(configFile): \(problem)") }
        return RegistryOptions(relyingParty: Self.relyingParty(settings), mailer: try settings.mailer(configFile), watch: profile.watch)
    }

    /// Why a passkeys' origin of the settings cannot be one, if it cannot: browsers offer
    /// passkeys on `https://` origins, and on `http://` for localhost alone (a controls audit
    /// started a server with `http://guichet.example.org` without a word, and no passkey
    /// could ever be used on it).
    static func originProblem(_ settings: Settings) -> String? {
        for (key, origin) in [("webauthnOrigin", settings.webauthnOrigin), ("webauthnAdminOrigin", settings.webauthnAdminOrigin)] {
            guard let origin else { continue }
            let url = URL(string: origin)
            let scheme = url?.scheme?.lowercased(), host = url?.host?.lowercased() ?? ""
            let local = host == "localhost" || host == "127.0.0.1" || host == "::1" || host == "[::1]"
            let bare = url.map { ($0.path.isEmpty || $0.path == "/") && $0.query == nil && $0.fragment == nil && $0.user == nil } ?? false
            if !host.isEmpty, bare, scheme == "https" || (scheme == "http" && local) { continue }
            return "\(key) '\(origin)' is not an origin passkeys can use: give https://HOST[:PORT] (http:// only for localhost), nothing after the host and port"
        }
        return nil
    }

    /// The passkeys' relying party: the public listener's origin, and the admin listener's
    /// (an attacker test: with one origin, administrators and security officers could never
    /// enrol a passkey, and a port given with `--port` was not the origin's).
    static func relyingParty(_ settings: Settings) -> RelyingParty {
        let id = settings.webauthnRPID ?? "localhost"
        let admin = settings.webauthnAdminOrigin ?? (id == "localhost" ? "http://localhost:\(settings.adminPort ?? 8081)" : nil)
        return RelyingParty(id: id, origin: settings.webauthnOrigin ?? "http://localhost:\(settings.publicPort ?? 8080)",
                            also: admin.map { [$0] } ?? [])
    }

    /// Opens this folder's registry with every start-up check: a missing, unreadable or wrong
    /// key refuses to start before anything is written.
    /// - Throws: ``DeploymentError`` with the refusal's sentence.
    public func openRegistry(profilePath: String, keys: FileKeyProvider, settings: Settings = Settings()) async throws -> Registry {
        let profile = try Self.loadProfile(profilePath)
        let registry: Registry
        do {
            registry = try await Registry.open(database: database, profile: profile, keys: keys, keysOrigin: keys.origin,
                                               options: try options(profile, settings: settings))
        } catch let e as KeyError { throw DeploymentError(e.description) } catch let e as RegistryError { throw DeploymentError(e.description) }
        try await keepErasures(registry.gate, keys: keys)
        return registry
    }

    /// The list of erasures kept beside the key file (``ErasureRecord``): `guichet.keys.erasures`
    /// next to a key file, else `guichet.erasures` in the data folder (keys given as content).
    public func erasureList(keys: FileKeyProvider) -> URL {
        keys.filePath.map { URL(fileURLWithPath: $0 + ".erasures") } ?? folder.appendingPathComponent("guichet.erasures")
    }

    /// The other places a server of this folder keeps its erasure list, when it took its keys
    /// another way (`GUICHET_KEYS`: the data folder's `guichet.erasures`; the folder's key
    /// file: `guichet.keys.erasures`, or beside `GUICHET_KEYS_FILE`): those that exist are
    /// applied and copied at every opening.
    func otherErasureLists(than list: URL) -> [URL] {
        var places = [folder.appendingPathComponent("guichet.erasures"), folder.appendingPathComponent(Self.keysName + ".erasures")]
        if let file = ProcessInfo.processInfo.environment["GUICHET_KEYS_FILE"] { places.append(URL(fileURLWithPath: file + ".erasures")) }
        return places.filter { $0.standardizedFileURL.path != list.standardizedFileURL.path && FileManager.default.fileExists(atPath: $0.path) }
    }

    /// Keeps the registry's erasures beside the key file, and applies again those a restored
    /// database lacks (said on the console: a restore from an older backup undid them).
    /// - Parameter shared: the database is shared by several servers (PostgreSQL): the list's
    ///   marks there carry this machine's host name.
    func keepErasures(_ gate: Gate, keys: FileKeyProvider, shared: Bool = false) async throws {
        var list = erasureList(keys: keys)
        // A key file on a read-only mount (a secret mounted by an orchestrator): the data folder.
        if !FileManager.default.fileExists(atPath: list.path), !FileManager.default.isWritableFile(atPath: list.deletingLastPathComponent().path) {
            list = folder.appendingPathComponent("guichet.erasures")
        }
        let n: Int
        do {
            n = try await gate.keepErasures(at: list, others: otherErasureLists(than: list), server: shared ? ProcessInfo.processInfo.hostName : nil,
                                            requestID: "erasure-list")
        } catch let e as GuichetError {
            throw DeploymentError(e.description)
        }
        if n > 0 {
            FileHandle.standardError.write(Data("guichet: \(n == 1 ? "1 erasure" : "\(n) erasures") recorded in \(list.path) \(n == 1 ? "was" : "were") missing from the database (restored from a backup made before \(n == 1 ? "it" : "them")): \(n == 1 ? "it was" : "they were") applied again\n".utf8))
        }
    }

    /// Opens this folder's registry (``openRegistry(profilePath:keys:settings:)``) and
    /// the server over it, with the security contact and trusted proxies of the settings.
    /// On PostgreSQL (``storeLocation(_:settings:)``) the server takes part in the election of
    /// the checkpoint signer with the other servers of the database.
    /// - Parameter store: `guichet serve --store` (``storeLocation(_:settings:)``).
    public func open(profilePath: String, keys: FileKeyProvider, settings: Settings = Settings(), store: String? = nil) async throws -> GuichetServer {
        try await open(try storeLocation(store, settings: settings), profilePath: profilePath, keys: keys, settings: settings)
    }

    /// `guichet serve`: ``open(profilePath:keys:settings:store:)``, with the folder's serving
    /// lock taken first on SQLite (one server per SQLite folder; several servers share a
    /// PostgreSQL database, and take no lock). Keep the lock for as long as the server runs.
    /// - Throws: ``DeploymentError`` naming the process that serves the folder already.
    /// - Parameter ports: the listeners' ports as served (flags included), for the passkeys'
    ///   default origins (as ``openDemo(profilePath:keys:store:ports:)``).
    public func openForServing(profilePath: String, keys: FileKeyProvider, settings given: Settings, store: String? = nil,
                               ports: (public: Int, admin: Int)? = nil) async throws -> (server: GuichetServer, lock: ServeLock?) {
        let settings = given.serving(on: ports)
        let location = try storeLocation(store, settings: settings)
        let lock: ServeLock? = if case .sqlite = location { try lockForServing() } else { nil }
        if case .sqlite(let path) = location, FileManager.default.fileExists(atPath: path),
           let run = try await Store(path: path).bulkImportMoving() {
            throw DeploymentError("the bulk import \(run.id) stopped while moving its stage into the registry, where some tables hold their part "
                                  + "and others not yet: run the same guichet import again to end it, then serve")
        }
        let server = try await open(location, profilePath: profilePath, keys: keys, settings: settings)
        // A ledger with entries deleted is not served: the accesses would be journalled after a
        // hole that scopes and histories now refuse (an incident audit: a server started, served
        // and signed checkpoints on such a ledger, and nothing said so).
        do { try await server.gate.auditor.checkNoneDeleted() } catch LedgerError.corrupt(let problem) {
            throw DeploymentError("the ledger is damaged: \(problem). The server does not start on it: run 'guichet ledger verify' to see what, "
                                  + "then restore the registry from a backup (docs/OPERATIONS.md, \"Backup and restore\")")
        }
        return (server, lock)
    }

    /// What ``openDemo(profilePath:keys:store:)`` opened.
    public struct DemoOpening: Sendable {
        public let server: GuichetServer
        public let keys: FileKeyProvider
        /// The folder's serving lock (SQLite); keep it for as long as the demo serves.
        public let lock: ServeLock?
        /// The folder was new: its registry is empty and waits for the generator.
        public let fresh: Bool
    }

    /// `guichet demo`'s registry: this folder's own when it holds one, served as it is;
    /// otherwise a new one, with the demo's settings, in SQLite in the folder or in an empty
    /// PostgreSQL database (`store`, as for ``storeLocation(_:settings:)``, written to
    /// `guichet.yaml` without its password).
    /// - Throws: ``DeploymentError`` when the database does not answer or already holds a
    ///   registry (before the folder is made), or the folder is served already.
    /// - Parameter ports: the listeners' ports as served (flags included), for the passkeys'
    ///   default origins; not written to `guichet.yaml`.
    public func openDemo(profilePath: String, keys flag: String?, store: String?, ports: (public: Int, admin: Int)? = nil) async throws -> DemoOpening {
        let fresh = !exists
        let location = try storeLocation(store, settings: fresh ? Settings() : try readSettings())
        var empty: PostgresStore?
        if fresh, case .postgres(let address) = location { empty = try await Self.connect(address, empty: true) }
        do {
            if fresh { try create() }
            let lock: ServeLock? = if case .sqlite = location { try lockForServing() } else { nil }
            let provider = try keys(flag, create: fresh)
            if fresh {
                var settings = Settings(profile: profilePath, securityContact: "mailto:security@example.org")
                if case .postgres(let address) = location { settings.store = address.setting }  // never its password
                try writeSettings(settings)
            }
            let settings = try readSettings().serving(on: ports)
            let server = if let empty {
                try await openPostgres(empty, profilePath: profilePath, keys: provider, settings: settings, creating: true).server
            } else {
                try await open(location, profilePath: profilePath, keys: provider, settings: settings)
            }
            return DemoOpening(server: server, keys: provider, lock: lock, fresh: fresh)
        } catch {
            await empty?.close()
            throw error
        }
    }

    func open(_ location: StoreLocation, profilePath: String, keys: FileKeyProvider, settings: Settings) async throws -> GuichetServer {
        if case .postgres(let address) = location {
            return try await openPostgres(address, profilePath: profilePath, keys: keys, settings: settings).server
        }
        let registry = try await openRegistry(profilePath: profilePath, keys: keys, settings: settings)
        return try server(registry, settings: settings)
    }

    /// The server of an open registry, configured by the settings (security.txt, trusted
    /// proxies, OpenID Connect providers).
    /// - Throws: ``DeploymentError`` naming the file for a wrong entry (an identity provider's
    ///   unreadable or empty client secret, say).
    public func server(_ registry: Registry, settings: Settings) throws -> GuichetServer {
        try server(gate: registry.gate, auth: registry.auth, store: registry.store, settings: settings, signing: nil, cursors: nil)
    }

    /// The server over a gate, an authenticator and their storage, on any back-end.
    func server(gate: Gate, auth: Authenticator, store: any ServerStorage, settings: Settings,
                signing: (any CheckpointSigning)?, cursors: (any SIEMCursorStorage)?) throws -> GuichetServer {
        var securityTxt: SecurityTxt?
        if let contacts = settings.securityContact {
            do {
                securityTxt = try SecurityTxt(contacts: contacts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                              expires: Date().addingTimeInterval(180 * 86_400), policy: settings.securityPolicy)
            } catch let e as ConfigurationError { throw DeploymentError("\(configFile): \(e.description)") }
        }
        let proxyList = ProcessInfo.processInfo.environment["GUICHET_TRUSTED_PROXIES"].map { $0.split(separator: ",").map(String.init) }
            ?? settings.trustedProxies ?? []
        let headerName = (ProcessInfo.processInfo.environment["GUICHET_TRUSTED_PROXY_HEADER"] ?? settings.trustedProxyHeader ?? "x-forwarded-for").lowercased()
        guard let header = TrustedProxies.Header(rawValue: headerName) else {
            throw DeploymentError("\(configFile): trustedProxyHeader must be x-forwarded-for or forwarded (the one header your proxy writes), not '\(headerName)'")
        }
        let proxies: TrustedProxies
        do { proxies = try TrustedProxies(proxyList, header: header) } catch let e as GuichetError { throw DeploymentError("\(configFile): \(e.description)") }
        var federation: Federation?
        if let providers = settings.oidc, !providers.isEmpty {
            do {
                let resolved = try providers.map { try $0.resolved() }
                guard Set(resolved.map(\.name)).count == resolved.count else { throw OIDCError.configuration("oidc: two providers have the same name") }
                federation = Federation(providers: resolved)
            } catch let e as OIDCError { throw DeploymentError("\(configFile): \(e.description)") }
        }
        let seconds: Int
        if let text = ProcessInfo.processInfo.environment["GUICHET_CHECKPOINT_SECONDS"] {
            guard let n = Int(text) else { throw DeploymentError("GUICHET_CHECKPOINT_SECONDS must be a whole number of seconds, 1 to 3600") }
            seconds = n
        } else { seconds = settings.checkpointSeconds ?? 60 }
        guard (1...3600).contains(seconds) else { throw DeploymentError("\(configFile): checkpointSeconds must be 1 to 3600 (default 60)") }
        return GuichetServer(gate: gate, auth: auth, store: store, securityTxt: securityTxt, trustedProxies: proxies,
                             accessLog: Logger(label: "guichet.access"), federation: federation, checkpointSigning: signing,
                             siemCursors: cursors, checkpointInterval: .seconds(seconds))
    }

    /// Opens an existing data folder as the maintenance commands do (`ledger`, `breach`,
    /// `accounts`, `keys`): its profile from the settings unless one is given, its keys from
    /// `keys` (see ``keysSource(_:)``).
    /// - Throws: ``DeploymentError`` when the folder holds no registry or names no profile.
    public func openExisting(keys flag: String?, profile: String? = nil) async throws -> (registry: Registry, server: GuichetServer) {
        guard exists else { throw DeploymentError("no registry in \(folder.path)") }
        let settings = try readSettings()
        try requireSQLite("this command", instead: "use a command that works on both back-ends")
        guard let name = profile ?? settings.profile else { throw DeploymentError("no profile in \(configFile): pass --profile") }
        let provider = try keys(flag)
        let registry = try await openRegistry(profilePath: try Self.resolveProfile(name), keys: provider, settings: settings)
        // Maintenance commands sign nobody in: they need no identity provider nor its secret.
        var offline = settings
        offline.oidc = nil
        return (registry, try server(registry, settings: offline))
    }

    /// Opens an existing data folder's server as the console commands do (`staff`,
    /// `organisations`, `ledger`, `breach`, `accounts`), on either back-end
    /// (``openMaintenance(keys:profile:)``).
    public func openServer(keys flag: String?, profile: String? = nil) async throws -> GuichetServer {
        try await openMaintenance(keys: flag, profile: profile).server
    }

    /// Opens an existing data folder's registry and server for a maintenance or console command
    /// (`keys`, `retention` and the console's), on either back-end: what
    /// ``openExisting(keys:profile:)`` opens on SQLite; on PostgreSQL the registry of the
    /// shared database, without taking part in the election of the checkpoint signer.
    /// - Throws: as ``openExisting(keys:profile:)``.
    /// - Returns: also the store's import runs, for `guichet import`.
    public func openMaintenance(keys flag: String?, profile: String? = nil) async throws
        -> (registry: OpenedRegistry, server: GuichetServer, imports: any ImportStorage) {
        guard exists else { throw DeploymentError("no registry in \(folder.path)") }
        let settings = try readSettings()
        guard case .postgres(let address) = try storeLocation(settings: settings) else {
            let (registry, server) = try await openExisting(keys: flag, profile: profile)
            return (registry.opened, server, registry.store)
        }
        guard let name = profile ?? settings.profile else { throw DeploymentError("no profile in \(configFile): pass --profile") }
        var offline = settings
        offline.oidc = nil
        let (opened, server, store) = try await openPostgres(address, profilePath: try Self.resolveProfile(name), keys: try keys(flag), settings: offline,
                                                             elect: false)
        return (opened, server, store)
    }

    /// What `guichet init` prints once.
    public struct Created: Sendable {
        public let profile: String
        public let keysOrigin: String
        public let admin: String
        /// Shown once; never logged.
        public let password: String
        public let activationCode: String
    }

    /// Creates an empty registry in this folder (which must not hold one) with its key file
    /// (unless it exists) and one administrator with a generated password and an activation code.
    ///
    /// Every argument is checked before anything is made (the administrator's name, the profile,
    /// the store's address, an existing key file and where a new one goes), and a database on
    /// PostgreSQL is reached before the folder is made. When a later step fails, what this run
    /// made is removed: the folder if it made it, else the files it added (key file, database,
    /// configuration), and the folder's mode is put back; so a retry starts from where the first
    /// run did.
    /// - Throws: ``DeploymentError`` when the folder already holds a registry, or an argument is
    ///   refused (nothing is changed); ``GuichetError`` for an administrator's name that is no user
    ///   name (nothing is changed). On PostgreSQL, a failure after the registry was begun in the
    ///   database says how to empty it before a retry (the database is not dropped for the operator).
    /// - Parameter store: where the registry lives (``storeLocation(_:settings:)``; nil: SQLite
    ///   in the folder, unless `GUICHET_STORE` names a database). A PostgreSQL database that
    ///   already holds a registry is refused too; its address is written in `guichet.yaml`.
    public func initialise(profilePath: String, admin: String, keys flag: String?, store: String? = nil) async throws -> Created {
        guard !exists else { throw DeploymentError("\(folder.path) already holds a registry; nothing was changed") }
        try Authenticator.checkUsername(admin)
        let location = try storeLocation(store, settings: Settings())
        let profile = try Self.loadProfile(profilePath)
        let role = try Self.adminRole(profile)
        let made = try InitialisedFiles(checking: self, keys: flag)
        // A database that does not answer or already holds a registry is refused before the folder is made.
        var closing: PostgresStore?
        if case .postgres(let address) = location { closing = try await Self.connect(address, empty: true) }
        var begun = false  // the registry's rows were begun in the PostgreSQL database
        do {
            try create()
            try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: folder.path)
            let provider = try keys(flag, create: true)
            let auth: Authenticator
            if let pg = closing {
                begun = true
                auth = try await openPostgres(pg, profilePath: profilePath, keys: provider, settings: Settings(), creating: true).opened.auth
            } else {
                auth = try await openRegistry(profilePath: profilePath, keys: provider).auth
            }
            let password = Self.generatedPassword()
            _ = try await auth.createAccount(username: admin, password: password, role: role, createdBy: nil)
            let activation = try await auth.consoleActivation(username: admin)?.code ?? ""  // the account was just created
            await closing?.close()
            var settings = Settings(profile: profilePath)
            if case .postgres(let address) = location { settings.store = address.setting }  // never its password
            try writeSettings(settings)
            return Created(profile: profile.name, keysOrigin: provider.origin, admin: admin, password: password, activationCode: activation)
        } catch {
            await closing?.close()
            made.remove()
            guard begun, case .postgres(let address) = location else { throw error }
            throw DeploymentError("\(error); this run began a registry in the PostgreSQL database \(address): empty that database "
                + "before trying again (DROP DATABASE \(address.database); CREATE DATABASE \(address.database) OWNER \(address.user);), "
                + "the files this run made in \(folder.path) were removed")
        }
    }

    /// What `guichet serve` warns about at start-up in these settings (written through the
    /// logger, so as JSON lines when the logs are).
    public func startWarnings(_ settings: Settings) -> [String] {
        guard settings.securityContact == nil else { return [] }
        return ["no securityContact in \(configFile): /.well-known/security.txt is not served (RFC 9116); add one (securityContact: mailto:…)"]
    }

    /// The command that serves this folder, with the key file given to the command that made
    /// it (`init`, `restore`) when that is not the folder's own: without it, `serve` finds no keys.
    public func serveCommand(keys flag: String?) -> String {
        let own = folder.appendingPathComponent(Self.keysName).path
        let keys = flag.map { URL(fileURLWithPath: $0).standardizedFileURL.path }.flatMap { $0 == own ? nil : $0 }
        return "guichet serve --data \(folder.path)" + (keys.map { " --keys \($0)" } ?? "")
    }

    /// A strong random password for generated accounts (shown once, never logged).
    public static func generatedPassword() -> String {
        var rng = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<15).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
}

extension Deployment {
    /// Restores a backup into this data folder (``Registry/restore``: the copy's integrity, keys
    /// and ledger are checked before it takes the database's place); records its profile in the
    /// configuration file when none is named there.
    /// - Throws: ``DeploymentError`` with the reason; nothing is restored then.
    /// - Parameter withoutErasureList: restore even though no erasure list is in place (it was
    ///   lost): the erasures made after the backup was taken are then undone until they are
    ///   carried out again.
    public func restore(from backup: String, replace: Bool, keys flag: String?, withoutErasureList: Bool = false) async throws -> RestoreReport {
        guard FileManager.default.fileExists(atPath: backup) else { throw DeploymentError("no backup file at \(backup)") }
        try requireSQLite("guichet restore", instead: "restore it with PostgreSQL's own tools (pg_restore; docs/SCALING.md)")
        if exists && !replace { throw DeploymentError(BackupError.targetNotEmpty(database).description) }
        // A folder made for this restore goes again when the restore is refused.
        let made = !FileManager.default.fileExists(atPath: folder.path)
        try create()
        do { return try await restoreIntoFolder(from: backup, replace: replace, keys: flag, withoutErasureList: withoutErasureList) } catch {
            if made { try? FileManager.default.removeItem(at: folder) }
            throw error
        }
    }

    private func restoreIntoFolder(from backup: String, replace: Bool, keys flag: String?, withoutErasureList: Bool) async throws -> RestoreReport {
        // Held until the restore ends: no server may run on the file being replaced, nor start
        // on it half-way.
        let lock = try lockForServing(.restoring)
        defer { withExtendedLifetime(lock) {} }
        let provider = try keys(flag)
        // The erasures made since the backup was taken are applied again from the list kept
        // beside the key file. Without it they would be undone, silently (a co-operative's
        // audit: the docs' two lines copied the key file alone, and an erased parent's data
        // was readable again after the restore).
        let list = erasureList(keys: provider)
        if !withoutErasureList, !FileManager.default.fileExists(atPath: list.path), otherErasureLists(than: list).isEmpty {
            throw DeploymentError("no erasure list at \(list.path): the erasures made after this backup was taken would be undone, and the persons "
                                  + "erased readable again. Copy the registry's erasure list (guichet.keys.erasures, kept beside its key file) there, "
                                  + "then restore again; if it is lost, add --without-erasure-list and carry out again the erasure requests made since the backup; "
                                  + "nothing was restored")
        }
        let report: RestoreReport
        do {
            report = try await Registry.restore(from: backup, into: database, replace: replace, keys: provider, keysOrigin: provider.origin) {
                try Deployment.loadProfile(try Deployment.resolveProfile($0))
            }
        } catch let e as BackupError { throw DeploymentError(e.description) } catch let e as KeyError {
            throw DeploymentError("\(e.description); nothing was restored")
        } catch let e as StoreError { throw DeploymentError(e.description) }
        var settings = try readSettings()
        if settings.profile == nil {
            // Where the restore found it, as `guichet init` records it: the folder then serves
            // from any working directory.
            settings.profile = (try? Self.resolveProfile(report.profile)) ?? report.profile
            try writeSettings(settings)
        }
        // Erasures made since the backup was taken are applied again now (the erasure list
        // beside the key file), before any server reads the restored persons.
        let reopened = try await openRegistry(profilePath: try Self.resolveProfile(settings.profile ?? report.profile), keys: provider)
        try? reopened.store.close()
        return report
    }
}

/// What `guichet init` may make in a data folder, noted before it makes anything, so that a run
/// that fails half-way removes exactly what it made and nothing that was there before.
struct InitialisedFiles {
    let folder: URL
    /// The folder did not exist: it goes whole.
    let madeFolder: Bool
    /// The folder's mode before `init` set 0700 (an existing folder).
    let mode: Int?
    /// Files that did not exist (the key file, the database and its companions, `guichet.yaml`).
    let files: [String]

    /// Notes what exists, and checks the key source first: an existing key file (or
    /// `GUICHET_KEYS`) must read, and a new key file's folder must exist or be the data folder.
    /// - Throws: ``DeploymentError`` saying which; nothing was made.
    init(checking d: Deployment, keys flag: String?) throws {
        let fm = FileManager.default
        folder = d.folder
        madeFolder = !fm.fileExists(atPath: d.folder.path)
        mode = madeFolder ? nil : (try? fm.attributesOfItem(atPath: d.folder.path))?[.posixPermissions] as? Int
        var candidates = [d.database, d.database + "-wal", d.database + "-shm", d.database + "-journal", d.configFile]
        let source = d.keysSource(flag)
        if let path = source.path, !fm.fileExists(atPath: path) {
            let parent = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent()
            guard parent.path == d.folder.path || fm.fileExists(atPath: parent.path) else {
                throw DeploymentError("the key file's folder \(parent.path) does not exist; nothing was changed")
            }
            candidates.append(path)
        } else {
            _ = try d.keys(flag)  // an existing key file that does not read is refused now
        }
        // The erasure list (ErasureRecord) this run would start, beside the key file or in the folder.
        if let path = source.path { candidates.append(path + ".erasures") }
        candidates.append(d.folder.appendingPathComponent("guichet.erasures").path)
        files = candidates.filter { !fm.fileExists(atPath: $0) }
    }

    /// Removes what the run made, and puts the folder's mode back.
    func remove() {
        let fm = FileManager.default
        if madeFolder { try? fm.removeItem(at: folder); return }
        for file in files { try? fm.removeItem(atPath: file) }
        if let mode { try? fm.setAttributes([.posixPermissions: mode], ofItemAtPath: folder.path) }
    }
}
