import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetStore

/// The list of one's sessions (the account page's) and ending one of them.
@Suite struct SessionListTests {
    @Test("an account's open sessions are listed most recently used first, without the revoked, expired or idle ones, and ending one by id ends that one only")
    func listAndEndOne() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let clock = TestClock()
        let auth = try await world.reopened(clock: { clock.date }).auth
        let idle = try await auth.signIn(username: "agent", password: World.password)
        clock.advance(31 * 60)
        let a = try await auth.signIn(username: "agent", password: World.password)
        clock.advance(120)
        let b = try await auth.signIn(username: "agent", password: World.password)
        let revoked = try await auth.signIn(username: "agent", password: World.password)
        try await auth.signOut(token: revoked.token)
        let other = try await auth.signIn(username: "daycare1", password: World.password)

        let listed = try await auth.openSessions(of: a.principal.account)
        #expect(listed.map(\.id) == [b.principal.session, a.principal.session], "idle, revoked and other accounts' sessions are not listed")
        #expect(!listed.contains { $0.id == idle.principal.session })

        #expect(try await auth.revokeSession(other.principal.session, of: a.principal.account) == false, "another account's session is left alone")
        _ = try await auth.authenticate(token: other.token)
        #expect(try await auth.revokeSession(b.principal.session, of: b.principal.account))
        await #expect(throws: GuichetError.unauthenticated) { try await auth.authenticate(token: b.token) }
        _ = try await auth.authenticate(token: a.token)
        #expect(try await auth.openSessions(of: a.principal.account).map(\.id) == [a.principal.session])
        #expect(try await auth.revokeSession(b.principal.session, of: b.principal.account) == false, "an ended session is not ended twice")
    }
}
