import Foundation
import Synchronization
import Testing
@testable import GuichetAuth
import GuichetCore
import GuichetMFA
import GuichetStore

/// A clock that tests move by hand.
final class TestClock: Sendable {
    private let now = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
    var date: Date { now.withLock { $0 } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// Threat R1: an admin panel that accepted unlimited guesses.
@Suite struct BruteForceTests {
    struct Outcome { var successes = 0; var checked = 0; var throttled = 0 }

    func attack(_ auth: Authenticator, clock: TestClock, guesses: Int, sources: Int) async throws -> Outcome {
        try await attackName(auth, "admin", clock: clock, guesses: guesses, from: { "198.51.100.\($0 % sources)" })
    }

    @Test("10,000 guesses from one address, then from 100: no success, at most 20 passwords checked, and the admin recovers")
    func bruteForce() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth

        let single = try await attack(auth, clock: clock, guesses: 10_000, sources: 1)
        #expect(single.successes == 0)
        #expect(single.checked <= auth.throttle.lockoutAfter, "at most \(auth.throttle.lockoutAfter) guesses reach the password check")
        let spread = try await attack(auth, clock: clock, guesses: 10_000, sources: 100)
        #expect(spread.successes == 0)
        #expect(single.checked + spread.checked <= auth.throttle.lockoutAfter, "spreading over addresses buys nothing")

        // The real admin is locked out too, until the recovery path on the server.
        await #expect(throws: GuichetError.self) { try await auth.signIn(username: "admin", password: World.password, source: "192.0.2.7") }
        #expect(try await auth.unlock(username: "admin"))
        let session = try await auth.signIn(username: "admin", password: World.password, source: "192.0.2.7")
        let notices = try await world.store.notices(account: session.principal.account).map(\.kind)
        #expect(notices.contains("failed-sign-ins") && notices.contains("sign-in-locked") && notices.contains("unlocked"))
    }

    @Test("thirty registrations at once from one address: ten are let through, the rest wait, on either back-end")
    func registrationsAtOnce() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let auth = world.auth
        let passed = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<30 { group.addTask { (try? await auth.reserveRegistration(source: "198.51.100.77")) != nil } }
            var n = 0
            for await ok in group where ok { n += 1 }
            return n
        }
        #expect(passed == ThrottlePolicy().perSourceRegistrations, "a citizen's audit made 30 accounts at once on PostgreSQL: \(passed)")
        await #expect(throws: GuichetError.self) { try await auth.reserveRegistration(source: "198.51.100.77") }
        try await auth.reserveRegistration(source: "198.51.100.78")  // another address is not held
    }

    @Test("a name followed by a NUL and anything is no name: never signed in, so suffixes buy no fresh count of guesses")
    func nulSuffixIsNoName() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        // The right password under a suffixed name: refused, on the store's lookup too.
        for suffixed in ["admin\u{0}", "admin\u{0}x", "admin\u{0}\u{0}1", "admin\u{1}", "admin\u{7f}"] {
            await #expect(throws: GuichetError.unauthenticated) {
                try await auth.signIn(username: suffixed, password: World.password, source: "192.0.2.9")
            }
        }
        #expect(try await world.store.account(username: "admin\u{0}x") == nil)
        // Guesses spread over suffixes never reach the password check of `admin`, and the
        // name's own throttle still stops guesses after it.
        let outcome = try await attack(auth, clock: clock, guesses: 40, sources: 40)
        #expect(outcome.successes == 0 && outcome.checked <= auth.throttle.lockoutAfter)
        for i in 0..<50 {
            clock.advance(0.5)
            await #expect(throws: GuichetError.self) {
                try await auth.signIn(username: "admin\u{0}\(i)", password: World.password, source: "203.0.113.\(i)")
            }
        }
        // The real name still works for its owner once its throttle's wait is over.
        clock.advance(auth.throttle.maxDelay)
        #expect(try await auth.signIn(username: "admin", password: World.password, source: "192.0.2.7").principal.username == "admin")
    }

    @Test("successful sign-ins of one name are limited (60 in 10 minutes, then 429 before any hashing), without locking the name; other names are not")
    func successfulSignInsLimited() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        for _ in 0..<60 {
            clock.advance(1)
            _ = try await auth.signIn(username: "daycare1", password: World.password, source: "192.0.2.45")
        }
        clock.advance(1)
        await #expect { _ = try await auth.signIn(username: "daycare1", password: World.password, source: "192.0.2.45") } throws: { error in
            guard case GuichetError.throttled(let wait) = error else { return false }
            return wait > 0 && wait <= 600
        }
        _ = try await auth.signIn(username: "agent", password: World.password, source: "192.0.2.45")
        // Ten minutes after the first, the name signs in again: it was not locked.
        clock.advance(600)
        _ = try await auth.signIn(username: "daycare1", password: World.password, source: "192.0.2.45")
    }

    @Test("guesses from everywhere lock a name for new places only: its owner signs in from where they signed in lately, where guesses are counted apart and lock apart; the unlock clears both")
    func ownerKeepsTheirUsualPlace() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        let home = "192.0.2.7"
        _ = try await auth.signIn(username: "agent", password: World.password, source: home)
        // The attacker knows the user name only: a guess from a new address each time.
        let spread = try await attackName(auth, "agent", clock: clock, guesses: 2_000, from: { "198.51.100.\($0 % 250)" }, step: 30)
        #expect(spread.successes == 0 && spread.checked == auth.throttle.lockoutAfter, "locked: \(spread.checked) checked")
        await #expect(throws: GuichetError.self, "locked for a new place") { _ = try await auth.signIn(username: "agent", password: World.password, source: "203.0.113.5") }
        clock.advance(1)
        _ = try await auth.signIn(username: "agent", password: World.password, source: home)
        // From the owner's place, guesses are counted apart, and lock that place after as many.
        let near = try await attackName(auth, "agent", clock: clock, guesses: 2_000, from: { _ in home }, step: 30)
        #expect(near.successes == 0 && near.checked == auth.throttle.lockoutAfter, "counted apart: \(near.checked) checked")
        clock.advance(16 * 60)
        await #expect(throws: GuichetError.self, "locked there too now") { _ = try await auth.signIn(username: "agent", password: World.password, source: home) }
        let kinds = try await world.store.notices(account: try #require(try await world.store.account(username: "agent")).id).map(\.kind)
        #expect(kinds.filter { $0 == "sign-in-locked" }.count == 2 && kinds.contains("failed-sign-ins"))
        // The documented recovery clears both.
        #expect(try await auth.unlock(username: "agent"))
        _ = try await auth.signIn(username: "agent", password: World.password, source: home)
        _ = try await auth.signIn(username: "agent", password: World.password, source: "203.0.113.5")
    }

    func attackName(_ auth: Authenticator, _ username: String, clock: TestClock, guesses: Int, from source: (Int) -> String,
                    step: TimeInterval = 0.5) async throws -> Outcome {
        var outcome = Outcome()
        for i in 0..<guesses {
            clock.advance(step)
            do {
                _ = try await auth.signIn(username: username, password: "guess-number-\(i)-xx", source: source(i))
                outcome.successes += 1
            } catch GuichetError.unauthenticated {
                outcome.checked += 1
            } catch GuichetError.throttled {
                outcome.throttled += 1
            }
        }
        return outcome
    }

    @Test("an account signed in again and again keeps its newest sessions only: the oldest end past the cap")
    func sessionsAreCapped() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        var tokens: [String] = []
        for _ in 0..<(Authenticator.maxSessions + 8) {
            clock.advance(1)
            tokens.append(try await auth.signIn(username: "agent", password: World.password, source: "192.0.2.44").token)
        }
        let account = try #require(try await world.store.account(username: "agent")).id
        #expect(try await world.store.openSessions(account: account, now: clock.date).count == Authenticator.maxSessions)
        for token in tokens.prefix(8) { await #expect(throws: GuichetError.unauthenticated) { _ = try await auth.authenticate(token: token) } }
        for token in tokens.suffix(3) { _ = try await auth.authenticate(token: token) }
    }

    @Test("a guess at a locked name is refused with one read: it waits for no write lock, so a guesser cannot hold up the writer")
    func lockedNameTakesNoWriteLock() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        // Lock the name: each guess after the last wait, from an address of its own.
        for i in 0..<auth.throttle.lockoutAfter {
            clock.advance(auth.throttle.maxDelay + 1)
            await #expect(throws: GuichetError.unauthenticated) {
                _ = try await auth.signIn(username: "admin", password: "guess-number-\(i)-xx", source: "198.51.100.\(i)")
            }
        }
        // Another connection holds the write lock of the table (SQLite: of the whole database).
        let hold = try await WriteLockHolder.take(world.database, table: "sign_in_throttle")
        do {
            clock.advance(1)
            let outcome = try await Self.within(seconds: 30) {
                do { _ = try await auth.signIn(username: "admin", password: World.password, source: "192.0.2.7"); return "signed in" }
                catch GuichetError.throttled { return "throttled" }
            }
            #expect(outcome == "throttled", "a locked name is refused while another connection writes")
        } catch {
            await hold.release()
            throw error
        }
        await hold.release()
    }

    /// The result of `body`, or a failure after `seconds` (a wait on a lock shows as that).
    static func within<T: Sendable>(seconds: Int, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask { try? await Task.sleep(for: .seconds(seconds)); return nil }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw TestFailure("no answer within \(seconds) s") }
            return value
        }
    }

    @Test("an unknown user name is throttled exactly like an existing one")
    func throttlingRevealsNothing() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        func trace(_ name: String) async -> [String] {
            var out: [String] = []
            for i in 0..<12 {
                clock.advance(0.25)
                do { _ = try await auth.signIn(username: name, password: "wrong-password-\(i)", source: "203.0.113.\(i)"); out.append("ok") }
                catch { out.append("\(error)") }
            }
            return out
        }
        let known = await trace("agent")
        let unknown = await trace("nobody-by-that-name")
        #expect(known == unknown)
        #expect(known.contains { $0.contains("too many attempts") })
    }

    @Test("the waits grow from 1 s to at most 15 minutes")
    func delays() {
        let p = ThrottlePolicy()
        #expect(p.delay(afterFailures: 4) == 0 && p.delay(afterFailures: 5) == 1 && p.delay(afterFailures: 6) == 2)
        #expect(p.delay(afterFailures: 19) == 900 && p.delay(afterFailures: 40) == 900)
    }

    @Test("self-registration: 10 an hour from one address, then 429 until the hour has passed; other addresses unaffected")
    func registrationsPerSource() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        for _ in 0..<10 { try await auth.reserveRegistration(source: "203.0.113.9") }
        await #expect(throws: GuichetError.throttled(retryAfterSeconds: 3600)) { try await auth.reserveRegistration(source: "203.0.113.9") }
        try await auth.reserveRegistration(source: "203.0.113.10")
        clock.advance(3601)
        try await auth.reserveRegistration(source: "203.0.113.9")
    }
}

