/// A strict JSON reader for request bodies (RFC 8259): what `JSONDecoder` lets through and a
/// request must not is refused with the place where it went wrong: a key given twice in one
/// object (the decoder keeps the last, so two readers of one body could disagree on what it
/// says), nesting deeper than a request ever needs, anything after the value, and text that
/// is not UTF-8. Messages name the offset and the key, never a value.
public struct JSONParser {
    /// Deepest nesting of arrays and objects accepted.
    public static let maxDepth = 32

    private let bytes: [UInt8]
    private var at = 0
    private var depth = 0

    /// Parses one JSON text; throws `GuichetError.invalid` saying what is wrong and where.
    public static func parse(_ bytes: some Sequence<UInt8>) throws -> JSON {
        var p = JSONParser(bytes: Array(bytes))
        p.skipSpace()
        let value = try p.value(path: "")
        p.skipSpace()
        guard p.at == p.bytes.count else { throw p.error("unexpected text after the JSON value") }
        return value
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    private func error(_ message: String) -> GuichetError {
        .invalid("the body is not valid JSON: \(message) (at byte \(at))")
    }

    private mutating func skipSpace() {
        while at < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[at]) { at += 1 }
    }

    private var next: UInt8? { at < bytes.count ? bytes[at] : nil }

    private mutating func expect(_ literal: String, _ value: JSON) throws -> JSON {
        for b in literal.utf8 {
            guard next == b else { throw error("expected '\(literal)'") }
            at += 1
        }
        return value
    }

    private mutating func value(path: String) throws -> JSON {
        switch next {
        case UInt8(ascii: "{"): return try object(path: path)
        case UInt8(ascii: "["): return try array(path: path)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): return try expect("true", .bool(true))
        case UInt8(ascii: "f"): return try expect("false", .bool(false))
        case UInt8(ascii: "n"): return try expect("null", .null)
        case .some(let b) where b == UInt8(ascii: "-") || (0x30...0x39).contains(b): return try number()
        case nil: throw error("the text ends where a value was expected")
        default: throw error("a value was expected")
        }
    }

    private mutating func nest() throws {
        depth += 1
        guard depth <= Self.maxDepth else { throw error("nested deeper than \(Self.maxDepth) levels") }
        at += 1
        skipSpace()
    }

    private mutating func object(path: String) throws -> JSON {
        try nest()
        var members: [String: JSON] = [:]
        if next == UInt8(ascii: "}") { at += 1; depth -= 1; return .object(members) }
        while true {
            guard next == UInt8(ascii: "\"") else { throw error("a key in quotes was expected") }
            let key = try string()
            let name = path.isEmpty ? key : "\(path).\(key)"
            guard members[key] == nil else {
                throw GuichetError.invalid("the body gives '\(String(name.prefix(80)))' twice; give each key once")
            }
            skipSpace()
            guard next == UInt8(ascii: ":") else { throw error("':' was expected after a key") }
            at += 1
            skipSpace()
            members[key] = try value(path: name)
            skipSpace()
            if next == UInt8(ascii: ",") { at += 1; skipSpace(); continue }
            guard next == UInt8(ascii: "}") else { throw error("',' or '}' was expected") }
            at += 1
            depth -= 1
            return .object(members)
        }
    }

    private mutating func array(path: String) throws -> JSON {
        try nest()
        var items: [JSON] = []
        if next == UInt8(ascii: "]") { at += 1; depth -= 1; return .array(items) }
        while true {
            items.append(try value(path: path))
            skipSpace()
            if next == UInt8(ascii: ",") { at += 1; skipSpace(); continue }
            guard next == UInt8(ascii: "]") else { throw error("',' or ']' was expected") }
            at += 1
            depth -= 1
            return .array(items)
        }
    }

    private mutating func number() throws -> JSON {
        let start = at
        if next == UInt8(ascii: "-") { at += 1 }
        guard let first = next, (0x30...0x39).contains(first) else { throw error("a digit was expected") }
        at += 1
        if first != UInt8(ascii: "0") { digits() }
        if next == UInt8(ascii: ".") {
            at += 1
            guard digits() > 0 else { throw error("a digit was expected after '.'") }
        }
        if next == UInt8(ascii: "e") || next == UInt8(ascii: "E") {
            at += 1
            if next == UInt8(ascii: "+") || next == UInt8(ascii: "-") { at += 1 }
            guard digits() > 0 else { throw error("a digit was expected in the exponent") }
        }
        guard let n = Double(String(decoding: bytes[start..<at], as: UTF8.self)), n.isFinite else {
            throw error("the number is out of range")
        }
        return .number(n)
    }

    @discardableResult
    private mutating func digits() -> Int {
        let start = at
        while let b = next, (0x30...0x39).contains(b) { at += 1 }
        return at - start
    }

    private mutating func hex4() throws -> UInt32 {
        guard at + 4 <= bytes.count else { throw error("four hexadecimal digits were expected after \\u") }
        var v: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[at]
            let d: UInt8
            switch b {
            case 0x30...0x39: d = b - 0x30
            case 0x41...0x46: d = b - 0x41 + 10
            case 0x61...0x66: d = b - 0x61 + 10
            default: throw error("four hexadecimal digits were expected after \\u")
            }
            v = v << 4 | UInt32(d)
            at += 1
        }
        return v
    }

    private mutating func string() throws -> String {
        at += 1  // the opening quote
        var out: [UInt8] = []
        while true {
            guard let b = next else { throw error("a string is not closed") }
            at += 1
            switch b {
            case UInt8(ascii: "\""):
                guard let s = String(validating: out, as: UTF8.self) else { throw error("a string is not valid UTF-8") }
                return s
            case UInt8(ascii: "\\"):
                guard let e = next else { throw error("a string is not closed") }
                at += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(e)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"):
                    var scalar = try hex4()
                    if (0xD800...0xDBFF).contains(scalar) {
                        guard next == UInt8(ascii: "\\"), at + 1 < bytes.count, bytes[at + 1] == UInt8(ascii: "u") else {
                            throw error("a lone surrogate in \\u escape")
                        }
                        at += 2
                        let low = try hex4()
                        guard (0xDC00...0xDFFF).contains(low) else { throw error("a lone surrogate in \\u escape") }
                        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    }
                    guard let u = Unicode.Scalar(scalar) else { throw error("a lone surrogate in \\u escape") }
                    out.append(contentsOf: Array(String(Character(u)).utf8))
                default: throw error("an unknown escape in a string")
                }
            case 0x00..<0x20: throw error("a control character inside a string must be escaped")
            default: out.append(b)
            }
        }
    }
}
