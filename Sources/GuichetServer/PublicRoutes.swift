import GuichetCore
import GuichetAuth
import GuichetGate
import GuichetStore
import Hummingbird
import Foundation
import NIOCore

extension GuichetServer {
    func addPublicRoutes(_ r: RouteRecorder) {
        r.on(.get, "/healthz") { _, _ in Reply.json(.object(["status": .string("ok")])) }
        r.on(.get, "/readyz") { _, _ in try await self.readiness() }
        r.on(.get, "/openapi.json") { _, _ in Reply.json(encoded: self.openAPI.document(admin: false, .init(self.profile, limits: self.limits))) }
        addHistoryRoutes(r)
        r.on(.get, "/.well-known/security.txt") { _, _ in
            guard let txt = self.securityTxt else { throw GuichetError.notFound }
            return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: txt.text)))
        }

        r.on(.post, "/v1/session") { req, ctx in try await self.signIn(req, ctx, admin: false) }
        r.on(.delete, "/v1/session") { req, _ in try await self.signOut(req, admin: false) }
        r.on(.delete, "/v1/me/sessions") { req, _ in
            let p = try await self.principal(req, admin: false)
            _ = try await self.auth.endSessions(nil, by: p)
            return Reply.empty()
        }
        r.on(.get, "/v1/me") { req, _ in
            let p = try await self.principal(req, admin: false)
            return Reply.json(.object(["id": .string(p.account.rawValue), "username": .string(p.username), "role": .string(p.role),
                                       "organisation": p.organisation.map { .string($0.rawValue) } ?? .null,
                                       "person": p.person.map { .string($0.rawValue) } ?? .null]))
        }
        r.on(.post, "/v1/accounts") { req, ctx in try await self.register(req, ctx) }
        addMFARoutes(r, prefix: "/v1", admin: false)
        addResetRoutes(r, prefix: "/v1", admin: false)
        addCitizenPage(r)
        addWebPages(r, admin: false)
        addDossierPages(r)
        addLifecyclePublicPages(r)
        addPartnerExportPages(r)
        addCitizenPages(r)
        addRegisterPages(r)
        addExportPages(r)
        addPublicLedgerRoutes(r)
        addPublicPolicyRoutes(r)
        addClaimRoutes(r)
        addRankRoutes(r)
        addOIDCRoutes(r)
        addLifecyclePublicRoutes(r)

        r.on(.get, "/v1/organisations") { req, _ in
            let kind = req.uri.queryParameters.get("kind")
            if let kind, !self.profile.organisationKinds.contains(kind) {
                throw GuichetError.invalid("unknown organisation kind (expected one of: \(self.profile.organisationKinds.joined(separator: ", ")))")
            }
            return Reply.json(.object(["organisations": .array(try await self.store.organisations(kind: kind).map(Wire.organisation))]))
        }
        r.on(.get, "/v1/statistics") { _, _ in try await self.statistics() }

        r.on(.get, "/v1/dossiers") { req, ctx in try await self.search(req, ctx) }
        r.on(.post, "/v1/dossiers") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            var body = try await JSONBody.read(req)
            let input = try Self.dossierInput(&body)
            try body.finish()
            return Reply.json(Wire.write(try await self.gate.create(input, g)), status: .created)
        }
        r.on(.get, "/v1/dossiers/:id") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            return Reply.json(Wire.dossier(try await self.gate.read(try ctx.parameters.identifier("id"), g)))
        }
        r.on(.patch, "/v1/dossiers/:id") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let id: DossierID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let version = try body.optionalInt("version")
            let fields = try body.optionalObject("fields") ?? [:]
            let partners = try body.optionalArray("partners").map { try $0.map { try JSONBody.identifier($0, "partners") as OrganisationID } }
            try body.finish()
            return Reply.json(Wire.write(try await self.gate.update(id, DossierChanges(fields: fields, partners: partners, expectedVersion: version), g)))
        }
        // A step takes no body, or `{"version": N}` (the version the caller read): a body that is
        // anything else is refused before anything changes (an API audit withdrew a file with
        // a truncated body).
        r.on(.post, "/v1/dossiers/:id/withdraw") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            var body = try await JSONBody.readIfAny(req)
            let version = try body.optionalInt("version")
            try body.finish()
            return Reply.json(Wire.write(try await self.gate.transition(try ctx.parameters.identifier("id"), "withdraw", g, expectedVersion: version)))
        }
        r.on(.post, "/v1/dossiers/:id/transitions/:name") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let name = ctx.parameters.get("name") ?? ""
            let id: DossierID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.readIfAny(req)
            let version = try body.optionalInt("version")
            try body.finish()
            let written = try await self.gate.transition(id, name, g, expectedVersion: version)
            // A notice the transition owes is in the outbox already: wake its sender.
            self.noticeNudge.wake()
            return Reply.json(Wire.write(written))
        }
        r.on(.get, "/v1/persons/:id") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let p = try await self.gate.readPerson(try ctx.parameters.identifier("id"), g)
            return Reply.json(.object(["id": .string(p.id.rawValue), "version": .number(Double(p.version)), "fields": Wire.fields(p.fields)]))
        }
        r.on(.patch, "/v1/persons/:id") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let id: PersonID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let version = try body.optionalInt("version")
            let fields = try body.optionalObject("fields") ?? [:]
            try body.finish()
            let newVersion = try await self.gate.updatePerson(id, fields: fields, expectedVersion: version, g)
            return Reply.json(.object(["id": .string(id.rawValue), "version": .number(Double(newVersion))]))
        }
    }

    static func dossierInput(_ body: inout JSONBody) throws -> DossierInput {
        let type = try body.string("type")
        let fields = try body.optionalObject("fields") ?? [:]
        var persons: [PersonInput] = []
        for (i, item) in (try body.optionalArray("persons") ?? []).enumerated() {
            guard case .object(let o) = item else { throw GuichetError.invalid("'persons[\(i)]' must be an object") }
            var p = JSONBody(object: o, path: "persons[\(i)]")
            let role = try p.string("role")
            let isCaller: Bool
            switch p.optional("self") {
            case nil: isCaller = false
            case .bool(let b)?: isCaller = b
            default: throw GuichetError.invalid("'persons[\(i)].self' must be true or false")
            }
            if isCaller {
                persons.append(.caller(role: role))
            } else {
                persons.append(.new(role: role, fields: try p.optionalObject("fields") ?? [:]))
            }
            try p.finish()
        }
        let partners: [OrganisationID] = try (body.optionalArray("partners") ?? []).map { try JSONBody.identifier($0, "partners") }
        return DossierInput(type: type, fields: fields, persons: persons, partners: partners)
    }

    func search(_ req: Request, _ ctx: GuichetContext) async throws -> Response {
        let g = try await gateRequest(req, ctx)
        var criteria: [String: String] = [:]
        var type: String?, status: String?, after: DossierID?, limit = 20
        for (key, value) in req.uri.queryParameters {
            let k = String(key), v = String(value)
            guard criteria[k] == nil else { throw GuichetError.invalid("'\(k)' is given twice") }
            switch k {
            case "type": type = v
            case "status": status = v
            case "after":
                guard let id = DossierID(validating: v) else { throw GuichetError.invalid("'after' is not a valid cursor") }
                after = id
            case "limit":
                guard let l = Int(v) else { throw GuichetError.invalid("'limit' must be a whole number") }
                limit = l
            default: criteria[k] = v
            }
        }
        let dossierType = type ?? (profile.dossierTypes.count == 1 ? profile.dossierTypes.keys.first! : "")
        let page = try await gate.search(type: dossierType, status: status, criteria: criteria, after: after, limit: limit, g)
        return Reply.json(.object(["dossiers": .array(page.views.map(Wire.dossier)),
                                   "next": page.next.map { .string($0.rawValue) } ?? .null]))
    }

    /// Self-registration of a citizen: their person and account, nothing else.
    func register(_ req: Request, _ ctx: GuichetContext) async throws -> Response {
        var body = try await JSONBody.read(req)
        let username = try body.string("username"), password = try body.string("password")
        guard let personFields = try body.optionalObject("person") else { throw GuichetError.invalid("'person' is required") }
        try body.finish()
        guard let role = registrationRole else { throw GuichetError.forbidden("this deployment has no self-registration") }
        // The same answer whether the name was free or taken (as the page): a taken name gets
        // identifiers that name nothing, and nothing is written. A 409 told anyone which names
        // exist, administrators' and security officers' too, which the sign-in hides (a
        // hostile citizen's audit).
        let created = try await registerCitizen(username: username, password: password, person: personFields, role: role, source: ctx.source)
        return Self.registered(account: created?.account ?? AccountID(), person: created?.person ?? PersonID(), role: role)
    }

    /// The answer to a registration, the same for a name that was free and one that was taken.
    static func registered(account: AccountID, person: PersonID, role: String) -> Response {
        Reply.json(.object(["account": .string(account.rawValue), "person": .string(person.rawValue), "role": .string(role),
                            "next": .string("sign in with this user name and password at POST /v1/session; if signing in fails, the name was already taken: register again with another name")]),
                   status: .created)
    }

    /// Counts of dossiers by state and the profile's figures, suppressed together
    /// (``Gate/publishedStatisticsWithStates()``), computed again only after a change, or a
    /// minute (``StatisticsCache``): a burst of anonymous requests costs one count.
    func statistics() async throws -> Response { Reply.json(try await statisticsAnswer()) }

    /// The statistics as published (``statistics()``), from the cache when nothing changed.
    func statisticsAnswer() async throws -> JSON {
        // The counter is read before the count: a change during it makes the next request count again.
        let changes = gate.changes.current
        if let fresh = statisticsCache.fresh(at: Date(), changes: changes) { return fresh }
        let (figures, states) = try await gate.publishedStatisticsWithStates()
        var types: [String: JSON] = [:]
        for (name, byState) in states {
            types[name] = .object(["byStatus": .object(byState.mapValues { $0.map { .number(Double($0)) } ?? .null })])
        }
        let answer = JSON.object([
            "definition": .string("Number of dossiers of each type in each workflow state at the time of the request. Each dossier counts once, in its current state; "
                                  + "counts from 1 to \(profile.statistics.threshold - 1), and others that would let them be worked out with the figures, are null."),
            "dossiers": .object(types),
            "figures": .array(figures.map(Self.figure)),
        ])
        statisticsCache.keep(answer, at: Date(), changes: changes)
        return answer
    }

    /// A published figure (docs/LIFECYCLE.md, "Statistics"): suppressed entries are null.
    static func figure(_ p: PublishedFigure) -> JSON {
        func n(_ v: Int?) -> JSON { v.map { .number(Double($0)) } ?? .null }
        let t = p.table
        return .object(["id": .string(p.figure.id), "dossiers": .string(p.figure.dossierType),
                        "states": .array(p.figure.states.map(JSON.string)),
                        "definition": .object(p.figure.definition.mapValues(JSON.string)),
                        "rows": .object(["by": .string(p.figure.rows.rawValue), "values": .array(t.rows.map(JSON.string))]),
                        "columns": .object(["by": .string(p.figure.columns.rawValue), "values": .array(t.columns.map(JSON.string))]),
                        "cells": .array(t.cells.map { .array($0.map(n)) }), "rowTotals": .array(t.rowTotals.map(n)),
                        "columnTotals": .array(t.columnTotals.map(n)), "total": n(t.total)])
    }
}
