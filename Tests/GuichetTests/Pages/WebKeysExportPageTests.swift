import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMFA
import GuichetStore
import GuichetVault

/// The administrators' keys' status page, in process.
@Suite(.serialized)
struct WebKeysPageTests {
    @Test("an administrator sees the key versions, the data keys under each, the last rotation and the commands; never a key; a removed key file shows at once")
    func keysStatus() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1")
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "admin")
        let counts = try await world.store.dataKeyCounts()
        // Every base64 value of the key file (keys and seeds), to look for on the page.
        func strings(_ j: JSON) -> [String] {
            switch j {
            case .string(let s): return s.count >= 40 ? [s] : []
            case .object(let o): return o.values.flatMap(strings)
            default: return []
            }
        }
        let secrets = strings(try JSONDecoder().decode(JSON.self, from: Data(contentsOf: URL(fileURLWithPath: world.keyFile))))
        #expect(secrets.count >= 4, "the key file's keys, to look for")
        try await world.withAdmin { client in
            var anonymous = PageClient(client)
            let none = try await anonymous.get("/web/admin/keys")
            #expect(none.status == .seeOther && none.location == "/web/sign-in?next=%2Fweb%2Fadmin%2Fkeys")
            var browser = PageClient(client)
            _ = try await browser.signIn("admin", World.password)
            let form = try await browser.get("/web/second-factor")
            _ = try await browser.post("/web/second-factor", [("csrf", try #require(form.csrf)), ("code", try TOTPSecret(base32: secret).code(at: Date().addingTimeInterval(30)))])
            let page = try await browser.get("/web/admin/keys?lang=en")
            #expect(page.status == .ok && page.html.contains(#"id="keys-readable""#) && page.html.contains(#"<dd id="keys-current">1</dd>"#))
            #expect(page.html.contains(#"<td class="data-keys">\#(counts.byVersion[1] ?? -1)</td>"#), "data keys under version 1")
            #expect(page.html.contains("guichet keys rotate --data DATA") && page.html.contains("none recorded in this registry"))
            // The archive key is shown apart (never as an older version to re-wrap).
            let archiveHeld = try world.keys.archiveKEK() != nil
            #expect(page.html.contains(archiveHeld ? #"<dd id="keys-archive">held by this server ("# : #"<dd id="keys-archive">not held by this server"#))
            #expect(!page.html.contains(#"<tr class="key-version"><td>0</td>"#))
            for s in secrets { #expect(!page.html.contains(s) && !page.html.contains(String(s.prefix(12))), "no key material") }
            // A rotation from the command line's function: the page sees the new version at once.
            let registry = try await Registry.open(storage: world.store, ledger: world.ledger, journal: world.journal, profile: world.profile,
                                                   keys: world.keys, keysOrigin: world.keys.origin, options: .testing(watch: nil))
            let (version, rewrapped) = try await registry.rotateKeys(keyFile: world.keyFile)
            #expect(version == 2 && rewrapped == counts.byVersion[1])
            let rotated = try await browser.get("/web/admin/keys")
            #expect(rotated.html.contains(#"<dd id="keys-current">2</dd>"#) && rotated.html.contains("version 2, at"))
            #expect(rotated.html.contains("guichet keys retire --data DATA --version 1"), "version 1 wraps nothing now: it may be retired")
            // The key file removed: the page says the keys cannot be used (as every read would fail).
            let saved = try Data(contentsOf: URL(fileURLWithPath: world.keyFile))
            try FileManager.default.removeItem(atPath: world.keyFile)
            let gone = try await browser.get("/web/admin/keys")
            #expect(gone.status == .ok && gone.html.contains(#"id="keys-problem""#) && gone.html.contains("no key file at"))
            try saved.write(to: URL(fileURLWithPath: world.keyFile))
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: world.keyFile)
        }
    }

    @Test("a security officer is refused the keys' status")
    func officerRefused() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            try await WebIncidentPageTests.officer(&browser, secret: secret)
            let page = try await browser.get("/web/admin/keys")
            #expect(page.status == .forbidden && !page.html.contains("keys-current"))
        }
    }
}

/// The citizens' readable export, in process: the same gate call as the API, journalled.
@Suite(.serialized)
struct WebExportPageTests {
    @Test("a parent reads their data on a page and downloads the same as JSON; every read is journalled; without a session or as staff, nothing")
    func export() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        _ = try await world.application(by: "parent1", childName: "Emma")
        _ = try await world.gate.read(try await world.application(by: "parent1", childName: "Zoé").id, try await world.request("daycare1"))
        try await world.gate.checkpoint(at: Date())
        let parent = try #require(try await world.store.account(username: "parent1")).id
        try await world.withPublic { client in
            var anonymous = PageClient(client)
            let none = try await anonymous.get("/web/export")
            #expect(none.status == .seeOther && none.location == "/web/sign-in?next=%2Fweb%2Fexport" && !none.html.contains("Emma"))
            let noJSON = try await anonymous.get("/web/export.json")
            #expect(noJSON.status == .seeOther && !noJSON.html.contains("Emma"))
            var staff = PageClient(client)
            _ = try await staff.signIn("agent", World.password)
            let refused = try await staff.get("/web/export")
            #expect(refused.status == .forbidden && !refused.html.contains("Emma"))
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.html.contains(#"href="/web/export""#), "linked from the citizens' menu")
            let before = try await world.ledger.journal(account: parent).count
            let page = try await browser.get("/web/export")
            #expect(page.status == .ok && page.html.contains("Emma") && page.html.contains("Zoé") && page.html.contains("parent1@example.org"))
            #expect(page.html.contains("first name") && page.html.contains("desired start date"), "fields with labels")
            #expect(page.html.contains(#"href="/web/export.json""#))
            // The history: the daycare's read, as role and organisation, never an account name.
            #expect(page.html.contains("CPE 1") && !page.html.contains("daycare1"))
            let reads = try await world.ledger.journal(account: parent).count - before
            #expect(reads >= 3, "two files and the person read through the gate: \(reads) entries")
            let json = try await browser.get("/web/export.json")
            #expect(json.status == .ok && json.headers[.contentDisposition]?.hasPrefix("attachment") == true)
            let body = try #require(try? JSONDecoder().decode(JSON.self, from: Data(json.html.utf8)))
            #expect(body.object?["dossiers"]?.array?.count == 2 && body.object?["accessHistory"]?.object?["accesses"]?.array?.isEmpty == false)
            #expect(try await world.ledger.journal(account: parent).count - before >= 2 * reads, "the download is journalled too")
        }
    }

    @Test("the service that offered a place is named on the export page, never shown as its organisation id")
    func offeredByIsNamed() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1", daycares: [0])
        _ = try await world.gate.transition(app.id, "offer", try await world.request("daycare1"))
        let ids = try await world.store.organisations(kind: nil).map(\.id.rawValue)
        try await world.withPublic { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("parent1", World.password)
            for language in ["fr", "en"] {
                let page = try await browser.get("/web/export?lang=\(language)")
                #expect(page.status == .ok && page.html.contains("<dd>CPE 1</dd>"), "\(language): the offering service by its name")
                #expect(!ids.contains { page.html.contains($0) }, "\(language): no organisation id is shown")
            }
        }
    }
}
