public import Crypto
public import Foundation
import GuichetCore

/// Where the vault's keys come from. Callers never see key bytes: the vault asks for keys by
/// purpose and version, and gets them as ``VaultKey`` values whose bytes only this module can
/// read. A KMS or an HSM (PKCS#11) can implement this protocol later without touching the
/// vault's callers.
public protocol KeyProvider: Sendable {
    /// The version and key that wrap new data keys.
    func currentKEK() throws -> (version: Int, key: VaultKey)
    /// A key-encryption key by version (old versions stay readable until retired).
    /// - Throws: ``KeyError/unknownVersion(_:)`` when that version is not (or no longer) held.
    func kek(version: Int) throws -> VaultKey
    /// The key of the blind indexes (HMAC-SHA256), separate from the KEKs.
    func indexKey() throws -> VaultKey
    /// The seeds of the ledger's checkpoint signing keys (Ed25519, ML-DSA-65), readable by the
    /// gate only (``LedgerSeeds``).
    func ledgerSeeds() throws -> LedgerSeeds
    /// The key-encryption key versions held, oldest first (numbers only, never a key), for the
    /// administrators' keys' status. The default names the current version alone.
    func heldVersions() throws -> [Int]
    /// Where the keys come from (a file's path, or `$GUICHET_KEYS`), to name on a status page.
    var keySource: String { get }
    /// When the key file last changed (written by `guichet init`, `keys rotate` or `keys
    /// retire`); nil for keys that do not come from a file.
    func lastChanged() -> Date?
    /// The archive key-encryption key, which wraps the data keys of archived dossiers (and of
    /// persons only they link); nil when this provider does not hold one (docs/KEYS.md).
    func archiveKEK() throws -> VaultKey?
}

extension KeyProvider {
    public func heldVersions() throws -> [Int] { [try currentKEK().version] }
    public var keySource: String { "(key provider)" }
    public func lastChanged() -> Date? { nil }
    /// No archive key: a provider that predates it archives under the ordinary KEK.
    public func archiveKEK() throws -> VaultKey? { nil }
}

/// The seeds of the ledger's signing keys, as a provider loaded them. Like ``VaultKey``, the
/// bytes are not readable outside this module except by the gate (`@_spi(GateOnly)`), which
/// makes the checkpoint signer from them: whoever holds a provider cannot sign checkpoints.
public struct LedgerSeeds: Sendable, CustomStringConvertible {
    let ed25519: [UInt8]
    let mldsa65: [UInt8]
    /// Wraps seeds a provider loaded.
    public init(ed25519: [UInt8], mldsa65: [UInt8]) { self.ed25519 = ed25519; self.mldsa65 = mldsa65 }
    /// The seeds' bytes, for the gate's checkpoint signer.
    @_spi(GateOnly) public var bytes: (ed25519: [UInt8], mldsa65: [UInt8]) { (ed25519, mldsa65) }
    public var description: String { "[ledger seeds]" }
}

/// A key held for the vault. A provider wraps its key material in one; only the vault module
/// reads the bytes back, so holding a provider (or calling it) yields nothing to decrypt with.
/// Not printable; compared in constant time (`SymmetricKey ==`).
public struct VaultKey: Sendable, Equatable, CustomStringConvertible {
    let key: SymmetricKey
    /// Wraps key material a provider loaded (from a file, a KMS, an HSM).
    public init(_ key: SymmetricKey) { self.key = key }
    public var description: String { "[key]" }
}

/// Problems with keys. Messages name the key and what to do, never a key's bytes.
public enum KeyError: Error, Sendable, Equatable, CustomStringConvertible {
    case missing(String)
    case unreadable(String)
    case tooOpen(path: String, mode: Int)
    case malformed(String)
    case unknownVersion(Int)
    case mismatch(String)
    /// The archive key is not held where an archived dossier was opened.
    case noArchiveKey

