public import Foundation
public import GuichetCore
public import GuichetGate
import GuichetStore
import Crypto

/// What to do with a line that cannot be imported.
public enum ImportErrorMode: String, Sendable, CaseIterable {
    /// Report it and go on: the other lines are imported.
    case skip
    /// Report it and import nothing: the whole file is checked before anything is written.
    case abort
}

/// Where an import stands, for a progress display.
public struct ImportProgress: Sendable {
    public enum Phase: String, Sendable {
        case checking, importing
        /// A bulk import's last batch: the stage moves into the registry, a table at a time, and
        /// its indexes are built; nothing is reported until it ends.
        case finishing
    }
    public let phase: Phase
    /// Bytes of the file read, and its size.
    public let bytes: UInt64
    public let totalBytes: UInt64
    /// Bytes where this phase began (a resumed import begins past 0).
    public let startBytes: UInt64
    /// Lines read in this phase, and lines of data imported or found bad so far (whole import).
    public let lines: Int
    public let dossiers: Int
    public let persons: Int
    public let skipped: Int
    /// Seconds since this phase began.
    public let seconds: Double

    public init(phase: Phase, bytes: UInt64, totalBytes: UInt64, startBytes: UInt64, lines: Int, dossiers: Int, persons: Int,
                skipped: Int, seconds: Double) {
        self.phase = phase; self.bytes = bytes; self.totalBytes = totalBytes; self.startBytes = startBytes
        self.lines = lines; self.dossiers = dossiers; self.persons = persons; self.skipped = skipped; self.seconds = seconds
    }
}

/// How an import ended.
public struct ImportSummary: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Every line was read; the file is imported (or, in a dry run, checked).
        case done
        /// The file had been imported whole before: nothing was done.
        case alreadyImported(Date)
        /// A bad line was found with `--on-error abort`: nothing was written.
        case aborted
    }
    public let outcome: Outcome
    public let runID: String?
    /// Whether this run resumed an interrupted import (and from which line).
    public let resumedAtLine: Int?
    public let dryRun: Bool
    /// Lines of data read in this run (the header excluded).
    public let lines: Int
    /// Dossiers and persons stored by the whole import (or that a dry run would store), bad lines.
    public let dossiers: Int
    public let persons: Int
    public let skipped: Int
}

/// Imports a CSV file into a registry through the gate (``Gate/validateImport(_:type:)``,
/// ``Gate/importBatch(_:run:requestID:)``): streaming, batch by batch, each batch one
/// transaction with the import's progress, so that an interrupted import resumes after its
/// last batch with no line stored twice. `docs/OPERATIONS.md`, "Importing an existing registry".
public struct Importer: Sendable {
    public let gate: Gate
    public let store: any ImportStorage
    public let mapping: ImportMapping
    /// SHA-256 of the mapping file (hex): a resumed import must use the same mapping.
    public let mappingDigest: String
    public let file: String
    public var onError: ImportErrorMode = .skip
    public var dryRun = false
    /// A bulk import (``ImportRun/staged``): the batches go to the stage, without index, and
    /// move into the registry at the end, a table at a time. For a first load of a large
    /// registry while no server runs. A resumed import keeps the mode it started with.
    public var bulk = false
    /// Import a new file although the import of another file has not ended (an interrupted
    /// import resumes only with the very same file: a changed file is another file, and its
    /// lines that the interrupted import stored would be stored twice).
    public var besideUnfinished = false
    /// Lines per batch (one transaction each).
    public var batchSize = 1_000
    /// Called after each batch and every few thousand lines while checking (on the importing task).
    public var progress: @Sendable (ImportProgress) -> Void = { _ in }
    /// Called for each bad line (with its line number and column, never its content).
    public var problem: @Sendable (ImportProblem) -> Void = { _ in }

    public init(gate: Gate, store: any ImportStorage, mapping: ImportMapping, mappingDigest: String, file: String) {
        self.gate = gate; self.store = store; self.mapping = mapping; self.mappingDigest = mappingDigest; self.file = file
    }

