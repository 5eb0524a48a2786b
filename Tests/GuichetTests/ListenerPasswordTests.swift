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

    func failures(_ world: World, _ username: String) async throws -> Int {
        Int(try await world.database.strings("SELECT CAST(failures AS TEXT) FROM sign_in_throttle WHERE key = '\(Authenticator.throttleKey(username))'").first ?? "0") ?? -1
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

    @Test("a right password on the wrong listener does not reset the name's failure counter, on either side")
    func rightPasswordKeepsFailures() async throws {
        let world = try await World.make()
        defer { world.remove() }
        for (name, admin) in [("admin", true), ("agent", false)] {
            for i in 0..<3 { #expect(try await signIn(world, admin: admin, name, "wrong guess \(i) for the test").status == .unauthorized) }
            #expect(try await failures(world, name) == 3)
            #expect(try await signIn(world, admin: !admin, name, World.password).status == .unauthorized)
            #expect(try await failures(world, name) == 4, "the attempt counts as a failure, as for an unknown name")
            #expect(try await signIn(world, admin: admin, name, World.password).status == .created)
            #expect(try await failures(world, name) == 0)
        }
        // Unknown names are counted the same way.
        for i in 0..<3 { _ = try await signIn(world, admin: false, "nobody.here", "wrong guess \(i) for the test") }
        _ = try await signIn(world, admin: false, "nobody.here", World.password)
        #expect(try await failures(world, "nobody.here") == 4)
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
