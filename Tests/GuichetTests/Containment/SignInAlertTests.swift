import Foundation
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore

/// Attacks on sign-in reach the security officers (an attacker's audit: about 250 failed
/// sign-ins, a name locked, 20 wrong second-factor codes, and not one alert).
@Suite(.serialized)
struct SignInAlertTests {
    @Test("a name locked by guesses and wrong second-factor codes after the right password are alerts for the security officers, naming the account")
    func alerts() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 20, accounts: [("agent1", "agent", "operator"), ("agent2", "agent", "operator")])
        defer { world.remove() }
        // Guesses at agent1's name from everywhere, waiting out every delay, until it locks.
        for n in 0..<40 {
            world.clock.advance(901)
            _ = try? await world.auth.signIn(username: "agent1", password: "a guess \(n) of the password", source: "198.51.100.\(n)")
        }
        let one = try #require(try await world.store.account(username: "agent1")).id
        let locked = try await world.store.alerts(openOnly: true, account: one, limit: 20)
        #expect(locked.contains { $0.detector == "sign-in-locked" && $0.severity == "medium" }, "\(locked.map(\.detector))")

        // agent2's password is known: wrong codes one after another.
        _ = try await world.enrol("agent2")
        for n in 0..<8 {
            world.clock.advance(901)
            let session = try await world.auth.signIn(username: "agent2", password: World.password, source: "203.0.113.4")
            _ = try? await world.auth.verifyTOTP(session.principal, code: String(format: "%06d", n))
        }
        let two = try #require(try await world.store.account(username: "agent2")).id
        let guessed = try await world.store.alerts(openOnly: true, account: two, limit: 20)
        #expect(guessed.filter { $0.detector == "second-factor-guesses" && $0.severity == "high" }.count == 1, "\(guessed.map(\.detector))")
        #expect(!guessed.contains { $0.detector == "sign-in-locked" })
    }
}
