import Foundation
import GuichetCore
import GuichetSynth
@testable import GuichetWatch

/// A detection test bench: a ``WatchEngine`` fed with synthetic events of a few agents of
/// the same role and organisation, on a simulated clock (UTC, starting Monday 5 January 2026).
struct WatchBench {
    static let monday = Date(timeIntervalSince1970: 1_767_571_200)  // 2026-01-05T00:00:00Z, a Monday

    var engine: WatchEngine
    let organisation = OrganisationID()
    let agents: [AccountID] = (0..<4).map { _ in AccountID() }
    /// Each agent's caseload: dossiers with their persons (a child and two parents).
    var caseloads: [[(DossierID, [PersonID])]] = []
    var rng = SplitMix64(seed: 7)
    var sessions: [AccountID: SessionID] = [:]
    /// Every refusal met by normal work.
    var refusals: [WatchRefusal] = []

    init(settings: WatchSettings = .defaults) {
        engine = WatchEngine(settings: settings)
        caseloads = agents.map { _ in (0..<150).map { _ in Self.newDossier() } }
    }

    static func newDossier() -> (DossierID, [PersonID]) { (DossierID(), [PersonID(), PersonID(), PersonID()]) }

    static func at(day: Int, hour: Double) -> Date { monday.addingTimeInterval(Double(day) * 86_400 + hour * 3600) }

    func event(_ agent: AccountID, at: Date, dossiers: [(DossierID, [PersonID])], allowed: Bool = true, action: String = "read",
               search: SearchShape? = nil, source: String = "10.20.30.40", session: SessionID? = nil, secondFactorAt: Date? = nil) -> WatchEvent {
        WatchEvent(at: at, account: agent, role: "agent", kind: .staff, organisation: organisation,
                   session: session ?? sessions[agent] ?? SessionID(), source: source, action: action, allowed: allowed,
                   dossiers: dossiers.map(\.0), persons: allowed ? dossiers.flatMap(\.1) : [], search: search,
                   accountCreatedAt: Self.monday.addingTimeInterval(-90 * 86_400), secondFactorAt: secondFactorAt ?? at.addingTimeInterval(-3600))
    }

    /// One ordinary working day of an agent: from about 8:30 to 16:30 with a lunch break,
    /// a dossier every 8 to 20 minutes, mostly from the caseload, now and then a family
    /// never seen before. Returns every finding.
    @discardableResult
    mutating func normalDay(_ index: Int, day: Int) -> [Finding] {
        let agent = agents[index]
        sessions[agent] = SessionID()
        var findings: [Finding] = []
        var hour = 8.5 + Double.random(in: 0..<0.5, using: &rng)
        while hour < 16.5 {
            if hour >= 12 && hour < 13 { hour = 13 + Double.random(in: 0..<0.2, using: &rng) }
            let dossier = Double.random(in: 0..<1, using: &rng) < 0.8 ? caseloads[index].randomElement(using: &rng)! : Self.newDossier()
            let t = Self.at(day: day, hour: hour)
            let a = engine.assess(event(agent, at: t, dossiers: [dossier]))
            findings += a.findings
            refusals += a.refusal.map { [$0] } ?? []
            if a.refusal == .stepUp {  // the agent verifies the second factor again, and retries
                findings += engine.assess(event(agent, at: t.addingTimeInterval(30), dossiers: [dossier], secondFactorAt: t.addingTimeInterval(20))).findings
            }
            hour += Double.random(in: 8...20, using: &rng) / 60
        }
        return findings
    }

    /// Three working weeks of every agent, so that each has its own history and peers.
    mutating func train(weeks: Int = 3) {
        for week in 0..<weeks {
            for weekday in 0..<5 { for i in agents.indices { normalDay(i, day: week * 7 + weekday) } }
        }
    }
}
