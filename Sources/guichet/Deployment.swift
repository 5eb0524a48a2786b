import ArgumentParser
import Foundation
import GuichetAuth
import GuichetCore
import GuichetMFA
import GuichetGate
import GuichetProfile
import GuichetServer
import GuichetStore
import GuichetVault
import GuichetMail
import Logging
import Yams

/// A data folder: its database, its configuration file and its profile.
struct Deployment {
    static let databaseName = "guichet.sqlite"
    static let configName = "guichet.yaml"
    static let keysName = "guichet.keys"

    let folder: URL
    var database: String { folder.appendingPathComponent(Self.databaseName).path }
    var configFile: String { folder.appendingPathComponent(Self.configName).path }

    init(_ path: String) { folder = URL(fileURLWithPath: path).standardizedFileURL }

    /// Whether the folder already holds a registry.
    var exists: Bool { FileManager.default.fileExists(atPath: database) }

    /// Creates the folder, readable by its owner only.
    func create() throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Finds a profile by path or by name: an existing path, then `$GUICHET_PROFILES/NAME`,
    /// then `profiles/NAME` in the current folder or above the executable.
    static func resolveProfile(_ nameOrPath: String) throws -> String {
        let fm = FileManager.default
        if fm.fileExists(atPath: nameOrPath) { return URL(fileURLWithPath: nameOrPath).standardizedFileURL.path }
        var candidates: [URL] = []
        if let dir = ProcessInfo.processInfo.environment["GUICHET_PROFILES"] {
            candidates.append(URL(fileURLWithPath: dir).appendingPathComponent(nameOrPath))
        }
        candidates.append(URL(fileURLWithPath: fm.currentDirectoryPath).appendingPathComponent("profiles").appendingPathComponent(nameOrPath))
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<5 {
            candidates.append(dir.appendingPathComponent("profiles").appendingPathComponent(nameOrPath))
            dir = dir.deletingLastPathComponent()
        }
        for c in candidates where fm.fileExists(atPath: c.appendingPathComponent("profile.yaml").path) {
            return c.standardizedFileURL.path
        }
        throw CommandError("no profile '\(nameOrPath)' found (looked for a path, $GUICHET_PROFILES/\(nameOrPath) and profiles/\(nameOrPath)); pass --profile PATH")
    }

    /// The configuration file's settings (all optional).
    struct Settings: Codable, Equatable {
        var profile: String?
        var publicHost: String?
        var publicPort: Int?
        var adminHost: String?
        var adminPort: Int?
        /// RFC 9116 contacts (mailto: or https:), comma-separated, for /.well-known/security.txt.
        var securityContact: String?
        /// Disclosure policy URL for security.txt.
        var securityPolicy: String?
        /// WebAuthn relying party: the site's host name (default localhost) and origin
        /// (default http://localhost:PUBLICPORT); passkeys are bound to them.
        var webauthnRPID: String?
        var webauthnOrigin: String?
        /// Mail relay for password-reset codes and notification letters: plain SMTP to a relay on
        /// this host (a local Postfix, say), which handles TLS onwards. Off loopback only with
        /// `smtpAllowRemote: true`.
        var smtpHost: String?
        var smtpPort: Int?
        var smtpAllowRemote: Bool?
        /// The sender address of Guichet's messages.
        var mailFrom: String?
        /// The reverse proxies whose `Forwarded` / `X-Forwarded-For` headers are believed
        /// (addresses or networks); env `GUICHET_TRUSTED_PROXIES`, comma-separated, wins.
        var trustedProxies: [String]?
        /// Logs: `text` or `json`, the lowest level written, `stderr` or `stdout` (env GUICHET_LOG_* wins).
        var logFormat: String?, logLevel: String?, logOutput: String?
        /// SIEM export: JSON lines to this file; RFC 5424 syslog over TCP to HOST:PORT (env GUICHET_SIEM_* wins).
        var siemFile: String?, siemSyslog: String?

