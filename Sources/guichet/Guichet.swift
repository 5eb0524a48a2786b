import ArgumentParser
import GuichetServer
import Logging

/// The `guichet` command: one root listing the subcommands, one file per subcommand.
@main
struct Guichet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guichet",
        abstract: "A registry server for the personal data that public services hold on citizens.",
        subcommands: [Demo.self, Serve.self, Init.self, Keys.self, Accounts.self, Ledger.self, Breach.self, PolicyCommand.self, Simulate.self, Import.self]
    )

    /// Every log line goes through the redaction layer before it reaches standard error.
    static func main() async {
        LoggingSystem.bootstrap { label in RedactingLogHandler(StreamLogHandler.standardError(label: label)) }
        await main(nil)
    }
}
