public import GuichetCore
public import GuichetStore
import Foundation
public import Crypto

/// The canonical form of a ledger entry: JSON with sorted keys, no insignificant space, times
/// in UTC milliseconds. Identifiers and field names only: never a personal value. These bytes
/// are what the Merkle tree hashes (leaf = SHA-256(0x00 ‖ bytes)).
struct LedgerEntry: Codable, Equatable {
    struct Actor: Codable, Equatable {
        var account: String?
        var role: String?
        var organisation: String?
        var session: String?
        /// The source address, in entries written without a source key (and before there was one).
        var source: String?
        /// The keyed tag of the source address (``SourceTag``): what entries carry now, so that
        /// a citizen who reads an entry whole for its proof does not learn the address of the
        /// staff member's workstation; the address itself is kept beside the entry.
        var sourceTag: String?
    }
    var v = 1
    var at: Int64
    var actor: Actor
    var action: String
    var decision: String
    var reason: String
    var purpose: String?
    var dossiers: [String]
    var persons: [String]
    var fields: [String]
    /// Which of `fields` belong to which person (person id → paths); absent in entries
    /// written before it existed and in entries that name no person field. Additive: an entry
    /// without it encodes exactly as before.
    var personFields: [String: [String]]?
    /// True when the access returned `fields` to the caller (the journal's disclosure path,
    /// the only one that mints a receipt for the vault). Absent in writes, refusals and
    /// entries written before it existed (a scope reads those by their action's name).
    var disclosed: Bool?
    var request: String

    /// - Parameter sourceKey: when given, the entry carries the source address's keyed tag
    ///   instead of the address.
    init(_ r: JournalRow, sourceKey: SymmetricKey? = nil) {
        self.init(r, sourceTag: sourceKey.flatMap { key in r.source.map { SourceTag.make($0, key: key) } })
    }

    /// - Parameter tag: the keyed tag of the row's source address (the entry then carries it
    ///   instead of the address), computed by the caller (the journal keeps recent ones).
    init(_ r: JournalRow, sourceTag tag: String?) {
        at = r.at.millis
        actor = Actor(account: r.account?.rawValue, role: r.role, organisation: r.organisation?.rawValue,
                      session: r.session?.rawValue, source: tag == nil ? r.source : nil, sourceTag: tag)
        action = r.action
        decision = r.allowed ? "allow" : "deny"
        reason = r.reason
        purpose = r.purpose
        dossiers = r.dossiers.map(\.rawValue)
        persons = r.persons.map(\.rawValue)
        fields = r.fields
        if let pf = r.personFields, !pf.isEmpty {
            personFields = Dictionary(uniqueKeysWithValues: pf.map { ($0.key.rawValue, $0.value.sorted()) })
        }
        request = r.requestID
        disclosed = r.disclosed ? true : nil
    }

    var row: JournalRow {
        var r = JournalRow(at: Date(millis: at), requestID: request, account: actor.account.map(AccountID.init(trusted:)), role: actor.role,
                   organisation: actor.organisation.map(OrganisationID.init(trusted:)), session: actor.session.map(SessionID.init(trusted:)),
                   source: actor.source, action: action, allowed: decision == "allow", reason: reason, purpose: purpose,
                   dossiers: dossiers.map(DossierID.init(trusted:)), persons: persons.map(PersonID.init(trusted:)), fields: fields)
        r.personFields = personFields.map { Dictionary(uniqueKeysWithValues: $0.map { (PersonID(trusted: $0.key), $0.value) }) }
        r.sourceTag = actor.sourceTag
        r.disclosed = disclosed ?? false
        if disclosed == nil, decision == "allow", Self.disclosingBeforeMarking.contains(action) { r.disclosed = true }
        return r
    }

