public import GuichetCore
public import GuichetStore
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

    /// Records made by ``EmploiGenerator/plant(_:into:agencies:)`` or
    /// ``Place05Generator/plant(_:into:daycares:)``, written by ``write(into:vault:)``.
    var pending: [(DossierRecord, [NewPerson])] = []

    public init() {}

    /// Whether retention would archive or erase a decoy within 30 days: planted after an
    /// import, such a decoy would be the only file of that run, and its ledger entry would name
    /// the decoys (an operator's audit: the first daily run erased 26 of 40, and listed them).
    /// How many times a decoy is drawn again at most (a profile whose every state expires
    /// within a month would otherwise never end).
    static let redraws = 200

    static func dueSoon(_ record: DossierRecord, _ retention: Retention, now: Date) -> Bool {
        retention.due(type: record.type, state: record.status, lastChange: record.updatedAt, now: now, margin: 30 * 86_400)
    }

    /// What `make` draws, drawn again while its dossier (`record`) is ``dueSoon(_:_:now:)``.
    static func drawn<T>(_ retention: Retention, now: Date, _ record: (T) -> DossierRecord, _ make: () throws -> T) rethrows -> T {
        var made = try make()
        var tries = 0
        while tries < redraws, dueSoon(record(made), retention, now: now) {
            made = try make()
            tries += 1
        }
        return made
    }

    /// Writes the planted records, their tags first: a crash between the two leaves tags of
    /// no record, never an untagged decoy that a breach scope would count as a person to notify.
    mutating func write(into store: any SyntheticStorage, vault: Vault) async throws {
        try await record(into: store, vault: vault)
        try await store.importBatch(pending, by: nil)
        pending = []
    }

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

extension Place05Generator {
    /// Plants `count` honeytoken applications into an existing registry (one made by `guichet
    /// init` and `guichet import`): families with reserved surnames, asking for late start
    /// dates, each choosing daycare services of its region among `daycares`, as the generator
    /// makes its own. Written in one batch with their keyed tags.
    ///
    /// Their shape follows this generator's registry, not the imported one: the database
    /// shows them with the generator's distributions (docs/DETECTION.md says what that means).
    /// - Precondition: `count` ≥ 1 and `daycares` is not empty.
    public func plant(_ count: Int, into store: any SyntheticStorage, daycares: [Organisation]) async throws -> PlantedHoneytokens {
        precondition(count >= 1 && !daycares.isEmpty, "at least one honeytoken, among daycare services")
        var rng = SplitMix64(seed: seed)
        let now = Date()
        var planted = PlantedHoneytokens()
        while planted.dossiers.count < count {
            let daycare = daycares.randomElement(using: &rng)!  // not empty
            let region = QuebecRegions.all.first { $0.code == daycare.territory } ?? pickRegion(&rng)
            let local = daycares.filter { $0.territory == daycare.territory }
            let family = try makeFamily(region: region, reserved: true, rng: &rng)
            planted.persons += family.parents.map(\.record.id)
            let children = min(count - planted.dossiers.count, Double.random(in: 0..<1, using: &rng) < 0.22 ? 2 : 1)
            for c in 0..<children {
                let child = try makeChild(lastName: family.lastName, region: region, rng: &rng)
                let choices = Array(local.shuffled(using: &rng).prefix(Int.random(in: 1...min(5, local.count), using: &rng)))
                let record = try PlantedHoneytokens.drawn(profile.retention, now: now, { $0 }) {  // as emploi's
                    try makeDossier(child: child.1, parents: family.parents.map(\.record.id), partners: choices.map(\.id),
                                    birth: child.0, region: region, now: now, late: true, rng: &rng)
                }
                planted.pending.append((record, (c == 0 ? family.parents : []) + [child.1]))
                planted.dossiers.append(record.id); planted.persons.append(child.1.record.id)
            }
        }
        try await planted.write(into: store, vault: vault)
        return planted
    }
}
