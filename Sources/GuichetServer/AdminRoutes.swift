import GuichetCore
import GuichetAuth
import GuichetGate
import GuichetStore
import Hummingbird

extension GuichetServer {
    func addAdminRoutes(_ r: RouteRecorder) {
        r.on(.get, "/healthz") { _, _ in Reply.json(.object(["status": .string("ok")])) }
        r.on(.get, "/readyz") { _, _ in try await self.readiness() }
        r.on(.get, "/openapi.json") { _, _ in Reply.json(encoded: self.openAPI.document(admin: true, .init(self.profile, limits: self.limits))) }
        r.on(.post, "/admin/v1/session") { req, ctx in try await self.signIn(req, ctx, admin: true) }
        r.on(.delete, "/admin/v1/session") { req, _ in try await self.signOut(req, admin: true) }
        addMFARoutes(r, prefix: "/admin/v1", admin: true)
        addResetRoutes(r, prefix: "/admin/v1", admin: true)
        addAdminResetRoute(r)
        addWebPages(r, admin: true)
        addAdminPages(r)
        addBreachPages(r)
        addLifecycleAdminPages(r)
        addLeakPages(r)
        addKeysPage(r)
        addProvisioningPages(r)
        addActivationRoutes(r)
        addFactorResetRoute(r)
        addMetricsRoute(r)
        addAdminLedgerRoutes(r)
        addBreachRoutes(r)
        addAdminPolicyRoutes(r)
        addWatchRoutes(r)
        addProvisioningRoutes(r)
        addLifecycleAdminRoutes(r)

        r.on(.get, "/admin/v1/accounts") { req, _ in
            try self.auth.requireStepUp(try await self.administrator(req))
            // The accounts that work in Guichet; a citizen's only by its user name (`?username=`):
            // citizens' accounts are millions in R4, and their names are not staff's business.
            if let username = req.uri.queryParameters.get("username") {
                try Authenticator.checkUsername(username)
                let found = try await self.store.account(username: username)
                return Reply.json(.object(["accounts": .array(found.map { [Wire.account($0)] } ?? [])]))
            }
            let staff = try await self.store.accounts(roles: self.profile.roleNames { $0 != .citizen })
            return Reply.json(.object(["accounts": .array(staff.map(Wire.account))]))
        }
        r.on(.post, "/admin/v1/accounts") { req, ctx in
            let by = try await self.accountProvisioner(req, ctx)
            var body = try await JSONBody.read(req)
            let username = try body.string("username"), password = try body.string("password"), role = try body.string("role")
            let organisation: OrganisationID? = try body.optional("organisation").map { try JSONBody.identifier($0, "organisation") }
            let territory = try body.optionalString("territory"), email = try body.optionalString("email")
            try body.finish()
            let made = try await self.provisioning.createAccount(NewAccount(username: username, password: password, role: role, organisation: organisation,
                                                                             territory: territory, email: email), by: by)
            // The account exists now: a relay that refuses the code leaves it without one, to issue again.
            let activation: JSON = made.activation.map(Wire.activation)
                ?? .object(["delivery": .string("email"), "status": .string("not-sent"), "detail": .string(made.activationProblem ?? "")])
            return Reply.json(.object(["id": .string(made.id.rawValue), "username": .string(username), "role": .string(role),
                                       "status": .string(made.status), "activation": activation]), status: .created)
        }
        r.on(.post, "/admin/v1/accounts/:id/role") { req, ctx in
            let by = try await self.provisioner(req, ctx)
            let id: AccountID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let role = try body.string("role")
            try body.finish()
            try await self.provisioning.requestRole(role, for: id, by: by)
            return Reply.json(.object(["id": .string(id.rawValue), "role": .string(role), "status": .string("pending")]), status: .accepted)
        }
        r.on(.get, "/admin/v1/requests") { req, ctx in
            let by = try await self.accountProvisioner(req, ctx)
            let pending = try await self.provisioning.pendingRequests(by: by)
            let caseloads = try await self.provisioning.pendingCaseloadRequests(by: by)
            let departures = try await self.provisioning.pendingDepartureRequests(by: by)
            // What the second administrator judges: whose account, in which office, asked by whom
            // (an audit of R2: the request named only ids, and was approved blind).
            var roleRequests: [JSON] = []
            for r in pending {
                let account = try await self.store.account(id: r.account)
                let requester = try await self.store.account(id: r.requestedBy)
                roleRequests.append(.object([
                    "id": .string(r.id), "account": .string(r.account.rawValue), "kind": .string(r.kind), "role": .string(r.role),
                    "username": account.map { .string($0.username) } ?? .null,
                    "organisation": account?.organisation.map { .string($0.rawValue) } ?? .null,
                    "requestedBy": .string(r.requestedBy.rawValue), "requestedByUsername": requester.map { .string($0.username) } ?? .null,
                    "requestedAt": Wire.timestamp(r.requestedAt)]))
            }
            return Reply.json(.object(["requests": .array(roleRequests + caseloads.map { Wire.caseloadRequest($0) } + departures.map { Wire.departureRequest($0) })]))
        }
        r.on(.post, "/admin/v1/requests/:id/approve") { req, ctx in
            let by = try await self.accountProvisioner(req, ctx)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid request id") }
            // Past the approver's ceiling of approvals: a fresh second factor and this reason.
            let why = req.headers[Self.justificationHeader]
            if try await self.provisioning.pendingCaseloadRequests(by: by).contains(where: { $0.id == id }) {
                return Reply.json(Wire.caseloadRequest(try await self.provisioning.approveCaseload(request: id, by: by, justification: why), status: "approved"))
            }
            if try await self.provisioning.pendingDepartureRequests(by: by).contains(where: { $0.id == id }) {
                return Reply.json(Wire.departureRequest(try await self.provisioning.approveDeparture(request: id, by: by), status: "approved"))
            }
            let r = try await self.provisioning.approve(request: id, by: by, justification: why)
            return Reply.json(.object(["account": .string(r.account.rawValue), "kind": .string(r.kind), "role": .string(r.role),
                                       "status": .string("approved")]))
        }
        r.on(.get, "/admin/v1/dossiers/:id/versions") { req, ctx in
            let g = try await self.gateRequest(req, ctx, admin: true)
            let versions = try await self.gate.versions(try ctx.parameters.identifier("id"), g)
            return Reply.json(.object(["versions": .array(versions.map(Wire.version))]))
        }
        r.on(.get, "/admin/v1/dossiers/:id/versions/:version") { req, ctx in
            let g = try await self.gateRequest(req, ctx, admin: true)
            guard let v = ctx.parameters.get("version").flatMap(Int.init) else { throw GuichetError.invalid("'version' must be a whole number") }
            return Reply.json(Wire.dossier(try await self.gate.read(try ctx.parameters.identifier("id"), version: v, g)))
        }
        r.on(.get, "/admin/v1/persons/:id/versions") { req, ctx in
            let g = try await self.gateRequest(req, ctx, admin: true)
            let versions = try await self.gate.personVersions(try ctx.parameters.identifier("id"), g)
            return Reply.json(.object(["versions": .array(versions.map { v in
                .object(["version": .number(Double(v.version)), "changedAt": Wire.timestamp(v.changedAt),
                         "changedBy": v.changedBy.map { .string($0.rawValue) } ?? .null, "change": .string(v.change)])
            })]))
        }
        r.on(.post, "/admin/v1/persons/:id/versions/:version/restore") { req, ctx in
            let g = try await self.gateRequest(req, ctx, admin: true)
            guard let v = ctx.parameters.get("version").flatMap(Int.init) else { throw GuichetError.invalid("'version' must be a whole number") }
            let id: PersonID = try ctx.parameters.identifier("id")
            let version = try await self.gate.restorePerson(id, version: v, g)
            return Reply.json(.object(["id": .string(id.rawValue), "version": .number(Double(version))]))
        }
        r.on(.post, "/admin/v1/dossiers/:id/versions/:version/restore") { req, ctx in
            let g = try await self.gateRequest(req, ctx, admin: true)
            guard let v = ctx.parameters.get("version").flatMap(Int.init) else { throw GuichetError.invalid("'version' must be a whole number") }
            return Reply.json(Wire.write(try await self.gate.restore(try ctx.parameters.identifier("id"), version: v, g)))
        }
    }
}
