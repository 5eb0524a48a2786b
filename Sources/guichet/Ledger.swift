import ArgumentParser
import Foundation
import GuichetCore
import GuichetGate
import GuichetLedger
import GuichetMerkle
import GuichetDeployment
import GuichetServer

/// `guichet ledger`: verify the access ledger, prove entries, sign checkpoints.
struct Ledger: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Verify the tamper-evident access ledger, prove its entries, sign checkpoints.",
        subcommands: [Verify.self, Checkpoint.self, Prove.self, History.self])

    struct Options: ParsableArguments {
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?

        func open() async throws -> GuichetServer {
            try await Deployment(data).openServer(keys: keys)
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the whole tree from storage, check every signed checkpoint, and name the first entry that does not match.")
        @OptionGroup var options: Options
        @Flag(help: "Skip the second pass, which checks the look-up indexes (account, session, person, dossier, time) against the entries.")
        var noIndexes = false
        @Option(name: .customLong("checkpoint"),
                help: "A signed checkpoint kept outside the database (GET /v1/ledger/checkpoint saved by a witness, or 'guichet ledger checkpoint' output): the ledger must hold it. Repeatable.")
        var kept: [String] = []
        func run() async throws {
            let notes = try kept.map { path in
                guard let text = FileManager.default.contents(atPath: path).flatMap({ String(data: $0, encoding: .utf8) }) else {
                    throw CommandError("cannot read the checkpoint file '\(path)'")
                }
                return text
            }
            let server = try await options.open()
            let report = try await server.gate.auditor.verify(kept: notes) { done, total in note("  checked \(done) / \(total) entries") }
            if let problem = report.problem {
                throw CommandError("ledger verification FAILED: \(problem)")
            }
            say("ledger verified: \(Counted.english(report.entries, "entry", "entries")), \(Counted.english(report.checkpoints, "signed checkpoint"))"
                + (notes.isEmpty ? "" : " and \(Counted.english(notes.count, "checkpoint")) kept outside") + ", all match")
            guard !noIndexes else { return }
            let indexes = try await server.gate.auditor.verifyIndexes(size: report.entries) { done, total in
                note("  indexes: read \(done) / \(total) entries")
            }
            if let problem = indexes.problem {
                throw CommandError("ledger index verification FAILED: \(problem)")
            }
            say("indexes verified: the account, session, source, person, dossier and time rows of every entry match it")
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Sign a checkpoint of the ledger now and print it.")
        @OptionGroup var options: Options
        func run() async throws {
            let server = try await options.open()
            say(try await server.gate.checkpoint(at: Date()))
        }
    }

    struct Prove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print an inclusion proof (--index N) or a consistency proof (--from A --to B), as JSON.")
        @OptionGroup var options: Options
        @Option(help: "The entry to prove.") var index: Int64?
        @Option(help: "Tree size for the inclusion proof (default: the ledger's size).") var size: Int64?
        @Option(help: "Older tree size.") var from: Int64?
        @Option(help: "Newer tree size.") var to: Int64?

        func validate() throws {
            guard (index != nil) != (from != nil && to != nil) else { throw ValidationError("give either --index, or --from and --to") }
            if let from, let to, from > to { throw ValidationError("--from must not be after --to") }
        }

        func run() async throws {
            let server = try await options.open()
            let auditor = server.gate.auditor
            let object: [String: Any]
            if let index {
                let head = try await server.gate.ledgerSize()
                let treeSize = size ?? head
                let (entry, proof) = try await auditor.inclusion(index: index, size: treeSize)
                object = ["index": index, "treeSize": treeSize, "entry": entry.base64EncodedString(),
                          "leafHash": MerkleHash.leaf(entry).hex, "proof": proof.hashes.map(\.hex)]
            } else if let from, let to {
                let proof = try await auditor.consistency(old: from, new: to)
                object = ["from": from, "to": to, "proof": proof.hashes.map(\.hex)]
            } else { return }
            say(String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self))
        }
    }
}
