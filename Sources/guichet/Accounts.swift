import ArgumentParser
import Foundation
import GuichetAuth
import GuichetServer
import GuichetVault

/// `guichet accounts`: account operations that only someone on the server itself may do.
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Account operations reserved to the server's own command line.",
        subcommands: [Unlock.self])

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recovery path for a user name locked after too many failed sign-ins (the owner is told).")
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?
        @Option(help: "The user name to unlock.") var username: String

        func run() async throws {
            let deployment = Deployment(data)
            guard deployment.exists else { throw CommandError("no registry in \(deployment.folder.path)") }
            guard let name = try deployment.readSettings().profile else { throw CommandError("no profile in \(deployment.configFile)") }
            let provider = try deployment.keys(keys)
            let server = try await deployment.open(profilePath: try Deployment.resolveProfile(name), keys: provider, origin: provider.origin)
            let known = try await server.auth.unlock(username: username)
            say(known ? "'\(username)' may sign in again; its owner has a notice." : "no account '\(username)'; its throttle was cleared anyway")
        }
    }
}
