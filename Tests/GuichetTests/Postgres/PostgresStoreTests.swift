import Foundation
import Testing
@testable import GuichetAuth
import GuichetCore
@testable import GuichetPostgres
import GuichetStore
@testable import GuichetWatch
import Crypto
import Synchronization
import PostgresNIO

/// Several servers on one PostgreSQL database (issue 19, item 3), as far as the stored state
/// goes: two ``PostgresStore``s stand for two `guichet serve` processes, each with its own
/// authenticator, against a real PostgreSQL 15 server.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresStoreTests {
    /// Two servers' stores on one fresh database, each with its authenticator on one clock.
    struct TwoServers {
        let address: PostgresAddress
        let stores: [PostgresStore]
        let auths: [Authenticator]
        /// A security officer's account (who reinstates).
        let officer: AccountID

        static func make(clock: TestClock) async throws -> TwoServers {
            let address = try await PostgresLedgerTests.freshDatabase()
            let profile = try Repo.profile()
            var stores: [PostgresStore] = [], auths: [Authenticator] = []
            for _ in 0..<2 {
                let store = try await PostgresStore.open(address, connections: 8, timeout: .seconds(120))
                stores.append(store)
                auths.append(try await Authenticator(store: store, profile: profile, hasher: PasswordHasher(parameters: .testing),
                                                     clock: { clock.date }))
            }
            let op = Organisation(id: OrganisationID(), kind: "operator", name: "Operator", territory: nil, capacity: nil)
            try await stores[0].insert(organisations: [op], at: clock.date)
            _ = try await auths[0].createAccount(username: "admin", password: World.password, role: "admin", organisation: op.id, createdBy: nil)
            let officer = try await auths[1].createAccount(username: "security", password: World.password, role: "security", organisation: op.id,
                                                           createdBy: nil)
            return TwoServers(address: address, stores: stores, auths: auths, officer: officer)
        }

        func close() async throws {
            for s in stores { await s.close() }
            try await PostgresLedgerTests.drop(address)
        }
    }

    enum Outcome: Sendable { case success, checked, throttled }

    static func guess(_ auth: Authenticator, _ i: Int, source: String) async throws -> Outcome {
        do {
            _ = try await auth.signIn(username: "admin", password: "guess-number-\(i)-xx", source: source)
            return .success
        } catch GuichetError.unauthenticated {
            return .checked
        } catch GuichetError.throttled {
            return .throttled
        }
    }

    @Test("guesses fired at once at two servers on one database reach the password check as often as on one server: the free failures, no more")
    func concurrentGuessesShareOneThrottle() async throws {
        let clock = TestClock()
        let world = try await TwoServers.make(clock: clock)
        // 40 guesses at the same instant, half on each server, each from its own address (the
        // per-address limit, in each process's memory, plays no part).
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            for i in 0..<40 {
                group.addTask { try await Self.guess(world.auths[i % 2], i, source: "198.51.100.\(i)") }
            }
            return try await group.reduce(into: [Outcome]()) { $0.append($1) }
        }
        #expect(!outcomes.contains(.success))
        let free = world.auths[0].throttle.freeFailures
        #expect(outcomes.filter { $0 == .checked }.count == free,
                "at one instant, one server lets exactly the \(free) free failures through; two servers together must not let more")
        try await world.close()
    }

    @Test("2,000 guesses alternating between two servers on one database: at most the lockout's count reach the password check, and the lock holds on both")
    func alternatingGuessesLockOut() async throws {
        let clock = TestClock()
        let world = try await TwoServers.make(clock: clock)
        var checked = 0, successes = 0
        for i in 0..<2_000 {
            clock.advance(0.5)
            switch try await Self.guess(world.auths[i % 2], i, source: "198.51.100.\(i % 100)") {
            case .success: successes += 1
            case .checked: checked += 1
            case .throttled: break
            }
        }
        #expect(successes == 0)
        #expect(checked <= world.auths[0].throttle.lockoutAfter, "two servers check no more guesses than one")
        #expect(checked >= world.auths[0].throttle.freeFailures, "the attack was checked at first (the test measures something)")
        // Locked on both: even the right password is refused, on either server, until unlocked.
        for auth in world.auths {
            await #expect(throws: GuichetError.self) { _ = try await auth.signIn(username: "admin", password: World.password, source: "192.0.2.7") }
        }
        #expect(try await world.auths[1].unlock(username: "admin"))
        _ = try await world.auths[0].signIn(username: "admin", password: World.password, source: "192.0.2.7")
        try await world.close()
    }

    @Test("one address spraying user names over two servers is limited as by one: the per-address count is shared, then the window passes")
    func sprayFromOneAddressIsCountedOnce() async throws {
        let clock = TestClock()
        let world = try await TwoServers.make(clock: clock)
        let limit = world.auths[0].throttle.perSourceFailures
        var checked = 0, throttled = 0
        for i in 0..<(3 * limit) {
            clock.advance(1)
            do {
                _ = try await world.auths[i % 2].signIn(username: "sprayed-name-\(i)", password: "guess-\(i)-xx", source: "203.0.113.9")
            } catch GuichetError.unauthenticated {
                checked += 1
            } catch GuichetError.throttled {
                throttled += 1
            }
        }
        #expect(checked == limit, "two servers check \(limit) attempts of one address in its window, as one does (each alone would check \(limit))")
        #expect(throttled == 2 * limit)
        // Another address is not affected; and once the window has passed, this one may try again.
        await #expect(throws: GuichetError.unauthenticated) {
            _ = try await world.auths[1].signIn(username: "sprayed-name-x", password: "guess-x-xx", source: "203.0.113.10")
        }
        clock.advance(world.auths[0].throttle.perSourceWindow)
        await #expect(throws: GuichetError.unauthenticated) {
            _ = try await world.auths[0].signIn(username: "sprayed-name-y", password: "guess-y-xx", source: "203.0.113.9")
        }
        try await world.close()
    }

    @Test("a suspension decided on one server ends the account's session on the other at once, and reinstating it on the other lifts it")
    func suspensionHoldsOnBothServers() async throws {
        let clock = TestClock()
        let world = try await TwoServers.make(clock: clock)
        let session = try await world.auths[1].signIn(username: "admin", password: World.password, source: "192.0.2.7")
        let account = session.principal.account
        #expect(try await world.auths[1].authenticate(token: session.token).account == account)

        // Two servers' watches suspend the same account at once: one suspension is recorded.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (i, store) in world.stores.enumerated() {
                group.addTask { try await store.suspend(account: account, id: "suspension-\(i)", reason: "ceiling", at: clock.date) }
            }
            try await group.waitForAll()
        }
        await #expect(throws: GuichetError.unauthenticated) { _ = try await world.auths[1].authenticate(token: session.token) }
        await #expect(throws: GuichetError.self) { _ = try await world.auths[1].signIn(username: "admin", password: World.password, source: "192.0.2.7") }

        let lifted = try await (world.stores[1] as any WatchStorage).reinstate(account: account, by: world.officer, reason: "checked with the owner", at: clock.date)
        #expect(lifted.reason == "ceiling")
        // No second open suspension was left behind by the other server.
        await #expect(throws: StoreError.notFound) {
            _ = try await (world.stores[0] as any WatchStorage).reinstate(account: account, by: world.officer, reason: "again", at: clock.date)
        }
        _ = try await world.auths[0].signIn(username: "admin", password: World.password, source: "192.0.2.7")
        try await world.close()
    }

    @Test("the database refuses to delete what is kept, even to its owner's plain SQL: persons, data keys, breach incidents and their changes")
    func keptRowsStayKept() async throws {
        let clock = TestClock()
        let world = try await TwoServers.make(clock: clock)
        try await PostgresLedgerTests.admin(world.address) { admin in
            for table in ["person", "data_key", "breach_incident", "breach_incident_change", "account_departure", "password_reset"] {
                await #expect(throws: (any Error).self, "DELETE FROM \(table)") { try await admin.execute("DELETE FROM \(table)") }
                await #expect(throws: (any Error).self, "TRUNCATE \(table)") { try await admin.execute("TRUNCATE \(table) CASCADE") }
            }
        }
        try await world.close()
    }

    @Test("failures from addresses that never come back leave the shared count once their window passed: the table does not grow with the addresses")
    func sourceFailuresOfGoneAddressesAreDropped() async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        let store = try await PostgresStore.open(address, connections: 2, timeout: .seconds(120))
        let start = Date(timeIntervalSince1970: 1_780_000_000), window: TimeInterval = 600
        for n in 0..<300 {
            let at = start.addingTimeInterval(Double(n))
            try await store.recordSourceFailure(limit: "sign-in", source: "2001:db8::\(String(n, radix: 16))", at: at, keepingSince: at.addingTimeInterval(-window))
        }
        try await store.recordSourceFailure(limit: "registration", source: "192.0.2.1", at: start, keepingSince: start.addingTimeInterval(-3_600))
        #expect(try await StoreCopyTests.count(address, "source_failure") == 301)
        // Half the walk has left the window: its failures go with the next one recorded, of any address.
        let later = start.addingTimeInterval(150 + window)
        try await store.recordSourceFailure(limit: "sign-in", source: "198.51.100.7", at: later, keepingSince: later.addingTimeInterval(-window))
        #expect(try await StoreCopyTests.count(address, "source_failure", where: "limit_name = 'sign-in'") == 151, "the 150 still in the window and the new one")
        #expect(try await store.sourceFailures(limit: "sign-in", source: "2001:db8::97", since: later.addingTimeInterval(-window), max: 30).count == 1,
                "a failure still in its window is kept")
        #expect(try await StoreCopyTests.count(address, "source_failure", where: "limit_name = 'registration'") == 1, "another limit keeps its own window")
        await store.close()
        try await PostgresLedgerTests.drop(address)
    }

    @Test("a storage error never carries a value: PostgreSQL quotes the value in a data exception's message, and the error leaves it out")
    func dataExceptionsCarryNoValue() async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        let value = "1 85 05 78 006 084 91"  // a synthetic social-security number, as a mistyped value
        var seen: [String] = []
        try await PostgresLedgerTests.admin(address) { admin in
            for sql in ["SELECT '\(value)'::int", "SELECT '\(value)'::timestamptz", "SELECT '\(value)'::date"] {
                do { try await admin.execute(sql); Issue.record("\(sql) should fail") } catch {
                    let raw = (error as? PSQLError)?.serverInfo
                    #expect(raw?[.sqlState]?.hasPrefix("22") == true && raw?[.message]?.contains(value) == true,
                            "PostgreSQL's own message quotes the value (what the error must leave out)")
                    let said = "\(PostgresStore.storeError(error))"
                    seen.append(said)
                    #expect(!said.contains(value) && !said.contains("85 05"), "\(said)")
                    #expect(said.contains("SQLSTATE 22"), "the class is said: \(said)")
                }
            }
        }
        #expect(seen.count == 3)
        try await PostgresLedgerTests.drop(address)
    }
}

