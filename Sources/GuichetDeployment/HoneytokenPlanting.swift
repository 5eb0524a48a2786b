public import GuichetCore
import GuichetGate
import GuichetWatch
public import GuichetServer
import GuichetStore
import GuichetSynth
public import GuichetVault
import Foundation

/// Honeytokens for a registry made by `guichet init` and `guichet import`
/// (`guichet honeytokens plant`): records made by the profile's generator, planted among the
/// registry's organisations, known afterwards only by their keyed tags (docs/DETECTION.md).
public enum HoneytokenPlanting {
    /// The profiles whose generator can plant honeytokens, with the kind of organisation that
    /// holds them.
    public static let holders = ["place05": "daycare", "emploi": "agency", "jeunes": "local-office"]
    /// The type of the records each generator plants.
    static let recordTypes = ["place05": "application", "emploi": "job-seeker", "jeunes": "youth-file"]
    /// One decoy for this many records the registry holds, when no count is given.
    public static let recordsPerDecoy = 50

    /// What to say before planting `planting` decoys, or nil: when that is more than one for every
    /// ``recordsPerDecoy`` records of the type the registry holds (decoys planted before
    /// included), the count that would suit it. Decoys are counted in the published statistics
    /// (a new user's audit: 40 decoys planted after an import of 3 applications made 93 % of the
    /// registry, and of its statistics). The profile's count is planted all the same: the
    /// operator chooses.
    public static func advice(_ server: GuichetServer, planting: Int) async throws -> String? {
        let most = server.profile.watch.honeytokens
        guard most > 0, let type = recordTypes[server.profile.name] else { return nil }
        let records = try await server.store.countByStatus(type: type).values.reduce(0, +)
        let suited = min(most, max(1, records / recordsPerDecoy))
        guard planting > suited, records > 0 else { return nil }
        return "\(planting) decoys among \(records) records: they are counted in the published statistics "
            + "and come after every real file of a waiting list; for a registry this size, --count \(suited) (one for every "
            + "\(recordsPerDecoy) records) keeps them a small share; plant more as it grows"
    }

    /// Plants `count` honeytoken records, journals that it did (the count, never which
    /// records), and returns the count of records planted.
    /// - Throws: ``DeploymentError`` for a profile without a generator, a registry without
    ///   organisations to hold them, or a count outside 1 to 10,000.
    public static func plant(_ server: GuichetServer, keys: any KeyProvider, count: Int, today: LocalDate = .today(),
                             requestID: String) async throws -> Int {
        let profile = server.profile
        guard let kind = holders[profile.name] else {
            throw DeploymentError("the \(profile.name) profile has no honeytoken generator yet (place05, emploi and jeunes have one)")
        }
        guard (1...10_000).contains(count) else { throw DeploymentError("--count is from 1 to 10000") }
        guard let store = server.store as? any SyntheticStorage else { throw DeploymentError("this store cannot hold honeytokens") }
        let holders = try await server.store.organisations(kind: kind)
        guard !holders.isEmpty else {
            throw DeploymentError("no organisation of kind '\(kind)' holds records yet: add them (guichet organisations add) or import first")
        }
        // A seed nobody knows: the decoys' ids must not be derivable from the code.
        let seed = UInt64.random(in: .min ... .max)
        let planted: PlantedHoneytokens
        if profile.name == "emploi" {
            planted = try await EmploiGenerator(profile: profile, keys: keys, size: count, seed: seed, today: today)
                .plant(count, into: store, agencies: holders)
        } else if profile.name == "jeunes" {
            planted = try await JeunesGenerator(profile: profile, keys: keys, size: count, seed: seed, today: today)
                .plant(count, into: store, offices: holders)
        } else {
            planted = try await Place05Generator(profile: profile, keys: keys, size: count, seed: seed, today: today)
                .plant(count, into: store, daycares: holders)
        }
        try await server.gate.watch?.reloadMarks()
        try await server.gate.recordSystemEvent("watch:honeytokens",
                                                reason: "\(planted.dossiers.count) honeytoken records planted; which they are is known only by keyed tags",
                                                requestID: requestID)
        return planted.dossiers.count
    }
}
