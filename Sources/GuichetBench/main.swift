import Foundation
import GuichetCore
import GuichetProfile
import GuichetVault

// guichet-bench: the benchmark suite (docs/BENCHMARKS.md). Run it through scripts/bench,
// which builds it in release mode, installs wrk and draws the plots.
//
//   guichet-bench --mode quick|default|full --out DIR [--profiles DIR] [--only http,import,ledger,policy]

func argument(_ name: String) -> String? {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: name), i + 1 < args.count else { return nil }
    return args[i + 1]
}

func main() async throws {
    guard let mode = Plan.Mode(rawValue: argument("--mode") ?? "default") else { throw BenchError("--mode is quick, default or full") }
    guard let outPath = argument("--out") else { throw BenchError("--out DIR is required") }
    let plan = Plan(mode)
    let out = URL(fileURLWithPath: outPath)
    let profiles = URL(fileURLWithPath: argument("--profiles") ?? "profiles")
    let only = Set((argument("--only") ?? "http,import,ledger,policy").split(separator: ",").map(String.init))
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
    if only.contains("http") { results.http = try await HTTPBench(profile: place05, keyFile: keyFile, work: work, plan: plan).run() }
    if only.contains("import") {
        let imports = try await ImportBench(profile: place05, keys: keys, work: work, plan: plan).run()
        results.imports = imports
        results.csvImports = try await CSVImportBench(profile: place05, profilesFolder: profiles, keys: keys, work: work, plan: plan)
            .run(against: imports)
    }
    if only.contains("ledger") { results.ledger = try await LedgerBench(profile: place05, keyFile: keyFile, work: work, plan: plan).run() }
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
