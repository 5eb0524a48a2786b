import Foundation
import Testing
import GuichetCore
import GuichetWatch

/// One account's pace of ledger entries (an attacker test: a citizen read their own file 235
/// times a second, which no ceiling counts since it shows no new person, each read a ledger
/// entry never trimmed; a citizens' audit: a list of one's 19 files, 70 times a second, wrote
/// 1,300 entries a second under a limit that counted requests).
@Suite struct RequestRateTests {
    @Test("a citizen past 150 ledger entries a minute is reported, past 1,500 throttled; a working day meets neither")
    func rate() throws {
        var bench = WatchBench()
        // A citizen reading the same file over and over, several times a second.
        let citizen = AccountID(), own = WatchBench.newDossier()
        let start = WatchBench.at(day: 3, hour: 20)
        let limits = WatchEngine.rateLimits(.citizen)
        #expect(limits.alert == 150 && limits.flood == 1_500)
        func read(_ i: Int, perSecond: Int) -> WatchEvent {
            var e = bench.event(citizen, at: start.addingTimeInterval(Double(i) / Double(perSecond)), dossiers: [own])
            e.kind = .citizen; e.role = "parent"
            return e
        }
        var detectors: [String] = [], refusal: WatchRefusal?
        for i in 0..<limits.alert {
            let a = bench.engine.assess(read(i, perSecond: 200))
            detectors += a.findings.map(\.detector)
        }
        #expect(!detectors.contains("request-rate"), "150 in a minute is the limit, not over it")
        let over = bench.engine.assess(read(limits.alert, perSecond: 200))
        #expect(over.findings.map(\.detector).contains("request-rate") && over.refusal == nil, "reported (an alert), not refused")
        for i in (limits.alert + 1)..<(limits.flood + 1) {
            let a = bench.engine.assess(read(i, perSecond: 200))
            detectors += a.findings.map(\.detector)
            if let r = a.refusal { refusal = r; break }
        }
        #expect(detectors.contains("request-flood"), "\(detectors)")
        guard case .throttled = refusal else { Issue.record("not throttled: \(String(describing: refusal))"); return }

        // Ordinary work of four agents for a week: neither, nor the day's volume.
        var found: [Finding] = []
        for day in 0..<5 { for agent in 0..<4 { found += bench.normalDay(agent, day: day) } }
        #expect(!found.contains { ["request-rate", "request-flood", "ledger-volume"].contains($0.detector) })
    }

    @Test("entries are counted, not requests: a list of 19 files at 2 a second is throttled within the minute")
    func listsCountTheirEntries() throws {
        var bench = WatchBench()
        // A parent's 19 applications: the parent and one child each would be 20 persons; the
        // same parent and child on each keeps the person ceiling out of what is measured.
        let citizen = AccountID(), parent = PersonID(), child = PersonID()
        let files = (0..<19).map { _ in (DossierID(), [parent, child]) }
        let start = WatchBench.at(day: 3, hour: 20)
        var detectors: [String] = [], refusedAt: Int?
        // 120 lists in a minute: 120 requests (under any limit of requests) but 2,280 entries.
        for i in 0..<120 {
            var e = bench.event(citizen, at: start.addingTimeInterval(Double(i) / 2), dossiers: files, action: "search")
            e.kind = .citizen; e.role = "parent"; e.entries = files.count
            let a = bench.engine.assess(e)
            detectors += a.findings.map(\.detector)
            if a.refusal != nil { refusedAt = i; break }
        }
        #expect(detectors.contains("request-rate") && detectors.contains("request-flood"), "\(detectors)")
        // 1,500 entries is the 79th list of 19.
        #expect(refusedAt == 78, "throttled at the list that crossed 1,500 entries, not \(String(describing: refusedAt))")
    }

    @Test("a citizen paced under the minute's limits meets the day's: throttled past 20,000 entries, suspended at the third throttle")
    func dayBoundsAPacedScript() throws {
        var bench = WatchBench()
        let citizen = AccountID(), own = WatchBench.newDossier()
        let start = WatchBench.at(day: 3, hour: 1)
        let limits = WatchEngine.rateLimits(.citizen)
        var second = 0.0, count = 0
        var refusals: [WatchRefusal] = [], detectors: [String] = []
        // 140 entries a minute (under the alert), for as long as it is let through.
        while refusals.count < 20, second < 86_000 {
            var e = bench.event(citizen, at: start.addingTimeInterval(second), dossiers: [own])
            e.kind = .citizen; e.role = "parent"
            let a = bench.engine.assess(e)
            detectors += a.findings.map(\.detector)
            if let r = a.refusal {
                refusals.append(r)
                if case .suspended = r { break }
                second += 16 * 60  // waits the throttle out, then goes on
            } else {
                count += 1
                second += 60.0 / 140
            }
        }
        #expect(!detectors.contains("request-rate"))
        #expect(count >= limits.day && count <= limits.day + 5, "let through \(count) entries")
        #expect(detectors.filter { $0 == "ledger-volume" }.count >= 2)
        guard case .suspended = refusals.last else { Issue.record("not suspended: \(refusals)"); return }
    }
}

/// The same, through the gate: a parent's list of their own files counts one entry per file.
@Suite struct RequestRateGateTests {
    @Test("a parent listing their 5 applications in a loop is throttled at 1,500 entries a minute (300 lists), each list counted as its 5 entries")
    func parentListingInALoop() async throws {
        // The watch's minute is the gate's clock, held still: the loop's pace on a loaded
        // machine does not decide which minute a list falls in.
        let clock = ManualClock()
        let base = try await World.make(clock: clock.function)
        defer { base.remove() }
        _ = try await base.registerParent("lea.parent")
        for i in 0..<5 { _ = try await base.application(by: "lea.parent", childName: "Emma\(["a", "b", "c", "d", "e"][i])") }
        let watched = try await base.reopened(.testing(watch: base.profile.watch, clock: clock.function)).gate
        let parent = try await base.request("lea.parent")
        var lists = 0, slowed = false
        while lists < 1_000 {
            do {
                let page = try await watched.search(type: "application", status: nil, criteria: [:], after: nil, limit: 50, parent)
                #expect(page.views.count == 5)
                lists += 1
            } catch GuichetError.slowed {
                slowed = true; break
            }
        }
        #expect(slowed, "listed \(lists) times without a throttle")
        // 1,500 entries a minute at 5 a list: the 301st list is the first refused (a limit of
        // requests would have let 1,500 through).
        #expect(lists == 300, "throttled after \(lists) lists")
        let alerts = try await base.store.alerts(openOnly: true, account: nil, limit: 50).map(\.detector)
        #expect(alerts.contains("request-flood"), "\(alerts)")
    }
}
