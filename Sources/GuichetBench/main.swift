import Foundation
import GuichetCore
import GuichetProfile
import GuichetVault
import GuichetSynth
import GuichetPostgres

// guichet-bench: the benchmark suite (docs/BENCHMARKS.md). Run it through scripts/bench,
// which builds it in release mode, installs wrk and draws the plots.
//
//   guichet-bench --mode quick|default|full --out DIR [--profiles DIR] [--only http,import,ledger,policy,retention]
//                 [--postgres postgres://USER@HOST:PORT/DATABASE]   (the gate, the CSV import and the ledger's
//                 appends on PostgreSQL too; the gate and the import create and drop databases of their own there)

func argument(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

/// `guichet-bench --sample-csv PROFILE --lines N --file PATH`: writes the synthetic CSV export
/// that `guichet import` takes with the profile's sample mapping, and prints the organisations
/// its lines name (one `KIND<TAB>NAME` a line) for the caller to provision first. Used by
/// `scripts/import-run` (the 1 M-line import with its progress and memory).
func sampleCSV(_ profile: String) throws {
    guard ImportSample.profiles.contains(profile) else { throw BenchError("--sample-csv takes one of \(ImportSample.profiles)") }
    guard let lines = argument("--lines").flatMap(Int.init), lines > 0 else { throw BenchError("--lines N (a positive number) is required") }
    guard let file = argument("--file") else { throw BenchError("--file PATH is required") }
    let persons = try ImportSample.write(profile: profile, lines: lines, to: file)
    for (kind, names) in ImportSample.organisations(profile).sorted(by: { $0.key < $1.key }) {
        for name in names { print("\(kind)\t\(name)") }
    }
    note("wrote \(lines) lines (\(persons) persons) to \(file)")
}

func main() async throws {
    if let profile = argument("--sample-csv") { return try sampleCSV(profile) }
    guard let mode = Plan.Mode(rawValue: argument("--mode") ?? "default") else { throw BenchError("--mode is quick, default or full") }
    guard let outPath = argument("--out") else { throw BenchError("--out DIR is required") }
    let plan = Plan(mode)
    let out = URL(fileURLWithPath: outPath)
    let profiles = URL(fileURLWithPath: argument("--profiles") ?? "profiles")
    let only = Set((argument("--only") ?? "http,import,ledger,policy,retention").split(separator: ",").map(String.init))
    let work = out.appendingPathComponent("work")
    try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: work) }
    let keyFile = work.appendingPathComponent("guichet.keys").path
    try KeySet.generate().write(to: keyFile)
    let keys = try FileKeyProvider(path: keyFile)
    let place05 = try ProfileLoader.load(path: profiles.appendingPathComponent("place05").path)

    let iso = ISO8601DateFormatter()
    var results = Results(mode: mode.rawValue, startedAt: iso.string(from: Date()), finishedAt: "",
                          machine: Results.machine(load: Results.loadAverage()))
    note("mode \(mode.rawValue), results in \(out.path)")
    if only.contains("policy") { results.policy = try PolicyBench(profilesFolder: profiles, plan: plan).run() }
    // A PostgreSQL server (scripts/bench starts a throw-away cluster): the gate, the CSV import
    // and the ledger's appends are measured there too, beside SQLite (issue 19).
    let postgres = try argument("--postgres").map { try PostgresAddress(parsing: $0) }
    if only.contains("http") {
        var bench = HTTPBench(profile: place05, keyFile: keyFile, work: work, plan: plan)
        bench.postgres = postgres
        results.http = try await bench.run()
    }
    // `persons`: the bulk import's comparison alone; `import`: it, then the CSV path's.
    if only.contains("import") || only.contains("persons") {
        let imports = try await ImportBench(profile: place05, keys: keys, work: work, plan: plan).run()
        results.imports = imports
    }
    if only.contains("import") {
        let imports = results.imports ?? []
        var bench = CSVImportBench(profile: place05, profilesFolder: profiles, keys: keys, work: work, plan: plan)
        bench.postgres = postgres
        let csv = try await bench.run(against: imports)
        results.csvImports = csv.points
        results.csvImportsPostgres = csv.postgres
    }
    if only.contains("retention") { results.retention = try await RetentionBench(profile: place05, keys: keys, work: work, plan: plan).run() }
    if only.contains("ledger") {
        var bench = LedgerBench(profile: place05, keyFile: keyFile, work: work, plan: plan)
        bench.postgres = postgres
        results.ledger = try await bench.run()
    }
    results.finishedAt = iso.string(from: Date())
    results.machine.loadAverageAtEnd = Results.loadAverage()
    results.summarise()

    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    try encoder.encode(results).write(to: out.appendingPathComponent("results.json"))
    try Data(results.markdown().utf8).write(to: out.appendingPathComponent("results.md"))
    note("wrote \(out.appendingPathComponent("results.json").path) and results.md")
}

do {
    try await main()
} catch {
    note("failed: \(error)")
    exit(1)
}
