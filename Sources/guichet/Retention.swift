import ArgumentParser
import Foundation
import GuichetDeployment
import GuichetCore
import GuichetGate
import GuichetStore

/// `guichet retention`: the profile's retention rules (the work is the gate's,
/// `Gate+Retention.swift`; docs/LIFECYCLE.md).
struct RetentionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retention",
        abstract: "Apply the profile's retention rules: archive, then erase by crypto-shredding at expiry.",
        subcommands: [Run.self])

    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Archive and erase what the profile's retention rules say is due, in journalled batches.",
            discussion: """
                Each batch is journalled in the ledger, then done in one transaction. Interrupted? Run it again: it goes on \
                where it stopped. --dry-run lists what would be archived and erased, and changes nothing. \
                A running server does the same once a day.
                """)
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(help: "Key file (default DATA/guichet.keys, or GUICHET_KEYS_FILE).") var keys: String?
        @Option(help: "Profile name or path (default: the one in guichet.yaml).") var profile: String?
        @Flag(name: .customLong("dry-run"), help: "List what would go; change nothing.") var dryRun = false
        @Option(help: "Dossiers per transaction and per ledger entry.") var batch = 1_000

        func validate() throws {
            guard (1...Gate.maxRetentionBatch).contains(batch) else { throw ValidationError("--batch is from 1 to \(Gate.maxRetentionBatch)") }
        }

        func run() async throws {
            let registry = try await Deployment(data).openMaintenance(keys: keys, profile: profile).registry
            if registry.gate.profile.retention.rules.isEmpty { say("the profile declares no retention rule: nothing to do"); return }
            let report = try await registry.gate.runRetention(dryRun: dryRun, batch: batch) { p in
                note("  \(p.dossierType) \(p.state): \(p.step.rawValue) \(Counted.english(p.dossiers, "dossier"))\(p.step == .erase ? ", \(Counted.english(p.persons, "person"))" : "")")
            }
            for id in report.wouldErase { say("would erase \(id.rawValue)") }
            for id in report.wouldArchive { say("would archive \(id.rawValue)") }
            for s in report.steps {
                let verb = dryRun ? "would \(s.step.rawValue)" : (s.step == .erase ? "erased" : "archived")
                say("\(s.dossierType) \(s.state): \(verb) \(Counted.english(s.dossiers, "dossier"))\(s.step == .erase ? " (\(Counted.english(s.persons, "person")))" : "")")
            }
            if report.keptErased > 0 {
                say("fields kept for a legal duty, term over: \(report.keptErased) sets \(dryRun ? "would be" : "were") destroyed")
            }
            say(dryRun ? "dry run: nothing changed (would erase \(Counted.english(report.personsErased, "person")))" : "retention done: \(report.archived) archived, \(report.erased) erased, \(Counted.english(report.personsErased, "person")) erased")
        }
    }
}
