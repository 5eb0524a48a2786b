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
        at = r.at.millis
        let tag = sourceKey.flatMap { key in r.source.map { SourceTag.make($0, key: key) } }
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

    func canonical() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A struct of strings, integers and arrays of strings always encodes.
        return try! encoder.encode(self)
    }

    /// The actions that returned fields in entries written before `disclosed` was recorded.
    static let disclosingBeforeMarking: Set<String> = ["read", "search", "versions", "break-glass:read", "break-glass:search", "break-glass:versions"]

    static func decode(_ data: Data) -> LedgerEntry? { try? JSONDecoder().decode(LedgerEntry.self, from: data) }
}

extension Store {
    /// Journal entries, oldest first, optionally of one account (review, tests), decoded from the ledger.
    public func journal(account: AccountID? = nil, limit: Int = 10_000) async throws -> [JournalRow] {
        let size = try await ledgerSize()
        var out: [JournalRow] = []
        var start: Int64 = 0
        while start < size && out.count < limit {
            let batch = try await ledgerEntries(start..<min(size, start + 5_000))
            var rows: [(Int64, JournalRow)] = []
            for (index, data) in batch {
                guard let e = LedgerEntry.decode(data) else { continue }
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
