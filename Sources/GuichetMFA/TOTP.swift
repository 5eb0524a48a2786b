public import Foundation
import Crypto

/// The HMAC hash of a TOTP secret. RFC 6238 §1.2 allows SHA-1, SHA-256 and SHA-512.
public enum TOTPAlgorithm: String, Sendable, Hashable, CaseIterable {
    /// HMAC-SHA-1, the RFC 4226 default and the only one every authenticator app supports.
    case sha1 = "SHA1"
    /// HMAC-SHA-256 (RFC 6238 §1.2).
    case sha256 = "SHA256"
    /// HMAC-SHA-512 (RFC 6238 §1.2).
    case sha512 = "SHA512"
}

/// A TOTP shared secret with its parameters: one second-factor enrolment (RFC 6238).
///
/// The key is the secret shared with the user's authenticator app. It is not `Codable` and
/// prints redacted (also through `dump` and reflection), so it cannot reach a log or a JSON response by accident (threat model
/// C12); store ``base32`` encrypted, and show it to the user once, at enrolment.
public struct TOTPSecret: Sendable, CustomStringConvertible, CustomReflectable {
    /// Shortest key accepted: RFC 4226 §4 requirement R6 asks for at least 128 bits.
    public static let minimumKeyLength = 16

    /// The HMAC key.
    let key: [UInt8]
    /// HMAC hash function.
    public let algorithm: TOTPAlgorithm
    /// Number of decimal digits in a code (RFC 4226 §5.3 allows 6 to 8; apps expect 6).
    public let digits: Int
    /// Time step X in seconds (RFC 6238 §4.1; 30 is the recommended default, §5.2).
    public let period: Int

    /// A new random secret of 20 bytes (160 bits, the length RFC 4226 §4 R6 recommends),
    /// from the system's cryptographically secure generator.
    public init(algorithm: TOTPAlgorithm = .sha1, digits: Int = 6, period: Int = 30) {
        var rng = SystemRandomNumberGenerator()
        let key = (0..<20).map { _ in UInt8.random(in: 0...255, using: &rng) }
        self.init(validKey: key, algorithm: algorithm, digits: digits, period: period)
    }

    /// A secret from its raw key bytes.
    /// - Throws: ``MFAError/malformed(_:)`` if the key is shorter than ``minimumKeyLength``.
    /// - Precondition: `digits` is 6, 7 or 8 and `period` is positive.
    public init(key: [UInt8], algorithm: TOTPAlgorithm = .sha1, digits: Int = 6, period: Int = 30) throws(MFAError) {
        guard key.count >= Self.minimumKeyLength else {
            throw .malformed("TOTP secret shorter than 128 bits (RFC 4226 §4 R6)")
        }
        self.init(validKey: key, algorithm: algorithm, digits: digits, period: period)
    }

    /// A secret from its base32 text (RFC 4648 §6), as stored or as typed from an app.
    /// - Throws: ``MFAError/malformed(_:)`` if the text is not base32 or the key is too short.
    /// - Precondition: `digits` is 6, 7 or 8 and `period` is positive.
    public init(base32: String, algorithm: TOTPAlgorithm = .sha1, digits: Int = 6, period: Int = 30) throws(MFAError) {
        try self.init(key: Base32.decode(base32), algorithm: algorithm, digits: digits, period: period)
    }

    private init(validKey: [UInt8], algorithm: TOTPAlgorithm, digits: Int, period: Int) {
        precondition((6...8).contains(digits), "TOTP codes have 6 to 8 digits (RFC 4226 §5.3)")
        precondition(period > 0, "the TOTP time step must be positive (RFC 6238 §4.1)")
        self.key = validKey
        self.algorithm = algorithm
        self.digits = digits
        self.period = period
    }

    /// The key in unpadded upper-case base32 (RFC 4648 §6), for storage or manual entry.
    /// - Warning: this is the secret itself: encrypt it at rest, never log it.
    public var base32: String { Base32.encode(key) }

    /// Redacted: never prints the key.
    public var description: String {
        "TOTPSecret(redacted, \(algorithm.rawValue), \(digits) digits, \(period) s)"
    }

    /// Shows the parameters only, so that `dump(_:)` and debuggers do not print the key.
    public var customMirror: Mirror {
        Mirror(self, children: ["algorithm": algorithm, "digits": digits, "period": period])
    }

