import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetStore
@testable import GuichetWatch

/// The ceiling of changes: a stolen staff account that changes files (withdraws a waiting
/// list, redirects families' addresses) reveals no person, so the ceiling of persons alone
/// never stopped it. Changes have the same budget, stages and answer (a fresh second factor
/// and a justification), and an account that owes that answer may change nothing.
@Suite struct ChangeCeilingTests {
    static let staff = Ceiling.defaults(for: .staff)

    /// A write of one dossier by an agent of the bench (it reveals no person).
    static func change(_ bench: WatchBench, _ agent: AccountID, at: Date, dossier: (DossierID, [PersonID])? = nil,
                       secondFactorAt: Date? = nil, justification: String? = nil) -> WatchEvent {
        var e = bench.event(agent, at: at, dossiers: [dossier ?? WatchBench.newDossier()], action: "transition:withdraw", secondFactorAt: secondFactorAt)
        e.persons = []
        e.writes = true
        e.justification = justification
        return e
    }

    @Test("a stolen agent account withdrawing files at full speed changes at most its ceiling of changes, then is suspended when it goes on")
    func fastWithdrawals() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        var changed = 0
        var refusals: [WatchRefusal] = []
        for i in 0..<1_000 {
            let a = bench.engine.assess(Self.change(bench, agent, at: WatchBench.at(day: 0, hour: 10).addingTimeInterval(Double(i))))
            if let r = a.refusal { refusals.append(r) } else { changed += 1 }
            if a.refusal == .suspended { break }
        }
        #expect(changed == Self.staff.changesBurst, "changed \(changed) files")
        #expect(refusals.first == .changes(limit: Self.staff.changesBurst, window: "10 minutes"))
        #expect(refusals.last == .suspended && bench.engine.isSuspended(agent))
        #expect(refusals.count <= WatchSettings.defaults.refusalsBeforeSuspension + 1, "suspended after the refusals it ignored: \(refusals.count)")
    }

    @Test("an account that owes the step-up of its ceiling of persons may change no file until it answers (the refusal names the ceiling of persons, not changes it never made); then it may")
    func owedStepUpBlocksChanges() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        var t = WatchBench.at(day: 0, hour: 10)
        var crossed = false
        for _ in 0..<100 where !crossed {
            if case .ceiling? = bench.engine.assess(bench.event(agent, at: t, dossiers: [WatchBench.newDossier()])).refusal { crossed = true }
            t = t.addingTimeInterval(2)
        }
        #expect(crossed)
        let refused = bench.engine.assess(Self.change(bench, agent, at: t)).refusal
        #expect(refused == .ceiling(limit: Self.staff.burst, window: "10 minutes"), "\(String(describing: refused))")
        // Refused again without a justification, even with a fresh factor.
        t = t.addingTimeInterval(2)
        #expect(bench.engine.assess(Self.change(bench, agent, at: t, secondFactorAt: t.addingTimeInterval(-1))).refusal != nil)
        t = t.addingTimeInterval(2)
        let answered = bench.engine.assess(Self.change(bench, agent, at: t, secondFactorAt: t.addingTimeInterval(-1),
                                                       justification: "The family asked to withdraw the application by phone."))
        #expect(answered.refusal == nil, "\(answered.findings.map(\.detector))")
        #expect(!bench.engine.isSuspended(agent))
    }

    @Test("an account that owes the step-up of its ceiling of changes reads no new person, and the refusal names the ceiling of changes")
    func owedChangesNamed() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        var t = WatchBench.at(day: 0, hour: 10)
        var crossed = false
        for _ in 0..<100 where !crossed {
            if case .changes? = bench.engine.assess(Self.change(bench, agent, at: t)).refusal { crossed = true }
            t = t.addingTimeInterval(2)
        }
        #expect(crossed)
        let refused = bench.engine.assess(bench.event(agent, at: t, dossiers: [WatchBench.newDossier()])).refusal
        #expect(refused == .changes(limit: Self.staff.changesBurst, window: "10 minutes"), "\(String(describing: refused))")
    }

    @Test("with a step-up and a justification, changes go on up to the ceiling and its grace, then throttle, then suspend")
    func graceThenThrottleThenSuspension() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        var t = WatchBench.at(day: 0, hour: 10)
        var factor = t.addingTimeInterval(-60)
        var justification: String?
        var changed = 0
        var throttledUntil: Date?
        for _ in 0..<500 {
            let a = bench.engine.assess(Self.change(bench, agent, at: t, secondFactorAt: factor, justification: justification))
            switch a.refusal {
            case nil: changed += 1
            case .changes?: factor = t.addingTimeInterval(1); justification = "Withdrawals the families asked for at the counter today."
            case .throttled(let until)?: throttledUntil = until
            case let other?: Issue.record("unexpected \(other)")
            }
            if throttledUntil != nil { break }
            t = t.addingTimeInterval(1)
        }
        #expect(changed == Self.staff.changesBurst + Self.staff.changesGrace, "changed \(changed)")
        let after = try? #require(throttledUntil)
        // The first change after the throttle suspends.
        let next = bench.engine.assess(Self.change(bench, agent, at: (after ?? t).addingTimeInterval(1), secondFactorAt: factor, justification: justification))
        #expect(next.refusal == .suspended && bench.engine.isSuspended(agent))
    }

    @Test("a working day's changes (a hundred over the day, thirty-five of them within ten minutes once) meet no refusal and no finding of the ceiling")
    func normalChanges() {
        var bench = WatchBench()
        bench.train()
        let agent = bench.agents[1]
        var findings: [String] = []
        for i in 0..<35 {  // a batch at the start of the day
            let a = bench.engine.assess(Self.change(bench, agent, at: WatchBench.at(day: 21, hour: 8.6).addingTimeInterval(Double(i) * 15),
                                                    dossier: bench.caseloads[1][i]))
            #expect(a.refusal == nil)
            findings += a.findings.map(\.detector)
        }
        for i in 0..<65 {  // then one every five minutes
            let a = bench.engine.assess(Self.change(bench, agent, at: WatchBench.at(day: 21, hour: 9.5).addingTimeInterval(Double(i) * 300),
                                                    dossier: bench.caseloads[1][35 + i]))
            #expect(a.refusal == nil)
            findings += a.findings.map(\.detector)
        }
        #expect(!findings.contains { $0.hasPrefix("ceiling") }, "\(findings)")
    }

    @Test("the same few files changed again and again (an application edited field by field) cost nothing after their first change of the day")
    func sameFilesAgain() {
        var bench = WatchBench()
        let agent = bench.agents[2]
        let files = Array(bench.caseloads[2].prefix(3))
        for i in 0..<1_000 {
            let a = bench.engine.assess(Self.change(bench, agent, at: WatchBench.at(day: 0, hour: 10).addingTimeInterval(Double(i)), dossier: files[i % 3]))
            #expect(a.refusal == nil)
            if a.refusal != nil { break }
        }
    }

    @Test("a parent stopped by the ceiling is told what a person can do (later, or the service), never to verify a second factor it may not have")
    func citizenWording() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        _ = try await world.registerParent("parent.many")
        var refusal: String?
        for i in 0..<(Ceiling.defaults(for: .citizen).changesBurst + 5) {
            do { _ = try await world.application(by: "parent.many", childName: "Enfant\(i)") } catch GuichetError.forbidden(let m) { refusal = m; break }
        }
        let m = try #require(refusal, "the ceiling is met")
        #expect(m.contains("contact the service that holds your file") && !m.contains("second factor") && !m.contains("/v1/session/totp"), "\(m)")
    }

    @Test("through the gate: an agent withdrawing the waiting list is stopped at its ceiling of changes and suspended, the rest of the list untouched")
    func gateStopsMassWithdrawal() async throws {
        let base = try await World.make()
        defer { base.remove() }
        _ = try await base.plant(size: 90, honeytokens: 0)
        let world = try await base.watched()
        let agent = try await world.request("agent", purpose: "list-management")
        let waiting = try await world.store.search(DossierQuery(type: "application", status: "waiting", scope: [.any], terms: [], after: nil, limit: 200))
        try #require(waiting.count > Self.staff.changesBurst + 6, "\(waiting.count) waiting applications")
        var withdrawn = 0, ceilings = 0, suspended = false
        for id in waiting {
            do {
                _ = try await world.gate.transition(id, "withdraw", agent)
                withdrawn += 1
            } catch GuichetError.forbidden(let message) where message.contains("suspended") {
                suspended = true
                break
            } catch GuichetError.forbidden(let message) where message.contains("ceiling") {
                #expect(message.contains("changed \(Self.staff.changesBurst) dossiers"), "\(message)")
                ceilings += 1
                // Requests in the second of the demand do not count as ignoring it (they were
                // in flight): the attacker goes on a second later.
                if ceilings == 1 { try await Task.sleep(for: .milliseconds(1_100)) }
            }
        }
        #expect(withdrawn == Self.staff.changesBurst)
        #expect(ceilings >= 1 && suspended, "refused \(ceilings) times, suspended: \(suspended)")
        #expect(try await world.store.account(username: "agent")?.status == "disabled")
        let still = try await world.store.search(DossierQuery(type: "application", status: "waiting", scope: [.any], terms: [], after: nil, limit: 200))
        #expect(still.count == waiting.count - Self.staff.changesBurst)
        let journal = try await world.ledger.journal()
        #expect(journal.contains { !$0.allowed && $0.reason == "watch:ceiling" }, "the refusals are journalled")
    }
}
