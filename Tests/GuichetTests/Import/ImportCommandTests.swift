import Foundation
import Testing
import GuichetCore
import GuichetSynth

/// `guichet import`, run as an operator runs it, on synthetic exports of each reference
/// deployment (`profiles/NAME/import-mapping.yaml`).
@Suite struct ImportCommandTests {
    /// Lines of each sample that hold about 10,000 persons, on either back-end.
    static let tenThousandPersons = ["place05": 4_000, "jeunes": 10_000, "secu": 5_000, "emploi": 10_000]

    @Test("an export of about 10,000 persons of each reference deployment is imported whole, encrypted and journalled, once",
          arguments: ImportSample.profiles)
    func importsEachProfile(profile: String) async throws {
        let folder = try await ImportFolder.make(profile)
        defer { folder.remove() }
        let lines = Self.tenThousandPersons[profile]!
        let (file, persons) = try folder.sample(lines: lines)
        #expect(persons >= 9_000)
        let before = try await folder.counts()
        let run = try await GuichetChild.run(folder.importing(file))
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout.contains("\(lines) dossiers and \(persons) persons stored, 0 bad lines skipped"), "stdout: \(run.stdout)")
        let after = try await folder.counts()
        #expect(after.dossiers == lines)
        #expect(after.persons == persons)
        #expect(after.ledger >= before.ledger + lines + 1, "one create entry per dossier, and the import's own")
        #expect(after.runs.count == 1 && after.runs[0].finished)
        // Nothing personal in clear in the database or in what the command printed.
        let text = try String(contentsOfFile: file, encoding: .utf8)
        let emails = text.split(separator: "\r\n").dropFirst().prefix(50).compactMap { line in
            line.split(separator: ",").first { $0.contains("@example.") }.map(String.init)
        }
        #expect(emails.count > 10)
        #expect(try await folder.inClear(emails).isEmpty, "an e-mail address is stored in clear")
        let organisation = try #require(ImportSample.organisations(profile).values.flatMap { $0 }.first)
        #expect(try await folder.inClear([organisation]) == [organisation], "the look finds what is stored in clear (an organisation's name)")
        for email in emails { #expect(!run.stdout.contains(email) && !run.stderr.contains(email)) }
        // The same file again: nothing to do, nothing added.
        let again = try await GuichetChild.run(folder.importing(file))
        #expect(again.status == 0 && again.stdout.contains("nothing to do"), "stdout: \(again.stdout)")
        #expect(try await folder.counts().dossiers == lines)
        if profile == "emploi" {
            let verified = try await GuichetChild.run(["ledger", "verify", "--data", folder.data])
            #expect(verified.status == 0 && verified.stdout.contains("ledger verified"), "\(verified.stdout) \(verified.stderr)")
        }
    }