    public var description: String {
        switch self {
        case .missing(let where_):
            "no key file at \(where_): a registry opens only with its own key file (a new one would open nothing): put its copy back there, or name it with --keys or GUICHET_KEYS_FILE, or give the keys in GUICHET_KEYS (to restore a backup, copy the registry's key file here first); only a new, empty data folder gets a new one, from 'guichet init'"
        case .unreadable(let where_): "cannot read the key file \(where_): check its owner and permissions"
        case .tooOpen(let path, let mode): "the key file \(path) is readable by its group or others (mode \(String(mode, radix: 8))): run 'chmod 600 \(path)'"
        case .malformed(let where_): "the key file \(where_) is not a Guichet key file"
        case .unknownVersion(let v):
            "key-encryption key version \(v) is not in the key file (a rotation made on another server whose new key file was not copied here yet, a version retired too early, or the wrong key file; a backup taken before version \(v) was retired opens only with a copy of the key file kept from before the retirement)"
        case .mismatch(let where_): "the keys in \(where_) do not open this registry: wrong key file for this data folder"
        case .noArchiveKey: "the archive key-encryption key is not in this key file: archived dossiers open only where it is held"
        }
    }
}

/// The key file: JSON with the KEK versions and the blind-index key, base64-encoded.
/// `{"format": "guichet-keys-1", "current": 2, "kek": {"1": "...", "2": "..."}, "index": "...",
///   "ledger": {"ed25519": "...", "mldsa65": "..."}, "archive": "..."}` (the ledger's checkpoint
/// signing seeds; the archive KEK, optional: files written before it have none)
public struct KeySet: Sendable, Equatable {
    public private(set) var current: Int
    var keks: [Int: SymmetricKey]
    let index: SymmetricKey
    let ledgerEd25519: [UInt8]
    let ledgerMLDSA65: [UInt8]
    /// The archive key-encryption key (docs/KEYS.md, "Archives"); nil in older key files.
    var archive: SymmetricKey?

    public static func == (a: KeySet, b: KeySet) -> Bool {
        a.current == b.current && a.index == b.index && a.keks.keys == b.keks.keys && a.keks.allSatisfy { b.keks[$0.key] == $0.value }
            && a.ledgerEd25519 == b.ledgerEd25519 && a.ledgerMLDSA65 == b.ledgerMLDSA65 && a.archive == b.archive
    }

    /// A new key set with one KEK (version 1), a blind-index key and an archive KEK, from the
    /// system's CSPRNG.
    public static func generate() -> KeySet {
        func seed() -> [UInt8] { SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) } }
        return KeySet(current: 1, keks: [1: SymmetricKey(size: .bits256)], index: SymmetricKey(size: .bits256),
                      ledgerEd25519: seed(), ledgerMLDSA65: seed(), archive: SymmetricKey(size: .bits256))
    }

    /// The versions held, oldest first.
    public var versions: [Int] { keks.keys.sorted() }

    /// Whether the set holds an archive KEK.
    public var hasArchiveKey: Bool { archive != nil }

    /// The same keys without the archive KEK: the key file of a server that must not read
    /// archives (the archive key is then kept elsewhere, docs/KEYS.md).
    public func withoutArchiveKey() -> KeySet {
        var copy = self
        copy.archive = nil
        return copy
    }

    /// Adds a new KEK version and makes it current; a key file without an archive KEK gets
    /// one at the same time (older registries get theirs at their first rotation).
    public mutating func rotate() -> Int {
        let next = (keks.keys.max() ?? 0) + 1
        keks[next] = SymmetricKey(size: .bits256)
        current = next
        if archive == nil { archive = SymmetricKey(size: .bits256) }
        return next
    }

    /// Removes an old KEK version.
    /// - Precondition: not the current one (the caller checks first that nothing uses it).
    public mutating func retire(_ version: Int) {
        precondition(version != current, "the current key-encryption key cannot be retired")
        keks[version] = nil
    }

    /// Parses key file text; `origin` names it in errors.
    public static func parse(_ data: Data, origin: String) throws -> KeySet {
        guard let object = try? JSONDecoder().decode([String: JSON].self, from: data),
              object["format"] == .string("guichet-keys-1"), let current = object["current"]?.integer,
              case .object(let keks)? = object["kek"], let index = object["index"]?.string.flatMap(Self.key),
              case .object(let ledger)? = object["ledger"],
              let ed = ledger["ed25519"]?.string.flatMap({ Data(base64Encoded: $0) }), ed.count == 32,
              let ml = ledger["mldsa65"]?.string.flatMap({ Data(base64Encoded: $0) }), ml.count == 32 else {
            throw KeyError.malformed(origin)
        }
        var parsed: [Int: SymmetricKey] = [:]
        for (v, text) in keks {
            guard let version = Int(v), let key = text.string.flatMap(Self.key) else { throw KeyError.malformed(origin) }
            parsed[version] = key
        }
        guard parsed[current] != nil, parsed[Vault.archiveVersion] == nil else { throw KeyError.malformed(origin) }
        var archive: SymmetricKey?
        if let text = object["archive"] {
            guard let key = text.string.flatMap(Self.key) else { throw KeyError.malformed(origin) }
            archive = key
        }
        return KeySet(current: current, keks: parsed, index: index, ledgerEd25519: Array(ed), ledgerMLDSA65: Array(ml), archive: archive)
    }

    static func key(_ text: String) -> SymmetricKey? {
        guard let bytes = Data(base64Encoded: text), bytes.count == 32 else { return nil }
        return SymmetricKey(data: bytes)
    }

    /// The key file text.
    public func serialised() -> Data {
        func b64(_ k: SymmetricKey) -> JSON { .string(k.withUnsafeBytes { Data($0).base64EncodedString() }) }
        var object: [String: JSON] = ["format": .string("guichet-keys-1"), "current": .number(Double(current)),
                                      "kek": .object(Dictionary(uniqueKeysWithValues: keks.map { (String($0.key), b64($0.value)) })),
                                      "index": b64(index),
                                      "ledger": .object(["ed25519": .string(Data(ledgerEd25519).base64EncodedString()),
                                                         "mldsa65": .string(Data(ledgerMLDSA65).base64EncodedString())])]
        if let archive { object["archive"] = b64(archive) }
        let json: JSON = .object(object)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        // A JSON value of strings and numbers always encodes.
        return try! encoder.encode(json)
    }

    /// Writes the key file atomically, readable by its owner only.
    public func write(to path: String) throws {
        let tmp = path + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: serialised(), attributes: [.posixPermissions: 0o600]) else {
            throw KeyError.unreadable(path)
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: tmp)
        // rename(2) replaces the old file atomically: a reader sees the old keys or the new ones.
        guard rename(tmp, path) == 0 else { throw KeyError.unreadable(path) }
    }
}

