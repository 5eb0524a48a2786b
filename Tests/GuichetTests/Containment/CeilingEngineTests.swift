import Foundation
import Testing
import GuichetCore
@testable import GuichetWatch

/// The ceiling's state machine in the watch engine, on a simulated clock: what an account
/// gets, in any order and at any pace, before it is contained.
@Suite struct CeilingEngineTests {
    static let staff = Ceiling.defaults(for: .staff)

    /// Reads one new dossier (three persons) at a time until refused; answers the step-up with
    /// a fresh factor and a justification when `answer`; returns persons received and the
    /// last refusal.
    static func drain(_ bench: inout WatchBench, _ agent: AccountID, day: Int, from hour: Double, every seconds: Double,
                      answer: Bool = true, sessions: [SessionID] = [SessionID()], limit: Int = 400) -> (received: Int, last: WatchRefusal?) {
        var received = 0
        var t = WatchBench.at(day: day, hour: hour)
        var factor = t.addingTimeInterval(-60)
        var justification: String?
        var last: WatchRefusal?
        for i in 0..<limit {
            let d = WatchBench.newDossier()
            var e = bench.event(agent, at: t, dossiers: [d], session: sessions[i % sessions.count], secondFactorAt: factor)
            e.justification = justification
            let a = bench.engine.assess(e)
            last = a.refusal
            switch a.refusal {
            case nil: received += d.1.count
            case .ceiling?:
                guard answer else { return (received, last) }
                factor = t.addingTimeInterval(1); justification = "The family called about the file this morning."
            case .throttled(let until)?: t = until.addingTimeInterval(1)
            case .suspended?: return (received, last)
            default: break
            }
            t = t.addingTimeInterval(a.refusal == nil ? seconds : 2)
        }
        return (received, last)
    }

    @Test("a decoy asked for while the account owes the ceiling's step-up, or is throttled, suspends it at once")
    func decoyAtTheCeiling() {
        for answer in [false, true] {
            var bench = WatchBench()
            let agent = bench.agents[0]
            // Up to the ceiling's demand (not answered), or on to the throttle after the grace.
            var t = WatchBench.at(day: 0, hour: 9)
            var factor = t.addingTimeInterval(-60)
            var justification: String?
            var stopped: WatchRefusal?
            for _ in 0..<400 {
                var e = bench.event(agent, at: t, dossiers: [WatchBench.newDossier()], secondFactorAt: factor)
                e.justification = justification
                let a = bench.engine.assess(e)
                t = t.addingTimeInterval(1)
                if case .ceiling? = a.refusal, answer { factor = t; justification = "The family called about the file this morning."; continue }
                if let r = a.refusal { stopped = r; break }
            }
            if answer {
                guard case .throttled? = stopped else { Issue.record("expected a throttle, got \(String(describing: stopped))"); continue }
            } else {
                guard case .ceiling? = stopped else { Issue.record("expected the ceiling, got \(String(describing: stopped))"); continue }
            }
            var decoy = bench.event(agent, at: t, dossiers: [WatchBench.newDossier()], secondFactorAt: factor)
            decoy.honeytoken = true
            let a = bench.engine.assess(decoy)
            #expect(a.refusal == .suspended && bench.engine.isSuspended(agent), "\(answer ? "throttled" : "at the ceiling"): \(String(describing: a.refusal))")
            #expect(a.findings.filter { $0.detector == "honeytoken" }.count == 1, "\(a.findings.map(\.detector))")
        }
    }

    @Test("a new account at full speed, answering every step-up, gets at most the first window plus the grace, then is suspended")
    func fullSpeed() {
        var bench = WatchBench()
        let r = Self.drain(&bench, bench.agents[0], day: 0, from: 9, every: 0.05)
        #expect(r.received <= Self.staff.first + Self.staff.grace && r.received >= Self.staff.first - 3)
        #expect(r.last == .suspended && bench.engine.isSuspended(bench.agents[0]))
    }

    @Test("an attack begun just before midnight, waiting its throttle out into the next day, gets no fresh ceiling")
    func acrossMidnight() {
        // Whatever minute before midnight it starts, the throttle (15 minutes) ends on the
        // next local day: the day's roll must not give the windows back.
        for minutes in [30.0, 20, 10, 5, 1, 0.25] {
            var bench = WatchBench()
            let r = Self.drain(&bench, bench.agents[0], day: 0, from: 24 - minutes / 60, every: 0.05)
            #expect(r.received <= Self.staff.first + Self.staff.grace, "started \(minutes) minutes before midnight: received \(r.received)")
            #expect(r.last == .suspended && bench.engine.isSuspended(bench.agents[0]), "started \(minutes) minutes before midnight")
        }
    }

