import ArgumentParser
import Foundation
import GuichetCore
import GuichetGate
import GuichetImport
import GuichetProfile
import GuichetServer
import GuichetStore
import GuichetDeployment
import Synchronization

/// `guichet import`: an existing registry from a CSV file, through the gate
/// (`docs/OPERATIONS.md`, "Importing an existing registry").
struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import an existing registry from a CSV file: validated line by line, encrypted and journalled, in resumable batches.",
        discussion: """
            Each line creates one dossier of the mapping's type and its persons. Run it again on the same file after an \
            interruption: it resumes after the last stored batch. Bad lines are reported by line and column \
            (never their content); --on-error abort (the default) checks the whole file first and writes \
            nothing if one is bad, --on-error skip imports the others.
            """)

    @Option(help: "Data folder.") var data = "guichet-data"
    @Option(help: "Profile name or path (must be the registry's).") var profile: String?
    @Option(help: "Mapping file (default: import-mapping.yaml in the profile's folder).") var mapping: String?
    @Option(name: .customLong("on-error"), help: "What a bad line does: abort (nothing is written) or skip (the others are imported).")
    var onError: String = "abort"
    @Flag(name: .customLong("dry-run"), help: "Check every line and report; write nothing.") var dryRun = false
    @Flag(help: """
        Bulk load (SQLite): stage the batches without indexes and move them into the registry at the end, a table at \
        a time; nothing of the file is in the registry before. For a first load of a large registry: no server may \
        run on this folder meanwhile. A resumed import keeps the mode it started with.
        """) var bulk = false
    @Flag(name: .customLong("beside-unfinished"), help: """
        Import this file although the import of another file has not ended (refused otherwise: a changed file is \
        another file, and the lines the unfinished import stored would be stored twice).
        """) var besideUnfinished = false
    @Option(name: .customLong("batch-size"), help: "Lines per transaction.") var batchSize = 1_000
    @Option(name: .customLong("progress-every"), help: "Seconds between progress lines when standard error is not a terminal.")
    var progressEvery: Double = 10
    @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?
    @Flag(name: .customLong("write-sample"), help: """
        Import nothing: write a synthetic export of the registry's profile to FILE (fictional values, in the columns \
        of the profile's import-mapping.yaml), and print the organisations its lines name, to try an import first.
        """) var writeSample = false
    @Option(help: "Lines of the sample (--write-sample).") var lines = 1_000
    @Argument(help: "The CSV file (RFC 4180, UTF-8; a header line naming the columns).") var file: String

    func validate() throws {
        guard ImportErrorMode(rawValue: onError) != nil else { throw ValidationError("--on-error is skip or abort") }
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size is from 1 to 100000") }
        guard progressEvery > 0 else { throw ValidationError("--progress-every is a positive number of seconds") }
        guard (1...1_000_000).contains(lines) else { throw ValidationError("--lines is from 1 to 1000000") }
    }

    func run() async throws {
        let deployment = Deployment(data)
        guard deployment.exists else { throw CommandError("no registry in \(deployment.folder.path) (create one with guichet init)") }
        guard let stored = try deployment.readSettings().profile else { throw CommandError("no profile in \(deployment.configFile)") }
        let profilePath = try Deployment.resolveProfile(profile ?? stored)
        if writeSample { return try writeSampleFile(profile: URL(fileURLWithPath: profilePath).lastPathComponent) }
        let lock = bulk && !dryRun ? try deployment.lockForBulkImport() : nil
        if bulk, !dryRun, lock == nil { note("--bulk: PostgreSQL stores every batch directly (COPY); the import runs as without it") }
        defer { withExtendedLifetime(lock) {} }
        let (_, server, runs) = try await deployment.openMaintenance(keys: keys, profile: profile)
        let mappingPath = mapping ?? URL(fileURLWithPath: profilePath).appendingPathComponent("import-mapping.yaml").path
        let loaded: ImportMapping
        do { loaded = try MappingLoader.load(path: mappingPath, profile: server.profile) } catch let e as ProfileError {
            throw CommandError("invalid mapping: \(e)")
        }
        guard FileManager.default.isReadableFile(atPath: file) else { throw CommandError("cannot read \(file)") }
        var importer = Importer(gate: server.gate, store: runs, mapping: loaded,
                                mappingDigest: try Importer.digest(of: mappingPath), file: file)
        importer.onError = ImportErrorMode(rawValue: onError) ?? .abort
        importer.dryRun = dryRun
        importer.bulk = bulk
        importer.besideUnfinished = besideUnfinished
        importer.batchSize = batchSize
        let display = ProgressDisplay(terminal: isatty(STDERR_FILENO) == 1, every: progressEvery)
        let allocated = ImportReport.AllocatedPeak()
        importer.progress = { allocated.sample(); display.show($0) }
        // A bulk import's move says each table as it ends: at R4's size it takes many minutes.
        (runs as? Store)?.observeStageMoves { display.line(ImportReport.moveLine($0)) }
        importer.problem = { display.problem($0) }
        // Ctrl-C: what is stored stays (each batch is one transaction), and the way on is said.
        // (A dispatch source is made only to be resumed: libdispatch traps on releasing a
        // suspended one.)
        let interrupt: (any DispatchSourceSignal)? = dryRun ? nil : DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        if let interrupt {
            signal(SIGINT, SIG_IGN)
            interrupt.setEventHandler {
                display.finish()
                FileHandle.standardError.write(Data("\ninterrupted: every batch stored so far stays stored; run the same command on the same file to resume after it\n".utf8))
                Foundation.exit(130)
            }
            interrupt.resume()
        }
        defer { interrupt?.cancel() }
        let summary: ImportSummary
        do { summary = try await importer.run() } catch let e as ImportFileError {
            display.finish()
            throw CommandError("\(file): \(e.description)")
        } catch let e as CSVError {
            display.finish()
            throw CommandError("\(file): \(e.description)")
        }
        display.finish()
        say(ImportReport.describe(summary, file: file))
        note(ImportReport.memoryLine(allocated, sqlite: runs is Store))
        if case .aborted = summary.outcome { throw ExitCode(1) }
        if summary.dryRun, summary.skipped > 0, importer.onError == .abort { throw ExitCode(1) }
    }

}

