import GuichetCore

extension OpenAPI {
    /// Federated sign-in with OpenID Connect (issue #21 item 6; docs/AUTHENTICATION.md).
    static let oidcOperations: [Operation] = [
        .init(method: "get", path: "/oidc/{provider}/start",
              summary: "Begin signing in with an OpenID Connect provider of guichet.yaml: 303 to the provider (state, nonce, PKCE S256), with a short-lived cookie binding the sign-in to this browser",
              secured: false, responses: ["303": "", "403": "Problem", "429": "Problem", "503": "Problem"]),
        .init(method: "get", path: "/oidc/{provider}/callback",
              summary: "Where the provider sends the browser back: the state is taken (once), the code exchanged, the ID token verified (signature, iss, aud, exp, iat, nonce); the subject must be linked to an account (`guichet accounts link-oidc`). 201 with the session (Accept: application/json) or 303 to the page, with the session cookie; staff still owe Guichet's second factor unless the provider's acr is trusted",
              secured: false, responses: ["201": "FederatedSession", "303": "", "403": "Problem", "404": "Problem", "503": "Problem"],
              query: [("state", "The state sent to the provider"), ("code", "The authorization code"), ("error", "The provider's refusal, if any")]),
    ]

    static let oidcSchemas: [String: JSON] = [
        "FederatedSession": obj(["token": string, "expiresAt": string, "csrfToken": string,
                                 "secondFactor": .object(["type": .string("string"), "enum": .array(["not-needed", "required", "done-by-provider"].map(JSON.string))]),
                                 "account": anyObject], required: ["token", "expiresAt", "csrfToken", "secondFactor", "account"]),
    ]
}
