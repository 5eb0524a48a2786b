public import GuichetCore
public import GuichetStore
import Foundation

/// The canonical form of a ledger entry: JSON with sorted keys, no insignificant space, times
/// in UTC milliseconds. Identifiers and field names only: never a personal value. These bytes
/// are what the Merkle tree hashes (leaf = SHA-256(0x00 ‖ bytes)).
struct LedgerEntry: Codable, Equatable {
    struct Actor: Codable, Equatable {
        var account: String?
        var role: String?
        var organisation: String?
        var session: String?
        var source: String?
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
    var request: String

    init(_ r: JournalRow) {
        at = r.at.millis
        actor = Actor(account: r.account?.rawValue, role: r.role, organisation: r.organisation?.rawValue,
                      session: r.session?.rawValue, source: r.source)
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
    }

    var row: JournalRow {
        var r = JournalRow(at: Date(millis: at), requestID: request, account: actor.account.map(AccountID.init(trusted:)), role: actor.role,
                   organisation: actor.organisation.map(OrganisationID.init(trusted:)), session: actor.session.map(SessionID.init(trusted:)),
                   source: actor.source, action: action, allowed: decision == "allow", reason: reason, purpose: purpose,
                   dossiers: dossiers.map(DossierID.init(trusted:)), persons: persons.map(PersonID.init(trusted:)), fields: fields)
        r.personFields = personFields.map { Dictionary(uniqueKeysWithValues: $0.map { (PersonID(trusted: $0.key), $0.value) }) }
        return r
    }

    func canonical() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A struct of strings, integers and arrays of strings always encodes.
        return try! encoder.encode(self)
    }

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
            for (_, data) in batch {
                guard let e = LedgerEntry.decode(data) else { continue }
                if account == nil || e.actor.account == account?.rawValue { out.append(e.row) }
            }
            start += 5_000
        }
        return Array(out.prefix(limit))
    }
}
