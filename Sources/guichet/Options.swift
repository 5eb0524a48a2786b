import ArgumentParser
import Foundation
import GuichetDeployment
import GuichetServer
import Logging

/// Listener options shared by `serve` and `demo`; flags win over the environment, which wins
/// over the configuration file.
struct ListenerOptions: ParsableArguments {
    @Option(help: "Public listener port (default 8080; env GUICHET_PUBLIC_PORT).") var port: Int?
    @Option(help: "Public listener address (default 127.0.0.1; env GUICHET_PUBLIC_HOST).") var host: String?
    @Option(name: .customLong("admin-port"), help: "Admin listener port (default 8081; env GUICHET_ADMIN_PORT).") var adminPort: Int?
    @Option(name: .customLong("admin-host"), help: "Admin listener address (default 127.0.0.1, loopback; env GUICHET_ADMIN_HOST).") var adminHost: String?
    @Flag(name: .customLong("allow-public-admin"), help: "Allow the admin listener off loopback (not recommended).") var allowPublicAdmin = false
    @Option(help: "Key file (default DATA/guichet.keys; env GUICHET_KEYS_FILE, or the keys themselves in GUICHET_KEYS).") var keys: String?
    @Flag(name: .customLong("behind-tls-proxy"), help: "The public listener is off loopback behind a TLS-terminating proxy.") var behindTLSProxy = false

    func resolve(_ s: Deployment.Settings) throws -> ListenerConfiguration {
        let flags = ListenerFlags(host: host, port: port, adminHost: adminHost, adminPort: adminPort,
                                  allowPublicAdmin: allowPublicAdmin, behindTLSProxy: behindTLSProxy)
        do {
            let (configuration, warnings) = try Deployment.listeners(flags, settings: s)
            // Through the logger (JSON lines when `serve` writes them), as every other line of the server.
            for warning in warnings { Logger(label: "guichet").warning("\(warning)") }
            return configuration
        } catch let e as DeploymentError { throw ValidationError(e.description) }
    }
}

/// A failure at run time (not a misuse of arguments): printed as "Error: ..." without the usage.
struct CommandError: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}

/// Prints a line to standard output and flushes it, so that a script or a pipe sees it at once.
func say(_ s: String) {
    FileHandle.standardOutput.write(Data((s + "\n").utf8))
}

/// Prints to standard error (progress and messages, never secrets).
func note(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}
