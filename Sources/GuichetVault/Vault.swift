public import GuichetCore
@_spi(VaultOnly) public import GuichetStore
public import Crypto
public import Foundation
import Synchronization

/// Vault errors collapse into one case: a sealed value that does not open is an integrity
/// failure, never a partial or wrong answer.
public enum VaultError: Error, Sendable, Equatable {
    case integrity
}

/// A subject's data key in clear, only ever inside the vault's callers' stack frames. Not
/// printable, not codable.
public struct DataKey: Sendable, CustomStringConvertible {
    let key: SymmetricKey
    public var description: String { "[data key]" }
}

/// Envelope encryption of personal fields (DESIGN.md, Vault).
///
/// - Each subject (a person, or a dossier for its own fields) has a random AES-256 data key,
///   stored only wrapped by a key-encryption key (KEK) that never enters the database.
/// - Every field not classified `public` is sealed with AES-256-GCM under its subject's data
///   key, bound (associated data) to the subject id, the field name and the data-key version,
///   so a ciphertext moved to another record or field fails to open.
/// - Opening is `@_spi(GateOnly)`: only the gate calls it, with the field paths of the journal
///   receipt it was just given (`AccessJournal.recordDisclosure`), so nothing is opened that was
///   not durably recorded first, and only the fields the entry names.
/// - Look-ups go through blind indexes: HMAC-SHA256 under a separate key.
public struct Vault: Sendable {
    let profile: Profile
    let keys: any KeyProvider
    /// The index key's HMAC, keyed once (shared by the copies of this vault).
    let indexMAC = KeyedMAC()

    public init(profile: Profile, keys: any KeyProvider) { self.profile = profile; self.keys = keys }

    // MARK: data keys

    /// `guichet-data-key ‖ 0 ‖ subject ‖ 0 ‖ kek<version>`.
    static func wrapAAD(_ subject: String, _ version: Int) -> [UInt8] {
        aad(["guichet-data-key", subject, "kek\(version)"])
    }
    /// `guichet-field ‖ 0 ‖ subject ‖ 0 ‖ field ‖ 0 ‖ dk1`.
    static func fieldAAD(_ subject: String, _ field: String) -> [UInt8] {
        aad(["guichet-field", subject, field, "dk1"])
    }
    /// The parts' UTF-8 bytes joined by zero bytes, in one allocation (the associated data
    /// of every field sealed or opened: issue 18).
    static func aad(_ parts: [String]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(parts.reduce(parts.count) { $0 + $1.utf8.count })
        for (i, part) in parts.enumerated() {
            if i > 0 { out.append(0) }
            out.append(contentsOf: part.utf8)
        }
        return out
    }

    /// A fresh data key for a new subject, and its wrapped form to store.
    public func newSubjectKey(subject: String) throws -> (DataKey, WrappedKey) {
        try subjectKeys().new(subject: subject)
    }

    /// The current KEK, looked up once and expanded once, to make the data keys of a batch of
    /// new subjects (an import's): ``newSubjectKey(subject:)`` looks the key file up again
    /// (a `stat(2)`) and expands the KEK for each key, which was a tenth of a bulk import's
    /// sealing (issue 18). A batch made after a rotation started wraps its keys under the
    /// version current when the batch began, as a batch sealed just before it would.
    public func subjectKeys() throws -> SubjectKeys {
        let (version, current) = try keys.currentKEK()
        return SubjectKeys(version: version, kek: try GCMKey(current.key))
    }

    /// The `kek_version` of a data key wrapped by the archive KEK (ordinary versions start at 1).
    public static let archiveVersion = 0

    /// Whether the keys hold an archive KEK (archiving re-wraps under it; without one,
    /// archived dossiers stay under the ordinary KEK, as before it existed).
    public var hasArchiveKey: Bool { ((try? keys.archiveKEK()) ?? nil) != nil }

