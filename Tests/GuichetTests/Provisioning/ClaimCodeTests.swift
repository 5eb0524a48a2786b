import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetLedger

/// Citizens claim their file (issue 16, item 3): an agent issues a one-time code for a person
/// already in the registry; with it a new account is linked to that person, never a new one.
@Suite(.serialized) struct ClaimCodeTests {
    static let password = "a long passphrase of my own"

    /// An application whose second parent is in the registry without an account: that parent's id.
    static func secondParent(_ world: World, by parent: String = "julie") async throws -> PersonID {
        _ = try await world.registerParent(parent)
        let made = try await world.gate.create(DossierInput(
            type: "application", fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(4)],
            persons: [.caller(role: "parent"),
                      .new(role: "parent", fields: ["firstName": .string("Marc"), "lastName": .string("Tremblay"), "birthDate": .string("1988-02-01")]),
                      .new(role: "child", fields: ["firstName": .string("Emma"), "lastName": .string("Tremblay"), "birthDate": .string("2025-02-03")])],
            partners: [world.daycares[0].id]), try await world.request(parent))
        let own = try await world.store.account(username: parent)?.person
        return try #require(made.persons.first { $0.role == "parent" && $0.person != own }?.person)
    }

    static func claimBody(_ username: String, _ code: String, password: String = ClaimCodeTests.password) -> String {
        #"{"username": "\#(username)", "password": "\#(password)", "code": "\#(code)"}"#
    }

    @Test("an agent issues a claim code; the person claims their file with it once, no second person is made, both steps are in the ledger")
    func claimLinksTheExistingPerson() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let marc = try await Self.secondParent(world)
        let agent = try await world.token("agent"), daycare = try await world.token("daycare1")
        #expect(try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: daycare, purpose: "list-management").status != .created)
        #expect(try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: try await world.token("julie")).status != .created)
        #expect(try await call(world, admin: false, .post, "/v1/persons/\(PersonID())/claim-code", token: agent, purpose: "list-management").status == .notFound)
        // The child of the same file holds no account: refused (409), nothing issued.
        let app = try #require(try await world.store.dossierIDs(linking: marc).first)
        let child = try #require(try await world.store.dossier(app)?.persons.first { $0.role == "child" }?.person)
        let forChild = try await call(world, admin: false, .post, "/v1/persons/\(child)/claim-code", token: agent, purpose: "list-management")
        #expect(forChild.status == .conflict, "\(forChild.status)")
        let issued = try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: agent, purpose: "list-management")
        #expect(issued.status == .created && issued["expiresAt"]?.string != nil)
        #expect(issued["delivery"]?.string == "letter", "no relay: the code is shown for the office's letter")
        let code = try #require(issued["code"]?.string)
        #expect(code.count == 29)

        // Stored hashed: the code is nowhere in the database files.
        for suffix in ["", "-wal"] {
            let bytes = (try? Data(contentsOf: world.folder.appendingPathComponent("guichet.sqlite" + suffix))) ?? Data()
            #expect(bytes.range(of: Data(code.utf8)) == nil && bytes.range(of: Data(code.replacingOccurrences(of: "-", with: "").utf8)) == nil)
        }
        let persons = try await world.rowCounts()["person"]
        let claimed = try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("marc.tremblay", code.lowercased()))
        #expect(claimed.status == .created && claimed["person"]?.string == marc.rawValue)
        #expect(try await world.rowCounts()["person"] == persons, "no second person")
        let session = try await world.auth.signIn(username: "marc.tremblay", password: Self.password)
        #expect(session.principal.person == marc && session.principal.role == "parent")
        let mine = try await call(world, admin: false, .get, "/v1/dossiers", token: session.token)
        #expect(mine["dossiers"]?.array?.count == 1, "the claimed parent sees the application that names them")

        #expect(try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("marc.again", code)).status == .forbidden)
        #expect(try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: agent, purpose: "list-management").status == .conflict)
        let journal = try await world.ledger.journal()
        #expect(journal.contains { $0.action == "claim-code-issue" && $0.persons == [marc] && $0.account != nil })
        #expect(journal.contains { $0.action == "claim" && $0.persons == [marc] && $0.account == nil })
        #expect(!journal.contains { $0.reason.contains(code) })
        // In the person's own history the claim reads "you", not the service (a new user's audit).
        let history = try await call(world, admin: false, .get, "/v1/me/access-history", token: session.token)
        let claim = try #require(history["accesses"]?.array?.first { $0.object?["action"]?.string == "claim" }?.object)
        #expect(claim["byYou"] == .bool(true), "\(claim)")
        let issue = try #require(history["accesses"]?.array?.first { $0.object?["action"]?.string == "claim-code-issue" }?.object)
        #expect(issue["byYou"] == .bool(false) && issue["role"]?.string == "agent")
    }

    @Test("an account's unused claim codes expire when it is suspended; a code another account issued still works")
    func suspensionExpiresCodes() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let marc = try await Self.secondParent(world)
        let other = try await Self.secondParent(world, by: "sophie")
        let agent = try await world.token("agent")
        let issued = try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: agent, purpose: "list-management")
        let code = try #require(issued["code"]?.string, "\(issued.status) \(issued.text)")
        let kept = try await world.auth.issueClaim(for: other, by: nil).code  // issued on the console
        let account = try #require(try await world.store.account(username: "agent")).id
        try await world.store.suspend(account: account, id: UUID().uuidString, reason: "test suspension", at: Date())
        let refused = try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("marc.after", code))
        #expect(refused.status == .forbidden, "\(refused.status) \(refused.text)")
        #expect(try await world.store.personHasAccount(marc) == false, "no account made with the suspended agent's code")
        let claimed = try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("sophie.other", kept))
        #expect(claimed.status == .created, "\(claimed.status) \(claimed.text)")
    }

    @Test("wrong codes are throttled per code and per source; bad names cost no attempt; an expired code and a replaced one do not work")
    func wrongCodesAreThrottled() async throws {
        // A clock that stands still: the waits counted below cannot run out while a loaded
        // machine is slow between two requests.
        let now = Date()
        let world = try await World.make(clock: { now })
        defer { world.remove() }
        let marc = try await Self.secondParent(world)
        let first = try await world.auth.issueClaim(for: marc, by: nil)
        let code = try await world.auth.issueClaim(for: marc, by: nil).code
        #expect(try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("marc.one", first.code)).status == .forbidden,
                "a replaced code does not work")
        let before = try await world.snapshot()
        for bad in [Self.claimBody("Not A Name", code), Self.claimBody("marc.t", code, password: "short"), #"{"username": "marc.t"}"#] {
            #expect(try await call(world, admin: false, .post, "/v1/accounts/claim", body: bad).status == .badRequest)
        }
        #expect(try await world.snapshot() == before, "bad input changes nothing")
        // Per code (its first group keys the throttle): five wrong guesses are free, then each waits longer.
        let locator = String(code.prefix(5))
        for i in 0..<5 {
            let guess = locator + "-AAAAA-BBBBB-CCCCC-DDDD\(i + 2)"
            #expect(try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("marc.t", guess)).status == .forbidden)
        }
        let waited = try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("marc.t", code))
        #expect(waited.status == .tooManyRequests && waited.headers[.retryAfter] != nil)
        // Per source: thirty wrong codes from one address, whatever the codes, then it waits.
        for _ in 0..<30 { await #expect(throws: GuichetError.self) { _ = try await world.auth.checkClaim(code: Authenticator.humanCode(groups: 5), source: "203.0.113.7") } }
        do {
            _ = try await world.auth.checkClaim(code: code, source: "203.0.113.7")
            Issue.record("the source should wait")
        } catch GuichetError.throttled {}
        // Thirty-one days later the code has expired.
        let later = try await Authenticator(store: world.store, profile: world.profile, hasher: PasswordHasher(parameters: .testing),
                                            clock: { Date().addingTimeInterval(31 * 86_400) })
        await #expect(throws: GuichetError.self) { _ = try await later.checkClaim(code: code, source: nil) }
        #expect(try await world.store.personHasAccount(marc) == false)
    }

    @Test("claims of one code at the same moment make one account, and the ledger links only that one")
    func simultaneousClaims() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let marc = try await Self.secondParent(world)
        let code = try await world.auth.issueClaim(for: marc, by: nil).code
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        let before = try await world.gate.ledgerSize()
        // Six claims at once, each its own name and address (a citizen's audit: five "linked"
        // entries for one account made).
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for n in 0..<6 {
                group.addTask {
                    (try? await provisioning.claim(username: "claimer.\(n)", password: Self.password, code: code, requestID: "race-\(n)",
                                                   source: "198.51.100.\(n + 10)")) != nil
                }
            }
            var results: [Bool] = []
            for await r in group { results.append(r) }
            return results
        }
        #expect(outcomes.filter { $0 }.count == 1, "one claim wins: \(outcomes)")
        var made: [AccountRecord] = []
        for n in 0..<6 { if let a = try await world.store.account(username: "claimer.\(n)") { made.append(a) } }
        #expect(made.count == 1)
        let entries = try await world.store.ledgerEntries(before..<(try await world.gate.ledgerSize()))
        let claims = entries.compactMap { try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any] }.filter { $0["action"] as? String == "claim" }
        #expect(claims.count == 1 && (claims.first?["reason"] as? String)?.contains(made.first?.id.rawValue ?? "-") == true,
                "one claim journalled, naming the account made: \(claims.map { $0["reason"] ?? "" })")
    }

    @Test("the claim form tells nobody which user names exist: with a wrong code a taken name and a free one get the same answer; with a good code a taken name is counted against the source")
    func noUsernameEnumeration() async throws {
        let now = Date()
        let world = try await World.make(clock: { now })
        defer { world.remove() }
        let marc = try await Self.secondParent(world)
        let code = try await world.auth.issueClaim(for: marc, by: nil).code
        let staff = "security"  // a security officer's account, made by the world
        #expect(try await world.store.account(username: staff) != nil)
        let wrong = code.prefix(5) + "-AAAAA-BBBBB-CCCCC-DDDDD"
        let taken = try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody(staff, String(wrong)))
        let free = try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody("nobody.here", String(wrong)))
        #expect(taken.status == .forbidden && free.status == .forbidden && taken.text == free.text, "\(taken.text) / \(free.text)")

        // A good code and a taken name: 409 that says so, and the code is not used up.
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        let clash = try await call(world, admin: false, .post, "/v1/accounts/claim", body: Self.claimBody(staff, code))
        #expect(clash.status == .conflict && clash.text.contains("taken"), "\(clash.text)")
        let (account, person) = try await provisioning.claim(username: "marc.t", password: Self.password, code: code, requestID: "test", source: "198.51.100.3")
        let made = try await world.store.account(username: "marc.t")
        #expect(person == marc && made?.id == account, "the code still works")
        // Asking whether a name is taken counts as a registration of the source (ten an hour),
        // on top of the code's own throttle.
        let source = "203.0.113.9"
        for _ in 0..<ThrottlePolicy().perSourceRegistrations {
            do { try await world.auth.checkUsernameFree(staff, source: source); Issue.record("the name is taken") } catch GuichetError.conflict {}
        }
        do {
            try await world.auth.checkUsernameFree("nobody.here", source: source)
            Issue.record("the source should wait")
        } catch GuichetError.throttled {}
    }

    @Test("a claim code for a person whose files are all archived is refused, so that no one agent gets around the archive's two-person read (and later the erasure); a person with a file in use gets one")
    func archivedPersonGetsNoCode() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.plant(size: 12, honeytokens: 0)
        let all = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 50))
        var alone: [(DossierID, PersonID)] = []
        for d in try await world.store.dossiers(all) {
            for link in d.persons where link.role == "parent" {
                if try await world.store.dossierIDs(linking: link.person) == [d.id], try await !world.store.personHasAccount(link.person) {
                    alone.append((d.id, link.person)); break
                }
            }
        }
        try #require(alone.count >= 2, "parents linked to one file each")
        let agent = try await world.request("agent", purpose: "list-management")
        _ = try await Provisioning(gate: world.gate, auth: world.auth).issueClaim(for: alone[0].1, agent)
        #expect(try await world.store.archive([alone[1].0], at: Date(), rewrapped: [:]) == 1)
        let before = try await world.gate.ledgerSize()
        do {
            _ = try await Provisioning(gate: world.gate, auth: world.auth).issueClaim(for: alone[1].1, agent)
            Issue.record("a code was issued for a person whose one file is archived")
        } catch GuichetError.forbidden(let message) {
            #expect(message.contains("archived"), "\(message)")
        }
        let entries = try await world.store.ledgerEntries(before..<(try await world.gate.ledgerSize()))
        let texts = entries.map { String(decoding: $0.entry, as: UTF8.self) }
        #expect(texts.contains { $0.contains("claim-code-archived") }, "the refusal is journalled")
        #expect(!texts.contains { $0.contains(ClaimEntry.issueAction) }, "no code issued")
    }

    @Test("a parent changes the other parent's details while that parent has no account; once they claim one, only they or staff do (a controls audit moved a co-parent's e-mail)")
    func coParentWithAccountIsTheirs() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let marc = try await Self.secondParent(world)
        let julie = try await world.request("julie")
        _ = try await world.gate.updatePerson(marc, fields: ["phone": .string("514-555-0199")], expectedVersion: nil, julie)
        let code = try await world.auth.issueClaim(for: marc, by: nil).code
        _ = try await Provisioning(gate: world.gate, auth: world.auth).claim(username: "marc", password: World.password, code: code, requestID: "t", source: nil)
        let version = try #require(try await world.store.persons([marc])[marc]?.version)
        do {
            _ = try await world.gate.updatePerson(marc, fields: ["email": .string("someone@example.org")], expectedVersion: nil, julie)
            Issue.record("a parent changed the other parent's e-mail, who has an account")
        } catch GuichetError.forbidden(let message) {
            #expect(message.contains("account of their own"), "\(message)")
        }
        #expect(try await world.store.persons([marc])[marc]?.version == version, "nothing changed")
        #expect(try await world.ledger.journal().contains { !$0.allowed && $0.reason == "person-has-account" })
        // Julie's own details stay hers, Marc changes his, and the office changes his too.
        let own = try #require(try await world.store.account(username: "julie")?.person)
        _ = try await world.gate.updatePerson(own, fields: ["phone": .string("514-555-0177")], expectedVersion: nil, julie)
        _ = try await world.gate.updatePerson(marc, fields: ["phone": .string("514-555-0188")], expectedVersion: nil, try await world.request("marc"))
        _ = try await world.gate.updatePerson(marc, fields: ["phone": .string("514-555-0166")], expectedVersion: nil,
                                              try await world.request("agent", purpose: "list-management"))
    }
}
