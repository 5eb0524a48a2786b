public import GuichetCore
import GuichetStore
import GuichetVault
import Foundation

extension Place05Generator {
    /// Honeytoken applications planted by ``generate(into:honeytokens:progress:)``: ids for
    /// tests and the simulator only; the registry itself keeps them as keyed tags.
    ///
    /// A honeytoken is made by the same code as a real application, at a random place in the
    /// writing order, so the database shows it with the same shape: the same states, versions,
    /// timestamps, territory, chosen daycare services, linked persons (siblings included) and
    /// sealed fields of the same lengths. What sets it apart is sealed, or kept only as a keyed
    /// tag: its family's surnames are reserved (no real family carries them, so no name search
    /// of real work returns it; each has the lengths of the real surname it stands for), and it
    /// asks for a start date late enough that normal work, which takes a list in start order,
    /// reaches it last. See docs/DETECTION.md.
    public struct Honeytokens: Sendable {
        public internal(set) var dossiers: [DossierID]
        public internal(set) var persons: [PersonID]
    }

    /// Stores the keyed tags of the honeytokens' ids (`watch_honeytoken`).
    func record(_ planted: Honeytokens, into store: any SyntheticStorage) async throws {
        guard !planted.dossiers.isEmpty else { return }
        let key = try vault.honeytokenKey()
        let tags = planted.dossiers.map { Honeytoken.tag($0.rawValue, kind: "dossier", key: key) }
            + planted.persons.map { Honeytoken.tag($0.rawValue, kind: "person", key: key) }
        try await store.insertHoneytokenTags(tags)
    }
}
