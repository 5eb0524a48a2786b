/// Marker types that keep identifiers of different kinds apart at compile time.
public enum DossierTag {}
/// Marks a person identifier.
public enum PersonTag {}
/// Marks an account identifier.
public enum AccountTag {}
/// Marks an organisation identifier.
public enum OrganisationTag {}
/// Marks a session identifier (the public handle of a session, never its token).
public enum SessionTag {}

/// A random, URL-safe identifier of 128 bits (22 base64url characters).
///
/// Identifiers are never sequential: they reveal neither how many records exist nor the
/// order in which they were created.
public struct Identifier<Tag>: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The 22-character base64url text of the identifier.
    public let rawValue: String

    /// Creates a fresh identifier from the system's cryptographically secure generator.
    public init() {
        var rng = SystemRandomNumberGenerator()
        self.init(using: &rng)
    }

    /// Creates an identifier from the given generator (tests and the synthetic generator
    /// inject a seeded one).
    public init<R: RandomNumberGenerator>(using rng: inout R) {
        var bytes = [UInt8]()
        bytes.reserveCapacity(16)
        for _ in 0..<2 {
            let word = rng.next()
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        // An identifier never starts with '-' (base64url 62), which a command line would take
        // for an option (`--incident -abc…`): that first character becomes '_' (63).
        if bytes[0] >> 2 == 62 { bytes[0] |= 0x04 }
        self.rawValue = Base64URL.encode(bytes)
    }

    /// Parses an identifier received from outside; `nil` unless it is exactly 22 base64url
    /// characters that encode 16 bytes.
    public init?(validating text: some StringProtocol) {
        guard text.utf8.count == 22, let bytes = Base64URL.decode(String(text)), bytes.count == 16,
              Base64URL.encode(bytes) == text else { return nil }
        self.rawValue = String(text)
    }

    /// Wraps text read back from our own storage, which only ever holds valid identifiers.
    public init(trusted text: String) { self.rawValue = text }

    public var description: String { rawValue }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

public typealias DossierID = Identifier<DossierTag>
public typealias PersonID = Identifier<PersonTag>
public typealias AccountID = Identifier<AccountTag>
public typealias OrganisationID = Identifier<OrganisationTag>
public typealias SessionID = Identifier<SessionTag>

/// Base64url without padding (RFC 4648 §5).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let reverse: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    /// Encodes bytes as base64url text without padding.
    public static func encode(_ bytes: some Collection<UInt8>) -> String {
        // One generic call, then a loop over contiguous bytes: the generic loop, called from
        // another module, went through the collection's witnesses byte by byte (issue 18:
        // a fifth of a blind index's cost).
        bytes.withContiguousStorageIfAvailable { encode(UnsafeRawBufferPointer($0)) } ?? Array(bytes).withUnsafeBytes { encode($0) }
    }

    /// Encodes the bytes of a buffer as base64url text without padding.
    public static func encode(_ bytes: UnsafeRawBufferPointer) -> String {
        let count = (bytes.count * 4 + 2) / 3
        guard count > 0 else { return "" }
        return String(unsafeUninitializedCapacity: count) { out in
            alphabet.withUnsafeBufferPointer { alphabet in
                var o = 0, i = 0
                while i + 3 <= bytes.count {
                    let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
                    out[o] = alphabet[Int(v >> 18)]; out[o + 1] = alphabet[Int(v >> 12 & 0x3F)]
                    out[o + 2] = alphabet[Int(v >> 6 & 0x3F)]; out[o + 3] = alphabet[Int(v & 0x3F)]
                    i += 3; o += 4
                }
                switch bytes.count - i {
                case 1:
                    let v = UInt32(bytes[i]) << 16
                    out[o] = alphabet[Int(v >> 18)]; out[o + 1] = alphabet[Int(v >> 12 & 0x3F)]; o += 2
                case 2:
                    let v = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
                    out[o] = alphabet[Int(v >> 18)]; out[o + 1] = alphabet[Int(v >> 12 & 0x3F)]
                    out[o + 2] = alphabet[Int(v >> 6 & 0x3F)]; o += 3
                default: break
                }
                return o
            }
        }
    }

    /// Decodes base64url text without padding; `nil` on any character outside the alphabet.
    public static func decode(_ text: String) -> [UInt8]? {
        var out = [UInt8]()
        var buffer: UInt32 = 0
        var bits = 0
        for char in text.utf8 {
            let value = reverse[Int(char)]
            guard value >= 0 else { return nil }
            buffer = (buffer << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        return out
    }
}