    /// An emploi export of 300 lines with 3 bad lines inserted: lines 51 (an invalid NIR),
    /// 102 (a birth date that does not exist) and 153 (two cells instead of 17); with a BOM.
    func badExport(_ folder: ImportFolder) throws -> String {
        let (file, _) = try folder.sample(lines: 300)
        var lines = try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "\r\n")
        lines.insert("Agence exemple 1,registered,0999999X,123,Alice,Exemple,1990-01-01,alice@example.org,0100000000,1 rue,2024-01-01,A,Cuisinier,2025-01-01,non,,", at: 50)
        lines.insert("Agence exemple 1,registered,0999998X,,Alice,Exemple,1990-13-45,alice@example.org,0100000000,1 rue,2024-01-01,A,Cuisinier,2025-01-01,non,,", at: 101)
        lines.insert("Agence exemple 1,registered", at: 152)
        // As a spreadsheet saves it: a UTF-8 byte-order mark first.
        try ("\u{FEFF}" + lines.joined(separator: "\r\n")).write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    func expectBadLinesReported(_ stderr: String) {
        #expect(stderr.contains("line 51, column NIR: expected a social-security number (NIR)"), "stderr: \(stderr)")
        #expect(stderr.contains("line 102, column DATE_NAISSANCE: expected a date as YYYY-MM-DD"), "stderr: \(stderr)")
        #expect(stderr.contains("line 153: 2 cells where the header has 17 columns"), "stderr: \(stderr)")
        for value in ["alice", "Alice", "1990-13-45", "0999999X"] { #expect(!stderr.contains(value), "a bad line's value was printed") }
    }

    @Test("a dry run checks every line, reports each bad one by line and column without its value, and writes nothing")
    func dryRun() async throws {
        let folder = try await ImportFolder.make("emploi")
        defer { folder.remove() }
        let file = try badExport(folder)
        let before = try await folder.counts()
        let run = try await GuichetChild.run(folder.importing(file, ["--dry-run"]))
        #expect(run.status == 1, "with --on-error abort (the default) the import would not run")
        expectBadLinesReported(run.stderr)
        #expect(run.stdout.contains("dry run: 303 lines checked, 3 bad lines; the import would store 300 dossiers"), "stdout: \(run.stdout)")
        let after = try await folder.counts()
        #expect(after.dossiers == 0 && after.persons == 0 && after.runs.isEmpty && after.ledger == before.ledger)
        let skipping = try await GuichetChild.run(folder.importing(file, ["--dry-run", "--on-error", "skip"]))
        #expect(skipping.status == 0, "with --on-error skip the import would run")
    }

    @Test("with --on-error abort a bad line stops the import before anything is written")
    func abortWritesNothing() async throws {
        let folder = try await ImportFolder.make("emploi")
        defer { folder.remove() }
        let file = try badExport(folder)
        let before = try await folder.counts()
        let run = try await GuichetChild.run(folder.importing(file, ["--on-error", "abort"]))
        #expect(run.status == 1)
        #expect(run.stderr.contains("line 51, column NIR"), "stderr: \(run.stderr)")
        #expect(run.stdout.contains("import aborted"))
        let after = try await folder.counts()
        #expect(after.dossiers == 0 && after.persons == 0 && after.ledger == before.ledger)
    }

    @Test("with --on-error skip the bad lines are reported and every other line is imported")
    func skipImportsTheRest() async throws {
        let folder = try await ImportFolder.make("emploi")
        defer { folder.remove() }
        let file = try badExport(folder)
        let run = try await GuichetChild.run(folder.importing(file, ["--on-error", "skip", "--batch-size", "40"]))
        #expect(run.status == 0, "stderr: \(run.stderr)")
        expectBadLinesReported(run.stderr)
        #expect(run.stdout.contains("300 dossiers and 300 persons stored, 3 bad lines skipped"), "stdout: \(run.stdout)")
        #expect(try await folder.counts().dossiers == 300)
    }

    @Test("an import killed between batches resumes after its last stored batch, with no line stored twice")
    func killedThenResumed() async throws {
        let folder = try await ImportFolder.make("place05")
        defer { folder.remove() }
        // Enough lines that the pipelined import (issue 18) cannot finish between two looks
        // at its progress on a test machine busy with the rest of the suite.
        let lines = 5_000
        let (file, persons) = try folder.sample(lines: lines)
        let child = try GuichetChild(folder.importing(file, ["--batch-size", "50"]))
        // On SQLite, watched from a thread of its own (``kill(_:once:stored:)``); on
        // PostgreSQL, from a task of high priority.
        let started = child.started, watched = folder
        if try RegistryFolder(data: folder.data).postgres == nil {
            await Self.kill(child, once: folder, stored: 200)
        } else {
            await Task.detached(priority: .high) {
                for _ in 0..<60_000 {
                    if (try? await RegistryFolder(data: watched.data).count("import_run", where: "dossiers >= 200")) ?? 0 > 0 { break }
                    try? await Task.sleep(for: .milliseconds(2))
                }
                started.spawned.signal(SIGKILL)
            }.value
        }
        let killed = try await child.wait()
        #expect(killed.status != 0)
        let midway = try await folder.counts()
        let run = try #require(midway.runs.first, "stderr: \(killed.stderr)")
        let stored = run.dossiers
        #expect(!run.finished, "the import was killed before its end")
        #expect(midway.dossiers == stored, "the dossiers stored are exactly those of the committed batches")
        #expect(stored % 50 == 0 && stored < lines)
        let resumed = try await GuichetChild.run(folder.importing(file, ["--batch-size", "50"]))
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(resumed.stdout.contains("(resumed at line"), "stdout: \(resumed.stdout)")
        let after = try await folder.counts()
        #expect(after.dossiers == lines)
        #expect(after.persons == persons)
        #expect(after.runs.count == 1)
    }

    @Test("Ctrl-C (SIGINT) stops an import saying that what is stored stays and how to resume, and the same command resumes it", .sqliteOnly)
    func interruptedSaysHowToResume() async throws {
        let folder = try await ImportFolder.make("place05")
        defer { folder.remove() }
        let lines = 5_000
        let (file, persons) = try folder.sample(lines: lines)
        let child = try GuichetChild(folder.importing(file, ["--batch-size", "50"]))
        await Self.kill(child, once: folder, stored: 200, signal: SIGINT)
        let stopped = try await child.wait()
        #expect(stopped.status == 130 && stopped.stderr.contains("interrupted: every batch stored so far stays stored; run the same command on the same file"),
                "status \(stopped.status), stderr: \(stopped.stderr)")
        let resumed = try await GuichetChild.run(folder.importing(file, ["--batch-size", "50"]))
        #expect(resumed.status == 0 && resumed.stdout.contains("(resumed at line"), "stdout: \(resumed.stdout)")
        let after = try await folder.counts()
        #expect(after.dossiers == lines && after.persons == persons)
    }

