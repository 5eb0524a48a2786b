import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
@testable import GuichetServer

/// A search whose results end on a page's boundary says so on its last page: no next page
/// (a pages audit: an adviser with a caseload of 40 was offered a third page, which came empty).
/// Synthetic data only.
@Suite(.serialized)
struct WebSearchLastPageTests {
    @Test("an adviser's caseload of 40 comes in two pages of 20, the second without a next page")
    func caseloadOnAPageBoundary() async throws {
        let world = try await JeunesWorld.make()
        defer { world.remove() }
        let p = try await world.auth.authenticate(token: try await world.token("adviser-a1"))
        let g = GateRequest(principal: p, requestID: UUID().uuidString, source: "127.0.0.1", purpose: "support")
        var made: [String] = []
        for n in 0..<40 {
            let file = try await world.server.gate.create(DossierInput(
                type: "youth-file", fields: ["enrolledOn": .string("2026-11-30"), "programme": .string("cej")],
                persons: [.new(role: "young", fields: ["firstName": .string("Jeune\(n)"), "lastName": .string("Exemple"),
                                                       "birthDate": .string("2007-03-14")])], partners: []), g)
            made.append(file.id.rawValue)
        }
        // Over the API as on the pages: the gate's page of 20 that ends the results has no next.
        let first = try await world.server.gate.search(type: "youth-file", status: nil, criteria: [:], after: nil, limit: 20, g)
        let second = try await world.server.gate.search(type: "youth-file", status: nil, criteria: [:], after: try #require(first.next), limit: 20, g)
        #expect(second.views.count == 20 && second.next == nil, "the second page ends the results: \(second.views.count), next \(String(describing: second.next))")
        #expect(Set((first.views + second.views).map(\.id.rawValue)) == Set(made), "every file once")

        let session = try await world.auth.signIn(username: "adviser-a2", password: World.password)
        let code = try #require(try await world.auth.consoleActivation(username: "adviser-a2")?.code)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: code)
        try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: Date()))
        let all = made
        _ = try await world.store.assign(made.compactMap { DossierID(validating: $0) }, to: try #require(world.accounts["adviser-a2"]))
        try await world.withPublic { client in
            var adviser = PageClient(client)
            _ = try await adviser.signIn("adviser-a2", World.password, totp: secret)
            let home = try await adviser.get("/web/home?lang=en")
            let page1 = try await adviser.post("/web/home", [("csrf", try #require(home.csrf)), ("type", "youth-file"), ("search", "1"),
                                                             ("purpose", "support"), ("status", "")])
            #expect(WebStaffSearchPageTests.rows(page1.html).count == 20 && page1.html.contains(#"id="more-results""#))
            let next = try #require(WebStaffSearchPageTests.nextForm(page1.html))
            let page2 = try await adviser.post("/web/home", [("csrf", try #require(page1.csrf))] + next)
            #expect(WebStaffSearchPageTests.rows(page2.html).count == 20, "\(page2.status)")
            #expect(!page2.html.contains(#"id="more-results""#) && WebStaffSearchPageTests.nextForm(page2.html) == nil,
                    "the last page offers no next page")
            #expect(Set(WebStaffSearchPageTests.rows(page1.html) + WebStaffSearchPageTests.rows(page2.html)) == Set(all))
        }
    }
}
