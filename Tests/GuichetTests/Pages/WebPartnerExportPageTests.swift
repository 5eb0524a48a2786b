import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import GuichetCore
import GuichetGate
import GuichetMFA
import GuichetStore
@testable import GuichetServer

/// Partner exports from the pages (C11): a partner adviser makes one with a pasted key and gets
/// the file at once; a security officer traces the file by its rows to the account.
@Suite(.serialized)
struct WebPartnerExportPageTests {
    /// Enrols an app for an account at the world's clock; its secret.
    static func enrol(_ world: EmploiWorld, _ username: String) async throws -> String {
        let session = try await world.auth.signIn(username: username, password: EmploiWorld.password)
        let (secret, _) = try await world.auth.beginTOTP(session.principal, activationCode: try await world.activationCode(username))
        _ = try await world.auth.verifyTOTP(session.principal, code: try TOTPSecret(base32: secret).code(at: world.clock.now))
        try await world.auth.signOut(token: session.token)
        return secret
    }

    @Test("a partner adviser exports its caseload from the page with a pasted key; the file opens with that key; a security officer traces it to the account by its rows; both languages")
    func exportAndTrace() async throws {
        let world = try await EmploiWorld.make()
        defer { world.remove() }
        let caseload = try await world.store.dossiers(world.summary.partnerCaseloads[0]).filter { $0.status != "deregistered" }
        try #require(!caseload.isEmpty, "the generator gives partner1 a caseload")
        let partnerSecret = try await Self.enrol(world, "partner1")
        let adviserSecret = try await Self.enrol(world, "adviser1")
        let securitySecret = try await Self.enrol(world, "security")
        let adminSecret = try await Self.enrol(world, "admin")
        world.clock.advance(30)
        let recipient = Curve25519.KeyAgreement.PrivateKey()
        let key = recipient.publicKey.rawRepresentation.base64EncodedString()
        let partner1 = try #require(world.accounts["partner1"])
        let rowIDs = CapturedText()
        // The partner as the gate knows it, to list its exports (its app is enrolled above: no second enrolment).
        let partnerPrincipal = try await world.auth.signIn(username: "partner1", password: EmploiWorld.password).principal
        try await world.withPublic { client in
            var partner = PageClient(client)
            _ = try await partner.signIn("partner1", EmploiWorld.password, totp: partnerSecret, at: world.clock.now)
            let home = try await partner.get("/web/home?lang=en")
            #expect(home.html.contains(#"href="/web/exports""#), "the menu links the exports")
            let page = try await partner.get("/web/exports")
            #expect(page.status == .ok && page.html.contains(#"id="partner-export-form""#) && page.html.contains(#"id="no-export""#))
            #expect(page.html.contains("7 days") && page.html.contains(#"name="purpose" value="disability-support""#))
            #expect(!page.html.lowercased().contains("canar"), "the partner is not told of the rows that trace a leak")
            let french = try await partner.get("/web/exports?lang=fr")
            #expect(french.html.contains("Exports de vos dossiers suivis") && french.html.contains("7 jours"))
            _ = try await partner.get("/web/exports?lang=en")
            let csrf = try #require(page.csrf)
            // A key that is not one: the form again as typed, with why; without the CSRF field: refused. No export.
            let bad = try await partner.post("/web/exports", [("csrf", csrf), ("purpose", "disability-support"), ("recipientKey", "AAEC")])
            #expect(bad.status == .badRequest && bad.html.contains(#"id="partner-export-error""#) && bad.html.contains(">AAEC</textarea>"))
            let forged = try await partner.post("/web/exports", [("purpose", "disability-support"), ("recipientKey", key)])
            #expect(forged.status == .forbidden)
            #expect(try await world.gate.exports(of: partnerPrincipal).isEmpty, "no export made")
            // The key pasted over two lines, as a textarea may wrap it.
            let wrapped = String(key.prefix(20)) + "\r\n" + String(key.dropFirst(20))
            let made = try await partner.post("/web/exports", [("csrf", csrf), ("purpose", "disability-support"), ("recipientKey", wrapped)])
            #expect(made.status == .created && made.headers[.contentDisposition]?.hasPrefix("attachment;") == true)
            #expect(made.headers[.cacheControl] == "no-store")
            let rows = try PartnerExportFile.open(Data(made.html.utf8), privateKey: recipient, at: world.clock.now)
            let ids = Set(caseload.map(\.id.rawValue))
            #expect(rows.filter { ids.contains($0["id"]?.string ?? "") }.count == caseload.count && rows.count == caseload.count + 3)
            rowIDs.value = rows.compactMap { $0["id"]?.string }.shuffled().joined(separator: "\n")
            let listed = try await partner.get("/web/exports")
            let export = try #require(try await world.gate.exports(of: partnerPrincipal).first)
            #expect(listed.html.contains(export.id) && listed.html.contains(#"class="partner-export""#) && !listed.html.contains(#"id="no-export""#))
            // A role without an export rule: no link, 403, nothing made.
            var adviser = PageClient(client)
            _ = try await adviser.signIn("adviser1", EmploiWorld.password, totp: adviserSecret, at: world.clock.now)
            let adviserHome = try await adviser.get("/web/home")
            #expect(!adviserHome.html.contains(#"href="/web/exports""#))
            #expect(try await adviser.get("/web/exports").status == .forbidden)
            let refused = try await adviser.post("/web/exports", [("csrf", try #require(adviserHome.csrf)), ("purpose", "support"), ("recipientKey", key)])
            #expect(refused.status == .forbidden && !refused.html.contains("ciphertext"))
        }
        try await world.withAdmin { client in
            var officer = PageClient(client)
            _ = try await officer.signIn("security", EmploiWorld.password, totp: securitySecret, at: world.clock.now)
            let home = try await officer.get("/web/home?lang=en")
            #expect(home.html.contains(#"href="/web/security/export-leaks""#))
            let page = try await officer.get("/web/security/export-leaks")
            #expect(page.status == .ok && page.html.contains(#"id="leaks-form""#))
            let csrf = try #require(page.csrf)
            let empty = try await officer.post("/web/security/export-leaks", [("csrf", csrf), ("rows", " \n ")])
            #expect(empty.status == .badRequest && empty.html.contains(#"id="leaks-error""#))
            let none = try await officer.post("/web/security/export-leaks", [("csrf", csrf), ("rows", DossierID().rawValue)])
            #expect(none.status == .ok && none.html.contains(#"id="no-leak-match""#))
            let traced = try await officer.post("/web/security/export-leaks", [("csrf", csrf), ("rows", rowIDs.value)])
            let export = try #require(try await world.gate.identifyLeak(rowIDs: rowIDs.value.split(separator: "\n").map(String.init)).first)
            #expect(export.account == partner1)
            #expect(traced.status == .ok && traced.html.contains(#"class="leak-export""#) && traced.html.contains(export.id) && traced.html.contains(">partner1<"))
            let french = try await officer.post("/web/security/export-leaks?lang=fr", [("csrf", csrf), ("rows", rowIDs.value)])
            #expect(french.html.contains("Exports d") && french.html.contains(">partner1<"))
            // An administrator traces nothing.
            var admin = PageClient(client)
            _ = try await admin.signIn("admin", EmploiWorld.password, totp: adminSecret, at: world.clock.now)
            let adminHome = try await admin.get("/web/home")
            #expect(try await admin.get("/web/security/export-leaks").status == .forbidden)
            let refused = try await admin.post("/web/security/export-leaks", [("csrf", try #require(adminHome.csrf)), ("rows", rowIDs.value)])
            #expect(refused.status == .forbidden && !refused.html.contains("partner1<"))
        }
    }
}
