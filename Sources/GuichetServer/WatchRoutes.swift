import GuichetCore
import GuichetAuth
import GuichetGate
import GuichetStore
import GuichetWatch
import Hummingbird
import Foundation

/// The security officer's side of detection (admin listener): the alert queue, suspensions
/// and reinstatement with a written reason, and the watched persons (C7, C18).
extension GuichetServer {
    /// A security officer's principal with a second factor (a fresh one for changes).
    func officer(_ req: Request, _ ctx: GuichetContext, fresh: Bool) async throws -> GateRequest {
        let g = try await gateRequest(req, ctx, admin: true)
        guard g.principal.kind == .security else { throw GuichetError.forbidden("only a security officer may do this") }
        if fresh { try auth.requireStepUp(g.principal) } else if !g.principal.mayReachPersonalData {
            throw GuichetError.forbidden("verify your second factor first")
        }
        return g
    }

    func addWatchRoutes(_ r: RouteRecorder) {
        r.on(.get, "/admin/v1/watch/alerts") { req, ctx in
            _ = try await self.officer(req, ctx, fresh: false)
            let status = req.uri.queryParameters.get("status") ?? "open"
            guard status == "open" || status == "all" else { throw GuichetError.invalid("'status' is open or all") }
            let account: AccountID? = try req.uri.queryParameters.get("account").map { try JSONBody.identifier(.string(String($0)), "account") }
            let limit = try req.uri.queryParameters.get("limit").map { s -> Int in
                guard let n = Int(s), (1...1000).contains(n) else { throw GuichetError.invalid("'limit' must be from 1 to 1000") }
                return n
            } ?? 100
            let alerts = try await self.store.alerts(openOnly: status == "open", account: account, limit: limit)
            return Reply.json(.object(["alerts": .array(alerts.map { Wire.alert($0, gate: self.gate) })]))
        }
        r.on(.post, "/admin/v1/watch/alerts/:id/acknowledge") { req, ctx in
            let g = try await self.officer(req, ctx, fresh: true)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid alert id") }
            var body = try await JSONBody.read(req)
            let note = try body.optionalString("note")
            try body.finish()
            return Reply.json(Wire.alert(try await self.gate.acknowledge(alert: id, note: note, by: g), gate: self.gate))
        }
        r.on(.get, "/admin/v1/watch/suspensions") { req, ctx in
            _ = try await self.officer(req, ctx, fresh: false)
            let status = req.uri.queryParameters.get("status") ?? "open"
            guard status == "open" || status == "all" else { throw GuichetError.invalid("'status' is open or all") }
            let list = try await self.store.suspensions(openOnly: status == "open")
            return Reply.json(.object(["suspensions": .array(list.map { Wire.suspension($0, gate: self.gate) })]))
        }
        r.on(.post, "/admin/v1/accounts/:id/reinstate") { req, ctx in
            let g = try await self.officer(req, ctx, fresh: true)
            let id: AccountID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let reason = try body.string("reason")
            try body.finish()
            return Reply.json(Wire.suspension(try await self.gate.reinstate(id, reason: reason, by: g), gate: self.gate))
        }
        r.on(.post, "/admin/v1/accounts/:id/suspend") { req, ctx in
            let g = try await self.officer(req, ctx, fresh: true)
            let id: AccountID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let reason = try body.string("reason")
            try body.finish()
            try await self.gate.suspendAccount(id, sealing: reason, by: g)
            return Reply.json(.object(["id": .string(id.rawValue), "status": .string("suspended")]))
        }
        r.on(.get, "/admin/v1/watch/persons") { req, ctx in
            _ = try await self.officer(req, ctx, fresh: false)
            let list = try await self.store.watchedPersons()
            return Reply.json(.object(["persons": .array(list.map { w in
                .object(["person": .string(w.person.rawValue), "reason": self.gate.watchReason(of: w).map(JSON.string) ?? .null, "flaggedBy": .string(w.flaggedBy.rawValue),
                         "flaggedAt": Wire.timestamp(w.flaggedAt)])
            })]))
        }
        r.on(.put, "/admin/v1/watch/persons/:id") { req, ctx in
            let g = try await self.flagger(req, ctx)
            let id: PersonID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let reason = try body.string("reason")
            try body.finish()
            try await self.gate.setWatched(id, reason: reason, by: g)
            return Reply.json(.object(["person": .string(id.rawValue), "watched": .bool(true)]))
        }
        r.on(.delete, "/admin/v1/watch/persons/:id") { req, ctx in
            let g = try await self.flagger(req, ctx)
            try await self.gate.setWatched(try ctx.parameters.identifier("id"), reason: nil, by: g)
            return Reply.empty()
        }
    }

    /// An administrator or security officer with a fresh second factor (flagging persons).
    func flagger(_ req: Request, _ ctx: GuichetContext) async throws -> GateRequest {
        let g = try await gateRequest(req, ctx, admin: true)
        try auth.requireStepUp(g.principal)
        return g
    }

}

extension Wire {
    /// An alert, its justification and note opened for the security officer.
    static func alert(_ a: WatchAlert, gate: Gate) -> JSON {
        let justification: JSON = gate.justification(of: a).map(JSON.string) ?? .null
        let note: JSON = gate.note(of: a).map(JSON.string) ?? .null
        return .object(["id": .string(a.id), "at": timestamp(a.at), "account": a.account.map { .string($0.rawValue) } ?? .null,
                 "detector": .string(a.detector), "severity": .string(a.severity), "response": .string(a.response),
                 "detail": .string(a.detail), "justification": justification,
                 "acknowledgedBy": a.acknowledgedBy.map { .string($0.rawValue) } ?? .null,
                 "acknowledgedAt": a.acknowledgedAt.map(timestamp) ?? .null, "note": note])
    }

    /// A suspension, its reinstatement reason opened for the security officer.
    static func suspension(_ s: Suspension, gate: Gate) -> JSON {
        let reinstateReason: JSON = gate.reinstateReason(of: s).map(JSON.string) ?? .null
        return .object(["id": .string(s.id), "account": .string(s.account.rawValue), "at": timestamp(s.at), "reason": .string(s.reason),
                 "reinstatedBy": s.reinstatedBy.map { .string($0.rawValue) } ?? .null,
                 "reinstatedAt": s.reinstatedAt.map(timestamp) ?? .null, "reinstateReason": reinstateReason])
    }
}
