import Foundation
import Testing
import Crypto
import Synchronization
import GuichetCore
import GuichetGate
import GuichetServer
@testable import GuichetStore
@testable import GuichetWatch

/// The watch inside the real gate: vetoes before the ledger, suspensions that end sessions,
/// the security officer's queue and reinstatement, watched persons, state across a restart.
@Suite struct WatchGateTests {
    @Test("touching a honeytoken suspends the account: the request reveals nothing, the sessions are gone, the next request is refused")
    func honeytokenSuspends() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let planted = try await base.plant()
        let world = try await base.watched()
        let token = try await world.token("agent")
        let agent = try await world.request("agent", purpose: "list-management")
        let real = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 50))
            .first { !planted.dossiers.contains($0) }!  // the generator made 20 real applications
        do { _ = try await world.gate.read(real, agent) } catch {
            Issue.record("\(error): \(try await world.store.alerts(openOnly: true, account: nil, limit: 10).map(\.detail))"); return
        }

        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(planted.dossiers[0], agent) }
        let account = try #require(try await world.store.account(username: "agent"))
        #expect(account.status == "disabled")
        await #expect(throws: GuichetError.unauthenticated) { _ = try await world.auth.authenticate(token: token) }
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(real, agent) }

        let journal = try await world.ledger.journal()
        #expect(journal.contains { $0.action == "watch:suspend" && $0.account == account.id && $0.reason.contains("honeytoken") })
        #expect(journal.contains { !$0.allowed && $0.reason == "watch:suspended" && $0.dossiers == [planted.dossiers[0]] })
        #expect(!journal.contains { $0.allowed && $0.dossiers.contains(planted.dossiers[0]) }, "the honeytoken was never revealed")

        try await world.withAdmin { client in
            let admin = try await world.token("admin")
            #expect(try await client.call(.get, "/admin/v1/watch/alerts", token: admin).status == .forbidden, "alerts are for security officers")
            let officer = try await world.token("security")
            let alerts = try await client.call(.get, "/admin/v1/watch/alerts", token: officer)
            let first = try #require(alerts["alerts"]?.array?.first?.object)
            #expect(first["detector"]?.string == "honeytoken" && first["response"]?.string == "suspend" && first["account"]?.string == account.id.rawValue)
            #expect(!alerts.text.contains(planted.dossiers[0].rawValue) && !alerts.text.contains(planted.persons[0].rawValue),
                    "an alert does not say which record is a honeytoken")
            let open = try await client.call(.get, "/admin/v1/watch/suspensions", token: officer)
            #expect(open["suspensions"]?.array?.count == 1)
            let short = try await client.call(.post, "/admin/v1/accounts/\(account.id)/reinstate", token: officer, body: #"{"reason": "ok"}"#)
            #expect(short.status == .badRequest, "a reinstatement needs a written reason")
            let ok = try await client.call(.post, "/admin/v1/accounts/\(account.id)/reinstate", token: officer,
                                           body: #"{"reason": "Checked with the agent's manager: a drill of the honeytoken procedure."}"#)
            #expect(ok.status == .ok && ok["reinstatedBy"]?.string != nil)
            #expect(ok["reinstateReason"]?.string == "Checked with the agent's manager: a drill of the honeytoken procedure.",
                    "the security officer reads the reason opened")
            let again = try await client.call(.post, "/admin/v1/accounts/\(account.id)/reinstate", token: officer,
                                              body: #"{"reason": "Checked with the agent's manager once more."}"#)
            #expect(again.status == .notFound, "only an open suspension can be lifted")
            let id = try #require(first["id"]?.string)
            let ack = try await client.call(.post, "/admin/v1/watch/alerts/\(id)/acknowledge", token: officer, body: #"{"note": "drill"}"#)
            #expect(ack.status == .ok && ack["acknowledgedBy"]?.string != nil && ack["note"]?.string == "drill")
            let listed = try await client.call(.get, "/admin/v1/watch/suspensions?status=all", token: officer)
            #expect(listed.text.contains("a drill of the honeytoken procedure"))
        }
        // Free text of the officer's records is stored sealed, and never enters the ledger.
        let stored = try await world.database.strings("SELECT reinstate_reason FROM watch_suspension WHERE reinstate_reason IS NOT NULL")
            + world.database.strings("SELECT note FROM watch_alert WHERE note IS NOT NULL")
        #expect(stored.count == 2 && !stored.contains { $0.contains("drill") })
        #expect(try await world.store.account(username: "agent")?.status == "active")
        _ = try await world.auth.signIn(username: "agent", password: World.password)
        let reinstated = try #require(try await world.ledger.journal().first { $0.action == "watch:reinstate" })
        #expect(reinstated.reason.contains(account.id.rawValue) && !reinstated.reason.contains("drill"), "the ledger names the account, not the reason")
    }

    @Test("a search page listing honeytokens shows only their summary (nothing personal, no alarm); opening one suspends and reveals nothing")
    func honeytokenInSearchPage() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let planted = try await base.plant(size: 30, honeytokens: 10)
        let world = try await base.watched()
        let agent = try await world.request("agent", purpose: "list-management")
        let page = try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 100, agent)
        #expect(page.views.allSatisfy { $0.persons.allSatisfy(\.fields.isEmpty) }, "a staff listing returns no person's field")
        let listed = Set(page.views.map(\.id))
        let decoy = try #require(planted.dossiers.first(where: listed.contains))
        #expect(try await world.store.account(username: "agent")?.status == "active")
        await #expect(throws: GuichetError.self) { _ = try await world.gate.read(decoy, agent) }
        let journal = try await world.ledger.journal()
        #expect(!journal.contains { $0.allowed && $0.disclosed && $0.dossiers.contains(decoy) && $0.fields.contains { $0.contains(".") } },
                "no field of the decoy's persons was ever returned")
        #expect(journal.contains { !$0.allowed && $0.dossiers == [decoy] }, "the opening was refused and journalled")
        #expect(try await world.store.account(username: "agent")?.status == "disabled")
    }

    @Test("a watched person: every read alerts, and a name search outside the caseload needs a justification")
    func watchedPerson() async throws {
        let base = try await World.make()
        defer { base.remove() }
        _ = try await base.registerParent("parent1", lastName: "Tremblay")
        let application = try await base.application(by: "parent1")
        let child = try #require(application.persons.first { $0.role == "child" }?.person)
        let world = try await base.watched()
        try await world.withAdmin { client in
            let officer = try await world.token("security")
            let r = try await client.call(.put, "/admin/v1/watch/persons/\(child)", token: officer, body: #"{"reason": "public figure's family"}"#)
            #expect(r.status == .ok)
            let persons = try await client.call(.get, "/admin/v1/watch/persons", token: officer)
            #expect(persons.text.contains(child.rawValue) && persons.text.contains("public figure's family"))
        }
        let storedReasons = try await world.database.strings("SELECT reason FROM watched_person")
        #expect(storedReasons.count == 1 && !storedReasons[0].contains("public figure"), "the reason is stored sealed")
        let flagged = try #require(try await world.ledger.journal().first { $0.action == "watch:flag" })
        #expect(flagged.persons == [child] && !flagged.reason.contains("public figure"), "the ledger, never erased, keeps no free text")
        var agent = try await world.request("agent", purpose: "family-request")
        _ = try await world.gate.read(application.id, agent)
        #expect(try await world.store.alerts(openOnly: true, account: nil, limit: 10).contains { $0.detector == "watched-person" })
        await #expect(throws: GuichetError.self) {
            _ = try await world.gate.search(type: "application", status: nil, criteria: ["child.lastName": "Tremblay", "child.birthDate": "2025-02-03"], after: nil, limit: 10, agent)
        }
        agent.justification = "the mother called about the offer"
        let page = try await world.gate.search(type: "application", status: nil, criteria: ["child.lastName": "Tremblay", "child.birthDate": "2025-02-03"], after: nil, limit: 10, agent)
        #expect(page.views.map(\.id) == [application.id])
        let alert = try #require(try await world.store.alerts(openOnly: true, account: nil, limit: 10).first { $0.justification != nil })
        #expect(alert.justification?.contains("mother") == false, "the justification is stored sealed: it may name people")
        #expect(world.gate.justification(of: alert) == "the mother called about the offer")
        try await world.withAdmin { client in
            let listed = try await client.call(.get, "/admin/v1/watch/alerts", token: try await world.token("security"))
            #expect(listed.text.contains("the mother called about the offer"), "the security officer reads it opened")
        }
        #expect(try await world.ledger.journal().contains { !$0.allowed && $0.reason == "watch:justification" })

        // An administrator removes the watch: the security officers are told, on that account
        // (a stolen administrator's account did it silently; insider audit).
        let admin = try #require(try await world.store.account(username: "admin")).id
        try await world.withAdmin { client in
            let removed = try await client.call(.delete, "/admin/v1/watch/persons/\(child)", token: try await world.token("admin"))
            #expect(removed.status == .noContent || removed.status == .ok, "\(removed.text)")
        }
        let told = try await world.store.alerts(openOnly: true, account: admin, limit: 10)
        #expect(told.contains { $0.detector == "watch-removed" && $0.severity == "medium" }, "\(told.map(\.detector))")
    }

    @Test("a watched person found by any term, an e-mail or a national id as well as a name, needs a justification outside the caseload; a listing by status does not", arguments: [
        ["parent.email": "parent1@example.org"], ["parent.nam": "TREJ90541201"], ["parent.lastName": "Tremblay", "parent.birthDate": "1990-04-12"]])
    func watchedPersonByAnyTerm(criteria: [String: String]) async throws {
        let base = try await World.make()
        defer { base.remove() }
        let parent = try await base.registerParent("parent1")
        let application = try await base.application(by: "parent1")
        let world = try await base.watched()
        try await world.withAdmin { client in
            let r = try await client.call(.put, "/admin/v1/watch/persons/\(parent)", token: try await world.token("security"), body: #"{"reason": "public figure"}"#)
            #expect(r.status == .ok)
        }
        var agent = try await world.request("agent", purpose: "family-request")
        let listing = try await world.gate.search(type: "application", status: "waiting", criteria: [:], after: nil, limit: 10, agent)
        #expect(listing.views.map(\.id) == [application.id], "a listing by status is not a search for someone")
        do {
            let found = try await world.gate.search(type: "application", status: nil, criteria: criteria, after: nil, limit: 10, agent)
            Issue.record("found without a reason: \(found.views.map(\.id))")
        } catch GuichetError.forbidden(let message) {
            #expect(message.lowercased().contains("justification"), "\(message)")
        }
        agent.justification = "the person called about the offer"
        let page = try await world.gate.search(type: "application", status: nil, criteria: criteria, after: nil, limit: 10, agent)
        #expect(page.views.map(\.id) == [application.id])
        #expect(try await world.store.alerts(openOnly: true, account: nil, limit: 10).contains { $0.detector == "watched-name-search" })
    }

    @Test("a staff account made over the admin API that reaches data minutes after its creation is reported to the officers, its sign-in's factor standing for the step-up; a new citizen is not")
    func freshAccounts() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        _ = try await world.registerParent("parent1")
        let application = try await world.application(by: "parent1")
        _ = try await world.gate.read(application.id, try await world.request("parent1"))
        let admin = try #require(try await world.store.account(username: "admin")).id
        let officer = try #require(try await world.store.account(username: "security")).id
        _ = try await world.auth.createAccount(username: "agent2", password: World.password, role: "agent", organisation: world.operatorOrg.id, createdBy: admin)
        let request = try #require(try await world.store.pendingRequests().first)
        _ = try await world.auth.approve(request: request.id, by: officer)
        let agent = try await world.request("agent2", purpose: "family-request")
        // Signed in with the factor a moment ago: asking for it again would refuse the code just typed.
        _ = try await world.gate.read(application.id, agent)
        let alerts = try await world.store.alerts(openOnly: true, account: nil, limit: 10)
        #expect(alerts.map(\.detector) == ["fresh-account"] && alerts.first?.response == "alert", "\(alerts.map { ($0.detector, $0.response) })")
    }

    @Test("detection state survives a restart: a throttle and a suspension hold after the store is reopened")
    func stateSurvivesRestart() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent")).id
        let analyst = try #require(try await world.store.account(username: "analyst")).id
        let key = SymmetricKey(size: .bits256)
        var bench = WatchBench()
        let start = WatchBench.at(day: 2, hour: 10)
        func event(_ account: AccountID, _ i: Int, honeytoken: Bool = false, allowed: Bool = true) -> WatchEvent {
            var e = bench.event(account, at: start.addingTimeInterval(Double(i)), dossiers: [WatchBench.newDossier()], allowed: allowed)
            e.accountCreatedAt = start.addingTimeInterval(-86_400 * 60)
            e.honeytoken = honeytoken
            return e
        }
        do {
            let watch = Watch(settings: .defaults, store: world.store, honeytokenKey: key)
            // A burst of refused requests throttles the account.
            for i in 0..<25 { _ = try await watch.assess(event(agent, i, allowed: false)) }
            guard case .throttled = try await watch.assess(event(agent, 30)).refusal else {
                Issue.record("a burst of refusals did not throttle"); return
            }
            #expect(try await watch.assess(event(analyst, 50, honeytoken: true)).refusal == .suspended)
            bench.sessions = [:]
        }
        let reopened = try await world.reopenedStore()
        let watch = Watch(settings: .defaults, store: reopened, honeytokenKey: key)
        guard case .throttled = try await watch.assess(event(agent, 120)).refusal else {
            Issue.record("the throttle did not survive the restart"); return
        }
        #expect(try await watch.assess(event(analyst, 130)).refusal == .suspended)
        #expect(try await watch.risk(analyst, at: start.addingTimeInterval(140)) > 99, "the risk points were kept (decayed by seconds only)")
        #expect(try await reopened.suspensions(openOnly: true).map(\.account) == [analyst])
    }

    @Test("a ceiling's step-up demand survives a server killed a moment later: after the restart the next new person is still refused")
    func ceilingDemandSurvivesRestart() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent")).id
        let key = SymmetricKey(size: .bits256)
        let bench = WatchBench()
        let start = WatchBench.at(day: 2, hour: 10)
        var i = 0
        func event() -> WatchEvent {
            i += 1
            var e = bench.event(agent, at: start.addingTimeInterval(Double(i)), dossiers: [WatchBench.newDossier()])
            e.accountCreatedAt = start.addingTimeInterval(-86_400 * 60)
            return e
        }
        do {
            // No graceful shutdown: the watch is dropped without a flush, as a `kill -9` would.
            let watch = Watch(settings: .defaults, store: world.store, honeytokenKey: key)
            var refusal: WatchRefusal?
            while refusal == nil && i < 100 { refusal = try await watch.assess(event()).refusal }
            guard case .ceiling? = refusal else { Issue.record("no ceiling after \(i) dossiers: \(String(describing: refusal))"); return }
        }
        let watch = Watch(settings: .defaults, store: try await world.reopenedStore(), honeytokenKey: key)
        guard case .ceiling? = try await watch.assess(event()).refusal else {
            Issue.record("the step-up demand was forgotten by the restart"); return
        }
    }

    @Test("a flush whose write is slow does not overwrite a later flush's states: the stored state is the latest, so a restart forgets no person read")
    func flushesWriteInOrder() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent")).id
        let storage = SlowFirstWrite(world.store)
        let watch = Watch(settings: .defaults, store: storage, honeytokenKey: SymmetricKey(size: .bits256))
        let bench = WatchBench()
        let start = WatchBench.at(day: 2, hour: 10)
        // Two requests 40 s apart in event time: each flushes (the interval is 30 s).
        let events = (0..<2).map { i in bench.event(agent, at: start.addingTimeInterval(Double(i) * 40), dossiers: [WatchBench.newDossier()]) }
        // The first request's write of states is held on the storage (a slow disk, or a thread
        // the scheduler leaves waiting).
        let first = Task { try await watch.assess(events[0]) }
        for await _ in storage.held { break }
        let second = Task { try await watch.assess(events[1]) }
        // Once the second flush has taken its states, give its write the time to land first.
        while await watch.lastFlush != events[1].at { try await Task.sleep(for: .milliseconds(5)) }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { for await _ in storage.laterWrites { break } }
            group.addTask { try? await Task.sleep(for: .seconds(1)) }
            await group.next()
            group.cancelAll()
        }
        storage.release()
        _ = try await first.value
        _ = try await second.value
        let stored = try #require(try await world.store.watchStates().first { $0.0 == agent }?.1)
        let latest = try #require(await watch.engine.accounts[agent])
        #expect(try JSONDecoder().decode(AccountState.self, from: stored) == latest, "the stored state is the one after both requests")
        var reloaded = WatchEngine(settings: .defaults)
        reloaded.load([(agent, stored)])
        #expect(reloaded.accounts[agent]?.dayPersons.count == 6, "both requests' persons count after a restart")
    }

    @Test("a write of states that failed is made again by the next flush, even if the account did nothing since")
    func failedFlushIsRetried() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent")).id
        let watch = Watch(settings: .defaults, store: SlowFirstWrite(world.store, failsFirst: true), honeytokenKey: SymmetricKey(size: .bits256))
        let event = WatchBench().event(agent, at: WatchBench.at(day: 2, hour: 10), dossiers: [WatchBench.newDossier()])
        await #expect(throws: StoreError.self, "the request is refused when its state cannot be written") { try await watch.assess(event) }
        try await watch.flush(at: event.at.addingTimeInterval(5))  // as the server does when it stops
        let stored = try #require(try await world.store.watchStates().first { $0.0 == agent }?.1, "the state was written")
        #expect(try JSONDecoder().decode(AccountState.self, from: stored).dayPersons.count == 3)
    }
}