    @Test("a bulk import killed mid-way has put nothing in the registry; it waits for a server on the folder, then resumes and moves the whole file in",
          .sqliteOnly)
    func bulkKilledThenResumed() async throws {
        let folder = try await ImportFolder.make("place05")
        defer { folder.remove() }
        let lines = 5_000
        let (file, persons) = try folder.sample(lines: lines)
        let before = try await folder.counts()
        let child = try GuichetChild(folder.importing(file, ["--bulk", "--batch-size", "50"]))
        await Self.kill(child, once: folder, stored: 200)
        let killed = try await child.wait()
        #expect(killed.status != 0)
        let midway = try await folder.counts()
        let run = try #require(midway.runs.first, "stderr: \(killed.stderr)")
        #expect(!run.finished && run.dossiers >= 200 && run.dossiers < lines, "the import was killed before its end")
        #expect(midway.dossiers == before.dossiers && midway.persons == before.persons, "a staged row reached the registry before the end")
        #expect(try folder.stageCount("dossier") == run.dossiers)

        // A server holds the folder: the bulk import, whose end is one long transaction, waits.
        let lock = open(folder.data + "/guichet.lock", O_RDWR | O_CREAT, 0o600)
        #expect(lock >= 0 && flock(lock, LOCK_EX | LOCK_NB) == 0)
        _ = "\(getpid())\nserving\n".withCString { write(lock, $0, strlen($0)) }
        let refused = try await GuichetChild.run(folder.importing(file, ["--bulk"]))
        close(lock)
        #expect(refused.status != 0 && refused.stderr.contains("another guichet server is serving")
                && refused.stderr.contains("stop the server first, or import without --bulk"), "stderr: \(refused.stderr)")
        #expect(try await folder.counts().runs == midway.runs)

