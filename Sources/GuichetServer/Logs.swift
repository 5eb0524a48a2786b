public import Logging
import GuichetCore
import Foundation
import Synchronization

/// How log lines are written: plain text for a person at a terminal (the default, and the
/// demo's), or one JSON object per line for a log pipeline (Loki, Elasticsearch, a SIEM agent).
public enum LogFormat: String, Sendable, CaseIterable {
    case text, json
}

/// Where logs go, in which format, from which level. Read from `GUICHET_LOG_FORMAT`,
/// `GUICHET_LOG_LEVEL` and `GUICHET_LOG_OUTPUT`, which win over the configuration file's
/// `logFormat`, `logLevel` and `logOutput` (docs/OPERATIONS.md, "Logs").
public struct LogSettings: Sendable, Equatable {
    public var format: LogFormat = .text
    public var level: Logger.Level = .info
    /// Standard error (the default) or standard output; a container runtime collects both.
    public var toStandardOutput = false

    public init(format: LogFormat = .text, level: Logger.Level = .info, toStandardOutput: Bool = false) {
        self.format = format; self.level = level; self.toStandardOutput = toStandardOutput
    }

    /// The settings from the environment, then the file's values, then the defaults.
    /// - Throws: ``GuichetError/invalid(_:)`` naming the setting whose value is not one of those allowed.
    public static func resolve(environment: [String: String], format: String?, level: String?, output: String?) throws -> LogSettings {
        var s = LogSettings()
        if let f = environment["GUICHET_LOG_FORMAT"] ?? format {
            guard let v = LogFormat(rawValue: f.lowercased()) else {
                throw GuichetError.invalid("log format must be one of: \(LogFormat.allCases.map(\.rawValue).joined(separator: ", ")) (GUICHET_LOG_FORMAT or logFormat)")
            }
            s.format = v
        }
        if let l = environment["GUICHET_LOG_LEVEL"] ?? level {
            guard let v = Logger.Level(rawValue: l.lowercased()) else {
                throw GuichetError.invalid("log level must be one of: \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")) (GUICHET_LOG_LEVEL or logLevel)")
            }
            s.level = v
        }
        if let o = environment["GUICHET_LOG_OUTPUT"] ?? output {
            switch o.lowercased() {
            case "stderr": s.toStandardOutput = false
            case "stdout": s.toStandardOutput = true
            default: throw GuichetError.invalid("log output must be stderr or stdout (GUICHET_LOG_OUTPUT or logOutput)")
            }
        }
        return s
    }
}

/// The request being served, as a task-local value: set by the access-log middleware, read by
/// every log line written while the request is served (so that each carries its id) and by the
/// gate's requests (so that the ledger's entries carry the same id as the logs).
public enum RequestLog {
    @TaskLocal public static var id: String?
}

/// The process's log destination: its settings (which `guichet serve` sets once it has read
/// the configuration) and the stream lines are written to, one write per line.
public final class LogOutput: Sendable {
    private let state: Mutex<LogSettings>
    private let sink: (@Sendable (String, _ toStandardOutput: Bool) -> Void)

    /// The standard streams, with the settings of the environment (invalid values are left at
    /// the default here; `guichet serve` refuses them with a message).
    public static let standard = LogOutput(
        settings: (try? LogSettings.resolve(environment: ProcessInfo.processInfo.environment, format: nil, level: nil, output: nil)) ?? LogSettings()
    ) { line, toStandardOutput in
        (toStandardOutput ? FileHandle.standardOutput : FileHandle.standardError).write(Data(line.utf8))
    }

    /// - Parameter sink: receives each finished line (with its newline); tests capture them.
    public init(settings: LogSettings = LogSettings(), sink: @escaping @Sendable (String, _ toStandardOutput: Bool) -> Void) {
        state = Mutex(settings)
        self.sink = sink
    }

    public var settings: LogSettings {
        get { state.withLock { $0 } }
        set { state.withLock { $0 = newValue } }
    }

    func write(_ line: String) {
        let toStandardOutput = state.withLock { $0.toStandardOutput }
        sink(line, toStandardOutput)
    }
}

/// Writes log lines in the output's format, each with the id of the request being served
/// (``RequestLog/id``). Used under ``RedactingLogHandler``, which removes what looks like a
/// secret or a personal value first.
public struct GuichetLogHandler: LogHandler {
    let label: String
    let output: LogOutput
    public var metadata: Logger.Metadata = [:]
    /// A level set on one logger (Hummingbird's is quieter); the output's level still applies.
    var ownLevel: Logger.Level = .trace

    public init(label: String, output: LogOutput = .standard) { self.label = label; self.output = output }

    public var logLevel: Logger.Level {
        get { max(ownLevel, output.settings.level) }
        set { ownLevel = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var all = metadata.merging(event.metadata ?? [:]) { _, new in new }
        if all["request"] == nil, let id = RequestLog.id { all["request"] = .string(id) }
        let time = Self.timestamp(Date())
        switch output.settings.format {
        case .json:
            var object: [String: JSON] = [:]
            for (key, value) in all { object[key] = Self.json(value) }
            // The line's own keys win over metadata of the same name, which keeps its value under "meta.".
            for key in ["time", "level", "logger", "message"] where object[key] != nil { object["meta." + key] = object[key] }
            object["time"] = .string(time)
            object["level"] = .string(event.level.rawValue)
            object["logger"] = .string(label)
            object["message"] = .string(event.message.description)
            output.write(Self.encode(.object(object)) + "\n")
        case .text:
            let pairs = all.sorted { $0.key < $1.key }.map { "\($0.key)=\(Self.oneLine(Self.text($0.value)))" }
            let tail = pairs.isEmpty ? "" : " " + pairs.joined(separator: " ")
            output.write("\(time) \(event.level.rawValue) \(label): \(Self.oneLine(event.message.description))\(tail)\n")
        }
    }

    /// RFC 3339 in UTC with milliseconds.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: TimeZone(identifier: "UTC")!))  // UTC always exists
    }

    /// No value can start a line of its own in the text format (a forged log line).
    static func oneLine(_ s: String) -> String {
        s.contains(where: \.isNewline) ? s.replacingOccurrences(of: "\r", with: "\\r").replacingOccurrences(of: "\n", with: "\\n") : s
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): s
        case .stringConvertible(let c): c.description
        case .array, .dictionary: encode(json(value))
        }
    }

    static func json(_ value: Logger.Metadata.Value) -> JSON {
        switch value {
        case .string(let s): .string(s)
        case .stringConvertible(let c as Int): .number(Double(c))
        case .stringConvertible(let c as Double): .number(c)
        case .stringConvertible(let c): .string(c.description)
        case .array(let a): .array(a.map(json))
        case .dictionary(let d): .object(d.mapValues(json))
        }
    }

    static func encode(_ value: JSON) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // A JSON value of strings, arrays and objects always encodes.
        return String(decoding: try! encoder.encode(value), as: UTF8.self)
    }
}
