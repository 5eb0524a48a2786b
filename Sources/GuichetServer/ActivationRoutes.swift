import GuichetCore
import GuichetAuth
import GuichetGate
import GuichetStore
import Hummingbird

extension GuichetServer {
    /// Activation codes (issue 14): a new one for an account without a second factor, and the
    /// second administrator's approval of one to hand over.
    func addActivationRoutes(_ r: RouteRecorder) {
        r.on(.post, "/admin/v1/accounts/:id/activation") { req, ctx in
            let admin = try await self.administrator(req)
            let id: AccountID = try ctx.parameters.identifier("id")
            return Reply.json(Wire.activation(try await self.auth.reissueActivation(for: id, by: admin)), status: .accepted)
        }
        r.on(.get, "/admin/v1/activations") { req, _ in
            try self.auth.requireStepUp(try await self.administrator(req))
            let waiting = try await self.store.activationsAwaitingApproval()
            return Reply.json(.object(["activations": .array(waiting.map { a in
                .object(["id": .string(a.id), "account": .string(a.account.rawValue),
                         "requestedBy": a.issuedBy.map { .string($0.rawValue) } ?? .null, "requestedAt": Wire.timestamp(a.issuedAt)])
            })]))
        }
        r.on(.post, "/admin/v1/activations/:id/approve") { req, ctx in
            let admin = try await self.administrator(req)
            guard let id = ctx.parameters.get("id") else { throw GuichetError.invalid("'id' is not a valid activation id") }
            return Reply.json(Wire.activation(try await self.auth.approveActivation(id, by: admin)))
        }
    }
}

extension Wire {
    /// How an activation code went out; the code itself only when it is to be handed over.
    static func activation(_ a: ActivationIssued) -> JSON {
        switch a {
        case .handed(let id, let code, let expires):
            .object(["id": .string(id), "delivery": .string("hand"), "status": .string("issued"), "code": .string(code),
                     "expiresAt": Wire.timestamp(expires)])
        case .emailed(let id, let sentTo, let expires):
            .object(["id": .string(id), "delivery": .string("email"), "status": .string("issued"), "sentTo": .string(sentTo),
                     "expiresAt": Wire.timestamp(expires)])
        case .awaitingApproval(let id):
            .object(["id": .string(id), "delivery": .string("hand"), "status": .string("awaiting-approval")])
        }
    }
}

extension GuichetServer {
    /// Lost second factor, or an account taken over (docs/AUTHENTICATION.md): an administrator
    /// with a fresh second factor resets another account's factors after checking its owner's
    /// identity; a new activation code goes out, by hand when the body says `"delivery": "hand"`.
    func addFactorResetRoute(_ r: RouteRecorder) {
        r.on(.post, "/admin/v1/accounts/:id/factors/reset") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            let id: AccountID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let reason = try body.string("reason")
            let delivery: FactorResetDelivery
            switch try body.optionalString("delivery") {
            case nil: delivery = .usual
            case "hand"?: delivery = .hand
            default: throw GuichetError.invalid("'delivery' is \"hand\" or absent")
            }
            try body.finish()
            let done = try await self.provisioning.resetFactors(of: id, reason: reason, delivery: delivery, by: by,
                                                                justification: req.headers[Self.justificationHeader])
            guard case .object(var out) = Wire.activation(done.activation) else { preconditionFailure("an activation is a JSON object") }
            out["reset"] = .string(done.reset.id)
            out["account"] = .string(id.rawValue)
            out["factorsRemoved"] = .number(Double(done.reset.factorsRemoved))
            out["sessionsEnded"] = .number(Double(done.reset.sessionsEnded))
            return Reply.json(.object(out), status: .accepted)
        }
    }
}
