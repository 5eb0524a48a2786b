import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing
import GuichetCore
import GuichetGate
@testable import GuichetServer

/// Applying by form (`/web/apply`): what the server refuses whatever the browser checked, and
/// the form that comes back as typed with the refusal (an audit found it emptied).
@Suite(.serialized)
struct WebApplyPageTests {
    /// A complete application as the form posts it, for the world's daycares.
    static func fields(_ world: World, csrf: String, birthDate: String = "2025-05-01") -> [(String, String)] {
        [("csrf", csrf), ("p.child.firstName", "Zoé"), ("p.child.lastName", "Exemple"), ("p.child.birthDate", birthDate),
         ("p.child.phone", "514-555-0142"), ("f.desiredStart", "2027-09-01"), ("f.daysPerWeek", "4"), ("f.schedule", "part-time"),
         ("f.specialNeeds", "synthetic note"),
         ("partner", world.daycares[2].id.rawValue), ("partner", world.daycares[0].id.rawValue), ("partner", "")]
    }

    /// How many applications the parent holds, through the gate.
    static func applications(_ world: World) async throws -> Int {
        try await world.gate.search(type: "application", status: nil, criteria: [:], after: nil, limit: 50, try await world.request("parent1")).views.count
    }

    @Test("a child's birth date after today is refused by the page and by the API, naming the field and never the date; nothing is written")
    func futureBirthDateRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let today = world.gate.today()
        let future = try #require(LocalDate(iso: "\(today.year + 1)-01-01"))
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let form = try await browser.get("/web/apply?lang=en")
            #expect(form.html.contains(#"name="p.child.birthDate" value="" max="\#(today.iso)""#), "the browser is told too")
            let refused = try await browser.post("/web/apply", Self.fields(world, csrf: try #require(form.csrf), birthDate: future.iso))
            #expect(refused.status == .badRequest)
            let detail = try #require(refused.html.firstMatch(of: #/<span id="detail">([^<]*)</span>/#).map { String($0.1) })
            #expect(detail.contains("date of birth") && detail.contains("no later than today"), "\(detail)")
            #expect(!detail.contains(future.iso) && !detail.contains(String(future.year)), "never the value: \(detail)")
            #expect(try await Self.applications(world) == 0, "nothing written")

            let own = try await browser.post("/web/apply", Self.fields(world, csrf: try #require(form.csrf), birthDate: today.iso))
            #expect(own.status == .seeOther, "born today is not in the future")
        }
        await #expect(throws: GuichetError.invalid("field 'child.birthDate': expected a date no later than today")) {
            try await world.gate.create(DossierInput(
                type: "application", fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(5)],
                persons: [.caller(role: "parent"), .new(role: "child", fields: ["firstName": .string("Zoé"), "lastName": .string("Exemple"),
                                                                                 "birthDate": .string(future.iso)])],
                partners: [world.daycares[0].id]), try await world.request("parent1"))
        }
        #expect(try await Self.applications(world) == 1)
    }

