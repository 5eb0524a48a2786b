import GuichetCore

/// The policy operations (break-glass, review, explain) of the two OpenAPI documents.
extension OpenAPI {
    static let policyPublicOperations: [Operation] = [
        .init(method: "post", path: "/v1/dossiers/{id}/break-glass",
              summary: "Open a dossier outside your scope (break-glass): roles named by the profile, a written justification, a second factor verified in the last 5 minutes; time-limited, journalled, reviewed by a security officer",
              secured: true, body: "BreakGlassRequest",
              responses: ["201": "BreakGlassOpening", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "409": "Problem", "429": "Problem"]),
    ]

    static let policyAdminOperations: [Operation] = [
        .init(method: "get", path: "/admin/v1/break-glass", summary: "Break-glass openings awaiting review, with their justifications (security officers)",
              secured: true, responses: ["200": "BreakGlassReviews", "401": "Problem", "403": "Problem"]),
        .init(method: "post", path: "/admin/v1/break-glass/{id}/review",
              summary: "Close the review of a break-glass opening with a verdict and a note (security officers); 'unjustified' ends the access",
              secured: true, body: "BreakGlassVerdict",
              responses: ["200": "BreakGlassReview", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "get", path: "/admin/v1/policy/explain",
              summary: "Explain the policy's decision for an account, a dossier, an action and a purpose: each rule, matched or why not, and the fields",
              secured: true, responses: ["200": "Explanation", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"],
              query: [("account", "Account id"), ("dossier", "Dossier id"), ("action", "read, search, update, transition:NAME..."),
                      ("purpose", "Stated purpose (optional)")]),
    ]

    static let policySchemas: [String: JSON] = [
        "BreakGlassRequest": obj(["justification": string], required: ["justification"]),
        "BreakGlassOpening": obj(["id": id, "dossier": id, "openedAt": string, "expiresAt": string, "fields": array(string)]),
        "BreakGlassReview": obj(["id": id, "account": id, "dossier": id, "justification": string, "openedAt": string, "expiresAt": string,
                                 "verdict": nullable(string), "note": nullable(string)]),
        "BreakGlassReviews": obj(["openings": array(ref("BreakGlassReview"))]),
        "BreakGlassVerdict": obj(["verdict": .object(["type": .string("string"), "enum": .array([.string("justified"), .string("unjustified")])]),
                                  "note": string], required: ["verdict", "note"]),
        "Explanation": obj(["rules": array(anyObject), "decision": anyObject]),
    ]
}
