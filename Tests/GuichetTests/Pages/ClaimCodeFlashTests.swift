import Foundation
import Testing
import GuichetAuth
import GuichetCore
@testable import GuichetServer

/// The claim code held between the claim form's POST and the file's page (pages audit #17).
struct ClaimCodeFlashTests {
    static let delivery = ClaimDelivery.emailed(id: "claim-1", sentTo: "m***@example.org", expiresAt: Date().addingTimeInterval(3_600))

    @Test("a code held for a session and a file is given once, to that session and that file only")
    func givenOnce() {
        let flash = ClaimCodeFlash()
        let (session, file) = (SessionID(), DossierID())
        flash.put(Self.delivery, session: session, dossier: file)
        #expect(flash.take(session: SessionID(), dossier: file) == nil, "another session")
        #expect(flash.take(session: session, dossier: DossierID()) == nil, "another file")
        #expect(flash.take(session: session, dossier: file) == Self.delivery)
        #expect(flash.take(session: session, dossier: file) == nil, "shown once")
    }

    @Test("a code left unseen past its lifetime is not given")
    func expires() {
        let flash = ClaimCodeFlash()
        let (session, file, now) = (SessionID(), DossierID(), Date())
        flash.put(Self.delivery, session: session, dossier: file, now: now)
        #expect(flash.take(session: session, dossier: file, now: now.addingTimeInterval(ClaimCodeFlash.lifetime + 1)) == nil)
    }
}