    /// SHA-256 of a file (hex), read in chunks.
    /// - Throws: ``CSVError`` when the file cannot be read.
    public static func digest(of path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw CSVError(line: 0, message: "cannot open the file") }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let data = try handle.read(upToCount: 1 << 20), !data.isEmpty { hasher.update(data: data) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    /// Runs the import (or the dry run).
    /// - Throws: ``ImportFileError`` when the file or its header does not fit the mapping or the
    ///   import cannot resume; ``CSVError`` when the file is malformed beyond a line; what the
    ///   gate or the store throws (the batch in progress is then not stored).
    public func run() async throws -> ImportSummary {
        guard let type = gate.profile.dossierTypes[mapping.dossierType] else {
            throw ImportFileError("the mapping's dossier type '\(mapping.dossierType)' is not in the profile")
        }
        let fileDigest = try Self.digest(of: file)
        let header = try readHeader()
        var run: ImportRun
        var resumedAt: Int?
        var isNew = false
        if let previous = try await store.importRun(fileDigest: fileDigest) {
            if let finished = previous.finishedAt {
                if !dryRun { return summary(.alreadyImported(finished), previous, resumedAt: nil, lines: 0) }
                run = ImportRun(id: "dry-run", fileDigest: fileDigest, mappingDigest: mappingDigest, dossierType: type.name, startedAt: Date())
                (run.nextOffset, run.nextLine) = (header.endOffset, header.nextLine)
            } else {
                guard previous.mappingDigest == mappingDigest else {
                    throw ImportFileError("an interrupted import of this file used another mapping file: resume it with the same mapping")
                }
                run = previous
                resumedAt = previous.nextLine
            }
        } else {
            run = ImportRun(id: Base64URL.encode((0..<9).map { _ in UInt8.random(in: 0...255) }), fileDigest: fileDigest,
                            mappingDigest: mappingDigest, dossierType: type.name, startedAt: Date())
            (run.nextOffset, run.nextLine) = (header.endOffset, header.nextLine)
            run.staged = bulk && store.stagesBulkImports
            isNew = true
        }
        if isNew, !dryRun, !besideUnfinished, let other = try await store.unfinishedImport(otherThan: fileDigest) {
            throw ImportFileError("the import \(other.id) of another file has not ended (started \(ISO8601DateFormatter().string(from: other.startedAt)), "
                                  + "stopped before line \(other.nextLine), \(other.dossiers) dossiers stored): run guichet import\(other.staged ? " --bulk" : "") again on that very file to finish it. "
                                  + "A changed file is another file, whose lines already stored would be stored twice: to go on after a change, "
                                  + "import only the lines from line \(other.nextLine) on (with the header line) and add --beside-unfinished")
        }
        if run.staged, !dryRun, let other = try await store.unfinishedBulkImport(), other.id != run.id {
            // One stage for the whole registry: it moves in at the end of the import that made it.
            throw ImportFileError("the bulk import \(other.id) of another file has not ended (started "
                                  + "\(ISO8601DateFormatter().string(from: other.startedAt))): run guichet import --bulk again on that file to finish it first")
        }
        let organisations = try await OrganisationIndex(store: store)
        let reader = LineReader(mapping: mapping, header: header.columns, organisations: organisations, type: type)
        if dryRun || onError == .abort {
            // The whole file (from where a resumed import stands) is checked before anything is written.
            var checked = run
            let (bad, lines) = try check(reader, type: type, from: run, into: &checked)
            if dryRun { return summary(.done, checked, resumedAt: resumedAt, lines: lines, dryRun: true) }
            if bad > 0 {
                var stopped = run
                stopped.skipped = bad
                return summary(.aborted, stopped, resumedAt: resumedAt, lines: lines)
            }
        }
        if isNew { try await store.save(importRun: run) }
        let lines = try await write(reader, type: type, run: &run)
        return summary(.done, run, resumedAt: resumedAt, lines: lines)
    }

    func summary(_ outcome: ImportSummary.Outcome, _ run: ImportRun, resumedAt: Int?, lines: Int, dryRun: Bool = false) -> ImportSummary {
        ImportSummary(outcome: outcome, runID: dryRun ? nil : run.id, resumedAtLine: resumedAt, dryRun: dryRun, lines: lines,
                      dossiers: run.dossiers, persons: run.persons, skipped: run.skipped)
    }

    /// The header line: every column of the mapping must be in it, and every column of it in
    /// the mapping (a column the mapping does not name would be dropped silently).
    func readHeader() throws -> (columns: [String], endOffset: UInt64, nextLine: Int) {
        let reader = try CSVReader(path: file, delimiter: mapping.delimiter)
        guard let first = try reader.next() else { throw ImportFileError("the file is empty: the first line must name the columns") }
        if let p = first.problem { throw ImportFileError("line 1 (the header): \(p)") }
        let header = first.fields.map { $0.trimmingCharacters(in: .whitespaces) }
        var seen = Set<String>()
        for h in header where !seen.insert(h).inserted { throw ImportFileError("line 1 (the header): the column '\(h)' appears twice") }
        let mapped = Set(mapping.columns.map(\.header))
        let missing = mapping.columns.map(\.header).filter { !seen.contains($0) }
        if !missing.isEmpty { throw ImportFileError("line 1 (the header): the mapping's columns \(missing.joined(separator: ", ")) are not in the file") }
        let unmapped = header.filter { !mapped.contains($0) }
        if !unmapped.isEmpty {
            throw ImportFileError("line 1 (the header): the columns \(unmapped.joined(separator: ", ")) are not in the mapping (map them, or to 'ignore')")
        }
        return (header, first.endOffset, first.nextLine)
    }

    /// Opens the file where `run` stands (just after the header for a new import).
    func open(_ run: ImportRun) throws -> CSVReader {
        try CSVReader(path: file, delimiter: mapping.delimiter, offset: run.nextOffset, line: run.nextLine)
    }

    /// Bad lines an import with `--on-error abort` reports before it stops checking (a dry run
    /// checks every line): enough to fix a file's faults in one go, not a flood.
    public static let badLinesBeforeAbort = 100

    /// Reports a line's problems in the order of the file's columns (the line's own first).
    func report(_ p: ImportProblems, _ lines: LineReader) {
        let position = Dictionary(lines.targets.enumerated().map { ($1.header, $0) }) { a, _ in a }
        let ordered = p.problems.enumerated().sorted { a, b in
            let (x, y) = (a.element.column.flatMap { position[$0] } ?? -1, b.element.column.flatMap { position[$0] } ?? -1)
            return x != y ? x < y : a.offset < b.offset
        }
        for (_, each) in ordered { problem(each) }
    }

    /// Checks every line from where `run` stands; returns how many are bad (with `--on-error
    /// abort` outside a dry run, stops after ``badLinesBeforeAbort``) and how many were read.
    /// `checked` ends as the import would.
    func check(_ lines: LineReader, type: DossierType, from run: ImportRun, into checked: inout ImportRun) throws -> (bad: Int, lines: Int) {
        let reader = try open(run)
        let start = Date(), startBytes = reader.offset
        var bad = 0, count = 0
        while let record = try reader.next() {
            count += 1
            do {
                let valid = try gate.validateImport(try lines.line(record), type: type)
                checked.dossiers += 1
                checked.persons += valid.personCount
            } catch let p as ImportProblems {
                report(p, lines)
                bad += 1
                checked.skipped += 1
                if !dryRun, bad >= Self.badLinesBeforeAbort { return (bad, count) }
            }
            checked.nextLine = record.nextLine
            if count % 5_000 == 0 { report(.checking, reader, startBytes, count, checked, start) }
        }
        report(.checking, reader, startBytes, count, checked, start)
        return (bad, count)
    }

    /// Imports from where `run` stands to the end, batch by batch; returns how many lines it read.
    /// A pipeline: while one batch is journalled and stored, the next is read, validated and
    /// sealed (``Gate/sealImport(_:runID:)``). The batches are still stored one after the
    /// other, in the file's order, each in one transaction with the import's progress: a batch
    /// starts storing only once the previous one committed, and when one fails nothing after it
    /// is stored (the import resumes after the last committed batch).
    func write(_ lines: LineReader, type: DossierType, run: inout ImportRun) async throws -> Int {
        let reader = try open(run)
        let start = Date(), startBytes = reader.offset
        var batch: [ValidatedImport] = []
        var inBatch = 0, count = 0
        var next = run
        // The batch being stored, and where the import stands once it is.
        var storing: (task: Task<Void, any Error>, run: ImportRun)?
        func settle() async throws {
            guard let s = storing else { return }
            storing = nil
            try await s.task.value
            run = s.run
            report(.importing, reader, startBytes, count, run, start)
        }
        func flush() async throws {
            next.updatedAt = Date()
            let (lines, at, gate, requestID) = (batch, next, gate, "import-\(run.id)-\(next.nextLine)")
            batch.removeAll(keepingCapacity: true)
            inBatch = 0
            if lines.isEmpty {
                try await settle()
                try await store.save(importRun: at)
                run = at
                report(.importing, reader, startBytes, count, run, start)
                return
            }
            let sealing = Task { try await gate.sealImport(lines, runID: at.id) }
            do { try await settle() } catch {
                sealing.cancel()
                throw error
            }
            storing = (Task { try await gate.storeImport(try await sealing.value, run: at, requestID: requestID) }, at)
        }
        do {
            while let record = try reader.next() {
                count += 1
                inBatch += 1
                do {
                    let valid = try gate.validateImport(try lines.line(record), type: type)
                    batch.append(valid)
                    next.dossiers += 1
                    next.persons += valid.personCount
                } catch let p as ImportProblems {
                    report(p, lines)
                    next.skipped += 1
                }
                next.nextOffset = record.endOffset
                next.nextLine = record.nextLine
                if inBatch >= batchSize { try await flush() }
            }
            next.finishedAt = Date()
            if run.staged {
                // The last batch moves the stage into the registry: a few long transactions.
                try await settle()
                report(.finishing, reader, startBytes, count, next, start)
            }
            try await flush()
            try await settle()
        } catch {
            // A batch still being stored finishes or fails on its own; wait for it, so that
            // nothing is written after this call returns (its own error, if any, is the one to
            // report only when nothing else failed first).
            if let s = storing { _ = try? await s.task.value }
            throw error
        }
        try await gate.recordSystemEvent("import", reason: "import \(run.id) of '\(type.name)' finished: \(run.dossiers) dossiers, "
                                         + "\(run.persons) persons, \(run.skipped) bad lines skipped", requestID: "import-\(run.id)")
        return count
    }

    func report(_ phase: ImportProgress.Phase, _ reader: CSVReader, _ startBytes: UInt64, _ lines: Int, _ run: ImportRun, _ start: Date) {
        progress(ImportProgress(phase: phase, bytes: reader.offset, totalBytes: reader.size, startBytes: startBytes, lines: lines,
                                dossiers: run.dossiers, persons: run.persons, skipped: run.skipped, seconds: Date().timeIntervalSince(start)))
    }
}

/// The file or its mapping cannot be imported at all (not one bad line: see ``ImportProblems``).
public struct ImportFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}
