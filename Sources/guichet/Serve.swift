import ArgumentParser
import Foundation
import GuichetCore
import GuichetDeployment
import GuichetServer
import Logging

/// `guichet serve`: serves an existing data folder.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a data folder (created by 'guichet init' or 'guichet demo').",
        discussion: "Settings come from flags, then GUICHET_* environment variables, then DATA/guichet.yaml.")

    @Option(help: "Data folder (env GUICHET_DATA; default guichet-data).") var data: String?
    @Option(help: "Profile name or path (env GUICHET_PROFILE; default: the one in guichet.yaml).") var profile: String?
    @Option(help: "Where the registry lives: sqlite, or postgres://USER@HOST:PORT/DATABASE (env GUICHET_STORE; default: 'store:' in guichet.yaml, else SQLite in the folder).")
    var store: String?
    @OptionGroup var listeners: ListenerOptions

    func run() async throws {
        let env = ProcessInfo.processInfo.environment
        let deployment = Deployment(data ?? env["GUICHET_DATA"] ?? "guichet-data")
        guard deployment.exists else {
            throw CommandError("no registry in \(deployment.folder.path): create one with 'guichet init --data \(deployment.folder.path)'")
        }
        let settings = try deployment.readSettings()
        do {
            LogOutput.standard.settings = try LogSettings.resolve(environment: env, format: settings.logFormat, level: settings.logLevel,
                                                                  output: settings.logOutput)
        } catch let e as GuichetError { throw ValidationError(e.description) }
        guard let name = profile ?? env["GUICHET_PROFILE"] ?? settings.profile else {
            throw ValidationError("no profile: pass --profile, set GUICHET_PROFILE, or add 'profile:' to \(deployment.configFile)")
        }
        let config = try listeners.resolve(settings)
        // Through the logger, as JSON lines when the logs are: a log pipeline reads every line.
        for warning in deployment.startWarnings(settings) { Logger(label: "guichet").warning("\(warning)") }
        let keys = try deployment.keys(listeners.keys)
        // Ports first: a server that cannot listen must not open the database, take the
        // signer's election or copy erasures before it fails (an operator's audit).
        try await GuichetServer.checkPortFree(config.publicHost, config.publicPort, listener: "public", flag: "--port")
        try await GuichetServer.checkPortFree(config.adminHost, config.adminPort, listener: "admin", flag: "--admin-port")
        let (server, lock) = try await deployment.openForServing(profilePath: try Deployment.resolveProfile(name), keys: keys, settings: settings, store: store,
                                                                 ports: (config.publicPort, config.adminPort))
        defer { withExtendedLifetime(lock) {} }
        // A profile whose transitions send e-mail, with no relay: the notices wait in the outbox
        // for ever (an operator's audit found one pending, and the metric's text blamed a relay
        // that was never configured).
        if settings.smtpHost == nil, server.profile.dossierTypes.values.contains(where: { $0.workflow.transitions.values.contains { $0.notice != nil } }) {
            Logger(label: "guichet").warning("no smtpHost in \(deployment.configFile): the e-mails this profile's steps send (an offer's notice) wait in the outbox until a relay is set (smtpHost: docs/OPERATIONS.md)")
        }
        try await server.run(config, exporters: try deployment.siemExporters(settings, server: server)) { port, adminPort in
            say("Guichet serving \(deployment.folder.path): public listener http://\(config.publicHost):\(port), admin listener http://\(config.adminHost):\(adminPort)")
            say("Pages: http://localhost:\(port)/web/sign-in (public), http://localhost:\(adminPort)/web/sign-in (administrators, security officers)")
            Logger(label: "guichet").info("serving", metadata: ["version": .string(GuichetVersion.number), "public": "\(config.publicHost):\(port)",
                                                                "admin": "\(config.adminHost):\(adminPort)"])
        }
        // The listeners closed on SIGTERM or SIGINT, after the last checkpoint was signed.
        Logger(label: "guichet").info("stopped", metadata: ["version": .string(GuichetVersion.number)])
        say("Guichet stopped: \(deployment.folder.path)")
    }
}
