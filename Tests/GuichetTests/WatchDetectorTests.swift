import Foundation
import Testing
import GuichetCore
import GuichetProfile
@testable import GuichetWatch

/// Each detector fires on its pattern and stays silent on a normal day of the same role.
/// The engine is pure: events carry their time (a simulated clock), nothing is stored.
@Suite struct WatchDetectorTests {
    static func trained() -> WatchBench {
        var bench = WatchBench()
        bench.train()
        return bench
    }

    @Test("a normal working day of a trained agent raises no finding at all")
    func normalDayIsSilent() {
        var bench = Self.trained()
        #expect(bench.refusals.isEmpty, "learning weeks: \(bench.refusals)")
        for day in 21..<26 {
            for i in bench.agents.indices {
                let findings = bench.normalDay(i, day: day)
                #expect(findings.isEmpty, "day \(day): \(findings.map(\.detector))")
            }
        }
        #expect(bench.refusals.isEmpty)
        #expect(bench.agents.allSatisfy { !bench.engine.isSuspended($0) })
    }

    @Test("a fast scraper is stopped before 50 persons and suspended when it keeps going")
    func fastScraper() {
        var bench = Self.trained()
        let agent = bench.agents[0]
        var exposed = 0, refusedAt: Int?, suspended = false
        for i in 0..<200 {
            let a = bench.engine.assess(bench.event(agent, at: WatchBench.at(day: 21, hour: 10).addingTimeInterval(Double(i) * 2),
                                                    dossiers: [WatchBench.newDossier()]))
            if a.refusal == nil { exposed += 3 } else { refusedAt = refusedAt ?? i }
            if a.refusal == .suspended { suspended = true; break }
        }
        #expect(refusedAt != nil && exposed <= 50, "persons revealed before the first refusal: \(exposed)")
        #expect(suspended, "a scraper that ignores the throttle is suspended")
    }

    @Test("one oversized request is vetoed before anything is revealed: the role's ceiling stops it first")
    func oversizedRequest() {
        var bench = Self.trained()
        let page = (0..<100).map { _ in WatchBench.newDossier() }
        let a = bench.engine.assess(bench.event(bench.agents[1], at: WatchBench.at(day: 21, hour: 10), dossiers: page, action: "search",
                                                search: SearchShape(paged: false, byName: false, initials: nil)))
        #expect(a.findings.contains { $0.detector == "ceiling" })
        if case .ceiling = a.refusal {} else { Issue.record("refused for the ceiling, got \(String(describing: a.refusal))") }
    }

    @Test("paging deep through one search is a sweep")
    func searchSweep() {
        var bench = Self.trained()
        var detectors: [String] = []
        for page in 0..<8 {
            let a = bench.engine.assess(bench.event(bench.agents[0], at: WatchBench.at(day: 21, hour: 10).addingTimeInterval(Double(page) * 60),
                                                    dossiers: [WatchBench.newDossier()], action: "search",
                                                    search: SearchShape(paged: page > 0, byName: false, initials: nil)))
            detectors += a.findings.map(\.detector)
        }
        #expect(detectors.contains("search-sweep"))
    }

    @Test("name searches in alphabetical order are a sweep; the same searches shuffled are not")
    func alphabeticalSweep() {
        let names = ["Allard", "Bélanger", "Bouchard", "Caron", "Côté", "Dubois", "Fortin", "Gagnon", "Girard", "Lavoie"]
        for (order, expected) in [(names, true), (["Fortin", "Allard", "Lavoie", "Caron", "Girard", "Bouchard", "Dubois", "Côté", "Gagnon", "Bélanger"], false)] {
            var bench = Self.trained()
            var detectors: [String] = []
            for (i, name) in order.enumerated() {
                let a = bench.engine.assess(bench.event(bench.agents[2], at: WatchBench.at(day: 21, hour: 10).addingTimeInterval(Double(i) * 240),
                                                        dossiers: [bench.caseloads[2][i].self], action: "search",
                                                        search: SearchShape(paged: false, byName: true, initials: SearchShape.initials(of: name))))
                detectors += a.findings.map(\.detector)
            }
            #expect(detectors.contains("alphabetical-sweep") == expected, "\(order)")
        }
        #expect(SearchShape.initials(of: "Émond") == SearchShape.initials(of: "emond"))
    }