    /// The canonical bytes, written directly: the same bytes as `JSONEncoder` with
    /// `[.sortedKeys, .withoutEscapingSlashes]` gives (a test holds the two together), at a
    /// tenth of its cost on the request path (issue 18). Keys are in byte order, absent
    /// optionals are left out, strings escape only what JSON requires.
    func canonical() -> Data {
        var w = CanonicalJSON()
        w.open()
        w.key("action"); w.string(action)
        w.key("actor"); w.open()
        if let v = actor.account { w.key("account"); w.string(v) }
        if let v = actor.organisation { w.key("organisation"); w.string(v) }
        if let v = actor.role { w.key("role"); w.string(v) }
        if let v = actor.session { w.key("session"); w.string(v) }
        if let v = actor.source { w.key("source"); w.string(v) }
        if let v = actor.sourceTag { w.key("sourceTag"); w.string(v) }
        w.close()
        w.key("at"); w.integer(at)
        w.key("decision"); w.string(decision)
        if let v = disclosed { w.key("disclosed"); w.bool(v) }
        w.key("dossiers"); w.strings(dossiers)
        w.key("fields"); w.strings(fields)
        if let pf = personFields {
            w.key("personFields"); w.open()
            for (person, paths) in pf.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) { w.key(person); w.strings(paths) }
            w.close()
        }
        w.key("persons"); w.strings(persons)
        if let v = purpose { w.key("purpose"); w.string(v) }
        w.key("reason"); w.string(reason)
        w.key("request"); w.string(request)
        w.key("v"); w.integer(Int64(v))
        w.close()
        return Data(w.bytes)
    }

    /// The actions that returned fields in entries written before `disclosed` was recorded.
    static let disclosingBeforeMarking: Set<String> = ["read", "search", "versions", "break-glass:read", "break-glass:search", "break-glass:versions"]

    static func decode(_ data: Data) -> LedgerEntry? { try? JSONDecoder().decode(LedgerEntry.self, from: data) }
}

extension LedgerProving {
    /// Journal entries, oldest first, optionally of one account (review, tests), decoded from
    /// the ledger (SQLite's store or PostgreSQL's ledger).
    public func journal(account: AccountID? = nil, limit: Int = 10_000) async throws -> [JournalRow] {
        let size = try await ledgerSize()
        var out: [JournalRow] = []
        var start: Int64 = 0
        while start < size && out.count < limit {
            // Decoded inside: the bytes given to the closure may be the database's own buffer.
            let batch = try await ledgerEntries(start..<min(size, start + 5_000)) { LedgerEntry.decode(Data($0)) }
            var rows: [(Int64, JournalRow)] = []
            for (index, decoded) in batch {
                guard let e = decoded else { continue }
                if account == nil || e.actor.account == account?.rawValue { rows.append((index, e.row)) }
            }
            let sources = try await ledgerSources(rows.filter { $0.1.sourceTag != nil }.map(\.0))
            for (index, var row) in rows {
                if row.sourceTag != nil { row.source = sources[index] }
                out.append(row)
            }
            start += 5_000
        }
        return Array(out.prefix(limit))
    }
}

/// The keyed tag of a source address that ledger entries carry instead of the address:
/// HMAC-SHA256 under a key derived from the key file, first 16 bytes, base64url. Without the
/// key it says nothing (a plain hash of an IPv4 address could be reversed by trying them all).
public enum SourceTag {
    /// The purpose name of the key (derived from the key file) that tags source addresses.
    public static let keyPurpose = "ledger-source"

    public static func make(_ source: String, key: SymmetricKey) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("source\u{0}\(source)".utf8), using: key)
        return Data(mac.prefix(16)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// A minimal writer of compact JSON for ``LedgerEntry/canonical()``: the caller writes keys in
/// order; strings are escaped as `JSONEncoder` escapes them (quote, backslash, control
/// characters; `/` left alone).
struct CanonicalJSON {
    private(set) var bytes: [UInt8] = []
    private var first = [true]

    init() { bytes.reserveCapacity(512) }

    private mutating func separate() {
        if first[first.count - 1] { first[first.count - 1] = false } else { bytes.append(UInt8(ascii: ",")) }
    }

    mutating func open() { bytes.append(UInt8(ascii: "{")); first.append(true) }
    mutating func close() { bytes.append(UInt8(ascii: "}")); first.removeLast() }

    mutating func key(_ k: String) {
        separate()
        quoted(k)
        bytes.append(UInt8(ascii: ":"))
    }

    mutating func string(_ s: String) { quoted(s) }
    mutating func integer(_ n: Int64) { bytes.append(contentsOf: String(n).utf8) }
    mutating func bool(_ b: Bool) { bytes.append(contentsOf: (b ? "true" : "false").utf8) }

    mutating func strings(_ list: [String]) {
        bytes.append(UInt8(ascii: "["))
        for (i, s) in list.enumerated() {
            if i > 0 { bytes.append(UInt8(ascii: ",")) }
            quoted(s)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    private static let hex = Array("0123456789abcdef".utf8)

    private mutating func quoted(_ s: String) {
        bytes.append(UInt8(ascii: "\""))
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "\""): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x08: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
            case 0x0C: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
            case 0x0A: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: bytes.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                bytes.append(contentsOf: Array("\\u00".utf8))
                bytes.append(Self.hex[Int(b >> 4)]); bytes.append(Self.hex[Int(b & 0xF)])
            default: bytes.append(b)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