        // As a bulk import stopped in the middle of its move leaves it (some tables moved,
        // others not yet): no server opens the registry.
        try await RegistryFolder(data: folder.data).execute(sqlite: ["UPDATE import_run SET staged = 2"], postgres: [])
        let serving = try await GuichetChild.run(["serve", "--data", folder.data, "--port", "0", "--admin-port", "0"])
        #expect(serving.status != 0 && serving.stderr.contains("stopped while moving its stage into the registry")
                && serving.stderr.contains("run the same guichet import again"), "stderr: \(serving.stderr)")

        // Resumed without the flag: it keeps the mode it started with, and ends moving everything in.
        let resumed = try await GuichetChild.run(folder.importing(file, ["--batch-size", "50", "--progress-every", "0.001"]))
        #expect(resumed.status == 0, "stderr: \(resumed.stderr)")
        #expect(resumed.stdout.contains("(resumed at line") && resumed.stdout.contains("\(lines) dossiers and \(persons) persons stored"),
                "stdout: \(resumed.stdout)")
        #expect(resumed.stderr.contains("finishing ") && resumed.stderr.contains("move from the stage into the registry"), "stderr: \(resumed.stderr)")
        // The move says each table as it ends (at R4's size it takes many minutes).
        #expect(resumed.stderr.contains("finishing: person: \(Counted.english(persons, "row")) moved in ")
                && resumed.stderr.contains("finishing: dossier: \(Counted.english(lines, "row")) moved in "), "stderr: \(resumed.stderr)")
        let after = try await folder.counts()
        #expect(after.dossiers == lines && after.persons == persons && after.runs.count == 1 && after.runs[0].finished)
        let verified = try await GuichetChild.run(["ledger", "verify", "--data", folder.data])
        #expect(verified.status == 0 && verified.stdout.contains("ledger verified"), "\(verified.stdout) \(verified.stderr)")
    }

    /// Kills an import of `folder` (SQLite) once its first run has stored `stored` dossiers,
    /// watched from a thread of its own, which the system schedules beside the import: a task
    /// of the test's pool, busy with the rest of the suite, once looked too late and found the
    /// import finished.
    static func kill(_ child: GuichetChild, once folder: ImportFolder, stored: Int, signal: Int32 = SIGKILL) async {
        let started = child.started
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                for _ in 0..<60_000 {
                    if (folder.storedByFirstRunFromFile() ?? 0) >= stored { break }
                    Thread.sleep(forTimeInterval: 0.002)
                }
                started.spawned.signal(signal)
                done.resume()
            }
        }
    }

    static func peak(_ stderr: String) -> Int? {
        stderr.components(separatedBy: "peak memory: ").last.flatMap { Int($0.prefix { $0.isNumber }) }
    }

    @Test("memory does not grow with the file: reading and checking 20 times more lines takes no more memory", .storeFree)
    func constantMemory() async throws {
        let folder = try await ImportFolder.make("emploi")
        defer { folder.remove() }
        let small = try folder.sample(lines: 2_000, name: "small.csv").path
        let large = try folder.sample(lines: 40_000, name: "large.csv").path
        let a = try await GuichetChild.run(folder.importing(small, ["--dry-run"]))
        let b = try await GuichetChild.run(folder.importing(large, ["--dry-run"]))
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        let size = (try FileManager.default.attributesOfItem(atPath: large)[.size] as? Int ?? 0) / 1_048_576
        #expect(size >= 6, "the large file is \(size) MiB")
        let (p, q) = (try #require(Self.peak(a.stderr)), try #require(Self.peak(b.stderr)))
        #expect(q <= p + 8, "peak memory \(p) MiB for 2,000 lines, \(q) MiB for 40,000 (\(size) MiB)")
    }

    @Test("a progress line reaches standard error when it is not a terminal")
    func plainProgress() async throws {
        let folder = try await ImportFolder.make("jeunes")
        defer { folder.remove() }
        let (file, _) = try folder.sample(lines: 400)
        let run = try await GuichetChild.run(folder.importing(file, ["--batch-size", "100", "--progress-every", "0.001"]))
        #expect(run.status == 0)
        #expect(run.stderr.contains("importing ") && run.stderr.contains("lines/s") && run.stderr.contains("left"), "stderr: \(run.stderr)")
        #expect(!run.stderr.contains("\u{1B}["), "no terminal control sequence in a log")
    }
}

/// An operator tries an import before the real file (an operator's audit: no sample export was
/// shipped, only the benchmark's binary wrote one): `guichet import --write-sample` writes the
/// profile's fictional export and says which organisations to add; following it imports it.
@Suite struct ImportSampleCommandTests {
    @Test("import --write-sample writes a fictional export and the commands to follow; followed literally, they import it; an existing file is never overwritten")
    func writeSampleThenImport() async throws {
        let root = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: root) }
        let data = root.appendingPathComponent("data").path
        #expect(try await GuichetChild.run(["init", "--data", data, "--profile", "emploi"]).status == 0)
        let file = root.appendingPathComponent("essai.csv").path
        let wrote = try await GuichetChild.run(["import", "--data", data, "--write-sample", "--lines", "30", file])
        #expect(wrote.status == 0 && wrote.stdout.contains("wrote 30 lines"), "\(wrote.stdout) \(wrote.stderr)")
        let adds = wrote.stdout.split(separator: "\n").compactMap { line in
            line.firstMatch(of: #/guichet organisations add --data \S+ --kind (\S+) --name "(.+)"/#).map { (String($0.1), String($0.2)) }
        }
        #expect(adds.count == 5, "\(wrote.stdout)")
        for (kind, name) in adds {
            #expect(try await GuichetChild.run(["organisations", "add", "--data", data, "--kind", kind, "--name", name]).status == 0)
        }
        let imported = try await GuichetChild.run(["import", "--data", data, file])
        #expect(imported.status == 0 && imported.stdout.contains("30 dossiers"), "\(imported.stdout) \(imported.stderr)")
        let again = try await GuichetChild.run(["import", "--data", data, "--write-sample", file])
        #expect(again.status != 0 && again.stderr.contains("exists"), "\(again.stderr)")
        #expect(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\r\n").count == 31, "the file is unchanged")
    }
}
