public import GuichetCore
import GuichetStore
public import GuichetMerkle
public import Foundation

/// One access to a citizen's dossiers, as the citizen sees it: when, which role of which
/// organisation, which fields, why; and the entry's bytes with an inclusion proof against a
/// signed checkpoint so that the citizen can check it is in the ledger everyone else sees.
public struct HistoryItem: Sendable, Equatable {
    public let index: Int64
    public let at: Date
    public let action: String
    public let allowed: Bool
    /// The role of the account that acted (nil for the system itself).
    public let role: String?
    public let organisation: OrganisationID?
    public let purpose: String?
    public let fields: [String]
    public let dossiers: [DossierID]
    /// Whether the access was made by the citizen's own account.
    public let byThemself: Bool
    /// The canonical entry (the Merkle leaf's data).
    public let entry: Data
    /// Inclusion proof against the checkpoint; nil for an entry newer than it.
    public let proof: InclusionProof?
}

/// A citizen's access history, or one page of it.
public struct AccessHistory: Sendable, Equatable {
    /// The latest signed checkpoint; nil when none was signed yet.
    public let checkpoint: CheckpointReference?
    /// Entries covered by the checkpoint, with proofs, then newer ones without, oldest first.
    public let items: [HistoryItem]
    /// When more entries follow this page: the index to ask the next page after.
    public let next: Int64?
}

extension LedgerAuditor {
    /// Most entries a history returns.
    public static let maxHistoryEntries = 10_000

    /// Every access that named one of the persons or one of the dossiers, oldest first, with
    /// an inclusion proof of each entry against the latest signed checkpoint. Uses the person
    /// and dossier indexes: its cost follows the answer. The proofs are generated on a reader
    /// thread of the database, in one read transaction.
    /// - Parameters:
    ///   - account: the citizen's own account (to mark their own accesses).
    ///   - after: only entries with a larger index (the `next` of the previous page).
    ///   - limit: most entries, hence most proofs, returned; ``AccessHistory/next`` says
    ///     where the rest starts.
    public func history(persons: [PersonID], dossiers: [DossierID], account: AccountID?, after: Int64? = nil,
                        limit: Int = maxHistoryEntries) async throws -> AccessHistory {
        precondition(limit > 0, "a history page holds at least one entry")
        let checkpoint = try? await checkpointReference()
        let size = try await store.ledgerSize()
        var indexes = try await store.ledgerIndexes(persons: persons, dossiers: dossiers, after: after ?? -1, below: size, limit: limit + 1)
        let next = indexes.count > limit ? indexes[limit - 1] : nil
        indexes = Array(indexes.prefix(limit))
        let entries = try await store.ledgerEntries(indexes)
        // An entry the indexes name and the ledger lacks was deleted: the history says the
        // ledger is damaged rather than show the rest as whole (an incident audit).
        if entries.count != indexes.count {
            let present = Set(entries.map(\.index))
            let missing = indexes.first { !present.contains($0) } ?? -1
            throw LedgerError.corrupt("entry \(missing) is named by the ledger's indexes but missing from the ledger: it was deleted; run 'guichet ledger verify'")
        }
        var proofs: [Int64: InclusionProof] = [:]
        if let checkpoint {
            let proved = entries.map(\.index).filter { $0 < checkpoint.size }
            let generated = try await store.inclusionProofs(proved, size: checkpoint.size)
            for (index, proof) in zip(proved, generated) { proofs[index] = proof }
        }
        var items: [HistoryItem] = []
        items.reserveCapacity(entries.count)
        let asked = Set(dossiers)
        for (index, bytes) in entries {
            guard let e = LedgerEntry.decode(bytes) else { throw LedgerError.corrupt("entry \(index) does not decode") }
            let r = e.row
            items.append(HistoryItem(index: index, at: r.at, action: r.action, allowed: r.allowed, role: r.role, organisation: r.organisation,
                                     // The files of those asked about only: an export's entry names every file it
                                     // holds, other families' too (an incident audit).
                                     purpose: r.purpose, fields: r.fields, dossiers: r.dossiers.filter(asked.contains),
                                     byThemself: account != nil && (r.account == account || Self.claimed(r, by: account)),
                                     entry: bytes, proof: proofs[index]))
        }
        return AccessHistory(checkpoint: checkpoint, items: items, next: next)
    }

    /// Whether the entry is the claim that made `account` (written before the account could
    /// act, so by no account): the citizen made it, and reads "you" (a new user's audit: their
    /// own claim read "the service itself").
    static func claimed(_ r: JournalRow, by account: AccountID?) -> Bool {
        guard let account, r.action == ClaimEntry.action else { return false }
        return ClaimEntry.account(inReason: r.reason) == account
    }
}