    @Test("many dossiers never seen before in one day, at a human pace, call for a step-up")
    func newDossiers() {
        var bench = Self.trained()
        let agent = bench.agents[3]
        var first: Assessment?
        for i in 0..<80 {
            let a = bench.engine.assess(bench.event(agent, at: WatchBench.at(day: 21, hour: 9).addingTimeInterval(Double(i) * 240),
                                                    dossiers: [WatchBench.newDossier()], secondFactorAt: WatchBench.at(day: 21, hour: 7)))
            if !a.findings.isEmpty { first = a; break }
        }
        #expect(first?.findings.map(\.detector) == ["new-dossiers"])
        #expect(first?.refusal == .stepUp)
        // Verifying the second factor again lets the agent go on.
        let after = bench.engine.assess(bench.event(agent, at: WatchBench.at(day: 21, hour: 16), dossiers: [bench.caseloads[3][0]],
                                                    secondFactorAt: WatchBench.at(day: 21, hour: 16).addingTimeInterval(-30)))
        #expect(after.refusal == nil, "\(after.findings)")
    }

    @Test("a Saturday night access from a new network: unusual hour, new network, and the two together")
    func unusualContext() {
        var bench = Self.trained()
        let a = bench.engine.assess(bench.event(bench.agents[0], at: WatchBench.at(day: 19, hour: 23), dossiers: [bench.caseloads[0][0]],
                                                source: "203.0.113.9", session: SessionID()))
        let detectors = Set(a.findings.map(\.detector))
        #expect(detectors.isSuperset(of: ["unusual-hour", "new-network", "sign-in-hour", "context-combination"]), "\(detectors)")
        #expect(a.refusal == .stepUp || a.refusal == nil)
    }

    @Test("networks are read as addresses: one /48 however it is written, an IPv4 address mapped into IPv6 as IPv4")
    func networksAsAddresses() {
        #expect(Detectors.network("2001:db8::1") == "2001:db8::/48")
        #expect(Detectors.network("2001:db8:0:5::1") == "2001:db8::/48", "the same /48, written without the compressed zeros")
        #expect(Detectors.network("2001:DB8:0:0:0:0:0:1") == "2001:db8::/48")
        #expect(Detectors.network("2001:db8:1::1") == "2001:db8:1::/48", "the next /48 is another network")
        #expect(Detectors.network("fe80::1%eth0") == "fe80::/48")
        #expect(Detectors.network("::ffff:192.0.2.1") == "192.0.2.0/24", "a dual-stack listener's IPv4 client")
        #expect(Detectors.network("::ffff:198.51.100.1") != Detectors.network("::ffff:192.0.2.1"), "mapped IPv4 networks stay apart")
        #expect(Detectors.network("192.0.2.77") == "192.0.2.0/24")
        #expect(Detectors.network("not an address") == "not an address")
        #expect(Detectors.network("") == nil && Detectors.network(nil) == nil)
    }

    @Test("an agent trained from an IPv4 network is not at a new network when a dual-stack listener reports it mapped into IPv6, and a stranger's mapped address is")
    func mappedAddressesAreTheirIPv4Network() {
        var bench = Self.trained()  // trained from 10.20.30.40
        let same = bench.engine.assess(bench.event(bench.agents[0], at: WatchBench.at(day: 21, hour: 10), dossiers: [bench.caseloads[0][0]],
                                                   source: "::ffff:10.20.30.41"))
        #expect(!same.findings.contains { $0.detector == "new-network" }, "\(same.findings.map(\.detector))")
        let stranger = bench.engine.assess(bench.event(bench.agents[1], at: WatchBench.at(day: 21, hour: 10), dossiers: [bench.caseloads[1][0]],
                                                       source: "::ffff:203.0.113.9"))
        #expect(stranger.findings.contains { $0.detector == "new-network" }, "\(stranger.findings.map(\.detector))")
    }

    @Test("a burst of refused requests is noticed")
    func denialBurst() {
        var bench = Self.trained()
        var detectors: [String] = []
        for i in 0..<12 {
            detectors += bench.engine.assess(bench.event(bench.agents[1], at: WatchBench.at(day: 21, hour: 10).addingTimeInterval(Double(i) * 5),
                                                         dossiers: [WatchBench.newDossier()], allowed: false)).findings.map(\.detector)
        }
        #expect(detectors.contains("denial-burst"))
    }