/// The store's watch storage with its first write of states held until ``release()`` (or
/// failed at once, as a full disk would); every later write passes at once and is announced on
/// ``laterWrites`` once done.
final class SlowFirstWrite: WatchStorage {
    let store: any WatchStorage
    let failsFirst: Bool
    let first = Mutex(true)
    let held: AsyncStream<Void>, heldSink: AsyncStream<Void>.Continuation
    let released: AsyncStream<Void>, releaseSink: AsyncStream<Void>.Continuation
    let laterWrites: AsyncStream<Void>, laterSink: AsyncStream<Void>.Continuation

    init(_ store: any WatchStorage, failsFirst: Bool = false) {
        self.store = store
        self.failsFirst = failsFirst
        (held, heldSink) = AsyncStream.makeStream()
        (released, releaseSink) = AsyncStream.makeStream()
        (laterWrites, laterSink) = AsyncStream.makeStream()
    }

    func release() { releaseSink.finish() }

    func saveWatchStates(_ states: [(AccountID, Data)], at: Date) async throws {
        if first.withLock({ isFirst in defer { isFirst = false }; return isFirst }) {
            if failsFirst { throw StoreError.unavailable("disk full (test)") }
            heldSink.yield()
            for await _ in released {}
            try await store.saveWatchStates(states, at: at)
        } else {
            try await store.saveWatchStates(states, at: at)
            laterSink.yield()
        }
    }

    func watchStates() async throws -> [(AccountID, Data)] { try await store.watchStates() }
    func accountOrigin(_ id: AccountID) async throws -> (createdAt: Date, createdBy: AccountID?, onConsole: Bool)? { try await store.accountOrigin(id) }
    func honeytokenTags() async throws -> [Data] { try await store.honeytokenTags() }
    func watchedPersons() async throws -> [WatchedPerson] { try await store.watchedPersons() }
    func watch(person: PersonID, reason: String, by: AccountID, at: Date) async throws { try await store.watch(person: person, reason: reason, by: by, at: at) }
    func unwatch(person: PersonID, by: AccountID, at: Date) async throws -> Bool { try await store.unwatch(person: person, by: by, at: at) }
    func insert(alerts: [WatchAlert]) async throws { try await store.insert(alerts: alerts) }
    func suspend(account: AccountID, id: String, reason: String, at: Date) async throws { try await store.suspend(account: account, id: id, reason: reason, at: at) }
    func reinstate(account: AccountID, by: AccountID, reason: String, at: Date) async throws -> Suspension {
        try await store.reinstate(account: account, by: by, reason: reason, at: at)
    }
}
