import ArgumentParser
import Foundation
import GuichetCore
import GuichetDeployment
import GuichetGate
import GuichetServer

/// `guichet honeytokens plant`: decoy records for a registry made by `init` and `import`
/// (docs/DETECTION.md, "Honeytokens").
struct HoneytokensCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "honeytokens", abstract: "Plant honeytoken records (decoys) in a registry.",
                                                    subcommands: [Plant.self])

    struct Plant: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Plant honeytoken records among the registry's organisations (place05 and emploi); journalled, never which ones.",
            discussion: """
                Any account that opens one, even where the policy refuses it, is suspended and a critical alert is \
                raised. Nothing tells them apart but keyed tags under the key file. Run it once after the first import; \
                a server on this registry picks them up within a minute.
                """)
        @OptionGroup var console: ConsoleOptions
        @Option(help: "How many records (default: the profile's watch.honeytokens; for a small registry, one for every 50 of its records keeps them a small share).") var count: Int?

        func validate() throws {
            if let count, !(1...10_000).contains(count) { throw ValidationError("--count is from 1 to 10000") }
        }

        func run() async throws {
            let (_, server, by) = try await console.provisioning()
            let wanted = count ?? server.profile.watch.honeytokens
            // Decoys are counted in the published statistics: on a small registry, say so.
            if let advice = try await HoneytokenPlanting.advice(server, planting: wanted) {
                FileHandle.standardError.write(Data("guichet: \(advice)\n".utf8))
            }
            guard wanted > 0 else { throw CommandError("the profile plants no honeytokens (watch.honeytokens is 0): give --count") }
            let keys = try Deployment(console.data).keys(console.keys)
            guard case .consoleTrustingTheKeyFile(requestID: let requestID) = by else { return }  // the console's, always
            let planted = try await HoneytokenPlanting.plant(server, keys: keys, count: wanted, requestID: requestID)
            say("\(Counted.english(planted, "honeytoken record")) planted; the ledger says so, never which.")
        }
    }
}
