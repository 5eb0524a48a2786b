import ArgumentParser
import Foundation
import GuichetCore
import GuichetGate
import GuichetStore
import GuichetDeployment

/// `guichet backup`: a consistent copy of a data folder's database while its server runs.
struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the registry's database into one file (mode 0600) while the server runs; the key file is never in it.",
        discussion: "Uses SQLite's online backup API: the copy is one consistent snapshot. Back the key file up apart (docs/KEYS.md).")

    @Option(help: "Data folder (env GUICHET_DATA; default guichet-data).") var data: String?
    @Option(help: "The backup file to write; an existing file is never overwritten.") var out: String

    func run() throws {
        let deployment = Deployment(data ?? ProcessInfo.processInfo.environment["GUICHET_DATA"] ?? "guichet-data")
        do { try deployment.requireSQLite("guichet backup", instead: "back it up with PostgreSQL's own tools (pg_dump or base backups; docs/SCALING.md)") } catch let e as DeploymentError {
            throw CommandError(e.description)
        }
        // The target is checked before the command says it starts (an operator's audit).
        do { try Store.checkBackupTarget(out) } catch let e as BackupError { throw CommandError(e.description) }
        // A large registry takes minutes to copy (R4: tens of gigabytes): say so before, not after.
        if let size = (try? FileManager.default.attributesOfItem(atPath: deployment.database)[.size] as? NSNumber)?.int64Value, size > 0 {
            note("copying \(deployment.database) (\(max(1, size / 1_000_000)) MB, plus its WAL) into \(out) as one snapshot; the server keeps serving meanwhile")
        }
        let summary: BackupSummary
        do { summary = try Store.backup(database: deployment.database, to: out) } catch let e as BackupError {
            throw CommandError(e.description)
        } catch let e as StoreError { throw CommandError(e.description) }
        let signed = summary.checkpointSize.map { "the latest signed checkpoint covers \($0)" } ?? "no signed checkpoint yet"
        say("backup written to \(out) (\(summary.bytes) bytes, mode 0600): \(Counted.english(summary.ledgerEntries, "ledger entry", "ledger entries")), \(signed)")
        say("the key file is not in the backup: keep a copy of it apart (docs/KEYS.md); a restore needs it")
    }
}

/// `guichet restore`: puts a backup in place once its ledger verifies.
struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Restore a backup into a data folder, once it proves whole: SQLite's check, the keys, and the ledger against its signed checkpoints.",
        discussion: "The registry's key file must be in place first (DATA/guichet.keys, --keys, GUICHET_KEYS_FILE or GUICHET_KEYS), with its erasure list beside it (guichet.keys.erasures): the erasures made after the backup are applied again from it.")

    @Option(help: "The backup file ('guichet backup --out').") var from: String
    @Option(help: "Data folder to restore into (env GUICHET_DATA; default guichet-data).") var data: String?
    @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?
    @Flag(help: "Overwrite the registry already in the data folder (stop its server first).") var replace = false
    @Flag(help: "Restore although the erasure list (guichet.keys.erasures, beside the key file) is lost: erasures made after the backup are undone until carried out again.")
    var withoutErasureList = false

    func run() async throws {
        let deployment = Deployment(data ?? ProcessInfo.processInfo.environment["GUICHET_DATA"] ?? "guichet-data")
        let report: RestoreReport
        do { report = try await deployment.restore(from: from, replace: replace, keys: keys, withoutErasureList: withoutErasureList) } catch let e as DeploymentError {
            throw CommandError(e.description)
        }
        let signed = report.checkpointSize.map { "the latest covers \(Counted.english($0, "entry", "entries"))" } ?? "none yet"
        say("restored \(from) into \(deployment.database)\(report.replaced ? ", replacing the registry that was there" : "")")
        say("ledger verified: \(Counted.english(report.ledgerEntries, "entry", "entries")), \(Counted.english(report.checkpoints, "signed checkpoint")) (\(signed)), all match; profile \(report.profile)")
        say("start it with: \(deployment.serveCommand(keys: keys))")
    }
}
