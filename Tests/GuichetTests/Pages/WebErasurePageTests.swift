import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// An erasure request (GDPR art. 17) carried out from the admin listener's page by an erasure
/// officer, with its receipt; every refusal says why and erases nothing.
@Suite(.serialized)
struct WebErasurePageTests {
    /// Enrols an app for an account at the world's clock; its secret.
    static func enrol(_ world: World, _ clock: ManualClock, _ username: String) async throws -> String {
        let session = try await world.auth.signIn(username: username, password: World.password)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: try await world.activationCode(username))
        _ = try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: clock.now))
        try await world.auth.signOut(token: session.token)
        return secret
    }

    @Test("an erasure officer erases a person from the page, box ticked, with a fresh code: the gate no longer reads them, the receipt shows (no value), in both languages")
    func erase() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1", childName: "Zoé")
        let child = try RetentionRunTests.child(app)
        let agent = try await world.request("agent", purpose: "family-request")
        #expect(try await world.gate.readPerson(child, agent).fields["firstName"] != nil)
        let secret = try await WebPagesBrowserTests.enrolTOTP(world, "security")
        try await world.withAdmin { client in
            var browser = PageClient(client)
            _ = try await browser.signIn("security", World.password, totp: secret)
            let home = try await browser.get("/web/home?lang=en")
            #expect(home.status == .ok && home.html.contains(#"href="/web/security/erasures""#), "the security home links the page")
            let page = try await browser.get("/web/security/erasures")
            #expect(page.status == .ok && page.html.contains(#"id="erasure-form""#) && page.html.contains(#"name="confirm" value="yes""#))
            let csrf = try #require(page.csrf)
            let size = try await world.gate.ledgerSize()
            // Without the box ticked: the form again as typed, with why; nothing erased.
            let unticked = try await browser.post("/web/security/erasures", [("csrf", csrf), ("person", child.rawValue), ("reference", "REQ-2027-1")])
            #expect(unticked.status == .badRequest && unticked.html.contains(#"id="erasure-error""#) && unticked.html.contains("Tick the box"))
            #expect(unticked.html.contains(#"value="\#(child.rawValue)""#) && unticked.html.contains(#"value="REQ-2027-1""#), "as typed")
            let french = try await browser.post("/web/security/erasures?lang=fr", [("csrf", csrf), ("person", child.rawValue), ("reference", "REQ-2027-1")])
            #expect(french.status == .badRequest && french.html.contains("Cochez la case") && french.html.contains("été effacé"))
            _ = try await browser.get("/web/security/erasures?lang=en")
            // A reference that could hold a name, a person number that is none, an unknown person; without the CSRF field.
            let bad = try await browser.post("/web/security/erasures", [("csrf", csrf), ("person", child.rawValue), ("reference", "Zoé T"), ("confirm", "yes")])
            #expect(bad.status == .badRequest && bad.html.contains("The reference must be") && bad.html.contains(#"value="Zoé T""#))
            let notNumber = try await browser.post("/web/security/erasures", [("csrf", csrf), ("person", "Tremblay"), ("reference", "REQ-2027-1"), ("confirm", "yes")])
            #expect(notNumber.status == .badRequest && notNumber.html.contains("not a person number"))
            let unknown = try await browser.post("/web/security/erasures", [("csrf", csrf), ("person", PersonID().rawValue), ("reference", "REQ-2027-1"), ("confirm", "yes")])
            #expect(unknown.status == .notFound && unknown.html.contains("No person has this number"))
            let forged = try await browser.post("/web/security/erasures", [("person", child.rawValue), ("reference", "REQ-2027-1"), ("confirm", "yes")])
            #expect(forged.status == .forbidden)
            let live = try await world.store.hasLiveKey(child.rawValue), sizeAfter = try await world.gate.ledgerSize()
            #expect(live && sizeAfter == size, "nothing erased, nothing journalled")

            let done = try await browser.post("/web/security/erasures", [("csrf", csrf), ("person", child.rawValue), ("reference", "REQ-2027-1"), ("confirm", "yes")])
            let location = try #require(done.location)
            #expect(done.status == .seeOther && location.hasPrefix("/web/security/erasures?receipt=") && location.hasSuffix("&done=erasure"))
            // The person can no longer be read through the gate; the file stays (the parent is not erased).
            #expect(try await !world.store.hasLiveKey(child.rawValue))
            await #expect(throws: GuichetError.notFound) { _ = try await world.gate.readPerson(child, agent) }
            let view = try await world.gate.read(app.id, agent)
            #expect(RetentionRunTests.firstName(view, "child") == nil && RetentionRunTests.firstName(view, "parent") != nil)
            let id = String(location.dropFirst("/web/security/erasures?receipt=".count).prefix { $0 != "&" })
            let receipt = try #require(try await world.gate.erasureReceipt(id))
            #expect(receipt.person == child && receipt.reference == "REQ-2027-1")
            // The receipt: its number, the person's number, the fields by label, the file kept; no value.
            let shown = try await browser.get(location)
            #expect(shown.status == .ok && shown.html.contains(#"id="done""#) && shown.html.contains(#"<code id="receipt-id">\#(id)</code>"#))
            #expect(shown.html.contains(child.rawValue) && shown.html.contains(#"<dd id="receipt-reference">REQ-2027-1</dd>"#))
            #expect(shown.html.contains(app.id.rawValue) && shown.html.contains(#"<dd id="receipt-ledger">\#(receipt.ledgerIndex)</dd>"#))
            let fields = try #require(shown.html.firstMatch(of: #/<dd id="receipt-fields">([^<]*)</dd>/#)).1
            #expect(!fields.isEmpty && !fields.contains("firstName"), "fields by label: \(fields)")
            #expect(shown.html.contains(#"id="receipt-kept""#), "the child's birth date kept for the ministry's audit")
            for value in ["Zoé", "Tremblay", "TREE25020399", "2025-02-03"] { #expect(!shown.html.contains(value), "no personal value: \(value)") }
            // The verifiable receipt, as the API gives it, downloaded from the page's link.
            #expect(shown.html.contains(#"href="/web/security/erasure-receipt.json?receipt=\#(id)""#))
            let download = try await browser.get("/web/security/erasure-receipt.json?receipt=\(id)")
            #expect(download.status == .ok && download.headers[.contentDisposition]?.contains("erasure-receipt-") == true)
            let json = try #require(try? JSONDecoder().decode(JSON.self, from: Data(download.html.utf8)))
            #expect(json.object?["request"]?.string == id && json.object?["person"]?.string == child.rawValue)
            #expect(json.object?["reference"]?.string == "REQ-2027-1")
            for value in ["Zoé", "Tremblay", "TREE25020399", "2025-02-03"] { #expect(!download.html.contains(value), "no personal value: \(value)") }
            #expect(try await browser.get("/web/security/erasure-receipt.json?receipt=no-such-receipt").status == .notFound)
            let inFrench = try await browser.get("/web/security/erasures?receipt=\(id)&lang=fr")
            #expect(inFrench.html.contains("effacement</h2>"))
            #expect(inFrench.html.contains("Effacé le") && inFrench.html.contains(id))
            // Already erased: said plainly, nothing more happens.
            let size2 = try await world.gate.ledgerSize()
            let again = try await browser.post("/web/security/erasures?lang=en", [("csrf", csrf), ("person", child.rawValue), ("reference", "REQ-2027-2"), ("confirm", "yes")])
            let size3 = try await world.gate.ledgerSize()
            #expect(again.status == .notFound && again.html.contains("already erased") && size3 == size2)
            let missing = try await browser.get("/web/security/erasures?receipt=no-such-receipt")
            #expect(missing.status == .notFound && missing.html.contains(#"id="receipt-missing""#))
        }
    }

    @Test("a role that may not erase gets 403 and no link; an officer without a second factor, or with a stale one, is asked for a code (the step-up form carries what was typed); nothing is erased")
    func refusals() async throws {
        let clock = ManualClock()
        let world = try await World.make(clock: clock.function)
        defer { world.remove() }
        _ = try await world.registerParent("parent1")
        let app = try await world.application(by: "parent1")
        let child = try RetentionRunTests.child(app)
        let adminSecret = try await Self.enrol(world, clock, "admin")
        let securitySecret = try await Self.enrol(world, clock, "security")
        clock.advance(30)
        try await world.withAdmin { client in
            var admin = PageClient(client)
            _ = try await admin.signIn("admin", World.password, totp: adminSecret, at: clock.now)
            let home = try await admin.get("/web/home?lang=en")
            #expect(!home.html.contains("/web/security/erasures"))
            let page = try await admin.get("/web/security/erasures")
            #expect(page.status == .forbidden && !page.html.contains(#"id="erasure-form""#))
            let posted = try await admin.post("/web/security/erasures", [("csrf", try #require(home.csrf)), ("person", child.rawValue),
                                                                         ("reference", "REQ-2027-1"), ("confirm", "yes")])
            #expect(posted.status == .forbidden && posted.html.contains("may not record erasure"))
            // The password alone: asked for the second factor, no form.
            var passwordOnly = PageClient(client)
            _ = try await passwordOnly.signIn("security", World.password)
            let unverified = try await passwordOnly.get("/web/security/erasures")
            #expect(unverified.status == .forbidden && unverified.html.contains(#"id="verify-again""#) && !unverified.html.contains(#"id="erasure-form""#))
            // A code verified six minutes ago: the page shows, the erasure asks for a new code.
            clock.advance(30)
            var officer = PageClient(client)
            _ = try await officer.signIn("security", World.password, totp: securitySecret, at: clock.now)
            clock.advance(6 * 60)
            let form = try await officer.get("/web/security/erasures")
            #expect(form.status == .ok)
            let stale = try await officer.post("/web/security/erasures", [("csrf", try #require(form.csrf)), ("person", child.rawValue),
                                                                          ("reference", "REQ-2027-1"), ("confirm", "yes")])
            #expect(stale.status == .forbidden && stale.html.contains(#"action="/web/security/erasures" class="stack" id="step-up""#) && stale.html.contains(#"name="code""#),
                    "a new code asked for on the spot")
            let carried = try WebStepUpKeepsFormTests.carried(stale.html)
            for pair in [("person", child.rawValue), ("reference", "REQ-2027-1"), ("confirm", "yes")] {
                #expect(carried.contains { $0 == pair }, "\(pair.0) carried through the step-up")
            }
            let wrong = try await officer.post("/web/security/erasures", carried + [("code", "000000")])
            #expect(wrong.status == .forbidden && wrong.html.contains(#"id="code-wrong""#), "a wrong code erases nothing")
        }
        #expect(try await world.store.hasLiveKey(child.rawValue), "nothing erased")
    }
}
