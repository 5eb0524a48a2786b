import Foundation
import Testing

/// Provisioning as the console skips the two-person rule (the key file opens everything
/// anyway): only the `guichet` command, on the server itself, may claim it; no route may.
@Suite struct ConsoleProvisionerTests {
    @Test("only the command line (and the module that defines it) names the console provisioner")
    func onlyTheCommandLineIsTheConsole() throws {
        let allowed = ["Sources/guichet/", "Sources/GuichetGate/Provisioning"]
        let files = SourceScan.swiftFiles(under: Repo.root.appendingPathComponent("Sources").path)
        #expect(files.count > 50)
        for file in files where !allowed.contains(where: { file.hasPrefix($0) }) {
            let text = try String(contentsOfFile: Repo.root.appendingPathComponent(file).path, encoding: .utf8)
            #expect(!text.contains("consoleTrustingTheKeyFile"), "\(file) names the console provisioner")
        }
    }
}
