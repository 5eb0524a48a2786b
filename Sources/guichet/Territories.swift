import ArgumentParser
import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetServer
import GuichetStore

/// `guichet territories`: the territories a deployment serves.
struct Territories: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add or list the territories this deployment serves (journalled).",
                                                    subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a territory.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "Its code (letters, digits, '-', '_'), as organisations, accounts and dossiers name it.") var code: String
        @Option(help: "Its name.") var name: String

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let t = try await provisioning.addTerritory(code: code, name: name, by: by)
            say("Territory \(t.code) (\(t.name)) added.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the territories, one a line: code, tab, name.")
        @OptionGroup var console: ConsoleOptions

        func run() async throws {
            let (_, server, _) = try await console.provisioning()
            for t in try await server.store.territories() { say("\(t.code)\t\(t.name)") }
        }
    }
}
