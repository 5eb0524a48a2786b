import ArgumentParser
import Foundation
import GuichetCore
import GuichetAuth
import GuichetDeployment
import GuichetGate
import GuichetServer
import GuichetStore

/// `guichet accounts`: account operations that only someone on the server itself may do.
struct Accounts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Account operations reserved to the server's own command line.",
        subcommands: [Unlock.self, Activation.self, PasswordReset.self, ResetFactors.self, LinkOIDC.self, UnlinkOIDC.self])

    /// The server of a data folder, opened with its key file.
    static func server(data: String, keys: String?) async throws -> GuichetServer {
        try await Deployment(data).openServer(keys: keys)
    }

    struct Unlock: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recovery path for a user name locked after too many failed sign-ins (the owner is told).")
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?
        @Option(help: "The user name to unlock.") var username: String

        func run() async throws {
            let server = try await Accounts.server(data: data, keys: keys)
            // An unknown name (a typo) is an error: a script must not take it for done.
            guard try await server.auth.unlock(username: username) else {
                throw CommandError("no account '\(username)' (the failed sign-ins counted against that name were cleared all the same)")
            }
            say("'\(username)' may sign in again; its owner has a notice.")
        }
    }

    struct Activation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recovery path for an account without a second factor: prints a new activation code, once, to hand to its owner.")
        @Option(help: "Data folder.") var data = "guichet-data"
        @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?
        @Option(help: "The user name of the account.") var username: String

        func run() async throws {
            let server = try await Accounts.server(data: data, keys: keys)
            guard case .handed(_, let code, let expires)? = try await server.auth.consoleActivation(username: username) else {
                throw CommandError("no account '\(username)'")
            }
            say("Activation code for '\(username)' (shown once, valid until \(expires.formatted(.iso8601)); its owner has a notice): \(code)")
        }
    }

    struct PasswordReset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "password-reset",
            abstract: "Forgotten password, no mail relay or no address: after checking the owner's identity, prints a password reset code, once, to hand to its owner (valid one hour), who chooses the new password on /web/password-reset.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The user name of the account.") var username: String

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let (code, expires) = try await provisioning.consolePasswordReset(username: username, by: by)
            say("Password reset code for '\(username)' (shown once, valid until \(expires.formatted(.iso8601)); its owner and the security officers have a notice): \(code)")
            say("The owner enters it with a new password on /web/password-reset (or POST /v1/password-reset); the second factor is unchanged.")
        }
    }

    struct ResetFactors: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-factors",
            abstract: "Lost second factor or account taken over: after checking the owner's identity, removes the account's second factors and sessions (journalled) and prints a new activation code, once, to hand to its owner.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The user name of the account.") var username: String
        @Option(help: "Why (3 to 200 characters, no personal detail), kept with the reset.") var reason: String

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let done = try await provisioning.resetFactors(of: try await provisioning.accountID(username: username), reason: reason, by: by)
            guard case .handed(_, let code, let expires) = done.activation else { preconditionFailure("the console's code is handed over") }
            say("The second factors of '\(username)' were reset (\(done.reset.factorsRemoved) removed, \(Counted.english(done.reset.sessionsEnded, "session")) ended; in the ledger).")
            say("Activation code (shown once, valid until \(expires.formatted(.iso8601)); its owner has a notice): \(code)")
        }
    }

    struct LinkOIDC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "link-oidc",
            abstract: "Links an OpenID Connect subject (per issuer) to an existing account, journalled; sign-ins with it then open that account.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The user name of the account.") var username: String
        @Option(help: "The provider's issuer identifier, as in guichet.yaml.") var issuer: String
        @Option(help: "The subject ('sub') the provider gives this person.") var subject: String

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            try await provisioning.linkFederatedIdentity(username: username, issuer: issuer, subject: subject, by: by)
            say("'\(username)' is linked to a subject of \(issuer); the step is in the ledger.")
        }
    }

    struct UnlinkOIDC: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "unlink-oidc", abstract: "Ends the link of an OpenID Connect subject to its account, journalled.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The provider's issuer identifier.") var issuer: String
        @Option(help: "The subject ('sub').") var subject: String

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let was = try await provisioning.unlinkFederatedIdentity(issuer: issuer, subject: subject, by: by)
            say(was ? "the link is ended; the step is in the ledger." : "no such link")
        }
    }
}
