public import GuichetCore
import GuichetStore
public import GuichetMerkle
public import Foundation
import Crypto

/// What a breach scope is asked about: any combination of accounts, a session, a source
/// address and a time window `[from, to)`. Every filter given must hold for an entry; an entry
/// of any of the accounts holds for the accounts (an incident of several accounts taken over
/// at once: each person once, with every field any of them received).
public struct ScopeQuery: Sendable, Equatable {
    /// The accounts, sorted, each once; empty: any account.
    public private(set) var accounts: [AccountID]
    public var session: SessionID?
    public var source: String?
    public var from: Date?
    public var to: Date?

    public init(account: AccountID? = nil, session: SessionID? = nil, source: String? = nil, from: Date? = nil, to: Date? = nil) {
        self.init(accounts: account.map { [$0] } ?? [], session: session, source: source, from: from, to: to)
    }

    public init(accounts: [AccountID], session: SessionID? = nil, source: String? = nil, from: Date? = nil, to: Date? = nil) {
        self.accounts = Self.sorted(accounts)
        self.session = session; self.source = source.map(SourceAddress.canonical); self.from = from; self.to = to
    }

    static func sorted(_ accounts: [AccountID]) -> [AccountID] { Array(Set(accounts)).sorted { $0.rawValue < $1.rawValue } }

    /// The one account asked about; nil for none or several.
    public var account: AccountID? { accounts.count == 1 ? accounts[0] : nil }

    /// Whether no filter is given (a scope of the whole ledger is refused).
    public var isEmpty: Bool { accounts.isEmpty && session == nil && source == nil && from == nil && to == nil }

    /// The query as JSON (stored with an incident): one account as `account`, as before
    /// incidents could hold several; several as `accounts`.
    public var json: JSON {
        var o: [String: JSON] = [:]
        if let account { o["account"] = .string(account.rawValue) } else if !accounts.isEmpty { o["accounts"] = .array(accounts.map { .string($0.rawValue) }) }
        if let session { o["session"] = .string(session.rawValue) }
        if let source { o["source"] = .string(source) }
        if let from { o["from"] = .string(ScopeFormat.time(from)) }
        if let to { o["to"] = .string(ScopeFormat.time(to)) }
        return .object(o)
    }

    /// Reads a query stored as JSON.
    /// - Throws: ``GuichetError/invalid(_:)`` for a malformed identifier or time.
    public init(json: JSON) throws {
        let o = json.object ?? [:]
        for key in o.keys where !["account", "accounts", "session", "source", "from", "to"].contains(key) {
            throw GuichetError.invalid("unknown scope key '\(GuichetError.echo(key))' (expected account, accounts, session, source, from, to)")
        }
        func string(_ k: String) throws -> String? {
            guard let v = o[k], v != .null else { return nil }
            guard let s = v.string else { throw GuichetError.invalid("'\(k)' must be a string") }
            return s
        }
        func account(_ text: String, _ key: String) throws -> AccountID {
            guard let id = AccountID(validating: text) else { throw GuichetError.invalid("'\(key)' holds something that is not a valid account id") }
            return id
        }
        var ids = try string("account").map { [try account($0, "account")] } ?? []
        if let list = o["accounts"], list != .null {
            guard let items = list.array, !items.isEmpty, items.count <= Self.maxAccounts else {
                throw GuichetError.invalid("'accounts' must be a list of 1 to \(Self.maxAccounts) account ids")
            }
            for item in items {
                guard let text = item.string else { throw GuichetError.invalid("'accounts' must be a list of 1 to \(Self.maxAccounts) account ids") }
                ids.append(try account(text, "accounts"))
            }
        }
        accounts = Self.sorted(ids)
        session = try string("session").map { text in
            guard let id = SessionID(validating: text) else { throw GuichetError.invalid("'session' is not a valid session id") }
            return id
        }
        // The ledger records one spelling per address (SourceAddress): look that one up. A
        // typo is refused, not answered "0 persons" (an incident audit).
        source = try string("source").map { text in
            guard SourceAddress.bytes(text) != nil else {
                throw GuichetError.invalid("'source' must be one IP address, IPv4 or IPv6 (as 203.0.113.7 or 2001:db8::1), without a prefix length")
            }
            return SourceAddress.canonical(text)
        }
        from = try string("from").map { try ScopeFormat.parseTime($0, "from") }
        to = try string("to").map { try ScopeFormat.parseTime($0, "to") }
    }

