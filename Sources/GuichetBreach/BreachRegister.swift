public import GuichetCore
public import GuichetStore
public import GuichetLedger
public import Foundation

/// Marks an incident identifier of the breach register.
public enum IncidentTag {}
/// A random identifier of an incident.
public typealias IncidentID = Identifier<IncidentTag>

/// What a security officer records about an incident (GDPR art. 33(5): facts, effects,
/// remedial action). Free texts describe; they must not copy personal data.
public struct IncidentInput: Sendable {
    public var title: String
    public var nature: String
    public var facts: String
    public var effects: String
    public var remedial: String
    public var consequences: String
    public var detectedAt: Date
    public var status: String
    public var encryptedAndKeysSafe: Bool
    public var scope: ScopeQuery

    public init(title: String, nature: String, facts: String, effects: String = "", remedial: String = "", consequences: String = "",
                detectedAt: Date, status: String = "open", encryptedAndKeysSafe: Bool = false, scope: ScopeQuery) {
        self.title = title; self.nature = nature; self.facts = facts; self.effects = effects; self.remedial = remedial
        self.consequences = consequences; self.detectedAt = detectedAt; self.status = status
        self.encryptedAndKeysSafe = encryptedAndKeysSafe; self.scope = scope
    }

    /// Reads an incident from a JSON object (API body, CLI file); unknown keys are refused.
    /// - Throws: ``GuichetError/invalid(_:)`` naming the first bad key.
    public init(json: JSON) throws {
        guard let o = json.object else { throw GuichetError.invalid("the incident must be a JSON object") }
        let known: Set<String> = ["title", "nature", "facts", "effects", "remedial", "consequences", "detectedAt", "status", "encryptedAndKeysSafe", "scope"]
        if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
            throw GuichetError.invalid("unknown key '\(GuichetError.echo(unknown))' (expected: \(known.sorted().joined(separator: ", ")))")
        }
        func text(_ k: String, required: Bool = false) throws -> String {
            guard let v = o[k], v != .null else {
                if required { throw GuichetError.invalid("'\(k)' is required") }
                return ""
            }
            guard let s = v.string else { throw GuichetError.invalid("'\(k)' must be a string") }
            return s
        }
        let flag: Bool
        switch o["encryptedAndKeysSafe"] {
        case nil, .null?: flag = false
        case .bool(let b)?: flag = b
        default: throw GuichetError.invalid("'encryptedAndKeysSafe' must be true or false")
        }
        let status = try o["status"] == nil ? "open" : text("status")
        self.init(title: try text("title", required: true), nature: try text("nature", required: true), facts: try text("facts", required: true),
                  effects: try text("effects"), remedial: try text("remedial"), consequences: try text("consequences"),
                  detectedAt: try ScopeFormat.parseTime(try text("detectedAt", required: true), "detectedAt"),
                  status: status, encryptedAndKeysSafe: flag,
                  scope: try ScopeQuery(json: o["scope"] ?? .object([:])))
    }

    func validate(now: Date) throws {
        for (name, value, limit) in [("title", title, 200), ("nature", nature, 4_000), ("facts", facts, 20_000), ("effects", effects, 20_000),
                                     ("remedial", remedial, 20_000), ("consequences", consequences, 20_000)] where value.count > limit {
            throw GuichetError.invalid("'\(name)' is longer than \(limit) characters")
        }
        // The texts reach the letters sent to the persons concerned: no control character
        // but line breaks, no text-direction override (an attacker test planted U+202E).
        for (name, value) in [("title", title), ("nature", nature), ("facts", facts), ("effects", effects), ("remedial", remedial),
                              ("consequences", consequences)] where DisplayText.holdsRefused(value, newline: true) {
            throw GuichetError.invalid("'\(name)' may not hold control or text-direction characters")
        }
        guard !title.trimmingCharacters(in: .whitespaces).isEmpty else { throw GuichetError.invalid("'title' must not be empty") }
        guard BreachIncidentRecord.statuses.contains(status) else {
            throw GuichetError.invalid("'status' must be one of: \(BreachIncidentRecord.statuses.joined(separator: ", "))")
        }
        guard detectedAt <= now.addingTimeInterval(60) else { throw GuichetError.invalid("'detectedAt' is in the future") }
        if scope.isEmpty { throw GuichetError.invalid("'scope' must give at least one of account, accounts, session, source, from, to") }
    }
}

/// The breach register (GDPR art. 33(5)): every incident, kept by Guichet, never deleted,
/// with every change recorded; exportable as JSON and CSV.
public struct BreachRegister: Sendable {
    let store: any BreachStorage
    let clock: @Sendable () -> Date

    public init(store: any BreachStorage, clock: @escaping @Sendable () -> Date = { Date() }) { self.store = store; self.clock = clock }

    /// Registers an incident.
    /// - Throws: ``GuichetError/invalid(_:)`` for bad input; nothing is stored then.
    public func register(_ input: IncidentInput, by: AccountID?) async throws -> BreachIncidentRecord {
        let now = clock()
        try input.validate(now: now)
        let record = BreachIncidentRecord(
            id: IncidentID().rawValue, title: input.title, nature: input.nature, facts: input.facts, effects: input.effects,
            remedial: input.remedial, consequences: input.consequences, detectedAt: input.detectedAt, status: input.status,
            encryptedAndKeysSafe: input.encryptedAndKeysSafe, scope: input.scope.json, notifiedAuthorityAt: nil,
            createdAt: now, createdBy: by, updatedAt: now)
        try await store.insert(incident: record)
        return record
    }

