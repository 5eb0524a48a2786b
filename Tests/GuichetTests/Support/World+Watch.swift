import Foundation
import GuichetCore
import GuichetGate
import GuichetServer
import GuichetStore
import GuichetSynth
import GuichetVault

extension World {
    /// The same registry served by a gate that runs the watch (new sessions, same accounts),
    /// opened again through ``Registry/open(store:profile:keys:keysOrigin:options:)``.
    /// The world's accounts are made as by the command line (no creator), so the lifecycle
    /// detector does not treat their first access as that of a fresh account.
    func watched(_ settings: WatchSettings? = nil) async throws -> World {
        let gate = try await reopened(.testing(watch: settings ?? profile.watch)).gate
        return World(folder: folder, profile: profile, store: store, ledger: ledger, journal: journal, auth: auth, gate: gate,
                     server: GuichetServer(gate: gate, auth: auth, store: store), operatorOrg: operatorOrg, daycares: daycares, keys: keys)
    }

    /// The same registry opened again (a restart, or a second gate and authenticator over the
    /// same database) through ``Registry/open(store:profile:keys:keysOrigin:options:)``.
    func reopened(_ options: RegistryOptions = .testing(watch: nil)) async throws -> OpenedRegistry {
        try await Registry.open(storage: store, ledger: ledger, journal: journal, profile: profile, keys: keys, keysOrigin: keys.origin, options: options)
    }

    /// The same registry on another clock (the gate's and the authenticator's), without the watch.
    func reopened(clock: @escaping @Sendable () -> Date) async throws -> OpenedRegistry {
        try await reopened(.testing(watch: nil, clock: clock))
    }

    /// Generates a few synthetic applications and plants honeytokens among them.
    func plant(size: Int = 20, honeytokens: Int = 3) async throws -> Place05Generator.Honeytokens {
        let generator = Place05Generator(profile: profile, keys: keys, size: size, today: LocalDate(year: 2026, month: 11, day: 23)!)
        return try await generator.generate(into: store, honeytokens: honeytokens).honeytokens
    }
}
