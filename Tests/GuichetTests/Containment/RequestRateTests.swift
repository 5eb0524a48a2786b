import Foundation
import Testing
import GuichetCore
import GuichetWatch

/// One account's request rate (an attacker test: a citizen read their own file 235 times a
/// second, which no ceiling counts since it shows no new person, each read a ledger entry
/// never trimmed).
@Suite struct RequestRateTests {
    @Test("an account past 600 requests a minute is reported, past 6,000 throttled; a working day meets neither")
    func rate() throws {
        var bench = WatchBench()
        // A citizen reading the same file over and over, several times a second.
        let citizen = AccountID(), own = WatchBench.newDossier()
        let start = WatchBench.at(day: 3, hour: 20)
        func read(_ i: Int, perSecond: Int) -> WatchEvent {
            var e = bench.event(citizen, at: start.addingTimeInterval(Double(i) / Double(perSecond)), dossiers: [own])
            e.kind = .citizen; e.role = "parent"
            return e
        }
        var detectors: [String] = [], refusal: WatchRefusal?
        for i in 0..<WatchEngine.requestsPerMinute {
            let a = bench.engine.assess(read(i, perSecond: 200))
            detectors += a.findings.map(\.detector)
        }
        #expect(!detectors.contains("request-rate"), "600 in a minute is the limit, not over it")
        let over = bench.engine.assess(read(WatchEngine.requestsPerMinute, perSecond: 200))
        #expect(over.findings.map(\.detector).contains("request-rate") && over.refusal == nil, "reported (an alert), not refused")
        for i in (WatchEngine.requestsPerMinute + 1)..<(10 * WatchEngine.requestsPerMinute + 1) {
            let a = bench.engine.assess(read(i, perSecond: 200))
            detectors += a.findings.map(\.detector)
            if let r = a.refusal { refusal = r; break }
        }
        #expect(detectors.contains("request-flood"), "\(detectors)")
        guard case .throttled = refusal else { Issue.record("not throttled: \(String(describing: refusal))"); return }

        // Ordinary work of four agents for a week: neither.
        var found: [Finding] = []
        for day in 0..<5 { for agent in 0..<4 { found += bench.normalDay(agent, day: day) } }
        #expect(!found.contains { $0.detector == "request-rate" || $0.detector == "request-flood" })
    }
}
