/// A JSON value, used at the edges (request bodies, responses, stored field maps) so that
/// unknown keys can be detected and nothing is silently dropped.
public enum JSON: Sendable, Hashable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSON])
    case object([String: JSON])

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let a = try? c.decode([JSON].self) { self = .array(a) }
        else { self = .object(try c.decode([String: JSON].self)) }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .null: try c.encodeNil()
        case .bool(let b): try c.encode(b)
        case .number(let n):
            if n.rounded() == n, abs(n) < 9e15 { try c.encode(Int(n)) } else { try c.encode(n) }
        case .string(let s): try c.encode(s)
        case .array(let a): try c.encode(a)
        case .object(let o): try c.encode(o)
        }
    }

    /// The string, if this is a string.
    public var string: String? { if case .string(let s) = self { s } else { nil } }
    /// The object, if this is an object.
    public var object: [String: JSON]? { if case .object(let o) = self { o } else { nil } }
    /// The array, if this is an array.
    public var array: [JSON]? { if case .array(let a) = self { a } else { nil } }
    /// The integer, if this is a number without fraction.
    public var integer: Int? {
        if case .number(let n) = self, n.rounded() == n, abs(n) < 9e15 { Int(n) } else { nil }
    }
    /// The name of the JSON type, for error messages (never the value).
    public var typeName: String {
        switch self {
        case .null: "null"; case .bool: "boolean"; case .number: "number"
        case .string: "string"; case .array: "array"; case .object: "object"
        }
    }
}
