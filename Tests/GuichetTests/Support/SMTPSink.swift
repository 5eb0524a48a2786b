import Foundation

/// A real SMTP server (aiosmtpd, Tests/peers/smtp_sink.py) running for one test. What it
/// receives is parsed by Python's e-mail package, not by our code.
final class SMTPSink: @unchecked Sendable {
    struct Received: Decodable {
        let mailFrom: String
        let rcptTos: [String]
        let from: String
        let to: String
        let subject: String
        let language: String?
        let defects: [String]
        let text: String?
        let html: String?
    }

    let folder: URL
    let port: Int
    private let process: Process
    private let input: Pipe

    init() throws {
        folder = try temporaryFolder()
        process = Process()
        process.executableURL = URL(fileURLWithPath: Python.interpreter)
        let script = Repo.root.appendingPathComponent("Tests/peers/smtp_sink.py").path
        process.arguments = (Python.interpreter.hasSuffix("env") ? ["python3"] : []) + [script, folder.path]
        input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        // The first line is "PORT n" once the server listens.
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5)) else {
            process.terminate()
            throw SinkError(message: "smtp_sink.py did not start (is aiosmtpd installed? run ./scripts/test): \(text)")
        }
        self.port = port
    }

    struct SinkError: Error { let message: String }

    /// The messages received so far, in order.
    func messages() throws -> [Received] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { try JSONDecoder().decode(Received.self, from: Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    func stop() {
        try? input.fileHandleForWriting.close()
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: folder)
    }
}
