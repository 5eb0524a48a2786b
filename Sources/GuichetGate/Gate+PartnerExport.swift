public import GuichetCore
@_spi(GateOnly) import GuichetLedger
@_spi(GateOnly) import GuichetPolicy
public import GuichetStore
public import Crypto
public import GuichetAuth
public import Foundation
import Logging
import GuichetWatch

/// A partner export as handed over: encrypted to the recipient's key (HPKE, RFC 9180:
/// X25519, HKDF-SHA256, ChaCha20-Poly1305), with its expiry bound to the ciphertext.
public struct PartnerExportFile: Sendable {
    public let id: String
    public let expiresAt: Date
    /// The file: `{"format", "export", "expiresAt", "encapsulatedKey", "ciphertext"}` (JSON).
    public let data: Data

    static let format = "guichet-export-v1"
    static func aad(_ id: String, _ expiresAt: Date) -> Data { Data("\(format)\0\(id)\0\(expiresAt.millis)".utf8) }
    static let suite = HPKE.Ciphersuite.Curve25519_SHA256_ChachaPoly

    /// Opens a file with the recipient's private key, before it expires.
    /// - Returns: the rows (JSON), each `{"id", field paths…}`.
    /// - Throws: ``GuichetError/invalid(_:)`` for a file that is not an export, a wrong key or
    ///   a changed byte; ``GuichetError/forbidden(_:)`` once it expired.
    public static func open(_ data: Data, privateKey: Curve25519.KeyAgreement.PrivateKey, at now: Date) throws -> [[String: JSON]] {
        guard let outer = try? JSONSerialization.jsonObject(with: data) as? [String: Any], outer["format"] as? String == format,
              let id = outer["export"] as? String, let expires = outer["expiresAt"] as? Double,
              let key = (outer["encapsulatedKey"] as? String).flatMap({ Data(base64Encoded: $0) }),
              let sealed = (outer["ciphertext"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw GuichetError.invalid("not a Guichet export")
        }
        let expiresAt = Date(millis: Int64(expires))
        guard now < expiresAt else { throw GuichetError.forbidden("this export expired") }
        let plain: Data
        do {
            var recipient = try HPKE.Recipient(privateKey: privateKey, ciphersuite: suite, info: Data(format.utf8), encapsulatedKey: key)
            plain = try recipient.open(sealed, authenticating: aad(id, expiresAt))
        } catch { throw GuichetError.invalid("this export does not open with this key") }
        guard case .object(let o) = try JSONParser.parse(plain), case .array(let rows) = o["rows"] else { throw GuichetError.invalid("not a Guichet export") }
        return rows.compactMap(\.object)
    }
}

/// Partner exports (C11): when the profile lets a partner role export part of its caseload,
/// the file holds the profile's fields of the dossiers its search scope reaches that the
/// policy lets it read, plus canary rows that only this export has (a leaked file names its
/// recipient), is encrypted to the key the partner gives, expires, and is journalled: each
/// dossier as a read (breach scopes count it), and one `partner-export` entry naming every
/// person it holds. There is no other way to take data out of the registry in bulk.
extension Gate {
    /// Most dossiers in one export.
    public static let maxExportDossiers = 10_000

