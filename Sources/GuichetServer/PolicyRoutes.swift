import GuichetCore
import GuichetAuth
import GuichetGate
import GuichetPolicy
import Hummingbird
import Foundation

extension GuichetServer {
    func addPublicPolicyRoutes(_ r: RouteRecorder) {
        r.on(.post, "/v1/dossiers/:id/break-glass") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let id: DossierID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let justification = try body.string("justification")
            try body.finish()
            return Reply.json(Wire.opening(try await self.gate.breakGlass(id, justification: justification, g)), status: .created)
        }
    }

    func addAdminPolicyRoutes(_ r: RouteRecorder) {
        r.on(.get, "/admin/v1/break-glass") { req, _ in
            let p = try await self.principal(req, admin: true)
            return Reply.json(.object(["openings": .array(try await self.gate.pendingBreakGlass(p).map(Wire.review))]))
        }
        r.on(.post, "/admin/v1/break-glass/:id/review") { req, ctx in
            let p = try await self.principal(req, admin: true)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid break-glass id") }
            var body = try await JSONBody.read(req)
            let verdict = try body.string("verdict"), note = try body.string("note")
            try body.finish()
            return Reply.json(Wire.review(try await self.gate.reviewBreakGlass(id, verdict: verdict, note: note, p,
                                                                                requestID: Self.requestID(), source: ctx.source)))
        }
        r.on(.get, "/admin/v1/policy/explain") { req, ctx in
            let p = try await self.principal(req, admin: true)
            let q = req.uri.queryParameters
            guard let a = q.get("account"), let account = AccountID(validating: a) else { throw GuichetError.invalid("'account' must be an account id") }
            guard let d = q.get("dossier"), let dossier = DossierID(validating: d) else { throw GuichetError.invalid("'dossier' must be a dossier id") }
            guard let action = q.get("action").flatMap(Action.init) else {
                throw GuichetError.invalid("'action' must be read, search, create, update, withdraw, versions, restore or transition:NAME")
            }
            let e = try await self.gate.explain(account: account, dossier: dossier, action: action, purpose: q.get("purpose"), p,
                                                requestID: Self.requestID(), source: ctx.source)
            return Reply.json(Wire.explanation(e))
        }
    }
}

extension Wire {
    static func opening(_ o: BreakGlassOpening) -> JSON {
        .object(["id": .string(o.id), "dossier": .string(o.dossier.rawValue), "openedAt": timestamp(o.openedAt),
                 "expiresAt": timestamp(o.expiresAt), "fields": .array(o.fields.map(JSON.string))])
    }

    static func review(_ r: BreakGlassReview) -> JSON {
        .object(["id": .string(r.id), "account": .string(r.account.rawValue), "dossier": .string(r.dossier.rawValue),
                 "justification": .string(r.justification), "openedAt": timestamp(r.openedAt), "expiresAt": timestamp(r.expiresAt),
                 "verdict": r.verdict.map(JSON.string) ?? .null, "note": r.note.map(JSON.string) ?? .null])
    }

    static func explanation(_ e: Explanation) -> JSON {
        let rules: [JSON] = e.steps.map { s in
            var o: [String: JSON] = ["id": .string(s.rule), "effect": .string(s.effect.rawValue)]
            switch s.outcome {
            case .matched: o["matched"] = .bool(true); if s.effect == .allow { o["fields"] = .array(s.fields.map(JSON.string)) }
            case .skipped(let why): o["matched"] = .bool(false); o["why"] = .string(why.description)
            }
            return .object(o)
        }
        let decision: JSON
        switch e.decision {
        case .allow(let g):
            decision = .object(["effect": .string("allow"), "rules": .array(g.rules.map(JSON.string)),
                                "readable": .array(g.readable.sorted().map(JSON.string)), "writable": .array(g.writable.sorted().map(JSON.string))])
        case .deny(let d):
            decision = .object(["effect": .string("deny"), "reason": .string(d.reason.rawValue), "rule": d.rule.map(JSON.string) ?? .null])
        }
        return .object(["rules": .array(rules), "decision": decision])
    }
}