/// The progress of an import on standard error: a bar redrawn in place on a terminal, a plain
/// line every few seconds otherwise (a log file, a pipe).
final class ProgressDisplay: Sendable {
    let terminal: Bool
    let every: Double
    /// When the last plain line was written, and whether a bar is on screen.
    private let state = Mutex<(last: Date, bar: Bool)>((Date(), false))

    init(terminal: Bool, every: Double) { self.terminal = terminal; self.every = every }

    func show(_ p: ImportProgress) {
        state.withLock { s in
            if terminal {
                FileHandle.standardError.write(Data(("\r" + ImportReport.bar(p) + "\u{1B}[K").utf8))
                s.bar = true
            } else if Date().timeIntervalSince(s.last) >= every || p.phase == .finishing {
                FileHandle.standardError.write(Data((ImportReport.text(p) + "\n").utf8))
                s.last = Date()
            }
        }
    }

    func problem(_ p: ImportProblem) { line(p.description) }

    /// A line of its own (a bad line, a step of a bulk import's move), below the bar if one is drawn.
    func line(_ text: String) {
        state.withLock { s in
            let clear = s.bar ? "\r\u{1B}[K" : ""
            s.bar = false
            FileHandle.standardError.write(Data((clear + text + "\n").utf8))
        }
    }

    func finish() {
        state.withLock { s in
            if s.bar { FileHandle.standardError.write(Data("\n".utf8)) }
            s.bar = false
        }
    }
}

extension Import {
    /// `--write-sample`: the profile's synthetic export, never over an existing file (an
    /// operator's audit: no sample was shipped, only a benchmark's binary wrote one).
    func writeSampleFile(profile name: String) throws {
        guard ImportSampleFile.profiles.contains(name) else {
            throw CommandError("no sample export for the profile '\(name)' (there is one for \(ImportSampleFile.profiles.joined(separator: ", ")))")
        }
        guard !FileManager.default.fileExists(atPath: file) else { throw CommandError("\(file) exists: give a new file's name (nothing was written)") }
        let persons: Int
        do { persons = try ImportSampleFile.write(profile: name, lines: lines, to: file) } catch {
            throw CommandError("cannot write \(file): check the folder and its permissions")
        }
        say("wrote \(Counted.english(lines, "line")) (\(Counted.english(persons, "person")), fictional) to \(file)")
        say("its lines name these organisations; add them first, then import:")
        for (kind, names) in ImportSampleFile.organisations(name).sorted(by: { $0.key < $1.key }) {
            for n in names { say("  guichet organisations add --data \(data) --kind \(kind) --name \"\(n)\"") }
        }
        say("  guichet import --data \(data) \(file)")
    }
}