    /// Most accounts one scope is asked about.
    public static let maxAccounts = 100

    /// The index a scope starts from: the most selective filter given.
    var indexKey: LedgerIndexKey {
        if let session { return .session(session) }
        if let first = accounts.first { return .account(first) }
        if let source { return .source(source) }
        return .time
    }

    /// The indexes a scope reads: the most selective filter's, one per account when several
    /// accounts are asked about and no session.
    var indexKeys: [LedgerIndexKey] {
        if session == nil, accounts.count > 1 { return accounts.map { .account($0) } }
        return [indexKey]
    }
}

/// Times in scopes, reports and registers: ISO 8601 UTC with milliseconds.
public enum ScopeFormat {
    public static func time(_ d: Date) -> String {
        // UTC always exists.
        d.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(secondsFromGMT: 0)!))
    }

    /// Parses `2026-11-21T18:00:00Z` (with or without fraction) or `2026-11-21`.
    /// - Throws: ``GuichetError/invalid(_:)`` naming the parameter, never echoing the value.
    public static func parseTime(_ text: String, _ name: String) throws -> Date {
        // The whole text, not a time it begins with: Foundation's parser stops at the end of a
        // time, so "…12:55:03.026Z2026-12-06T12:53:01Z" (a time typed after the page's own)
        // was read as the first and the 72-hour clock started at the wrong time (an operator's audit).
        let whole = #/\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?/#
        guard text.wholeMatch(of: whole) != nil else {
            throw GuichetError.invalid("'\(name)' must be an ISO 8601 time such as 2026-11-21T18:00:00Z")
        }
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle()) { return d }
        if let d = try? Date(text, strategy: Date.ISO8601FormatStyle().year().month().day()) { return d }
        throw GuichetError.invalid("'\(name)' must be an ISO 8601 time such as 2026-11-21T18:00:00Z")
    }
}

/// The signed checkpoint a scope or history was computed from.
public struct CheckpointReference: Sendable, Equatable {
    public let size: Int64
    public let rootHash: Hash
    /// The signed note (C2SP checkpoint), verifiable with the ledger's public keys.
    public let note: String
}

/// One person whose fields were exposed, with exactly which fields.
public struct ExposedPerson: Sendable, Equatable {
    public let person: PersonID
    /// The person's fields, as `role.field` paths (`child.birthDate`).
    public let fields: [String]
    /// Fields of the dossiers (not of a person) returned in the same accesses as this
    /// person's fields (`desiredStart`, `specialNeeds`).
    public let dossierFields: [String]
    public let dossiers: [DossierID]
    /// Ledger indexes of the accesses that exposed them.
    public let entries: [Int64]
    public let firstAt: Date
    public let lastAt: Date
}

/// One dossier whose own fields were exposed.
public struct ExposedDossier: Sendable, Equatable {
    public let dossier: DossierID
    public let fields: [String]
    public let entries: [Int64]
}

/// One ledger event in the scope (an allowed access, a write, or a refused attempt).
public struct ScopeEvent: Sendable, Equatable {
    public let index: Int64
    public let at: Date
    public let action: String
    public let allowed: Bool
    public let reason: String
    public let account: AccountID?
    public let source: String?
    public let dossiers: [DossierID]
    public let persons: [PersonID]
    public let fields: [String]
    /// The entry returned its fields to the caller (an exposure, not a write).
    public let disclosed: Bool

    /// Whether the entry is a change the account made (integrity): allowed, returning no field,
    /// and neither an access that only looked (a read, search or versions listing that returned
    /// no field, break-glass or not), nor the watch's own record of what it did to the account
    /// (`watch:…`), nor a policy explanation. Dossier writes, erasures, imports, claims and
    /// provisioning steps (accounts, caseloads, requests) are changes.
    public var isChange: Bool {
        // An export's entry names everyone in the file it made: a disclosure (each row is also
        // journalled as a read, and counted there), not a change (an incident audit found an
        // export counted among the changes of integrity).
        // A break-glass grant (its review too) changes no file: the reads it allows are
        // journalled as reads (an incident audit found two grants counted as changes of integrity).
        guard allowed, !disclosed, !action.hasPrefix("watch:"), !["policy-explain", "partner-export", "break-glass-open", "break-glass-review"].contains(action)
        else { return false }
        let name = action.hasPrefix("break-glass:") ? String(action.dropFirst("break-glass:".count)) : action
        return !["read", "search", "versions"].contains(name)
    }
}

