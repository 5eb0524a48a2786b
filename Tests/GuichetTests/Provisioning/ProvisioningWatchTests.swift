import Foundation
import Testing
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetStore

/// Provisioning feeds the watch's account-lifecycle signals (issue 16, item 1): an account the
/// command line provisions is watched in its first minutes like one made over the admin API,
/// the security officers hear of it, and of a leaver's deactivation.
@Suite(.serialized) struct ProvisioningWatchTests {
    @Test("a staff account provisioned on the command line is reported when it reaches data minutes after its creation; a deactivation is in the officers' queue")
    func consoleAccountsAreWatched() async throws {
        let base = try await World.make()
        defer { base.remove() }
        let world = try await base.watched()
        _ = try await world.registerParent("parent1")
        let application = try await world.application(by: "parent1")
        let provisioning = Provisioning(gate: world.gate, auth: world.auth)
        let made = try await provisioning.createAccount(NewAccount(username: "agent2", password: World.password, role: "agent",
                                                                   organisation: world.operatorOrg.id, territory: nil, email: nil),
                                                        by: .consoleTrustingTheKeyFile(requestID: "test"))
        #expect(made.status == "active" && made.activation?.code != nil)
        let agent = try await world.request("agent2", purpose: "family-request")
        _ = try await world.gate.read(application.id, agent)  // its sign-in's factor, a moment ago, stands for a step-up
        let detectors = try await world.store.alerts(openOnly: true, account: nil, limit: 10).map(\.detector)
        #expect(detectors.contains("fresh-account") && detectors.contains("new-privileged-account"))

        try await provisioning.deactivate(made.id, reason: "left the service", by: .consoleTrustingTheKeyFile(requestID: "test"))
        #expect(try await world.store.alerts(openOnly: true, account: nil, limit: 10).contains { $0.detector == "account-deactivated" && $0.account == made.id })
        await #expect(throws: GuichetError.self) { try await world.auth.authenticate(token: try await world.token("agent2")) }
    }
}
