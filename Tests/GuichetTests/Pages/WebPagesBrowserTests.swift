import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// Each role's main task on place05, end to end in Debian's Chromium (Selenium), in French and
/// in English, with axe-core checking every page visited (`Tests/peers/browser_pages.py`).
/// Heavy: run alone.
@Suite(.serialized)
struct WebPagesBrowserTests {
    /// Enrols a TOTP factor for a staff or partner account, as its owner does with the
    /// activation code; returns the secret for the browser's authenticator (pyotp).
    static func enrolTOTP(_ world: World, _ username: String) async throws -> String {
        let session = try await world.auth.signIn(username: username, password: World.password)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: try await world.activationCode(username))
        // At the world's time: a world on a manual clock started when it was made, and making
        // it can take a minute on a loaded machine (a code of the real time was then refused).
        _ = try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: world.clock()))
        try await world.auth.signOut(token: session.token)
        return secret
    }

    /// The time the peer starts its codes after (`enrolledAt`): taken once every enrolment is
    /// done, since each used the code of its own moment, and a slow machine can cross a 30-second
    /// step between the first enrolment and the last (the peer's first code would then be one
    /// already used, and refused).
    static func afterEnrolment() -> Int { Int(Date().timeIntervalSince1970) }

    /// Runs the peer against a live public listener; its JSON answer.
    static func run(_ scenario: String, _ config: [String: Any], router: Router<GuichetContext>) async throws -> [String: JSON] {
        let app = Application(router: router)
        let text = String(decoding: try JSONSerialization.data(withJSONObject: config), as: UTF8.self)
        return try await app.test(.live) { client in
            let port = try #require(client.port)
            // The base address goes in front of the rest of the configuration.
            let configured = "{\"base\": \"http://localhost:\(port)\", " + text.dropFirst()
            let script = Repo.root.appendingPathComponent("Tests/peers/browser_pages.py").path
            let run = try await Python.run([script, scenario, configured], timeout: 400)
            try #require(run.status == 0, "\(run.output)")
            let last = try #require(run.output.split(separator: "\n").last.map(String.init))
            return try #require(try JSONDecoder().decode(JSON.self, from: Data(last.utf8)).object)
        }
    }

    static func number(_ j: JSON?) -> Double? {
        if case .number(let n)? = j { return n }
        return nil
    }

    /// Where the English run saves its screenshots for docs/PAGES.md: docs/screens when
    /// `GUICHET_SCREENSHOTS=1`, else nowhere (a test run leaves the work tree as it was).
    static func screens(_ language: String) -> String {
        guard language == "en", ProcessInfo.processInfo.environment["GUICHET_SCREENSHOTS"] == "1" else { return "" }
        return Repo.root.appendingPathComponent("docs/screens").path
    }

    static func texts(_ language: String) throws -> [String: String] {
        try #require(try WebPages.bundled.get().texts[language])
    }

    /// No page had a serious or critical accessibility violation.
    static func expectAccessible(_ answer: [String: JSON], atLeast pages: Int) {
        let axe = answer["axe"]?.object ?? [:]
        #expect(Int(Self.number(answer["pagesChecked"]) ?? 0) >= pages, "pages checked: \(axe.keys.sorted())")
        for (page, violations) in axe {
            #expect(violations.array?.isEmpty == true, "axe-core on \(page): \(violations)")
        }
    }

    @Test("place05 in Chromium: a parent applies and sees the rank, a daycare offers a place, an agent finds the file for a stated purpose, the parent accepts",
          arguments: ["fr", "en"])
    func place05(_ language: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let secrets = ["daycare": try await Self.enrolTOTP(world, "daycare1"), "agent": try await Self.enrolTOTP(world, "agent")]
        let enrolledAt = Self.afterEnrolment()
        let screens = Self.screens(language)
        let config: [String: Any] = [
            "lang": language, "password": World.password, "screens": screens, "enrolledAt": enrolledAt,
            "accounts": ["parent": "parent1", "daycare": "daycare1", "agent": "agent"], "secrets": secrets,
            "child": ["firstName": "Zoé", "lastName": "Tremblay", "birthDate": "2025-05-01"], "daycare": "CPE 1",
        ]
        let answer = try await Self.run("place05", config, router: world.server.publicRouter().0)
        let t = try Self.texts(language)

        let parent = answer["parentSignIn"]?.object ?? [:]
        #expect(parent["language"]?.string == language)
        #expect(parent["firstTab"]?.string == "skip", "the first Tab reaches the skip link")
        #expect(parent["wrongPassword"]?.string == t["signInFailed"])
        let applied = answer["applied"]?.object ?? [:]
        #expect(applied["done"]?.string == t["done_create"] && applied["status"]?.string == t["state_waiting"])
        #expect(applied["ranks"]?.array?.compactMap(\.string) == ["CPE 1 1 / 1"], "the rank on the chosen service's list: \(applied)")
        #expect(answer["parentCookieVisible"]?.string == "", "no cookie is readable by a script")

        #expect(answer["daycareResults"]?.array?.count == 1)
        let daycareSees = answer["daycareSees"]?.string ?? ""
        #expect(daycareSees.contains("Zoé"), "the daycare sees the child's first name")
        #expect(!daycareSees.contains("TREJ90541201"), "a daycare never sees a national identifier")
        #expect(answer["offered"]?.object?["status"]?.string == t["state_offered"])

        #expect(Self.number(answer["agentResults"]) == 1)
        #expect(Self.number(answer["agentBack"]) == 1, "Back from the file shows the results again")
        #expect(answer["agentBackAddressHasTerm"] == .bool(false), "no term in the results' address")
        #expect(answer["agentSees"]?.string?.contains("TREJ90541201") == true, "the agent managing the list reads the whole file")

        #expect(answer["parentHome"]?.array?.compactMap(\.string) == [t["state_offered"]!])
        #expect(answer["accepted"]?.object?["status"]?.string == t["state_placed"])
        Self.expectAccessible(answer, atLeast: 10)

        // The pages went through the gate: the daycare's read of the child is in the ledger.
        let parentRequest = try await world.request("parent1")
        let mine = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 5, parentRequest)
        let opened = try await world.gate.read(try #require(mine.views.first).id, parentRequest)
        let child = try #require(opened.persons.first { $0.role == "child" })
        let entries = try await world.ledger.ledgerEntries(try await world.ledger.ledgerIndexes(persons: [child.id], dossiers: [], after: -1, below: Int64.max, limit: 200))
        let decoded = entries.compactMap { try? JSONDecoder().decode(JSON.self, from: $0.entry).object }
        #expect(decoded.contains { $0["actor"]?.object?["role"]?.string == "daycare" && $0["action"]?.string == "read" && $0["decision"]?.string == "allow" },
                "journalled like any API read")
        #expect(decoded.contains { $0["actor"]?.object?["role"]?.string == "agent" && $0["purpose"]?.string == "list-management" })
    }

    @Test("emploi in Chromium: a job seeker registers at an agency and changes the job sought, an adviser finds a file of the agency for a stated purpose and records a contact, a partner adviser finds nothing outside the caseload",
          arguments: ["fr", "en"])
    func emploi(_ language: String) async throws {
        let world = try await EmploiWorld.make(size: 300)
        defer { world.remove() }
        let enrolledAt = Int(world.clock.now.timeIntervalSince1970)
        var secrets: [String: String] = [:]
        var adviserToken = ""
        for (who, name) in [("adviser", "adviser1"), ("partner", "partner1")] {
            let session = try await world.auth.signIn(username: name, password: EmploiWorld.password)
            let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: try await world.activationCode(name))
            _ = try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: world.clock.now))
            secrets[who] = secret
            if who == "adviser" { adviserToken = session.token }
        }
        // The file the adviser will look for: one of their agency's, opened here through the gate.
        let target = try #require(world.summary.agencyCaseload.first)
        let adviser = GateRequest(principal: try await world.auth.authenticate(token: adviserToken), requestID: "test", source: nil, purpose: "support")
        let file = try await world.gate.read(target, adviser)
        let seekerFields = try #require(file.persons.first { $0.role == "seeker" }?.fields)
        guard case .text(let lastName)? = seekerFields["lastName"], case .date(let birthDate)? = seekerFields["birthDate"] else {
            Issue.record("the seeker's name and birth date are readable by their adviser")
            return
        }
        world.clock.advance(30)  // the browser's codes come from the next step: each code works once
        let screens = Self.screens(language)
        let targetJob = language == "fr" ? "Menuisière" : "Carpenter"
        let config: [String: Any] = [
            "lang": language, "password": EmploiWorld.password, "screens": screens, "enrolledAt": enrolledAt,
            "clock": Int(world.clock.now.timeIntervalSince1970),
            "accounts": ["seeker": "newcomer", "adviser": "adviser1", "partner": "partner1"], "secrets": secrets,
            "find": ["lastName": lastName, "birthDate": birthDate.iso], "targetJob": targetJob, "lastContact": "2026-11-20",
            "firstJob": language == "fr" ? "Ébéniste" : "Cabinet maker", "agency": world.summary.agencies[0].name,
        ]
        let answer = try await Self.run("emploi", config, router: world.server.publicRouter().0)
        let t = try Self.texts(language)

        #expect(answer["seekerSignIn"]?.object?["language"]?.string == language)
        #expect(answer["registered"]?.object?["done"]?.string == t["done_create"])
        #expect(answer["registered"]?.object?["status"]?.string == t["state_registered"])
        #expect(answer["seekerUpdated"]?.object?["done"]?.string == t["done_update"])
        #expect(answer["seekerUpdated"]?.object?["fields"]?.string?.contains(targetJob) == true)
        let seeker = try await world.request("newcomer")
        let own = try await world.gate.search(type: "job-seeker", status: "registered", criteria: [:], after: nil, limit: 5, seeker)
        var files: [DossierView] = []
        for view in own.views { files.append(try await world.gate.read(view.id, seeker)) }
        let ownFile = try #require(files.first { $0.fields["targetJob"] == .text(targetJob) }, "the registration and the update went through the gate")
        #expect(ownFile.partners == [world.summary.agencies[0].id], "at the agency chosen")

        #expect(Self.number(answer["adviserResults"]) == 1)
        #expect(answer["adviserUpdated"]?.object?["done"]?.string == t["done_update"])
        let after = try await world.gate.read(target, adviser)
        #expect(after.fields["lastContact"] == .date(LocalDate(year: 2026, month: 11, day: 20)!))
        if !world.summary.partnerCaseloads[0].contains(target) {
            #expect(Self.number(answer["partnerResults"]) == 0, "a partner adviser finds only their caseload")
        }
        Self.expectAccessible(answer, atLeast: 6)
    }

    @Test("the admin listener in Chromium: an administrator asks for an account, a second one approves it; a security officer acknowledges an alert and reinstates a suspended account",
          arguments: ["fr", "en"])
    func adminListener(_ language: String) async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        _ = try await world.auth.createAccount(username: "admin2", password: World.password, role: "admin", organisation: world.operatorOrg.id, createdBy: nil)
        var secrets: [String: String] = [:]
        for name in ["admin", "admin2", "security"] { secrets[name] = try await Self.enrolTOTP(world, name) }
        let enrolledAt = Self.afterEnrolment()
        // What the watch would have left for the officer: an open alert and a suspension (synthetic).
        let daycare1 = try #require(try await world.store.account(username: "daycare1")).id
        let daycare2 = try #require(try await world.store.account(username: "daycare2")).id
        try await world.store.insert(alerts: [WatchAlert(id: "alert-\(language)", at: Date(), account: daycare1, detector: "volume", severity: "high",
                                                         response: "step-up", detail: "synthetic: 40 files in 10 minutes")])
        try await world.store.suspend(account: daycare2, id: "suspension-\(language)", reason: "synthetic: ceiling crossed after the step-up", at: Date())
        let screens = Self.screens(language)
        let config: [String: Any] = [
            "lang": language, "password": World.password, "screens": screens, "enrolledAt": enrolledAt,
            "accounts": ["admin": "admin", "admin2": "admin2", "security": "security"], "secrets": secrets,
            "newAccount": "cpe1.nouveau", "newPassword": "Synthetic-pass-4821-xyz", "daycare": "CPE 1",
            "note": "Checked with the daycare: an inventory of its list.", "scopeAccount": "cpe1.nouveau", "reinstateReason": "The daycare confirmed the work was legitimate.",
        ]
        let answer = try await Self.run("admin", config, router: world.server.adminRouter().0)
        let t = try Self.texts(language)

        #expect(answer["adminSignIn"]?.object?["language"]?.string == language)
        #expect(answer["made"]?.string?.contains("cpe1.nouveau") == true)
        #expect(answer["requests"]?.array?.count == 1)
        #expect((Self.number(answer["checkpoints"]) ?? 0) >= 1, "the ledger's checkpoints are listed")
        let made = try #require(try await world.store.account(username: "cpe1.nouveau"))
        #expect(made.status == "active" && made.role == "daycare", "approved by the second administrator")
        #expect(answer["accountsAfter"]?.array?.compactMap(\.string).contains { $0.contains("cpe1.nouveau") && $0.contains(t["account_active"]!) } == true)

        let alerts = answer["alerts"]?.array?.compactMap(\.string) ?? []
        #expect(alerts.contains { $0.contains("synthetic: 40 files") }, "the queue lists the open alerts: \(alerts)")
        #expect(alerts.contains { $0.contains(t["detector_new-privileged-account"]!) }, "the watch's own alert of the account just approved is there too, by its label")
        #expect(answer["suspensions"]?.array?.count == 1)
        #expect(try await world.store.alerts(openOnly: true, limit: 10).isEmpty, "the alert was acknowledged")
        #expect(try await world.store.suspensions(openOnly: true).isEmpty, "the account was reinstated")
        #expect(try await world.store.account(username: "daycare2")?.status == "active")
        #expect(answer["scopeCount"]?.string == "0", "an account that read nothing has an empty scope")
        Self.expectAccessible(answer, atLeast: 8)
    }
}