/// A claim code issued by a matched entry (``ClaimEntry``), and its redemption if the ledger
/// holds one under the same checkpoint.
public struct ScopeClaimCode: Sendable, Equatable {
    /// The person the code stands for.
    public let person: PersonID
    /// The files the code opens (every file the person was on when it was issued).
    public let dossiers: [DossierID]
    /// The `claim-code-issue` entry.
    public let entry: Int64
    public let at: Date
    /// The account made with the code, its `claim` entry and time; nil when not claimed.
    public let claimedBy: AccountID?
    public let claimEntry: Int64?
    public let claimedAt: Date?
}

/// An account that a matched entry made able to read: created, approved (an account or a
/// role), given a caseload, its second factors reset, linked to an identity provider, or
/// reinstated after a suspension. What it read is not in this scope: scope it too.
public struct ScopeEnabledAccount: Sendable, Equatable {
    public let account: AccountID
    /// The entry's action (`provision:account-create`, `watch:reinstate`...).
    public let action: String
    public let entry: Int64
    public let at: Date

    /// The actions that give an account reach.
    static let actions: Set<String> = ["provision:account-create", "provision:approve", "provision:caseload-assign", "provision:caseload-transfer",
                                       "provision:factor-reset", "provision:link-oidc", "watch:reinstate"]

    /// The accounts enabled by `events`, oldest first: the last account id their reasons name
    /// (every such reason says "account ID", a transfer "from account A to account B").
    static func enabled(by events: [ScopeEvent]) -> [ScopeEnabledAccount] {
        events.compactMap { e in
            guard e.allowed, actions.contains(e.action),
                  let match = e.reason.matches(of: #/account ([A-Za-z0-9_-]{22})\b/#).last,
                  let id = AccountID(validating: String(match.output.1)) else { return nil }
            return ScopeEnabledAccount(account: id, action: e.action, entry: e.index, at: e.at)
        }
    }
}

/// The exact answer to "which fields of whom did these accesses expose", computed from the
/// ledger entries covered by one signed checkpoint.
public struct BreachScope: Sendable, Equatable {
    public let query: ScopeQuery
    public let checkpoint: CheckpointReference
    /// Entries that matched the query.
    public let entriesMatched: Int
    /// Persons whose fields were returned to the caller (every entry the journal marked
    /// `disclosed`, whatever its action: read, search, versions, break-glass reads...), by id.
    public let persons: [ExposedPerson]
    /// Dossiers whose own fields were returned.
    public let dossiers: [ExposedDossier]
    /// For each field path: how many persons (person fields) or dossiers (dossier fields) had it exposed.
    public let fieldCounts: [String: Int]
    /// Allowed changes (``ScopeEvent/isChange``: dossier writes, erasures, provisioning
    /// steps...): integrity, not disclosure.
    public let writes: [ScopeEvent]
    /// Refused attempts: listed, never counted as exposure.
    public let attempts: [ScopeEvent]
    /// Every matched entry, oldest first (the timeline).
    public let events: [ScopeEvent]
    /// True when some entry written before `personFields` existed named several persons: their
    /// fields were then attributed to each of them (an over-estimate, never an under-estimate).
    public let approximate: Bool
    /// Honeytoken persons the matched reads reached, and honeytoken dossiers they reached or
    /// tried (see ``separatingDecoys(persons:dossiers:)``): evidence of intent, not people to
    /// notify; they are in neither `persons`, `dossiers` nor `fieldCounts`.
    public internal(set) var decoyPersons: [PersonID] = []
    public internal(set) var decoyDossiers: [DossierID] = []
    /// Claim codes the matched entries issued, oldest first: whoever held one could make an
    /// account that reads the files it names, so each says which account claimed it (scope
    /// that account too), or that it was not claimed by the checkpoint.
    public internal(set) var claimCodes: [ScopeClaimCode] = []
    /// Accounts the matched entries made able to read (created, approved, given a caseload,
    /// reset, reinstated...), oldest first: a stolen administrator or officer exposes what
    /// they read, so each is to be scoped too (an insider audit: an administrator's scope said
    /// 0 persons where the accounts it made read 200).
    public var accountsEnabled: [ScopeEnabledAccount] { ScopeEnabledAccount.enabled(by: events) }

}

extension LedgerAuditor {
    /// Largest number of entries one scope reads.
    public static let maxScopeEntries = 2_000_000

