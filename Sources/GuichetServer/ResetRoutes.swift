import GuichetCore
import GuichetGate
import GuichetAuth
import GuichetStore
import Hummingbird

extension GuichetServer {
    /// The owner's notices and side of password resets and contact address, the same on both
    /// listeners; accounts that sign in on the admin listener are reset only there.
    func addResetRoutes(_ r: RouteRecorder, prefix: String, admin: Bool) {
        // What the owner must be told (failed sign-ins, lock, resets, activation codes...).
        r.on(.get, "\(prefix)/me/notices") { req, _ in
            let p = try await self.principal(req, admin: admin)
            let notices = try await self.store.notices(account: p.account)
            return Reply.json(.object(["notices": .array(notices.map { .object(["at": Wire.timestamp($0.at), "kind": .string($0.kind), "detail": .string($0.detail)]) })]))
        }
        r.on(.put, "\(prefix)/me/contact") { req, _ in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.read(req)
            let email = try body.string("email"), code = try body.optionalString("code")
            try body.finish()
            // Two steps: the address gets a code, then the code comes back with it.
            guard let code else {
                let sentTo = try await self.auth.requestContact(email, for: p)
                return Reply.json(.object(["sentTo": .string(sentTo),
                                           "next": .string("enter the code sent to this address: PUT \(prefix)/me/contact with 'email' and 'code'")]),
                                  status: .accepted)
            }
            try await self.auth.confirmContact(email, code: code, for: p)
            return Response(status: .noContent)
        }
        // The owner changes their password with the current one (other sessions end).
        r.on(.post, "\(prefix)/me/password") { req, _ in
            let p = try await self.principal(req, admin: admin)
            var body = try await JSONBody.read(req)
            let current = try body.string("current"), password = try body.string("password")
            try body.finish()
            try await self.auth.changePassword(p, current: current, new: password)
            return Response(status: .noContent)
        }
        r.on(.post, "\(prefix)/password-reset") { req, ctx in
            var body = try await JSONBody.read(req)
            let code = try body.string("code"), password = try body.string("password")
            try body.finish()
            try await self.auth.completeReset(code: code, newPassword: password, source: ctx.source, adminListener: admin)
            return Response(status: .noContent)
        }
    }

    /// An administrator starts a reset: the code goes to the owner's own address.
    func addAdminResetRoute(_ r: RouteRecorder) {
        r.on(.post, "/admin/v1/accounts/:id/password-reset") { req, ctx in
            let admin = try await self.administrator(req)
            let id: AccountID = try ctx.parameters.identifier("id")
            // A code sent to many owners at once is the cover of a caller who asks staff for it:
            // an administrator's resets count against the role's ceiling of changes.
            var g = GateRequest(principal: admin, requestID: Self.requestID(), source: ctx.source, purpose: nil)
            g.justification = req.headers[Self.justificationHeader]
            try await self.gate.watchAccountChange(id, g)
            let requestID = g.requestID
            let started = try await self.auth.startReset(of: id, by: admin) { try await self.provisioning.resetAddressOnFile(of: id, requestID: requestID) }
            return Reply.json(.object(["id": .string(started.id), "expiresAt": Wire.timestamp(started.expiresAt),
                                       "sentTo": .string(started.sentTo)]), status: .accepted)
        }
    }
}
