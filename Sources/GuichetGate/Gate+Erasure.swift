public import GuichetCore
@_spi(GateOnly) import GuichetLedger
import GuichetStore
import Foundation

extension Gate {
    /// Crypto-shreds a person: destroys their data key, so that every field and every kept
    /// version of theirs becomes unrecoverable, while the records (ids, links, history) stay.
    /// Journalled as a system event. The governed erasure and retention processes of later
    /// issues call this; there is no HTTP route to it.
    /// - Returns: false when the person had no live key (unknown, or already shredded).
    @discardableResult
    public func shred(person: PersonID, reason: String, requestID: String) async throws -> Bool {
        defer { changes.bump() }
        let context = AccessContext(requestID: requestID, subject: nil, session: nil, source: nil, purpose: nil, at: clock())
        do {
            try await journal.recordSystemEvent("shred", reason: reason, persons: [person], dossiers: [], context: context)
        } catch {
            throw GuichetError.unavailable("the erasure could not be recorded, so nothing was erased")
        }
        let shredded = try await store.shred(person: person, at: context.at)
        await recordErasures([person.rawValue])
        return shredded
    }
}
