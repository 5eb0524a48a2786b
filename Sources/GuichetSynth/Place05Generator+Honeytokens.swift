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
    public typealias Honeytokens = PlantedHoneytokens

    /// Stores the keyed tags of the honeytokens' ids (`watch_honeytoken`).
    func record(_ planted: Honeytokens, into store: any SyntheticStorage) async throws {
        try await planted.record(into: store, vault: vault)
    }
}

/// The honeytoken records a generator planted: ids for tests and the simulator only; the
/// registry itself keeps them as keyed tags (``record(into:vault:)``).
public struct PlantedHoneytokens: Sendable {
    public internal(set) var dossiers: [DossierID] = []
    public internal(set) var persons: [PersonID] = []

    public init() {}

    /// Stores the keyed tags of the honeytokens' ids (`watch_honeytoken`).
    func record(into store: any SyntheticStorage, vault: Vault) async throws {
        guard !dossiers.isEmpty else { return }
        let key = try vault.honeytokenKey()
        let tags = dossiers.map { Honeytoken.tag($0.rawValue, kind: "dossier", key: key) }
            + persons.map { Honeytoken.tag($0.rawValue, kind: "person", key: key) }
        try await store.insertHoneytokenTags(tags)
    }

    /// Where `count` decoys go among `size` real records, in writing order: random places, so
    /// that no row id, timestamp or batch sets them apart.
    static func slots(count: Int, among size: Int, seed: UInt64) -> Set<Int> {
        var rng = SplitMix64(seed: seed ^ 0x686f_6e65_7974_6f6b)
        var slots = Set<Int>()
        while slots.count < count { slots.insert(Int.random(in: 0..<(size + count), using: &rng)) }
        return slots
    }
}
