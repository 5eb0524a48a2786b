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
    private let server: ChildServer

    /// - Parameter port: where to listen (a relay started again where the sender expects it);
    ///   nil: a free port.
    init(port wanted: Int? = nil) throws {
        folder = try temporaryFolder()
        let script = Repo.root.appendingPathComponent("Tests/peers/smtp_sink.py").path
        let python = Python.interpreter
        server = try ChildServer(python, (python.hasSuffix("env") ? ["python3"] : []) + [script, folder.path] + (wanted.map { ["\($0)"] } ?? []))
        // The first line is "PORT n" once the server listens (Python starts in well under a second).
        let deadline = Date().addingTimeInterval(60)
        var text = ""
        while !text.contains("\n"), server.isRunning, Date() < deadline {
            usleep(20_000)
            text = server.stdout
        }
        let line = text.split(separator: "\n").first.map(String.init) ?? ""
        guard line.hasPrefix("PORT "), let port = Int(line.dropFirst(5)) else {
            let printed = server.stderr.suffix(1_000)
            server.cleanUp()
            throw SinkError(message: "smtp_sink.py did not start (is aiosmtpd installed? run ./scripts/test): \(line) \(printed)")
        }
        self.port = port
    }

    struct SinkError: Error { let message: String }

    /// The messages received so far, in order.
    func messages() throws -> [Received] {
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".json") }.sorted()
        return try files.map { try JSONDecoder().decode(Received.self, from: Data(contentsOf: folder.appendingPathComponent($0))) }
    }

    /// Forgets the messages received so far (the next ``messages()`` lists only later ones).
    func clear() throws {
        for file in try FileManager.default.contentsOfDirectory(atPath: folder.path) where file.hasSuffix(".json") {
            try FileManager.default.removeItem(at: folder.appendingPathComponent(file))
        }
    }

    func stop() {
        server.spawned.signal(SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while server.isRunning && Date() < deadline { usleep(20_000) }
        server.cleanUp()
        try? FileManager.default.removeItem(at: folder)
    }
}
