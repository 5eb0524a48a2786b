import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// A person's change from the file's page that meets the watch's step-up (pages audit #3): the
/// step-up form carries what was typed, and after the code the change is made with it.
@Suite(.serialized)
struct WebChangeFormsStepUpTests {
    @Test("a person's change that meets a step-up keeps what was typed through the code, then is written")
    func personChangeKeepsTypedThroughStepUp() async throws {
        let world = try await StolenAccountWorld.make(profile: "place05", size: 20, accounts: [("admin", "admin", "operator"), ("security", "security", "operator")])
        defer { world.remove() }
        let secret = try await WebStepUpKeepsFormTests.freshAccount(world, "agent.new", role: "agent", kind: "operator")
        let ids = try await world.store.search(DossierQuery(type: "application", status: "waiting", scope: [.any], terms: [], after: nil, limit: 5))
        let file = try #require(try await world.store.dossiers(ids).first)
        let parent = try #require(file.persons.first { $0.role == "parent" }?.person)
        let version = try #require(try await world.store.persons([parent])[parent]?.version)
        try await Application(router: world.server.publicRouter().0).test(.router) { client in
            var browser = PageClient(client)
            world.clock.advance(30)
            _ = try await browser.signIn("agent.new", World.password, totp: secret, at: world.clock.now)
            world.clock.advance(6 * 60)  // a factor proved over 5 minutes ago: the fresh-account finding asks for it again
            let home = try await browser.get("/web/home?lang=en")
            let action = "/web/dossiers/\(file.id.rawValue)/persons/\(parent.rawValue)"
            let typed = [("purpose", "family-request"), ("version", String(version)), ("p.email", "stepped.up@example.org")]
            let asked = try await browser.post(action, [("csrf", try #require(home.csrf))] + typed)
            #expect(asked.status == .forbidden && asked.html.contains(#"data-key="errStepUp""#), "\(asked.status)")
            #expect(asked.html.contains(#"<form method="post" action="\#(action)" class="stack" id="step-up">"#))
            let carried = try WebStepUpKeepsFormTests.carried(asked.html)
            for pair in typed { #expect(carried.contains { $0 == pair }, "\(pair.0) carried") }
            #expect(try await world.store.persons([parent])[parent]?.version == version, "nothing written before the code")
            world.clock.advance(30)
            let done = try await browser.post(action, carried + [("code", try TOTPSecret(base32: secret).code(at: world.clock.now))])
            #expect(done.status == .seeOther && done.location?.hasSuffix("&done=person") == true, "\(done.status)")
            #expect(try await world.store.persons([parent])[parent]?.version == version + 1, "written after the code")
        }
    }
}