/// Sessions end when idle, at their absolute lifetime, or everywhere at once.
@Suite struct SessionTests {
    @Test("a stolen password alone neither ends the owner's verified session nor pushes it out past the cap; its wrong codes lock the factor, the owner is told, and the unlock clears it")
    func passwordAloneCannotShutTheOwnerOut() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        // The owner: an app enrolled, a session that passed it.
        let enrolling = try await auth.signIn(username: "agent", password: World.password, source: "192.0.2.10")
        let code = try #require(try await auth.consoleActivation(username: "agent")?.code)
        let (base32, _) = try await auth.beginTOTP(enrolling.principal, activationCode: code)
        let secret = try TOTPSecret(base32: base32)
        _ = try await auth.verifyTOTP(enrolling.principal, code: try secret.code(at: clock.date))
        clock.advance(30)
        let owner = try await auth.signIn(username: "agent", password: World.password, source: "192.0.2.10")
        _ = try await auth.verifyTOTP(owner.principal, code: try secret.code(at: clock.date))
        // The attacker, with the password alone: sign out everywhere, end the owner's session.
        clock.advance(1)
        let thief = try await auth.signIn(username: "agent", password: World.password, source: "203.0.113.9")
        await #expect(throws: GuichetError.self) { _ = try await auth.endSessions(nil, by: thief.principal) }
        await #expect(throws: GuichetError.self) { _ = try await auth.endSessions(owner.principal.session, by: thief.principal) }
        _ = try await auth.authenticate(token: owner.token)
        // Past the cap of sessions, the unverified ones go first: the owner's stays.
        for _ in 0..<(Authenticator.maxSessions + 1) {
            clock.advance(1)
            _ = try await auth.signIn(username: "agent", password: World.password, source: "203.0.113.9")
        }
        #expect(try await auth.authenticate(token: owner.token).secondFactorAt != nil, "the owner's verified session is kept")
        // Wrong codes: the owner hears of them after five, the factor locks after twenty.
        var locked = false
        for n in 0..<40 where !locked {
            clock.advance(901)
            let guess = try await auth.signIn(username: "agent", password: World.password, source: "203.0.113.9")
            do { _ = try await auth.verifyTOTP(guess.principal, code: String(format: "%06d", n)) } catch GuichetError.unauthenticated {
            } catch GuichetError.throttled { locked = true }
        }
        let kinds = try await world.store.notices(account: owner.principal.account).map(\.kind)
        #expect(kinds.contains("failed-second-factor"), "\(kinds)")
        clock.advance(901)
        let refused = try await auth.signIn(username: "agent", password: World.password, source: "192.0.2.10")
        await #expect(throws: GuichetError.self, "locked: the right code waits too") { _ = try await auth.verifyTOTP(refused.principal, code: try secret.code(at: clock.date)) }
        // The documented recovery gives the factor back.
        #expect(try await auth.unlock(username: "agent"))
        let back = try await auth.signIn(username: "agent", password: World.password, source: "192.0.2.10")
        clock.advance(30)
        _ = try await auth.verifyTOTP(back.principal, code: try secret.code(at: clock.date))
        // A session ends itself, or all of them once it passed the factor.
        #expect(try await auth.endSessions(nil, by: try await auth.authenticate(token: back.token)))
        await #expect(throws: GuichetError.unauthenticated) { _ = try await auth.authenticate(token: owner.token) }
    }

    @Test("a session ends after 30 idle minutes and after 8 hours whatever its use; sign-out everywhere ends them all")
    func timeouts() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        let idle = try await auth.signIn(username: "agent", password: World.password)
        clock.advance(29 * 60)
        _ = try await auth.authenticate(token: idle.token)
        clock.advance(29 * 60)
        _ = try await auth.authenticate(token: idle.token)
        clock.advance(31 * 60)
        await #expect(throws: GuichetError.unauthenticated) { try await auth.authenticate(token: idle.token) }

        let busy = try await auth.signIn(username: "agent", password: World.password)
        for _ in 0..<16 { clock.advance(29 * 60); _ = try await auth.authenticate(token: busy.token) }
        clock.advance(29 * 60)
        await #expect(throws: GuichetError.unauthenticated, "8 hours is the absolute limit") { try await auth.authenticate(token: busy.token) }

        let a = try await auth.signIn(username: "agent", password: World.password)
        let b = try await auth.signIn(username: "agent", password: World.password)
        try await auth.revokeAllSessions(of: a.principal.account)
        await #expect(throws: GuichetError.unauthenticated) { try await auth.authenticate(token: a.token) }
        await #expect(throws: GuichetError.unauthenticated) { try await auth.authenticate(token: b.token) }
    }
}