        /// The configured mailer, if any.
        func mailer(_ file: String) throws -> (any Mailer)? {
            guard let smtpHost else { return nil }
            guard let mailFrom, let sender = try? MailAddress(mailFrom) else {
                throw CommandError("\(file): smtpHost is set, so mailFrom must be a valid sender address")
            }
            do {
                return try SMTPMailer(host: smtpHost, port: smtpPort ?? 25, sender: sender, allowRemote: smtpAllowRemote ?? false)
            } catch let e as MailError { throw CommandError("\(file): \(e.description)") }
        }
    }

    func readSettings() throws -> Settings {
        guard let text = try? String(contentsOfFile: configFile, encoding: .utf8) else { return Settings() }
        do { return try YAMLDecoder().decode(Settings.self, from: text) } catch {
            throw CommandError("\(configFile): not a valid configuration (expected keys: profile, publicHost, publicPort, adminHost, adminPort, securityContact, securityPolicy, webauthnRPID, webauthnOrigin, smtpHost, smtpPort, smtpAllowRemote, mailFrom, trustedProxies, logFormat, logLevel, logOutput, siemFile, siemSyslog)")
        }
    }

    func writeSettings(_ s: Settings) throws {
        try YAMLEncoder().encode(s).write(toFile: configFile, atomically: true, encoding: .utf8)
    }

    /// Loads a profile, or fails with its file, line, key and reason.
    static func loadProfile(_ path: String) throws -> Profile {
        do { return try ProfileLoader.load(path: path) } catch let e as ProfileError {
            throw CommandError("invalid profile: \(e)")
        }
    }

    /// Where the keys come from: `--keys PATH`, then `GUICHET_KEYS` (the key file's content),
    /// then `GUICHET_KEYS_FILE`, then `DATA/guichet.keys`.
    func keysSource(_ flag: String?) -> (path: String?, content: String?) {
        let env = ProcessInfo.processInfo.environment
        if let flag { return (flag, nil) }
        if let content = env["GUICHET_KEYS"] { return (nil, content) }
        return (env["GUICHET_KEYS_FILE"] ?? folder.appendingPathComponent(Self.keysName).path, nil)
    }

    /// Loads the keys, creating a key file first when `create` is set and none exists.
    func keys(_ flag: String?, create: Bool = false) throws -> FileKeyProvider {
        let source = keysSource(flag)
        do {
            if let content = source.content { return try FileKeyProvider(environmentValue: content) }
            let path = source.path!  // keysSource gives a path whenever it gives no content
            if create && !FileManager.default.fileExists(atPath: path) { try KeySet.generate().write(to: path) }
            return try FileKeyProvider(path: path)
        } catch let e as KeyError { throw CommandError(e.description) }
    }

    /// Opens the store, profile, authenticator and gate of this folder with every start-up
    /// check (``Registry/open(database:profile:keys:keysOrigin:relyingParty:mailer:watch:hasher:)``):
    /// a missing, unreadable or wrong key refuses to start before anything is written.
    func open(profilePath: String, keys: any KeyProvider, origin: String, settings: Settings = Settings()) async throws -> GuichetServer {
        let profile = try Self.loadProfile(profilePath)
        let rp = RelyingParty(id: settings.webauthnRPID ?? "localhost",
                              origin: settings.webauthnOrigin ?? "http://localhost:\(settings.publicPort ?? 8080)")
        let mailer = try settings.mailer(configFile)
        let registry: Registry
        do {
            registry = try await Registry.open(database: database, profile: profile, keys: keys, keysOrigin: origin, relyingParty: rp,
                                               mailer: mailer, watch: profile.watch)
        } catch let e as KeyError { throw CommandError(e.description) } catch let e as RegistryError { throw CommandError(e.description) }
        var securityTxt: SecurityTxt?
        if let contacts = settings.securityContact {
            do {
                securityTxt = try SecurityTxt(contacts: contacts.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                                              expires: Date().addingTimeInterval(180 * 86_400), policy: settings.securityPolicy)
            } catch let e as ConfigurationError { throw CommandError("\(configFile): \(e.description)") }
        }
        let proxyList = ProcessInfo.processInfo.environment["GUICHET_TRUSTED_PROXIES"].map { $0.split(separator: ",").map(String.init) }
            ?? settings.trustedProxies ?? []
        let proxies: TrustedProxies
        do { proxies = try TrustedProxies(proxyList) } catch let e as GuichetError { throw CommandError("\(configFile): \(e.description)") }
        return GuichetServer(gate: registry.gate, auth: registry.auth, store: registry.store, securityTxt: securityTxt, trustedProxies: proxies,
                             accessLog: Logger(label: "guichet.access"))
    }
}