    /// Exports the caller's caseload (what its search scope reaches) to `recipientKey` (a raw
    /// 32-byte X25519 public key).
    /// - Throws: 403 when the role may not export or states another purpose; 400 for a bad key;
    ///   503 when the export cannot be journalled (no file is made).
    public func exportCaseload(recipientKey raw: Data, _ r: GateRequest) async throws -> PartnerExportFile {
        try checkPurpose(r)
        guard let rule = profile.exports[r.principal.role] else {
            try await refuse(.forbidden("your role may not export data"), reason: "export-not-allowed", action: .read, dossiers: [], r)
        }
        guard r.purpose == rule.purpose else { throw GuichetError.forbidden("an export states the purpose '\(rule.purpose)'") }
        guard let key = try? Curve25519.KeyAgreement.PublicKey(rawRepresentation: raw) else {
            throw GuichetError.invalid("'recipientKey' is a raw X25519 public key (32 bytes)")
        }
        // A point of small order gives every private key the same shared secret, all zeros:
        // anyone could open the file (RFC 9180 §7.1.4, RFC 7748 §6.1; an attacker test's
        // export opened with no key). Such a key is refused before anything is journalled.
        let probe = try? Curve25519.KeyAgreement.PrivateKey().sharedSecretFromKeyAgreement(with: key)
        guard let probe, probe.withUnsafeBytes({ $0.contains { $0 != 0 } }) else {
            throw GuichetError.invalid("'recipientKey' is not a usable X25519 public key (a point of small order: anyone could open the file)")
        }
        // Its caseload: the dossiers its search scope reaches (assigned to it, or that chose its
        // organisation...), as the policy says for this purpose.
        let subject = r.principal.subject
        var filters: [ScopeFilter] = []
        let scope = policy.searchScope(subject, type: rule.dossierType, purpose: r.purpose)
        for relation in scope.relations {
            switch relation {
            case .any: filters.append(.any)
            case .linkedPerson: if let p = subject.person { filters.append(.linkedPerson(p, roles: scope.linkRoles)) }
            case .partner: if let o = subject.organisation { filters.append(.partner(o)) }
            case .organisation: if let o = subject.organisation { filters.append(.organisation(o)) }
            case .assigned: filters.append(.assigned(subject.account))
            case .territory: if let t = subject.territory { filters.append(.territory(t)) }
            }
        }
        var ids: [DossierID] = []
        var after: DossierID?
        repeat {
            let page = filters.isEmpty ? [] : try await store.search(DossierQuery(type: rule.dossierType, status: nil, scope: filters, terms: [],
                                                                                  after: after, limit: 500))
            ids += page
            after = page.count == 500 && ids.count < Self.maxExportDossiers ? page.last : nil
        } while after != nil
        // Honeytoken files are not the partner's work: they stay out of the file, as archived
        // ones do, and are not journalled as read. A daycare's list shows the decoys that chose
        // it (last), so an export that took them suspended every such daycare at its first,
        // documented export (two audits of 7 December). The file's canary rows name a leak.
        let decoy = try await decoyDossiers()
        let records = Array(try await store.dossiers(ids).filter { $0.lifecycle == nil && !decoy($0.id) }.prefix(Self.maxExportDossiers))
        let wanted = Set(rule.fields)
        var accesses: [AllowedAccess] = []
        var kept: [DossierRecord] = []
        var persons: [PersonID: PersonRecord] = [:]
        for record in records {
            guard let grant = policy.decide(r.principal.subject, .read, record.facts, purpose: r.purpose).grant else { continue }
            let own = try await store.persons(revealedPersons(record, grant.readable))
            persons.merge(own) { a, _ in a }
            let exposed = try exposure(record, own, grant)
            let fields = exposed.fields.filter(wanted.contains)
            let personFields = exposed.personFields.mapValues { $0.filter(wanted.contains) }.filter { !$0.value.isEmpty }
            accesses.append(AllowedAccess(dossier: record.id, grant: grant, persons: personFields.keys.sorted { $0.rawValue < $1.rawValue },
                                          fields: fields, personFields: personFields))
            kept.append(record)
        }
        let receipt = try await journalled(accesses, action: .read, r)
        let id = UUID().uuidString.lowercased()
        let now = clock()
        let expiresAt = Date(millis: now.addingTimeInterval(Double(rule.days) * 86_400).millis)
        let everyone = Array(Set(accesses.flatMap(\.persons))).sorted { $0.rawValue < $1.rawValue }
        let index: Int64
        do {
            index = try await journal.recordSystemEvent("partner-export", reason: "export \(id) of \(kept.count) dossiers to account \(r.principal.account.rawValue), valid until \(expiresAt.millis)",
                                                        persons: everyone, dossiers: kept.map(\.id), context: context(r))
        } catch { throw GuichetError.unavailable("the export could not be recorded, so no file was made") }
        var rows: [(String, JSON)] = []
        for record in kept {
            let view = try open(record, persons: persons, receipt: receipt)
            var row: [String: JSON] = ["id": .string(record.id.rawValue)]
            for (name, value) in view.fields where wanted.contains(name) { row[name] = value.revealedJSON }
            // A role with two persons (two parents): the second one's fields are `parent[2].email`.
            var seen: [String: Int] = [:]
            for p in view.persons {
                seen[p.role, default: 0] += 1
                let label = seen[p.role] == 1 ? p.role : "\(p.role)[\(seen[p.role] ?? 0)]"
                for (name, value) in p.fields where wanted.contains("\(p.role).\(name)") { row["\(label).\(name)"] = value.revealedJSON }
            }
            rows.append((record.id.rawValue, .object(row)))
        }
        let canaries = (0..<rule.canaries).map { _ in DossierID().rawValue }
        let real = rows.compactMap { $0.1.object }
        for c in canaries { rows.append((c, .object(canaryRow(c, rule: rule, like: real)))) }
        rows.sort { $0.0 < $1.0 }  // canaries sit among the real rows, in id order
        let plain = try jsonBytes(.object(["export": .string(id), "expiresAt": .number(Double(expiresAt.millis)), "rows": .array(rows.map(\.1))]))
        var sender = try HPKE.Sender(recipientKey: key, ciphersuite: PartnerExportFile.suite, info: Data(PartnerExportFile.format.utf8))
        let sealed = try sender.seal(plain, authenticating: PartnerExportFile.aad(id, expiresAt))
        let file = try jsonBytes(.object(["format": .string(PartnerExportFile.format), "export": .string(id),
                                          "expiresAt": .number(Double(expiresAt.millis)),
                                          "encapsulatedKey": .string(sender.encapsulatedKey.base64EncodedString()),
                                          "ciphertext": .string(sealed.base64EncodedString())]))
        try await store.insertExport(PartnerExportRecord(id: id, account: r.principal.account, createdAt: now, expiresAt: expiresAt,
                                                         dossiers: kept.count, persons: everyone.count, ledgerIndex: index), canaries: canaries)
        // A copy of a caseload leaves the registry: every export is an alert in the security
        // officers' queue, naming the account and the counts, never a person (an incident
        // audit: a stolen partner account downloaded its caseload and the queue stayed empty).
        // The file is made: an alert that cannot be queued does not withhold it.
        do {
            try await watch?.raise(r.principal.account, detector: "caseload-exported", severity: .medium,
                                   detail: "export \(id) made: \(kept.count) dossiers, \(everyone.count) persons, encrypted to the key the account gave",
                                   at: now)
        } catch {
            logger.error("the alert of an export could not be queued", metadata: ["request": .string(r.requestID)])
        }
        return PartnerExportFile(id: id, expiresAt: expiresAt, data: file)
    }

