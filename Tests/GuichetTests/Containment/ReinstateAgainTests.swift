import Foundation
import Testing
import GuichetCore
import GuichetGate
import GuichetStore

/// A reinstatement gives an account its ceilings back once a week, not at every reinstatement:
/// an officer's account reinstating a stolen staff account over and over read about 49
/// persons a minute for it (insider audit). A second reinstatement within seven days is by
/// another officer where there is one, keeps what the ceilings counted, and is a high alert.
@Suite struct ReinstateAgainTests {
    /// Opens files one by one with a new session of the stolen account until it is stopped;
    /// the distinct persons received.
    static func readUntilStopped(_ world: StolenAccountWorld, secret: String, files: [DossierID]) async throws -> Set<PersonID> {
        let token = try await world.signIn("agent", secret: secret)
        let principal = try await world.auth.authenticate(token: token)
        var seen = Set<PersonID>()
        for id in files {
            world.clock.advance(1)  // a request a second: a demand counts requests made after it
            do {
                let view = try await world.gate.read(id, GateRequest(principal: principal, requestID: "attack", source: "198.51.100.7", purpose: "list-management"))
                seen.formUnion(view.persons.filter { !$0.fields.isEmpty }.map(\.id))
            } catch GuichetError.throttled(let wait) {
                world.clock.advance(TimeInterval(wait + 1))  // the attacker waits the throttle out
            } catch {
                if try await world.store.account(username: "agent")?.status == "disabled" { break }
            }
        }
        return seen
    }

    static func officer(_ world: StolenAccountWorld, _ name: String) async throws -> GateRequest {
        let secret = try await world.enrol(name)
        let token = try await world.signIn(name, secret: secret)
        return GateRequest(principal: try await world.auth.authenticate(token: token), requestID: "officer", source: "10.0.0.9", purpose: nil)
    }

    @Test("the first reinstatement restarts the ceilings; a second one within the week needs another officer, restarts nothing and alerts")
    func secondReinstatement() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 400,
                                                      accounts: [("agent", "agent", "operator"), ("security", "security", "operator"),
                                                                 ("security2", "security", "operator")])
        defer { world.remove() }
        let agent = try #require(try await world.store.account(username: "agent")).id
        let files = try await world.store.search(DossierQuery(type: "application", status: nil, scope: [.any], terms: [], after: nil, limit: 400))
        let secret = try await world.enrol("agent")
        let first = try await Self.readUntilStopped(world, secret: secret, files: files)
        #expect(first.count <= 50 && first.count >= 30, "\(first.count) persons before the first suspension")
        let one = try await Self.officer(world, "security")
        let two = try await Self.officer(world, "security2")
        let reason = "Checked with the agent's manager by telephone."

        _ = try await world.gate.reinstate(agent, reason: reason, by: one)
        let second = try await Self.readUntilStopped(world, secret: secret, files: Array(files.dropFirst(first.count)))
        #expect(second.count >= 30, "the first reinstatement restarts the ceilings: \(second.count)")

        await #expect(throws: GuichetError.self, "the same officer does not reinstate it again within the week") {
            _ = try await world.gate.reinstate(agent, reason: reason, by: one)
        }
        _ = try await world.gate.reinstate(agent, reason: reason, by: two)
        let alerts = try await world.store.alerts(openOnly: true, account: agent, limit: 50)
        #expect(alerts.contains { $0.detector == "reinstated-again" && $0.severity == "high" }, "\(alerts.map(\.detector))")
        let third = try await Self.readUntilStopped(world, secret: secret, files: Array(files.dropFirst(first.count + second.count)))
        print("persons received: \(first.count), then \(second.count), then \(third.count) after the second reinstatement")
        #expect(third.count <= 15, "the ceilings kept their counts: \(third.count) more persons, at most the grace")

        // Each officer's breach scope names the account it made able to read again, to scope it
        // too (an officer's scope listed nothing of its reinstatements; insider audit).
        for name in ["security", "security2"] {
            let scope = try await world.scope(of: name)
            #expect(scope.accountsEnabled.map(\.account) == [agent] && scope.accountsEnabled.allSatisfy { $0.action == "watch:reinstate" },
                    "\(name): \(scope.accountsEnabled)")
            #expect(scope.json().object?["accountsEnabled"]?.array?.count == 1)
            #expect(scope.csv().contains("account-enabled,,,account:\(agent.rawValue) watch:reinstate"))
        }
    }
}
