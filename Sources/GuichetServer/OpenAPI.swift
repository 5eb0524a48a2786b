import GuichetCore
import Foundation

/// The OpenAPI 3.1 documents of the two listeners, written by hand (not derived from the
/// router), so that a test comparing them with the router's routes means something.
enum OpenAPI {
    struct Operation {
        let method: String
        let path: String
        let summary: String
        let secured: Bool
        var body: String? = nil
        /// Whether the body may be left out.
        var bodyOptional = false
        var responses: [String: String]
        var query: [(String, String)] = []
    }

    static let publicOperations: [Operation] = [
        .init(method: "get", path: "/healthz", summary: "Liveness check", secured: false, responses: ["200": "Status"]),
        .init(method: "get", path: "/readyz", summary: "Readiness: the database answers and takes a write, the keys are this registry's, the ledger loads, the latest checkpoint is recent; 503 names what failed",
              secured: false, responses: ["200": "Readiness", "503": "Readiness"]),
        .init(method: "get", path: "/openapi.json", summary: "This document", secured: false, responses: ["200": "Status"]),
        .init(method: "get", path: "/", summary: "The citizens' page: who accessed my file, checked in the browser (French or English: ?lang=fr|en)",
              secured: false, responses: ["200": ""], query: [("lang", "fr or en (default: the browser's preference, then the profile's)")]),
        .init(method: "get", path: "/assets/citizen.js", summary: "The citizens' page script", secured: false, responses: ["200": ""]),
        .init(method: "get", path: "/assets/citizen.css", summary: "The citizens' page style", secured: false, responses: ["200": ""]),
        .init(method: "get", path: "/.well-known/security.txt", summary: "Where to report a vulnerability (RFC 9116)", secured: false,
              responses: ["200": "", "404": "Problem"]),
        .init(method: "post", path: "/v1/session", summary: "Sign in with user name and password", secured: false,
              body: "SignIn", responses: ["201": "Session", "400": "Problem", "401": "Problem", "413": "Problem", "429": "Problem"]),
        .init(method: "delete", path: "/v1/session", summary: "Sign out (revokes the session)", secured: true, responses: ["204": "", "401": "Problem"]),
        .init(method: "get", path: "/v1/me", summary: "The signed-in account", secured: true, responses: ["200": "Me", "401": "Problem"]),
        .init(method: "delete", path: "/v1/me/sessions", summary: "Sign out everywhere (revokes every session of the account)", secured: true,
              responses: ["204": "", "401": "Problem"]),
        .init(method: "post", path: "/v1/accounts", summary: "Register as a citizen (person and account). The answer is the same whether the user name was free or taken (no user enumeration): if signing in then fails, the name was taken, and the identifiers given name nothing",
              secured: false, body: "Registration", responses: ["201": "Registered", "400": "Problem", "413": "Problem"]),
        .init(method: "get", path: "/v1/organisations", summary: "Organisations (for example the daycare services to choose from)",
              secured: false, responses: ["200": "Organisations", "400": "Problem"], query: [("kind", "Organisation kind")]),
        .init(method: "get", path: "/v1/ledger/checkpoint", summary: "The latest signed checkpoint of the access ledger (C2SP signed note)", secured: false,
              responses: ["200": "", "404": "Problem"]),
        .init(method: "get", path: "/v1/ledger/key", summary: "The keys that verify the ledger's checkpoints", secured: false, responses: ["200": "LedgerKey"]),
        .init(method: "get", path: "/v1/statistics", summary: "Published counts by state, and the profile's figures (tables with small counts and the entries that would reveal them suppressed, as null), each with its definition", secured: false,
              responses: ["200": "Statistics"]),
        .init(method: "get", path: "/v1/dossiers", summary: "Search the dossiers you may see (by state and by searchable fields you may read, as PATH=value; a role that declares search combinations must give one whole, else 400). Staff and partners get each dossier's summary (public fields); open a dossier for the rest",
              secured: true, responses: ["200": "SearchPage", "400": "Problem", "401": "Problem", "403": "Problem", "429": "Problem"],
              query: [("type", "Dossier type"), ("status", "Workflow state"), ("after", "Cursor from the previous page"), ("limit", "1 to 100, default 20")]),
        .init(method: "post", path: "/v1/dossiers", summary: "Create a dossier (one that staff open starts in their own caseload)", secured: true, body: "DossierInput",
              responses: ["201": "WriteResult", "400": "Problem", "401": "Problem", "403": "Problem", "413": "Problem"]),
        .init(method: "get", path: "/v1/dossiers/{id}", summary: "Read a dossier (only the fields your role may see). Counts against your role's ceiling of persons: past it, 403 until you verify your second factor again and send Guichet-Justification; then 429 (throttled), then suspension", secured: true,
              responses: ["200": "Dossier", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "429": "Problem"]),
        .init(method: "patch", path: "/v1/dossiers/{id}", summary: "Change fields or partners (the previous version is kept)", secured: true,
              body: "DossierChanges", responses: ["200": "WriteResult", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
        .init(method: "post", path: "/v1/dossiers/{id}/withdraw", summary: "Withdraw a dossier (never deleted; restorable)", secured: true,
              body: "StepVersion", bodyOptional: true,
              responses: ["200": "WriteResult", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
        .init(method: "post", path: "/v1/dossiers/{id}/transitions/{name}", summary: "Apply a workflow transition", secured: true,
              body: "StepVersion", bodyOptional: true,
              responses: ["200": "WriteResult", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
        .init(method: "get", path: "/v1/persons/{id}", summary: "Read a person through the dossiers you may see", secured: true,
              responses: ["200": "Person", "400": "Problem", "401": "Problem", "404": "Problem"]),
        .init(method: "patch", path: "/v1/persons/{id}", summary: "Change a person's fields (the previous version is kept)", secured: true,
              body: "PersonChanges", responses: ["200": "PersonVersion", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
    ]

    static let adminOperations: [Operation] = [
        .init(method: "get", path: "/healthz", summary: "Liveness check", secured: false, responses: ["200": "Status"]),
        .init(method: "get", path: "/readyz", summary: "Readiness: the database answers and takes a write, the keys are this registry's, the ledger loads, the latest checkpoint is recent; 503 names what failed",
              secured: false, responses: ["200": "Readiness", "503": "Readiness"]),
        .init(method: "get", path: "/openapi.json", summary: "This document", secured: false, responses: ["200": "Status"]),
        .init(method: "get", path: "/metrics", summary: "Prometheus metrics: request counts and latency, ledger and checkpoint, account states (counts only)",
              secured: false, responses: ["200": ""]),
        .init(method: "post", path: "/admin/v1/session", summary: "Sign in as an administrator", secured: false,
              body: "SignIn", responses: ["201": "Session", "400": "Problem", "401": "Problem", "429": "Problem"]),
        .init(method: "delete", path: "/admin/v1/session", summary: "Sign out", secured: true, responses: ["204": "", "401": "Problem"]),
        .init(method: "get", path: "/admin/v1/accounts", summary: "List the accounts that work in Guichet, every role but the citizens' (never their secrets); with 'username', that one account, a citizen's too", secured: true, responses: ["200": "Accounts", "401": "Problem"],
              query: [("username", "One account's user name (any role): the list holds only the accounts that work in Guichet")]),
        .init(method: "post", path: "/admin/v1/accounts",
              summary: "Create a staff, partner or admin account, pending a second person's approval; its activation code goes to 'email', or to you once, to hand over. An account administrator asks only for the roles its role provisions, in its own organisation", secured: true,
              body: "NewAccount", responses: ["201": "NewAccountResult", "400": "Problem", "401": "Problem", "403": "Problem", "409": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/admin/v1/accounts/{id}/role", summary: "Ask for an account to take a more privileged role (a second administrator approves)",
              secured: true, body: "RoleRequest", responses: ["202": "RoleRequested", "400": "Problem", "401": "Problem", "404": "Problem"]),
        .init(method: "get", path: "/admin/v1/requests", summary: "Account creations and elevations, and caseload assignments and transfers, awaiting a second administrator (for an account administrator: the creations within its scope)", secured: true,
              responses: ["200": "Requests", "401": "Problem"]),
        .init(method: "post", path: "/admin/v1/requests/{id}/approve", summary: "Approve another administrator's request", secured: true,
              responses: ["200": "Approved", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
        .init(method: "post", path: "/admin/v1/ledger/checkpoints", summary: "Sign a ledger checkpoint now", secured: true,
              responses: ["201": "", "401": "Problem", "403": "Problem"]),
        .init(method: "get", path: "/admin/v1/ledger/entries/{index}", summary: "A ledger entry with its inclusion proof (RFC 9162 §2.1.3)", secured: true,
              responses: ["200": "LedgerEntry", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"], query: [("size", "Tree size (default: the latest checkpoint)")]),
        .init(method: "get", path: "/admin/v1/ledger/consistency", summary: "A consistency proof between two tree sizes (RFC 9162 §2.1.4)", secured: true,
              responses: ["200": "ConsistencyProof", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"], query: [("from", "Older tree size"), ("to", "Newer tree size")]),
        .init(method: "get", path: "/admin/v1/dossiers/{id}/versions", summary: "Kept versions of a dossier (metadata)", secured: true,
              responses: ["200": "Versions", "401": "Problem", "404": "Problem"]),
        .init(method: "get", path: "/admin/v1/dossiers/{id}/versions/{version}", summary: "A kept version of a dossier", secured: true,
              responses: ["200": "Dossier", "400": "Problem", "401": "Problem", "404": "Problem"]),
        .init(method: "post", path: "/admin/v1/dossiers/{id}/versions/{version}/restore", summary: "Restore a kept version as a new version", secured: true,
              responses: ["200": "WriteResult", "400": "Problem", "401": "Problem", "404": "Problem", "409": "Problem"]),
        .init(method: "get", path: "/admin/v1/persons/{id}/versions", summary: "Kept versions of a person's fields (metadata)", secured: true,
              responses: ["200": "PersonVersions", "400": "Problem", "401": "Problem", "404": "Problem"]),
        .init(method: "post", path: "/admin/v1/persons/{id}/versions/{version}/restore", summary: "Restore a kept version of a person's fields as a new version", secured: true,
              responses: ["200": "PersonVersion", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
    ] + watchOperations

    /// Detection (security officers; flagging persons: administrators too).
    static let watchOperations: [Operation] = [
        .init(method: "get", path: "/admin/v1/watch/alerts", summary: "The alert queue of the detectors, newest first (security officers)", secured: true,
              responses: ["200": "Alerts", "400": "Problem", "401": "Problem", "403": "Problem"],
              query: [("status", "open (default) or all"), ("account", "Only this account's alerts"), ("limit", "1 to 1000, default 100")]),
        .init(method: "post", path: "/admin/v1/watch/alerts/{id}/acknowledge", summary: "Acknowledge an alert, with an optional note (security officers; an alert about your own account is acknowledged by another officer, 403, unless you are the only active one)",
              secured: true, body: "Acknowledgement", responses: ["200": "Alert", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "get", path: "/admin/v1/watch/suspensions", summary: "Accounts suspended by the watch (security officers)", secured: true,
              responses: ["200": "Suspensions", "400": "Problem", "401": "Problem", "403": "Problem"], query: [("status", "open (default) or all")]),
        .init(method: "post", path: "/admin/v1/accounts/{id}/reinstate", summary: "Reinstate an account suspended by the watch, with a written reason (security officers)",
              secured: true, body: "Reinstatement", responses: ["200": "Suspension", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "post", path: "/admin/v1/accounts/{id}/suspend",
              summary: "Suspend an account believed taken over, with a written reason kept sealed (security officers, fresh factor): disabled and its sessions ended until reinstated; journalled and alerted. Not an administrator's or a security officer's account (409 when already suspended or not active)",
              secured: true, body: "Reinstatement", responses: ["200": "Suspended", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
        .init(method: "get", path: "/admin/v1/watch/persons", summary: "Watched (high-profile) persons (security officers)", secured: true,
              responses: ["200": "WatchedPersons", "401": "Problem", "403": "Problem"]),
        .init(method: "put", path: "/admin/v1/watch/persons/{id}", summary: "Watch a person: every access alerts, a name search outside a caseload needs a justification",
              secured: true, body: "WatchReason", responses: ["200": "Watched", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "delete", path: "/admin/v1/watch/persons/{id}", summary: "Stop watching a person", secured: true,
              responses: ["204": "", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
    ]

    /// The second-factor operations, the same under `/v1` and `/admin/v1`.
    static func mfaOperations(_ prefix: String) -> [Operation] {
        [
            .init(method: "post", path: "\(prefix)/session/totp", summary: "Verify a TOTP code as this session's second factor (confirms a pending enrolment)",
                  secured: true, body: "Code", responses: ["200": "SecondFactor", "400": "Problem", "401": "Problem", "429": "Problem"]),
            .init(method: "post", path: "\(prefix)/session/recovery", summary: "Use a single-use recovery code as the second factor",
                  secured: true, body: "Code", responses: ["200": "SecondFactor", "400": "Problem", "401": "Problem", "429": "Problem"]),
            .init(method: "post", path: "\(prefix)/session/webauthn/challenge", summary: "A challenge for signing in with a passkey",
                  secured: true, responses: ["200": "AssertionChallenge", "401": "Problem"]),
            .init(method: "post", path: "\(prefix)/session/webauthn", summary: "Verify a passkey assertion as the second factor",
                  secured: true, body: "Assertion", responses: ["200": "SecondFactor", "400": "Problem", "401": "Problem", "429": "Problem"]),
            .init(method: "post", path: "\(prefix)/me/mfa/totp",
                  summary: "Start enrolling an authenticator app (TOTP); a first factor of a staff, partner or admin account needs its activation code",
                  secured: true, body: "ActivationCode", bodyOptional: true,
                  responses: ["201": "TOTPEnrolment", "400": "Problem", "401": "Problem", "403": "Problem", "429": "Problem"]),
            .init(method: "post", path: "\(prefix)/me/mfa/webauthn/challenge",
                  summary: "A challenge for registering a passkey; a first factor of a staff, partner or admin account needs its activation code",
                  secured: true, body: "ActivationCode", bodyOptional: true,
                  responses: ["200": "RegistrationChallenge", "400": "Problem", "401": "Problem", "403": "Problem", "429": "Problem"]),
            .init(method: "post", path: "\(prefix)/me/mfa/webauthn", summary: "Register a passkey (ES256, attestation none); 409 without a registration challenge asked for first",
                  secured: true, body: "Attestation", responses: ["201": "SecondFactor", "400": "Problem", "401": "Problem", "403": "Problem", "409": "Problem"]),
        ]
    }

    /// The owner's notices and side of password resets, the same under `/v1` and `/admin/v1`.
    static func resetOperations(_ prefix: String) -> [Operation] {
        [
            .init(method: "get", path: "\(prefix)/me/notices",
                  summary: "What the account's owner must know (failed sign-in attempts, lockouts, resets, activation codes)", secured: true,
                  responses: ["200": "Notices", "401": "Problem"]),
            .init(method: "post", path: "\(prefix)/me/password", summary: "Change your password with the current one (after the second factor; the account's other sessions end). A wrong current password is 401 (the session stays good); a refused new one 400, checked first; at most 10 changes in 10 minutes, then 429",
                  secured: true, body: "PasswordChange", responses: ["204": "", "400": "Problem", "401": "Problem", "403": "Problem", "429": "Problem"]),
            .init(method: "put", path: "\(prefix)/me/contact", summary: "Set the address that password-reset codes and notices are sent to, in two steps: with 'email' alone (a fresh second factor), a code is sent to it (202); with 'email' and that 'code', it is set (204). Owner only",
                  secured: true, body: "Contact", responses: ["202": "ContactCodeSent", "204": "", "400": "Problem", "401": "Problem", "403": "Problem", "429": "Problem", "503": "Problem"]),
            .init(method: "post", path: "\(prefix)/password-reset", summary: "Choose a new password with the code sent to your address (sessions end; the second factor stays)",
                  secured: false, body: "PasswordReset", responses: ["204": "", "400": "Problem", "401": "Problem", "429": "Problem"]),
        ]
    }

    static let adminResetOperation = Operation(
        method: "post", path: "/admin/v1/accounts/{id}/password-reset",
        summary: "Start a password reset: a single-use code goes to the owner's own address; you never see it. Counts against your role's ceiling of changes: past it, 403 until you verify your second factor again and send Guichet-Justification; then 429 (throttled), then suspension", secured: true,
        responses: ["202": "ResetStarted", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem", "429": "Problem", "503": "Problem"])

    static var publicDocument: JSON { publicDocument(.any) }
    static func publicDocument(_ v: Vocabulary) -> JSON { document("Guichet public API", v, publicOperations + mfaOperations("/v1") + resetOperations("/v1") + historyOperations + policyPublicOperations + claimOperations + rankOperations
                                               + oidcOperations + lifecyclePublicOperations) }
    static var adminDocument: JSON { adminDocument(.any) }
    static func adminDocument(_ v: Vocabulary) -> JSON {
        document("Guichet admin API (loopback listener)", v, adminOperations + mfaOperations("/admin/v1") + resetOperations("/admin/v1") + [adminResetOperation] + activationOperations + breachOperations + policyAdminOperations
                 + provisioningOperations + lifecycleAdminOperations)
    }

    static func ref(_ name: String) -> JSON { .object(["$ref": .string("#/components/schemas/\(name)")]) }
    static func obj(_ props: [String: JSON], required: [String] = [], closed: Bool = true) -> JSON {
        var o: [String: JSON] = ["type": .string("object"), "properties": .object(props)]
        if !required.isEmpty { o["required"] = .array(required.map(JSON.string)) }
        if closed { o["additionalProperties"] = .bool(false) }
        return .object(o)
    }
    static let string: JSON = .object(["type": .string("string")])
    static let integer: JSON = .object(["type": .string("integer")])
    /// An identifier: 16 random bytes in base64url, so 22 characters of which the last
    /// carries two bits (``Identifier/init(validating:)``).
    static let id: JSON = .object(["type": .string("string"), "pattern": .string("^[A-Za-z0-9_-]{21}[AQgw]$")])
    static let anyObject: JSON = .object(["type": .string("object")])
    static func array(_ items: JSON) -> JSON { .object(["type": .string("array"), "items": items]) }
    static func nullable(_ s: JSON) -> JSON { .object(["oneOf": .array([s, .object(["type": .string("null")])])]) }

    static let schemas: [String: JSON] = [
        "Problem": obj(["type": string, "title": string, "status": integer, "detail": string], required: ["title", "status", "detail"]),
        "Status": anyObject,
        "Readiness": anyObject,
        "SignIn": obj(["username": string, "password": string], required: ["username", "password"]),
        "Session": obj(["token": string, "expiresAt": string, "csrfToken": string, "account": anyObject], required: ["token", "expiresAt", "csrfToken", "account"]),
        "Me": obj(["id": id, "username": string, "role": string, "organisation": nullable(id), "person": nullable(id)]),
        "Notices": obj(["notices": array(anyObject)]),
        "LedgerKey": obj(["origin": string, "ed25519VerifierKey": string, "mldsa65PublicKey": nullable(string)]),
        "LedgerEntry": obj(["index": integer, "treeSize": integer, "entry": anyObject, "entryBytes": string, "leafHash": string, "proof": array(string)]),
        "ConsistencyProof": obj(["from": integer, "to": integer, "proof": array(string)]),
        "Code": obj(["code": string], required: ["code"]),
        "Contact": obj(["email": string, "code": string], required: ["email"]),
        "ContactCodeSent": obj(["sentTo": string, "next": string]),
        "PasswordReset": obj(["code": string, "password": string], required: ["code", "password"]),
        "PasswordChange": obj(["current": string, "password": string], required: ["current", "password"]),
        "ResetStarted": obj(["id": string, "expiresAt": string, "sentTo": string]),
        "SecondFactor": obj(["secondFactor": string, "recoveryCodes": array(string)]),
        "AssertionChallenge": obj(["challenge": string, "rpId": string, "allowCredentials": array(string)]),
        "Assertion": obj(["credentialId": string, "clientDataJSON": string, "authenticatorData": string, "signature": string],
                         required: ["credentialId", "clientDataJSON", "authenticatorData", "signature"]),
        "TOTPEnrolment": obj(["secret": string, "uri": string, "next": string]),
        "RegistrationChallenge": anyObject,
        "Attestation": obj(["clientDataJSON": string, "attestationObject": string], required: ["clientDataJSON", "attestationObject"]),
        "Registration": obj(["username": string, "password": string, "person": anyObject], required: ["username", "password", "person"]),
        "Registered": obj(["account": id, "person": id, "role": string, "next": string]),
        "Organisations": obj(["organisations": array(anyObject)]),
        "Statistics": obj(["definition": string, "dossiers": anyObject, "figures": array(anyObject)]),
        "PersonView": obj(["role": string, "id": id, "fields": anyObject]),
        "Dossier": obj(["id": id, "type": string, "status": string, "version": integer, "createdAt": string, "updatedAt": string,
                        "fields": anyObject, "partners": array(id), "persons": array(ref("PersonView")), "erasedRoles": array(string)],
                       required: ["id", "type", "status", "version", "fields", "persons"]),
        "SearchPage": obj(["dossiers": array(ref("Dossier")), "next": nullable(id)]),
        "PersonInput": obj(["role": string, "self": .object(["type": .string("boolean")]), "fields": anyObject], required: ["role"]),
        "DossierInput": obj(["type": string, "fields": anyObject, "persons": array(ref("PersonInput")), "partners": array(id)], required: ["type"]),
        "DossierChanges": obj(["version": integer, "fields": anyObject, "partners": array(id)]),
        "WriteResult": obj(["id": id, "status": string, "version": integer, "persons": array(anyObject)]),
        "Person": obj(["id": id, "version": integer, "fields": anyObject]),
        "PersonChanges": obj(["version": integer, "fields": anyObject]),
        "StepVersion": obj(["version": integer]),
        "PersonVersions": obj(["versions": array(anyObject)]),
        "PersonVersion": obj(["id": id, "version": integer]),
        "Accounts": obj(["accounts": array(anyObject)]),
        "NewAccount": obj(["username": string, "password": string, "role": string, "organisation": id, "territory": string, "email": string],
                          required: ["username", "password", "role"]),
        "NewAccountResult": obj(["id": id, "username": string, "role": string, "status": string, "activation": ref("Activation")]),
        "RoleRequest": obj(["role": string], required: ["role"]),
        "RoleRequested": obj(["id": id, "role": string, "status": string]),
        "Requests": obj(["requests": array(anyObject)]),
        // An account request approved (with `role`), or a caseload request (with its dossiers).
        "Approved": obj(["id": string, "account": id, "kind": string, "role": string, "status": string, "from": id, "dossiers": array(id),
                         "requestedBy": id, "requestedAt": string]),
        "Versions": obj(["versions": array(anyObject)]),
        "Alert": obj(["id": string, "at": string, "account": nullable(id), "detector": string, "severity": string, "response": string,
                      "detail": string, "justification": nullable(string), "acknowledgedBy": nullable(id), "acknowledgedAt": nullable(string),
                      "note": nullable(string)]),
        "Alerts": obj(["alerts": array(ref("Alert"))]),
        "Acknowledgement": obj(["note": string]),
        "Suspension": obj(["id": string, "account": id, "at": string, "reason": string, "reinstatedBy": nullable(id),
                           "reinstatedAt": nullable(string), "reinstateReason": nullable(string)]),
        "Suspensions": obj(["suspensions": array(ref("Suspension"))]),
        "Reinstatement": obj(["reason": string], required: ["reason"]),
        "Suspended": obj(["id": id, "status": string]),
        "WatchedPersons": obj(["persons": array(anyObject)]),
        "WatchReason": obj(["reason": string], required: ["reason"]),
        "Watched": obj(["person": id, "watched": .object(["type": .string("boolean")])]),
    ]

    static func document(_ title: String, _ v: Vocabulary, _ operations: [Operation]) -> JSON {
        var paths: [String: [String: JSON]] = [:]
        for op in operations {
            var parameters: [JSON] = []
            var scan = op.path[...]
            while let open = scan.firstIndex(of: "{"), let close = scan[open...].firstIndex(of: "}") {
                let name = String(scan[scan.index(after: open)..<close])
                let schema = name == "version" || name == "index" ? integer(from: 0)
                    : name == "name" ? oneOf(v.transitions) : op.path.hasPrefix("/admin/v1/requests") ? string : id
                parameters.append(.object(["name": .string(name), "in": .string("path"), "required": .bool(true), "schema": schema]))
                scan = scan[scan.index(after: close)...]
            }
            for (name, description) in op.query {
                parameters.append(.object(["name": .string(name), "in": .string("query"), "required": .bool(queryRequired(name, path: op.path)),
                                           "description": .string(description), "schema": querySchema(name, path: op.path, v)]))
            }
            // A search's criteria, one per searchable field path of the profile (an API user
            // found them in no document).
            if op.method == "get", op.path == "/v1/dossiers" {
                for path in v.searchPaths {
                    parameters.append(.object(["name": .string(path), "in": .string("query"), "required": .bool(false),
                                               "description": .string("A value of this field to search by (exact, after the field's normalisation): only a field your role may read; a role that declares search combinations gives one whole"),
                                               "schema": string]))
                }
            }
            if op.secured {
                parameters.append(.object(["name": .string("Guichet-Purpose"), "in": .string("header"), "required": .bool(false),
                                           "description": .string("Why you access the data (one of the profile's purposes)"), "schema": oneOf(v.purposes)]))
            }
            if op.secured && (op.path.hasPrefix("/v1/dossiers") || op.path.hasPrefix("/v1/persons") || op.path == "/v1/exports"
                              || (op.method == "post" && (op.path == "/admin/v1/erasures" || op.path == "/admin/v1/accounts/{id}/deactivate"
                                                         || op.path == "/admin/v1/accounts/{id}/factors/reset"
                                                         || op.path == "/admin/v1/accounts/{id}/password-reset"))) {
                parameters.append(.object(["name": .string("Guichet-Justification"), "in": .string("header"), "required": .bool(false),
                                           "description": .string("Why you go on past your role's ceiling, or reach a watched person outside your caseload (asked for by a 403)"), "schema": string]))
            }
            var responses: [String: JSON] = [:]
            // What any request may get, whatever the route: 400 for a request the server
            // cannot read (headers past the limit, a malformed URL or length), 429 for one over
            // its session's or account's requests in flight, 401 for a bad token, 403 for an
            // account whose role may not use the route, 413 for a body past the limit.
            var answers = op.responses
            for code in ["400", "429"] + (op.secured ? ["401", "403"] : []) + (op.body != nil ? ["413"] : []) where answers[code] == nil {
                answers[code] = "Problem"
            }
            for (code, schema) in answers {
                var r: [String: JSON] = ["description": .string(schema.isEmpty ? "No content" : schema)]
                if !schema.isEmpty {
                    let type = schema == "Problem" ? "application/problem+json" : "application/json"
                    var content: [String: JSON] = [type: .object(["schema": ref(schema)])]
                    // `format=csv` answers the same in CSV.
                    if code == "200", op.query.contains(where: { $0.0 == "format" }) { content["text/csv"] = .object(["schema": string]) }
                    r["content"] = .object(content)
                }
                responses[code] = .object(r)
            }
            var o: [String: JSON] = ["summary": .string(op.summary), "responses": .object(responses),
                                     "operationId": .string(op.method + op.path.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "{", with: "").replacingOccurrences(of: "}", with: "").replacingOccurrences(of: ".", with: "_"))]
            if !parameters.isEmpty { o["parameters"] = .array(parameters) }
            if let body = op.body {
                o["requestBody"] = .object(["required": .bool(!op.bodyOptional), "content": .object(["application/json": .object(["schema": ref(body)])])])
            }
            o["security"] = op.secured ? .array([.object(["bearer": .array([])])]) : .array([])
            paths[op.path, default: [:]][op.method] = .object(o)
        }
        return .object([
            "openapi": .string("3.1.0"),
            "info": .object(["title": .string(title), "version": .string("0.1.0")]),
            "paths": .object(paths.mapValues(JSON.object)),
            "components": .object(["schemas": .object(refined(schemas.merging(breachSchemas) { a, _ in a }.merging(policySchemas) { a, _ in a }
                                                        .merging(activationSchemas) { a, _ in a }.merging(provisioningSchemas) { a, _ in a }
                                                        .merging(rankSchemas) { a, _ in a }.merging(oidcSchemas) { a, _ in a }.merging(lifecycleSchemas) { a, _ in a }, v, bodies: Set(operations.compactMap(\.body)))),
                                   "securitySchemes": .object(["bearer": .object(["type": .string("http"), "scheme": .string("bearer")])])]),
        ])
    }
}
