import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetStore
import Synchronization

/// Containment by construction (DESIGN: "containment is a budget"): a stolen staff or partner
/// account, password and second factor in hand, attacking at full speed on a fresh
/// deployment, receives the non-public fields of at most 50 persons before it is contained;
/// the breach scope of the attack is exactly what it received.
@Suite(.serialized) struct CeilingHTTPTests {
    /// What one attack got: the persons whose fields came back, and how it ended.
    struct Outcome {
        var received: [String: Set<String>] = [:]
        var stepUps = 0
        var throttles = 0
        var slowedTitled = true
        var suspended = false
        var requests = 0
    }

    /// The attacker's best strategy as the docs allow it: list every dossier id with the
    /// largest page, then open them all as fast as the server answers, from three sessions
    /// in parallel (eight requests in flight each, asked again when the server refuses more
    /// at once than an account may have); answer every step-up with the stolen
    /// factor and a justification; wait out every throttle; stop only when suspended.
    /// How the attacker lists the ids it then opens: the search, or waiting lists (R1: each
    /// daycare's list in rank order, summaries only), always at the largest page.
    enum Listing: Sendable {
        case search
        case waitingLists([OrganisationID])
    }

    static func attack(_ world: StolenAccountWorld, username: String, type: String, purpose: String, listed: Int, sessions count: Int = 3,
                       listing: Listing = .search) async throws -> Outcome {
        let secret = try await world.enrol(username)
        var tokens: [String] = []
        for _ in 0..<count { tokens.append(try await world.signIn(username, secret: secret)) }
        let sessions = tokens
        let outcome = Mutex(Outcome())
        let headers = ["Guichet-Purpose": purpose]
        try await world.withPublic { client in
            // 1. Every id, 100 a page: the summary only.
            var ids: [String] = []
            switch listing {
            case .search:
                var after: String?
                repeat {
                    let page = try await client.send(.get, "/v1/dossiers?type=\(type)&limit=100" + (after.map { "&after=\($0)" } ?? ""),
                                                     token: sessions[0], headers: headers)
                    #expect(page.status == .ok, "\(page.text)")
                    let received = personsReceived(page)
                    #expect(received.isEmpty, "a listing returns no person's field: \(received.count) persons came back")
                    ids += page["dossiers"]?.array?.compactMap { $0.object?["id"]?.string } ?? []
                    after = page["next"]?.string
                } while after != nil
            case .waitingLists(let organisations):
                for organisation in organisations {
                    var from: Int? = 1
                    while let rank = from {
                        let page = try await client.send(.get, "/v1/organisations/\(organisation)/waiting-list?type=\(type)&limit=100&from=\(rank)",
                                                         token: sessions[0], headers: headers)
                        #expect(page.status == .ok, "\(page.text)")
                        let received = personsReceived(page)
                        #expect(received.isEmpty, "a waiting list returns no person's field: \(received.count) persons came back")
                        ids += page["entries"]?.array?.compactMap { $0.object?["dossier"]?.object?["id"]?.string } ?? []
                        from = page["next"]?.integer
                    }
                }
                ids = Array(Set(ids)).sorted()
            }
            #expect(ids.count >= listed, "the attacker listed the files it may reach (\(ids.count) ids)")
            // 2. Open them all.
            // 2. Open them all; whatever is refused goes back in the queue.
            var queue = ids[...]
            var justify = false
            while !queue.isEmpty && !outcome.withLock({ $0.suspended }) {
                let batch = Array(queue.prefix(8 * count))
                queue = queue.dropFirst(batch.count)
                var h = headers
                if justify { h["Guichet-Justification"] = "The family called about their file and asked for an update." }
                let sent = h
                let replies = try await withThrowingTaskGroup(of: (String, Reply).self) { group in
                    for (i, id) in batch.enumerated() {
                        group.addTask { (id, try await client.send(.get, "/v1/dossiers/\(id)", token: sessions[i % sessions.count], headers: sent)) }
                    }
                    return try await group.reduce(into: [(String, Reply)]()) { $0.append($1) }
                }
                var stepUp = false, throttled = false
                var again: [String] = []
                outcome.withLock { o in
                    o.requests += replies.count
                    for (id, r) in replies {
                        if r.status == .ok { o.received.merge(personsReceived(r)) { $0.union($1) }; continue }
                        again.append(id)
                        // More requests in flight than the account may have: asked again.
                        if r.status == .tooManyRequests && r.text.contains("at once") { continue }
                        if r.status == .tooManyRequests {
                            throttled = true
                            // The watch's throttle says what it is, not "too many attempts".
                            o.slowedTitled = o.slowedTitled && r.text.contains("Slowed down") && !r.text.contains("attempts")
                        }
                        if r.status == .unauthorized || r.text.contains("suspended") { o.suspended = true }
                        if r.status == .forbidden && r.text.contains("ceiling") { stepUp = true }
                    }
                    if stepUp { o.stepUps += 1 }
                    if throttled { o.throttles += 1 }
                }
                queue = again[...] + queue
                if stepUp {
                    try await world.stepUp(sessions, secret: secret)
                    justify = true
                }
                if throttled { world.clock.advance(16 * 60) }
                if outcome.withLock({ $0.stepUps > 20 || $0.throttles > 20 || $0.requests > 20_000 }) { break }
            }
        }
        return outcome.withLock { $0 }
    }

