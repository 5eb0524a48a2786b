import GuichetCore
import GuichetAuth
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