    /// Every entry an index named is there, and is the entry the signed checkpoint covers (an
    /// inclusion proof checked against its root): a scope never answers from a deleted or
    /// rewritten entry as if it were whole (an incident audit: after an entry was edited and
    /// another deleted in the database, the scope listed the first and left out the second).
    /// - Throws: ``LedgerError/corrupt(_:)`` naming the first entry that fails.
    static func checkCovered(_ indexes: [Int64], _ entries: [(index: Int64, entry: Data)], by checkpoint: CheckpointReference,
                             _ store: any LedgerProving) async throws {
        let present = Set(entries.map(\.index))
        if let missing = indexes.first(where: { !present.contains($0) }) {
            throw LedgerError.corrupt("entry \(missing) is named by the ledger's indexes but missing from the ledger: it was deleted; run 'guichet ledger verify'")
        }
        let proofs = try await store.inclusionProofs(entries.map(\.index), size: checkpoint.size)
        for ((index, bytes), proof) in zip(entries, proofs) {
            do {
                try proof.verify(leafHash: MerkleHash.leaf(bytes), rootHash: checkpoint.rootHash)
            } catch {
                throw LedgerError.corrupt("entry \(index) is not the entry the signed checkpoint of size \(checkpoint.size) covers: it was changed; run 'guichet ledger verify'")
            }
        }
    }

    /// The ledger holds as many entries as its numbering says. A scope finds entries through
    /// columns and indexes that a deleted entry leaves no trace in (an incident audit: with one
    /// entry deleted, a scope by account or by time window came back one person's sensitive
    /// fields short, signed against a checkpoint that covers it). One count of the table,
    /// whatever the answer's size: a scope is rare, and never partial.
    /// - Throws: ``LedgerError/corrupt(_:)`` when entries are missing.
    static func checkNoneDeleted(_ store: any LedgerProving) async throws {
        let (held, numbered) = try await store.ledgerEntryCount()
        guard held == numbered else {
            throw LedgerError.corrupt("\(numbered - held) of the \(numbered) entries the ledger numbers are missing from it: they were deleted; run 'guichet ledger verify'")
        }
    }

    /// ``checkNoneDeleted(_:)`` on this auditor's ledger: what `guichet serve` checks before
    /// it serves.
    public func checkNoneDeleted() async throws { try await Self.checkNoneDeleted(store) }

    /// The latest signed checkpoint as a reference.
    /// - Throws: ``LedgerError/notFound`` when none was ever signed.
    public func checkpointReference() async throws -> CheckpointReference {
        guard let (note, cp) = try await latestCheckpoint() else { throw LedgerError.notFound }
        return CheckpointReference(size: Int64(cp.size), rootHash: cp.rootHash, note: note)
    }

