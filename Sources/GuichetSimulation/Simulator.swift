import Foundation
public import GuichetCore

/// `guichet simulate` as a library: normal work and attackers through the real gate
/// (policy, watch, ledger, vault, SQLite) on a simulated clock from Monday 5 January 2026.
public enum Simulator {
    /// The profiles the simulator knows, by the dossier type that names them.
    public static func supports(_ profile: Profile) -> Bool {
        profile.dossierTypes["application"] != nil || profile.dossierTypes["job-seeker"] != nil
    }

    /// Simulates each profile in turn, each in a registry of its own.
    /// - Throws: when a profile is not one the simulator knows (place05, emploi), or the
    ///   registry cannot be built.
    public static func run(_ profiles: [Profile], options: SimulationOptions,
                           progress: (String) -> Void = { _ in }) async throws -> SimulationReport {
        let wall = Date()
        var out: [ProfileFigures] = []
        for p in profiles { out.append(try await run(p, options: options, progress: progress)) }
        return SimulationReport(options: options, profiles: out, seconds: Date().timeIntervalSince(wall))
    }

    /// Simulates one profile.
    public static func run(_ profile: Profile, options: SimulationOptions, progress: (String) -> Void = { _ in }) async throws -> ProfileFigures {
        guard supports(profile) else { throw GuichetError.invalid("the simulator knows the place05 and emploi profiles only") }
        let wall = Date()
        // On tmpfs where there is one: the figures do not depend on the disk, the run time does.
        let shm = URL(fileURLWithPath: "/dev/shm")
        let base = options.folder ?? (FileManager.default.isWritableFile(atPath: shm.path) ? shm : FileManager.default.temporaryDirectory)
        let folder = base.appendingPathComponent("guichet-simulate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        defer { try? FileManager.default.removeItem(at: folder) }
        let start = Date(timeIntervalSince1970: 1_767_589_200)  // Monday 5 January 2026, 05:00 UTC (00:00 in Québec)
        let sim = try await Simulation(profile: profile, folder: folder, start: start)
        let scenario: Scenario = profile.dossierTypes["application"] != nil
            ? Place05Scenario(sim: sim, options: options, start: start) : EmploiScenario(sim: sim, options: options, start: start)
        progress("\(profile.name): generating \(options.size) files and the accounts ...")
        try await scenario.setUp()
        try await scenario.run(progress: progress)
        var figures = try await scenario.figures(seconds: Date().timeIntervalSince(wall))
        figures.failedSearches = scenario.failedSearches
        return figures
    }
}
