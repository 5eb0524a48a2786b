import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import Synchronization
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetServer
import GuichetStore

/// A staff member who may change a person's file must not become that person with a claim
/// code (finding: staff claimed 21 persons in a minute and read their sensitive fields as
/// them). The code goes to the person's own address when there is one; otherwise the issuing
/// account cannot use it, and a claim from its network is alerted; issuance is limited and alerted.
@Suite(.serialized) struct ClaimDeliveryTests {
    static let marcAddress = "marc.tremblay@example.org"

    /// An application whose second parent (Marc, no account) has an e-mail address on file.
    static func marcWithAddress(_ world: World) async throws -> PersonID {
        _ = try await world.registerParent("julie")
        let made = try await world.gate.create(DossierInput(
            type: "application", fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(4)],
            persons: [.caller(role: "parent"),
                      .new(role: "parent", fields: ["firstName": .string("Marc"), "lastName": .string("Tremblay"), "birthDate": .string("1988-02-01"),
                                                    "email": .string(marcAddress)]),
                      .new(role: "child", fields: ["firstName": .string("Emma"), "lastName": .string("Tremblay"), "birthDate": .string("2025-02-03")])],
            partners: [world.daycares[0].id]), try await world.request("julie"))
        let own = try await world.store.account(username: "julie")?.person
        return try #require(made.persons.first { $0.role == "parent" && $0.person != own }?.person)
    }

    /// The claim code in a message: the indented line of five groups of five.
    static func code(in text: String?) -> String? {
        text?.components(separatedBy: .newlines).map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.count == 29 && $0.split(separator: "-").count == 5 }
    }

    /// One request to the public router over a real socket, as if from `address`: the test
    /// server trusts the loopback as its proxy, and the request says `X-Forwarded-For`.
    static func live(_ world: World, _ method: HTTPRequest.Method, _ path: String, from address: String, token: String? = nil,
                     purpose: String? = nil, body: String? = nil) async throws -> Reply {
        let server = GuichetServer(gate: world.gate, auth: world.auth, store: world.store, trustedProxies: try TrustedProxies(["127.0.0.1", "::1"]))
        let app = Application(router: server.publicRouter().0)
        let out = Mutex<Reply?>(nil)
        try await app.test(.live) { client in
            var headers: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: address]
            if let token { headers[.authorization] = "Bearer \(token)" }
            if let purpose { headers[HTTPField.Name("Guichet-Purpose")!] = purpose }
            if body != nil { headers[.contentType] = "application/json" }
            let r = try await client.execute(uri: path, method: method, headers: headers, body: body.map { ByteBuffer(string: $0) })
            out.withLock { $0 = Reply(status: r.status, headers: r.headers, text: String(buffer: r.body)) }
        }
        return try #require(out.withLock { $0 })
    }

    @Test("with the person's address on file and a relay, the code goes to the person: the staff member's answer holds no code and nothing it holds claims the file")
    func codeGoesToThePersonsAddress() async throws {
        let (sink, world) = try await PasswordResetTests.mailWorld()
        defer { sink.stop(); world.remove() }
        let marc = try await Self.marcWithAddress(world)
        let agent = try await world.token("agent")
        let issued = try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: agent, purpose: "list-management")
        #expect(issued.status == .created)
        #expect(issued["delivery"]?.string == "email" && issued["sentTo"]?.string == "m***@example.org" && issued["expiresAt"]?.string != nil)
        #expect(issued["code"] == nil, "the staff member never sees the code")

        let mail = try #require(try sink.messages().first)
        #expect(mail.rcptTos == [Self.marcAddress] && mail.defects.isEmpty)
        // From the service the family knows, and saying where to use it (a citizen's audit: a
        // mail from "Guichet" asking for a code looks like phishing).
        let title = try #require(world.gate.profile.title["fr"])
        let body = try #require(mail.text)
        #expect(mail.subject.hasPrefix(title) && !mail.subject.contains("Guichet") && body.contains("Réclamer mon dossier")
                && !body.contains("compte Guichet"), "\(mail.subject)")
        let code = try #require(Self.code(in: mail.text))
        #expect(!issued.text.contains(code) && !issued.text.contains(String(code.prefix(5))))

        // What the staff member holds (the answer's fields, its own session) claims nothing.
        for held in [issued["id"]?.string, issued["sentTo"]?.string, issued["expiresAt"]?.string].compactMap({ $0 }) {
            let r = try await call(world, admin: false, .post, "/v1/accounts/claim", token: agent, body: ClaimCodeTests.claimBody("agent.as.marc", held))
            #expect(r.status == .forbidden)
        }
        #expect(try await world.store.personHasAccount(marc) == false)

        // The address was opened for the message only: journalled as a disclosure to no account.
        let journal = try await world.ledger.journal()
        #expect(journal.contains { $0.reason.contains("claim-code-mail") && $0.persons == [marc] && $0.account == nil })
        #expect(!journal.contains { $0.reason.contains(code) })

        let claimed = try await call(world, admin: false, .post, "/v1/accounts/claim", body: ClaimCodeTests.claimBody("marc.tremblay", code))
        #expect(claimed.status == .created && claimed["person"]?.string == marc.rawValue)
    }

    @Test("without a relay the code is shown for a letter, but the issuing account cannot claim with it; a claim from the issuer's network goes through and names the issuer in an alert")
    func issuerCannotClaim() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let marc = try await ClaimCodeTests.secondParent(base)
        let world = try await base.watched()
        let agent = try await world.token("agent")
        let agentID = try #require(try await world.store.account(username: "agent")).id
        let issued = try await Self.live(world, .post, "/v1/persons/\(marc)/claim-code", from: "2001:db8:5:6::10", token: agent, purpose: "list-management")
        #expect(issued.status == .created && issued["delivery"]?.string == "letter")
        let code = try #require(issued["code"]?.string)
        #expect(try await world.store.alerts(openOnly: true, account: agentID, limit: 10).contains { $0.detector == "claim-code-issued" })

        // The issuing account's session, from elsewhere: refused.
        let ownSession = try await Self.live(world, .post, "/v1/accounts/claim", from: "203.0.113.50", token: agent, body: ClaimCodeTests.claimBody("marc.t", code))
        #expect(ownSession.status == .forbidden)
        #expect(try await world.store.personHasAccount(marc) == false)

        // From the issuer's network (the same /64, written otherwise: a person at the office's
        // counter, or a test on loopback, shares the issuer's address), without its session:
        // the person claims, and the security officers hear of it.
        let claimed = try await Self.live(world, .post, "/v1/accounts/claim", from: "2001:DB8:5:6:0:0:0:99", body: ClaimCodeTests.claimBody("marc.t", code))
        #expect(claimed.status == .created && claimed["person"]?.string == marc.rawValue)
        let alert = try #require(try await world.store.alerts(openOnly: true, account: agentID, limit: 10).first { $0.detector == "claim-near-issuer" })
        #expect(alert.detail.contains("ten minutes") && alert.detail.contains("network") && !alert.detail.contains("Tremblay"))
    }

    @Test("a claim from an unknown address by another account than the issuer is not refused for its source")
    func unknownSourcesAreNotTheIssuers() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let marc = try await ClaimCodeTests.secondParent(world)
        let issued = try await world.auth.issueClaim(for: marc, by: AccountID(), from: nil)
        _ = try await world.auth.checkClaim(code: issued.code, source: "198.51.100.1", claimant: AccountID())
        let issuer = AccountID()
        let fromAddress = try await world.auth.issueClaim(for: marc, by: issuer, from: "198.51.100.1")
        _ = try await world.auth.checkClaim(code: fromAddress.code, source: nil)
        #expect(try await world.auth.checkClaim(code: fromAddress.code, source: "::ffff:198.51.100.1").nearIssuer, "the issuer's address, mapped, is its network")
        await #expect(throws: GuichetError.self) { _ = try await world.auth.checkClaim(code: fromAddress.code, source: "203.0.113.9", claimant: issuer) }
    }

    @Test("past five claim codes in ten minutes an account's next is refused and journalled, and the security officers have an alert")
    func issuanceIsLimited() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let marc = try await ClaimCodeTests.secondParent(base)
        let world = try await base.watched()
        let agent = try await world.token("agent")
        let agentID = try #require(try await world.store.account(username: "agent")).id
        for _ in 0..<Provisioning.claimCodeLimits[0].count {
            let r = try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: agent, purpose: "list-management")
            #expect(r.status == .created)
        }
        let refused = try await call(world, admin: false, .post, "/v1/persons/\(marc)/claim-code", token: agent, purpose: "list-management")
        #expect(refused.status == .forbidden && refused["code"] == nil)
        #expect(refused.text.contains("claim codes") && refused.text.contains("security officers"))
        let alerts = try await world.store.alerts(openOnly: true, account: agentID, limit: 20)
        #expect(alerts.filter { $0.detector == "claim-code-issued" }.count == Provisioning.claimCodeLimits[0].count)
        let limit = try #require(alerts.first { $0.detector == "claim-code-limit" })
        #expect(limit.severity == "high")
        #expect(try await world.ledger.journal().contains { $0.reason.contains("claim-code-limit") && $0.account == agentID })
        // Another account is not held by this one's count.
        #expect(try await world.auth.claimsIssued(by: AccountID(), since: Date.distantPast) == 0)
    }

    @Test("claim codes asked at once, through two registries over one database, issue at most five: the count is taken with each code's insert")
    func issuanceLimitHoldsAtOnce() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let marc = try await ClaimCodeTests.secondParent(base)
        let agentID = try #require(try await base.store.account(username: "agent")).id
        // Two servers of one database: two gates and authenticators over the same store.
        let other = try await base.reopened()
        let provisionings = [Provisioning(gate: base.gate, auth: base.auth), Provisioning(gate: other.gate, auth: other.auth)]
        let request = try await base.request("agent", purpose: "list-management")
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for i in 0..<16 {
                group.addTask {
                    do { _ = try await provisionings[i % 2].issueClaim(for: marc, request); return true } catch { return false }
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        let limit = Provisioning.claimCodeLimits[0].count
        #expect(outcomes.filter { $0 }.count == limit, "\(outcomes.filter { $0 }.count) codes issued at once")
        #expect(try await base.auth.claimsIssued(by: agentID, since: Date.distantPast) == limit)
        // Only the codes issued are journalled as issued: the breach scope counts exactly those.
        let issued = try await base.ledger.journal().filter { $0.allowed && $0.action == "claim-code-issue" && $0.account == agentID }
        #expect(issued.count == limit, "\(issued.count) issue entries")
    }
}