/// Keys from a file (mode 0600, refused when readable by group or others), or from the
/// `GUICHET_KEYS` environment variable (the same JSON) for containers. The file is read again
/// when a version it did not hold is asked for, or when it changed, so that a rotation done by
/// `guichet keys rotate` reaches a running server without a restart.
public final class FileKeyProvider: KeyProvider {
    public let origin: String
    private let path: String?
    /// The key file's path; nil for keys given as content (an environment variable).
    public var filePath: String? { path }
    private let state: LockedKeys

    /// Loads keys from a file.
    /// - Throws: ``KeyError`` when the file is missing, unreadable, too open or malformed.
    public init(path: String) throws {
        self.path = path
        self.origin = path
        self.state = LockedKeys(try Self.load(path), modified: Self.modified(path))
    }

    /// Loads keys from the text of an environment variable.
    public init(environmentValue: String, name: String = "GUICHET_KEYS") throws {
        self.path = nil
        self.origin = "$" + name
        let data = Data(base64Encoded: environmentValue) ?? Data(environmentValue.utf8)
        self.state = LockedKeys(try KeySet.parse(data, origin: origin), modified: nil)
    }

    static func load(_ path: String) throws -> KeySet {
        guard FileManager.default.fileExists(atPath: path) else { throw KeyError.missing(path) }
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
              let mode = attributes[.posixPermissions] as? Int else { throw KeyError.unreadable(path) }
        guard mode & 0o077 == 0 else { throw KeyError.tooOpen(path: path, mode: mode) }
        guard let data = FileManager.default.contents(atPath: path) else { throw KeyError.unreadable(path) }
        return try KeySet.parse(data, origin: path)
    }

    /// The file's identity and last change, from one stat(2) call: checked on every use of the
    /// current KEK (each new data key), so it must cost about a microsecond, not the tens of
    /// microseconds of `FileManager.attributesOfItem` (which also looks up owner names).
    static func modified(_ path: String) -> FileStamp? {
        var s = stat()
        guard stat(path, &s) == 0 else { return nil }
        #if canImport(Darwin)
        let m = s.st_mtimespec
        #else
        let m = s.st_mtim
        #endif
        return FileStamp(seconds: Int64(m.tv_sec), nanoseconds: Int64(m.tv_nsec), size: Int64(s.st_size), inode: UInt64(s.st_ino))
    }

