import GuichetCore
import GuichetGate
import GuichetBreach
import GuichetAuth
import GuichetStore
import Hummingbird
import NIOCore
import HTTPTypes
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
        r.on(.post, "/v1/exports") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            var body = try await JSONBody.read(req)
            guard let key = Data(base64Encoded: try body.string("recipientKey")) else {
                throw GuichetError.invalid("'recipientKey' is a raw X25519 public key (32 bytes), in base64")
            }
            try body.finish()
            let file = try await self.gate.exportCaseload(recipientKey: key, g)
            var response = Response(status: .created, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: file.data)))
            response.headers[.contentDisposition] = "attachment; filename=\"guichet-export-\(file.id).json\""
            return response
        }
        r.on(.get, "/v1/exports") { req, _ in
            let p = try await self.principal(req, admin: false)
            guard self.profile.exports[p.role] != nil else { throw GuichetError.forbidden("your role may not export data") }
            return Reply.json(.object(["exports": .array(try await self.gate.exports(of: p).map(Self.export))]))
        }
        r.on(.get, "/v1/me/export") { req, ctx in
            let g = try await self.gateRequest(req, ctx)
            let language = self.profile.defaultLanguage
            return Reply.json(try await self.citizenHeavy.run(for: g.principal.account.rawValue) { try await self.citizenExport(g, language: language) })
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
        r.on(.post, "/admin/v1/export-leaks") { req, _ in
            let p = try await self.principal(req, admin: true)
            guard p.kind == .security else { throw GuichetError.forbidden("only a security officer traces a leaked export") }
            try Gate.requireSecondFactor(p)
            var body = try await JSONBody.read(req)
            guard let rows = try body.optionalArray("rows"), !rows.isEmpty, rows.count <= Gate.maxExportDossiers + 1_000 else {
                throw GuichetError.invalid("'rows' is the list of the leaked file's row ids")
            }
            try body.finish()
            let ids = try rows.map { row -> String in
                guard let id = row.string, id.count <= 64 else { throw GuichetError.invalid("'rows' holds row ids (text)") }
                return id
            }
            return Reply.json(.object(["exports": .array(try await self.gate.identifyLeak(rowIDs: ids).map(Self.export))]))
        }
        r.on(.get, "/admin/v1/archive-reads") { req, _ in
            let p = try await self.principal(req, admin: true)
            return Reply.json(.object(["requests": .array(try await self.gate.pendingArchiveReads(p).map(Self.archiveRead))]))
        }
        r.on(.post, "/admin/v1/archive-reads/:id/approve") { req, ctx in
            let p = try await self.principal(req, admin: true)
            try self.auth.requireStepUp(p)  // a change: a fresh second factor, as an erasure
            guard let id = ctx.parameters.get("id"), id.count <= 64 else { throw GuichetError.invalid("'id' is not a valid request id") }
            // Past the approver's ceiling of approvals: a fresh second factor and this reason.
            return Reply.json(Self.archiveRead(try await self.gate.approveArchiveRead(id, p, requestID: Self.requestID(), source: ctx.source,
                                                                                     justification: req.headers[Self.justificationHeader])))
        }
        r.on(.post, "/admin/v1/erasures") { req, ctx in
            let p = try await self.principal(req, admin: true)
            try self.auth.requireStepUp(p)
            var body = try await JSONBody.read(req)
            let person: PersonID = try JSONBody.identifier(.string(try body.string("person")), "person")
            let reference = try body.string("reference")
            try body.finish()
            let receipt = try await self.gate.eraseOnRequest(person: person, reference: reference, p, requestID: Self.requestID(), source: ctx.source,
                                                             justification: req.headers[Self.justificationHeader])
            return Reply.json(try JSONParser.parse(Array(try receipt.json().utf8)), status: .created)
        }
        r.on(.get, "/admin/v1/erasures/:id") { req, ctx in
            let p = try await self.principal(req, admin: true)
            guard self.profile.retention.erasureOfficers.contains(p.role) else { throw GuichetError.forbidden("your role may not read erasure receipts") }
            try Gate.requireSecondFactor(p)
            guard let id = ctx.parameters.get("id"), id.count <= 64, let receipt = try await self.gate.erasureReceipt(id) else { throw GuichetError.notFound }
            return Reply.json(try JSONParser.parse(Array(try receipt.json().utf8)))
        }
    }

    static func export(_ e: PartnerExportRecord) -> JSON {
        .object(["id": .string(e.id), "account": .string(e.account.rawValue), "createdAt": Wire.timestamp(e.createdAt),
                 "expiresAt": Wire.timestamp(e.expiresAt), "dossiers": .number(Double(e.dossiers)), "persons": .number(Double(e.persons)),
                 "ledgerIndex": .number(Double(e.ledgerIndex))])
    }

    static func archiveRead(_ a: ArchiveReadRequest) -> JSON {
        .object(["id": .string(a.id), "dossier": .string(a.dossier.rawValue), "account": .string(a.account.rawValue),
                 "purpose": .string(a.purpose), "reference": .string(a.reference), "approved": .bool(a.approved),
                 "expiresAt": a.expiresAt.map(Wire.timestamp) ?? .null])
    }
}
