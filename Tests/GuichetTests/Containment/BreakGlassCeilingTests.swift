import Foundation
import Testing
import GuichetCore
import GuichetStore
import GuichetProfile

/// Break-glass has a ceiling (#22): a handful of openings per account and per day, each a
/// high alert that security officers see on the admin listener; past the ceiling the opening
/// is refused and the account suspended.
@Suite struct BreakGlassCeilingTests {
    static let justification = "The job seeker came to our agency in person after moving; their agency is closed today."

    @Test("a stolen adviser opens three files by break-glass, the fourth is refused and the account suspended; each opening is a high alert on the admin listener")
    func ceilingSuspends() async throws {
        let world = try await StolenAccountWorld.make(profile: "emploi", size: 400,
                                                      accounts: [("adviser", "adviser", "agency"), ("security", "security", "operator")])
        defer { world.remove() }
        let spec = try #require(world.profile.breakGlass)
        #expect(spec.perDay == 3)
        let adviser = try #require(try await world.store.account(username: "adviser"))
        let mine = try #require(adviser.organisation)
        // Files of other agencies: outside the adviser's scope.
        let others = try await world.store.search(DossierQuery(type: "job-seeker", status: "registered", scope: [.any], terms: [], after: nil, limit: 500))
        let outside = try await world.store.dossiers(others).filter { $0.organisation != mine }.map(\.id)
        #expect(outside.count > 10)
        let secret = try await world.enrol("adviser")
        let token = try await world.signIn("adviser", secret: secret)
        let body = #"{"justification": "\#(Self.justification)"}"#
        try await world.withPublic { client in
            for id in outside.prefix(spec.perDay) {
                let opened = try await client.send(.post, "/v1/dossiers/\(id)/break-glass", token: token, headers: ["Guichet-Purpose": "support"], body: body)
                #expect(opened.status == .created, "\(opened.text)")
                let read = try await client.send(.get, "/v1/dossiers/\(id)", token: token, headers: ["Guichet-Purpose": "support"])
                #expect(read.status == .ok)
            }
            let past = try await client.send(.post, "/v1/dossiers/\(outside[spec.perDay])/break-glass", token: token,
                                             headers: ["Guichet-Purpose": "support"], body: body)
            #expect(past.status == .forbidden && past.text.contains("suspended"), "\(past.text)")
            let after = try await client.send(.get, "/v1/dossiers/\(outside[0])", token: token, headers: ["Guichet-Purpose": "support"])
            #expect(after.status == .unauthorized, "the suspension ended the session")
        }
        #expect(try await world.store.account(username: "adviser")?.status == "disabled")
        let alerts = try await world.store.alerts(openOnly: true, account: nil, limit: 50)
        #expect(alerts.filter { $0.detector == "break-glass" && $0.severity == "high" }.count == spec.perDay)
        #expect(alerts.contains { $0.detector == "break-glass-ceiling" && $0.response == "suspend" })
        #expect(try await world.store.breakGlassCount(account: adviser.id, since: .distantPast) == spec.perDay, "no fourth opening was stored")

        let officerSecret = try await world.enrol("security")
        let officer = try await world.signIn("security", secret: officerSecret)
        try await world.withAdmin { client in
            let queue = try await client.send(.get, "/admin/v1/watch/alerts", token: officer)
            #expect(queue.status == .ok)
            let detectors = queue["alerts"]?.array?.compactMap { $0.object?["detector"]?.string } ?? []
            #expect(detectors.filter { $0 == "break-glass" }.count == spec.perDay && detectors.contains("break-glass-ceiling"))
        }
        #expect(world.log.text.contains("event=break-glass-opened") && world.log.text.contains("rule=break-glass-ceiling"))
    }

    @Test("a profile's break-glass per-day is a handful: 0 or 50 is refused with its line and column")
    func perDayBounds() throws {
        let text = try String(contentsOfFile: Repo.root.appendingPathComponent("profiles/emploi/profile.yaml").path, encoding: .utf8)
        for bad in ["0", "50"] {
            let changed = text.replacingOccurrences(of: "  justification: 40", with: "  justification: 40\n  per-day: \(bad)")
            #expect(throws: (any Error).self) { _ = try ProfileLoader.parse(yaml: changed, file: "emploi.yaml") }
        }
        let ok = text.replacingOccurrences(of: "  justification: 40", with: "  justification: 40\n  per-day: 5")
        #expect(try ProfileLoader.parse(yaml: ok, file: "emploi.yaml").breakGlass?.perDay == 5)
    }
}
