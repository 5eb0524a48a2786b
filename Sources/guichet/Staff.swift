import ArgumentParser
import Foundation
import GuichetDeployment
import GuichetAuth
import GuichetCore
import GuichetGate
import GuichetServer
import GuichetStore

/// `guichet staff`: staff, partner and admin accounts, made and ended on the server itself.
struct Staff: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create staff, partner and admin accounts, or deactivate those of leavers (journalled).",
        discussion: """
        The server's own command line holds the key file, so an account it creates is active at once, as the first \
        administrator of 'guichet init' is. Over the admin API, a second administrator must approve it.
        """,
        subcommands: [Create.self, Deactivate.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an account; prints its password and activation code once, to hand to its owner.")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "User name (a-z, 0-9, '.', '_', '-', '@').") var username: String
        @Option(help: "A staff, partner or admin role of the profile.") var role: String
        @Option(help: "Its organisation's id (guichet organisations list).") var organisation: String?
        @Option(help: "Its territory's code.") var territory: String?
        @Option(help: "Its owner's e-mail address, where password-reset codes go (needs the mail relay, smtpHost in guichet.yaml; without an address, a forgotten password has no way back until the owner sets one in 'Account security').")
        var email: String?

        func run() async throws {
            let (provisioning, server, by) = try await console.provisioning()
            let org: OrganisationID? = try organisation.map { try parsedID($0, "organisation") }
            let password = Deployment.generatedPassword()
            let made = try await provisioning.createAccount(NewAccount(username: username, password: password, role: role, organisation: org,
                                                                       territory: territory, email: email), by: by)
            say("Account '\(username)' (\(role)) created: \(made.id)")
            if email == nil {
                // Only a registry with a mail relay takes an address (an operator's audit: the
                // advice named a flag that was then refused).
                say(server.auth.sendsMail
                    ? "No e-mail address: a forgotten password can be reset only once its owner sets one (the account page, 'Account security'); give --email to set it now."
                    : "No e-mail address: a forgotten password can be reset only once its owner sets one (the account page, 'Account security'), which needs a mail relay (smtpHost in guichet.yaml).")
            }
            say("Password (shown once, hand it over; the owner may change it): \(password)")
            if case .handed(_, let code, let expires)? = made.activation {
                say("Activation code for its first second factor (shown once, valid until \(expires.formatted(.iso8601))): \(code)")
            }
        }
    }

    struct Deactivate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deactivate the account of someone who left, for good (its caseload stays until transferred).")
        @OptionGroup var console: ConsoleOptions
        @Option(help: "The user name of the account.") var username: String
        @Option(help: "Why, without personal detail (for example: left the service).") var reason: String

        func run() async throws {
            let (provisioning, _, by) = try await console.provisioning()
            let id = try await provisioning.accountID(username: username)
            _ = try await provisioning.deactivate(id, reason: reason, by: by)  // at once from the console (OPERATIONS.md, leavers)
            say("Account '\(username)' deactivated; its sessions are revoked.")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the accounts that work in Guichet (every role but the citizens'), one a line: id, user name, role, status (tab-separated).")
        @OptionGroup var console: ConsoleOptions

        func run() async throws {
            let (_, server, _) = try await console.provisioning()
            for a in try await server.store.accounts(roles: server.profile.roleNames { $0 != .citizen }) { say("\(a.id)\t\(a.username)\t\(a.role)\t\(a.status)") }
        }
    }
}
