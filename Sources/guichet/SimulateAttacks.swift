import Foundation
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetSynth
import GuichetVault

extension Place05Scenario {
    /// The first weekday on or after `day`.
    func weekday(from day: Int) -> Int {
        var d = day
        while calendar.isDateInWeekend(at(day: d, hour: 12)) { d += 1 }
        return d
    }

    func attackTasks(day: Int, weekend: Bool) -> [SimTask] {
        var out: [SimTask] = []
        for index in attacks.indices {
            let actor = attacks[index].actor
            switch attacks[index].result.name {
            case "fast-scraper" where day == weekday(from: Self.attackDay):
                let begin = at(day: day, hour: 14.5)
                var after: DossierID?
                let owner = attacks[index].owner
                for i in 0..<1_200 {
                    out.append(SimTask(at: begin.addingTimeInterval(Double(i) * 2)) {
                        if i == 0 {
                            self.attacks[index].result.firstRequest = begin
                            actor.token = owner?.token  // the owner's own session
                            actor.lastUsed = owner?.lastUsed ?? .distantPast
                        }
                        let (outcome, page) = await self.search(actor, status: nil, criteria: [:], after: after, limit: 10)
                        if case .ok = outcome { after = page?.next }
                    })
                }
            case "slow-and-low" where !weekend && day - Self.attackDay < 30:
                let caseload = Set(attacks[index].owner.flatMap { caseloads[ObjectIdentifier($0)] } ?? [])
                let hours = (0..<25).map { _ in Double.random(in: 9..<17, using: &rng) }.sorted()
                for h in hours {
                    guard let id = dossiers.randomElement(using: &rng), !caseload.contains(id) else { continue }
                    let t = at(day: day, hour: h)
                    out.append(SimTask(at: t) {
                        if self.attacks[index].result.firstRequest == nil { self.attacks[index].result.firstRequest = t }
                        _ = await self.read(actor, id)
                    })
                }
            case "search-enumeration" where day == weekday(from: Self.attackDay + 1):
                let names = QuebecNames.lastNames.sorted {
                    $0.folding(options: .diacriticInsensitive, locale: nil) < $1.folding(options: .diacriticInsensitive, locale: nil)
                }
                let begin = at(day: day, hour: 10)
                for (i, name) in names.enumerated() {
                    out.append(SimTask(at: begin.addingTimeInterval(Double(i) * 20)) {
                        if i == 0 { self.attacks[index].result.firstRequest = begin }
                        _ = await self.search(actor, status: nil, criteria: ["child.lastName": name], limit: 10, purpose: "family-request")
                    })
                }
            case "honeytoken-hit" where day == weekday(from: Self.attackDay + 2):
                guard let honeytoken = honeytokens.first else { continue }
                let list = (0..<4).compactMap { _ in dossiers.randomElement(using: &rng) } + [honeytoken]
                    + (0..<20).compactMap { _ in dossiers.randomElement(using: &rng) }
                let begin = at(day: day, hour: 11)
                for (i, id) in list.enumerated() {
                    out.append(SimTask(at: begin.addingTimeInterval(Double(i) * 180)) {
                        if i == 0 { self.attacks[index].result.firstRequest = begin }
                        _ = await self.read(actor, id)
                    })
                }
            case "compromised-partner" where day == weekday(from: Self.attackDay):
                let begin = at(day: day, hour: 22.5)
                out.append(SimTask(at: begin) {
                    self.attacks[index].result.firstRequest = begin
                    var after: DossierID?
                    var ids: [DossierID] = []
                    for _ in 0..<50 {
                        let (outcome, page) = await self.search(actor, status: "waiting", criteria: [:], after: after, limit: 20, purpose: nil)
                        if case .suspended = outcome { return }
                        if case .ok = outcome, let page { ids += page.views.map(\.id); after = page.next; if after == nil { break } }
                        self.sim.clock.set(self.sim.clock.get().addingTimeInterval(3))
                    }
                    for id in ids {
                        self.sim.clock.set(self.sim.clock.get().addingTimeInterval(3))
                        if case .suspended = await self.read(actor, id, purpose: nil) { return }
                    }
                })
            default: break
            }
        }
        return out
    }

    /// Results once the days are over: exposure and containment per attacker profile, false
    /// suspensions of everyone else.
    func results() async throws -> [AttackResult] {
        let suspensions = try await sim.store.suspensions(openOnly: false)
        var out: [AttackResult] = []
        for (result, actor, owner) in attacks {
            var r = result
            let begin = r.firstRequest ?? r.started
            r.containedAt = suspensions.filter { $0.account == actor.account && $0.at >= begin }.map(\.at).min()
            r.personsExposed = actor.exposed.count
            if r.name == "slow-and-low", let owner { r.beyondNormalWork = actor.exposed.subtracting(owner.exposed).count }
            let alerts = try await sim.store.alerts(openOnly: false, account: actor.account, limit: 10_000)
            let until = r.containedAt ?? .distantFuture
            r.detectors = Array(Set(alerts.filter { $0.at >= begin && $0.at <= until && $0.severity != "info" }.map(\.detector))).sorted()
            out.append(r)
        }
        let attacked = Dictionary(uniqueKeysWithValues: out.map { r in (attacks.first { $0.result.name == r.name }!.actor.account, r.firstRequest ?? r.started) })
        falseSuspensions = suspensions.filter { s in attacked[s.account].map { s.at < $0 } ?? true }.count
        return out
    }
}
