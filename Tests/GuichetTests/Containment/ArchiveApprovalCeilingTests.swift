import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetMFA
import GuichetCore
import GuichetGate
import GuichetStore
@testable import GuichetServer

/// An approved archive read opens an archived file to another account. An attacker's audit had
/// a stolen security officer approve 16 archive reads of two stolen advisers in about a second,
/// with no step-up and no alert, where an account's approval is held to a ceiling of its own.
/// Archive reads now count against the approver's ceiling of approvals, once for each account
/// and dossier: `approvalsBurst` in 10 minutes, `approvalsGrace` more with a fresh factor and a
/// reason, then a throttle and a suspension; a refused approval leaves the request pending.
@Suite(.serialized)
struct ArchiveApprovalCeilingTests {
    static let security = Ceiling.defaults(for: .security)

    /// A world with an officer and an agent; the agent has asked to read `count` dossiers
    /// (archived as the retention run archives them), each request pending.
    static func world(requests count: Int) async throws -> (StolenAccountWorld, [String], [DossierID]) {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 60, accounts: [("security", "security", "operator"), ("agent", "agent", "operator")])
        let ids = Array(try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: count)))
        try #require(ids.count == count)
        #expect(try await world.store.archive(ids, at: world.clock.now, rewrapped: [:]) == count)
        let agent = try #require(try await world.store.account(username: "agent")).id
        var requests: [String] = []
        for (n, id) in ids.enumerated() {
            let request = "archive-request-\(n)"
            try await world.store.insertArchiveRequest(id: request, dossier: id, account: agent, purpose: "family-request", reference: "CASE-2027/\(n)", at: world.clock.now)
            requests.append(request)
        }
        return (world, requests, ids)
    }

    static func approvals(_ world: StolenAccountWorld, _ requests: [String], secret: String, answers: Bool) async throws -> ErasureCeilingTests.Outcome {
        try await ErasureCeilingTests.attack(world, "security", requests, secret: secret, answers: answers) { id, _ in
            ("/admin/v1/archive-reads/\(id)/approve", "{}")
        }
    }

    static func approved(_ world: StolenAccountWorld, _ requests: [String]) async throws -> Int {
        var n = 0
        for id in requests where try await world.store.archiveRequest(id)?.approvedBy != nil { n += 1 }
        return n
    }

    @Test("a stolen security officer approving archive reads one after another approves its ceiling of approvals, then is suspended; the rest stay pending")
    func withoutAnswer() async throws {
        let (world, requests, _) = try await Self.world(requests: Self.security.approvalsBurst + 6)
        defer { world.remove() }
        let secret = try await world.enrol("security")
        let outcome = try await Self.approvals(world, requests, secret: secret, answers: false)
        #expect(outcome.done.count == Self.security.approvalsBurst, "approved \(outcome.done.count)")
        #expect(outcome.refusedCeiling >= 1 && outcome.suspended)
        #expect(try await Self.approved(world, requests) == Self.security.approvalsBurst, "a refused approval approves nothing")
        let officer = try await world.store.account(username: "security")?.id
        let alerts = try await world.store.alerts(openOnly: true, account: officer, limit: 20)
        #expect(alerts.contains { $0.detector == "ceiling" && $0.detail.contains("approved in 10 minutes (ceiling \(Self.security.approvalsBurst)") }, "\(alerts.map(\.detail))")
        // The refusals are in the ledger as the approvals are: only the approved ones say approve.
        let entries = try await world.store.ledgerEntries(0..<(try await world.gate.ledgerSize()))
        let approvals = entries.filter { (try? JSONSerialization.jsonObject(with: $0.entry) as? [String: Any])?["action"] as? String == "archive-read:approve" }
        #expect(approvals.count == Self.security.approvalsBurst)
    }

    @Test("answering every demand, a stolen officer approves the ceiling and its grace, then is throttled and suspended; the same account and file approved again costs nothing")
    func answering() async throws {
        let (world, requests, ids) = try await Self.world(requests: Self.security.approvalsBurst + Self.security.approvalsGrace + 6)
        defer { world.remove() }
        // A second request of the agent for the first file: approving it opens nothing new.
        let agent = try #require(try await world.store.account(username: "agent")).id
        try await world.store.insertArchiveRequest(id: "archive-request-again", dossier: ids[0], account: agent, purpose: "family-request",
                                                   reference: "CASE-2027/again", at: world.clock.now)
        let secret = try await world.enrol("security")
        let outcome = try await Self.approvals(world, [requests[0], "archive-request-again"] + requests.dropFirst(), secret: secret, answers: true)
        let most = min(Self.security.approvalsBurst, Self.security.approvalsDay) + Self.security.approvalsGrace
        #expect(outcome.done.count == most + 1, "approved \(outcome.done.count): the ceiling, its grace, and the file approved twice")
        #expect(outcome.refusedCeiling >= 1 && outcome.throttled >= 1 && outcome.suspended)
        #expect(try await Self.approved(world, requests + ["archive-request-again"]) == most + 1)
    }

    @Test("on the security home, past the ceiling an archive read's approval asks for a code and why, in French; after them it is approved")
    func page() async throws {
        let (world, requests, _) = try await Self.world(requests: Self.security.approvalsBurst + 1)
        defer { world.remove() }
        let secret = try await world.enrol("security")
        try await Application(router: world.server.adminRouter().0).test(.router) { client in
            var officer = PageClient(client)
            world.clock.advance(30)
            _ = try await officer.signIn("security", World.password, totp: secret, at: world.clock.now)
            var refused: (String, PageClient.Page)?
            for id in requests {
                world.clock.advance(1)
                let home = try await officer.get("/web/home?lang=fr")
                let posted = try await officer.post("/web/security/archive-reads/\(id)/approve", [("csrf", try #require(home.csrf))])
                if posted.status != .seeOther { refused = (id, posted); break }
            }
            let (id, page) = try #require(refused, "the ceiling is met")
            #expect(id == requests[Self.security.approvalsBurst], "after \(Self.security.approvalsBurst) approvals")
            #expect(page.status == .forbidden && page.html.contains(#"data-key="errCeilingApprovals""#) && page.html.contains(#"id="justification""#),
                    "\(page.status)")
            #expect(page.html.contains("lectures d'archives") || page.html.contains("lectures d&#39;archives"), "in French, naming archive reads")
            #expect(try await Self.approved(world, requests) == Self.security.approvalsBurst, "refused: still pending")
            let carried = try WebStepUpKeepsFormTests.carried(page.html)
            world.clock.advance(30)
            let answered = try await officer.post("/web/security/archive-reads/\(id)/approve", carried + [
                ("code", try TOTPSecret(base32: secret).code(at: world.clock.now)), ("justification", "The family court asked for the 2025 files.")])
            #expect(answered.status == .seeOther && answered.location == "/web/home?done=archive-approve", "\(answered.status)")
            #expect(try await Self.approved(world, requests) == Self.security.approvalsBurst + 1, "approved after the code and the reason")
        }
    }
}
