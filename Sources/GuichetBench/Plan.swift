import Foundation

/// How much each benchmark does, per mode. Quick is a smoke run (a couple of minutes on two
/// cores); default is the reference run (about 10-15 minutes); full adds the 10 M sizes (the
/// import at 10 M encrypted only, to check the extrapolation to 43 M).
struct Plan: Sendable {
    enum Mode: String, Sendable { case quick, `default`, full }
    let mode: Mode
    /// Dossiers of the synthetic R1 registry served over HTTP.
    let httpDossiers: Int
    /// Seconds of load per wrk run (after one second of warm-up).
    let httpSeconds: Int
    /// wrk's connection counts; `GUICHET_BENCH_HTTP_CONNECTIONS` (comma-separated) replaces
    /// them, to look at one point closely (2 and 4 connections: what a small office sends).
    let connections = ProcessInfo.processInfo.environment["GUICHET_BENCH_HTTP_CONNECTIONS"]?.split(separator: ",")
        .compactMap { Int($0) }.filter { $0 > 0 }.nonEmpty ?? [1, 32, 128]
    /// Persons imported, one fresh database per size and variant.
    let importSizes: [Int]
    /// Persons of the CSV imports also run on PostgreSQL (`--postgres`): one small size in
    /// quick mode (CI's smoke test runs it on a debug build), up to 1 M otherwise (issue 19).
    let postgresImportSizes: [Int]
    /// Persons read back, one at a time, after each import.
    let readSample: Int
    let writers = [1, 32, 256]
    /// Seconds of appending per writer count.
    let appendSeconds: Double
    /// Ledger sizes at which verification and the "what did account X see" queries run.
    let ledgerSizes: [Int]
    /// Answer sizes of those queries (entries of one account, accesses to one person).
    let answerSizes = [10, 100, 1_000]
    /// Repetitions of each query (the median is kept).
    let queryRepeats: Int
    /// Policy decisions timed per profile.
    let policyDecisions: Int
    /// Persons in the registry a retention run goes over (`RetentionBench`).
    let retentionSizes: [Int]

    init(_ mode: Mode) {
        self.mode = mode
        switch mode {
        case .quick:
            httpDossiers = 2_000; httpSeconds = 3
            importSizes = [2_500, 10_000]; readSample = 2_000; postgresImportSizes = [2_500]
            appendSeconds = 2; ledgerSizes = [10_000, 100_000]; queryRepeats = 5; policyDecisions = 200_000
            retentionSizes = [10_000]
        case .default:
            httpDossiers = 20_000; httpSeconds = 10
            importSizes = [10_000, 100_000, 1_000_000]; readSample = 10_000; postgresImportSizes = [10_000, 100_000, 1_000_000]
            appendSeconds = 5; ledgerSizes = [10_000, 100_000, 1_000_000]; queryRepeats = 15; policyDecisions = 1_000_000
            retentionSizes = [10_000, 100_000]
        case .full:
            httpDossiers = 86_000; httpSeconds = 15
            importSizes = [10_000, 100_000, 1_000_000, 10_000_000]; readSample = 10_000; postgresImportSizes = [10_000, 100_000, 1_000_000]
            appendSeconds = 10; ledgerSizes = [10_000, 100_000, 1_000_000, 10_000_000]; queryRepeats = 15; policyDecisions = 1_000_000
            retentionSizes = [10_000, 100_000, 1_000_000]
        }
    }
}

extension Array {
    /// Self, or nil when empty.
    var nonEmpty: Self? { isEmpty ? nil : self }
}

/// Progress on standard error (the results go to files).
func note(_ message: String) {
    FileHandle.standardError.write(Data("[bench \(Date().formatted(.dateTime.hour().minute().second()))] \(message)\n".utf8))
}

/// Nanoseconds of a monotonic clock.
@inline(__always) func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Seconds elapsed running `body`.
func timed<T>(_ body: () async throws -> T) async rethrows -> (T, Double) {
    let t0 = now()
    let value = try await body()
    return (value, Double(now() - t0) / 1e9)
}

/// The value at quantile q (0...1) of sorted values (nearest rank).
func quantile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return .nan }
    let rank = Int((q * Double(sorted.count)).rounded(.up)) - 1
    return sorted[min(max(rank, 0), sorted.count - 1)]
}

func median(_ values: [Double]) -> Double { quantile(values.sorted(), 0.5) }

/// The least-squares slope of log(y) against log(x): 1 means linear growth, 0 flat, 2 quadratic.
func logLogSlope(_ points: [(x: Double, y: Double)]) -> Double? {
    let p = points.filter { $0.x > 0 && $0.y > 0 }
    guard p.count >= 2 else { return nil }
    let xs = p.map { log($0.x) }, ys = p.map { log($0.y) }
    let mx = xs.reduce(0, +) / Double(p.count), my = ys.reduce(0, +) / Double(p.count)
    var num = 0.0, den = 0.0
    for (x, y) in zip(xs, ys) { num += (x - mx) * (y - my); den += (x - mx) * (x - mx) }
    return den == 0 ? nil : num / den
}

/// A fresh folder for one benchmark's databases.
func freshFolder(_ base: URL, _ name: String) throws -> URL {
    let url = base.appendingPathComponent(name)
    try? FileManager.default.removeItem(at: url)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs a program and returns its standard output (standard error is passed through).
func runProgram(_ path: String, _ arguments: [String]) throws -> String {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: path)
    p.arguments = arguments
    let out = Pipe()
    p.standardOutput = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw BenchError("\(path) exited with status \(p.terminationStatus)") }
    return String(decoding: data, as: UTF8.self)
}

/// Runs a program on a thread of its own and waits for it without holding a thread of Swift's
/// cooperative pool: the HTTP benchmark's server runs in this process, and on two cores that
/// pool has two threads, so waiting on one for wrk's whole run left the server one (issue 18).
func runProgramOffPool(_ path: String, _ arguments: [String]) async throws -> String {
    try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<String, any Error>) in
        let thread = Thread { continuation.resume(with: Result { try runProgram(path, arguments) }) }
        thread.start()
    }
}

/// The process's memory now, from /proc/self/status: allocated (RssAnon) and resident
/// (VmRSS) bytes; nil where the file is missing (not Linux).
func processMemory() -> (allocated: Int64, resident: Int64)? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    func kib(_ key: String) -> Int64? {
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(key + ":") }) else { return nil }
        return line.split(separator: " ").dropFirst().first.flatMap { Int64($0) }.map { $0 * 1024 }
    }
    guard let anon = kib("RssAnon"), let rss = kib("VmRSS") else { return nil }
    return (anon, rss)
}

/// Finds a program on PATH.
func which(_ name: String) -> String? {
    for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
        let path = "\(dir)/\(name)"
        if FileManager.default.isExecutableFile(atPath: path) { return path }
    }
    return nil
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