    /// Computes the scope of a breach from the entries covered by the latest signed checkpoint
    /// (sign one first to include the newest entries). Starts from the most selective index
    /// (session, account, source, time), so its cost follows the answer, not the ledger.
    /// - Throws: ``GuichetError/invalid(_:)`` for an empty query or a window that ends before
    ///   it starts; ``LedgerError/notFound`` when no checkpoint exists; ``LedgerError/corrupt(_:)``
    ///   when an entry does not decode.
    public func scope(_ q: ScopeQuery) async throws -> BreachScope {
        guard !q.isEmpty else { throw GuichetError.invalid("give at least one of account, session, source, from, to") }
        if let from = q.from, let to = q.to, to <= from { throw GuichetError.invalid("'to' must be after 'from'") }
        let checkpoint = try await checkpointReference()
        try await Self.checkNoneDeleted(store)
        var indexes: [Int64] = []
        for key in q.indexKeys {
            let found = try await store.ledgerIndexes(key, from: q.from, to: q.to, below: checkpoint.size, limit: Self.maxScopeEntries + 1)
            indexes = indexes.isEmpty ? found : Array(Set(indexes).union(found)).sorted()
            guard indexes.count <= Self.maxScopeEntries else { break }
        }
        // An IPv4 client of a listener bound to `::` was recorded as `::ffff:a.b.c.d` before
        // the ledger kept one spelling per address (SourceAddress): its entries count too.
        if case .source(let address) = q.indexKey, SourceAddress.bytes(address)?.count == 4 {
            let mapped = try await store.ledgerIndexes(.source("::ffff:" + address), from: q.from, to: q.to, below: checkpoint.size,
                                                       limit: Self.maxScopeEntries + 1)
            if !mapped.isEmpty { indexes = Array(Set(indexes).union(mapped)).sorted() }
        }
        guard indexes.count <= Self.maxScopeEntries else {
            throw GuichetError.invalid("more than \(Self.maxScopeEntries) entries match: narrow the window")
        }
        var events: [ScopeEvent] = []
        var approximate = false
        struct PersonAcc { var fields = Set<String>(); var dossierFields = Set<String>(); var dossiers = Set<DossierID>(); var entries: [Int64] = []; var first: Date; var last: Date }
        var persons: [PersonID: PersonAcc] = [:]
        // An account's entries come from a handful of addresses: each is tagged once.
        var tags: [String: String] = [:]
        func tagOf(_ source: String, _ key: SymmetricKey) -> String {
            if let t = tags[source] { return t }
            let t = SourceTag.make(source, key: key)
            tags[source] = t
            return t
        }
        var dossiers: [DossierID: (fields: Set<String>, entries: [Int64])] = [:]
        var start = 0
        while start < indexes.count {
            let chunk = Array(indexes[start..<min(indexes.count, start + 5_000)])
            let entries = try await store.ledgerEntries(chunk)
            try await Self.checkCovered(chunk, entries, by: checkpoint, store)
            let decoded = try entries.map { index, bytes in
                guard let e = LedgerEntry.decode(bytes) else { throw LedgerError.corrupt("entry \(index) does not decode") }
                return (index, e)
            }
            // Entries that carry only the tag of their source address: the address kept beside
            // them, checked against the tag when the key is at hand.
            let sources = try await store.ledgerSources(decoded.filter { $0.1.actor.sourceTag != nil }.map(\.0))
            for (index, e) in decoded {
                var r = e.row
                if let tag = e.actor.sourceTag {
                    r.source = sources[index]
                    if let key = sourceKey, let s = r.source, tagOf(s, key) != tag {
                        throw LedgerError.corrupt("the source address kept beside entry \(index) is not the one the entry was written with")
                    }
                }
                if !q.accounts.isEmpty, !(r.account.map(q.accounts.contains) ?? false) { continue }
                if let s = q.session, r.session != s { continue }
                if let s = q.source, r.source.map(SourceAddress.canonical) != s { continue }
                if let f = q.from, r.at < f { continue }
                if let t = q.to, r.at >= t { continue }
                let event = ScopeEvent(index: index, at: r.at, action: r.action, allowed: r.allowed, reason: r.reason, account: r.account,
                                       source: r.source, dossiers: r.dossiers, persons: r.persons, fields: r.fields, disclosed: r.disclosed)
                events.append(event)
                guard r.allowed, r.disclosed else { continue }
                let dossierFields = r.fields.filter { !$0.contains(".") }
                var byPerson = r.personFields ?? [:]
                if r.personFields == nil {
                    let personPaths = r.fields.filter { $0.contains(".") }
                    if r.persons.count > 1 && !personPaths.isEmpty { approximate = true }
                    for p in r.persons { byPerson[p] = personPaths }
                }
                for (p, paths) in byPerson where !paths.isEmpty {
                    var acc = persons[p] ?? PersonAcc(first: r.at, last: r.at)
                    acc.fields.formUnion(paths)
                    acc.dossierFields.formUnion(dossierFields)
                    acc.dossiers.formUnion(r.dossiers)
                    acc.entries.append(index)
                    acc.first = min(acc.first, r.at); acc.last = max(acc.last, r.at)
                    persons[p] = acc
                }
                if !dossierFields.isEmpty {
                    for d in r.dossiers {
                        dossiers[d, default: ([], [])].fields.formUnion(dossierFields)
                        dossiers[d, default: ([], [])].entries.append(index)
                    }
                }
            }
            start += 5_000
        }
        events.sort { ($0.at, $0.index) < ($1.at, $1.index) }
        let claimCodes = try await claims(issuedIn: events, below: checkpoint.size)
        var counts: [String: Int] = [:]
        for acc in persons.values { for f in acc.fields { counts[f, default: 0] += 1 } }
        for d in dossiers.values { for f in d.fields { counts[f, default: 0] += 1 } }
        var scope = BreachScope(
            query: q, checkpoint: checkpoint, entriesMatched: events.count,
            persons: persons.map { ExposedPerson(person: $0.key, fields: $0.value.fields.sorted(), dossierFields: $0.value.dossierFields.sorted(),
                                                 dossiers: $0.value.dossiers.sorted { $0.rawValue < $1.rawValue }, entries: $0.value.entries.sorted(),
                                                 firstAt: $0.value.first, lastAt: $0.value.last) }.sorted { $0.person.rawValue < $1.person.rawValue },
            dossiers: dossiers.map { ExposedDossier(dossier: $0.key, fields: $0.value.fields.sorted(), entries: $0.value.entries.sorted()) }
                .sorted { $0.dossier.rawValue < $1.dossier.rawValue },
            fieldCounts: counts,
            writes: events.filter(\.isChange),
            attempts: events.filter { !$0.allowed },
            events: events, approximate: approximate)
        scope.claimCodes = claimCodes
        return scope
    }

