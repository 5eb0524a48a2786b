import Foundation
import Testing
import GuichetCore
import GuichetMFA
import HTTPTypes

/// R2, 2025: a local account administrator's account was taken over and made two accounts that
/// read 1.6 million files. Here an account administrator asks only for its office's advisers
/// and managers, each waits for a second person, and it can do nothing else (C17).
@Suite(.serialized) struct AccountAdministratorTests {
    static func newAdviser(_ name: String, office: OrganisationID, role: String = "adviser") -> String {
        #"{"username": "\#(name)", "password": "\#(World.password)", "role": "\#(role)", "organisation": "\#(office)"}"#
    }

    @Test("one account administrator alone cannot get a working adviser account: it waits, and the one who asked cannot approve it")
    func oneHandIsNotEnough() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let first = try await world.token("accounts-a1")
        let made = try await call(world, .post, "/admin/v1/accounts", token: first, body: Self.newAdviser("adviser-new", office: world.officeA.id))
        #expect(made.status == .created && made["status"]?.string == "pending")
        let code = try #require(made["activation"]?.object?["code"]?.string)
        // Not yet: the new account cannot sign in, so its activation code opens nothing.
        let refused = try await call(world, admin: false, .post, "/v1/session", body: #"{"username": "adviser-new", "password": "\#(World.password)"}"#)
        #expect(refused.status == .unauthorized)
        let listed = try #require(try await call(world, .get, "/admin/v1/requests", token: first)["requests"]?.array)
        let request = try #require(listed.first?.object?["id"]?.string)
        #expect(listed.count == 1)
        // The request says whose account, in which office, asked by whom: what a second administrator judges.
        let shown = try #require(listed.first?.object)
        #expect(shown["username"]?.string == "adviser-new" && shown["organisation"]?.string == world.officeA.id.rawValue
                && shown["requestedByUsername"]?.string == "accounts-a1", "\(shown)")
        let own = try await call(world, .post, "/admin/v1/requests/\(request)/approve", token: first)
        #expect(own.status == .forbidden, "the one who asked cannot approve")
        // Nor can the other office's account administrator (it does not even see the request).
        let other = try await world.token("accounts-b")
        #expect(try await call(world, .get, "/admin/v1/requests", token: other)["requests"]?.array?.isEmpty == true)
        #expect(try await call(world, .post, "/admin/v1/requests/\(request)/approve", token: other).status == .notFound)
        #expect(try await call(world, admin: false, .post, "/v1/session", body: #"{"username": "adviser-new", "password": "\#(World.password)"}"#).status == .unauthorized)

