import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import GuichetCore
@testable import GuichetServer

/// End-to-end flows over the HTTP routes: a parent registers and applies, a daycare offers.
@Suite struct HTTPFlowTests {
    @Test("a parent registers, applies for a child; the chosen daycare sees its partial view and offers a place")
    func parentAppliesDaycareOffers() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let daycare = world.daycares[0].id
        try await world.withPublic { client in
            let registered = try await client.call(.post, "/v1/accounts", body: """
                {"username": "marie.parent", "password": "\(World.password)",
                 "person": {"firstName": "Marie", "lastName": "Tremblay", "birthDate": "1991-02-03", "email": "marie@example.org"}}
                """)
            #expect(registered.status == .created)
            let parent = try await world.token("marie.parent")
            let orgs = try await client.call(.get, "/v1/organisations?kind=daycare")
            #expect(orgs["organisations"]?.array?.count == 3)

            let created = try await client.call(.post, "/v1/dossiers", token: parent, body: applicationBody(daycare: daycare))
            #expect(created.status == .created)
            let id = try #require(created["id"]?.string)
            #expect(created["status"]?.string == "waiting")
            #expect(created["fields"] == nil, "a write returns no personal field")

            let mine = try await client.call(.get, "/v1/dossiers/\(id)", token: parent)
            #expect(mine.status == .ok)
            #expect(mine["fields"]?.object?["daysPerWeek"]?.integer == 5)

            let staff = try await world.token("daycare1")
            let list = try await client.call(.get, "/v1/dossiers?status=waiting", token: staff)
            let listed = try #require(list["dossiers"]?.array)
            #expect(listed.map { $0.object?["id"]?.string } == [id])
            #expect(listed[0].object?["persons"]?.array?.allSatisfy { $0.object?["fields"]?.object?.isEmpty ?? true } ?? true,
                    "a daycare's list shows the summary only")
            let opened = try await client.call(.get, "/v1/dossiers/\(id)", token: staff)
            let child = opened["persons"]?.array?.first { $0.object?["role"]?.string == "child" }?.object?["fields"]?.object
            #expect(child?["birthDate"]?.string == "2025-06-30")
            #expect(child?["lastName"] == nil, "a daycare does not see the child's last name")

            let offer = try await client.call(.post, "/v1/dossiers/\(id)/transitions/offer", token: staff)
            #expect(offer.status == .ok && offer["status"]?.string == "offered")
            let other = try await world.token("daycare2")
            #expect(try await client.call(.get, "/v1/dossiers/\(id)", token: other).status == .notFound)
            #expect(try await client.call(.post, "/v1/dossiers/\(id)/transitions/accept", token: parent)["status"]?.string == "placed")
        }
    }

    @Test("published statistics carry their definition and suppress small counts")
    func statistics() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        try await world.withPublic { client in
            let r = try await client.call(.get, "/v1/statistics")
            #expect(r.status == .ok)
            #expect(r["definition"]?.string?.isEmpty == false)
            let waiting = r["dossiers"]?.object?["application"]?.object?["byStatus"]?.object?["waiting"]
            #expect(waiting == .null, "one waiting application: suppressed (null), as in the figures")
            #expect(r["dossiers"]?.object?["application"]?.object?["byStatus"]?.object?["placed"] == .number(0))
        }
        // Kept until the gate changes something: five more applications (six waiting, at or
        // above the threshold of 5) are counted at the next request.
        for n in 0..<5 { _ = try await world.application(by: "parent1", childName: "Enfant\(n)") }
        try await world.withPublic { client in
            let again = try await client.call(.get, "/v1/statistics")
            #expect(again.status == .ok && again["dossiers"]?.object?["application"]?.object?["byStatus"]?.object?["waiting"] == .number(6), "\(again.text)")
        }
        // The answer is served from memory while nothing changed, for a minute at most.
        let cache = StatisticsCache(), t = Date()
        cache.keep(.string("kept"), at: t, changes: 3)
        #expect(cache.fresh(at: t.addingTimeInterval(30), changes: 3) == .string("kept"))
        #expect(cache.fresh(at: t.addingTimeInterval(30), changes: 4) == nil, "a change is counted again")
        #expect(cache.fresh(at: t.addingTimeInterval(61), changes: 3) == nil, "a minute at most (changes made by another process)")
    }

    @Test("security.txt (RFC 9116) is served from configuration, and absent without it")
    func securityTxt() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let unconfigured = GuichetServer(gate: world.gate, auth: world.auth, store: world.store)
        try await Application(router: unconfigured.publicRouter().0).test(.router) { client in
            let r = try await client.call(.get, "/.well-known/security.txt")
            #expect(r.status == .notFound)
        }
        let txt = try SecurityTxt(contacts: ["mailto:security@example.org"], expires: Date(timeIntervalSince1970: 1_830_000_000))
        let server = GuichetServer(gate: world.gate, auth: world.auth, store: world.store, securityTxt: txt)
        try await Application(router: server.publicRouter().0).test(.router) { client in
            let r = try await client.call(.get, "/.well-known/security.txt")
            let text = r.text
            #expect(r.status == .ok && text.contains("Contact: mailto:security@example.org\n") && text.contains("Expires: 2027-"))
        }
        #expect(throws: ConfigurationError.self) { try SecurityTxt(contacts: ["security@example.org"], expires: Date()) }
    }

    @Test("every response carries the security headers")
    func securityHeaders() async throws {
        let world = try await World.make()
        defer { world.remove() }
        try await world.withPublic { client in
            for path in ["/healthz", "/v1/dossiers", "/nowhere"] {
                let r = try await client.call(.get, path)
                #expect(r.headers[.cacheControl] == "no-store", "\(path)")
                #expect(r.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff", "\(path)")
            }
        }
    }
}