/// Listener options shared by `serve` and `demo`; flags win over the environment, which wins
/// over the configuration file.
struct ListenerOptions: ParsableArguments {
    @Option(help: "Public listener port (default 8080; env GUICHET_PUBLIC_PORT).") var port: Int?
    @Option(help: "Public listener address (default 127.0.0.1; env GUICHET_PUBLIC_HOST).") var host: String?
    @Option(name: .customLong("admin-port"), help: "Admin listener port (default 8081; env GUICHET_ADMIN_PORT).") var adminPort: Int?
    @Option(name: .customLong("admin-host"), help: "Admin listener address (default 127.0.0.1, loopback; env GUICHET_ADMIN_HOST).") var adminHost: String?
    @Flag(name: .customLong("allow-public-admin"), help: "Allow the admin listener off loopback (not recommended).") var allowPublicAdmin = false
    @Option(help: "Key file (default DATA/guichet.keys; env GUICHET_KEYS_FILE, or the keys themselves in GUICHET_KEYS).") var keys: String?
    @Flag(name: .customLong("behind-tls-proxy"), help: "The public listener is off loopback behind a TLS-terminating proxy.") var behindTLSProxy = false

    func resolve(_ s: Deployment.Settings) throws -> ListenerConfiguration {
        let env = ProcessInfo.processInfo.environment
        func int(_ key: String) throws -> Int? {
            guard let v = env[key] else { return nil }
            guard let i = Int(v) else { throw ValidationError("\(key) must be a port number") }
            return i
        }
        let c = ListenerConfiguration(
            publicHost: host ?? env["GUICHET_PUBLIC_HOST"] ?? s.publicHost ?? "127.0.0.1",
            publicPort: try port ?? int("GUICHET_PUBLIC_PORT") ?? s.publicPort ?? 8080,
            adminHost: adminHost ?? env["GUICHET_ADMIN_HOST"] ?? s.adminHost ?? "127.0.0.1",
            adminPort: try adminPort ?? int("GUICHET_ADMIN_PORT") ?? s.adminPort ?? 8081)
        do { try c.check(allowPublicAdmin: allowPublicAdmin, behindTLSProxy: behindTLSProxy) } catch let e as ConfigurationError {
            throw ValidationError(e.description)
        }
        if allowPublicAdmin && !ListenerConfiguration.isLoopback(c.adminHost) {
            note("WARNING: the admin listener is exposed on \(c.adminHost) (--allow-public-admin). Anyone who reaches it can try to sign in as an administrator.")
        }
        if behindTLSProxy && !ListenerConfiguration.isLoopback(c.publicHost) {
            note("WARNING: the public listener is off loopback on \(c.publicHost) without TLS of its own (--behind-tls-proxy): only a TLS proxy may reach it.")
        }
        return c
    }
}

/// A failure at run time (not a misuse of arguments): printed as "Error: ..." without the usage.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// A strong random password for generated accounts (shown once, never logged).
func generatedPassword() -> String {
    var rng = SystemRandomNumberGenerator()
    return Base64URL.encode((0..<15).map { _ in UInt8.random(in: 0...255, using: &rng) })
}

/// Prints a line to standard output and flushes it, so that a script or a pipe sees it at once.
func say(_ s: String) {
    FileHandle.standardOutput.write(Data((s + "\n").utf8))
}

/// Prints to standard error (progress and messages, never secrets); a log line when logs are
/// JSON lines, so that a log pipeline reads every line.
func note(_ s: String) {
    if LogOutput.standard.settings.format == .json { Logger(label: "guichet").notice("\(s)"); return }
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
