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

    /// Runs a peer without holding a thread while it works (a live server in the same process
    /// must keep answering it). Its output goes through a file, so no pipe can fill up.
    static func runAsync(_ arguments: [String]) async throws -> Result {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("guichet-peer-\(UUID().uuidString).txt")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: out) }
        let handle = try FileHandle(forWritingTo: out)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: interpreter)
        process.arguments = interpreter.hasSuffix("env") ? ["python3"] + arguments : arguments
        process.standardOutput = handle
        process.standardError = handle
        let status: Int32 = try await withCheckedThrowingContinuation { continuation in
            process.terminationHandler = { continuation.resume(returning: $0.terminationStatus) }
            do { try process.run() } catch {
                process.terminationHandler = nil
                continuation.resume(throwing: error)
            }
        }
        try handle.close()
        return Result(status: status, output: try String(contentsOf: out, encoding: .utf8))
    }
}
