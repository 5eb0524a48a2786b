import Foundation
import Testing

/// The package root, found from this file's path (Tests/GuichetMFATests/Support/Peers.swift).
enum PackageRoot {
    static let url = Repo.root
}

/// A failure to run an independent peer: the test fails with this text, never passes.
struct PeerUnavailable: Error, CustomStringConvertible {
    let description: String
}

/// Runs the independent peers that judge this module: Python packages listed in
/// Tests/peers/requirements.txt, and the `oathtool` program.
enum Peers {
    static let setupHint = "create it with: ./scripts/test (it installs them into .venv-test)"

    /// The Python with the peers installed: `$GUICHET_MFA_PYTHON`, else `.venv` or `.venv-test`
    /// at the package root. There is no fallback to a system Python, so a missing peer fails.
    static func python() throws -> String {
        if let path = ProcessInfo.processInfo.environment["GUICHET_MFA_PYTHON"] { return path }
        for venv in [".venv", ".venv-test"] {
            let path = PackageRoot.url.appendingPathComponent("\(venv)/bin/python3").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        throw PeerUnavailable(description: "no Python environment with the test peers at \(PackageRoot.url.path)/.venv; \(setupHint)")
    }

    /// Runs a peer script in Tests/peers with the peers' Python, and returns its standard output.
    static func script(_ name: String, _ arguments: [String]) throws -> String {
        let path = PackageRoot.url.appendingPathComponent("Tests/peers/\(name)").path
        return try run(python(), [path] + arguments)
    }

    /// Runs `oathtool` (OATH Toolkit), from `$PATH`.
    static func oathtool(_ arguments: [String]) throws -> String {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
            .split(separator: ":").map { "\($0)/oathtool" }
        guard let path = candidates.first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            throw PeerUnavailable(description: "oathtool is not installed (Debian: apt-get install -y oathtool)")
        }
        return try run(path, arguments)
    }

    /// Runs a program; a non-zero exit throws with its standard error.
    static func run(_ executable: String, _ arguments: [String]) throws -> String {
        let result: Child.Result
        do {
            result = try Child.runBlocking(executable, arguments, timeout: 120)
        } catch let error as Child.TimedOut {
            throw PeerUnavailable(description: error.description)
        } catch {
            throw PeerUnavailable(description: "cannot start \(executable): \(error); \(setupHint)")
        }
        guard result.status == 0 else {
            throw PeerUnavailable(description: "\(URL(fileURLWithPath: executable).lastPathComponent) "
                + "\(arguments.first ?? "") exited with \(result.status): " + result.stderr)
        }
        return result.stdout
    }
}

/// Base64url without padding (RFC 4648 §5), as the peers print binary values.
enum B64URL {
    static func decode(_ text: String) throws -> [UInt8] {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        standard += String(repeating: "=", count: (4 - standard.count % 4) % 4)
        return try [UInt8](#require(Data(base64Encoded: standard), "not base64url: \(text)"))
    }

    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}
