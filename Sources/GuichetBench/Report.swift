import Foundation

/// results.md: the same figures as results.json, as Markdown tables.
extension Results {
    func markdown() -> String {
        var md: [String] = []
        func f(_ v: Double, _ digits: Int = 1) -> String { v.isFinite ? String(format: "%.\(digits)f", v) : "–" }
        func n(_ v: Int) -> String { v.formatted() }
        md.append("# Guichet benchmarks: \(mode) run")
        md.append("")
        md.append("Started \(startedAt), finished \(finishedAt). Machine: \(machine.cores) cores (\(machine.cpu)), \(f(machine.memoryGB)) GiB, \(machine.os); load average \(machine.loadAverageAtStart) at the start, \(machine.loadAverageAtEnd) at the end (the machine is shared: other load skews every figure).")
        if build == "debug" {
            md.append("")
            md.append("**A debug build**: this run checks that every benchmark starts and writes its results; none of its figures means anything (`./scripts/bench` without `--debug` measures on a release build).")
        }
        md.append("")
        md.append("## Targets")
        md.append("")
        md.append("| target | wanted | measured | met |")
        md.append("|---|---|---|---|")
        for t in targets { md.append("| \(t.name) | \(t.target) | \(t.measured) | \(t.met ? "yes" : "**no**") |") }
        md.append("")
        if !extrapolations.isEmpty {
            md.append("## Extrapolations")
            md.append("")
            for e in extrapolations { md.append("- \(e)") }
            md.append("")
        }
        md.append("## Curves that grow faster than they should")
        md.append("")
        if flags.isEmpty { md.append("None: every size curve grows at most linearly (log-log slope ≤ 1.15), and every query curve stays flat.") }
        for fl in flags { md.append("- **\(fl)**") }
        md.append("")
        if let http {
            md.append("## HTTP read of one dossier (wrk, loopback, \(http.secondsPerRun) s per run)")
            md.append("")
            md.append("\(n(http.dossiers)) dossiers, \(n(http.persons)) persons; the gate runs appended \(n(Int(http.ledgerEntries))) ledger entries. Baseline: same session check, plaintext copy, no policy, no encryption, no ledger. Gate: policy, durable ledger append, decryption. Gate + watch: the same with every detector of the profile's watch (responses set to alert only, so that the load is not throttled).")
            md.append("")
            md.append("| connections | baseline req/s | gate req/s | ratio | gate + watch req/s | ratio | baseline p50 / p99 ms | gate p50 / p99 ms | gate + watch p50 / p99 ms | socket errors (baseline, gate, + watch) |")
            md.append("|---|---|---|---|---|---|---|---|---|---|")
            for c in Set(http.points.map(\.connections)).sorted() {
                guard let b = http.points.first(where: { $0.route == "baseline" && $0.connections == c }),
                      let g = http.points.first(where: { $0.route == "gate" && $0.connections == c }),
                      let w = http.points.first(where: { $0.route == "gate+watch" && $0.connections == c }) else { continue }
                md.append("| \(c) | \(f(b.requestsPerSecond, 0)) | \(f(g.requestsPerSecond, 0)) | \(f(g.requestsPerSecond / b.requestsPerSecond, 2)) | \(f(w.requestsPerSecond, 0)) | \(f(w.requestsPerSecond / b.requestsPerSecond, 2)) | \(f(b.p50Millis, 2)) / \(f(b.p99Millis, 2)) | \(f(g.p50Millis, 2)) / \(f(g.p99Millis, 2)) | \(f(w.p50Millis, 2)) / \(f(w.p99Millis, 2)) | \(b.socketErrors), \(g.socketErrors), \(w.socketErrors) |")
            }
            md.append("")
            md.append("The server's allocated memory (RssAnon, MiB) during each run, sampled every half second: start / peak / end.")
            md.append("")
            md.append("| route | connections | start | peak | end |")
            md.append("|---|---|---|---|---|")
            for p in http.points {
                guard let a = p.memoryStartMiB, let peak = p.memoryPeakMiB, let e = p.memoryEndMiB else { continue }
                md.append("| \(p.route) | \(p.connections) | \(f(a, 0)) | \(f(peak, 0)) | \(f(e, 0)) |")
            }
            md.append("")
            if let pg = http.postgres {
                md.append("## The gate on PostgreSQL (same dossiers, same session, same sample of ids)")
                md.append("")
                md.append("The registry above copied into a database of a throw-away PostgreSQL 15 cluster on this machine (synchronous_commit on) and opened there as `guichet serve --store postgres://…` opens it: \(n(pg.dossiers)) dossiers (copied in \(f(pg.copySeconds)) s, not timed below); its plaintext copy copied into a second database for the baseline, read by the same route through the same server and session; both read after SQLite's runs; the gate without the watch; \(n(Int(pg.ledgerEntries))) ledger entries appended on PostgreSQL. Ratios from this run.")
                md.append("")
                md.append("| connections | baseline on PostgreSQL req/s | gate on PostgreSQL req/s | **gate / baseline** | baseline p50 / p99 ms | gate p50 / p99 ms | SQLite gate req/s | PostgreSQL / SQLite gate | socket errors | memory start / peak / end MiB (gate) |")
                md.append("|---|---|---|---|---|---|---|---|---|---|")
                for p in pg.points where p.route == "gate on PostgreSQL" {
                    guard let b = pg.points.first(where: { $0.route == "baseline on PostgreSQL" && $0.connections == p.connections }),
                          let g = http.points.first(where: { $0.route == "gate" && $0.connections == p.connections }) else { continue }
                    let memory = [p.memoryStartMiB, p.memoryPeakMiB, p.memoryEndMiB].map { $0.map { f($0, 0) } ?? "–" }.joined(separator: " / ")
                    md.append("| \(p.connections) | \(f(b.requestsPerSecond, 0)) | \(f(p.requestsPerSecond, 0)) | \(f(p.requestsPerSecond / b.requestsPerSecond, 2)) | \(f(b.p50Millis, 2)) / \(f(b.p99Millis, 2)) | \(f(p.p50Millis, 2)) / \(f(p.p99Millis, 2)) | \(f(g.requestsPerSecond, 0)) | \(f(p.requestsPerSecond / g.requestsPerSecond, 2)) | \(b.socketErrors + p.socketErrors) | \(memory) |")
                }
                md.append("")
            }
        }
        if let imports {
            md.append("## Import and read of N persons")
            md.append("")
            md.append("Plaintext: the same rows in clear, plain look-up terms, no data key. Encrypted: a data key per person wrapped by the KEK, AES-256-GCM per field, HMAC blind indexes (production path). Times exclude generating the synthetic input. Reads: one person at a time by id, all fields.")
            md.append("")
            md.append("| persons | plaintext persons/s | encrypted persons/s | ratio | plaintext / encrypted s (of which writing) | database MB (plain / enc) | reads/s (plain / enc) | read p50 µs (plain / enc) | read p99 µs (plain / enc) |")
            md.append("|---|---|---|---|---|---|---|---|---|")
            for size in Set(imports.map(\.persons)).sorted() {
                guard let e = imports.first(where: { $0.persons == size && $0.variant == "encrypted" }) else { continue }
                // The full mode's 10 M is bulk only (the table below); a size without a plaintext run says so in its cells.
                let p = imports.first(where: { $0.persons == size && $0.variant == "plaintext" })
                func plain(_ value: (ImportBench.Point) -> String) -> String { p.map(value) ?? "–" }
                md.append("| \(n(size)) | \(plain { f($0.personsPerSecond, 0) }) | \(f(e.personsPerSecond, 0)) | \(plain { f(e.personsPerSecond / $0.personsPerSecond, 2) }) | \(plain { "\(f($0.seconds)) (\(f($0.writeSeconds)))" }) / \(f(e.seconds)) (\(f(e.writeSeconds))) | \(plain { f(Double($0.databaseBytes) / 1e6, 0) }) / \(f(Double(e.databaseBytes) / 1e6, 0)) | \(plain { f($0.readsPerSecond, 0) }) / \(f(e.readsPerSecond, 0)) | \(plain { f($0.readP50Micros) }) / \(f(e.readP50Micros)) | \(plain { f($0.readP99Micros) }) / \(f(e.readP99Micros)) |")
            }
            let bulk = imports.filter { $0.variant == "bulk" }.sorted { $0.persons < $1.persons }
            if !bulk.isEmpty {
                md.append("")
                md.append("Bulk path (`guichet import --bulk`): the same sealed batches appended to stage tables without key or index, in a database file of their own, then moved into the registry's tables one table at a time (a transaction each, in the order of its key, its foreign keys checked first), secondary indexes built after. Ratio: against the encrypted import above at the same size, in this run.")
                md.append("")
                md.append("| persons | bulk persons/s | seconds (of which writing; of which the move) | ratio to the encrypted import | database MB | reads/s | read p50 / p99 µs |")
                md.append("|---|---|---|---|---|---|---|")
                for b in bulk {
                    let e = imports.first { $0.persons == b.persons && $0.variant == "encrypted" }
                    md.append("| \(n(b.persons)) | \(f(b.personsPerSecond, 0)) | \(f(b.seconds)) (\(f(b.writeSeconds)); \(f(b.moveSeconds ?? 0))) | \(e.map { f(b.personsPerSecond / $0.personsPerSecond, 2) } ?? "–") | \(f(Double(b.databaseBytes) / 1e6, 0)) | \(f(b.readsPerSecond, 0)) | \(f(b.readP50Micros)) / \(f(b.readP99Micros)) |")
                }
            }
            md.append("")
        }
        if let retention, !retention.isEmpty {
            md.append("## Retention run (`guichet retention run`, place05's rules)")
            md.append("")
            md.append("Applications of a child and a parent: 60 % withdrawn over a year ago (erased with both persons), 20 % closed over 90 days ago (archived), 20 % waiting. Batches of 1,000, one ledger entry each. Each erased application's fields kept for a legal duty are copied under a key of their own, and each archived one's data keys re-wrapped under the archive key, as the profile and key file say. Idle: a second run that finds nothing.")
            md.append("")
            md.append("| persons | dossiers | fill s | dry run s | run s | erased dossiers | erased persons | archived | dossiers/s | ledger entries | idle run s |")
            md.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
            for r in retention {
                md.append("| \(n(r.persons)) | \(n(r.dossiers)) | \(f(r.fillSeconds)) | \(f(r.dryRunSeconds, 2)) | \(f(r.runSeconds, 2)) | \(n(r.erasedDossiers)) | \(n(r.erasedPersons)) | \(n(r.archivedDossiers)) | \(f(r.dossiersPerSecond, 0)) | \(n(Int(r.ledgerEntries))) | \(f(r.idleRunSeconds, 2)) |")
            }
            md.append("")
        }
        if let csvImports, !csvImports.isEmpty {
            md.append("## CSV import through the gate (`guichet import`)")
            md.append("")
            md.append("place05's sample export (one application a line: a child, one or two parents, up to three services), streamed, validated, sealed, one journal entry per dossier, 1,000 lines a transaction. Ratio: its persons/s over the encrypted bulk import's (above) at the nearest size, in this run.")
            md.append("")
            md.append("| lines | persons | seconds | lines/s | persons/s | ratio to the encrypted import (its size) |")
            md.append("|---|---|---|---|---|---|")
            for c in csvImports {
                let ratio = c.ratioToEncryptedImport.map { "\(f($0, 2)) (\(n(c.encryptedImportPersons ?? 0)))" } ?? "–"
                md.append("| \(n(c.lines)) | \(n(c.persons)) | \(f(c.seconds)) | \(f(c.linesPerSecond, 0)) | \(f(c.personsPerSecond, 0)) | \(ratio) |")
            }
            md.append("")
        }
        if let pg = csvImportsPostgres, !pg.isEmpty {
            md.append("## CSV import through the gate on PostgreSQL")
            md.append("")
            md.append("The same files, right after SQLite's import of each, into a fresh registry on a throw-away PostgreSQL 15 cluster on this machine (synchronous_commit on; the same 1,000 lines a transaction). Ratio: persons/s on PostgreSQL / on SQLite, this run. Each batch's rows are written table by table as one `INSERT … SELECT FROM unnest(arrays)` (the default); the same file is then imported again into another fresh database with each table's rows streamed by `COPY … FROM STDIN`, and the last column compares the two.")
            md.append("")
            md.append("| lines | persons | SQLite s | PostgreSQL s | PostgreSQL lines/s | PostgreSQL persons/s | ratio to SQLite | COPY s | COPY persons/s | COPY / unnest |")
            md.append("|---|---|---|---|---|---|---|---|---|---|")
            for p in pg {
                let sqlite = csvImports?.first { $0.lines == p.lines }?.seconds
                md.append("| \(n(p.lines)) | \(n(p.persons)) | \(sqlite.map { f($0) } ?? "–") | \(f(p.seconds)) | \(f(p.linesPerSecond, 0)) | \(f(p.personsPerSecond, 0)) | \(f(p.ratioToSQLite, 2)) | "
                          + "\(p.copySeconds.map { f($0) } ?? "–") | \(p.copyPersonsPerSecond.map { f($0, 0) } ?? "–") | \(p.copyToArrays.map { f($0, 2) } ?? "–") |")
            }
            md.append("")
        }
        if let ledger {
            md.append("## Ledger: durable appends (synchronous = FULL, group commit)")
            md.append("")
            md.append("| writers | entries | entries/s | append p50 ms | append p99 ms |")
            md.append("|---|---|---|---|---|")
            for a in ledger.appends { md.append("| \(a.writers) | \(n(a.entries)) | \(f(a.entriesPerSecond, 0)) | \(f(a.p50Millis, 2)) | \(f(a.p99Millis, 2)) |") }
            md.append("")
            if let pg = ledger.postgresAppends {
                md.append("## Ledger: durable appends on PostgreSQL (synchronous_commit = on, group commit, one advisory lock)")
                md.append("")
                md.append("| writers | entries | entries/s | append p50 ms | append p99 ms | / SQLite |")
                md.append("|---|---|---|---|---|---|")
                for a in pg {
                    let sqlite = ledger.appends.first { $0.writers == a.writers }?.entriesPerSecond ?? 0
                    md.append("| \(a.writers) | \(n(a.entries)) | \(f(a.entriesPerSecond, 0)) | \(f(a.p50Millis, 2)) | \(f(a.p99Millis, 2)) | \(sqlite > 0 ? f(a.entriesPerSecond / sqlite, 2) : "–") |")
                }
                md.append("")
            }
            md.append("## Ledger: verification against sha256sum of the same bytes")
            md.append("")
            md.append("sha256sum (coreutils) hashes in plain C; `openssl dgst -sha256` uses the CPU's SHA instructions, as Guichet's SHA-256 does.")
            md.append("")
            md.append("The indexes' pass is `guichet ledger verify`'s second pass (every look-up index against the entries), timed on its own; the ratios are the tree's pass alone.")
            md.append("")
            md.append("| entries | bytes (MB) | guichet verify s | MB/s | sha256sum s | MB/s | ratio | openssl s | MB/s | ratio to openssl | indexes' pass s | time to append them all (s) |")
            md.append("|---|---|---|---|---|---|---|---|---|---|---|---|")
            for v in ledger.verification {
                md.append("| \(n(v.entries)) | \(f(Double(v.bytes) / 1e6)) | \(f(v.verifySeconds, 2)) | \(f(v.verifyMBps)) | \(f(v.sha256sumSeconds, 3)) | \(f(v.sha256sumMBps)) | \(f(v.ratio, 3)) | "
                          + "\(v.opensslSeconds.map { f($0, 3) } ?? "–") | \(v.opensslMBps.map { f($0) } ?? "–") | \(v.opensslRatio.map { f($0, 3) } ?? "–") | "
                          + "\(v.indexesSeconds.map { f($0, 2) } ?? "–") | \(f(v.fillSeconds)) |")
            }
            md.append("")
            md.append("## Ledger: breach scope of one account, one person's access history with proofs (median of repeats, ms)")
            md.append("")
            let answers = Set(ledger.queries.map(\.answer)).sorted()
            md.append("| ledger entries | " + answers.map { "account, \($0)" }.joined(separator: " | ") + " | " + answers.map { "person, \($0)" }.joined(separator: " | ") + " |")
            md.append("|---|" + String(repeating: "---|", count: answers.count * 2))
            for size in Set(ledger.queries.map(\.ledgerEntries)).sorted() {
                let cells = ["account-saw", "person-history"].flatMap { q in answers.map { a in
                    ledger.queries.first { $0.query == q && $0.answer == a && $0.ledgerEntries == size }.map { f($0.medianMillis, 2) } ?? "–" } }
                md.append("| \(n(size)) | " + cells.joined(separator: " | ") + " |")
            }
            md.append("")
        }
        if let policy {
            md.append("## Policy decision latency (per call, timer included)")
            md.append("")
            let gateP50 = http?.points.first { $0.route == "gate" && $0.connections == 1 }?.p50Millis
            md.append("| profile | mix | rules | decisions | allowed | median µs | p99 µs | mean µs | timer µs | share of one gate read (p50, 1 connection) |")
            md.append("|---|---|---|---|---|---|---|---|---|---|")
            for p in policy {
                let share = gateP50.map { f(p.medianNanos / ($0 * 1e6) * 100, 3) + " %" } ?? "–"
                md.append("| \(p.profile) | \(p.mix) | \(p.rules) | \(n(p.decisions)) | \(f(p.allowedShare * 100, 0)) % | \(f(p.medianNanos / 1000, 2)) | \(f(p.p99Nanos / 1000, 2)) | \(f(p.meanNanos / 1000, 2)) | \(f(p.timerNanos / 1000, 3)) | \(share) |")
            }
            md.append("")
        }
        md.append("## Log-log slopes of the size curves")
        md.append("")
        md.append("| figure | series | expected | slope |")
        md.append("|---|---|---|---|")
        for fig in figures where fig.expected != "none" {
            for s in fig.series { md.append("| \(fig.title) | \(s.label) | \(fig.expected) | \(s.slope.map { f($0, 2) } ?? "–") |") }
        }
        md.append("")
        return md.joined(separator: "\n")
    }
}
