import GuichetCore
import GuichetAuth
import GuichetStore
import Foundation
import Synchronization

extension OpenAPI {
    /// The words of one deployment's profile that its documents list as enumerations (the
    /// purposes a `Guichet-Purpose` header may name, the dossier types, states and transitions,
    /// the organisation kinds), so that a client, or a fuzzer, knows the values the server
    /// accepts before it is told 400. ``any`` lists none (the route comparisons of the tests).
    struct Vocabulary: Sendable {
        var purposes: [String] = []
        var dossierTypes: [String] = []
        var rankedTypes: [String] = []
        var states: [String] = []
        var transitions: [String] = []
        var organisationKinds: [String] = []
        /// The roles an administrator may give (every kind but citizens').
        var staffRoles: [String] = []
        /// The search criteria `GET /v1/dossiers` takes (`child.lastName`): a person's field the
        /// profile makes searchable, by the role of its link; a caller uses those it may read.
        var searchPaths: [String] = []
        /// The fewest characters of a break-glass justification.
        var minJustification = 0
        /// The most entries an access-history page holds (``RequestLimits/historyPage``).
        var historyPage = RequestLimits.standard.historyPage

        static let any = Vocabulary()

        init() {}

        init(_ profile: Profile, limits: RequestLimits) {
            historyPage = limits.historyPage
            purposes = profile.purposes.sorted()
            dossierTypes = profile.dossierTypes.keys.sorted()
            rankedTypes = profile.dossierTypes.values.filter { $0.ranking != nil }.map(\.name).sorted()
            states = Set(profile.dossierTypes.values.flatMap(\.workflow.states)).sorted()
            transitions = Set(profile.dossierTypes.values.flatMap(\.workflow.transitions.keys)).sorted()
            organisationKinds = profile.organisationKinds.sorted()
            minJustification = profile.breakGlass?.minJustification ?? 0
            searchPaths = Set(profile.dossierTypes.values.flatMap { type in
                type.persons.flatMap { link in profile.personFields.filter(\.searchable).map { "\(link.role).\($0.name)" } }
            }).sorted()
            staffRoles = profile.roles.values.filter { $0.kind != .citizen }.map(\.name).sorted()
        }
    }

    /// A string among `values`; any string when the list is empty (``Vocabulary/any``).
    static func oneOf(_ values: [String]) -> JSON {
        values.isEmpty ? string : .object(["type": .string("string"), "enum": .array(values.map(JSON.string))])
    }
    static func integer(from low: Int, to high: Int? = nil) -> JSON {
        var o: [String: JSON] = ["type": .string("integer"), "minimum": .number(Double(low))]
        if let high { o["maximum"] = .number(Double(high)) }
        return .object(o)
    }
    static func text(pattern: String) -> JSON { .object(["type": .string("string"), "pattern": .string(pattern)]) }
    static func text(minLength: Int, maxLength: Int? = nil) -> JSON {
        var o: [String: JSON] = ["type": .string("string"), "minLength": .number(Double(minLength))]
        if let maxLength { o["maxLength"] = .number(Double(maxLength)) }
        return .object(o)
    }

    /// A user name as ``Authenticator/checkUsername(_:)`` accepts it.
    static let username = text(pattern: "^[a-z0-9._@-]{3,64}$")
    /// A new password: at least ``PasswordRules/minimumLength`` characters. The rest of the
    /// rules (not a common password, not a sequence, not the user name) cannot be said in a
    /// schema; the server answers 400 naming which.
    static let newPassword = text(minLength: PasswordRules.minimumLength, maxLength: 256)
    /// Free text shown to other people: no control character (a line break only where
    /// `lines`) nor text-direction character (``DisplayText``).
    static func freeText(_ low: Int = 0, _ high: Int? = nil, lines: Bool = true) -> JSON {
        let controls = lines ? "\\x00-\\x09\\x0B\\x0C\\x0E-\\x1F" : "\\x00-\\x1F"
        var o: [String: JSON] = ["type": .string("string"), "pattern": .string("^[^\(controls)\\x7F-\\x9F\\u202A-\\u202E\\u2066-\\u2069]*$")]
        if low > 0 { o["minLength"] = .number(Double(low)) }
        if let high { o["maxLength"] = .number(Double(high)) }
        return .object(o)
    }
    /// Bytes in base64url without padding (passkeys' fields).
    static let base64url = text(pattern: "^[A-Za-z0-9_-]+$")

    /// Whether the route refuses a request without this query parameter.
    static func queryRequired(_ name: String, path: String) -> Bool {
        switch path {
        case "/admin/v1/ledger/consistency": return name == "from" || name == "to"
        case "/admin/v1/policy/explain": return name != "purpose"
        default: return false
        }
    }

