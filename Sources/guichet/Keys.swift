import ArgumentParser
import Foundation
import GuichetServer
import GuichetStore
import GuichetVault

/// `guichet keys`: rotation of the key-encryption key, resumable re-wrapping, retirement.
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate, re-wrap and retire key-encryption keys (the data keep working throughout).",
        subcommands: [Status.self, Rotate.self, Rewrap.self, Retire.self])

    struct Options: ParsableArguments {
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(help: "Key file (default DATA/guichet.keys, or GUICHET_KEYS_FILE).") var keys: String?
        @Option(help: "Profile name or path (default: the one in guichet.yaml).") var profile: String?

        /// Opens the registry with its keys; the key file path is needed to change it.
        func open() async throws -> (GuichetServer, Vault, String) {
            let deployment = Deployment(data)
            guard deployment.exists else { throw CommandError("no registry in \(deployment.folder.path)") }
            guard let path = deployment.keysSource(keys).path else {
                throw CommandError("key rotation edits a key file; with GUICHET_KEYS, rotate in your secret store and pass the new keys as a file with --keys")
            }
            let settings = try deployment.readSettings()
            guard let name = profile ?? settings.profile else { throw CommandError("no profile: pass --profile") }
            let provider = try deployment.keys(path)
            let server = try await deployment.open(profilePath: try Deployment.resolveProfile(name), keys: provider, origin: provider.origin)
            return (server, Vault(profile: server.profile, keys: provider), path)
        }
    }

    /// Re-wraps every data key not under the current KEK, in committed batches, with progress.
    static func rewrapAll(_ store: Store, _ vault: Vault, keyFile: String, limit: Int? = nil) async throws -> Int {
        let current = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: keyFile)), origin: keyFile).current
        let counts = try await store.dataKeyCounts().byVersion
        let total = counts.filter { $0.key != current }.values.reduce(0, +)
        var done = 0
        while limit.map({ done < $0 }) ?? true {
            let n = try await store.rewrapBatch(to: current, limit: min(2_000, limit.map { $0 - done } ?? 2_000)) { subject, key in
                try vault.rewrap(key, subject: subject)
            }
            if n == 0 { break }
            done += n
            note("  re-wrapped \(done) / \(total) data keys under version \(current)")
        }
        return done
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Key versions held, and how many data keys each wraps.")
        @OptionGroup var options: Options
        func run() async throws {
            let (server, _, path) = try await options.open()
            let set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: path)), origin: path)
            let counts = try await server.store.dataKeyCounts()
            for v in set.versions {
                say("version \(v)\(v == set.current ? " (current)" : ""): \(counts.byVersion[v] ?? 0) data keys")
            }
            say("shredded subjects: \(counts.shredded)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new key-encryption key version and re-wrap every data key under it, online.",
            discussion: "Interrupted? Run 'guichet keys rewrap' to finish. The old version stays until 'guichet keys retire'.")
        @OptionGroup var options: Options
        func run() async throws {
            let (server, vault, path) = try await options.open()
            var set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: path)), origin: path)
            let version = set.rotate()
            try set.write(to: path)
            note("new key-encryption key version \(version) written to \(path)")
            let n = try await Keys.rewrapAll(server.store, vault, keyFile: path)
            say("rotated to version \(version): \(n) data keys re-wrapped. Retire old versions with 'guichet keys retire --version N'.")
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Finish an interrupted rotation: re-wrap the data keys still under older versions.")
        @OptionGroup var options: Options
        func run() async throws {
            let (server, vault, path) = try await options.open()
            let n = try await Keys.rewrapAll(server.store, vault, keyFile: path)
            say("\(n) data keys re-wrapped; none is left under an older version.")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an old key-encryption key version from the key file, once no data key uses it.")
        @OptionGroup var options: Options
        @Option(help: "The version to retire.") var version: Int
        func run() async throws {
            let (server, _, path) = try await options.open()
            var set = try KeySet.parse(Data(contentsOf: URL(fileURLWithPath: path)), origin: path)
            guard set.versions.contains(version) else { throw CommandError("version \(version) is not in \(path)") }
            guard version != set.current else { throw CommandError("version \(version) is the current one; rotate first") }
            let left = try await server.store.dataKeyCounts().byVersion[version] ?? 0
            guard left == 0 else { throw CommandError("\(left) data keys are still wrapped by version \(version): run 'guichet keys rewrap' first; nothing was changed") }
            set.retire(version)
            try set.write(to: path)
            say("version \(version) retired from \(path)")
        }
    }
}
