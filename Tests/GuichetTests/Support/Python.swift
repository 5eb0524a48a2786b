import Foundation

/// Runs Python peers (independent checkers installed by scripts/test) from a test.
enum Python {
    struct Result { let status: Int32; let output: String }

    /// The interpreter: the test virtual environment made by scripts/test if present, else python3.
    static var interpreter: String {
        let venv = Repo.root.appendingPathComponent(".venv-test/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/env"
    }

    /// Runs a peer without holding a thread while it works (a live server in the same process
    /// must keep answering it).
    static func run(_ arguments: [String], timeout: Double = 300) async throws -> Result {
        let r = try await Child.run(interpreter, interpreter.hasSuffix("env") ? ["python3"] + arguments : arguments, timeout: timeout)
        return Result(status: r.status, output: r.output)
    }
}
