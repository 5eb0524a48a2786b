public import GuichetCore
public import GuichetStore
@_spi(GateOnly) public import GuichetVault
public import GuichetAuth
public import GuichetMFA
public import GuichetMail
public import Foundation
public import Logging
public import GuichetLedger
public import GuichetMerkle
public import GuichetWatch
public import Crypto

/// How a registry runs once open: what `guichet serve` takes from the deployment's settings,
/// and what tests and the benchmark choose (a manual clock, cheap password hashing, a log
/// capture, other watch settings). The defaults are a server's.
public struct RegistryOptions: Sendable {
    /// The WebAuthn relying party (the site's host name and origin); passkeys are bound to it.
    public var relyingParty: RelyingParty
    /// The mail relay for reset codes, notices and letters; nil: none configured.
    public var mailer: (any Mailer)?
    /// Detection and containment settings (the profile's, usually); nil runs the gate
    /// without the watch (unit tests of the gate alone).
    public var watch: WatchSettings?
    /// Password hashing (its cost; tests use cheap parameters).
    public var hasher: PasswordHasher
    /// The clock of the gate and the authenticator (one clock for both).
    public var clock: @Sendable () -> Date
    /// The gate's logger.
    public var logger: Logger

    /// - Parameter watch: detection settings; pass `profile.watch` for a registry as deployed.
    public init(relyingParty: RelyingParty = RelyingParty(id: "localhost", origin: "http://localhost:8080"), mailer: (any Mailer)? = nil,
                watch: WatchSettings?, hasher: PasswordHasher = PasswordHasher(), clock: @escaping @Sendable () -> Date = { Date() },
                logger: Logger = Logger(label: "guichet.gate")) {
        self.relyingParty = relyingParty; self.mailer = mailer; self.watch = watch; self.hasher = hasher
        self.clock = clock; self.logger = logger
    }
}

/// A registry opened with every start-up check, the one way `guichet serve`, the other
/// commands, the tests and the benchmark open one (the gate has no other public initialiser):
/// 1. the key file belongs to this registry: the stored key check (a blind index of a fixed
///    term) matches, and a stored data key unwraps (a wrong or rotated-away key refuses to start,
///    before anything is written);
/// 2. the registry holds the profile it was created with (a place05 folder is never served as emploi);
/// 3. the registry has its random id, which names its ledger (`guichet/PROFILE/ID`).
public struct Registry: Sendable {
    public let profile: Profile
    public let store: Store
    public let gate: Gate
    public let auth: Authenticator
    /// The registry's random id, part of its ledger's origin.
    public let id: String
    /// The keys it was opened with (key rotation re-wraps under them).
    let keys: any KeyProvider

    /// Opens (or creates) the registry in a SQLite database file.
    /// - Parameter keysOrigin: where the keys came from, to name in a refusal (a path or `$GUICHET_KEYS`).
    /// - Throws: ``KeyError/mismatch(_:)`` when the keys do not open this registry, another
    ///   ``KeyError`` when they are unavailable, ``RegistryError`` when the registry holds another profile.
    public static func open(database: String, profile: Profile, keys: any KeyProvider, keysOrigin: String,
                            options: RegistryOptions) async throws -> Registry {
        try await open(store: try Store(path: database), profile: profile, keys: keys, keysOrigin: keysOrigin, options: options)
    }

    /// Opens the registry of an open store, with the same checks: a second gate over the same
    /// database (other watch settings, another clock) is opened this way too.
    /// - Throws: as ``open(database:profile:keys:keysOrigin:options:)``.
    public static func open(store: Store, profile: Profile, keys: any KeyProvider, keysOrigin: String,
                            options: RegistryOptions) async throws -> Registry {
        let opened = try await open(storage: store, ledger: store, journal: { AccessJournal(store: store, signer: $0, origin: $1, sourceKey: $2) },
                                    profile: profile, keys: keys, keysOrigin: keysOrigin, options: options)
        return Registry(profile: profile, store: store, gate: opened.gate, auth: opened.auth, id: opened.id, keys: keys)
    }

