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
        let store = try await RegistryFolder(data: folder.data).store().store
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

    /// One import run as the database holds it.
    struct Run: Equatable {
        let dossiers: Int
        let finished: Bool
    }

    /// Row counts read directly from the database, on either back-end.
    func counts() async throws -> (dossiers: Int, persons: Int, ledger: Int, runs: [Run]) {
        let folder = RegistryFolder(data: data)
        var runs = try await folder.strings("SELECT CAST(dossiers AS TEXT) || ',' || CASE WHEN finished_at IS NULL THEN 'running' ELSE 'finished' END FROM import_run ORDER BY started_at")
        // A staging bulk import's progress is in its stage's file (one run at a time).
        if runs.count == 1, runs[0].hasSuffix(",running"), let staged = storedByFirstRunFromFile() { runs[0] = "\(staged),running" }
        return (try await folder.count("dossier"), try await folder.count("person"), try await folder.count("ledger_entry"),
                runs.map { Run(dossiers: Int($0.prefix { $0 != "," }) ?? -1, finished: $0.hasSuffix(",finished")) })
    }

    /// The dossiers of the first import run, read from SQLite's file without the concurrency
    /// pool (a watcher on a thread of its own, while a child may be writing); nil on PostgreSQL.
    func storedByFirstRunFromFile() -> Int? {
        var config = Configuration()
        config.readonly = true
        // A bulk import records where it stands in its stage's file while it stages.
        for (file, table) in [(database + "-import-stage", "import_stage_run"), (database, "import_run")] {
            guard FileManager.default.fileExists(atPath: file), let db = try? DatabaseQueue(path: file, configuration: config),
                  let stored = try? db.read({ try Int.fetchOne($0, sql: "SELECT dossiers FROM \(table) ORDER BY started_at LIMIT 1") }) else { continue }
            return stored
        }
        return nil
    }

    /// The rows of a table's stage in a bulk import's own file (nil when there is none).
    func stageCount(_ table: String) throws -> Int? { try Self.stageCount(database, table) }

    /// The rows of a table's stage in the own file of the bulk import of the registry at
    /// `database` (nil when there is none).
    static func stageCount(_ database: String, _ table: String) throws -> Int? {
        guard FileManager.default.fileExists(atPath: database + "-import-stage") else { return nil }
        return try DatabaseQueue(path: database + "-import-stage").read { db in
            try db.tableExists("import_stage_\(table)") ? Int.fetchOne(db, sql: "SELECT COUNT(*) FROM import_stage_\(table)") : nil
        }
    }

    /// Which of the values the database holds in clear (``TestDatabase/inClear(_:)``).
    func inClear(_ values: [String]) async throws -> [String] { try await RegistryFolder(data: data).database.inClear(values) }

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