    /// One incident.
    /// - Throws: ``GuichetError/notFound`` for an unknown or malformed id.
    public func incident(_ id: String) async throws -> BreachIncidentRecord {
        guard IncidentID(validating: id) != nil, let record = try await store.incident(id) else { throw GuichetError.notFound }
        return record
    }

    /// Every incident, by detection time.
    public func list() async throws -> [BreachIncidentRecord] { try await store.incidents() }

    /// Changes an incident's status and, optionally, its remedial action and the time the
    /// authority was notified; every change is kept.
    public func update(_ id: String, status: String?, remedial: String?, effects: String?, notifiedAuthorityAt: Date?, by: AccountID?) async throws -> BreachIncidentRecord {
        var record = try await incident(id)
        var changes: [String] = []
        if let status {
            guard BreachIncidentRecord.statuses.contains(status) else {
                throw GuichetError.invalid("'status' must be one of: \(BreachIncidentRecord.statuses.joined(separator: ", "))")
            }
            if status != record.status { changes.append("status \(record.status) → \(status)"); record.status = status }
        }
        if let remedial, remedial != record.remedial {
            guard remedial.count <= 20_000 else { throw GuichetError.invalid("'remedial' is longer than 20000 characters") }
            guard !DisplayText.holdsRefused(remedial, newline: true) else { throw GuichetError.invalid("'remedial' may not hold control or text-direction characters") }
            record.remedial = remedial; changes.append("remedial action updated")
        }
        if let effects, effects != record.effects {
            guard effects.count <= 20_000 else { throw GuichetError.invalid("'effects' is longer than 20000 characters") }
            guard !DisplayText.holdsRefused(effects, newline: true) else { throw GuichetError.invalid("'effects' may not hold control or text-direction characters") }
            record.effects = effects; changes.append("effects updated")
        }
        if let notifiedAuthorityAt {
            record.notifiedAuthorityAt = notifiedAuthorityAt; changes.append("authority notified at \(ScopeFormat.time(notifiedAuthorityAt))")
        }
        guard !changes.isEmpty else { throw GuichetError.invalid("nothing to change") }
        record.updatedAt = clock()
        try await store.update(incident: record, by: by, change: changes.joined(separator: "; "))
        return record
    }

    /// Every incident with its recorded changes, as JSON.
    public func exportJSON() async throws -> JSON {
        var out: [JSON] = []
        for i in try await list() {
            var o = i.json.object ?? [:]
            o["changes"] = .array(try await store.incidentChanges(i.id).map { c in
                .object(["at": .string(ScopeFormat.time(c.at)), "by": c.by.map { .string($0.rawValue) } ?? .null, "change": .string(c.change)])
            })
            out.append(.object(o))
        }
        return .object(["incidents": .array(out)])
    }

    /// Every incident as CSV (RFC 4180), one row each, its changes in the last column, one a
    /// line ("time by account: change"), as BREACH.md promises of the export (an operator's
    /// audit: the CSV had none).
    public func exportCSV() async throws -> String {
        var lines = ["id,title,nature,status,detected_at,notified_authority_at,encrypted_and_keys_safe,facts,effects,remedial,consequences,scope,created_at,updated_at,changes"]
        for i in try await list() {
            let changes = try await store.incidentChanges(i.id).map { c in
                "\(ScopeFormat.time(c.at)) \(c.by.map { "by \($0.rawValue)" } ?? "on the console"): \(c.change)"
            }
            let cells = [i.id, i.title, i.nature, i.status, ScopeFormat.time(i.detectedAt), i.notifiedAuthorityAt.map(ScopeFormat.time) ?? "",
                         i.encryptedAndKeysSafe ? "true" : "false", i.facts, i.effects, i.remedial, i.consequences,
                         Self.compact(i.scope), ScopeFormat.time(i.createdAt), ScopeFormat.time(i.updatedAt), changes.joined(separator: "\n")]
            lines.append(cells.map(BreachScope.csvField).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func compact(_ json: JSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A JSON value always encodes.
        return String(decoding: try! encoder.encode(json), as: UTF8.self)
    }
}

extension BreachIncidentRecord {
    /// The incident as JSON.
    public var json: JSON {
        .object(["id": .string(id), "title": .string(title), "nature": .string(nature), "facts": .string(facts), "effects": .string(effects),
                 "remedial": .string(remedial), "consequences": .string(consequences), "detectedAt": .string(ScopeFormat.time(detectedAt)),
                 "status": .string(status), "encryptedAndKeysSafe": .bool(encryptedAndKeysSafe), "scope": scope,
                 "notifiedAuthorityAt": notifiedAuthorityAt.map { .string(ScopeFormat.time($0)) } ?? .null,
                 "createdAt": .string(ScopeFormat.time(createdAt)), "createdBy": createdBy.map { .string($0.rawValue) } ?? .null,
                 "updatedAt": .string(ScopeFormat.time(updatedAt))])
    }

    /// The scope query stored with the incident.
    public func scopeQuery() throws -> ScopeQuery { try ScopeQuery(json: scope) }
}
