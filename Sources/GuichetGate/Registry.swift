public import GuichetCore
public import GuichetStore
public import GuichetVault
public import GuichetAuth
public import GuichetMFA
public import GuichetMail
public import Foundation

/// A registry opened with every start-up check, the one way `guichet serve`, the other
/// commands, the tests and the benchmark open one:
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

    /// Opens (or creates) the registry in a SQLite database.
    /// - Parameters:
    ///   - keysOrigin: where the keys came from, to name in a refusal (a path or `$GUICHET_KEYS`).
    ///   - watch: detection settings (the profile's, usually); nil runs the gate without the watch.
    ///   - hasher: password hashing (its cost parameters; tests use cheap ones).
    /// - Throws: ``KeyError/mismatch(_:)`` when the keys do not open this registry, another
    ///   ``KeyError`` when they are unavailable, ``RegistryError`` when the registry holds another profile.
    public static func open(database: String, profile: Profile, keys: any KeyProvider, keysOrigin: String,
                            relyingParty: RelyingParty, mailer: (any Mailer)? = nil, watch: WatchSettings?,
                            hasher: PasswordHasher = PasswordHasher(),
                            clock: @escaping @Sendable () -> Date = { Date() }) async throws -> Registry {
        let vault = Vault(profile: profile, keys: keys)
        let store = try Store(path: database)
        if let check = try await store.meta("key-check"), check != (try vault.keyCheck()) { throw KeyError.mismatch(keysOrigin) }
        if let (subject, key) = try await store.anyDataKey() {
            do { try vault.checkUnwraps(key, subject: subject) } catch is VaultError { throw KeyError.mismatch(keysOrigin) }
        }
        try await store.setMeta("key-check", try vault.keyCheck())
        if let stored = try await store.meta("profile"), stored != profile.name {
            throw RegistryError.wrongProfile(stored: stored, asked: profile.name)
        }
        try await store.setMeta("profile", profile.name)
        let auth = try await Authenticator(store: store, profile: profile, hasher: hasher, secrets: try vault.derivedKey(purpose: "auth-secrets"),
                                           relyingParty: relyingParty, mailer: mailer, clock: clock)
        let id: String
        if let stored = try await store.meta("registry-id") { id = stored } else {
            id = Base64URL.encode((0..<9).map { _ in UInt8.random(in: 0...255) })
            try await store.setMeta("registry-id", id)
        }
        let gate = try Gate(profile: profile, store: store, keys: keys, origin: "guichet/\(profile.name)/\(id)", clock: clock, watch: watch)
        return Registry(profile: profile, store: store, gate: gate, auth: auth, id: id)
    }
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
