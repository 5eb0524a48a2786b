/// How sensitive a field is; the profile assigns one to every field.
public enum Classification: String, Sendable, CaseIterable, Codable {
    case `public` = "public"
    case identity
    case contact
    case nationalID = "national-id"
    case sensitive
    /// The most protected class (an adviser's sealed note): encrypted like `sensitive`, and
    /// the policy lets it through only to staff reading their own caseload (`when: assigned`);
    /// never in a summary, a search result or break-glass, never to a partner or a citizen.
    case sealed
}

/// The type of a field's value, which decides how input is validated and normalised.
public enum FieldType: Sendable, Equatable {
    case text(maxLength: Int)
    case integer(min: Int, max: Int)
    case date
    case boolean
    case email
    /// A phone number of one numbering plan, stored in E.164 form (`+33639981234`).
    case phone(format: PhoneFormat)
    /// A national identifier in one of the known formats (`nam`, `nir`, `cin`, `cnss`).
    case nationalID(format: NationalIDFormat)
    case choice(Set<String>)
}

/// Formats of national identifiers that Guichet validates.
public enum NationalIDFormat: String, Sendable, CaseIterable {
    /// Québec health-insurance number; French social-security number; Moroccan national
    /// identity card; Moroccan social-security (CNSS) registration number.
    case nam, nir, cin, cnss
}

/// A calendar date without time zone (birth dates, wished start dates).
public struct LocalDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Creates a date; `nil` unless the day exists in the proleptic Gregorian calendar.
    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
              day <= LocalDate.daysIn(month: month, year: year) else { return nil }
        self.year = year; self.month = month; self.day = day
    }

    /// Parses `YYYY-MM-DD` (ISO 8601 calendar date, extended format).
    public init?(iso text: String) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
        self.init(year: y, month: m, day: d)
    }

    /// Number of days in a month of a year.
    public static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        func pad(_ v: Int, _ n: Int) -> String { let s = String(v); return String(repeating: "0", count: max(0, n - s.count)) + s }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
    public var description: String { iso }
    public static func < (a: Self, b: Self) -> Bool { (a.year, a.month, a.day) < (b.year, b.month, b.day) }
}

extension Character {
    /// True for the ten ASCII digits only (not other Unicode digits).
    public var isASCIIDigit: Bool { ("0"..."9").contains(self) && isASCII }
}

/// A plaintext field value.
///
/// - Warning: this is personal data. It is deliberately not `Codable` and prints as
///   `[redacted]`, so that it cannot reach a log line or an error text by accident. Code that
///   must put it on the wire calls ``revealedJSON`` explicitly (the gate's response path only).
public enum FieldValue: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    case text(String)
    case integer(Int)
    case date(LocalDate)
    case boolean(Bool)

    public var description: String { "[redacted]" }
    public var debugDescription: String { "[redacted]" }

    /// The value as JSON, for the one path that is allowed to reveal it.
    public var revealedJSON: JSON {
        switch self {
        case .text(let s): return .string(s)
        case .integer(let i): return .number(Double(i))
        case .date(let d): return .string(d.iso)
        case .boolean(let b): return .bool(b)
        }
    }
}