    /// Re-reads the file if it changed (or was replaced) since it was loaded. A file that is
    /// gone, unreadable or made too open fails closed: every use of a key throws until it is
    /// back (issue #21: the key file removed while running).
    private func refresh() throws -> KeySet {
        guard let path else { return state.keys }
        let now = Self.modified(path)
        do {
            if now != state.modified || state.failure != nil { state.replace(try Self.load(path), modified: now) }
        } catch let error as KeyError {
            state.fail(error)
            throw error
        }
        return state.keys
    }

    /// The keys, the file looked at again if it was last looked at more than
    /// ``recheckInterval`` ago: reads stop within that time of the file's removal, and a busy
    /// server does one stat(2) per interval, not one per field it opens.
    private func checked() throws -> KeySet {
        guard path != nil else { return state.keys }
        if state.checkDue(every: Self.recheckInterval) { return try refresh() }
        if let failure = state.failure { throw failure }
        return state.keys
    }

    /// How long the keys in memory are used without looking at the file.
    static let recheckInterval: Duration = .milliseconds(200)

    public func currentKEK() throws -> (version: Int, key: VaultKey) {
        let keys = try refresh()
        // `parse` guarantees the current version is present.
        return (keys.current, VaultKey(keys.keks[keys.current]!))
    }

    public func kek(version: Int) throws -> VaultKey {
        if let key = try checked().keks[version] { return VaultKey(key) }
        guard let key = try refresh().keks[version] else { throw KeyError.unknownVersion(version) }
        return VaultKey(key)
    }

    public func indexKey() throws -> VaultKey { VaultKey(try checked().index) }

    /// The versions of the key file as it is now (read again if it changed, failing closed as
    /// every other use does when it is gone or too open).
    public func heldVersions() throws -> [Int] { try refresh().versions }

    public var keySource: String { origin }

    public func lastChanged() -> Date? {
        guard let path, let stamp = Self.modified(path) else { return nil }
        return Date(timeIntervalSince1970: Double(stamp.seconds) + Double(stamp.nanoseconds) / 1e9)
    }

    public func archiveKEK() throws -> VaultKey? { try checked().archive.map(VaultKey.init) }

    public func ledgerSeeds() throws -> LedgerSeeds {
        let keys = try checked()
        return LedgerSeeds(ed25519: keys.ledgerEd25519, mldsa65: keys.ledgerMLDSA65)
    }
}

import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// What tells one version of the key file from another: modification time to the nanosecond,
/// size and inode (`KeySet.write` replaces the file by rename, so a new version has a new inode).
struct FileStamp: Equatable, Sendable {
    let seconds: Int64
    let nanoseconds: Int64
    let size: Int64
    let inode: UInt64
}

/// The loaded keys behind a lock (the provider is shared by every request).
final class LockedKeys: Sendable {
    private let value: Mutex<(KeySet, FileStamp?)>
    /// When the file was last looked at by ``checkDue(every:)``.
    private let lastCheck = Mutex(ContinuousClock.now)
    /// Why the file could not be read at the last look, until it is read again.
    private let lastFailure = Mutex<KeyError?>(nil)
    init(_ keys: KeySet, modified: FileStamp?) { value = Mutex((keys, modified)) }
    var keys: KeySet { value.withLock { $0.0 } }
    var modified: FileStamp? { value.withLock { $0.1 } }
    var failure: KeyError? { lastFailure.withLock { $0 } }
    func replace(_ keys: KeySet, modified: FileStamp?) {
        value.withLock { $0 = (keys, modified) }
        lastFailure.withLock { $0 = nil }
    }
    func fail(_ error: KeyError) { lastFailure.withLock { $0 = error } }

    /// Whether the file is due to be looked at again; if so, the next look is `interval` away.
    func checkDue(every interval: Duration) -> Bool {
        let now = ContinuousClock.now
        return lastCheck.withLock { last in
            guard now - last >= interval else { return false }
            last = now
            return true
        }
    }
}