    /// The schema of a query parameter, by its name and route.
    static func querySchema(_ name: String, path: String, _ v: Vocabulary) -> JSON {
        switch name {
        case "limit":
            if path == "/v1/dossiers" { return integer(from: 1, to: 100) }
            if path.hasSuffix("/watch/alerts") { return integer(from: 1, to: 1000) }
            if path.hasSuffix("/access-history") { return integer(from: 1, to: v.historyPage) }
            return integer(from: 1, to: 100)
        case "after": return path == "/v1/dossiers" ? id : integer(from: 0)
        // A pattern list's `where` binds its last pattern only: one case each.
        case "from" where path.contains("/breach/"), "to" where path.contains("/breach/"):
            return .object(["type": .string("string"), "format": .string("date-time")])
        case "from": return path.hasSuffix("/waiting-list") ? integer(from: 1) : integer(from: 0)
        case "to", "size": return integer(from: 0)
        // The pages' `lang` falls back to the browser's preference; the API's `language` is checked.
        case "language": return oneOf(["en", "fr"])
        case "format": return oneOf(["csv", "json"])
        case "kind": return oneOf(v.organisationKinds)
        case "type": return oneOf(path.hasSuffix("/waiting-list") ? v.rankedTypes : v.dossierTypes)
        case "status": return path == "/v1/dossiers" ? oneOf(v.states) : oneOf(["all", "open"])
        case "account", "dossier", "person", "session": return id
        case "action": return oneOf(["create", "read", "restore", "search", "update", "versions", "withdraw"] + v.transitions.map { "transition:" + $0 })
        case "username": return username
        case "purpose": return oneOf(v.purposes)
        default: return string
        }
    }

    /// The document's schemas, with the profile's words and the server's rules on fields.
    static func refined(_ schemas: [String: JSON], _ v: Vocabulary, bodies: Set<String>) -> [String: JSON] {
        var out = schemas
        func set(_ schema: String, _ property: String, _ value: JSON) {
            guard case .object(var o)? = out[schema], case .object(var props)? = o["properties"], props[property] != nil else { return }
            props[property] = value
            o["properties"] = .object(props)
            out[schema] = .object(o)
        }
        for name in ["Registration", "Claim", "NewAccount"] { set(name, "username", username); set(name, "password", newPassword) }
        for name in ["PasswordReset", "PasswordChange"] { set(name, "password", newPassword) }
        set("DossierInput", "type", oneOf(v.dossierTypes))
        set("NewOrganisation", "kind", oneOf(v.organisationKinds))
        set("ActivationCode", "activationCode", string)
        for field in ["credentialId", "clientDataJSON", "authenticatorData", "signature"] { set("Assertion", field, base64url) }
        for field in ["clientDataJSON", "attestationObject"] { set("Attestation", field, base64url) }
        set("Contact", "email", .object(["type": .string("string"), "format": .string("email")]))
        set("IncidentInput", "detectedAt", .object(["type": .string("string"), "format": .string("date-time")]))
        set("Reinstatement", "reason", freeText(10, 2_000))
        for name in ["NewAccount", "RoleRequest"] { set(name, "role", oneOf(v.staffRoles)) }
        set("NewTerritory", "code", text(pattern: "^[A-Za-z0-9_-]{1,32}$"))
        set("NewOrganisation", "name", freeText(1, 200, lines: false))
        set("IncidentInput", "title", freeText(1, 200))
        set("IncidentInput", "nature", freeText(0, 4_000))
        for field in ["facts", "effects", "remedial", "consequences"] { set("IncidentInput", field, freeText(0, 20_000)) }
        set("IncidentInput", "status", oneOf(BreachIncidentRecord.statuses))
        set("PersonChanges", "fields", .object(["type": .string("object"), "minProperties": .number(1)]))
        set("WatchReason", "reason", freeText(3, 500))
        for name in ["Deactivation", "FactorResetRequest"] { set(name, "reason", text(minLength: 3, maxLength: 200)) }
        set("BreakGlassRequest", "justification", freeText(max(v.minJustification, 1), 2_000))
        set("BreakGlassVerdict", "note", freeText(1, 2_000))
        set("Acknowledgement", "note", freeText())
        set("ErasureInput", "reference", text(pattern: "^[A-Za-z0-9./-]{3,64}$"))
        // A raw X25519 public key (32 bytes) in standard base64.
        set("ExportInput", "recipientKey", text(pattern: "^[A-Za-z0-9+/]{43}=$"))
        // A body's optional field may be given as null: the server reads null as absent (JSONBody).
        for name in bodies {
            guard case .object(var o)? = out[name], case .object(var props)? = o["properties"] else { continue }
            let required = Set(o["required"]?.array?.compactMap(\.string) ?? [])
            for (key, schema) in props where !required.contains(key) && schema.object?["oneOf"] == nil { props[key] = nullable(schema) }
            o["properties"] = .object(props)
            out[name] = .object(o)
        }
        return out
    }
}

/// The two documents' bytes for one server, built and encoded at the first request for them
/// (they never change while it runs): a flood of anonymous requests for the document costs
/// one encoding (a citizen's audit: 80 KB encoded on every request saturated both cores).
final class OpenAPIBytes: Sendable {
    private let kept = Mutex<(public: Data?, admin: Data?)>((nil, nil))

    func document(admin: Bool, _ vocabulary: @autoclosure () -> OpenAPI.Vocabulary) -> Data {
        if let d = kept.withLock({ admin ? $0.admin : $0.public }) { return d }
        let v = vocabulary()
        let bytes = Reply.encode(admin ? OpenAPI.adminDocument(v) : OpenAPI.publicDocument(v))
        kept.withLock { if admin { $0.admin = bytes } else { $0.public = bytes } }
        return bytes
    }
}