    /// The exports the caller made, newest first: ids, dates and counts, never a row.
    public func exports(of p: Principal) async throws -> [PartnerExportRecord] {
        try await store.exports(account: p.account)
    }

    /// The exports a leaked file comes from, found by its canary rows (the `id` of each row).
    public func identifyLeak(rowIDs: [String]) async throws -> [PartnerExportRecord] {
        try await store.exports(withCanaries: rowIDs)
    }

    /// A synthetic row shaped like the real ones of the same file, so that it does not stand
    /// out when read (a new-user test spotted children born in 1987 and phones only on canaries):
    /// it takes a real row as its model, holds the fields that row holds, copies its choices,
    /// numbers and booleans, moves its dates by up to half a year, and mixes first and last
    /// names from different rows. Never a real person's contact: `example.org` addresses and
    /// phone numbers from the fictional ranges (a mail or call must not reach anyone).
    func canaryRow(_ id: String, rule: ExportRule, like real: [[String: JSON]] = []) -> [String: JSON] {
        let firsts = ["Camille", "Dominique", "Claude", "Alix", "Sacha", "Maxime"], lasts = ["Morel", "Lefort", "Garnier", "Perrin", "Roussel", "Vidal"]
        let model = real.randomElement()
        func mixed(_ path: String, _ fallback: [String]) -> String {
            real.randomElement()?[path]?.string ?? fallback.randomElement()!  // non-empty literals
        }
        var row: [String: JSON] = ["id": .string(id)]
        guard let type = profile.dossierTypes[rule.dossierType] else { return row }
        var first = firsts.randomElement()!, last = lasts.randomElement()!
        for path in rule.fields where path.hasSuffix("firstName") { first = mixed(path, firsts) }
        for path in rule.fields where path.hasSuffix("lastName") { last = mixed(path, lasts) }
        for path in rule.fields {
            // The model row's shape: a field it does not hold, the canary does not either.
            if let model, model[path] == nil { continue }
            let name = path.split(separator: ".").last.map(String.init) ?? path
            let spec = path.contains(".") ? profile.personField(name) : type.field(name)
            let copied = model?[path]
            switch spec?.type {
            case .choice(let values)?: row[path] = copied ?? .string(values.sorted().randomElement() ?? "")
            case .email?:
                let local = "\(first).\(last)".lowercased().filter { $0.isLetter || $0 == "." }
                row[path] = .string("\(local.isEmpty ? "contact" : local)\(Int.random(in: 10...99))@example.org")
            case .phone?: row[path] = .string("+3363998\(Int.random(in: 1000...9999))")
            case .date?:
                if let text = copied?.string, let d = LocalDate(iso: text), let moved = Self.date(d, movedBy: Int.random(in: -180...180)) {
                    row[path] = .string(moved.description)
                } else {
                    row[path] = .string("19\(Int.random(in: 60...99))-0\(Int.random(in: 1...9))-1\(Int.random(in: 0...9))")
                }
            case .integer(let lo, _)?: row[path] = copied ?? .number(Double(max(lo, 0)))
            case .boolean?: row[path] = copied ?? .bool(Bool.random())
            default:
                let lower = name.lowercased()
                row[path] = .string(lower.contains("first") ? first : lower.contains("last") ? last : (copied?.string ?? last))
            }
        }
        return row
    }

    /// A date moved by a number of days (the proleptic Gregorian calendar, UTC).
    static func date(_ d: LocalDate, movedBy days: Int) -> LocalDate? {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        guard let start = utc.date(from: DateComponents(year: d.year, month: d.month, day: d.day)),
              let moved = utc.date(byAdding: .day, value: days, to: start) else { return nil }
        let c = utc.dateComponents([.year, .month, .day], from: moved)
        return LocalDate(year: c.year ?? d.year, month: c.month ?? d.month, day: c.day ?? d.day)
    }

    func jsonBytes(_ json: JSON) throws -> Data {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        return try e.encode(json)
    }
}
