import GuichetCore

extension OpenAPI {
    /// Waiting lists (issue 16, R1): ranks by the profile's declared rule (docs/PROFILES.md, "Rank").
    static let rankOperations: [Operation] = [
        .init(method: "get", path: "/v1/dossiers/{id}/rank",
              summary: "Your dossier's rank on the list of each organisation it chose, with the rule in words (fr, en); journalled",
              secured: true, responses: ["200": "Ranks", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem"]),
        .init(method: "get", path: "/v1/organisations/{id}/waiting-list",
              summary: "An organisation's waiting list in rank order, summaries only (query: from, limit, type); a partner sees its own list only; journalled as a search",
              secured: true, responses: ["200": "WaitingList", "400": "Problem", "401": "Problem", "403": "Problem", "404": "Problem", "503": "Problem"]),
    ]

    static let rankSchemas: [String: JSON] = [
        "Rank": obj(["organisation": id, "rank": integer, "of": integer]),
        "Ranks": obj(["dossier": id, "status": string, "ranks": array(ref("Rank")), "rule": anyObject]),
        "RankedDossier": obj(["rank": integer, "dossier": ref("Dossier")]),
        "WaitingList": obj(["organisation": id, "total": integer, "entries": array(ref("RankedDossier")), "next": nullable(integer), "rule": anyObject]),
    ]
}