    /// The KEK of a version: the archive KEK for ``archiveVersion``.
    func kek(_ version: Int) throws -> SymmetricKey {
        guard version == Self.archiveVersion else { return try keys.kek(version: version).key }
        guard let archive = try keys.archiveKEK() else { throw KeyError.noArchiveKey }
        return archive.key
    }

    /// Re-wraps a data key under the archive KEK (archiving a dossier); the data key, and so
    /// every sealed field, is unchanged.
    /// - Throws: ``KeyError/noArchiveKey`` without an archive KEK.
    @_spi(GateOnly)
    public func archiveWrap(_ wrapped: WrappedKey, subject: String) throws -> WrappedKey {
        guard wrapped.kekVersion != Self.archiveVersion else { return wrapped }
        let raw = try unwrap(wrapped, subject: subject).key
        let archive = try kek(Self.archiveVersion)
        let bytes = try raw.withUnsafeBytes { try FieldCipher.seal($0, key: archive, aad: Self.wrapAAD(subject, Self.archiveVersion)) }
        return WrappedKey(kekVersion: Self.archiveVersion, bytes: bytes)
    }

    /// Unwraps a stored data key (inside the vault only: a data key never leaves it).
    /// - Throws: ``VaultError/integrity`` when it does not open; ``KeyError`` when its KEK is missing.
    func unwrap(_ wrapped: WrappedKey, subject: String) throws -> DataKey {
        let kek = try kek(wrapped.kekVersion)
        var raw = try FieldCipher.open(wrapped.bytes, key: kek, aad: Self.wrapAAD(subject, wrapped.kekVersion))
        defer { raw.resetBytes(in: 0..<raw.count) }  // the key's bytes live on in the SymmetricKey only
        return DataKey(key: SymmetricKey(data: raw))
    }

    /// Checks that a stored data key opens under the key file (the start-up probe that a key
    /// file belongs to this registry); the key itself is dropped at once.
    /// - Throws: ``VaultError/integrity`` when it does not open; ``KeyError`` when its KEK is missing.
    public func checkUnwraps(_ wrapped: WrappedKey, subject: String) throws {
        _ = try unwrap(wrapped, subject: subject)
    }

    /// Re-wraps a data key under the current KEK (key rotation); the data key itself, and so
    /// every sealed field, is unchanged.
    public func rewrap(_ wrapped: WrappedKey, subject: String) throws -> WrappedKey {
        let (version, current) = try keys.currentKEK()
        let kek = current.key
        // Archived keys stay under the archive KEK: a rotation of the ordinary KEK never
        // brings them back under it.
        guard wrapped.kekVersion != version, wrapped.kekVersion != Self.archiveVersion else { return wrapped }
        let raw = try unwrap(wrapped, subject: subject).key
        let bytes = try raw.withUnsafeBytes { try FieldCipher.seal($0, key: kek, aad: Self.wrapAAD(subject, version)) }
        return WrappedKey(kekVersion: version, bytes: bytes)
    }

    // MARK: blind indexes

    /// Bytes of HMAC-SHA256 kept in a blind index: 120 bits, 20 base64url characters. Two
    /// different terms of one field share a tag with probability 2⁻¹²⁰ per pair, so even 43 M
    /// persons' terms (about 2²⁸) meet with a chance near 2⁻⁶⁵; the shorter tag is written
    /// twice per term (table and index) on every import (issue 18: 11 % fewer bytes per
    /// person). 15 bytes are a whole number of base64 groups, so a tag is a prefix of the
    /// 43-character form stored before: migrations `v-short-terms` and `store-v5-short-terms`
    /// cut existing tags to it.
    public static let blindIndexBytes = 15

