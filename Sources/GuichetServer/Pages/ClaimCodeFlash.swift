import Foundation
import GuichetAuth
import GuichetCore
import Synchronization

/// A claim code just issued on a file's page, held in this server's memory for the one page
/// that shows it: the form's POST answers 303 to the file's page, whose GET takes it once
/// (pages audit #17: reloading the POST's page asked to issue another code). The code never
/// goes in an address or a cookie.
///
/// - Warning: held by this process only: behind several servers without sticky sessions, the
///   GET may reach another one and show no code; the staff member then issues another
///   (docs/PAGES.md says so).
final class ClaimCodeFlash: Sendable {
    struct Entry: Sendable {
        let dossier: DossierID
        let delivery: ClaimDelivery
        let until: Date
    }

    /// How long an unseen code waits for its page.
    static let lifetime: TimeInterval = 120
    /// At most this many held at once (a flood of issues holds no more memory than this).
    static let limit = 1_000

    private let held = Mutex<[SessionID: Entry]>([:])

    /// Holds a delivery for the session's next view of the file (replacing one it held).
    func put(_ delivery: ClaimDelivery, session: SessionID, dossier: DossierID, now: Date = Date()) {
        held.withLock { held in
            held = held.filter { $0.value.until > now }
            if held.count >= Self.limit, held[session] == nil, let oldest = held.min(by: { $0.value.until < $1.value.until }) {
                held[oldest.key] = nil
            }
            held[session] = Entry(dossier: dossier, delivery: delivery, until: now.addingTimeInterval(Self.lifetime))
        }
    }

    /// The delivery held for this session and file, removed: shown once.
    func take(session: SessionID, dossier: DossierID, now: Date = Date()) -> ClaimDelivery? {
        held.withLock { held in
            guard let entry = held[session], entry.dossier == dossier else { return nil }
            held[session] = nil
            return entry.until > now ? entry.delivery : nil
        }
    }
}

extension GuichetServer {
    /// The page's values for a claim code just issued (``ClaimCodeFlash``).
    /// - Parameter relay: whether a mail relay is set (a letter is then for a person without an
    ///   address; without one, for everybody: an everyday users' audit read "no address" of a
    ///   person whose e-mail the file showed).
    static func claimValues(_ delivery: ClaimDelivery, _ l: String, relay: Bool = true) -> [String: Any] {
        var claim: [String: Any]
        switch delivery {
        case .letter(let c): claim = ["letter": true, relay ? "noAddress" : "noRelay": true, "code": c.code, "expires": PageFormat.when(c.expiresAt, l)]
        case .emailed(_, let sentTo, let expiresAt): claim = ["emailed": true, "sentTo": sentTo, "expires": PageFormat.when(expiresAt, l)]
        }
        claim["title"] = true
        return claim
    }
}
