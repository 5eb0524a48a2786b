import GuichetCore
import GuichetAuth
import GuichetGate
import GuichetStore
import Hummingbird

extension GuichetServer {
    /// Filling a registry from an empty start (issue 16): the admin side.
    var provisioning: Provisioning { Provisioning(gate: gate, auth: auth) }

    /// An administrator (not a security officer) with a fresh second factor, as a provisioner.
    func provisioner(_ req: Request, _ ctx: GuichetContext) async throws -> Provisioner {
        let admin = try await administrator(req)
        try auth.requireStepUp(admin)
        return .administrator(admin, requestID: Self.requestID(), source: ctx.source)
    }

    /// An administrator or an account administrator (R2) with a fresh second factor, for the
    /// steps an account administrator may take too: asking for accounts, listing and approving
    /// requests. ``Provisioning`` keeps it to its scope.
    func accountProvisioner(_ req: Request, _ ctx: GuichetContext) async throws -> Provisioner {
        let p = try await principal(req, admin: true)
        guard p.kind == .admin || p.kind == .accountAdmin else { throw GuichetError.forbidden("this needs an administrator account") }
        try auth.requireStepUp(p)
        return .administrator(p, requestID: Self.requestID(), source: ctx.source)
    }

    func addProvisioningRoutes(_ r: RouteRecorder) {
        r.on(.get, "/admin/v1/territories") { req, ctx in
            _ = try await self.provisioner(req, ctx)
            return Reply.json(.object(["territories": .array(try await self.store.territories().map(Wire.territory))]))
        }
        r.on(.post, "/admin/v1/territories") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            var body = try await JSONBody.read(req)
            let code = try body.string("code"), name = try body.string("name")
            try body.finish()
            return Reply.json(Wire.territory(try await self.provisioning.addTerritory(code: code, name: name, by: by)), status: .created)
        }
        r.on(.post, "/admin/v1/organisations") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            var body = try await JSONBody.read(req)
            let kind = try body.string("kind"), name = try body.string("name")
            let territory = try body.optionalString("territory"), capacity = try body.optionalInt("capacity")
            try body.finish()
            let o = try await self.provisioning.addOrganisation(kind: kind, name: name, territory: territory, capacity: capacity, by: by)
            return Reply.json(Wire.organisation(o), status: .created)
        }
        r.on(.post, "/admin/v1/organisations/:id/capacity") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            let id: OrganisationID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            // Required, null included: a body that forgot the key must not remove the bound.
            guard case .object(let given) = body.json, given.keys.contains("capacity") else {
                throw GuichetError.invalid("'capacity' is required: a whole number of places, or null for no bound")
            }
            let capacity = try body.optionalInt("capacity")
            try body.finish()
            return Reply.json(Wire.organisation(try await self.provisioning.setCapacity(of: id, to: capacity, by: by)))
        }
        r.on(.post, "/admin/v1/accounts/:id/deactivate") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            let id: AccountID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let reason = try body.string("reason")
            try body.finish()
            switch try await self.provisioning.deactivate(id, reason: reason, by: by, justification: req.headers[Self.justificationHeader]) {
            case .deactivated: return Reply.json(.object(["id": .string(id.rawValue), "status": .string("deactivated")]))
            // A privileged account: a second administrator approves at /admin/v1/requests (C17).
            case .pending(let r): return Reply.json(Wire.departureRequest(r), status: .accepted)
            }
        }
        r.on(.get, "/admin/v1/accounts/:id/caseload") { req, ctx in
            _ = try await self.provisioner(req, ctx)
            let id: AccountID = try ctx.parameters.identifier("id")
            guard try await self.store.account(id: id) != nil else { throw GuichetError.notFound }
            let ids = try await self.store.caseload(of: id)
            return Reply.json(.object(["account": .string(id.rawValue), "dossiers": .array(ids.map { .string($0.rawValue) })]))
        }
        r.on(.post, "/admin/v1/accounts/:id/caseload") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            let id: AccountID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let dossiers = try Self.dossierList(&body, required: true) ?? []
            try body.finish()
            switch try await self.provisioning.assignCaseload(dossiers, to: id, by: by) {
            case .pending(let request): return Reply.json(Wire.caseloadRequest(request), status: .accepted)
            case .made(let made): return Reply.json(.object(["account": .string(id.rawValue), "assigned": .number(Double(made.count))]))
            }
        }
        r.on(.post, "/admin/v1/accounts/:id/caseload/transfer") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            let from: AccountID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            guard let target = body.optional("to") else { throw GuichetError.invalid("'to' is required") }
            let to: AccountID = try JSONBody.identifier(target, "to")
            let only = try Self.dossierList(&body, required: false)
            try body.finish()
            switch try await self.provisioning.transferCaseload(from: from, to: to, only: only, by: by) {
            case .pending(let request): return Reply.json(Wire.caseloadRequest(request), status: .accepted)
            case .made(let moved):
                return Reply.json(.object(["from": .string(from.rawValue), "to": .string(to.rawValue), "moved": .number(Double(moved.count))]))
            }
        }
    }

    /// The `dossiers` list of a request body: identifiers.
    static func dossierList(_ body: inout JSONBody, required: Bool) throws -> [DossierID]? {
        guard let items = try body.optionalArray("dossiers") else {
            if required { throw GuichetError.invalid("'dossiers' is required") }
            return nil
        }
        return try items.map { try JSONBody.identifier($0, "dossiers") }
    }

    /// The account of the session a claim request carries, if any (a claim needs none; one by
    /// the account that issued the code is refused). An invalid token counts as none.
    func claimant(_ req: Request) async -> AccountID? {
        guard let token = bearer(req) ?? SessionCookie.read(req, admin: false) else { return nil }
        return try? await auth.authenticate(token: token).account
    }

    /// Claim codes: staff issue one for a person on the public listener; the person claims
    /// their file with it (no session yet).
    func addClaimRoutes(_ r: RouteRecorder) {
        r.on(.post, "/v1/persons/:id/claim-code") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let issued = try await self.provisioning.issueClaim(for: try ctx.parameters.identifier("id"), g)
            return Reply.json(Wire.claim(issued), status: .created)
        }
        r.on(.post, "/v1/accounts/claim") { req, ctx in
            var body = try await JSONBody.read(req)
            let username = try body.string("username"), password = try body.string("password"), code = try body.string("code")
            try body.finish()
            let (account, person) = try await self.provisioning.claim(username: username, password: password, code: code,
                                                                       requestID: Self.requestID(), source: ctx.source,
                                                                       claimant: await self.claimant(req))
            return Reply.json(.object(["account": .string(account.rawValue), "person": .string(person.rawValue)]), status: .created)
        }
    }
}

extension Wire {
    static func territory(_ t: Territory) -> JSON { .object(["code": .string(t.code), "name": .string(t.name)]) }

    /// A claim code as issued: sent to the person's address (the code is not in the answer),
    /// or shown once, for the office's letter.
    static func claim(_ d: ClaimDelivery) -> JSON {
        switch d {
        case .letter(let c):
            .object(["id": .string(c.id), "delivery": .string("letter"), "code": .string(c.code), "expiresAt": Wire.timestamp(c.expiresAt)])
        case .emailed(let id, let sentTo, let expiresAt):
            .object(["id": .string(id), "delivery": .string("email"), "sentTo": .string(sentTo), "expiresAt": Wire.timestamp(expiresAt)])
        }
    }
}
