import ArgumentParser
import Foundation
import GuichetDeployment
import GuichetGate

/// `guichet keys`: rotation of the key-encryption key, resumable re-wrapping, retirement
/// (the work is `Registry`'s, `Registry+Keys.swift`).
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rotate, re-wrap and retire key-encryption keys (the data keep working throughout).",
        subcommands: [Status.self, Rotate.self, Rewrap.self, Retire.self])

    struct Options: ParsableArguments {
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(help: "Key file (default DATA/guichet.keys, or GUICHET_KEYS_FILE).") var keys: String?
        @Option(help: "Profile name or path (default: the one in guichet.yaml).") var profile: String?

        /// Opens the registry with its keys; the key file path is needed to change it.
        func open() async throws -> (OpenedRegistry, String) {
            let deployment = Deployment(data)
            guard let path = deployment.keysSource(keys).path else {
                throw CommandError("key rotation edits a key file; with GUICHET_KEYS, rotate in your secret store and pass the new keys as a file with --keys")
            }
            return (try await deployment.openMaintenance(keys: path, profile: profile).registry, path)
        }
    }

    static func progress(_ done: Int, _ total: Int, _ version: Int) {
        note("  re-wrapped \(done) / \(total) data keys under version \(version)")
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Key versions held, and how many data keys each wraps.")
        @OptionGroup var options: Options
        func run() async throws {
            let (registry, path) = try await options.open()
            let status = try await registry.keyStatus(keyFile: path)
            for v in status.versions {
                say("version \(v)\(v == status.current ? " (current)" : ""): \(status.dataKeys[v] ?? 0) data keys")
            }
            say(status.archiveKey ? "archive key: held, \(status.dataKeys[0] ?? 0) data keys (archived dossiers)"
                                  : "archive key: none (archived dossiers stay under the ordinary key; 'guichet keys rotate' adds one)")
            say("shredded subjects: \(status.shredded)")
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a new key-encryption key version and re-wrap every data key under it, online.",
            discussion: "Interrupted? Run 'guichet keys rewrap' to finish. The old version stays until 'guichet keys retire'.")
        @OptionGroup var options: Options
        func run() async throws {
            let (registry, path) = try await options.open()
            let (version, n) = try await registry.rotateKeys(keyFile: path, progress: Keys.progress)
            say("rotated to version \(version) in \(path): \(n) data keys re-wrapped. Retire old versions with 'guichet keys retire --version N' "
                + "once no backup you keep was taken before this rotation (such a backup needs the old version), or keep a copy of this key file with those backups' keys.")
            // An operator's audit: the other server refused 93 of 408 reads until the file came.
            if registry.sharedStorage {
                say("Copy \(path) to every other server of this database now: until it has version \(version), a server refuses with 503 every read of data re-wrapped under it, and its /readyz says so.")
            }
        }
    }

    struct Rewrap: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Finish an interrupted rotation: re-wrap the data keys still under older versions.")
        @OptionGroup var options: Options
        func run() async throws {
            let (registry, path) = try await options.open()
            let n = try await registry.rewrapDataKeys(keyFile: path, progress: Keys.progress)
            say("\(n) data keys re-wrapped; none is left under an older version.")
        }
    }

    struct Retire: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an old key-encryption key version from the key file, once no data key uses it.",
            discussion: "Backups taken before the rotation away from that version still need it: they restore only with a copy of the key file kept from before the retirement.")
        @OptionGroup var options: Options
        @Option(help: "The version to retire.") var version: Int
        func run() async throws {
            let (registry, path) = try await options.open()
            try await registry.retireKey(version: version, keyFile: path)
            say("version \(version) retired from \(path). Backups taken before the rotation away from version \(version) restore only with a copy of the key file kept from before this retirement.")
        }
    }
}
