import ArgumentParser
import Foundation
import GuichetCore
import GuichetDeployment
import GuichetServer

/// `guichet demo`: a synthetic registry (R1 by default) with demo accounts of every role, served.
struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a synthetic R1 registry (childcare waiting list) with demo accounts, and serve it.",
        discussion: "A data folder that already holds a registry is served as it is, not regenerated.")

    @Option(help: "Data folder.") var data = "guichet-demo"
    @Option(help: "Number of dossiers to generate (default 86000 for place05, 100000 for the others).") var size: Int?
    @Option(help: "Profile name or path.") var profile = "place05"
    @Option(help: "Where a new demo registry lives: sqlite, or an empty PostgreSQL database postgres://USER@HOST:PORT/DATABASE (env GUICHET_STORE; default: SQLite in the folder).")
    var store: String?
    @OptionGroup var listeners: ListenerOptions
    @Flag(help: "Generate, write the accounts file, and exit without serving.") var noServe = false

    func validate() throws {
        if let size, !(1...5_000_000).contains(size) { throw ValidationError("--size must be from 1 to 5000000") }
    }

    func run() async throws {
        let started = Date()
        let deployment = Deployment(data)
        let profilePath = try Deployment.resolveProfile(profile)
        let config = try listeners.resolve(try deployment.readSettings())
        let loaded = try Deployment.loadProfile(profilePath)  // refuse a broken profile before creating anything
        if !deployment.exists, !DemoRegistry.generators.contains(loaded.name) {
            throw CommandError("no synthetic data generator for profile '\(loaded.name)' (generators exist for \(DemoRegistry.generators.joined(separator: ", ")))")
        }
        let opened = try await deployment.openDemo(profilePath: profilePath, keys: listeners.keys, store: store,
                                                   ports: (config.publicPort, config.adminPort))
        defer { withExtendedLifetime(opened.lock) {} }
        let (server, keys, fresh) = (opened.server, opened.keys, opened.fresh)
        if fresh, let warning = Deployment.passwordLeftOut(of: store ?? ProcessInfo.processInfo.environment["GUICHET_STORE"]) { note(warning) }
        let accountsFile = deployment.folder.appendingPathComponent("demo-accounts.json")
        var generated = ""
        if fresh {
            let size = self.size ?? DemoRegistry.defaultSize(loaded.name)
            note("Generating \(size) synthetic dossiers in \(deployment.folder.path) ...")
            generated = try await DemoRegistry.generate(server, keys: keys, size: size, accountsFile: accountsFile) { done in note("  \(done) / \(size)") }.summary
        }
        if noServe {
            say("\(generated)accounts in \(accountsFile.path)")
            return
        }
        let data = deployment.folder.path
        let generatedNote = generated
        try await server.run(config) { port, adminPort in
            say("""
            Guichet demo (\(server.profile.title["en"] ?? server.profile.name))
              data folder:  \(data)
              accounts:     \(data)/demo-accounts.json  (user names, passwords, activation codes, roles)
              public API:   http://\(config.publicHost):\(port)   try: curl http://\(config.publicHost):\(port)/v1/statistics
              OpenAPI:      http://\(config.publicHost):\(port)/openapi.json
              citizens:     http://localhost:\(port)/   (a citizen account from the accounts file sees who looked at their file)
              pages:        http://localhost:\(port)/web/sign-in   (every role of the public listener: parents, staff, partners)
              admin API:    http://\(config.adminHost):\(adminPort)   (loopback only)
              admin pages:  http://localhost:\(adminPort)/web/sign-in   (administrators, security officers)
            """)
            say(String(format: "Ready: %@started in %.1f s. Ctrl-C stops.", generatedNote, Date().timeIntervalSince(started)))
        }
    }
}
