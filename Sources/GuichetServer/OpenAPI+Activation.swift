import GuichetCore

extension OpenAPI {
    /// Activation codes for a first second factor (issue 14).
    static let activationOperations: [Operation] = [
        .init(method: "post", path: "/admin/v1/accounts/{id}/activation",
              summary: "A new activation code for an account without a second factor: to its address, or, to hand over, after a second administrator's approval",
              secured: true, responses: ["202": "Activation", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem",
                                         "503": "Problem"]),
        .init(method: "get", path: "/admin/v1/activations", summary: "Activation codes awaiting a second administrator", secured: true,
              responses: ["200": "Activations", "401": "Problem", "403": "Problem"]),
        .init(method: "post", path: "/admin/v1/activations/{id}/approve",
              summary: "Approve another administrator's request: you receive the code, once, to hand to the owner", secured: true,
              responses: ["200": "Activation", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem"]),
        .init(method: "post", path: "/admin/v1/accounts/{id}/factors/reset",
              summary: "Reset another account's second factors after checking its owner's identity: factors and sessions removed, a new activation code (by hand with \"delivery\": \"hand\"); not an administrator's, account administrator's or security officer's (403: on the server's console). Counts against your role's ceiling of changes: past it, 403 until you verify your second factor again and send Guichet-Justification; then 429 (throttled), then suspension",
              secured: true, body: "FactorResetRequest",
              responses: ["202": "FactorReset", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem",
                          "429": "Problem", "503": "Problem"]),
    ]

    static let activationSchemas: [String: JSON] = [
        "ActivationCode": obj(["activationCode": string]),
        "Activation": obj(["id": string, "delivery": string, "status": string, "code": string, "sentTo": string, "expiresAt": string,
                           "detail": string]),
        "Activations": obj(["activations": array(anyObject)]),
        "FactorResetRequest": obj(["reason": string, "delivery": .object(["type": .string("string"), "enum": .array([.string("hand")])])],
                                  required: ["reason"]),
        "FactorReset": obj(["id": string, "delivery": string, "status": string, "code": string, "sentTo": string, "expiresAt": string,
                            "reset": string, "account": string, "factorsRemoved": integer, "sessionsEnded": integer]),
    ]
}
