public import Foundation
@_spi(GateOnly) import GuichetLedger

extension Gate {
    /// Signs and stores a checkpoint of the access ledger as it is now.
    /// - Returns: the signed note.
    @discardableResult
    public func checkpoint(at: Date) async throws -> String {
        try await journal.checkpoint(at: at)
    }

    /// The number of entries in the access ledger.
    public func ledgerSize() async throws -> Int64 {
        try await journal.head().size
    }

    /// Journals an act of the operator or of the system that reveals no personal field (a
    /// synthetic import, say): no grant, no person, no dossier, nothing returned.
    /// - Throws: when the journal cannot be written.
    public func recordSystemEvent(_ name: String, reason: String, requestID: String) async throws {
        try await journal.recordSystemEvent(name, reason: reason, persons: [], dossiers: [],
                                            context: AccessContext(requestID: requestID, subject: nil, session: nil, source: nil,
                                                                   purpose: nil, at: clock()))
    }
}
