import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// Each approval hands an account a ceiling of persons of its own: a new account, a role, a
/// caseload. Two stolen administrators approving each other's requests made 20 accounts in 8 s,
/// each good for about 50 persons (an insider audit). So approvals have a ceiling of their own,
/// per approver, much lower than the changes': `approvalsBurst` in 10 minutes, then a fresh
/// factor and a reason for `approvalsGrace` more, then a throttle and a suspension.
@Suite(.serialized)
struct ApprovalCeilingTests {
    static let admin = Ceiling.defaults(for: .admin)

    /// A world with two administrators; `admin2` asks for `count` staff accounts (pending).
    static func world(accounts count: Int) async throws -> (StolenAccountWorld, [String]) {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 20, accounts: [("admin", "admin", "operator"), ("admin2", "admin", "operator")])
        let asker = try await world.auth.authenticate(token: try await world.signIn("admin2", secret: try await world.enrol("admin2")))
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        let org = try await world.store.organisations(kind: "operator").first
        for i in 0..<count {
            let made = try await provisioning.createAccount(NewAccount(username: "agent.new\(i)", password: World.password, role: "agent",
                                                                       organisation: org?.id, territory: nil, email: nil),
                                                            by: .administrator(asker, requestID: "t-\(i)", source: nil))
            #expect(made.status == "pending")
        }
        let requests = try await provisioning.pendingRequests(by: .administrator(asker, requestID: "t", source: nil)).map(\.id)
        #expect(requests.count == count)
        return (world, requests)
    }

    static func approvals(_ world: StolenAccountWorld, _ requests: [String], secret: String, answers: Bool) async throws -> ErasureCeilingTests.Outcome {
        try await ErasureCeilingTests.attack(world, "admin", requests, secret: secret, answers: answers) { id, _ in
            ("/admin/v1/requests/\(id)/approve", "{}")
        }
    }

    static func active(_ world: StolenAccountWorld, _ count: Int) async throws -> Int {
        var n = 0
        for i in 0..<count where try await world.store.account(username: "agent.new\(i)")?.status == "active" { n += 1 }
        return n
    }

    @Test("a stolen administrator's account approving account requests one after another approves its ceiling of approvals, then is suspended; the rest stay pending")
    func withoutAnswer() async throws {
        let (world, requests) = try await Self.world(accounts: Self.admin.approvalsBurst + 8)
        defer { world.remove() }
        let secret = try await world.enrol("admin")
        let outcome = try await Self.approvals(world, requests, secret: secret, answers: false)
        #expect(outcome.done.count == Self.admin.approvalsBurst, "approved \(outcome.done.count)")
        #expect(outcome.refusedCeiling >= 1 && outcome.suspended)
        #expect(try await Self.active(world, requests.count) == Self.admin.approvalsBurst, "a refused approval makes no account")
        let alerts = try await world.store.alerts(openOnly: true, account: try await world.store.account(username: "admin")?.id, limit: 20)
        #expect(alerts.contains { $0.detector == "ceiling" && $0.detail.contains("accounts approved in 10 minutes (ceiling 5") }, "\(alerts.map(\.detector))")
    }

    @Test("answering every demand, a stolen administrator's account approves the ceiling and its grace, then is throttled and suspended")
    func answering() async throws {
        let (world, requests) = try await Self.world(accounts: Self.admin.approvalsBurst + Self.admin.approvalsGrace + 10)
        defer { world.remove() }
        let secret = try await world.enrol("admin")
        let outcome = try await Self.approvals(world, requests, secret: secret, answers: true)
        let most = min(Self.admin.approvalsBurst, Self.admin.approvalsDay) + Self.admin.approvalsGrace
        #expect(outcome.done.count == most, "approved \(outcome.done.count)")
        #expect(outcome.throttled >= 1 && outcome.suspended)
        #expect(try await Self.active(world, requests.count) == most)
    }

    @Test("caseload approvals count by the account that receives the files: two requests for one holder cost one approval")
    func caseloads() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 20, accounts: [("admin", "admin", "operator"), ("admin2", "admin", "operator")])
        defer { world.remove() }
        let asker = try await world.auth.authenticate(token: try await world.signIn("admin2", secret: try await world.enrol("admin2")))
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        let org = try #require(try await world.store.organisations(kind: "operator").first)
        let files = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 20))
        let holders = Self.admin.approvalsBurst + 3
        try #require(files.count >= holders * 2)
        var requests: [String] = []
        for i in 0..<holders {
            let holder = try await world.auth.createAccount(username: "agent.cl\(i)", password: World.password, role: "agent", organisation: org.id,
                                                            territory: org.territory, createdBy: nil)
            // Two requests for the same holder: the second costs nothing more.
            for file in files[(2 * i)..<(2 * i + 2)] {
                guard case .pending(let r) = try await provisioning.assignCaseload([file], to: holder, by: .administrator(asker, requestID: "t", source: nil)) else {
                    Issue.record("an administrator's assignment waits for a second one"); return
                }
                requests.append(r.id)
            }
        }
        let secret = try await world.enrol("admin")
        let outcome = try await Self.approvals(world, requests, secret: secret, answers: false)
        #expect(outcome.done.count == 2 * Self.admin.approvalsBurst, "approved \(outcome.done.count): two requests for each of \(Self.admin.approvalsBurst) holders")
        #expect(outcome.suspended)
    }

    @Test("on the home page, past the ceiling an administrator's approval asks for a code and why; after them the account is approved")
    func page() async throws {
        let (world, requests) = try await Self.world(accounts: Self.admin.approvalsBurst + 1)
        defer { world.remove() }
        let secret = try await world.enrol("admin")
        try await Application(router: world.server.adminRouter().0).test(.router) { client in
            var admin = PageClient(client)
            world.clock.advance(30)
            _ = try await admin.signIn("admin", World.password, totp: secret, at: world.clock.now)
            var refused: (String, PageClient.Page)?
            for id in requests {
                world.clock.advance(1)
                let home = try await admin.get("/web/home?lang=fr")
                let posted = try await admin.post("/web/admin/requests/\(id)/approve", [("csrf", try #require(home.csrf))])
                if posted.status != .seeOther { refused = (id, posted); break }
            }
            let (id, page) = try #require(refused, "the ceiling is met")
            #expect(id == requests[Self.admin.approvalsBurst], "after \(Self.admin.approvalsBurst) approvals")
            #expect(page.status == .forbidden && page.html.contains(#"data-key="errCeilingApprovals""#) && page.html.contains(#"id="justification""#),
                    "\(page.status)")
            #expect(page.html.contains("Vous avez approuvé plusieurs comptes"), "in French")
            #expect(try await Self.active(world, requests.count) == Self.admin.approvalsBurst, "refused: still pending")
            let carried = try WebStepUpKeepsFormTests.carried(page.html)
            world.clock.advance(30)
            let answered = try await admin.post("/web/admin/requests/\(id)/approve", carried + [
                ("code", try TOTPSecret(base32: secret).code(at: world.clock.now)), ("justification", "Six advisers start on Monday at the new office.")])
            #expect(answered.status == .seeOther && answered.location == "/web/home?done=approve", "\(answered.status)")
            #expect(try await Self.active(world, requests.count) == Self.admin.approvalsBurst + 1, "approved after the code and the reason")
        }
    }
}

/// An account is fresh from the moment it can act: its approval, not its request (an insider
/// audit: an agent asked for 30 minutes before its approval was never watched as new).
@Suite(.serialized)
struct FreshFromApprovalTests {
    @Test("an agent asked for 40 minutes before its approval is watched as a new account at its first read: asked for a step-up when its sign-in's factor is over 5 minutes old")
    func freshFromApproval() async throws {
        let (world, requests) = try await ApprovalCeilingTests.world(accounts: 1)
        defer { world.remove() }
        world.clock.advance(40 * 60)
        let approver = try await world.auth.authenticate(token: try await world.signIn("admin", secret: try await world.enrol("admin")))
        _ = try await Provisioning(gate: world.gate, auth: world.auth).approve(request: try #require(requests.first),
                                                                               by: .administrator(approver, requestID: "t", source: nil))
        let secret = try await world.enrol("agent.new0")
        let agent = try await world.auth.authenticate(token: try await world.signIn("agent.new0", secret: secret))
        let file = try #require(try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 1)).first)
        world.clock.advance(6 * 60)
        await #expect(throws: GuichetError.self, "a new account's first read asks for a step-up") {
            _ = try await world.gate.read(file, GateRequest(principal: agent, requestID: "t", source: nil, purpose: "list-management"))
        }
        let alerts = try await world.store.alerts(openOnly: true, account: agent.account, limit: 10)
        #expect(alerts.contains { $0.detector == "fresh-account" }, "\(alerts.map(\.detector))")
    }
}