    @Test("a stolen agent account on a fresh place05 deployment receives at most 50 persons, is suspended, and the breach scope is exactly what it received")
    func place05Agent() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 300, accounts: [("agent", "agent", "operator")], beforeMidnight: true)
        defer { world.remove() }
        let o = try await Self.attack(world, username: "agent", type: "application", purpose: "list-management", listed: 300)
        print("place05 stolen agent: \(o.received.count) persons, \(o.requests) requests, \(o.stepUps) step-ups, \(o.throttles) throttles")
        #expect(o.received.count <= 50, "persons exposed: \(o.received.count)")
        #expect(o.received.count >= 20, "the ceiling lets normal work through (\(o.received.count) persons)")
        #expect(o.suspended, "the account ends suspended")
        #expect(o.stepUps >= 1 && o.throttles >= 1, "step-up, then throttle, then suspension")
        #expect(o.slowedTitled, "every throttle by the watch answered \"Slowed down\"")
        let account = try #require(try await world.store.account(username: "agent"))
        #expect(account.status == "disabled")

        let scope = try await world.scope(of: "agent")
        let inScope = Dictionary(uniqueKeysWithValues: scope.persons.map { ($0.person.rawValue, Set($0.fields)) })
        #expect(inScope == o.received, "the breach scope names exactly the persons and fields the attacker received")

        // Security events reach the server's log, with no personal value.
        let log = world.log.text
        for event in ["ceiling-reached", "throttle", "suspension"] {
            #expect(log.contains("event=\(event)"), "the log has a '\(event)' security event")
        }
        #expect(log.contains("account=\(account.id.rawValue)") && log.contains("request="))
        for person in o.received.keys { #expect(!log.contains(person), "no person id in the log") }
    }

    @Test("stolen place05 daycare and agent accounts that list by waiting lists (largest page, three sessions) receive at most 50 persons each and are suspended")
    func place05WaitingLists() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 1_500, accounts: [("agent", "agent", "operator")], beforeMidnight: true)
        defer { world.remove() }
        // The daycare with the longest list: the larger prize for its stolen account.
        var lists: [(OrganisationID, Int)] = []
        for o in try await world.store.organisations(kind: "daycare") {
            lists.append((o.id, try await world.store.rankCandidates(type: "application", partner: o.id, states: ["waiting"]).count))
        }
        let busiest = try #require(lists.max { $0.1 < $1.1 })
        #expect(busiest.1 > 50, "the list holds more persons than the ceiling: \(busiest.1) applications")
        let org = try #require(try await world.store.organisation(busiest.0))
        _ = try await world.auth.createAccount(username: "daycare", password: World.password, role: "daycare", organisation: org.id,
                                               territory: org.territory, createdBy: nil)

        let daycare = try await Self.attack(world, username: "daycare", type: "application", purpose: "list-management", listed: busiest.1,
                                            listing: .waitingLists([busiest.0]))
        print("place05 stolen daycare by waiting list: \(daycare.received.count) persons, \(daycare.requests) requests")
        #expect(daycare.received.count <= 50 && daycare.suspended, "persons exposed: \(daycare.received.count)")
        let agent = try await Self.attack(world, username: "agent", type: "application", purpose: "list-management", listed: 100,
                                          listing: .waitingLists(lists.sorted { $0.1 > $1.1 }.prefix(12).map(\.0)))
        print("place05 stolen agent by waiting lists: \(agent.received.count) persons, \(agent.requests) requests")
        #expect(agent.received.count <= 50 && agent.suspended, "persons exposed: \(agent.received.count)")
        for (name, o) in [("daycare", daycare), ("agent", agent)] {
            let scope = try await world.scope(of: name)
            #expect(Dictionary(uniqueKeysWithValues: scope.persons.map { ($0.person.rawValue, Set($0.fields)) }) == o.received,
                    "the breach scope of \(name) names exactly what it received")
        }
    }

    @Test("a stolen partner adviser on a fresh emploi deployment receives at most 50 persons before it is contained")
    func emploiPartnerAdviser() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 2_500, accounts: [("adviser", "adviser", "agency")], beforeMidnight: true)
        defer { world.remove() }
        // The agency adviser reaches its agency's files; a partner adviser only its caseload
        // (a few files), so the agency adviser is the larger prize.
        let o = try await Self.attack(world, username: "adviser", type: "job-seeker", purpose: "support", listed: 50)
        #expect(o.received.count <= 50, "persons exposed: \(o.received.count)")
        #expect(o.suspended)
        let scope = try await world.scope(of: "adviser")
        #expect(Set(scope.persons.map(\.person.rawValue)) == Set(o.received.keys))
    }
}
