import ArgumentParser
import Foundation
import GuichetAuth
import GuichetCore
import GuichetDeployment
import GuichetGate
import GuichetServer
import GuichetStore

/// The data folder and key file of a provisioning command, run on the server itself.
struct ConsoleOptions: ParsableArguments {
    @Option(help: "Data folder.") var data = "guichet-data"
    @Option(help: "Key file (default DATA/guichet.keys).") var keys: String?

    /// The registry's provisioning, opened with its key file, and this command's journal id.
    func provisioning() async throws -> (Provisioning, GuichetServer, Provisioner) {
        let server = try await Deployment(data).openServer(keys: keys)
        var rng = SystemRandomNumberGenerator()
        let requestID = "console-" + Base64URL.encode((0..<9).map { _ in UInt8.random(in: 0...255, using: &rng) })
        return (Provisioning(gate: server.gate, auth: server.auth), server, .consoleTrustingTheKeyFile(requestID: requestID))
    }
}

/// An identifier given on the command line.
func parsedID<T>(_ text: String, _ what: String) throws -> Identifier<T> {
    guard let id = Identifier<T>(validating: text) else { throw ValidationError("'\(what)' is not a valid identifier") }
    return id
}