    @Test("a paced attack across midnight gets no more than the hour window and its grace")
    func pacedAcrossMidnight() {
        // One dossier (three persons) every 20 s, or every minute (under the 10-minute window,
        // so the hour's is crossed), from 23:00 to 23:58: the day's roll falls before the
        // crossing, at the step-up, during the grace or during the throttle.
        let cases: [(Double, Double)] = [20.0, 60].flatMap { pace in stride(from: 23.0, through: 23 + 58.0 / 60, by: 1.0 / 12).map { (pace, $0) } }
        for (pace, start) in cases {
            var bench = WatchBench()
            let r = Self.drain(&bench, bench.agents[0], day: 0, from: start, every: pace)
            #expect(r.received <= Self.staff.hour + Self.staff.grace, "one every \(pace) s from \(start) h: received \(r.received)")
            #expect(r.last == .suspended, "one every \(pace) s from \(start) h")
        }
    }

    @Test("a throttle after the grace ends with the next day's roll only 24 hours after it began")
    func throttleKeptOneDay() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        // Up to the throttle after the grace, at 23:50.
        var t = WatchBench.at(day: 0, hour: 23 + 50.0 / 60)
        var factor = t.addingTimeInterval(-60)
        var justification: String?
        var throttledAt: Date?
        while throttledAt == nil {
            var e = bench.event(agent, at: t, dossiers: [WatchBench.newDossier()], secondFactorAt: factor)
            e.justification = justification
            switch bench.engine.assess(e).refusal {
            case .ceiling?: factor = t.addingTimeInterval(1); justification = "The family called about the file this morning."
            case .throttled?: throttledAt = t
            case let other?: Issue.record("unexpected refusal \(other)"); return
            case nil: break
            }
            t = t.addingTimeInterval(1)
        }
        // Two days later the stage is gone: a new person is served, the account is not suspended.
        let later = WatchBench.at(day: 2, hour: 9)
        #expect(bench.engine.assess(bench.event(agent, at: later, dossiers: [WatchBench.newDossier()], secondFactorAt: factor)).refusal == nil)
        #expect(!bench.engine.isSuspended(agent))
    }

    @Test("three parallel sessions share one count")
    func parallelSessions() {
        var bench = WatchBench()
        let r = Self.drain(&bench, bench.agents[0], day: 0, from: 9, every: 0.05, sessions: [SessionID(), SessionID(), SessionID()])
        #expect(r.received <= 50 && r.last == .suspended)
    }

    @Test("after a crossing, a window that slid empty gives no fresh allowance")
    func slidingWindow() {
        var bench = WatchBench()
        // Just under the 10-minute window, then wait it out each time: the hour window is crossed.
        let r = Self.drain(&bench, bench.agents[0], day: 0, from: 9, every: 20)
        #expect(r.received <= Self.staff.hour + Self.staff.grace, "received \(r.received)")
        #expect(r.last == .suspended)
    }

    @Test("without the step-up, nothing more comes, and five more requests suspend the account")
    func ignoredStepUp() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        let r = Self.drain(&bench, agent, day: 0, from: 9, every: 0.05, answer: false)
        #expect(r.received <= Self.staff.first)
        var t = WatchBench.at(day: 0, hour: 10)
        var last: WatchRefusal?
        for _ in 0..<5 {
            t = t.addingTimeInterval(5)
            last = bench.engine.assess(bench.event(agent, at: t, dossiers: [WatchBench.newDossier()])).refusal
        }
        #expect(last == .suspended)
    }

    @Test("persons already received today cost nothing past the ceiling")
    func rereading() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        let files = (0..<11).map { _ in WatchBench.newDossier() }  // 33 persons, under the 35
        var t = WatchBench.at(day: 0, hour: 9)
        for f in files { #expect(bench.engine.assess(bench.event(agent, at: t, dossiers: [f])).refusal == nil); t += 1 }
        let over = bench.engine.assess(bench.event(agent, at: t, dossiers: [WatchBench.newDossier()]))
        if case .ceiling = over.refusal {} else { Issue.record("the 36th person asks for a step-up") }
        for f in files { #expect(bench.engine.assess(bench.event(agent, at: t + 5, dossiers: [f])).refusal == nil, "reopening a file read today") }
    }

    @Test("persons received again after the window count nothing in it: 30 reopened ten minutes later, then new ones up to the ceiling")
    func rereadingAfterTheWindow() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        let files = (0..<10).map { _ in WatchBench.newDossier() }  // 30 persons
        var t = WatchBench.at(day: 0, hour: 9)
        for f in files { #expect(bench.engine.assess(bench.event(agent, at: t, dossiers: [f])).refusal == nil); t += 1 }
        // Ten and a half minutes later (a containment audit: the 36th request, 30 reopened and
        // 5 new, met the ceiling at 35 distinct persons in the day).
        t += 630
        for f in files { #expect(bench.engine.assess(bench.event(agent, at: t, dossiers: [f])).refusal == nil, "reopening a file read today"); t += 1 }
        var received = 0
        while received < 60 {
            guard bench.engine.assess(bench.event(agent, at: t, dossiers: [WatchBench.newDossier()])).refusal == nil else { break }
            received += 3; t += 1
        }
        #expect(received == 33, "the window holds the persons first received in it: 33 new (11 files) under the 35, then a step-up")
    }

    @Test("a second crossing within a week is a high alert, and still held to the ceiling and its grace")
    func secondCrossing() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        let first = Self.drain(&bench, agent, day: 0, from: 9, every: 0.05)
        #expect(first.last == .suspended)
        bench.engine.reinstate(agent)
        let t = WatchBench.at(day: 2, hour: 9)
        var crossing: Assessment?
        for i in 0..<20 {
            let a = bench.engine.assess(bench.event(agent, at: t.addingTimeInterval(Double(i)), dossiers: [WatchBench.newDossier()]))
            if a.refusal != nil { crossing = a; break }
        }
        #expect(crossing?.findings.contains { $0.detector == "ceiling" && $0.severity == .high } == true)
        let second = Self.drain(&bench, agent, day: 3, from: 9, every: 0.05)
        #expect(second.received <= Self.staff.first + Self.staff.grace && second.last == .suspended)
    }

    @Test("a reinstatement restarts the ceilings' counts: the owner works again the same hour, up to the ceiling, not throttled at the next new person")
    func reinstatementRestartsCounts() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        let first = Self.drain(&bench, agent, day: 0, from: 9, every: 0.05)
        #expect(first.last == .suspended)
        bench.engine.reinstate(agent)
        // Two minutes later, same burst window: a file a minute, each with new persons.
        var t = WatchBench.at(day: 0, hour: 9).addingTimeInterval(120)
        var received = 0
        for _ in 0..<10 {
            let d = WatchBench.newDossier()
            let a = bench.engine.assess(bench.event(agent, at: t, dossiers: [d], secondFactorAt: t.addingTimeInterval(-30)))
            #expect(a.refusal == nil, "after the officer's review, the owner's next files open")
            if a.refusal == nil { received += d.1.count }
            t = t.addingTimeInterval(60)
        }
        #expect(received == 30)
        // And the ceiling holds again from there: a fast drain in the same ten minutes stops at
        // the first window, the thirty persons just received counted in it.
        let again = Self.drain(&bench, agent, day: 0, from: 9.19, every: 0.05, answer: false)
        #expect(again.received + received <= Self.staff.first + 3)
    }

    @Test("a busy day past the ceiling goes on at a normal pace once justified")
    func busyDayGoesOn() {
        var bench = WatchBench()
        let agent = bench.agents[0]
        // 36 persons in a few minutes (a crossing), then a file every 8 minutes all day.
        var t = WatchBench.at(day: 0, hour: 9)
        var factor = t.addingTimeInterval(-60)
        var justification: String?
        var refusals: [WatchRefusal] = []
        for i in 0..<80 {
            var e = bench.event(agent, at: t, dossiers: [WatchBench.newDossier()], secondFactorAt: factor)
            e.justification = justification
            let a = bench.engine.assess(e)
            if case .ceiling? = a.refusal { factor = t.addingTimeInterval(1); justification = "Many families called after the letters went out." }
            if let r = a.refusal { refusals.append(r) }
            t = t.addingTimeInterval(i < 12 ? 10 : 8 * 60)
        }
        #expect(refusals.count == 1, "one step-up, then normal work: \(refusals)")
        #expect(!bench.engine.isSuspended(agent))
    }

    @Test("the ceilings hold with the detectors turned off")
    func watchDisabled() {
        var settings = WatchSettings.defaults
        settings.enabled = false
        var bench = WatchBench(settings: settings)
        let r = Self.drain(&bench, bench.agents[0], day: 0, from: 9, every: 0.05)
        #expect(r.received <= 50 && r.last == .suspended)
    }

    @Test("three weeks of normal agents' work never meet the ceiling")
    func normalWork() {
        var bench = WatchBench()
        bench.train(weeks: 3)
        #expect(!bench.refusals.contains { if case .ceiling = $0 { true } else { false } })
        #expect(bench.agents.allSatisfy { !bench.engine.isSuspended($0) })
    }
}
