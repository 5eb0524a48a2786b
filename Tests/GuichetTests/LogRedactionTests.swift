import Foundation
import Logging
import Synchronization
import Testing
import GuichetServer

/// Logs never carry secrets or personal values (C12, threat R3).
@Suite struct LogRedactionTests {
    final class Capture: Sendable {
        let lines = Mutex<[String]>([])
    }

    struct CapturingHandler: LogHandler {
        let capture: Capture
        var logLevel: Logger.Level = .trace
        var metadata: Logger.Metadata = [:]
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = (event.metadata ?? [:]).merging(metadata) { a, _ in a }
            capture.lines.withLock { $0.append("\(event.message) \(meta)") }
        }
    }

    @Test("the redaction layer removes e-mails, identifiers, phones, tokens and secret-named metadata")
    func redactionLayer() {
        let capture = Capture()
        let logger = Logger(label: "t") { _ in RedactingLogHandler(CapturingHandler(capture: capture)) }
        let token = "q3Vx0aJ8-mU2yYk9L_wz7RcT1bNf4sDe6HgPiKoA5vE"
        logger.error("sign-in of marie.tremblay@example.org with NAM TREM90541201 from +15145550142 token \(token)",
                     metadata: ["password": "correct horse battery staple", "note": "NIR 255081416802538", "id": "AbCdEfGhIjKlMnOpQrStUv"])
        let line = capture.lines.withLock { $0.joined() }
        for secret in ["marie.tremblay@example.org", "TREM90541201", "+15145550142", token, "correct horse", "255081416802538"] {
            #expect(!line.contains(secret), "leaked: \(secret.prefix(4))…")
        }
        #expect(line.contains("AbCdEfGhIjKlMnOpQrStUv"), "record identifiers stay readable")
        #expect(line.contains("sign-in of"))
    }
}
