import ArgumentParser

/// The `guichet` command: one root listing the subcommands, one file per subcommand.
@main
struct Guichet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "guichet",
        abstract: "A registry server for the personal data that public services hold on citizens.",
        subcommands: [Demo.self, Serve.self, Init.self, Keys.self, Accounts.self]
    )
}
