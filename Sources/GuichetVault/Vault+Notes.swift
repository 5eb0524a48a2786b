public import Foundation
import Crypto

extension Vault {
    /// Seals a free-text note that may name people (a break-glass justification, a review
    /// note) under a key derived for notes, bound to `context` (the record it belongs to).
    /// - Throws: ``KeyError`` when the keys are unavailable.
    public func sealNote(_ text: String, context: String) throws -> Data {
        // AES-GCM with a random 96-bit nonce always has a combined representation.
        try AES.GCM.seal(Data(text.utf8), using: try derivedKey(purpose: "notes"), authenticating: Data("note\0\(context)".utf8)).combined!
    }

    /// Opens a note sealed by ``sealNote(_:context:)`` for the same context: the gate's only
    /// (notes may name people; the gate journals who reads them).
    /// - Throws: ``VaultError/integrity`` when it was altered or belongs to another record.
    @_spi(GateOnly) public func openNote(_ sealed: Data, context: String) throws -> String {
        let key = try derivedKey(purpose: "notes")
        do {
            let plain = try AES.GCM.open(try AES.GCM.SealedBox(combined: sealed), using: key,
                                         authenticating: Data("note\0\(context)".utf8))
            return String(decoding: plain, as: UTF8.self)
        } catch { throw VaultError.integrity }
    }
}
