import ArgumentParser
import Foundation
import GuichetServer
import GuichetVault
import GuichetAuth
import GuichetCore

/// `guichet init`: a new, empty data folder with one administrator.
struct Init: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a data folder with an administrator account; its password and activation code are printed once.")

    @Option(help: "Data folder to create.") var data = "guichet-data"
    @Option(help: "Profile name or path.") var profile = "place05"
    @Option(help: "Administrator user name.") var admin = "admin"
    @Option(help: "Key file to create or use (default DATA/guichet.keys). Keep it off the data disk's backups.") var keys: String?

    func run() async throws {
        let deployment = Deployment(data)
        guard !deployment.exists else { throw CommandError("\(deployment.folder.path) already holds a registry; nothing was changed") }
        let profilePath = try Deployment.resolveProfile(profile)
        let role = try Deployment.adminRole(profilePath)
        try deployment.create()
        let provider = try deployment.keys(keys, create: true)
        let server = try await deployment.open(profilePath: profilePath, keys: provider, origin: provider.origin)
        let password = generatedPassword()
        _ = try await server.auth.createAccount(username: admin, password: password, role: role, createdBy: nil)
        let activation = try await server.auth.consoleActivation(username: admin)?.code ?? ""  // the account was just created
        try deployment.writeSettings(.init(profile: profilePath))
        print("""
        Created \(deployment.folder.path) (profile \(server.profile.name)).
        Keys: \(provider.origin) (mode 0600; back it up apart from the data: without it nothing can be read).
        Administrator '\(admin)', password (shown once, store it now): \(password)
        Activation code for its first second factor (shown once, valid 72 hours): \(activation)
        Serve it with: guichet serve --data \(deployment.folder.path)
        """)
    }
}

import GuichetProfile
extension Deployment {
    /// The first role of kind admin in a profile.
    static func adminRole(_ profilePath: String) throws -> String {
        let profile = try loadProfile(profilePath)
        guard let role = profile.roles.values.filter({ $0.kind == .admin }).map(\.name).sorted().first else {
            throw CommandError("the profile declares no admin role")
        }
        return role
    }
}
