public import Logging
import GuichetCore

/// A log handler that redacts, in every message and metadata value, whatever looks like a
/// secret or a personal value before it reaches the underlying handler (C12, threat R3: log
/// files with members' e-mails and passwords). Guichet's own log lines carry none of these by
/// construction; this is the second line of defence, for a library's message or a mistake.
///
/// Redacted: e-mail addresses, national identifiers (4 letters and 8 digits; runs of 10 or more
/// digits, which cover NIR and phone numbers; a word of 9 digits, a CNSS number; 1 or 2
/// capitals then 5 or 6 digits, a CIN), runs of 32 or more base64url characters
/// (tokens, keys), and the values of metadata keys that name a secret.
public struct RedactingLogHandler: LogHandler {
    var inner: any LogHandler

    public init(_ inner: any LogHandler) { self.inner = inner }

    public var logLevel: Logger.Level {
        get { inner.logLevel }
        set { inner.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue.mapValues(Self.redact) }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue.map(Self.redact) }
    }

    static let secretKeys = ["password", "token", "secret", "code", "otp", "key", "authorization", "cookie"]

    public func log(event: LogEvent) {
        var event = event
        event.message = "\(Self.redact(event.message.description))"
        event.metadata = event.metadata.map { metadata in
            Dictionary(uniqueKeysWithValues: metadata.map { key, value in
                // The id of the request being served was checked when it arrived (``GuichetRequestID``).
                if key == "request", case .string(let id) = value, id == RequestLog.id { return (key, value) }
                // A request id made here (a console command's, Hummingbird's own) is long enough to
                // look like a token, and redacting it cut the line from its ledger entry (an
                // operator's audit): kept when it has an id's shape and no run of digits.
                if key == "request" || key == "hb.request.id", Self.isRequestID(value.description) { return (key, value) }
                return (key, Self.secretKeys.contains(where: key.lowercased().contains) ? .string("[redacted]") : Self.redact(value))
            })
        }
        inner.log(event: event)
    }

    /// An id's characters (``GuichetRequestID/acceptable(_:)``), at most 64, and neither an
    /// address nor a run of 10 digits (a phone, a NIR).
    static func isRequestID(_ s: String) -> Bool {
        guard GuichetRequestID.acceptable(s) else { return false }
        var run = 0
        for c in s.utf8 {
            run = (c >= 0x30 && c <= 0x39) ? run + 1 : 0
            if run >= 10 { return false }
        }
        return true
    }

    static func redact(_ value: Logger.Metadata.Value) -> Logger.Metadata.Value {
        switch value {
        case .string(let s): .string(redact(s))
        // A number stays a number (JSON lines keep its type) unless it looks like a phone or an identifier.
        case .stringConvertible(let c) where (c is Int || c is Double) && !looksSensitive(c.description): value
        case .stringConvertible(let c): .string(redact(c.description))
        case .array(let a): .array(a.map(redact))
        case .dictionary(let d): .dictionary(d.mapValues(redact))
        }
    }

    /// Redacts the words of `text` that look like secrets or personal values.
    public static func redact(_ text: String) -> String {
        var out = ""
        var word = ""
        func flush() {
            out += looksSensitive(word) ? "[redacted]" : word
            word = ""
        }
        for c in text {
            if c.isWhitespace || "\"'<>()[]{},;=".contains(c) { flush(); out.append(c) } else { word.append(c) }
        }
        flush()
        return out
    }

    static func looksSensitive(_ w: String) -> Bool {
        if w.contains("@"), w.contains(".") { return true }
        let chars = Array(w)
        var digitRun = 0, b64Run = 0
        for c in chars {
            digitRun = c.isASCIIDigit ? digitRun + 1 : 0
            b64Run = c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_") ? b64Run + 1 : 0
            if digitRun >= 10 || b64Run >= 32 { return true }
        }
        // Moroccan identifiers (R3): a CNSS registration number, an identity card (CIN).
        if FieldValidation.isValidCNSS(w) || (FieldValidation.isValidCIN(w) && chars.filter(\.isASCIIDigit).count >= 5) { return true }
        for i in chars.indices where i + 12 <= chars.count {
            if chars[i..<i + 4].allSatisfy({ $0.isASCII && $0.isUppercase }) && chars[i + 4..<i + 12].allSatisfy(\.isASCIIDigit) { return true }
        }
        return false
    }
}
