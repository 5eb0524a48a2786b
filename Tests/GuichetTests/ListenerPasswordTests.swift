import Foundation
import GRDB
import HTTPTypes
import HummingbirdTesting
import Synchronization
import Testing
@testable import GuichetAuth
import GuichetCore
@testable import GuichetStore

/// The public listener never checks an admin-listener account's password (issue 14, item 4):
/// there, an administrator's or security officer's name is an unknown name, so a right guess
/// reveals nothing and does not clear the name's failures. Their notices are on their listener.
@Suite struct ListenerPasswordTests {
    func signIn(_ world: World, admin: Bool, _ username: String, _ password: String) async throws -> Reply {
        let out = Mutex<Reply?>(nil)
        let run: @Sendable (any TestClientProtocol) async throws -> Void = { client in
            let r = try await client.call(.post, admin ? "/admin/v1/session" : "/v1/session",
                                          body: #"{"username": "\#(username)", "password": "\#(password)"}"#)
            out.withLock { $0 = r }
        }
        if admin { try await world.withAdmin(run) } else { try await world.withPublic(run) }
        return try #require(out.withLock { $0 })
    }

    func failures(_ world: World, _ username: String, admin: Bool) async throws -> Int {
        let key = Authenticator.signInKey(username, adminListener: admin)
        return Int(try await world.database.strings("SELECT CAST(failures AS TEXT) FROM sign_in_throttle WHERE key = '\(key)'").first ?? "0") ?? -1
    }

    /// The headers that could tell the answers apart: all but the date and the request's own id.
    func comparable(_ r: Reply) -> [HTTPField] { r.headers.filter { $0.name != .date && $0.name.canonicalName != "x-request-id" } }

    @Test("an administrator's or security officer's right password on the public listener gets exactly the unknown-name answer",
          arguments: ["admin", "security"])
    func rightPasswordIsUnknownName(_ username: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        let named = try await signIn(world, admin: false, username, World.password)
        let unknown = try await signIn(world, admin: false, "nobody.here", World.password)
        #expect(named.status == .unauthorized)
        #expect(named.status == unknown.status && named.text == unknown.text && comparable(named) == comparable(unknown))
        #expect(named.headers[.setCookie] == nil)
    }

    @Test("a right password on the wrong listener does not reset the name's failure counter there, and each listener counts its own")
    func rightPasswordKeepsFailures() async throws {
        let world = try await World.make()
        defer { world.remove() }
        for (name, admin) in [("admin", true), ("agent", false)] {
            for i in 0..<3 { #expect(try await signIn(world, admin: admin, name, "wrong guess \(i) for the test").status == .unauthorized) }
            #expect(try await failures(world, name, admin: admin) == 3)
            #expect(try await signIn(world, admin: !admin, name, World.password).status == .unauthorized)
            #expect(try await failures(world, name, admin: !admin) == 1, "the attempt counts as a failure there, as for an unknown name")
            #expect(try await failures(world, name, admin: admin) == 3, "and not on the account's own listener")
            #expect(try await signIn(world, admin: admin, name, World.password).status == .created)
            #expect(try await failures(world, name, admin: admin) == 0)
            #expect(try await failures(world, name, admin: !admin) == 1, "a sign-in clears only its own listener's count")
        }
        // Unknown names are counted the same way.
        for i in 0..<3 { _ = try await signIn(world, admin: false, "nobody.here", "wrong guess \(i) for the test") }
        _ = try await signIn(world, admin: false, "nobody.here", World.password)
        #expect(try await failures(world, "nobody.here", admin: false) == 4)
    }

    @Test("guesses on the public listener never lock an administrator or security officer out of the admin listener, and answer as for an unknown name",
          arguments: ["admin", "security"])
    func publicGuessesDoNotLockAdmins(_ username: String) async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        // A patient guesser: every wait served, addresses changed, until the name is locked there.
        func outcome(_ name: String, _ i: Int) async -> String {
            do {
                _ = try await auth.signIn(username: name, password: "wrong guess \(i) for the test", source: "198.51.100.\(i % 200)", adminListener: false)
                return "signed in"
            } catch GuichetError.unauthenticated { return "unknown" } catch GuichetError.throttled { return "wait" } catch { return "\(error)" }
        }
        var named: [String] = [], unknown: [String] = []
        for i in 0..<(auth.throttle.lockoutAfter + 3) {
            clock.advance(auth.throttle.maxDelay + 1)
            named.append(await outcome(username, i))
            unknown.append(await outcome("nobody.here", i))
        }
        #expect(named == unknown, "an administrator's name answers on the public listener as an unknown name does")
        #expect(named.suffix(3) == ["wait", "wait", "wait"], "the name is locked on the public listener")
        // Where the administrator works, nothing is locked.
        let session = try await auth.signIn(username: username, password: World.password, source: "192.0.2.7", adminListener: true)
        let notices = try await world.store.notices(account: session.principal.account)
        #expect(notices.contains { $0.kind == "failed-sign-ins" && $0.detail.contains("other listener") }, "the owner is told of the guesses")
        #expect(!notices.contains { $0.kind == "sign-in-locked" }, "and not told of a lock that does not exist")
        // The operator's unlock clears both listeners' counts.
        #expect(try await auth.unlock(username: username))
        #expect(await outcome(username, 999) == "unknown", "after an unlock the public listener counts afresh")
    }

    @Test("the public listener never checks an admin-listener account's password: a session is never made there")
    func noSessionMade() async throws {
        let world = try await World.make()
        defer { world.remove() }
        await #expect(throws: GuichetError.unauthenticated) {
            try await world.auth.signIn(username: "admin", password: World.password, adminListener: false)
        }
        await #expect(throws: GuichetError.unauthenticated) {
            try await world.auth.signIn(username: "agent", password: World.password, adminListener: true)
        }
        let sessions = try await world.database.count("session")
        #expect(sessions == 0)
    }

    @Test("an administrator reads their own notices (failed sign-ins, even on the public listener) on the admin listener")
    func adminNotices() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let token = try await world.token("admin")
        for i in 0..<world.auth.throttle.freeFailures {
            _ = try await signIn(world, admin: false, "admin", "wrong guess \(i) for the test")
        }
        let out = Mutex<[Reply]>([])
        try await world.withAdmin { client in
            let mine = try await client.call(.get, "/admin/v1/me/notices", token: token)
            let anonymous = try await client.call(.get, "/admin/v1/me/notices")
            out.withLock { $0 += [mine, anonymous] }
        }
        try await world.withPublic { client in
            let r = try await client.call(.get, "/v1/me/notices", token: token)
            out.withLock { $0.append(r) }
        }
        let replies = out.withLock { $0 }
        #expect(replies[0].status == .ok)
        let kinds = replies[0]["notices"]?.array?.compactMap { $0.object?["kind"]?.string } ?? []
        #expect(kinds.contains("failed-sign-ins") && kinds.contains("activation-code-used"))
        #expect(replies[1].status == .unauthorized)
        #expect(replies[2].status == .unauthorized, "an admin session is not valid on the public listener")
    }
}
