public import GuichetCore
@_spi(GateOnly) import GuichetLedger
import GuichetStore
import GuichetAuth
@_spi(GateOnly) import GuichetVault
@_spi(GateOnly) import GuichetPolicy
public import Foundation

/// Fields kept for a legal duty, as a reader of a role the profile allows gets them.
public struct KeptView: Sendable {
    public let dossier: DossierID
    /// By path: `benefitRights`, `seeker.registryId` (a second person of a role: `parent[2].email`).
    public let fields: [String: FieldValue]
    /// The legal ground, per language.
    public let ground: [String: String]
    /// When the last of them is destroyed.
    public let keptUntil: Date
}

/// Fields kept for a legal duty through an erasure (GDPR art. 17(3)(b), docs/LIFECYCLE.md):
/// at erasure, the values the profile's `retention.kept` names are opened inside the gate
/// (never returned) and sealed again under a data key of their own, stored in the erasure's
/// own transaction; the erasure destroys every other key. Only roles and purposes of
/// `retention.kept` read them, each read journalled as a disclosure; retention destroys their
/// key when their term is over.
extension Gate {
    /// Kept fields sealed for storage, and the paths they hold (for the receipt and the ledger).
    struct Kept {
        let record: KeptRecord
        let paths: [String]
    }

    /// Seals what the profile keeps of these dossiers, before they are erased.
    /// - Parameters:
    ///   - persons: the persons whose kept fields are copied (those not given are not).
    ///   - dossierFields: whether a dossier's own kept fields are copied (it is erased whole).
    func keptFields(_ records: [DossierRecord], persons: [PersonID: PersonRecord], dossierFields: (DossierID) -> Bool, at now: Date) throws -> [Kept] {
        var out: [Kept] = []
        for record in records {
            guard let spec = profile.retention.kept[record.type] else { continue }
            let wanted = Set(spec.fields.filter { $0.contains(".") || dossierFields(record.id) })
            guard !wanted.isEmpty else { continue }
            let view = try sealing { try vault.open(record, persons: persons, revealing: wanted) }
            var values = view.fields
            var owners: [String: PersonID] = [:]
            var seen: [String: Int] = [:]
            for p in view.persons {
                seen[p.role, default: 0] += 1
                let label = seen[p.role] == 1 ? p.role : "\(p.role)[\(seen[p.role] ?? 0)]"
                for (name, value) in p.fields {
                    values["\(label).\(name)"] = value
                    owners["\(label).\(name)"] = p.id
                }
            }
            guard !values.isEmpty else { continue }
            let id = UUID().uuidString.lowercased()
            // From an archived dossier, the copy stays under the archive KEK too.
            let archived = record.key?.kekVersion == Vault.archiveVersion
                || view.persons.contains { persons[$0.id]?.key?.kekVersion == Vault.archiveVersion }
            let (sealed, key) = try sealing { try vault.sealKept(values, subject: KeptRecord.subject(id), archived: archived) }
            out.append(Kept(record: KeptRecord(id: id, dossier: record.id, persons: owners, fields: sealed, key: key, keptAt: now,
                                               keptUntil: Date(timeIntervalSince1970: (now.timeIntervalSince1970 + spec.keptFor).rounded(.down))),
                            paths: values.keys.sorted()))
        }
        return out
    }

    /// Reads the fields kept for a legal duty of a dossier (erased, or with an erased person).
    /// - Throws: 403 for a role or a purpose that `retention.kept` does not name, or without a
    ///   second factor; 404 when nothing is kept of it (or its term is over); 503 when the
    ///   read cannot be journalled (nothing is opened).
    public func readKept(_ id: DossierID, _ r: GateRequest) async throws -> KeptView {
        try checkPurpose(r)
        guard let access = profile.retention.keptAccess, access.roles.contains(r.principal.role) else {
            try await refuse(.forbidden("your role may not read fields kept for a legal duty"), reason: "kept-not-allowed", action: .read, dossiers: [id], r)
        }
        guard let purpose = r.purpose, access.purposes.contains(purpose) else {
            throw GuichetError.forbidden("reading kept fields needs one of these purposes: \(access.purposes.sorted().joined(separator: ", "))")
        }
        guard r.principal.mayReachPersonalData else { throw GuichetError.forbidden("a second factor is required") }
        let now = clock()
        let rows = try await store.kept(dossier: id).filter { $0.key != nil && $0.keptUntil > now }
        // The policy must still let the caller read the dossier (an adviser, their agency's),
        // and each path it returns.
        guard !rows.isEmpty, let dossier = try await store.dossier(id), let spec = profile.retention.kept[dossier.type],
              let grant = policy.decide(r.principal.subject, .read, dossier.facts, purpose: purpose).grant else {
            try await refuse(.notFound, reason: "not-found", action: .read, dossiers: [id], r)
        }
        let readable = { (path: String) in grant.readable.contains(Self.unnumbered(path)) }
        // The ledger names the paths and whose they are before anything opens.
        let paths = Set(try sealing { try rows.flatMap { try vault.keys($0.fields) } }).filter(readable)
        var personFields: [PersonID: Set<String>] = [:]
        for row in rows {
            for (path, person) in row.persons where readable(path) { personFields[person, default: []].insert(Self.unnumbered(path)) }
        }
        let access1 = AllowedAccess(dossier: id, rules: ["retention.kept"], breakGlass: false,
                                    persons: personFields.keys.sorted { $0.rawValue < $1.rawValue },
                                    fields: paths.map(Self.unnumbered).sorted(), personFields: personFields.mapValues { $0.sorted() })
        _ = try await journalled([access1], action: .read, r)
        var fields: [String: FieldValue] = [:]
        for row in rows {
            let opened = try sealing { try vault.openKept(row.fields, subject: row.subject, wrapped: row.key, allowed: readable) }
            fields.merge(opened) { _, newer in newer }
        }
        return KeptView(dossier: id, fields: fields, ground: spec.ground, keptUntil: rows.map(\.keptUntil).max() ?? now)
    }

    /// `parent[2].email` → `parent.email` (the path as the policy and the ledger name it).
    static func unnumbered(_ path: String) -> String {
        guard let open = path.firstIndex(of: "["), let close = path.firstIndex(of: "]"), open < close else { return path }
        return String(path[..<open]) + String(path[path.index(after: close)...])
    }

    /// Destroys the keys of kept fields whose term is over, in batches, each journalled first
    /// (`retention:kept-erase`). A dry run counts them.
    func expireKept(now: Date, dryRun: Bool, batch: Int, budget: inout Int, requestID: String) async throws -> Int {
        if dryRun { return try await store.expiredKept(at: now, limit: Self.maxRetentionBatch).count }
        let context = AccessContext(requestID: requestID, subject: nil, session: nil, source: nil, purpose: nil, at: now)
        var n = 0
        while budget > 0 {
            let due = try await store.expiredKept(at: now, limit: batch)
            guard !due.isEmpty else { break }
            let persons = Set(due.flatMap(\.persons.values)).sorted { $0.rawValue < $1.rawValue }
            do {
                try await journal.recordSystemEvent("retention:kept-erase", reason: "retention: fields kept for a legal duty, term over",
                                                    persons: persons, dossiers: due.map(\.dossier), context: context)
            } catch { throw GuichetError.unavailable("the erasure could not be recorded, so nothing was erased") }
            n += try await store.shredKept(due.map(\.id), at: now)
            await recordErasures(due.map { KeptRecord.subject($0.id) })
            budget -= 1
            if due.count < batch { break }
        }
        return n
    }
}
