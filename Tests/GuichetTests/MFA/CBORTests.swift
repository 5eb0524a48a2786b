import Testing
@testable import GuichetMFA

/// The CBOR decoder (RFC 8949) accepts the subset WebAuthn uses and refuses everything else.
struct CBORTests {
    @Test("Integers, strings, arrays, maps and booleans decode to their values")
    func accepts() throws {
        #expect(try CBORDecoder.decode([0x00]) == .unsigned(0))
        #expect(try CBORDecoder.decode([0x17]) == .unsigned(23))
        #expect(try CBORDecoder.decode([0x18, 0x18]) == .unsigned(24))
        #expect(try CBORDecoder.decode([0x19, 0x01, 0x00]) == .unsigned(256))
        #expect(try CBORDecoder.decode([0x1B] + Array(repeating: 0xFF, count: 8)) == .unsigned(.max))
        #expect(try CBORDecoder.decode([0x20]).integer == -1)
        #expect(try CBORDecoder.decode([0x38, 0x63]).integer == -100)  // RFC 8949 Appendix A
        #expect(try CBORDecoder.decode([0x26]).integer == -7)  // COSE ES256
        #expect(try CBORDecoder.decode([0x43, 1, 2, 3]) == .bytes([1, 2, 3]))
        #expect(try CBORDecoder.decode([0x64, 0x49, 0x45, 0x54, 0x46]) == .text("IETF"))
        #expect(try CBORDecoder.decode([0x62, 0xC3, 0xBC]) == .text("ü"))
        #expect(try CBORDecoder.decode([0x83, 0x01, 0x82, 0x02, 0x03, 0x80])
                == .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([])]))
        #expect(try CBORDecoder.decode([0xA2, 0x01, 0x02, 0x61, 0x61, 0xF5])
                == .map([.unsigned(1): .unsigned(2), .text("a"): .bool(true)]))
        #expect(try CBORDecoder.decode([0xF4]) == .bool(false))
    }

    @Test("A prefix decode reports the item's length and leaves what follows")
    func prefix() throws {
        let (item, length) = try CBORDecoder.decodePrefix([0x82, 0x01, 0x02, 0xFF, 0xFF])
        #expect(item == .array([.unsigned(1), .unsigned(2)]))
        #expect(length == 3)
    }

    static let refusals: [(String, [UInt8], String)] = [
        ("empty input", [], "CBOR: truncated"),
        ("indefinite byte string", [0x5F, 0x41, 0x00, 0xFF], "CBOR: indefinite length"),
        ("indefinite text string", [0x7F, 0xFF], "CBOR: indefinite length"),
        ("indefinite array", [0x9F, 0xFF], "CBOR: indefinite length"),
        ("indefinite map", [0xBF, 0xFF], "CBOR: indefinite length"),
        ("reserved additional information 28", [0x1C], "CBOR: reserved additional information"),
        ("a tag", [0xC1, 0x1A, 0x51, 0x4B, 0x67, 0xB0], "CBOR: tags are not accepted"),
        ("a half-precision float", [0xF9, 0x3C, 0x00], "CBOR: floating-point and simple values are not accepted"),
        ("a double", [0xFB, 0x3F, 0xF1, 0x99, 0x99, 0x99, 0x99, 0x99, 0x9A], "CBOR: floating-point and simple values are not accepted"),
        ("null", [0xF6], "CBOR: floating-point and simple values are not accepted"),
        ("undefined", [0xF7], "CBOR: floating-point and simple values are not accepted"),
        ("a lone break", [0xFF], "CBOR: unexpected break"),
        ("trailing bytes", [0x01, 0x00], "CBOR: bytes after the data item"),
        ("a truncated argument", [0x19, 0x01], "CBOR: truncated"),
        ("a truncated byte string", [0x43, 0x01, 0x02], "CBOR: length past the end of the input"),
        ("a truncated array", [0x82, 0x01], "CBOR: length past the end of the input"),
        ("a truncated argument inside an array", [0x82, 0x01, 0x19], "CBOR: truncated"),
        ("a 2^64-1 byte length", [0x5B] + Array(repeating: 0xFF, count: 8), "CBOR: length past the end of the input"),
        ("a 2^64-1 element array", [0x9B] + Array(repeating: 0xFF, count: 8), "CBOR: length past the end of the input"),
        ("a map longer than the input", [0xA2, 0x01, 0x02, 0x03], "CBOR: length past the end of the input"),
        ("invalid UTF-8 in text", [0x62, 0xC3, 0x28], "CBOR: text string is not valid UTF-8"),
        ("a UTF-16 surrogate in text", [0x63, 0xED, 0xA0, 0x80], "CBOR: text string is not valid UTF-8"),
        ("a duplicate map key", [0xA2, 0x01, 0x02, 0x01, 0x03], "CBOR: duplicate map key"),
        ("a duplicate key spelled longer", [0xA2, 0x01, 0x02, 0x18, 0x01, 0x03], "CBOR: duplicate map key"),
        ("nesting of 10 arrays", Array(repeating: 0x81, count: 10) + [0x00], "CBOR: nested too deeply"),
    ]

    @Test("Malformed or unsupported CBOR is refused with a named reason", arguments: refusals.indices)
    func refuses(index: Int) {
        let (name, bytes, reason) = Self.refusals[index]
        #expect(throws: MFAError.malformed(reason), "\(name)") { try CBORDecoder.decode(bytes) }
    }

    @Test("Nesting up to the depth limit is accepted")
    func depthLimit() throws {
        let bytes = Array(repeating: UInt8(0x81), count: CBORDecoder.maximumDepth) + [0x00]
        _ = try CBORDecoder.decode(bytes)
    }

    @Test("An input over the size limit is refused before it is read")
    func sizeLimit() {
        let length = CBORDecoder.maximumInput
        let bytes: [UInt8] = [0x5A, UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF),
                              UInt8(length & 0xFF)] + Array(repeating: 0, count: length)
        #expect(throws: MFAError.malformed("CBOR: input too long")) { try CBORDecoder.decode(bytes) }
    }
}