/// Exactly one checkpoint signer among the servers of one database (issue 19, item 3).
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresSignerElectionTests {
    static func leaders(_ elections: [PostgresSignerElection], within seconds: Double) async throws -> [Int] {
        let deadline = Date().addingTimeInterval(seconds)
        var leading: [Int] = []
        repeat {
            leading = elections.indices.filter { elections[$0].isLeading }
            if leading.count == 1 { return leading }
            try await Task.sleep(for: .milliseconds(50))
        } while Date() < deadline
        return leading
    }

    @Test("three servers on one database: exactly one signs; when it stops, exactly one other takes over")
    func oneSignerAtATime() async throws {
        let address = try await PostgresLedgerTests.freshDatabase()
        var ledgers: [PostgresLedger] = []
        for _ in 0..<3 { ledgers.append(try await PostgresLedger.open(address, timeout: .seconds(120))) }
        let elections = ledgers.map { PostgresSignerElection($0, retry: .milliseconds(200)) }
        let first = try await Self.leaders(elections, within: 20)
        #expect(first.count == 1)
        // Stay a while: still one, the same.
        try await Task.sleep(for: .seconds(1))
        #expect(elections.indices.filter { elections[$0].isLeading } == first)

        let leader = try #require(first.first)
        await elections[leader].stop()
        #expect(!elections[leader].isLeading)
        let next = try await Self.leaders(elections, within: 20)
        #expect(next.count == 1 && next.first != leader)

        for e in elections { await e.stop() }
        #expect(elections.allSatisfy { !$0.isLeading })
        for l in ledgers { await l.close() }
        try await PostgresLedgerTests.drop(address)
    }

    /// Whether a server holds the signer's lock, seen from a new connection.
    static func lockHeld(_ address: PostgresAddress) async throws -> Bool {
        var held = false
        try await PostgresLedgerTests.admin(address) { admin in
            held = try await admin.int("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted") > 0
        }
        return held
    }

    @Test("after the database restarts, the servers elect a signer again that holds the lock, and another takes over when it stops")
    func electionAfterRestart() async throws {
        // A cluster of its own: the shared one serves the other tests meanwhile.
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let cluster = Repo.root.appendingPathComponent("scripts/postgres-cluster").path
        let started = try await Child.run(cluster, ["start", folder.path], timeout: 120)
        #expect(started.status == 0, "\(started.output)")
        defer { _ = try? Child.runBlocking(cluster, ["stop", folder.path], timeout: 60) }
        let address = try PostgresAddress(parsing: started.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
        var ledgers: [PostgresLedger] = []
        for _ in 0..<2 { ledgers.append(try await PostgresLedger.open(address, timeout: .seconds(120))) }
        let elections = ledgers.map { PostgresSignerElection($0, retry: .milliseconds(200)) }
        #expect(try await Self.leaders(elections, within: 20).count == 1)

        // An operator restarts PostgreSQL (maintenance): the lock is released with every session.
        let asPostgres = getuid() == 0 ? ["runuser", "-u", "postgres", "--"] : []
        let pgctl = asPostgres + ["/usr/lib/postgresql/15/bin/pg_ctl", "-D", folder.appendingPathComponent("data").path, "-m", "fast", "-w", "-t", "60", "restart"]
        let restarted = try await Child.run("/usr/bin/env", pgctl, timeout: 120)
        #expect(restarted.status == 0, "\(restarted.output)")
        var leading: [Int] = [], held = false
        // Generous limits: in a full run the machine is loaded (the election itself retries every 200 ms).
        let deadline = Date().addingTimeInterval(90)
        repeat {
            try await Task.sleep(for: .milliseconds(200))
            leading = elections.indices.filter { elections[$0].isLeading }
            held = (try? await Self.lockHeld(address)) ?? false
        } while !(leading.count == 1 && held) && Date() < deadline
        #expect(leading.count == 1 && held, "one signer again, holding the lock: \(leading), held \(held)")

        let leader = try #require(leading.first)
        await elections[leader].stop()
        let next = try await Self.leaders(elections, within: 90)
        #expect(next.count == 1 && next.first != leader, "the other takes over")
        for e in elections { await e.stop() }
        for l in ledgers { await l.close() }
    }
}

/// A scraper spreading its requests over two servers on one database is contained as by one
/// (issue 19, item 3): each server's watch assesses an account's request on the latest stored
/// state of that account.
@Suite(.enabled(if: TestPostgres.server != nil, "needs GUICHET_TEST_POSTGRES (scripts/test starts a cluster)"))
struct PostgresSharedWatchTests {
    static let staff = Ceiling.defaults(for: .staff)

    /// Reads one new dossier (three persons) at a time, every 50 ms of event time, turn about
    /// on each assessor (a server), each with its own session; answers every step-up with a
    /// fresh factor and a justification; waits out throttles; stops when suspended.
    static func scrape(_ assessors: [@Sendable (WatchEvent) async throws -> Assessment], account: AccountID,
                       organisation: OrganisationID) async throws -> (received: Int, last: WatchRefusal?) {
        let sessions = assessors.map { _ in SessionID() }
        var received = 0, t = WatchBench.at(day: 0, hour: 9), factor = t.addingTimeInterval(-60)
        var justification: String?, last: WatchRefusal?
        for i in 0..<400 {
            let (dossier, persons) = WatchBench.newDossier()
            var e = WatchEvent(at: t, account: account, role: "agent", kind: .staff, organisation: organisation, session: sessions[i % assessors.count],
                               source: "10.20.30.40", action: "read", allowed: true, dossiers: [dossier], persons: persons,
                               accountCreatedAt: WatchBench.monday.addingTimeInterval(-90 * 86_400), secondFactorAt: factor)
            e.justification = justification
            let a = try await assessors[i % assessors.count](e)
            last = a.refusal
            switch a.refusal {
            case nil: received += persons.count
            case .ceiling?: factor = t.addingTimeInterval(1); justification = "The family called about the file this morning."
            case .throttled(let until)?: t = until.addingTimeInterval(1)
            case .suspended?: return (received, last)
            default: break
            }
            t = t.addingTimeInterval(a.refusal == nil ? 0.05 : 2)
        }
        return (received, last)
    }

    @Test("a full-speed scraper alternating between two servers gets what it gets from one (the first window plus the grace), and is suspended on both; two unshared watches would give it twice as much")
    func scraperOverTwoServers() async throws {
        let (world, org, agent) = try await Self.twoServersWithAnAgent()
        let key = SymmetricKey(size: .bits256)
        let watches = world.stores.map { Watch(settings: .defaults, store: $0, honeytokenKey: key) }
        let shared = try await Self.scrape(watches.map { w in { try await w.assess($0) } }, account: agent, organisation: org.id)
        #expect(shared.last == .suspended)
        #expect(shared.received <= Self.staff.first + Self.staff.grace, "two servers together let no more through than one")
        #expect(shared.received >= Self.staff.first - 3)
        // Suspended in the database: either server refuses the account's next request.
        for w in watches {
            let e = WatchEvent(at: WatchBench.at(day: 0, hour: 12), account: agent, role: "agent", kind: .staff, organisation: org.id,
                               session: SessionID(), source: "10.20.30.40", action: "read", allowed: true, dossiers: [DossierID()],
                               persons: [PersonID()], accountCreatedAt: WatchBench.monday.addingTimeInterval(-90 * 86_400))
            #expect(try await w.assess(e).refusal == .suspended)
        }
        #expect(try await world.stores[1].account(id: agent)?.status == "disabled")

        // The same attack against two watches that do not share their state (two servers
        // before this change): each lets its own first window and grace through.
        let engines = [EngineBox(), EngineBox()]
        let unshared = try await Self.scrape(engines.map { box in { e in box.engine.withLock { $0.assess(e) } } }, account: AccountID(),
                                             organisation: org.id)
        #expect(unshared.received > shared.received + Self.staff.first / 2, "the test would see a split view: \(unshared.received) against \(shared.received)")
        try await world.close()
    }

    /// The attack's shared clock and step-up answers, for requests fired at once.
    final class Attack: Sendable {
        struct State { var t = WatchBench.at(day: 0, hour: 9); var factor = WatchBench.at(day: 0, hour: 9).addingTimeInterval(-60); var justification: String? }
        let state = Mutex(State())
        func next() -> (Date, Date, String?) { state.withLock { $0.t = $0.t.addingTimeInterval(0.05); return ($0.t, $0.factor, $0.justification) } }
        func answer(at t: Date) { state.withLock { $0.factor = t.addingTimeInterval(1); $0.justification = "The family called about the file this morning." } }
        func wait(until: Date) { state.withLock { $0.t = max($0.t, until.addingTimeInterval(1)) } }
    }

    @Test("a person flagged as watched on one server counts on the other within the marks' refresh (a second), unflagged too, without a restart")
    func watchedPersonOverTwoServers() async throws {
        let (world, org, agent) = try await Self.twoServersWithAnAgent()
        let key = SymmetricKey(size: .bits256)
        let watches = world.stores.map { Watch(settings: .defaults, store: $0, honeytokenKey: key) }
        let person = PersonID()
        try await world.stores[0].create(person: NewPerson(record: PersonRecord(id: person, version: 1, fields: PostgresDossierParityTests.sealed("w"),
                                                                                key: PostgresDossierParityTests.key), terms: []), at: WatchBench.at(day: 0, hour: 9))
        var minute = 0
        func read(on w: Watch) async throws -> Assessment {
            minute += 1
            let e = WatchEvent(at: WatchBench.at(day: 0, hour: 9).addingTimeInterval(Double(minute) * 60), account: agent, role: "agent", kind: .staff,
                               organisation: org.id, session: SessionID(), source: "10.20.30.40", action: "read", allowed: true,
                               dossiers: [DossierID()], persons: [person], accountCreatedAt: WatchBench.monday.addingTimeInterval(-90 * 86_400),
                               secondFactorAt: WatchBench.at(day: 0, hour: 9))
            return try await w.assess(e)
        }
        func flagged(_ a: Assessment) -> Bool { a.findings.contains { $0.detector == "watched-person" } }
        // Both servers have read their marks (nobody watched) before the flag.
        #expect(try await !flagged(read(on: watches[1])))
        try await watches[0].setWatched(person, reason: "synthetic: a public figure", by: world.officer, at: WatchBench.at(day: 0, hour: 9))
        #expect(try await flagged(read(on: watches[0])), "the server that flagged sees it at once")
        try await Task.sleep(for: Watch.marksRefresh + .milliseconds(100))
        #expect(try await flagged(read(on: watches[1])), "the other server sees the flag without a restart")
        try await watches[0].setWatched(person, reason: nil, by: world.officer, at: WatchBench.at(day: 0, hour: 10))
        try await Task.sleep(for: Watch.marksRefresh + .milliseconds(100))
        #expect(try await !flagged(read(on: watches[1])), "and the unflag")
        try await world.close()
    }

    @Test("a scraper firing at two servers at once, one request in flight on each, is contained as by one: the servers' writes of its state never cross")
    func concurrentScraperOverTwoServers() async throws {
        let (world, org, agent) = try await Self.twoServersWithAnAgent()
        let key = SymmetricKey(size: .bits256)
        let watches = world.stores.map { Watch(settings: .defaults, store: $0, honeytokenKey: key) }
        let received = try await Self.fire(at: watches, agent: agent, organisation: org.id)
        #expect(received <= Self.staff.first + Self.staff.grace, "two servers at once let no more through than one")
        #expect(try await world.stores[0].account(id: agent)?.status == "disabled")
        try await world.close()
    }

    @Test("three sessions in flight on each of two servers, each server writing its state behind at every request: contained as by one (a write-behind of a state between its assessment and its conditional write would lose the other requests' persons)")
    func manyInFlightPerServer() async throws {
        let (world, org, agent) = try await Self.twoServersWithAnAgent()
        let key = SymmetricKey(size: .bits256)
        // flushInterval 0: the write-behind runs at every request, as it does at once after every step-up on a server.
        let watches = world.stores.map { Watch(settings: .defaults, store: $0, honeytokenKey: key, flushInterval: 0) }
        let received = try await Self.fire(at: watches + watches + watches, agent: agent, organisation: org.id)
        #expect(received <= Self.staff.first + Self.staff.grace, "six sessions on two servers let no more through than one: \(received)")
        #expect(received >= Self.staff.first - 3)
        #expect(try await world.stores[1].account(id: agent)?.status == "disabled")
        try await world.close()
    }

    /// Two servers' stores on one database, an operator and its agent (the stolen account).
    static func twoServersWithAnAgent() async throws -> (PostgresStoreTests.TwoServers, Organisation, AccountID) {
        let clock = TestClock()
        let world = try await PostgresStoreTests.TwoServers.make(clock: clock)
        let org = Organisation(id: OrganisationID(), kind: "operator", name: "Second operator", territory: nil, capacity: nil)
        try await world.stores[0].insert(organisations: [org], at: clock.date)
        let agent = try await world.auths[0].createAccount(username: "agent", password: World.password, role: "agent", organisation: org.id,
                                                           createdBy: nil)
        return (world, org, agent)
    }

    /// One attacking session per entry of `watches` (a server's watch may appear several
    /// times: several sessions in flight on it), all at once, each reading one new dossier
    /// (three persons) at a time until suspended. Returns the persons let through in all.
    static func fire(at watches: [Watch], agent: AccountID, organisation org: OrganisationID) async throws -> Int {
        let attack = Attack()
        return try await withThrowingTaskGroup(of: Int.self) { group in
            for w in watches {
                group.addTask {
                    let session = SessionID()
                    var received = 0
                    for _ in 0..<300 {
                        let (t, factor, justification) = attack.next()
                        let (dossier, persons) = WatchBench.newDossier()
                        var e = WatchEvent(at: t, account: agent, role: "agent", kind: .staff, organisation: org, session: session,
                                           source: "10.20.30.40", action: "read", allowed: true, dossiers: [dossier], persons: persons,
                                           accountCreatedAt: WatchBench.monday.addingTimeInterval(-90 * 86_400), secondFactorAt: factor)
                        e.justification = justification
                        // A request the watch could not record is refused (503): the attacker gets nothing.
                        let assessed: Assessment
                        do { assessed = try await w.assess(e) } catch GuichetError.unavailable { continue }
                        switch assessed.refusal {
                        case nil: received += persons.count
                        case .ceiling?: attack.answer(at: t)
                        case .throttled(let until)?: attack.wait(until: until)
                        case .suspended?: return received
                        default: break
                        }
                    }
                    return received
                }
            }
            return try await group.reduce(0, +)
        }
    }

    final class EngineBox: Sendable {
        let engine = Mutex(WatchEngine(settings: .defaults))
    }
}
