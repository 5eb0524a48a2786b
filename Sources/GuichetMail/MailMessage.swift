public import Foundation

/// An e-mail address, checked so that it cannot smuggle a header or an SMTP command.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    public let value: String

    /// - Throws: ``MailError/invalidAddress`` for anything but `local@domain` in printable ASCII
    ///   without spaces, angle brackets or line breaks.
    public init(_ value: String) throws {
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        let allowed = value.unicodeScalars.allSatisfy { $0.isASCII && $0.value > 32 && $0.value < 127 && !"<>()[]\\,;:\"".unicodeScalars.contains($0) }
        guard value.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64,
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), allowed else {
            throw MailError.invalidAddress
        }
        self.value = value
    }

    /// The address with its local part masked (`a***@example.org`), for messages to a third party.
    public var masked: String {
        let parts = value.split(separator: "@")
        return "\(parts[0].prefix(1))***@\(parts[1])"
    }

    public var description: String { masked }
}

/// One message: plain text, and optionally the same content as HTML.
public struct MailMessage: Sendable {
    public var from: MailAddress
    public var to: MailAddress
    public var subject: String
    public var text: String
    public var html: String?
    /// The language of the content (`fr`, `en`), sent as Content-Language.
    public var language: String?

    public init(from: MailAddress, to: MailAddress, subject: String, text: String, html: String? = nil, language: String? = nil) {
        self.from = from; self.to = to; self.subject = subject; self.text = text; self.html = html; self.language = language
    }

    /// The message in RFC 5322 / MIME form, CRLF line ends. Every text part is UTF-8 in
    /// base64, and the subject an RFC 2047 encoded word, so that no content can start a header
    /// or end the SMTP DATA section.
    public func rendered(date: Date = Date(), messageID: String = UUID().uuidString) -> String {
        var lines = [
            "From: \(from.value)",
            "To: \(to.value)",
            "Subject: \(Self.encodedWord(subject))",
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)@\(from.value.split(separator: "@")[1])>",
            "MIME-Version: 1.0",
        ]
        if let language, language.allSatisfy({ $0.isLetter || $0 == "-" }) { lines.append("Content-Language: \(language)") }
        if let html {
            let boundary = "guichet-\(UUID().uuidString)"
            lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("--\(boundary)")
            lines += Self.part("text/plain", text)
            lines.append("--\(boundary)")
            lines += Self.part("text/html", html)
            lines.append("--\(boundary)--")
        } else {
            lines += Self.part("text/plain", text).dropLast(0)
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    static func part(_ type: String, _ content: String) -> [String] {
        let normalised = content.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
        let encoded = Data(normalised.utf8).base64EncodedString(options: [.lineLength76Characters, .endLineWithCarriageReturn, .endLineWithLineFeed])
        return ["Content-Type: \(type); charset=utf-8", "Content-Transfer-Encoding: base64", ""]
            + encoded.components(separatedBy: "\r\n")
    }

    static func encodedWord(_ s: String) -> String {
        if s.allSatisfy({ $0.isASCII && !$0.isNewline }) && s.count < 70 { return s }
        // Encoded words are at most 75 characters: split the UTF-8 bytes on character boundaries.
        var words: [String] = [], chunk = ""
        for c in s where !c.isNewline {
            if (chunk + String(c)).utf8.count > 45 { words.append(chunk); chunk = "" }
            chunk.append(c)
        }
        if !chunk.isEmpty { words.append(chunk) }
        return words.map { "=?UTF-8?B?\(Data($0.utf8).base64EncodedString())?=" }.joined(separator: "\r\n ")
    }

    static func rfc5322Date(_ date: Date) -> String {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "UTC")
        f.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return f.string(from: date)
    }
}

/// Why a message was not sent. No case carries an address or content.
public enum MailError: Error, Equatable, CustomStringConvertible {
    case invalidAddress
    /// The relay could not be reached.
    case unreachable(String)
    /// The relay answered with an error to a step of the SMTP dialogue.
    case refused(step: String, code: Int)
    /// The relay did not answer in time.
    case timeout
    /// The relay's answer was not SMTP.
    case protocolError
    /// No relay is configured.
    case notConfigured

    public var description: String {
        switch self {
        case .invalidAddress: "not a valid e-mail address"
        case .unreachable(let relay): "the mail relay \(relay) cannot be reached"
        case .refused(let step, let code): "the mail relay refused the message at \(step) (SMTP \(code))"
        case .timeout: "the mail relay did not answer in time"
        case .protocolError: "the mail relay's answer is not SMTP"
        case .notConfigured: "no mail relay is configured (set smtpHost and mailFrom in guichet.yaml)"
        }
    }
}

/// Sends messages. The production implementation is ``SMTPMailer``.
public protocol Mailer: Sendable {
    /// Sends one message; returns once the relay has accepted it.
    func send(_ message: MailMessage) async throws
    /// The sender address messages go out with.
    var sender: MailAddress { get }
}
