import Foundation
import GRDB
import GuichetCore
import GuichetStore
import GuichetSynth

/// A registry made by the real `guichet init`, with the organisations a sample names, for
/// the tests of `guichet import`.
struct ImportFolder {
    let root: URL
    let profile: String
    var data: String { root.appendingPathComponent("data").path }
    var database: String { data + "/guichet.sqlite" }
    var mapping: String { Repo.root.appendingPathComponent("profiles/\(profile)/import-mapping.yaml").path }

    static func make(_ profile: String) async throws -> ImportFolder {
        let folder = ImportFolder(root: try temporaryFolder(), profile: profile)
        let created = try await GuichetChild.run(["init", "--data", folder.data, "--profile", profile])
        guard created.status == 0 else { throw TestFailure("guichet init failed: \(created.stderr)") }
        let store = try Store(path: folder.database)
        var organisations: [Organisation] = []
        for (kind, names) in ImportSample.organisations(profile).sorted(by: { $0.key < $1.key }) {
            organisations += names.map { Organisation(id: OrganisationID(), kind: kind, name: $0, territory: "T1", capacity: nil) }
        }
        try await store.insert(organisations: organisations, at: Date())
        return folder
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// A CSV sample of this profile; returns its path and the persons it holds.
    func sample(lines: Int, name: String = "export.csv", seed: UInt64 = 16) throws -> (path: String, persons: Int) {
        let path = root.appendingPathComponent(name).path
        let persons = try ImportSample.write(profile: profile, lines: lines, to: path, seed: seed)
        return (path, persons)
    }

    /// Row counts read directly from the database (read-only, while a child may be writing).
    func counts() throws -> (dossiers: Int, persons: Int, ledger: Int, runs: [Row]) {
        var config = Configuration()
        config.readonly = true
        let db = try DatabaseQueue(path: database, configuration: config)
        return try db.read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM dossier") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM person") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ledger_entry") ?? 0,
             try Row.fetchAll(db, sql: "SELECT * FROM import_run ORDER BY started_at"))
        }
    }

    func importing(_ file: String, _ extra: [String] = []) -> [String] {
        ["import", "--data", data, "--profile", profile, "--mapping", mapping] + extra + [file]
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// The `guichet` binary as a child process started through ``Child`` (a time limit, output
/// to files, its end awaited without holding a thread of the concurrency pool), which a test
/// may kill mid-way.
final class GuichetChild {
    let started: Child.Started
    static let timeout: Double = 600

    init(_ args: [String]) throws {
        started = try Child.Started(CommandLineTests.binary.path, args, directory: Repo.root, environment: nil, input: nil)
    }

    /// Waits for the end (at most ``timeout`` seconds, then kills it and throws); returns the status and what was written.
    func wait() async throws -> CommandLineTests.Run {
        defer { started.cleanUp() }
        let killer = DispatchWorkItem { [started] in started.kill(timedOut: true) }
        DispatchQueue.global().asyncAfter(deadline: .now() + Self.timeout, execute: killer)
        defer { killer.cancel() }
        let status = await started.exit()
        let r = try started.result(status: status, timeout: Self.timeout)
        return CommandLineTests.Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
    }

    /// Kills the child at once (SIGKILL: no clean-up, like a power cut for the database).
    func kill() { started.spawned.signal(SIGKILL) }

    static func run(_ args: [String]) async throws -> CommandLineTests.Run { try await CommandLineTests.run(args) }
}
