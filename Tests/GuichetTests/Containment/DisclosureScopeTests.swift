import Foundation
import Testing
import GuichetCore
import GuichetLedger
import GuichetStore
import GuichetServer
import Synchronization
import Crypto
import GuichetGate

/// Scope = exposure, route by route (#22): for every route that returns personal fields, the
/// breach scope of the account that called it names exactly the persons and fields that came
/// back. Every route of both listeners is classified below; a new route fails
/// `everyRouteIsClassified` until it is put in one list (and, if it discloses, given a case).
@Suite(.serialized) struct DisclosureScopeTests {
    /// Routes that return personal fields, each with the case that checks it.
    static let disclosing: [String] = [
        "GET /v1/dossiers",
        "GET /v1/dossiers/{id}",
        "GET /v1/persons/{id}",
        "GET /admin/v1/dossiers/{id}/versions/{version}",
        "GET /v1/me/export",
        "POST /v1/persons/{id}/export",
        "POST /admin/v1/breach/incidents/{id}/letters",
        "POST /admin/v1/breach/incidents/{id}/letters/send",
        "GET /v1/organisations/{id}/waiting-list",
        "POST /v1/exports",
    ]

    /// Routes that return no person's field (their own account, ids, counts, ledger hashes,
    /// alerts, or nothing but a status).
    static let notDisclosing: Set<String> = [
        "GET /", "GET /assets/citizen.css", "GET /assets/citizen.js", "GET /.well-known/security.txt", "GET /healthz", "GET /readyz", "GET /openapi.json", "GET /v1/ledger/checkpoint", "GET /v1/ledger/key",
        "GET /v1/me", "GET /v1/me/access-history", "GET /v1/me/notices", "GET /v1/organisations", "GET /v1/statistics",
        "POST /v1/accounts", "POST /v1/session", "DELETE /v1/session", "DELETE /v1/me/sessions", "POST /v1/dossiers",
        "PATCH /v1/dossiers/{id}", "PATCH /v1/persons/{id}", "POST /v1/dossiers/{id}/break-glass",
        "POST /v1/dossiers/{id}/transitions/{name}", "POST /v1/dossiers/{id}/withdraw",
        "POST /v1/me/mfa/totp", "POST /v1/me/mfa/webauthn", "POST /v1/me/mfa/webauthn/challenge", "POST /v1/password-reset",
        "POST /v1/session/recovery", "POST /v1/session/totp", "POST /v1/session/webauthn", "POST /v1/session/webauthn/challenge",
        "PUT /v1/me/contact",
        "GET /metrics", "GET /admin/v1/accounts", "POST /admin/v1/accounts", "POST /admin/v1/accounts/{id}/password-reset",
        "POST /admin/v1/accounts/{id}/reinstate", "POST /admin/v1/accounts/{id}/suspend", "POST /admin/v1/accounts/{id}/role", "GET /admin/v1/breach/incidents",
        "POST /admin/v1/breach/incidents", "GET /admin/v1/breach/incidents/{id}", "PATCH /admin/v1/breach/incidents/{id}",
        "GET /admin/v1/breach/incidents/{id}/report", "GET /admin/v1/breach/scope", "GET /admin/v1/break-glass",
        "POST /admin/v1/break-glass/{id}/review", "GET /admin/v1/dossiers/{id}/versions",
        "POST /admin/v1/dossiers/{id}/versions/{version}/restore", "GET /admin/v1/persons/{id}/versions",
        "POST /admin/v1/persons/{id}/versions/{version}/restore", "GET /admin/v1/ledger/consistency",
        "GET /admin/v1/ledger/entries/{index}", "POST /admin/v1/ledger/checkpoints", "GET /admin/v1/policy/explain",
        "GET /admin/v1/requests", "POST /admin/v1/requests/{id}/approve", "POST /admin/v1/session", "DELETE /admin/v1/session",
        "GET /admin/v1/watch/alerts", "POST /admin/v1/watch/alerts/{id}/acknowledge", "GET /admin/v1/watch/persons",
        "PUT /admin/v1/watch/persons/{id}", "DELETE /admin/v1/watch/persons/{id}", "GET /admin/v1/watch/suspensions",
        "GET /admin/v1/me/notices", "POST /admin/v1/accounts/{id}/activation", "GET /admin/v1/activations",
        "POST /admin/v1/activations/{id}/approve", "POST /admin/v1/accounts/{id}/factors/reset",
        "POST /admin/v1/me/mfa/totp", "POST /admin/v1/me/mfa/webauthn", "POST /admin/v1/me/mfa/webauthn/challenge",
        "POST /admin/v1/password-reset", "POST /admin/v1/session/recovery", "POST /admin/v1/session/totp",
        "POST /admin/v1/session/webauthn", "POST /admin/v1/session/webauthn/challenge", "PUT /admin/v1/me/contact",
        // Provisioning (issue 16): territories, organisations, caseloads as dossier ids, a
        // deactivation's status; a claim code and, once claimed, the account and person ids.
        "GET /admin/v1/territories", "POST /admin/v1/territories", "POST /admin/v1/organisations", "POST /admin/v1/organisations/{id}/capacity",
        "POST /admin/v1/accounts/{id}/deactivate", "GET /admin/v1/accounts/{id}/caseload", "POST /admin/v1/accounts/{id}/caseload",
        "POST /admin/v1/accounts/{id}/caseload/transfer", "POST /v1/persons/{id}/claim-code", "POST /v1/accounts/claim",
        // A dossier's ranks: organisation ids and numbers (issue 16, R1).
        "GET /v1/dossiers/{id}/rank",
        // OpenID Connect sign-in (issue 21): a redirect to the provider, then a session.
        "GET /oidc/{provider}/start", "GET /oidc/{provider}/callback",
        // Data lifecycle (issue 20): archive read requests and approvals (ids, purpose, reference),
        // erasure receipts (ids and field names).
        "POST /v1/dossiers/{id}/archive-reads", "GET /admin/v1/archive-reads", "POST /admin/v1/archive-reads/{id}/approve",
        "POST /admin/v1/erasures", "GET /admin/v1/erasures/{id}",
        // Partner exports: the caller's exports (ids, dates, counts); a leak's exports.
        "GET /v1/exports", "POST /admin/v1/export-leaks",
        // The owner's password change: nothing returned.
        "POST /v1/me/password", "POST /admin/v1/me/password",
    ]

