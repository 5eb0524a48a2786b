import GuichetCore
import GuichetAuth
import GuichetGate
import GuichetLedger
import GuichetStore
import GuichetBreach
import GuichetMerkle
import GuichetMail
import Hummingbird
import NIOCore
import Foundation

extension GuichetServer {
    /// The contact point named in letters and reports: the deployment's security contact;
    /// empty when none is configured (the letters then say it is to be completed and are not
    /// sent, and the report says "to be completed").
    public var breachContact: String {
        securityTxt?.contacts.map { $0.hasPrefix("mailto:") ? String($0.dropFirst(7)) : $0 }.joined(separator: ", ") ?? ""
    }

    /// A security officer (role kind `security`) with a fresh second factor.
    func securityOfficer(_ request: Request) async throws -> Principal {
        let p = try await principal(request, admin: true)
        guard p.kind == .security else { throw GuichetError.forbidden("breach response is for security officers") }
        try auth.requireStepUp(p)
        return p
    }

    static func text(_ body: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    /// The scope asked in a query string. `account` may be given several times (an incident of
    /// several accounts: an operator's audit found the last one kept, silently), each an id or
    /// a user name; any other parameter once.
    func scopeQuery(_ request: Request) async throws -> ScopeQuery {
        let known: Set<String> = ["account", "session", "source", "from", "to", "format", "timeline"]
        var o: [String: JSON] = [:]
        var accounts: [JSON] = []
        var seen = Set<String>()
        for (key, value) in request.uri.queryParameters {
            let k = String(key)
            guard known.contains(k) else { throw GuichetError.invalid("unknown parameter '\(GuichetError.echo(k))' (expected: \(known.sorted().joined(separator: ", ")))") }
            if k == "account" {
                guard accounts.count < ScopeQuery.maxAccounts else { throw GuichetError.invalid("'account' is given more than \(ScopeQuery.maxAccounts) times") }
                accounts.append(.string(try await BreachResponse.account(named: String(value), store: store).rawValue))
                continue
            }
            guard seen.insert(k).inserted else { throw GuichetError.invalid("'\(k)' is given twice") }
            if ["session", "source", "from", "to"].contains(k) { o[k] = .string(String(value)) }
        }
        if !accounts.isEmpty { o["accounts"] = .array(accounts) }
        return try ScopeQuery(json: .object(o))
    }

    /// An incident's body with the accounts of its scope given by id, as the scope query takes
    /// them by id or user name (an incident audit: a scope of user names was refused on
    /// registration, with a message naming the wrong key).
    func namingAccountsByID(_ body: JSON) async throws -> JSON {
        guard var o = body.object, var scope = o["scope"]?.object else { return body }
        if let name = scope["account"]?.string { scope["account"] = .string(try await BreachResponse.account(named: name, store: store).rawValue) }
        if let list = scope["accounts"]?.array, list.count <= ScopeQuery.maxAccounts {
            var ids: [JSON] = []
            for item in list {
                guard let name = item.string else { return body }  // the scope's own check says what is wrong
                ids.append(.string(try await BreachResponse.account(named: name, store: store).rawValue))
            }
            scope["accounts"] = .array(ids)
        }
        o["scope"] = .object(scope)
        return .object(o)
    }

    /// Breach response (security officers, admin listener): scope, register, report, letters.
    func addBreachRoutes(_ r: RouteRecorder) {
        let register = BreachRegister(store: store)
        r.on(.get, "/admin/v1/breach/scope") { req, _ in
            _ = try await self.securityOfficer(req)
            let query = try await self.scopeQuery(req)
            let scope = try await BreachResponse.scopeNow(self.gate, query)
            switch req.uri.queryParameters.get("format") ?? "json" {
            case "json": return Reply.json(scope.json(timeline: req.uri.queryParameters.get("timeline") == "true"))
            case "csv": return Self.text(scope.csv(), type: "text/csv; charset=utf-8")
            default: throw GuichetError.invalid("'format' must be json or csv")
            }
        }
        r.on(.get, "/admin/v1/breach/incidents") { req, _ in
            _ = try await self.securityOfficer(req)
            switch req.uri.queryParameters.get("format") ?? "json" {
            case "json": return Reply.json(try await register.exportJSON())
            case "csv": return Self.text(try await register.exportCSV(), type: "text/csv; charset=utf-8")
            default: throw GuichetError.invalid("'format' must be json or csv")
            }
        }
        r.on(.post, "/admin/v1/breach/incidents") { req, _ in
            let officer = try await self.securityOfficer(req)
            let input = try IncidentInput(json: try await self.namingAccountsByID(try await JSONBody.read(req).json))
            return Reply.json(try await register.register(input, by: officer.account).json, status: .created)
        }
        r.on(.get, "/admin/v1/breach/incidents/:id") { req, ctx in
            _ = try await self.securityOfficer(req)
            let incident = try await register.incident(ctx.parameters.get("id") ?? "")
            var o = incident.json.object ?? [:]
            o["changes"] = .array(try await self.store.incidentChanges(incident.id).map { c in
                .object(["at": .string(ScopeFormat.time(c.at)), "by": c.by.map { .string($0.rawValue) } ?? .null, "change": .string(c.change)])
            })
            return Reply.json(.object(o))
        }
        r.on(.patch, "/admin/v1/breach/incidents/:id") { req, ctx in
            let officer = try await self.securityOfficer(req)
            let id = ctx.parameters.get("id") ?? ""
            _ = try await register.incident(id)
            let o = try await JSONBody.read(req).json.object ?? [:]
            let known: Set<String> = ["status", "remedial", "effects", "notifiedAuthorityAt"]
            if let unknown = o.keys.sorted().first(where: { !known.contains($0) }) {
                throw GuichetError.invalid("unknown key '\(GuichetError.echo(unknown))' (expected: \(known.sorted().joined(separator: ", ")))")
            }
            func text(_ k: String) throws -> String? {
                guard let v = o[k], v != .null else { return nil }
                guard let s = v.string else { throw GuichetError.invalid("'\(k)' must be a string") }
                return s
            }
            let notified = try text("notifiedAuthorityAt").map { try ScopeFormat.parseTime($0, "notifiedAuthorityAt") }
            let updated = try await register.update(id, status: try text("status"), remedial: try text("remedial"), effects: try text("effects"),
                                                    notifiedAuthorityAt: notified, by: officer.account)
            return Reply.json(updated.json)
        }
        r.on(.get, "/admin/v1/breach/incidents/:id/report") { req, ctx in
            _ = try await self.securityOfficer(req)
            let language = req.uri.queryParameters.get("language") ?? "en"
            guard RegulatorReport.languages.contains(language) else { throw GuichetError.invalid("'language' must be fr or en") }
            let (incident, scope, report) = try await BreachResponse.report(incident: ctx.parameters.get("id") ?? "", gate: self.gate,
                                                                            store: self.store, contact: self.breachContact)
            return Reply.json(.object(["incident": .string(incident.id), "deadline": .string(ScopeFormat.time(report.deadline)),
                                       "hoursSinceDetection": .number((report.hoursSinceDetection * 10).rounded() / 10),
                                       "checkpoint": scope.checkpoint.json, "markdown": .string(report.markdown(language: language))]))
        }
        r.on(.post, "/admin/v1/breach/incidents/:id/letters") { req, ctx in
            let (incident, scope, batch, _) = try await self.letterBatch(req, ctx)
            return Reply.json(.object([
                "incident": .string(incident.id), "article34_3a": .bool(batch.article34Exemption), "note": .string(batch.note),
                "checkpoint": scope.checkpoint.json,
                "unreachable": .array(batch.unreachable.map { .string($0.rawValue) }),
                "damaged": .array(batch.damaged.map { .string($0.rawValue) }),
                "letters": .array(batch.letters.map { l in
                    .object(["person": .string(l.person.rawValue), "language": .string(l.language), "subject": .string(l.subject),
                             "fields": .array(l.fieldLabels.map(JSON.string)),
                             "recipients": .array(l.recipients.map { .object(["person": .string($0.person.rawValue), "name": .string($0.name),
                                                                              "email": $0.email.map(JSON.string) ?? .null,
                                                                              "address": $0.address.map(JSON.string) ?? .null]) }),
                             "html": .string(l.html)])
                }),
            ]))
        }
        r.on(.post, "/admin/v1/breach/incidents/:id/letters/send") { req, ctx in
            let (incident, _, batch, g) = try await self.letterBatch(req, ctx, sending: true)
            guard let mailer = self.auth.mailer else { throw GuichetError.unavailable(MailError.notConfigured.description) }
            let delivery = try await BreachResponse.send(batch, with: mailer, store: self.store, by: g.principal.account, via: "")
            return Reply.json(.object([
                "incident": .string(incident.id), "article34_3a": .bool(batch.article34Exemption), "note": .string(batch.note),
                "sent": .number(Double(delivery.sent)),
                "withoutEmail": .array(delivery.withoutEmail.map { .string($0.rawValue) }),
                "unreachable": .array(batch.unreachable.map { .string($0.rawValue) }),
                "failed": .array(delivery.failed.map { .object(["person": .string($0.person.rawValue), "to": .string($0.to), "reason": .string($0.reason)]) }),
            ]))
        }
    }

    /// The letters of an incident, for a security officer who stated the purpose
    /// `breach-notification` (names and contacts are opened through the gate).
    func letterBatch(_ req: Request, _ ctx: GuichetContext, sending: Bool = false) async throws -> (BreachIncidentRecord, BreachScope, LetterBatch, GateRequest) {
        let g = try await self.gateRequest(req, ctx, admin: true)
        guard g.principal.kind == .security else { throw GuichetError.forbidden("breach response is for security officers") }
        try self.auth.requireStepUp(g.principal)
        // Only an officer allowed to send learns that the deployment has no mail relay, and
        // before any name or contact is opened.
        if sending, self.auth.mailer == nil { throw GuichetError.unavailable(MailError.notConfigured.description) }
        let (incident, scope, batch) = try await BreachResponse.letters(incident: ctx.parameters.get("id") ?? "", gate: self.gate, store: self.store,
                                                                       contact: self.breachContact, language: req.uri.queryParameters.get("language"), g)
        return (incident, scope, batch, g)
    }

    /// A signed-in citizen's access history (C15): every access to their own dossiers, with
    /// proofs against the latest signed checkpoint.
    func addHistoryRoutes(_ r: RouteRecorder) {
        r.on(.get, "/v1/me/access-history") { req, _ in
            let p = try await self.principal(req, admin: false)
            guard p.kind == .citizen, let person = p.person else { throw GuichetError.forbidden("the access history is for citizens' own dossiers") }
            guard p.mayReachPersonalData else { throw GuichetError.forbidden("your account has a second factor: verify it first (POST /v1/session/totp or a passkey)") }
            let language = req.uri.queryParameters.get("language") ?? self.profile.defaultLanguage
            guard ["fr", "en"].contains(language) else { throw GuichetError.invalid("'language' must be fr or en") }
            // One page at a time: at most `limits.historyPage` entries, hence proofs, per request.
            let page = self.limits.historyPage
            let after = try req.uri.queryParameters.get("after").map { text -> Int64 in
                guard let n = Int64(text), n >= 0 else { throw GuichetError.invalid("'after' must be a whole number (the 'next' of the previous page)") }
                return n
            }
            let limit = try req.uri.queryParameters.get("limit").map { text -> Int in
                guard let n = Int(text), (1...page).contains(n) else { throw GuichetError.invalid("'limit' must be a whole number from 1 to \(page)") }
                return n
            } ?? page
            // With its proofs, the heaviest thing a citizen asks for: one at a time on the server.
            let history = try await self.citizenHeavy.run(for: p.account.rawValue) {
                try await BreachResponse.history(of: person, account: p.account, gate: self.gate, store: self.store, language: language,
                                                 after: after, limit: limit)
            }
            return Reply.json(history)
        }
    }
}
