import Foundation

/// Runs Python peers (independent checkers installed by scripts/test) from a test.
enum Python {
    struct Result { let status: Int32; let output: String }

    /// The interpreter: the test virtual environment made by scripts/test if present, else python3.
    static var interpreter: String {
        let venv = Repo.root.appendingPathComponent(".venv-test/bin/python3").path
        return FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/env"
    }

    static func run(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = interpreter.hasSuffix("env") ? ["python3"] + arguments : arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, output: String(decoding: data, as: UTF8.self))
    }
}
