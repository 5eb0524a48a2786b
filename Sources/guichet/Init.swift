import ArgumentParser
import Foundation
import GuichetDeployment

/// `guichet init`: a new, empty data folder with one administrator.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a data folder with an administrator account; its password and activation code are printed once.")

    @Option(help: "Data folder to create.") var data = "guichet-data"
    @Option(help: "Profile name or path.") var profile = "place05"
    @Option(help: "Administrator user name.") var admin = "admin"
    @Option(help: "Key file to create or use (default DATA/guichet.keys). Keep it off the data disk's backups.") var keys: String?
    @Option(help: "Where the registry lives: sqlite (default, in the data folder) or postgres://USER@HOST:PORT/DATABASE, shared by several servers (env GUICHET_STORE; a password is never written to guichet.yaml: give it in PGPASSWORD).")
    var store: String?

    func run() async throws {
        let deployment = Deployment(data)
        let created = try await deployment.initialise(profilePath: try Deployment.resolveProfile(profile), admin: admin, keys: keys, store: store)
        say("""
        Created \(deployment.folder.path) (profile \(created.profile)).
        Keys: \(created.keysOrigin) (mode 0600; back it up apart from the data: without it nothing can be read).
        Administrator '\(created.admin)', password (shown once, store it now): \(created.password)
        Activation code for its first second factor (shown once, valid 72 hours): \(created.activationCode)
        Serve it with: \(deployment.serveCommand(keys: keys))
        """)
        let address = store ?? ProcessInfo.processInfo.environment["GUICHET_STORE"]
        if let note = Deployment.passwordLeftOut(of: address) { say(note) }
        if let address, address.hasPrefix("postgres") {
            // An operator's audit served as the tables' owner, which may lift the ledger's
            // append-only rules: say which role the servers should use, here where it is read.
            say("""
            On PostgreSQL, serve as a role of its own, not as the tables' owner (which may disable the ledger's append-only triggers):             create one and run 'guichet store grant --data \(deployment.folder.path) --role ROLE' (docs/OPERATIONS.md, "The servers' database role").
            """)
        }
    }
}