    /// The claim codes among `events`, each with the first `claim` of its person after it
    /// (through the person index, below the checkpoint).
    func claims(issuedIn events: [ScopeEvent], below size: Int64) async throws -> [ScopeClaimCode] {
        let issued = events.filter { $0.allowed && $0.action == ClaimEntry.issueAction && $0.persons.count == 1 }
        guard let first = issued.map(\.index).min() else { return [] }
        let persons = Array(Set(issued.map { $0.persons[0] }))
        let indexes = try await store.ledgerIndexes(persons: persons, dossiers: [], after: first, below: size, limit: Self.maxScopeEntries)
        var redeemed: [PersonID: [(index: Int64, at: Date, account: AccountID)]] = [:]
        var start = 0
        while start < indexes.count {
            for (index, bytes) in try await store.ledgerEntries(Array(indexes[start..<min(indexes.count, start + 5_000)])) {
                guard let e = LedgerEntry.decode(bytes) else { throw LedgerError.corrupt("entry \(index) does not decode") }
                let r = e.row
                guard r.allowed, r.action == ClaimEntry.action, let account = ClaimEntry.account(inReason: r.reason) else { continue }
                for p in r.persons { redeemed[p, default: []].append((index, r.at, account)) }
            }
            start += 5_000
        }
        return issued.sorted { $0.index < $1.index }.map { e in
            let claim = (redeemed[e.persons[0]] ?? []).filter { $0.index > e.index }.min { $0.index < $1.index }
            return ScopeClaimCode(person: e.persons[0], dossiers: e.dossiers, entry: e.index, at: e.at,
                                  claimedBy: claim?.account, claimEntry: claim?.index, claimedAt: claim?.at)
        }
    }
}

extension BreachScope {
    /// The same scope with honeytoken records set apart: they are planted, nobody to notify,
    /// so they leave `persons`, `dossiers` and the counts per field, and are listed in
    /// `decoyPersons` and `decoyDossiers` instead. The events are kept whole (evidence).
    public func separatingDecoys(persons isDecoyPerson: (PersonID) -> Bool, dossiers isDecoyDossier: (DossierID) -> Bool) -> BreachScope {
        let realPersons = persons.filter { !isDecoyPerson($0.person) }
        let realDossiers = dossiers.filter { !isDecoyDossier($0.dossier) }
        var counts: [String: Int] = [:]
        for p in realPersons { for f in p.fields { counts[f, default: 0] += 1 } }
        for d in realDossiers { for f in d.fields { counts[f, default: 0] += 1 } }
        var scope = BreachScope(query: query, checkpoint: checkpoint, entriesMatched: entriesMatched, persons: realPersons, dossiers: realDossiers,
                                fieldCounts: counts, writes: writes, attempts: attempts, events: events, approximate: approximate)
        let reached = Set(persons.map(\.person)).union(events.filter { $0.allowed }.flatMap(\.persons))
        let reachedDossiers = Set(dossiers.map(\.dossier)).union(events.flatMap(\.dossiers))
        scope.claimCodes = claimCodes
        scope.decoyPersons = reached.filter(isDecoyPerson).sorted { $0.rawValue < $1.rawValue }
        scope.decoyDossiers = reachedDossiers.filter(isDecoyDossier).sorted { $0.rawValue < $1.rawValue }
        return scope
    }
}
