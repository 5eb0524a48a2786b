import Foundation
import Logging
import Synchronization
import Testing
import GuichetServer

/// Logs never carry secrets or personal values (C12, threat R3).
@Suite struct LogRedactionTests {
    @Test("the redaction layer removes e-mails, identifiers, phones, tokens and secret-named metadata")
    func redactionLayer() {
        let capture = LogCapture()
        let logger = Logger(label: "t") { _ in RedactingLogHandler(capture.handler) }
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

    @Test("request ids stay readable, a console command's and Hummingbird's included, so that a line leads to its ledger entry; a personal value under that key does not")
    func requestIDsStay() {
        let capture = LogCapture()
        let logger = Logger(label: "t") { _ in RedactingLogHandler(capture.handler) }
        let console = "console-letters-\(UUID().uuidString)", hummingbird = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
        logger.notice("security event", metadata: ["request": .string(console), "hb.request.id": .string(hummingbird)])
        logger.notice("other", metadata: ["request": .string("marie.tremblay@example.org"), "hb.request.id": .string("255081416802538")])
        let line = capture.lines.withLock { $0.joined() }
        #expect(line.contains(console) && line.contains(hummingbird), "\(line)")
        #expect(!line.contains("marie.tremblay") && !line.contains("255081416802538"))
    }
}