    /// The same registry seen through its storage protocols, as on any back-end (key rotation
    /// is written once, for both).
    public var opened: OpenedRegistry {
        OpenedRegistry(profile: profile, gate: gate, auth: auth, id: id, storage: store, keys: keys)
    }

    /// Opens a registry on any back-end (issue 19), with the same checks: its storage (the
    /// gate's, the watch's and the authenticator's), its ledger's reads, and how to make the
    /// journal that appends to that ledger (`PostgresLedger.journal(signer:origin:sourceKey:)`).
    /// - Throws: as ``open(database:profile:keys:keysOrigin:options:)``.
    public static func open(storage store: any GateStorage & WatchStorage & AuthStorage, ledger: any LedgerProving,
                            journal: (NoteSigner, String, SymmetricKey) -> AccessJournal, profile: Profile, keys: any KeyProvider,
                            keysOrigin: String, options: RegistryOptions) async throws -> OpenedRegistry {
        let vault = Vault(profile: profile, keys: keys)
        if let check = try await store.meta("key-check"), check != (try vault.keyCheck()) { throw KeyError.mismatch(keysOrigin) }
        if let (subject, key) = try await store.anyDataKey() {
            do { try vault.checkUnwraps(key, subject: subject) } catch is VaultError { throw KeyError.mismatch(keysOrigin) }
        }
        try await store.setMeta("key-check", try vault.keyCheck())
        if let stored = try await store.meta("profile"), stored != profile.name {
            throw RegistryError.wrongProfile(stored: stored, asked: profile.name)
        }
        try await store.setMeta("profile", profile.name)
        let auth = try await Authenticator(store: store, profile: profile, hasher: options.hasher,
                                           secrets: try vault.derivedKey(purpose: "auth-secrets"),
                                           relyingParty: options.relyingParty, mailer: options.mailer, clock: options.clock)
        let id: String
        if let stored = try await store.meta("registry-id") { id = stored } else {
            id = Base64URL.encode((0..<9).map { _ in UInt8.random(in: 0...255) })
            try await store.setMeta("registry-id", id)
        }
        let gate = try Gate(profile: profile, storage: store, ledger: ledger, journal: journal, keys: keys, origin: "guichet/\(profile.name)/\(id)",
                            clock: options.clock, logger: options.logger, watch: options.watch)
        if let watch = gate.watch {
            let clock = options.clock, logger = options.logger
            auth.alerting { account, detector, high, detail in
                do { try await watch.raise(account, detector: detector, severity: high ? .high : .medium, detail: detail, at: clock()) } catch {
                    logger.error("an alert on sign-in could not be recorded", metadata: ["detector": .string(detector)])
                }
            }
        }
        if profile.retention.rules.contains(where: { $0.archiveAfter != nil }) && !vault.hasArchiveKey {
            options.logger.warning("no archive key in the key file: archived dossiers stay under the ordinary key ('guichet keys rotate' adds one, docs/KEYS.md)")
        }
        return OpenedRegistry(profile: profile, gate: gate, auth: auth, id: id, storage: store, keys: keys)
    }
}

/// A registry's gate and authenticator, opened on any back-end.
public struct OpenedRegistry: Sendable {
    public let profile: Profile
    public let gate: Gate
    public let auth: Authenticator
    /// The registry's random id, part of its ledger's origin.
    public let id: String
    /// Its storage and keys: key rotation re-wraps the stored data keys under them.
    let storage: any GateStorage
    let keys: any KeyProvider
    /// Whether other servers may share its database (PostgreSQL), each with its own key file.
    public var sharedStorage: Bool { storage.localFolder == nil }
}

/// Why a registry does not open (besides its keys, ``KeyError``).
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The data folder holds a registry of another profile.
    case wrongProfile(stored: String, asked: String)

    public var description: String {
        switch self {
        case .wrongProfile(let stored, let asked): "the data folder holds a '\(stored)' registry, not '\(asked)'"
        }
    }
}
