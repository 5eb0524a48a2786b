import Foundation
import GuichetCore
public import GuichetStore
import Synchronization

/// What `guichet import` prints: the summary, the progress bar and line, and the peak memory.
public enum ImportReport {
    /// The process's peak resident memory (VmHWM), which counts the pages of the database
    /// file that SQLite maps into memory: the kernel reclaims those at will.
    public static func peakMemoryMiB() -> Int {
        #if os(Linux)
        return statusMiB("VmHWM:")
        #else
        var usage = rusage()
        guard getrusage(RUSAGE_SELF, &usage) == 0 else { return 0 }
        return Int(usage.ru_maxrss) / 1_048_576  // bytes on macOS
        #endif
    }

    /// The memory the process has allocated now (RssAnon): what grows if the import held the
    /// file; mapped files are not counted. Nil where the system does not say.
    public static func allocatedMemoryMiB() -> Int? {
        #if os(Linux)
        return statusMiB("RssAnon:")
        #else
        return nil
        #endif
    }

    #if os(Linux)
    static func statusMiB(_ key: String) -> Int {
        let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix(key) } ?? ""
        return (Int(line.filter(\.isNumber)) ?? 0) / 1024
    }
    #endif

    /// The largest allocated memory seen by ``sample()``, taken at every progress step.
    public final class AllocatedPeak: Sendable {
        private let peak = Mutex(0)
        public init() {}
        public func sample() { if let now = ImportReport.allocatedMemoryMiB() { peak.withLock { $0 = max($0, now) } } }
        public var mebibytes: Int { peak.withLock { $0 } }
    }

    /// The closing memory line: the allocated peak first (what an operator sizes for), then
    /// the resident peak with the database's mapped pages.
    /// - Parameter sqlite: whether the import wrote SQLite (its cached pages count in the
    ///   resident size; on PostgreSQL they are the database server's).
    public static func memoryLine(_ allocated: AllocatedPeak, sqlite: Bool = true) -> String {
        allocated.sample()
        guard allocatedMemoryMiB() != nil else { return "peak memory: \(peakMemoryMiB()) MiB" }
        return "peak memory: \(allocated.mebibytes) MiB allocated (\(peakMemoryMiB()) MiB resident\(sqlite ? ", with the database pages SQLite caches" : ""))"
    }

    public static func describe(_ s: ImportSummary, file: String) -> String {
        let counts = "\(Counted.english(s.dossiers, "dossier")) and \(Counted.english(s.persons, "person"))"
        let bad = s.skipped == 0 ? "no bad line" : s.skipped == 1 ? "1 bad line" : "\(s.skipped) bad lines"
        switch s.outcome {
        case .alreadyImported(let at):
            return "\(file) was imported whole on \(ISO8601DateFormatter().string(from: at)) (\(counts)): nothing to do"
        case .aborted:
            let many = s.skipped >= Importer.badLinesBeforeAbort ? " (checking stopped there: --dry-run checks every line)" : ""
            return "import aborted: \(s.skipped == 1 ? "a line is bad" : "\(s.skipped) lines are bad")\(many), see above; --on-error abort "
                + "writes nothing; fix the file or use --on-error skip"
        case .done where s.dryRun:
            return "dry run: \(Counted.english(s.lines, "line")) checked, \(bad); the import would store \(counts); nothing was written"
        case .done:
            let resumed = s.resumedAtLine.map { " (resumed at line \($0))" } ?? ""
            return "imported \(file)\(resumed): \(counts) stored, \(s.skipped) bad line\(s.skipped == 1 ? "" : "s") skipped; import \(s.runID ?? "")"
        }
    }

    public static func fraction(_ p: ImportProgress) -> Double {
        let total = p.totalBytes > p.startBytes ? Double(p.totalBytes - p.startBytes) : 1
        return min(1, Double(p.bytes - min(p.bytes, p.startBytes)) / total)
    }

    public static func bar(_ p: ImportProgress) -> String {
        let width = 24, f = fraction(p)
        let filled = Int((f * Double(width)).rounded(.down))
        return "\(p.phase.rawValue) [" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + text(p, prefix: false)
    }

    /// `importing 42%: 41000 lines, 8150 lines/s, 1m12s left, 3 bad`.
    public static func text(_ p: ImportProgress, prefix: Bool = true) -> String {
        if p.phase == .finishing {
            return "\(prefix ? "finishing " : "")\(Counted.english(p.lines, "line")) read: the last batch, then \(Counted.english(p.dossiers, "dossier")) and \(Counted.english(p.persons, "person")) move "
                + "from the stage into the registry, a table at a time, and its indexes are built (a line as each step ends)"
        }
        let f = fraction(p)
        let rate = p.seconds > 0 ? Double(p.lines) / p.seconds : 0
        let left = f > 0 ? p.seconds * (1 - f) / f : 0
        let head = prefix ? "\(p.phase.rawValue) " : ""
        return "\(head)\(Int(f * 100))%: \(p.lines) lines, \(Int(rate)) lines/s, \(duration(left)) left, \(p.skipped) bad"
    }

    /// One step of a bulk import's move, as it ends: `finishing: person: 1000000 rows moved in
    /// 1m12s` or `finishing: person_term: index person_term_by_person built in 41s`.
    public static func moveLine(_ step: StageMoveStep) -> String {
        let what = switch step.kind {
        case .moved(let rows): "\(Counted.english(rows, "row")) moved"
        case .indexBuilt(let name): "index \(name) built"
        }
        return "finishing: \(step.table): \(what) in \(duration(step.seconds))"
    }

    public static func duration(_ s: Double) -> String {
        let t = Int(s.rounded())
        return t >= 3600 ? "\(t / 3600)h\(String(format: "%02d", t % 3600 / 60))m" : t >= 60 ? "\(t / 60)m\(String(format: "%02d", t % 60))s" : "\(t)s"
    }
}
