import GuichetCore
import GuichetAuth
import GuichetGate
import Hummingbird

extension GuichetServer {
    /// Waiting lists (issue 16, R1): a dossier's rank on each list it is on, and an
    /// organisation's list in rank order (summaries only).
    func addRankRoutes(_ r: RouteRecorder) {
        r.on(.get, "/v1/dossiers/:id/rank") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            return Reply.json(Wire.ranks(try await self.gate.ranks(of: try ctx.parameters.identifier("id"), g)))
        }
        r.on(.get, "/v1/organisations/:id/waiting-list") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            var from = 1, limit = 20, type: String?
            for (key, value) in req.uri.queryParameters {
                switch String(key) {
                case "from": guard let n = Int(String(value)) else { throw GuichetError.invalid("'from' must be a whole number") }; from = n
                case "limit": guard let n = Int(String(value)) else { throw GuichetError.invalid("'limit' must be a whole number") }; limit = n
                case "type": type = String(value)
                default: throw GuichetError.invalid("unknown parameter '\(GuichetError.echo(key))' (expected from, limit, type)")
                }
            }
            let ranked = self.profile.dossierTypes.values.filter { $0.ranking != nil }.map(\.name).sorted()
            guard let dossierType = type ?? (ranked.count == 1 ? ranked[0] : nil) else {
                throw GuichetError.invalid("give 'type', one of: \(ranked.joined(separator: ", "))")
            }
            let page = try await self.gate.waitingList(try ctx.parameters.identifier("id"), type: dossierType, from: from, limit: limit, g)
            return Reply.json(Wire.waitingList(page))
        }
    }
}

extension Wire {
    static func ranks(_ r: DossierRanks) -> JSON {
        .object(["dossier": .string(r.dossier.rawValue), "status": .string(r.status),
                 "ranks": .array(r.ranks.map { .object(["organisation": .string($0.organisation.rawValue),
                                                       "rank": .number(Double($0.rank)), "of": .number(Double($0.of))]) }),
                 "rule": .object(r.explanation.mapValues(JSON.string))])
    }

    static func waitingList(_ p: RankedPage) -> JSON {
        .object(["organisation": .string(p.organisation.rawValue), "total": .number(Double(p.total)),
                 "entries": .array(p.entries.map { .object(["rank": .number(Double($0.rank)), "dossier": Wire.dossier($0.view)]) }),
                 "next": p.next.map { .number(Double($0)) } ?? .null, "rule": .object(p.explanation.mapValues(JSON.string))])
    }
}
