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

/// The `guichet` binary as a child process, without blocking a thread of the Swift
/// concurrency pool: its output goes to files, its end is awaited through its termination
/// handler.
final class GuichetChild {
    let process: Process
    let out: URL, err: URL
    let ended: AsyncStream<Int32>

    init(_ args: [String]) throws {
        process = Process()
        process.executableURL = CommandLineTests.binary
        process.arguments = args
        process.currentDirectoryURL = Repo.root
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-child-\(UUID().uuidString)")
        out = base.appendingPathExtension("out"); err = base.appendingPathExtension("err")
        FileManager.default.createFile(atPath: out.path, contents: nil)
        FileManager.default.createFile(atPath: err.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        let (stream, continuation) = AsyncStream<Int32>.makeStream()
        ended = stream
        process.terminationHandler = { p in continuation.yield(p.terminationStatus); continuation.finish() }
        try process.run()
    }

    /// Waits for the end; returns the status and what was written.
    func wait() async throws -> CommandLineTests.Run {
        var status: Int32 = -1
        for await s in ended { status = s }
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        return CommandLineTests.Run(status: status, stdout: try String(contentsOf: out, encoding: .utf8),
                                    stderr: try String(contentsOf: err, encoding: .utf8))
    }

    /// Kills the child at once (SIGKILL: no clean-up, like a power cut for the database).
    func kill() { Foundation.kill(process.processIdentifier, SIGKILL) }

    static func run(_ args: [String]) async throws -> CommandLineTests.Run { try await GuichetChild(args).wait() }
}
