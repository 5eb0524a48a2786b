import Foundation
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetServer

/// A citizen's own pages (pages audit #11, #12): "My files" names whose file each row is, and
/// "My data" writes dates in words, as the file's page does.
@Suite(.serialized)
struct WebCitizenListAndExportPageTests {
    @Test("a parent with two children tells their files apart on 'My files': each row names the child's first name")
    func filesNamedByChild() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1", childName: "Emma")
        _ = try await world.application(by: "parent1", childName: "Léo")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let home = try await browser.get("/web/home?lang=en")
            let rows = home.html.matches(of: #/<tr class="dossier">.*?</tr>/#).map { String($0.0) }
            #expect(rows.count == 2)
            #expect(rows.filter { $0.contains(#"<span class="who">Emma</span>"#) }.count == 1)
            #expect(rows.filter { $0.contains(#"<span class="who">Léo</span>"#) }.count == 1)
            #expect(!home.html.contains("Julie"), "the parent's own name is not the file's")
        }
    }

    @Test("'My data' writes dates in words in the page's language (French and English), not as ISO dates")
    func exportDatesInWords() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let french = try await browser.get("/web/export?lang=fr")
            #expect(french.status == .ok)
            #expect(french.html.contains("<dd>1er septembre 2027</dd>") && french.html.contains("<dd>12 avril 1990</dd>") && french.html.contains("<dd>3 février 2025</dd>"))
            #expect(!french.html.contains("<dd>2027-09-01</dd>") && !french.html.contains("<dd>1990-04-12</dd>"))
            let english = try await browser.get("/web/export?lang=en")
            #expect(english.html.contains("<dd>1 September 2027</dd>") && english.html.contains("<dd>12 April 1990</dd>"))
        }
    }

    @Test("'My data' names the service itself on an entry that no account wrote (the sign-up, a notice mailed), in French and English, never an empty cell")
    func systemEntriesNamed() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            for (language, words) in [("en", "The service itself (an automatic task, or the operator&#39;s console)"),
                                      ("fr", "Le service lui-même (une tâche automatique, ou la console de l&#39;exploitant)")] {
                let page = try await browser.get("/web/export?lang=\(language)")
                #expect(page.html.contains(#"<td class="who">\#(words)</td>"#), "\(language): the person's creation, journalled by the service")
                #expect(!page.html.contains(#"<td class="who"></td>"#), "\(language)")
                #expect(page.html.contains(#"<td class="who">\#(language == "fr" ? "Vous" : "You")</td>"#), "the parent's own application")
            }
        }
    }

    @Test("'My files' says how to exercise one's rights (history, a download, a correction, an erasure) and whom to write to, in French and English; without a contact configured, the office")
    func rightsAndContact() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            for (language, words) in [("en", ["Your rights over your data", "correction", "erased"]), ("fr", ["Vos droits sur vos données", "rectification", "effacement"])] {
                let home = try await browser.get("/web/home?lang=\(language)")
                let start = try #require(home.html.range(of: #"<section id="rights""#), "\(language)")
                let section = String(home.html[start.lowerBound...].prefix { _ in true }.split(separator: "</section>").first ?? "")
                for word in words { #expect(section.contains(word), "\(language): \(word)") }
                #expect(section.contains(#"href="/web/export""#) && section.contains(#"href="/""#))
                #expect(section.contains(#"<span class="contact">security@example.org</span>"#), "the contact the letters name")
            }
        }
        // A deployment without security.txt names the office instead.
        let bare = World(folder: world.folder, profile: world.profile, store: world.store, ledger: world.ledger, journal: world.journal,
                         auth: world.auth, gate: world.gate, server: GuichetServer(gate: world.gate, auth: world.auth, store: world.store),
                         operatorOrg: world.operatorOrg, daycares: world.daycares, keys: world.keys)
        try await bare.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.html.contains(#"<p id="rights-contact">To ask, write to the office that holds your file.</p>"#))
        }
    }
}
