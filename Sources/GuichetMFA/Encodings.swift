/// Byte encodings used by TOTP and WebAuthn, and a constant-time comparison.
enum Base32 {
    /// RFC 4648 §6, Table 3.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// Encodes without padding: the Key URI format asks that padding be omitted.
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 8 + 4) / 5)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                out.append(alphabet[Int((buffer >> UInt32(bits)) & 31)])
            }
        }
        if bits > 0 { out.append(alphabet[Int((buffer << UInt32(5 - bits)) & 31)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes RFC 4648 §6 base32, case-insensitively, with or without the `=` padding.
    ///
    /// Refuses any other character, a padding in the middle, an impossible length
    /// (RFC 4648 §6: the last quantum has 2, 4, 5 or 7 characters) and non-zero pad bits
    /// (RFC 4648 §3.5), so each secret has exactly one accepted spelling up to case.
    static func decode(_ text: String) throws(MFAError) -> [UInt8] {
        var chars = Array(text.utf8)
        while chars.last == UInt8(ascii: "=") { chars.removeLast() }
        let padded = text.utf8.count
        if padded != chars.count, padded % 8 != 0 || padded - chars.count > 6 {
            throw .malformed("base32 padding does not complete an 8-character block")
        }
        guard [0, 2, 4, 5, 7].contains(chars.count % 8) else {
            throw .malformed("base32 text has an impossible length")
        }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 5 / 8)
        var buffer: UInt32 = 0
        var bits = 0
        for c in chars {
            let value: UInt32
            switch c {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = UInt32(c - UInt8(ascii: "A"))
            case UInt8(ascii: "a")...UInt8(ascii: "z"): value = UInt32(c - UInt8(ascii: "a"))
            case UInt8(ascii: "2")...UInt8(ascii: "7"): value = UInt32(c - UInt8(ascii: "2")) + 26
            default: throw .malformed("base32 text has a character outside RFC 4648 §6")
            }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((buffer >> UInt32(bits)) & 0xFF))
            }
        }
        if bits > 0, buffer & ((1 << UInt32(bits)) - 1) != 0 {
            throw .malformed("base32 text has non-zero pad bits")
        }
        return out
    }
}

enum Base64URL {
    /// RFC 4648 §5, Table 2.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    /// Encodes without padding, as WebAuthn's `challenge` member (WebAuthn L3 §5.8.1, §3 "Base64url Encoding").
    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest == 1 {
            let n = UInt32(bytes[i]) << 16
            for shift in [18, 12] { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
        } else if rest == 2 {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8
            for shift in [18, 12, 6] { out.append(alphabet[Int((n >> UInt32(shift)) & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Compares two byte sequences in time that depends only on their lengths, not on where they
/// first differ. Lengths are not secret here (a code has a fixed number of digits).
func constantTimeEqual(_ a: some Collection<UInt8>, _ b: some Collection<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
}
