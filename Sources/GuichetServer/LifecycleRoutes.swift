import GuichetCore
import GuichetGate
import GuichetBreach
import GuichetAuth
import Hummingbird
import Foundation

/// Data lifecycle routes (issue 20, docs/LIFECYCLE.md): archive reads asked by staff and
/// approved by a second person, erasure requests and their receipts, a citizen's export.
extension GuichetServer {
    func addLifecyclePublicRoutes(_ r: RouteRecorder) {
        r.on(.post, "/v1/dossiers/:id/archive-reads") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            var body = try await JSONBody.read(req)
            let reference = try body.string("reference")
            try body.finish()
            return Reply.json(Self.archiveRead(try await self.gate.requestArchiveRead(try ctx.parameters.identifier("id"), reference: reference, g)),
                              status: .created)
        }
        r.on(.get, "/v1/me/export") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            return Reply.json(try await self.citizenExport(g, language: self.profile.defaultLanguage))
        }
        // An access request answered by staff for someone else (#20 item 3): through the gate,
        // for a role and purpose the profile allows, journalled.
        r.on(.post, "/v1/persons/:id/export") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let person: PersonID = try ctx.parameters.identifier("id")
            var body = try await JSONBody.read(req)
            let reference = try body.string("reference")
            try body.finish()
            let export = try await self.gate.exportOnBehalf(of: person, reference: reference, g)
            let history = try await BreachResponse.history(of: person, account: nil, gate: self.gate, store: self.store,
                                                           language: self.profile.defaultLanguage, after: nil, limit: self.limits.historyPage)
            return Reply.json(Self.exportJSON(export, history: history))
        }
    }

    /// A signed-in citizen's own data, through the gate (each read journalled), with the first
    /// page of their access history: the API's answer and the page's download alike.
    func citizenExport(_ g: GateRequest, language: String) async throws -> JSON {
        let export = try await gate.exportOwnData(g)
        guard let person = g.principal.person else { throw GuichetError.forbidden("the export is of a citizen's own data") }
        let history = try await BreachResponse.history(of: person, account: g.principal.account, gate: gate, store: store,
                                                       language: language, after: nil, limit: limits.historyPage)
        return Self.exportJSON(export, history: history)
    }

    static func exportJSON(_ export: CitizenExport, history: JSON) -> JSON {
        let own: JSON = export.person.map { .object(["id": .string($0.id.rawValue), "version": .number(Double($0.version)), "fields": Wire.fields($0.fields)]) } ?? .null
        return .object(["exportedAt": Wire.timestamp(Date()), "person": own,
                        "dossiers": .array(export.dossiers.map(Wire.dossier)), "accessHistory": history])
    }

    func addLifecycleAdminRoutes(_ r: RouteRecorder) {
        r.on(.get, "/admin/v1/archive-reads") { req, _ in
            let p = try await self.principal(req, admin: true)
            return Reply.json(.object(["requests": .array(try await self.gate.pendingArchiveReads(p).map(Self.archiveRead))]))
        }
        r.on(.post, "/admin/v1/archive-reads/:id/approve") { req, ctx in
            let p = try await self.principal(req, admin: true)
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid request id") }
            return Reply.json(Self.archiveRead(try await self.gate.approveArchiveRead(id, p, requestID: Self.requestID())))
        }
        r.on(.post, "/admin/v1/erasures") { req, _ in
            let p = try await self.principal(req, admin: true)
            try self.auth.requireStepUp(p)
            var body = try await JSONBody.read(req)
            let person: PersonID = try JSONBody.identifier(.string(try body.string("person")), "person")
            let reference = try body.string("reference")
            try body.finish()
            let receipt = try await self.gate.eraseOnRequest(person: person, reference: reference, p, requestID: Self.requestID())
            return Reply.json(try JSONParser.parse(Array(try receipt.json().utf8)), status: .created)
        }
        r.on(.get, "/admin/v1/erasures/:id") { req, ctx in
            let p = try await self.principal(req, admin: true)
            guard self.profile.retention.erasureOfficers.contains(p.role) else { throw GuichetError.forbidden("your role may not read erasure receipts") }
            guard let id = ctx.parameters.get("id"), id.count <= 64, let receipt = try await self.gate.erasureReceipt(id) else { throw GuichetError.notFound }
            return Reply.json(try JSONParser.parse(Array(try receipt.json().utf8)))
        }
    }

    static func archiveRead(_ a: ArchiveReadRequest) -> JSON {
        .object(["id": .string(a.id), "dossier": .string(a.dossier.rawValue), "account": .string(a.account.rawValue),
                 "purpose": .string(a.purpose), "reference": .string(a.reference), "approved": .bool(a.approved),
                 "expiresAt": a.expiresAt.map(Wire.timestamp) ?? .null])
    }
}
