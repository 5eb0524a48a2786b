import ArgumentParser
import Foundation
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetServer
import GuichetStore

/// `guichet claims`: claim codes, for citizens to claim the file the registry holds on them.
struct Claims: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Claim codes that link a citizen's new account to their existing file.",
                                                    subcommands: [Issue.self])

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a one-time claim code for a person without an account, to send by letter or e-mail (journalled).")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The person's id.") var person: String

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            guard case .consoleTrustingTheKeyFile(let requestID) = by else { return }
            let issued = try await provisioning.issueClaim(for: try parsedID(person, "person"), consoleTrustingTheKeyFile: requestID)
            say("Claim code (shown once, valid until \(issued.expiresAt.formatted(.iso8601)); send it to the person): \(issued.code)")
        }
    }
}