    @Test("an application without any service chosen is refused by the page and by the API, and nothing is written")
    func noServiceRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let form = try await browser.get("/web/apply?lang=en")
            let none = Self.fields(world, csrf: try #require(form.csrf)).map { $0.0 == "partner" ? ("partner", "") : $0 }
            let refused = try await browser.post("/web/apply", none)
            #expect(refused.status == .badRequest && refused.html.contains("Choose from 1 to 10 partners"))
            // The same service in two boxes is said, not silently kept once (a new user's audit).
            var twice = false
            let same = Self.fields(world, csrf: try #require(form.csrf)).map { pair -> (String, String) in
                guard pair.0 == "partner" else { return pair }
                defer { twice = true }
                return ("partner", world.daycares[0].id.rawValue)
            }
            #expect(twice)
            let doubled = try await browser.post("/web/apply", same)
            #expect(doubled.status == .badRequest && doubled.html.contains("chosen twice"), "\(doubled.status)")
        }
        await #expect(throws: GuichetError.invalid("choose from 1 to 10 partners")) {
            try await world.gate.create(DossierInput(
                type: "application", fields: ["desiredStart": .string("2027-09-01"), "daysPerWeek": .number(5)],
                persons: [.caller(role: "parent"), .new(role: "child", fields: ["firstName": .string("Zoé"), "lastName": .string("Exemple"),
                                                                                 "birthDate": .string("2025-01-02")])],
                partners: []), try await world.request("parent1"))
        }
        #expect(try await Self.applications(world) == 0)
    }

    @Test("a refused application comes back with every field as typed and the services in the order chosen, with the refusal")
    func refusedFormKeepsWhatWasTyped() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let form = try await browser.get("/web/apply?lang=en")
            let fields = Self.fields(world, csrf: try #require(form.csrf)).map { $0.0 == "f.daysPerWeek" ? ($0.0, "9") : $0 }
            let refused = try await browser.post("/web/apply", fields)
            #expect(refused.status == .badRequest && refused.html.contains(#"id="error""#))
            for (name, value) in [("p.child.firstName", "Zoé"), ("p.child.lastName", "Exemple"), ("p.child.birthDate", "2025-05-01"),
                                  ("p.child.phone", "514-555-0142"), ("f.desiredStart", "2027-09-01"),
                                  ("f.specialNeeds", "synthetic note")] {
                #expect(refused.html.contains(#"name="\#(name)" value="\#(value)""#), "\(name) kept")
            }
            #expect(refused.html.contains(#"name="f.daysPerWeek" min="1" max="5" value="9""#), "the refused value too, to correct")
            #expect(refused.html.contains(#"<option value="part-time" selected>"#), "the choice kept")
            let selects = refused.html.matches(of: #/<select id="partner-\d" name="partner"[^>]*>(.*?)</select>/#).map { String($0.1) }
            #expect(selects.count == 3)
            #expect(selects.first?.contains(#"value="\#(world.daycares[2].id.rawValue)" selected"#) == true, "first choice kept")
            #expect(selects.dropFirst().first?.contains(#"value="\#(world.daycares[0].id.rawValue)" selected"#) == true, "second choice kept")
            #expect(selects.last?.contains(" selected") == false, "no third choice")
        }
    }

    @Test("a job seeker who holds the one file allowed is told so before typing, is offered no new application, and a form sent anyway comes back as typed with why")
    func oneFileAllowed() async throws {
        let world = try await EmploiWorld.make(size: 50)
        defer { world.remove() }
        let held = try await world.gate.search(type: "job-seeker", status: nil, criteria: [:], after: nil, limit: 5, try await world.request("seeker")).views
        try #require(held.count == 1, "the sample job seeker holds their file")
        try await world.withPublic { client in
            var seeker = PageClient(client)
            _ = try await seeker.signIn("seeker", World.password)
            let home = try await seeker.get("/web/home?lang=en")
            #expect(home.status == .ok && !home.html.contains(#"id="apply-link""#), "no link to a form the gate would refuse")
            let form = try await seeker.get("/web/apply?lang=en")
            #expect(form.status == .conflict && form.html.contains(#"id="error""#) && form.html.contains("a person may have 1"), "\(form.status)")
            // Sent anyway (a bookmark, an old tab): the form as typed, with why, not a dead end.
            let agency = try #require(form.html.firstMatch(of: #/<option value="([A-Za-z0-9_-]{22})"/#).map { String($0.1) })
            let sent = try await seeker.post("/web/apply", [("csrf", try #require(form.csrf)), ("f.category", "A"), ("f.targetJob", "Cuisinier"), ("partner", agency)])
            #expect(sent.status == .conflict && sent.html.contains(#"id="apply""#) && sent.html.contains("a person may have 1"), "\(sent.status) \(sent.html.firstMatch(of: #/id="detail">([^<]*)/#).map { String($0.1) } ?? "")")
            #expect(sent.html.contains(#"value="Cuisinier""#), "what was typed comes back")
        }
        #expect(try await world.gate.search(type: "job-seeker", status: nil, criteria: [:], after: nil, limit: 5, try await world.request("seeker")).views.count == 1)
    }
}