    @Test("touching a honeytoken suspends at once, and the account stays refused")
    func honeytoken() {
        var bench = Self.trained()
        var e = bench.event(bench.agents[0], at: WatchBench.at(day: 21, hour: 10), dossiers: [WatchBench.newDossier()])
        e.honeytoken = true
        let a = bench.engine.assess(e)
        #expect(a.findings.first?.detector == "honeytoken" && a.findings.first?.severity == .critical)
        #expect(a.response == .suspend && a.refusal == .suspended)
        let next = bench.engine.assess(bench.event(bench.agents[0], at: WatchBench.at(day: 21, hour: 10.1), dossiers: [bench.caseloads[0][0]]))
        #expect(next.refusal == .suspended)
        bench.engine.reinstate(bench.agents[0])
        #expect(bench.engine.assess(bench.event(bench.agents[0], at: WatchBench.at(day: 21, hour: 11), dossiers: [bench.caseloads[0][0]])).refusal == nil)
    }

    @Test("every access to a watched person alerts; a name search outside the caseload needs a justification")
    func watchedPerson() {
        var bench = Self.trained()
        let dossier = bench.caseloads[1][0]
        var read = bench.event(bench.agents[1], at: WatchBench.at(day: 21, hour: 10), dossiers: [dossier])
        read.watched = [dossier.1[0]]
        let a = bench.engine.assess(read)
        #expect(a.findings.map(\.detector) == ["watched-person"] && a.refusal == nil && a.response == .alert)
        var search = bench.event(bench.agents[1], at: WatchBench.at(day: 21, hour: 10.5), dossiers: [dossier], action: "search",
                                 search: SearchShape(paged: false, byName: true, initials: 3))
        search.watched = [dossier.1[0]]
        search.watchedBySearchOutsideCaseload = true
        #expect(bench.engine.assess(search).refusal == .justification)
        search.justification = "the family called about their application today"
        search.at = WatchBench.at(day: 21, hour: 10.6)
        let justified = bench.engine.assess(search)
        #expect(justified.refusal == nil && justified.findings.map(\.detector) == ["watched-person"])
    }

    @Test("an account that reaches personal data minutes after its creation is noticed; an old one is not")
    func freshAccount() {
        var bench = WatchBench()
        let account = AccountID()
        var e = bench.event(account, at: WatchBench.at(day: 5, hour: 20), dossiers: [WatchBench.newDossier()])
        e.accountCreatedAt = e.at.addingTimeInterval(-300)
        #expect(bench.engine.assess(e).findings.map(\.detector) == ["fresh-account"])
        var old = bench.event(AccountID(), at: WatchBench.at(day: 5, hour: 10), dossiers: [WatchBench.newDossier()])
        old.accountCreatedAt = old.at.addingTimeInterval(-86_400 * 30)
        #expect(bench.engine.assess(old).findings.isEmpty)
    }

    @Test("fresh-account fires once per account, even when its response refused the access: retries are not throttled again, then suspended; a new security officer gets a step-up, an administrator a throttle")
    func freshAccountOnce() {
        var bench = WatchBench()
        for (kind, severity) in [(RoleKind.security, Severity.medium), (.admin, .high), (.staff, .medium)] {
            let account = AccountID()
            let created = WatchBench.at(day: 5, hour: 9)
            var first = bench.event(account, at: created.addingTimeInterval(120), dossiers: [(DossierID(), [PersonID()])])
            first.kind = kind; first.accountCreatedAt = created
            let a = bench.engine.assess(first)
            #expect(a.findings.first { $0.detector == "fresh-account" }?.severity == severity, "\(kind)")
            #expect(a.refusal != nil, "the first access is held: \(kind)")
            // Retries over the window, each after the previous refusal ran out, the factor verified again.
            var t = created.addingTimeInterval(120)
            for i in 0..<2 {
                t = t.addingTimeInterval(16 * 60)
                var retry = bench.event(account, at: t, dossiers: [(DossierID(), [PersonID()])], secondFactorAt: t.addingTimeInterval(-5))
                retry.kind = kind; retry.accountCreatedAt = created
                let r = bench.engine.assess(retry)
                #expect(!r.findings.contains { $0.detector == "fresh-account" }, "once per account: \(kind)")
                #expect(r.refusal == nil, "\(kind), retry \(i): \(String(describing: r.refusal))")
            }
        }
    }

