import ArgumentParser
import GuichetCore
import GuichetServer
import Logging

/// The `guichet` command: one root listing the subcommands, one file per subcommand.
@main
struct Guichet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guichet",
        abstract: "A registry server for the personal data that public services hold on citizens.",
        discussion: "guichet --version prints the version and how it was built.",
        subcommands: [Demo.self, Serve.self, Init.self, Keys.self, Accounts.self, Ledger.self, Breach.self, PolicyCommand.self, Simulate.self,
                      Territories.self, Organisations.self, Staff.self, Caseload.self, Claims.self, Backup.self, Restore.self, Import.self, RetentionCommand.self,
                      StoreCommand.self, HoneytokensCommand.self]
    )

    /// Every log line goes through the redaction layer before it is written (text or JSON
    /// lines, standard error or output: ``LogOutput/standard``, set by `serve`).
    static func main() async {
        LoggingSystem.bootstrap { label in RedactingLogHandler(GuichetLogHandler(label: label)) }
        // Read here rather than declared: ArgumentParser's `version:` puts a second --version in the
        // help of `keys retire --version N`, and a flag of the root is parsed in every subcommand
        // (it took that option's --version), as the operator's audit found.
        if Array(CommandLine.arguments.dropFirst()) == ["--version"] {
            say("guichet \(GuichetVersion.description)")
            return
        }
        await main(nil)
    }
}
