import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Logging
import Synchronization
import Testing
import GuichetCore
@testable import GuichetServer

/// Log lines as a log pipeline reads them: JSON lines or plain text by one setting, the
/// request's id on each, an access line per request without query values, the level by
/// setting, the redaction kept (issue #21, item 2). The lines checked are the handler's real
/// output, captured where it would reach the stream.
@Suite struct LogFormatTests {
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
        var text: String { all.withLock { $0.joined() } }
        var objects: [[String: Any]] {
            all.withLock { $0 }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }
    }

    static func output(_ settings: LogSettings) -> (LogOutput, Lines) {
        let lines = Lines()
        return (LogOutput(settings: settings) { line, _ in lines.all.withLock { $0.append(line) } }, lines)
    }

    static func logger(_ label: String, _ output: LogOutput) -> Logger {
        Logger(label: label) { label in RedactingLogHandler(GuichetLogHandler(label: label, output: output)) }
    }

    @Test("JSON lines: one object per line with time, level, logger, message, metadata and the request id")
    func jsonLines() throws {
        let (output, lines) = Self.output(LogSettings(format: .json))
        let log = Self.logger("guichet.gate", output)
        RequestLog.$id.withValue("req-42") {
            log.warning("security event\nforged line", metadata: ["event": "throttle", "account": "AbCdEfGhIjKl"])
        }
        log.info("outside a request")
        #expect(lines.all.withLock { $0.allSatisfy { $0.hasSuffix("\n") && $0.dropLast().contains("\n") == false } }, "one line each")
        let objects = lines.objects
        try #require(objects.count == 2)
        #expect(objects[0]["level"] as? String == "warning" && objects[0]["logger"] as? String == "guichet.gate")
        #expect(objects[0]["message"] as? String == "security event\nforged line" && objects[0]["event"] as? String == "throttle")
        #expect(objects[0]["request"] as? String == "req-42")
        #expect((objects[0]["time"] as? String)?.hasSuffix("Z") == true)
        #expect(objects[1]["request"] == nil)
    }

    @Test("plain text stays the default, one line per event whatever the message holds")
    func text() {
        #expect(LogSettings().format == .text)
        let (output, lines) = Self.output(LogSettings())
        Self.logger("guichet", output).error("first\nsecond", metadata: ["k": "v\nw"])
        let line = lines.text
        #expect(line.filter { $0 == "\n" }.count == 1 && line.contains("error guichet: first\\nsecond k=v\\nw"), "\(line)")
    }

    @Test("the level by setting drops lower lines; a logger's own level can only raise it")
    func level() {
        let (output, lines) = Self.output(LogSettings(level: .warning))
        var log = Self.logger("guichet", output)
        log.info("dropped")
        log.warning("kept")
        output.settings.level = .debug
        log.debug("kept too")
        log.logLevel = .error
        log.warning("dropped by the logger's own level")
        #expect(lines.all.withLock { $0.count } == 2 && !lines.text.contains("dropped"))
    }

    @Test("the settings come from the environment first, then the file, and a wrong value is refused by name")
    func settings() throws {
        let s = try LogSettings.resolve(environment: ["GUICHET_LOG_FORMAT": "json"], format: "text", level: "debug", output: "stdout")
        #expect(s == LogSettings(format: .json, level: .debug, toStandardOutput: true))
        #expect(try LogSettings.resolve(environment: [:], format: nil, level: nil, output: nil) == LogSettings())
        #expect(throws: GuichetError.self) { _ = try LogSettings.resolve(environment: ["GUICHET_LOG_LEVEL": "loud"], format: nil, level: nil, output: nil) }
        #expect(throws: GuichetError.self) { _ = try LogSettings.resolve(environment: [:], format: "xml", level: nil, output: nil) }
    }

    @Test("the redaction still applies under JSON, but the request's own id is kept even when long")
    func redaction() {
        let (output, lines) = Self.output(LogSettings(format: .json))
        let log = Self.logger("guichet", output)
        let uuid = "550e8400-e29b-41d4-a716-446655440000"
        RequestLog.$id.withValue(uuid) {
            log.error("mail to marie.tremblay@example.org", metadata: ["request": .string(uuid), "password": "hunter2hunter2"])
        }
        #expect(!lines.text.contains("marie.tremblay") && !lines.text.contains("hunter2"))
        #expect(lines.objects.first?["request"] as? String == uuid)
    }

    @Test("an access line per request: route pattern, status, duration and id, never the query; the id is in the response and in the ledger")
    func accessLog() async throws {
        let world = try await World.make()
        defer { world.remove() }
        _ = try await world.registerParent("parent0")
        let d = try await world.application(by: "parent0")
        let (output, lines) = Self.output(LogSettings(format: .json))
        let server = GuichetServer(gate: world.gate, auth: world.auth, store: world.store, accessLog: Self.logger("guichet.access", output))
        let token = try await world.token("parent0")
        let ids = try await Application(router: server.publicRouter().0).test(.router) { client -> [String] in
            let r = try await client.execute(uri: "/v1/dossiers/\(d.id.rawValue)?lastName=Tremblay&nam=TREJ90541201", method: .get,
                                             headers: [.authorization: "Bearer \(token)", GuichetRequestID.header: "from-a-client"])
            #expect(r.status == .ok)
            let first = try #require(r.headers[GuichetRequestID.header])
            let missing = try await client.execute(uri: "/v1/nothing-here?email=someone", method: .get)
            #expect(missing.status == .notFound)
            // An unmatched path that holds values: only its name-like segments are logged.
            let valued = try await client.execute(uri: "/web/Jean%20Dupont%201985-07-07/TREJ90541202", method: .get)
            #expect(valued.status == .notFound)
            // A one-word surname after a dossier's id, and a scanner's usual files.
            let surname = try await client.execute(uri: "/v1/dossiers/\(d.id.rawValue)/Tremblay", method: .get)
            #expect(surname.status == .notFound)
            _ = try await client.execute(uri: "/wp-login.php", method: .get)
            _ = try await client.execute(uri: "/.env", method: .get)
            // A surname shaped like a scanned file keeps only its shape (a controls audit).
            _ = try await client.execute(uri: "/.Dupuis", method: .get)
            _ = try await client.execute(uri: "/Dupuis.php", method: .get)
            return [first, try #require(missing.headers[GuichetRequestID.header])]
        }
        #expect(ids[0] != "from-a-client", "a client that is not a trusted proxy chooses no id")
        let access = lines.objects.filter { $0["message"] as? String == "request" }
        try #require(access.count == 8)
        #expect(access[2]["path"] as? String == "/web/…/…", "\(access[2]["path"] ?? "no path")")
        #expect(access[3]["path"] as? String == "/v1/dossiers/{id}/…", "\(access[3]["path"] ?? "no path")")
        #expect(access[4]["path"] as? String == "/wp-login.php" && access[5]["path"] as? String == "/.env")
        #expect(access[6]["path"] as? String == "/.…" && access[7]["path"] as? String == "/….php", "\(access[6]["path"] ?? "") \(access[7]["path"] ?? "")")
        #expect(access[0]["method"] as? String == "GET" && access[0]["status"] as? Int == 200 && access[0]["listener"] as? String == "public")
        #expect((access[0]["route"] as? String).map { !$0.contains(d.id.rawValue) } == true, "the route's pattern, not the dossier's id")
        #expect(access[0]["ms"] is Double || access[0]["ms"] is Int)
        #expect(access[0]["request"] as? String == ids[0] && access[1]["request"] as? String == ids[1])
        #expect(access[1]["status"] as? Int == 404 && access[1]["path"] as? String == "/v1/…", "a word of no route may be a name")
        for value in ["Dupuis", "Tremblay", "TREJ90541201", "TREJ90541202", "Dupont", "1985-07-07", "lastName", "someone", token] { #expect(!lines.text.contains(value)) }
        // The read's ledger entry carries the request's id.
        let journalled = try await world.database.strings("SELECT request_id FROM ledger_entry")
        #expect(journalled.contains(ids[0]))
    }

    @Test("a trusted proxy's X-Request-Id is used when well formed, replaced when not")
    func proxyID() async throws {
        let world = try await World.make()
        defer { world.remove() }
        let server = GuichetServer(gate: world.gate, auth: world.auth, store: world.store, trustedProxies: try TrustedProxies(["127.0.0.1", "::1"]))
        try await Application(router: server.publicRouter().0).test(.live) { client in
            let good = try await client.execute(uri: "/healthz", method: .get, headers: [GuichetRequestID.header: "edge-7f3a.b:12"])
            #expect(good.headers[GuichetRequestID.header] == "edge-7f3a.b:12")
            for bad in ["has space", String(repeating: "a", count: 65), "semi;colon", "é"] {
                let r = try await client.execute(uri: "/healthz", method: .get, headers: [GuichetRequestID.header: bad])
                #expect(r.headers[GuichetRequestID.header] != bad && GuichetRequestID.acceptable(r.headers[GuichetRequestID.header] ?? ""))
            }
        }
        #expect(GuichetRequestID.resolve(peer: "203.0.113.9", forwarded: "edge-1", proxies: try TrustedProxies(["10.0.0.5"])) != "edge-1")
    }
}
