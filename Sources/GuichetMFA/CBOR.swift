/// A decoded CBOR data item (RFC 8949), restricted to what WebAuthn attestation objects and
/// COSE keys use (WebAuthn L3 §6.5.4, RFC 9052 §7): integers, byte and text strings, arrays,
/// maps and booleans.
indirect enum CBOR: Sendable, Hashable {
    /// Major type 0: an unsigned integer (RFC 8949 §3.1).
    case unsigned(UInt64)
    /// Major type 1: the integer `-1 - n` (RFC 8949 §3.1).
    case negative(UInt64)
    /// Major type 2.
    case bytes([UInt8])
    /// Major type 3, valid UTF-8.
    case text(String)
    /// Major type 4.
    case array([CBOR])
    /// Major type 5; duplicate keys are refused when decoding (RFC 8949 §5.6).
    case map([CBOR: CBOR])
    /// Major type 7, simple values 20 and 21.
    case bool(Bool)

    /// The value as a signed integer, if it is an integer that fits in `Int64`.
    var integer: Int64? {
        switch self {
        case .unsigned(let n) where n <= UInt64(Int64.max): Int64(n)
        case .negative(let n) where n <= UInt64(Int64.max): -1 - Int64(n)
        default: nil
        }
    }

    /// An integer key, as COSE uses (RFC 9052 §7.1).
    static func int(_ value: Int64) -> CBOR {
        value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }
}

/// A strict CBOR decoder (RFC 8949 §3) for untrusted input.
///
/// It MUST refuse, rather than skip or guess: indefinite lengths (§3.2.2), tags (§3.4),
/// floating-point and simple values other than `true`/`false` (§3.3), reserved additional
/// information 28–30 (§3), invalid UTF-8 in a text string (§3.1), duplicate map keys
/// (§5.6), nesting deeper than ``maximumDepth``, inputs longer than ``maximumInput``, a
/// length running past the end of the input, and bytes after the item (``decode(_:)``).
/// Every length is checked against the bytes left before anything is allocated, so a
/// declared length cannot make it reserve more memory than the input's size.
struct CBORDecoder {
    /// Deepest nesting accepted; an attestation object needs 3 (map, attStmt, x5c).
    static let maximumDepth = 8
    /// Longest input accepted, in bytes. An attestation object with a certificate chain is
    /// a few kilobytes; this server refuses such formats anyway.
    static let maximumInput = 64 * 1024

    private let bytes: [UInt8]
    private var position = 0

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Decodes exactly one item that fills the whole input.
    static func decode(_ bytes: [UInt8]) throws(MFAError) -> CBOR {
        let (item, length) = try decodePrefix(bytes)
        guard length == bytes.count else { throw .malformed("CBOR: bytes after the data item") }
        return item
    }

    /// Decodes the item at the start of `bytes` and returns it with its encoded length: for
    /// structures where CBOR items are followed by more data, like the credential public key
    /// in authenticator data (WebAuthn L3 §6.5.1).
    static func decodePrefix(_ bytes: [UInt8]) throws(MFAError) -> (CBOR, Int) {
        guard bytes.count <= maximumInput else { throw .malformed("CBOR: input too long") }
        var decoder = CBORDecoder(bytes)
        let item = try decoder.item(depth: 0)
        return (item, decoder.position)
    }

    private var remaining: Int { bytes.count - position }

    private mutating func byte() throws(MFAError) -> UInt8 {
        guard position < bytes.count else { throw .malformed("CBOR: truncated") }
        defer { position += 1 }
        return bytes[position]
    }

    /// The argument of the initial byte (RFC 8949 §3): a value, or a length.
    private mutating func argument(_ info: UInt8) throws(MFAError) -> UInt64 {
        switch info {
        case 0...23: return UInt64(info)
        case 24...27:
            var value: UInt64 = 0
            for _ in 0..<(1 << Int(info - 24)) { value = (value << 8) | UInt64(try byte()) }
            return value
        case 31: throw .malformed("CBOR: indefinite length")
        default: throw .malformed("CBOR: reserved additional information")
        }
    }

    /// A count of things that each take at least `unit` bytes, checked against the input left.
    private mutating func count(_ info: UInt8, unit: Int) throws(MFAError) -> Int {
        let value = try argument(info)
        guard value <= UInt64(remaining / unit) else { throw .malformed("CBOR: length past the end of the input") }
        return Int(value)
    }

    private mutating func item(depth: Int) throws(MFAError) -> CBOR {
        guard depth <= Self.maximumDepth else { throw .malformed("CBOR: nested too deeply") }
        let initial = try byte()
        let major = initial >> 5
        let info = initial & 0x1F
        switch major {
        case 0: return .unsigned(try argument(info))
        case 1: return .negative(try argument(info))
        case 2, 3:
            let length = try count(info, unit: 1)
            let slice = Array(bytes[position..<position + length])
            position += length
            if major == 2 { return .bytes(slice) }
            guard let text = String(validating: slice, as: UTF8.self) else {
                throw .malformed("CBOR: text string is not valid UTF-8")
            }
            return .text(text)
        case 4:
            let n = try count(info, unit: 1)
            var items: [CBOR] = []
            items.reserveCapacity(n)
            for _ in 0..<n { items.append(try item(depth: depth + 1)) }
            return .array(items)
        case 5:
            let n = try count(info, unit: 2)
            var entries: [CBOR: CBOR] = [:]
            entries.reserveCapacity(n)
            for _ in 0..<n {
                let key = try item(depth: depth + 1)
                let value = try item(depth: depth + 1)
                guard entries.updateValue(value, forKey: key) == nil else {
                    throw .malformed("CBOR: duplicate map key")
                }
            }
            return .map(entries)
        case 6: throw .malformed("CBOR: tags are not accepted")
        default:
            switch info {
            case 20: return .bool(false)
            case 21: return .bool(true)
            case 31: throw .malformed("CBOR: unexpected break")
            default: throw .malformed("CBOR: floating-point and simple values are not accepted")
            }
        }
    }
}
