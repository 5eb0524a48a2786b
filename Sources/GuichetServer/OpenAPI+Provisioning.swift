import GuichetCore

extension OpenAPI {
    /// Provisioning from an empty start (issue 16, item 1): administrators, fresh second factor.
    static let provisioningOperations: [Operation] = [
        .init(method: "get", path: "/admin/v1/territories", summary: "The territories this deployment serves", secured: true,
              responses: ["200": "Territories", "401": "Problem", "403": "Problem"]),
        .init(method: "post", path: "/admin/v1/territories", summary: "Add a territory (journalled)", secured: true, body: "NewTerritory",
              responses: ["201": "Territory", "400": "Problem", "401": "Problem", "403": "Problem", "409": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/admin/v1/organisations", summary: "Add an organisation of one of the profile's kinds (journalled)", secured: true,
              body: "NewOrganisation", responses: ["201": "Organisation", "400": "Problem", "401": "Problem", "403": "Problem", "409": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/admin/v1/organisations/{id}/capacity",
              summary: "Set an organisation's capacity (places), or remove it with null (journalled). Below the places already held, new offers are refused until places free up; nothing offered is withdrawn",
              secured: true, body: "CapacityChange",
              responses: ["200": "Organisation", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/admin/v1/accounts/{id}/deactivate",
              summary: "Deactivate the account of someone who left, for good: sessions revoked, unused activation codes void (journalled). That of an administrator, account administrator or security officer is a request that a second administrator approves at /admin/v1/requests (202); refused (409) when it would leave no active administrator or security officer. Counts against your role's ceiling of changes: past it, 403 until you verify your second factor again and send Guichet-Justification; then 429 (throttled), then suspension",
              secured: true, body: "Deactivation",
              responses: ["200": "Deactivated", "202": "DeactivationRequest", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem", "429": "Problem"]),
        .init(method: "get", path: "/admin/v1/accounts/{id}/caseload", summary: "The dossiers in an account's caseload (ids only)", secured: true,
              responses: ["200": "Caseload", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "post", path: "/admin/v1/accounts/{id}/caseload",
              summary: "Ask to put dossiers in a staff or partner account's caseload, all or none: a second administrator approves it at /admin/v1/requests (journalled)",
              secured: true, body: "CaseloadAssignment",
              responses: ["200": "CaseloadAssigned", "202": "CaseloadRequest", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/admin/v1/accounts/{id}/caseload/transfer",
              summary: "Ask to move this account's caseload (or the dossiers given) to another staff or partner account, all or none: a second administrator approves it at /admin/v1/requests (journalled)",
              secured: true, body: "CaseloadTransfer",
              responses: ["200": "CaseloadTransferred", "202": "CaseloadRequest", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem", "503": "Problem"]),
    ]

    /// Claim codes (issue 16, item 3).
    static let claimOperations: [Operation] = [
        .init(method: "post", path: "/v1/persons/{id}/claim-code",
              summary: "Issue a one-time claim code for a person without an account (staff who may change the person's file; journalled, alerted, "
                + "at most 5 in ten minutes and 20 a day per account): e-mailed to the person's address on file when there is one and a relay "
                + "(delivery email, no code in the answer), else shown once for the office's letter (delivery letter); 409 when the person has "
                + "an account, or is linked to files only in roles that hold none (account: false in the profile, a child)",
              secured: true, responses: ["201": "ClaimCode", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem", "503": "Problem"]),
        .init(method: "post", path: "/v1/accounts/claim",
              summary: "Make a citizen account linked to your existing file with the claim code you received (single use; wrong codes are throttled; "
                + "refused to the account that issued the code and from the address it was issued from)",
              secured: false, body: "Claim",
              responses: ["201": "Claimed", "400": "Problem", "403": "Problem", "409": "Problem", "413": "Problem", "429": "Problem", "503": "Problem"]),
    ]

    /// An organisation's capacity: a whole number of places.
    static let places: JSON = .object(["type": .string("integer"), "minimum": .number(0), "maximum": .number(1_000_000)])

    static let provisioningSchemas: [String: JSON] = [
        "NewTerritory": obj(["code": string, "name": string], required: ["code", "name"]),
        "Territory": obj(["code": string, "name": string]),
        "Territories": obj(["territories": array(ref("Territory"))]),
        "NewOrganisation": obj(["kind": string, "name": string, "territory": string, "capacity": places], required: ["kind", "name"]),
        "CapacityChange": obj(["capacity": nullable(places)], required: ["capacity"]),
        "Organisation": obj(["id": id, "kind": string, "name": string, "territory": nullable(string), "capacity": nullable(integer)]),
        "Deactivation": obj(["reason": string], required: ["reason"]),
        "Deactivated": obj(["id": id, "status": string]),
        "DeactivationRequest": obj(["id": string, "kind": string, "account": id, "requestedBy": id, "requestedAt": string, "status": string]),
        "Caseload": obj(["account": id, "dossiers": array(id)]),
        "CaseloadAssignment": obj(["dossiers": array(id)], required: ["dossiers"]),
        "CaseloadAssigned": obj(["account": id, "assigned": integer]),
        "CaseloadTransfer": obj(["to": id, "dossiers": array(id)], required: ["to"]),
        "CaseloadTransferred": obj(["from": id, "to": id, "moved": integer]),
        "CaseloadRequest": obj(["id": string, "kind": string, "account": id, "from": id, "dossiers": array(id), "requestedBy": id,
                                "requestedAt": string, "status": string]),
        "ClaimCode": obj(["id": id, "delivery": .object(["type": .string("string"), "enum": .array([.string("email"), .string("letter")])]),
                          "code": string, "sentTo": string, "expiresAt": string], required: ["id", "delivery", "expiresAt"]),
        "Claim": obj(["username": string, "password": string, "code": string], required: ["username", "password", "code"]),
        "Claimed": obj(["account": id, "person": id]),
    ]
}
