import Foundation
import Testing
import GuichetCore
import GuichetGate
@_spi(GateOnly) import GuichetPolicy
import GuichetStore
import GuichetSynth

/// Property-based, through the real gate: for random principals, dossiers, actions and
/// purposes (seeded, so a failure replays), no response carries a field that the decision
/// did not grant, and nobody reads a dossier outside their scope without a break-glass record.
@Suite struct PolicyPropertyTests {
    @Test("random principals, dossiers and purposes: only granted fields, never out of scope without break-glass")
    func randomAccesses() async throws {
        let world = try await EmploiWorld.make(size: 400)
        defer { world.remove() }
        var rng = SplitMix64(seed: 0x6775_6963_6865_7405)
        let ids = try await world.allDossiers()
        let policy = Policy(profile: world.profile)
        // More principals: advisers and partner advisers of random organisations, with random caseloads.
        var users = ["adviser1", "adviser2", "partner1", "partner2", "seeker", "admin", "security"]
        for i in 0..<8 {
            let adviser = i % 2 == 0
            let org = adviser ? world.summary.agencies.randomElement(using: &rng)! : world.summary.partnerNetworks.randomElement(using: &rng)!
            let name = "random\(i)"
            let id = try await world.auth.createAccount(username: name, password: EmploiWorld.password, role: adviser ? "adviser" : "partner-adviser",
                                                        organisation: org.id, territory: org.territory, createdBy: nil)
            try await world.store.assign((0..<Int.random(in: 0...6, using: &rng)).map { _ in ids.randomElement(using: &rng)! }, to: id)
            users.append(name)
        }
        let purposes: [String?] = [nil] + world.profile.purposes
        // Half of the reads aim inside the principal's scope (for some purpose), half anywhere.
        let records = try await world.store.dossiers(ids)
        var scope: [String: [DossierID]] = [:]
        for user in users {
            let subject = try await world.principal(user).subject
            scope[user] = records.filter { d in purposes.contains { policy.decide(subject, .read, d.facts, purpose: $0).grant != nil } }.map(\.id)
        }
        var reads = 0, refused = 0, searched = 0, brokeGlass = 0
        for _ in 0..<320 {
            let user = users.randomElement(using: &rng)!
            let purpose = purposes.randomElement(using: &rng)!
            let kind = world.profile.roles[try await world.principal(user).role]!.kind
            let r = try await world.request(user, purpose: purpose)
            let subject = r.principal.subject
            if kind.usesAdminListener { continue }  // they reach no dossier through the public gate paths tested here
            let dice = Double.random(in: 0..<1, using: &rng)
            if dice < 0.65 {
                let id = Bool.random(using: &rng) ? (scope[user]!.randomElement(using: &rng) ?? ids[0]) : ids.randomElement(using: &rng)!
                let record = try #require(try await world.store.dossier(id))
                let decision = policy.decide(subject, .read, record.facts, purpose: purpose)
                #expect(policy.explain(subject, .read, record.facts, purpose: purpose).decision == decision)
                do {
                    let view = try await world.gate.read(id, r)
                    reads += 1
                    let granted: Set<String>
                    if let grant = decision.grant { granted = grant.readable } else {
                        guard let open = try await world.store.activeBreakGlass(account: subject.account, dossier: id, at: world.clock.now),
                              let grant = policy.breakGlassRead(subject, record.facts, record: open.id).grant else {
                            Issue.record("\(user) read \(id) outside its scope without a break-glass record")
                            continue
                        }
                        granted = grant.readable
                    }
                    let extra = revealedPaths(view).subtracting(granted)
                    #expect(extra.isEmpty, "\(user) got fields not granted: \(extra.sorted())")
                } catch let e as GuichetError {
                    refused += 1
                    #expect(decision.grant == nil, "\(user) was refused an allowed read: \(e)")
                    switch e {
                    case .notFound: break
                    case .forbidden: #expect(decision == .deny(Denial(reason: .purpose, rule: nil)), "403 only asks for a purpose")
                    default: Issue.record("unexpected error \(e)")
                    }
                }
            } else if dice < 0.9 {
                let status = ["registered", "suspended", "deregistered", nil].randomElement(using: &rng)!
                do {
                    let page = try await world.gate.search(type: "job-seeker", status: status, criteria: [:], after: nil, limit: 25, r)
                    searched += 1
                    for view in page.views {
                        let record = try #require(try await world.store.dossier(view.id))
                        let grant = try #require(policy.decide(subject, .search, record.facts, purpose: purpose).grant,
                                                 "\(user) found \(view.id) outside its scope")
                        #expect(revealedPaths(view).isSubset(of: grant.readable))
                    }
                } catch let e as GuichetError {
                    guard case .forbidden = e else { Issue.record("unexpected error \(e)"); continue }
                    #expect(policy.searchScope(subject, type: "job-seeker", purpose: purpose).isEmpty)
                }
            } else {
                let id = ids.randomElement(using: &rng)!
                do {
                    _ = try await world.gate.breakGlass(id, justification: "A walk-in visit outside my agency; the file is needed to help them today.", r)
                    brokeGlass += 1
                    #expect(subject.role == "adviser")
                } catch let e as GuichetError {
                    switch e {
                    case .forbidden, .conflict, .notFound: break
                    default: Issue.record("unexpected error \(e)")
                    }
                }
            }
        }
        #expect(reads > 20 && refused > 50 && searched > 20 && brokeGlass > 2, "reads \(reads), refused \(refused), searches \(searched), openings \(brokeGlass)")
        // Every break-glass read in the ledger names a record of the same account and dossier.
        for row in try await world.ledger.journal() where row.action == "break-glass:read" {
            let id = String(row.reason.dropFirst("break-glass:".count))
            let record = try #require(try await world.store.breakGlass(id: id))
            #expect(record.account == row.account && [record.dossier] == row.dossiers)
        }
    }
}
