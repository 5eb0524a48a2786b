import GuichetCore

extension OpenAPI {
    static let scopeQuery: [(String, String)] = [
        ("account", "Account id"), ("session", "Session id"), ("source", "Source address"),
        ("from", "ISO 8601 time, inclusive"), ("to", "ISO 8601 time, exclusive"),
    ]

    /// Breach response: security officers (role kind `security`) with a fresh second factor.
    static let breachOperations: [Operation] = [
        .init(method: "get", path: "/admin/v1/breach/scope",
              summary: "Exactly which fields of which persons an account, session, source or time window exposed, from the ledger (signs a checkpoint first if the ledger grew, and names it); format=csv for CSV",
              secured: true, responses: ["200": "BreachScope", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"],
              query: scopeQuery + [("format", "json (default) or csv"), ("timeline", "true to list every matched entry")]),
        .init(method: "get", path: "/admin/v1/breach/incidents", summary: "The breach register (GDPR art. 33(5)), with every change; format=csv for CSV",
              secured: true, responses: ["200": "Incidents", "401": "Problem", "403": "Problem"], query: [("format", "json (default) or csv")]),
        .init(method: "post", path: "/admin/v1/breach/incidents", summary: "Register an incident", secured: true, body: "IncidentInput",
              responses: ["201": "Incident", "400": "Problem", "401": "Problem", "403": "Problem", "413": "Problem"]),
        .init(method: "get", path: "/admin/v1/breach/incidents/{id}", summary: "One incident with its recorded changes", secured: true,
              responses: ["200": "Incident", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "patch", path: "/admin/v1/breach/incidents/{id}", summary: "Change an incident's status, effects, remedial action or authority notification time (kept)",
              secured: true, body: "IncidentChanges", responses: ["200": "Incident", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "get", path: "/admin/v1/breach/incidents/{id}/report",
              summary: "A draft of the notification to the supervisory authority (art. 33), as Markdown, with the 72-hour clock and a timeline from the ledger",
              secured: true, responses: ["200": "RegulatorReport", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"],
              query: [("language", "fr or en (default en)")]),
        .init(method: "post", path: "/admin/v1/breach/incidents/{id}/letters",
              summary: "Printable notification letters (art. 34), one per person concerned; opens names and contacts through the gate: send Guichet-Purpose: breach-notification",
              secured: true, responses: ["200": "Letters", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"],
              query: [("language", "fr or en (default: the profile's language)")]),
        .init(method: "post", path: "/admin/v1/breach/incidents/{id}/letters/send",
              summary: "E-mail the letters (text and HTML) through the configured SMTP relay to each recipient with an address; send Guichet-Purpose: breach-notification; recorded in the incident's changes",
              secured: true, responses: ["200": "LettersSent", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "503": "Problem"],
              query: [("language", "fr or en (default: the profile's language)")]),
    ]

    /// A citizen's access history.
    static let historyOperations: [Operation] = [
        .init(method: "get", path: "/v1/me/access-history",
              summary: "Every access to your dossiers (when, which organisation and role, which fields, why), each with an inclusion proof against the latest signed checkpoint; oldest first, a page of at most 500 at a time ('next' names where the following page starts)",
              secured: true, responses: ["200": "AccessHistory", "400": "Problem", "401": "Problem", "403": "Problem", "429": "Problem"],
              query: [("language", "fr or en, for field labels"), ("after", "the 'next' of the previous page"), ("limit", "entries in this page, 1 to 500 (default 500)")]),
    ]

    static let breachSchemas: [String: JSON] = [
        "BreachScope": obj(["query": anyObject, "checkpoint": ref("CheckpointReference"), "entriesMatched": integer, "approximate": .object(["type": .string("boolean")]),
                            "personCount": integer, "persons": array(anyObject), "dossiers": array(anyObject), "fieldCounts": anyObject,
                            "writes": array(anyObject), "attempts": array(anyObject), "events": array(anyObject), "decoys": anyObject,
                            "claimCodes": array(anyObject), "accountsEnabled": array(anyObject)]),
        "CheckpointReference": obj(["size": integer, "rootHash": string, "note": string]),
        "IncidentInput": obj(["title": string, "nature": string, "facts": string, "effects": string, "remedial": string, "consequences": string,
                              "detectedAt": string, "status": string, "encryptedAndKeysSafe": .object(["type": .string("boolean")]), "scope": anyObject],
                             required: ["title", "nature", "facts", "detectedAt", "scope"]),
        "IncidentChanges": obj(["status": string, "remedial": string, "effects": string, "notifiedAuthorityAt": string]),
        "Incident": anyObject,
        "Incidents": obj(["incidents": array(anyObject)]),
        "RegulatorReport": obj(["incident": id, "deadline": string, "hoursSinceDetection": .object(["type": .string("number")]),
                                "checkpoint": ref("CheckpointReference"), "markdown": string]),
        "Letters": obj(["incident": id, "article34_3a": .object(["type": .string("boolean")]), "note": string, "checkpoint": ref("CheckpointReference"),
                        "unreachable": array(id), "letters": array(anyObject)]),
        "LettersSent": obj(["incident": id, "article34_3a": .object(["type": .string("boolean")]), "note": string, "sent": integer,
                            "withoutEmail": array(id), "unreachable": array(id), "failed": array(anyObject)]),
        "AccessHistory": obj(["checkpoint": nullable(ref("CheckpointReference")), "accesses": array(anyObject), "next": nullable(integer)]),
    ]
}
