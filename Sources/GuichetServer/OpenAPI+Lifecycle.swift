import GuichetCore

extension OpenAPI {
    /// Data lifecycle (issue 20, docs/LIFECYCLE.md): archive reads, a citizen's export.
    static let lifecyclePublicOperations: [Operation] = [
        .init(method: "post", path: "/v1/dossiers/{id}/archive-reads",
              summary: "Ask to read an archived dossier, for the Guichet-Purpose stated (one the profile allows for archives) and a case reference; a second person approves it on the admin listener; journalled",
              secured: true, body: "ArchiveReadInput",
              responses: ["201": "ArchiveRead", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/v1/exports",
              summary: "Export your caseload as the profile's exports section allows your role (Guichet-Purpose: the export's purpose): the file is encrypted to recipientKey (HPKE, RFC 9180), expires, holds canary rows that name you if it leaks; each dossier is journalled as a read and one partner-export entry names every person in it",
              secured: true, body: "ExportInput",
              responses: ["201": "ExportFile", "400": "Problem", "401": "Problem", "403": "Problem", "503": "Problem"]),
        .init(method: "get", path: "/v1/exports",
              summary: "The exports you made (ids, dates, counts; never a row)",
              secured: true, responses: ["200": "Exports", "401": "Problem", "403": "Problem"]),
        .init(method: "get", path: "/v1/me/export",
              summary: "A citizen's own data (GDPR art. 15 and 20): their person, their dossiers as they may read them (each read journalled), and the first page of their access history",
              secured: true, responses: ["200": "CitizenExport", "401": "Problem", "403": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/v1/persons/{id}/export",
              summary: "Answer a person's access request on their behalf (GDPR art. 15): staff of a role the profile's retention.access names, for a Guichet-Purpose it names and a case reference; the person and their dossiers as the policy lets the caller read them (each read journalled, then one access-request entry), and the first page of their access history",
              secured: true, body: "AccessRequestInput",
              responses: ["200": "CitizenExport", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "503": "Problem"]),
    ]

    static let lifecycleAdminOperations: [Operation] = [
        .init(method: "get", path: "/admin/v1/archive-reads",
              summary: "Archive read requests waiting for a second person (roles the profile names as approvers)",
              secured: true, responses: ["200": "ArchiveReads", "401": "Problem", "403": "Problem"]),
        .init(method: "post", path: "/admin/v1/archive-reads/{id}/approve",
              summary: "Approve another account's archive read request; the read is allowed for the profile's minutes; step-up required; journalled. Counts against your role's ceiling of approvals (each account and file once): past it, 403 until you verify your second factor again and send Guichet-Justification; then 429 (throttled), then suspension",
              secured: true, responses: ["200": "ArchiveRead", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "429": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/admin/v1/export-leaks",
              summary: "Trace a leaked file: the exports whose canary rows are among these row ids (security officers)",
              secured: true, body: "LeakInput", responses: ["200": "Exports", "400": "Problem", "401": "Problem", "403": "Problem"]),
        .init(method: "post", path: "/admin/v1/erasures",
              summary: "Record a citizen's erasure request (GDPR art. 17) and carry it out by crypto-shredding; returns the receipt (fields and dossiers erased, ledger entry); step-up required; journalled. Counts against your role's ceiling of changes (each dossier of the person): past it, 403 until you verify your second factor again and send Guichet-Justification; then 429 (throttled), then suspension",
              secured: true, body: "ErasureInput",
              responses: ["201": "ErasureReceipt", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "429": "Problem", "503": "Problem"]),
        .init(method: "get", path: "/admin/v1/erasures/{id}",
              summary: "An erasure request's receipt",
              secured: true, responses: ["200": "ErasureReceipt", "401": "Problem", "403": "Problem", "404": "Problem"]),
    ]

    static let lifecycleSchemas: [String: JSON] = [
        "ArchiveReadInput": obj(["reference": string], required: ["reference"]),
        "AccessRequestInput": obj(["reference": string], required: ["reference"]),
        "ArchiveRead": obj(["id": string, "dossier": id, "account": id, "purpose": string, "reference": string,
                            "approved": .object(["type": .string("boolean")]), "expiresAt": nullable(string)]),
        "ArchiveReads": obj(["requests": array(ref("ArchiveRead"))]),
        "ErasureInput": obj(["person": id, "reference": string], required: ["person", "reference"]),
        "ErasureReceipt": obj(["request": string, "person": id, "reference": string, "erasedAt": string, "fields": array(string),
                               "dossiers": array(id), "keptDossiers": array(id), "ledgerIndex": integer,
                               "kept": array(ref("KeptFields"))]),
        "KeptFields": obj(["dossier": id, "fields": array(string), "ground": .object(["type": .string("object"), "additionalProperties": string]),
                           "until": string]),
        "ExportInput": obj(["recipientKey": string], required: ["recipientKey"]),
        "ExportFile": obj(["format": string, "export": string, "expiresAt": integer, "encapsulatedKey": string, "ciphertext": string]),
        "Export": obj(["id": string, "account": id, "createdAt": string, "expiresAt": string, "dossiers": integer, "persons": integer,
                       "ledgerIndex": integer]),
        "Exports": obj(["exports": array(ref("Export"))]),
        "LeakInput": obj(["rows": array(string)], required: ["rows"]),
        "CitizenExport": obj(["exportedAt": string, "person": nullable(anyObject), "dossiers": array(ref("Dossier")), "accessHistory": ref("AccessHistory")]),
    ]
}