    @Test("every route of both listeners is classified as disclosing (with its scope case) or not")
    func everyRouteIsClassified() {
        let routes = (OpenAPIRoutes.public + OpenAPIRoutes.admin).map(\.description)
        let known = Set(Self.disclosing).union(Self.notDisclosing)
        let unknown = routes.filter { !known.contains($0) }
        #expect(unknown.isEmpty, "classify these routes in DisclosureScopeTests (and give a disclosing one its scope case): \(unknown)")
        for route in Self.disclosing { #expect(routes.contains(route), "\(route) is no longer a route") }
    }

    static let accounts: [(username: String, role: String, kind: String)] = [
        ("agent", "agent", "operator"), ("admin", "admin", "operator"), ("security", "security", "operator"),
    ]

    /// The persons and field paths the account's breach scope names.
    static func scoped(_ world: StolenAccountWorld, _ username: String) async throws -> [String: Set<String>] {
        let scope = try await world.scope(of: username)
        return Dictionary(uniqueKeysWithValues: scope.persons.map { ($0.person.rawValue, Set($0.fields)) })
    }

    @Test("the breach scope equals what each disclosing route returned", arguments: disclosing)
    func scopeEqualsExposure(_ route: String) async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 40, accounts: Self.accounts)
        defer { world.remove() }
        let ids = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 40))
        let records = try await world.store.dossiers(Array(ids.prefix(6)))
        let box = Mutex<[String: Set<String>]>([:])
        var actor = "agent"
        let agentSecret = try await world.enrol("agent")
        let agent = try await world.signIn("agent", secret: agentSecret)
        let purpose = ["Guichet-Purpose": "family-request"]
        switch route {
        case "GET /v1/dossiers/{id}":
            try await world.withPublic { client in
                var got: [String: Set<String>] = [:]
                for r in records {
                    let reply = try await client.send(.get, "/v1/dossiers/\(r.id)", token: agent, headers: purpose)
                    #expect(reply.status == .ok)
                    got.merge(personsReceived(reply)) { $0.union($1) }
                }
                box.withLock { $0 = got }
            }
        case "GET /v1/dossiers":
            // A parent's own applications come back whole (their own family); staff get the summary.
            let parent = try #require(records[0].persons.first { $0.role == "parent" }?.person)
            _ = try await world.auth.createAccount(username: "parent", password: World.password, role: "parent", person: parent, createdBy: nil)
            let token = try await world.auth.signIn(username: "parent", password: World.password).token
            actor = "parent"
            try await world.withPublic { client in
                let mine = try await client.send(.get, "/v1/dossiers?type=application", token: token)
                #expect(mine.status == .ok && !personsReceived(mine).isEmpty)
                box.withLock { $0 = personsReceived(mine) }
                let staff = try await client.send(.get, "/v1/dossiers?type=application&limit=100", token: agent, headers: purpose)
                #expect(staff.status == .ok && personsReceived(staff).isEmpty, "a staff listing is the summary only")
            }
        case "GET /v1/me/export":
            // A citizen's export: their dossiers whole (their own family) and their own person.
            let parent = try #require(records[0].persons.first { $0.role == "parent" }?.person)
            _ = try await world.auth.createAccount(username: "parent", password: World.password, role: "parent", person: parent, createdBy: nil)
            let token = try await world.auth.signIn(username: "parent", password: World.password).token
            actor = "parent"
            try await world.withPublic { client in
                let reply = try await client.send(.get, "/v1/me/export", token: token)
                #expect(reply.status == .ok && !personsReceived(reply).isEmpty, "\(reply.text)")
                var got = personsReceived(reply)
                let own = reply["person"]?.object?["fields"]?.object?.keys.map { "parent.\($0)" } ?? []
                if !own.isEmpty { got[parent.rawValue, default: []].formUnion(own) }
                box.withLock { $0 = got }
            }
        case "POST /v1/persons/{id}/export":
            // An access request answered by an agent for a family: the person and their files.
            let parent = try #require(records[1].persons.first { $0.role == "parent" }?.person)
            try await world.withPublic { client in
                let reply = try await client.send(.post, "/v1/persons/\(parent)/export", token: agent, headers: purpose, body: #"{"reference": "REQ-1"}"#)
                #expect(reply.status == .ok && !personsReceived(reply).isEmpty, "\(reply.text)")
                var got = personsReceived(reply)
                let role = records[1].persons.first { $0.person == parent }?.role ?? "parent"
                let own = reply["person"]?.object?["fields"]?.object?.keys.map { "\(role).\($0)" } ?? []
                if !own.isEmpty { got[parent.rawValue, default: []].formUnion(own) }
                box.withLock { $0 = got }
            }
        case "GET /v1/organisations/{id}/waiting-list":
            // A search's summaries in rank order: an agent (who may see every list) gets no person's field.
            let daycare = try #require(records.first { $0.status == "waiting" }?.partners.first)
            try await world.withPublic { client in
                let reply = try await client.send(.get, "/v1/organisations/\(daycare)/waiting-list?limit=100", token: agent, headers: purpose)
                #expect(reply.status == .ok && reply["entries"]?.array?.isEmpty == false, "\(reply.text)")
                box.withLock { $0 = personsReceived(reply) }
            }
        case "POST /v1/exports":
            // A daycare's export: the rows of the applications that chose it, encrypted to its key.
            let daycare = try #require(records.first { $0.status == "waiting" }?.partners.first)
            _ = try await world.auth.createAccount(username: "daycare", password: World.password, role: "daycare", organisation: daycare,
                                                   createdBy: nil)
            let secret = try await world.enrol("daycare")
            let token = try await world.signIn("daycare", secret: secret)
            actor = "daycare"
            let recipient = Curve25519.KeyAgreement.PrivateKey()
            let body = #"{"recipientKey": "\#(recipient.publicKey.rawRepresentation.base64EncodedString())"}"#
            let text = CapturedText()
            try await world.withPublic { client in
                let reply = try await client.send(.post, "/v1/exports", token: token, headers: ["Guichet-Purpose": "placement"], body: body)
                #expect(reply.status == .created || reply.status == .forbidden, "\(reply.text)")
                text.value = reply.status == .created ? reply.text : ""
            }
            if text.value.isEmpty {
                // Past the role's ceiling of persons (a whole caseload): a step-up and a justification, as designed.
                try await world.stepUp([token], secret: secret)
                try await world.withPublic { client in
                    let reply = try await client.send(.post, "/v1/exports", token: token, headers: [
                        "Guichet-Purpose": "placement",
                        "Guichet-Justification": "Preparing the September intake of the children this service admitted, at the director's request.",
                    ], body: body)
                    #expect(reply.status == .created, "\(reply.text)")
                    text.value = reply.text
                }
            }
            let rows = try PartnerExportFile.open(Data(text.value.utf8), privateKey: recipient, at: world.clock.now)
            let exported = try await world.store.dossiers(rows.compactMap { $0["id"]?.string }.map { DossierID(trusted: $0) })
            #expect(!exported.isEmpty)
            box.withLock { $0 = exportedPersons(rows, exported) }
        case "GET /v1/persons/{id}":
            try await world.withPublic { client in
                for link in records[1].persons {
                    let reply = try await client.send(.get, "/v1/persons/\(link.person)", token: agent, headers: purpose)
                    #expect(reply.status == .ok)
                    let names = Set(reply["fields"]?.object?.keys.map { "\(link.role).\($0)" } ?? [])
                    if !names.isEmpty { box.withLock { $0[link.person.rawValue, default: []].formUnion(names) } }
                }
            }
        case "GET /admin/v1/dossiers/{id}/versions/{version}":
            let secret = try await world.enrol("admin")
            let admin = try await world.signIn("admin", secret: secret)
            actor = "admin"
            try await world.withAdmin { client in
                let reply = try await client.send(.get, "/admin/v1/dossiers/\(records[0].id)/versions/1", token: admin)
                #expect(reply.status == .ok, "\(reply.text)")
                let got = personsReceived(reply)
                box.withLock { $0 = got }
                #expect(got.isEmpty, "an administrator reads no personal field of a version")
            }
        default:  // the letters of an incident: the security officer opens names and contacts
            try await world.withPublic { client in
                for r in records.prefix(2) { _ = try await client.send(.get, "/v1/dossiers/\(r.id)", token: agent, headers: purpose) }
            }
            let secret = try await world.enrol("security")
            let officer = try await world.signIn("security", secret: secret)
            let account = try #require(try await world.store.account(username: "agent"))
            try await world.gate.checkpoint(at: world.clock.now)
            actor = "security"
            try await world.withAdmin { client in
                let incident = try await client.send(.post, "/admin/v1/breach/incidents", token: officer, body: """
                    {"title": "Synthetic drill", "nature": "confidentiality", "facts": "an agent account used from an unknown network",
                     "detectedAt": "2026-11-23T10:00:00Z", "scope": {"account": "\(account.id)"}}
                    """)
                #expect(incident.status == .created, "\(incident.text)")
                let id = try #require(incident["id"]?.string)
                let path = route.hasSuffix("send") ? "/letters/send" : "/letters"
                // Who asks comes first: neither an anonymous caller nor a bad token learns
                // whether the deployment has a mail relay (issue #21 item 7).
                let anonymous = try await client.call(.post, "/admin/v1/breach/incidents/\(id)\(path)", body: "{}")
                #expect(anonymous.status == .unauthorized, "\(anonymous.status)")
                let forged = try await client.send(.post, "/admin/v1/breach/incidents/\(id)\(path)", token: "not-a-token", body: "{}")
                #expect(forged.status == .unauthorized, "\(forged.status)")
                let letters = try await client.send(.post, "/admin/v1/breach/incidents/\(id)\(path)", token: officer,
                                                    headers: ["Guichet-Purpose": "breach-notification"], body: "{}")
                if route.hasSuffix("send") {
                    #expect(letters.status == .serviceUnavailable, "no relay here: nothing is opened, nothing sent")
                } else {
                    #expect(letters.status == .ok, "\(letters.text)")
                    let written = letters["letters"]?.array?.count ?? 0
                    #expect(written > 0)
                }
            }
            // What the officer's letters opened is what its scope says, field by field.
            let opened = try await world.ledger.journal(account: try #require(try await world.store.account(username: "security")).id)
                .filter { $0.allowed && $0.disclosed }
            box.withLock { got in
                for row in opened {
                    for p in row.persons { got[p.rawValue, default: []].formUnion(row.fields.filter { $0.contains(".") }) }
                }
            }
            let got = box.withLock { $0 }
            if route.hasSuffix("send") { #expect(got.isEmpty) } else { #expect(!got.isEmpty) }
        }
        let received = box.withLock { $0 }
        let scoped = try await Self.scoped(world, actor)
        #expect(scoped == received, "scope of \(actor) after \(route)")
    }

    @Test("break-glass reads are in the breach scope, with their fields")
    func breakGlassInScope() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 400, accounts: [("adviser", "adviser", "agency")])
        defer { world.remove() }
        let adviser = try #require(try await world.store.account(username: "adviser"))
        let all = try await world.store.search(DossierQuery(type: "job-seeker", status: "registered", scope: [.any], terms: [], after: nil, limit: 400))
        let outside = try await world.store.dossiers(all).filter { $0.organisation != adviser.organisation }.prefix(2).map(\.id)
        let secret = try await world.enrol("adviser")
        let token = try await world.signIn("adviser", secret: secret)
        let box = Mutex<[String: Set<String>]>([:])
        try await world.withPublic { client in
            for id in outside {
                let opened = try await client.send(.post, "/v1/dossiers/\(id)/break-glass", token: token, headers: ["Guichet-Purpose": "support"],
                                                   body: #"{"justification": "The job seeker came to our agency in person after moving; their agency is closed today."}"#)
                #expect(opened.status == .created)
                let read = try await client.send(.get, "/v1/dossiers/\(id)", token: token, headers: ["Guichet-Purpose": "support"])
                #expect(read.status == .ok)
                box.withLock { $0.merge(personsReceived(read)) { $0.union($1) } }
            }
        }
        let received = box.withLock { $0 }
        #expect(received.count == 2)
        let scope = try await world.scope(of: "adviser")
        #expect(Dictionary(uniqueKeysWithValues: scope.persons.map { ($0.person.rawValue, Set($0.fields)) }) == received)
        let glassReads = scope.events.filter { $0.action == "break-glass:read" }
        #expect(glassReads.count == 2 && glassReads.allSatisfy { $0.disclosed })
        #expect(!scope.writes.contains { $0.action == "break-glass:read" }, "a break-glass read is not filed under writes")
    }
}

/// The persons whose fields an export file's rows carry: `parent.email` is the dossier's first
/// parent's, `parent[2].email` its second's.
func exportedPersons(_ rows: [[String: JSON]], _ records: [DossierRecord]) -> [String: Set<String>] {
    var out: [String: Set<String>] = [:]
    for record in records {
        guard let row = rows.first(where: { $0["id"]?.string == record.id.rawValue }) else { continue }
        for key in row.keys where key.contains(".") {
            let parts = key.split(separator: ".", maxSplits: 1).map(String.init)
            var role = parts[0], n = 1
            if let open = role.firstIndex(of: "["), let number = Int(role[role.index(after: open)...].dropLast()) {
                n = number
                role = String(role[..<open])
            }
            let linked = record.persons.filter { $0.role == role }
            guard n <= linked.count else { continue }
            out[linked[n - 1].person.rawValue, default: []].insert("\(role).\(parts[1])")
        }
    }
    return out
}