    /// The blind index of a normalised look-up term for a field: HMAC-SHA256 under the index
    /// key, cut to ``blindIndexBytes``, in base64url.
    public func blindIndex(field: String, term: String) throws -> String {
        // HMAC over `field ‖ 0x00 ‖ term`, from the state keyed once (``KeyedMAC``).
        var mac = indexMAC.keyed(try keys.indexKey().key)
        var field = field, term = term
        field.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        withUnsafeBytes(of: UInt8(0)) { mac.update(data: $0) }
        term.withUTF8 { mac.update(data: UnsafeRawBufferPointer($0)) }
        return mac.finalize().withUnsafeBytes { Base64URL.encode(UnsafeRawBufferPointer(rebasing: $0.prefix(Self.blindIndexBytes))) }
    }

    /// The keyed tag of a birth year kept for statistics by age (``PersonTerm/birthYearField``):
    /// its blind index, so that a copy of the database without the key file holds no year.
    public func birthYearTag(_ year: Int) throws -> String {
        try blindIndex(field: PersonTerm.birthYearField, term: String(year))
    }

    /// A key derived from the index key with HKDF-SHA256 (RFC 5869) under a purpose label, so
    /// that it lives and dies with the key file: the gate's only, since some of these keys open
    /// something (notes, TOTP secrets at rest, the ledger's source tags).
    @_spi(GateOnly) public func derivedKey(purpose: String) throws -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: try keys.indexKey().key, info: Data("guichet \(purpose)".utf8), outputByteCount: 32)
    }

    /// The key that marks honeytoken records (an HMAC over their ids): the generator plants
    /// them with it and the watch recognises them. It opens nothing; it tells decoys apart.
    public func honeytokenKey() throws -> SymmetricKey { try derivedKey(purpose: Honeytoken.keyPurpose) }

    /// The current key-encryption key version and the versions held, numbers only (keys' status).
    /// - Throws: ``KeyError`` when the keys cannot be read now.
    public func keyVersions() throws -> (current: Int, held: [Int]) {
        (try keys.currentKEK().version, try keys.heldVersions())
    }

    /// Where the vault's keys come from, and when that file last changed (keys' status).
    public var keyOrigin: (source: String, changed: Date?) { (keys.keySource, keys.lastChanged()) }

    /// A value derived from the index key, stored in the registry to detect a wrong key file at start-up.
    public func keyCheck() throws -> String { try blindIndex(field: "guichet", term: "key-check") }

    // MARK: sealing

    func spec(_ name: String, _ specs: [FieldSpec]) -> FieldSpec? { specs.first { $0.name == name } }

    /// The specs of a subject's fields: person fields, or the fields of a dossier type.
    func specs(dossierType: String?) -> [FieldSpec] {
        dossierType.flatMap { profile.dossierTypes[$0]?.fields } ?? profile.personFields
    }

    /// Seals a map of field values for a subject. Fields classified public stay in clear.
    public func seal(_ values: [String: FieldValue], subject: String, key: DataKey, dossierType: String? = nil) throws -> SealedFields {
        let specs = specs(dossierType: dossierType)
        let cipher = try GCMKey(key.key)  // the key expanded once for all the fields
        let entries = try values.map { name, value in try entry(name, value, subject: subject, cipher: cipher, specs: specs) }
        return SealedFields(bytes: SealedCodec.encode(entries))
    }

    func entry(_ name: String, _ value: FieldValue, subject: String, cipher: GCMKey?, specs: [FieldSpec]) throws -> SealedCodec.Entry {
        let plain = ValueCodec.encode(value)
        guard spec(name, specs)?.classification != .public else { return .init(name: name, encrypted: false, payload: plain) }
        guard let cipher else { throw VaultError.integrity }  // a shredded subject takes no new personal value
        return .init(name: name, encrypted: true, payload: try cipher.seal(plain, aad: Self.fieldAAD(subject, name)))
    }

    /// Replaces some fields (nil removes one) without opening the others.
    /// - Throws: ``VaultError/integrity`` when the stored map or key does not open.
    public func reseal(_ sealed: SealedFields, changing changes: [String: FieldValue?], subject: String,
                       wrapped: WrappedKey?, dossierType: String? = nil) throws -> SealedFields {
        var entries = try SealedCodec.decode(sealed.bytes)
        let specs = specs(dossierType: dossierType)
        let needsKey = changes.contains { $0.value != nil && spec($0.key, specs)?.classification != .public }
        let cipher = needsKey ? try wrapped.map { try GCMKey(try unwrap($0, subject: subject).key) } : nil
        for (name, value) in changes {
            entries.removeAll { $0.name == name }
            if let value { entries.append(try entry(name, value, subject: subject, cipher: cipher, specs: specs)) }
        }
        return SealedFields(bytes: SealedCodec.encode(entries))
    }

    /// The names of the fields a sealed map holds (no value).
    public func keys(_ sealed: SealedFields) throws -> [String] { try SealedCodec.names(sealed.bytes) }

    // MARK: opening

    /// Opens the fields of a sealed map that `allowed` names.
    func open(_ sealed: SealedFields, subject: String, wrapped: WrappedKey?, specs: [FieldSpec], allowed: (String) -> Bool) throws -> [String: FieldValue] {
        var out: [String: FieldValue] = [:]
        var cipher: GCMKey?
        for e in try SealedCodec.decode(sealed.bytes, where: allowed) {
            var plain = e.payload
            if e.encrypted {
                guard let wrapped else { continue }  // shredded: unrecoverable by design
                if cipher == nil { cipher = try GCMKey(try unwrap(wrapped, subject: subject).key) }
                plain = try cipher!.open(e.payload, aad: Self.fieldAAD(subject, e.name))
            }
            out[e.name] = try ValueCodec.decode(plain, type: spec(e.name, specs)?.type)
        }
        return out
    }

    /// Opens the permitted fields of a dossier and of its linked persons.
    /// - Parameter allowed: the field paths the journal receipt names for this dossier (empty
    ///   opens nothing).
    /// - Throws: ``VaultError/integrity`` when stored data does not decode or authenticate.
    @_spi(GateOnly)
    public func open(_ d: DossierRecord, persons: [PersonID: PersonRecord], revealing allowed: Set<String>) throws -> DossierView {
        let fields = allowed.isEmpty ? [:] : try open(d.fields, subject: d.id.rawValue, wrapped: d.key, specs: specs(dossierType: d.type),
                                                       allowed: { allowed.contains($0) })
        var views: [PersonView] = []
        for link in d.persons {
            let prefix = link.role + "."
            guard allowed.contains(where: { $0.hasPrefix(prefix) }), let record = persons[link.person] else { continue }
            let pf = try open(record.fields, subject: link.person.rawValue, wrapped: record.key, specs: profile.personFields,
                              allowed: { allowed.contains(prefix + $0) })
            views.append(PersonView(role: link.role, id: link.person, fields: pf))
        }
        return DossierView(id: d.id, type: d.type, status: d.status, version: d.version, createdAt: d.createdAt,
                           updatedAt: d.updatedAt, fields: fields, partners: allowed.contains("partners") ? d.partners : nil,
                           persons: views)
    }

    /// Opens the permitted fields of one person as reached through one dossier link.
    /// - Parameter allowed: the field paths the journal receipt names for that dossier.
    @_spi(GateOnly)
    public func open(person: PersonRecord, role: String, revealing allowed: Set<String>) throws -> [String: FieldValue] {
        return try open(person.fields, subject: person.id.rawValue, wrapped: person.key, specs: profile.personFields,
                        allowed: { allowed.contains("\(role).\($0)") })
    }
}