    /// The provisioning URI an authenticator app scans as a QR code, in the Key URI format
    /// (`otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=…&algorithm=…&digits=…&period=…`).
    ///
    /// Issuer and account are percent-encoded as UTF-8, leaving only RFC 3986 §2.3
    /// unreserved characters as they are, so a colon, space, `&` or `?` in them cannot
    /// change the URI's structure.
    /// - Warning: the URI contains the secret: show it once, never log or store it.
    public func provisioningURI(issuer: String, account: String) -> String {
        let issuerPart = Self.percentEncoded(issuer)
        return "otpauth://totp/\(issuerPart):\(Self.percentEncoded(account))"
            + "?secret=\(base32)&issuer=\(issuerPart)"
            + "&algorithm=\(algorithm.rawValue)&digits=\(digits)&period=\(period)"
    }

    /// The time step number T containing `date` (RFC 6238 §4.2, with T0 = 0).
    /// - Precondition: `date` is not before the Unix epoch.
    public func timeStep(at date: Date) -> Int64 {
        let seconds = date.timeIntervalSince1970
        precondition(seconds >= 0, "TOTP is defined from the Unix epoch on (RFC 6238 §4.2)")
        return Int64((seconds / Double(period)).rounded(.down))
    }

    /// The code an authenticator app shows at `date`, left-padded with zeros to ``digits``.
    /// RFC 6238 §4.2: TOTP = HOTP(K, T).
    /// - Precondition: `date` is not before the Unix epoch.
    public func code(at date: Date) -> String {
        hotp(counter: UInt64(timeStep(at: date)))
    }

    /// Checks a code typed by the user, and returns the time step it belongs to.
    ///
    /// Accepts the code of the current step and of up to `window` steps before or after it
    /// (clock drift, RFC 6238 §5.2 and §6), but never a step at or before `lastUsedStep`: the
    /// caller stores the returned step and passes it next time, so that a code is used at
    /// most once (RFC 6238 §5.2: "the verifier MUST NOT accept the second attempt of the OTP
    /// after the successful validation has been issued for the first OTP"). Every candidate
    /// step is computed and compared in constant time, whichever matches.
    ///
    /// - Parameters:
    ///   - code: exactly ``digits`` ASCII digits; anything else (spaces, other scripts'
    ///     digits, a sign) is refused. Strip a display separator before calling.
    ///   - date: the server's current time (injected, so tests are deterministic).
    ///   - window: how many steps either side to accept; 1 is RFC 6238's recommendation.
    ///   - lastUsedStep: the step returned by the last successful verification, if any.
    /// - Returns: the matched time step, or `nil` if the code is refused.
    /// - Precondition: `window` is between 0 and 10 and `date` is not before the Unix epoch.
    public func verify(_ code: String, at date: Date, window: Int = 1, lastUsedStep: Int64?) -> Int64? {
        precondition((0...10).contains(window), "a TOTP window beyond 10 steps weakens the second factor")
        let typed = Array(code.utf8)
        guard typed.count == digits,
              typed.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let current = timeStep(at: date)
        var matched: Int64?
        for offset in -Int64(window)...Int64(window) {
            let step = current + offset
            guard step >= 0 else { continue }
            let expected = Array(hotp(counter: UInt64(step)).utf8)
            // No early exit: the same work is done whichever step matches.
            if constantTimeEqual(expected, typed) { matched = step }
        }
        guard let step = matched else { return nil }
        if let last = lastUsedStep, step <= last { return nil }
        return step
    }

    /// HOTP(K, C) (RFC 4226 §5.3): HMAC over the 8-byte big-endian counter, dynamic
    /// truncation, then the low ``digits`` decimal digits.
    func hotp(counter: UInt64) -> String {
        let message = withUnsafeBytes(of: counter.bigEndian) { Array($0) }
        let symmetricKey = SymmetricKey(data: key)
        let mac: [UInt8] = switch algorithm {
        case .sha1: Array(HMAC<Insecure.SHA1>.authenticationCode(for: message, using: symmetricKey))
        case .sha256: Array(HMAC<SHA256>.authenticationCode(for: message, using: symmetricKey))
        case .sha512: Array(HMAC<SHA512>.authenticationCode(for: message, using: symmetricKey))
        }
        // RFC 4226 §5.4: the offset is the low 4 bits of the last byte, and the 31-bit
        // value starts there (the top bit is masked off to avoid signed arithmetic).
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let binary = (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16)
            | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        var modulus: UInt32 = 1
        for _ in 0..<digits { modulus *= 10 }
        let value = String(binary % modulus)
        return String(repeating: "0", count: digits - value.count) + value
    }

    /// RFC 3986 §2.1 percent-encoding of UTF-8, keeping only the §2.3 unreserved characters.
    static func percentEncoded(_ text: String) -> String {
        let hex = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                 UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hex[Int(byte >> 4)], hex[Int(byte & 0x0F)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