        // A second account administrator of the office approves: now the adviser works.
        let second = try await world.token("accounts-a2")
        #expect(try await call(world, .post, "/admin/v1/requests/\(request)/approve", token: second).status == .ok)
        let session = try await world.auth.signIn(username: "adviser-new", password: World.password)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: code)
        try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        let opened = try await call(world, admin: false, .post, "/v1/dossiers", token: session.token, purpose: "support", body: youthFileBody())
        #expect(opened.status == .created)
        let approval = try #require(try await world.ledger.journal().last { $0.action == "provision:approve" })
        #expect(approval.account == world.accounts["accounts-a2"])
    }

    @Test("an account administrator's burst of account requests raises an alert for the security officers past the fifth of the day")
    func requestBurstAlerts() async throws {
        let world = try await JeunesWorld.make(watched: true)
        defer { world.remove() }
        let first = try await world.token("accounts-a1")
        for n in 1...7 {
            let made = try await call(world, .post, "/admin/v1/accounts", token: first, body: Self.newAdviser("adviser-burst\(n)", office: world.officeA.id))
            #expect(made.status == .created, "\(made.text)")
            let alerts = try await world.store.alerts(openOnly: true, account: nil, limit: 100).filter { $0.detector == "account-requests" }
            #expect(alerts.count == (n > 5 ? 1 : 0), "after request \(n): \(alerts.count) alerts")
            if n > 5 { #expect(alerts.first?.account == world.accounts["accounts-a1"] && alerts.first?.severity == "medium") }
        }
    }

    @Test("an account administrator asks only for its office's advisers and managers, and takes no other admin step")
    func scopeIsTheOfficeAndItsAdvisers() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let t = try await world.token("accounts-a1")
        let before = try await world.store.accounts().count
        for (body, why) in [(Self.newAdviser("x-other-office", office: world.officeB.id), "another office"),
                            (Self.newAdviser("x-admin", office: world.officeA.id, role: "admin"), "an administrator"),
                            (Self.newAdviser("x-accounts", office: world.officeA.id, role: "account-admin"), "another account administrator"),
                            (Self.newAdviser("x-security", office: world.officeA.id, role: "security"), "a security officer")] {
            let r = try await call(world, .post, "/admin/v1/accounts", token: t, body: body)
            #expect(r.status == .forbidden, "\(why)")
        }
        #expect(try await world.store.accounts().count == before, "nothing was made")
        let manager = try await call(world, .post, "/admin/v1/accounts", token: t, body: Self.newAdviser("manager-new", office: world.officeA.id, role: "office-manager"))
        #expect(manager.status == .created && manager["status"]?.string == "pending")

        let adviser = try #require(world.accounts["adviser-a1"])
        let steps: [(HTTPRequest.Method, String, String?)] = [
            (.get, "/admin/v1/accounts", nil),
            (.post, "/admin/v1/organisations", #"{"kind": "local-office", "name": "Mission locale C"}"#),
            (.post, "/admin/v1/territories", #"{"code": "75", "name": "Paris"}"#),
            (.post, "/admin/v1/accounts/\(adviser)/role", #"{"role": "office-manager"}"#),
            (.post, "/admin/v1/accounts/\(adviser)/deactivate", #"{"reason": "left the office"}"#),
            (.get, "/admin/v1/accounts/\(adviser)/caseload", nil),
            (.post, "/admin/v1/accounts/\(adviser)/activation", nil),
            (.get, "/admin/v1/policy/explain?account=\(adviser)&dossier=\(DossierID())&action=read", nil),
            (.get, "/admin/v1/break-glass", nil),
            (.post, "/admin/v1/ledger/checkpoints", nil),
            (.get, "/admin/v1/ledger/entries/0", nil),
        ]
        for (method, path, body) in steps {
            let r = try await call(world, method, path, token: t, body: body)
            #expect(r.status == .forbidden, "\(method) \(path)")
        }
        // A platform administrator's requests are not the account administrator's to approve.
        let admin = try await world.token("admin")
        #expect(try await call(world, .post, "/admin/v1/accounts", token: admin, body: Self.newAdviser("adviser-by-admin", office: world.officeB.id)).status == .created)
        let seen = try #require(try await call(world, .get, "/admin/v1/requests", token: t)["requests"]?.array)
        #expect(seen.count == 1 && seen.first?.object?["role"]?.string == "office-manager")
    }
}

/// The administrators' page for an account administrator: its own office's accounts only, and
/// a look-up that finds nothing outside them (an attacker test: the page listed every office's
/// staff, and the look-up found any account, a citizen's or an administrator's).
@Suite(.serialized) struct AccountAdministratorPageTests {
    @Test("an account administrator's page lists its office's accounts only, and its look-up finds nothing else")
    func ownOfficeOnly() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let token = try await world.token("accounts-a1")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            browser.cookies["__Host-guichet-admin"] = token
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.status == .ok && home.html.contains("<td>adviser-a1</td>") && home.html.contains("<td>manager-a</td>"), "\(home.status)")
            for other in ["adviser-b", "accounts-b", "admin", "admin2"] {
                #expect(!home.html.contains("<td>\(other)</td>"), "\(other) is not of its office")
            }
            let csrf = try #require(home.csrf)
            let mine = try await browser.post("/web/admin/accounts/find", [("csrf", csrf), ("username", "adviser-a2")])
            #expect(mine.status == .ok && mine.html.contains("<td>adviser-a2</td>"))
            for other in ["adviser-b", "admin", "nobody-here"] {
                let found = try await browser.post("/web/admin/accounts/find", [("csrf", csrf), ("username", other)])
                #expect(found.status == .badRequest && !found.html.contains("<td>\(other)</td>"), "\(other): \(found.status)")
            }
        }
        // An administrator still sees every office.
        let admin = try await world.token("admin")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            browser.cookies["__Host-guichet-admin"] = admin
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.html.contains("<td>adviser-b</td>") && home.html.contains("<td>adviser-a1</td>"))
        }
    }
}