// MARK: fields kept for a legal duty

extension Vault {
    /// Seals values kept through an erasure (GDPR art. 17(3)(b)) under a fresh data key for
    /// `subject` (`kept:<id>`), every value encrypted (public ones too: they travel together),
    /// each bound to the subject and its path.
    /// - Parameter archived: wrap the key under the archive KEK (the values come from an
    ///   archived dossier: they stay out of the ordinary key's reach).
    @_spi(GateOnly)
    public func sealKept(_ values: [String: FieldValue], subject: String, archived: Bool = false) throws -> (SealedFields, WrappedKey) {
        let (key, ordinary) = try newSubjectKey(subject: subject)
        let wrapped = archived ? try archiveWrap(ordinary, subject: subject) : ordinary
        let cipher = try GCMKey(key.key)
        let entries = try values.sorted { $0.key < $1.key }.map { path, value in
            SealedCodec.Entry(name: path, encrypted: true,
                              payload: try cipher.seal(ValueCodec.encode(value), aad: Self.fieldAAD(subject, path)))
        }
        return (SealedFields(bytes: SealedCodec.encode(entries)), wrapped)
    }

    /// Opens the kept values whose paths `allowed` names (nothing once their key is shredded).
    /// - Throws: ``VaultError/integrity`` when they do not open; ``KeyError`` when the KEK is missing.
    @_spi(GateOnly)
    public func openKept(_ sealed: SealedFields, subject: String, wrapped: WrappedKey?, allowed: (String) -> Bool) throws -> [String: FieldValue] {
        try open(sealed, subject: subject, wrapped: wrapped, specs: [], allowed: allowed)
    }
}

