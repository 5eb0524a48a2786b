import Foundation
import Testing
import GuichetCore
import GuichetGate

/// secu's staff search by an identity number or an address: a surname alone matched 43 of a
/// fund's files to their insured persons in 27 searches (an attacker's audit), none of them
/// counted as a person received.
@Suite struct SecuSearchTests {
    @Test("a secu agent's search by a surname alone is refused (400, saying which terms); by a CNSS number it finds the file")
    func surnameAloneRefused() async throws {
        let world = try await SecuWorld.make()
        defer { world.remove() }
        let agent = try await world.request("agent", purpose: "claims")
        let own = try await world.gate.read(world.account, GateRequest(principal: try await world.auth.signIn(username: "insured1", password: World.password).principal,
                                                                       requestID: "insured", source: nil, purpose: nil))
        let insured = try #require(own.persons.first { $0.id == world.insured })
        guard case .string(let lastName)? = insured.fields["lastName"]?.revealedJSON, case .string(let cnss)? = insured.fields["cnss"]?.revealedJSON else {
            Issue.record("the insured person's own file shows their name and CNSS number"); return
        }
        do {
            _ = try await world.gate.search(type: "insured-account", status: nil, criteria: ["insured.lastName": lastName], after: nil, limit: 20, agent)
            Issue.record("a surname alone was searched")
        } catch GuichetError.invalid(let message) {
            #expect(message.contains("search by one of: cin; cnss; email"), "\(message)")
        }
        let found = try await world.gate.search(type: "insured-account", status: nil, criteria: ["insured.cnss": cnss], after: nil, limit: 20, agent)
        #expect(found.views.map(\.id) == [world.account])
        // An employer is told what it can search by: its CNSS number, not a CIN it may not read
        // nor a surname no combination of its takes (a controls audit read both).
        let employer = try await world.request("employer", purpose: "salary-declaration")
        for criteria in [["insured.cin": "BE123456"], ["insured.lastName": lastName]] {
            do {
                _ = try await world.gate.search(type: "insured-account", status: nil, criteria: criteria, after: nil, limit: 20, employer)
                Issue.record("searched by \(criteria.keys)")
            } catch GuichetError.invalid(let message) {
                let told = message.components(separatedBy: "search by").last ?? ""
                #expect((told == ": insured.cnss)" || told == " one of: cnss"), "\(message)")
            }
        }
    }
}