    @Test("a new staff account's first access minutes after its session proved the factor is an alert, not a step-up that refuses the code just typed; an older proof still owes one, and an administrator is still throttled")
    func freshAccountAnsweredBySignIn() {
        var bench = WatchBench()
        let created = WatchBench.at(day: 5, hour: 9)
        for (kind, factorAge, refused) in [(RoleKind.staff, 40.0, false), (.security, 40, false), (.staff, 10 * 60, true), (.admin, 40, true)] {
            var first = bench.event(AccountID(), at: created.addingTimeInterval(180), dossiers: [(DossierID(), [PersonID()])],
                                    secondFactorAt: created.addingTimeInterval(180 - factorAge))
            first.kind = kind; first.accountCreatedAt = created
            let a = bench.engine.assess(first)
            #expect(a.findings.map(\.detector) == ["fresh-account"], "\(kind)")
            #expect((a.refusal != nil) == refused, "\(kind), factor \(factorAge) s old: \(String(describing: a.refusal))")
            if !refused { #expect(a.response == .alert, "the officer still sees it: \(kind)") }
        }
    }

    @Test("a new security officer's first personal data on the console (the key file's holder, no session to verify again) is an alert, not a step-up it cannot answer; a step-up owed from a session does not hold the console")
    func freshOfficerOnTheConsole() {
        var bench = WatchBench()
        let officer = AccountID()
        let created = WatchBench.at(day: 5, hour: 9)
        var console = bench.event(officer, at: created.addingTimeInterval(120), dossiers: [(DossierID(), [PersonID()])])
        console.kind = .security; console.accountCreatedAt = created; console.onConsoleWithKeyFile = true
        let a = bench.engine.assess(console)
        #expect(a.findings.map(\.detector) == ["fresh-account"] && a.refusal == nil && a.response == .alert, "\(String(describing: a.refusal))")

        // The same officer in a session owes the step-up; the console meanwhile is not held.
        let other = AccountID()
        var web = bench.event(other, at: created.addingTimeInterval(180), dossiers: [(DossierID(), [PersonID()])])
        web.kind = .security; web.accountCreatedAt = created
        #expect(bench.engine.assess(web).refusal == .stepUp)
        var then = bench.event(other, at: created.addingTimeInterval(240), dossiers: [(DossierID(), [PersonID()])])
        then.kind = .security; then.accountCreatedAt = created; then.onConsoleWithKeyFile = true
        #expect(bench.engine.assess(then).refusal == nil)
        var again = bench.event(other, at: created.addingTimeInterval(300), dossiers: [(DossierID(), [PersonID()])])
        again.kind = .security; again.accountCreatedAt = created
        #expect(bench.engine.assess(again).refusal == .stepUp, "the session still owes it")
    }

    @Test("the profile's watch section is read, and a wrong one is refused with its line")
    func profileSection() throws {
        let base = try String(contentsOfFile: Repo.place05 + "/profile.yaml", encoding: .utf8)
        let profile = try ProfileLoader.parse(yaml: base, file: "p.yaml")
        #expect(profile.watch.timezone == "America/Toronto" && profile.watch.honeytokens == 40)
        let tuned = base + "\n" + """
            watch:
              responses: {medium: alert, critical: suspend}
              volume: {burst: 30, burst-window: 5m}
            """
        let custom = try ProfileLoader.parse(yaml: tuned.replacingOccurrences(of: "watch:\n  timezone: America/Toronto\n  honeytokens: 40\n", with: ""), file: "p.yaml")
        #expect(custom.watch.responses[.medium] == .alert && custom.watch.burstFloor == 30 && custom.watch.burstWindow == 300)
        for bad in ["watch: {responses: {critical: alert}}", "watch: {volume: {burst-window: soon}}", "watch: {timezone: Mars/Olympus}", "watch: {sleep: 1}"] {
            let text = base.replacingOccurrences(of: "watch:\n  timezone: America/Toronto\n  honeytokens: 40\n", with: "") + "\n" + bad + "\n"
            #expect(throws: ProfileError.self, "\(bad)") { try ProfileLoader.parse(yaml: text, file: "p.yaml") }
        }
    }
}