/// Plain bytes of a field value: a type letter, then the value as text.
enum ValueCodec {
    static func encode(_ v: FieldValue) -> Data {
        switch v {
        case .text(let s): return Data(("t" + s).utf8)
        case .integer(let i): return Data("i\(i)".utf8)
        case .date(let d): return Data(("d" + d.iso).utf8)
        case .boolean(let b): return Data(b ? "b1".utf8 : "b0".utf8)
        }
    }

    static func decode(_ data: Data, type: FieldType?) throws -> FieldValue {
        // The tag is the first byte, not the first Character: a text that begins with a
        // combining mark (U+0301, a joiner, a variation selector) fuses with the tag into one
        // grapheme, and such a value, accepted and sealed, could never be read again (an API
        // audit, 7 December: 503 "integrity check" on every read of it).
        guard let tag = data.first, let rest = String(data: Data(data.dropFirst()), encoding: .utf8) else { throw VaultError.integrity }
        switch tag {
        case UInt8(ascii: "t"): return .text(rest)
        case UInt8(ascii: "i"): guard let i = Int(rest) else { throw VaultError.integrity }; return .integer(i)
        case UInt8(ascii: "d"): guard let d = LocalDate(iso: rest) else { throw VaultError.integrity }; return .date(d)
        case UInt8(ascii: "b"): return .boolean(rest == "1")
        default: throw VaultError.integrity
        }
    }
}

/// HMAC-SHA256 keyed once: keying hashes two blocks of pads and allocates, which was a third
/// of a blind index's cost (issue 18; an import computes several per person). Holds the state
/// for the last key it was given, and keys again when the key differs (a key file reloaded).
final class KeyedMAC: Sendable {
    private let state = Mutex<(key: SymmetricKey, mac: HMAC<SHA256>)?>(nil)

    /// A copy of the state keyed with `key`, ready for the message.
    func keyed(_ key: SymmetricKey) -> HMAC<SHA256> {
        state.withLock { state in
            if let state, state.key == key { return state.mac }
            let mac = HMAC<SHA256>(key: key)
            state = (key, mac)
            return mac
        }
    }
}

/// Makes data keys for new subjects under one KEK version (``Vault/subjectKeys()``). For one
/// batch on one thread: the expanded KEK is wiped when it goes.
public struct SubjectKeys {
    let version: Int
    let kek: GCMKey

    /// A fresh data key for `subject`, and its wrapped form to store.
    public func new(subject: String) throws -> (DataKey, WrappedKey) {
        let key = RandomPool.key256()
        let wrapped = try key.withUnsafeBytes { try kek.seal($0, aad: Vault.wrapAAD(subject, version)) }
        return (DataKey(key: key), WrappedKey(kekVersion: version, bytes: wrapped))
    }
}
