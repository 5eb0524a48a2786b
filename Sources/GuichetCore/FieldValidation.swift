import Foundation

/// Checks and normalises field input against the profile. Error messages name the field
/// and what is expected, never the value received.
public enum FieldValidation {
    /// Converts JSON input for one field into a value, or throws a clear error.
    /// - Parameters:
    ///   - path: the name used in messages (`child.nam`).
    ///   - today: the day of the write, against which a `max: today` date is checked; nil
    ///     (generators, search terms) checks no date against the calendar.
    public static func value(_ json: JSON, for spec: FieldSpec, path: String, today: LocalDate? = nil) throws -> FieldValue {
        func bad(_ expected: String) -> GuichetError { .invalid("field '\(path)': expected \(expected)") }
        switch spec.type {
        case .text(let maxLength):
            guard case .string(let raw) = json else { throw bad("text") }
            let s = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            // Something that shows: a value of combining marks or joiners alone looked empty.
            guard !s.isEmpty, DisplayText.visibleCount(s) > 0 else { throw bad("non-empty text") }
            guard s.count <= maxLength else { throw bad("at most \(maxLength) characters") }
            guard !DisplayText.holdsRefused(s) else {
                throw bad("text on one line, without control or text-direction characters (a line break inside a cell: join its lines, with ', ' say)")
            }
            return .text(s)
        case .integer(let min, let max):
            guard let i = json.integer else { throw bad("a whole number") }
            guard i >= min, i <= max else { throw bad("a whole number from \(min) to \(max)") }
            return .integer(i)
        case .date:
            guard case .string(let s) = json, let d = LocalDate(iso: s) else { throw bad("a date as YYYY-MM-DD") }
            if spec.notAfterToday, let today, d > today { throw bad("a date no later than today") }
            return .date(d)
        case .boolean:
            guard case .bool(let b) = json else { throw bad("true or false") }
            return .boolean(b)
        case .email:
            guard case .string(let raw) = json, let e = normaliseEmail(raw) else { throw bad("an e-mail address") }
            return .text(e)
        case .phone(let format):
            guard case .string(let raw) = json, let p = normalisePhone(raw, format: format) else { throw bad(format.expected) }
            return .text(p)
        case .nationalID(let format):
            guard case .string(let raw) = json else { throw bad("text") }
            let s = raw.uppercased().filter { !$0.isWhitespace }
            switch format {
            case .nam: guard isValidNAM(s) else { throw bad("a health-insurance number in the format LLLF YYMM DDNN") }
            case .nir: guard isValidNIR(s) else { throw bad("a social-security number (NIR) of 15 digits with a valid key") }
            case .cin: guard isValidCIN(s) else { throw bad("a national identity card number (1 or 2 letters then digits)") }
            case .cnss: guard isValidCNSS(s) else { throw bad("a CNSS registration number of 9 digits") }
            }
            return .text(s)
        case .choice(let values):
            guard case .string(let s) = json, values.contains(s) else { throw bad("one of: \(values.sorted().joined(separator: ", "))") }
            return .text(s)
        }
    }

    /// Lower-cased and trimmed e-mail address, or nil if it does not look like one.
    public static func normaliseEmail(_ raw: String) -> String? {
        let s = raw.trimmingCharacters(in: .whitespaces).lowercased()
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard s.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[0].count <= 64, parts[1].contains("."),
              !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              s.allSatisfy({ $0.isASCII && !$0.isWhitespace && $0 != "," && $0 != ";" }) else { return nil }
        return s
    }

    /// E.164 form of a North American number ("+15145550142"), or nil.
    public static func normalisePhone(_ raw: String) -> String? {
        guard raw.allSatisfy({ $0.isASCIIDigit || " -.()+".contains($0) }) else { return nil }
        var digits = raw.filter(\.isASCIIDigit)
        if raw.trimmingCharacters(in: .whitespaces).hasPrefix("+") && !digits.hasPrefix("1") { return nil }
        if digits.count == 11, digits.hasPrefix("1") { digits.removeFirst() }
        guard digits.count == 10, let a = digits.first, let e = digits.dropFirst(3).first,
              ("2"..."9").contains(a), ("2"..."9").contains(e) else { return nil }
        return "+1" + digits
    }

    /// Québec health-insurance number: 4 letters, then YY, MM (+50 for women), DD, 2 digits.
    public static func isValidNAM(_ s: String) -> Bool {
        let chars = Array(s)
        guard chars.count == 12, chars[0..<4].allSatisfy({ $0.isASCII && $0.isUppercase }),
              chars[4...].allSatisfy(\.isASCIIDigit),
              let month = Int(String(chars[6...7])), let day = Int(String(chars[8...9])) else { return false }
        return ((1...12).contains(month) || (51...62).contains(month)) && (1...31).contains(day)
    }

    /// French NIR with its key: 97 − (N mod 97), with 2A → 19 and 2B → 18 before computing.
    public static func isValidNIR(_ s: String) -> Bool {
        let chars = Array(s)
        guard chars.count == 15, chars[0] == "1" || chars[0] == "2" else { return false }
        var body = String(chars[0..<13])
        let dept = String(chars[5...6])
        if dept == "2A" { body = String(chars[0..<5]) + "19" + String(chars[7..<13]) }
        else if dept == "2B" { body = String(chars[0..<5]) + "18" + String(chars[7..<13]) }
        guard body.allSatisfy(\.isASCIIDigit), String(chars[13...14]).allSatisfy(\.isASCIIDigit),
              let n = UInt64(body), let key = Int(String(chars[13...14])),
              let month = Int(String(chars[3...4])), (1...12).contains(month) || (20...42).contains(month) || (50...99).contains(month)
        else { return false }
        return key == 97 - Int(n % 97)
    }

    /// Moroccan national identity card: one or two letters, then 1 to 6 digits.
    public static func isValidCIN(_ s: String) -> Bool {
        let letters = s.prefix { $0.isASCII && $0.isUppercase }
        let rest = s.dropFirst(letters.count)
        return (1...2).contains(letters.count) && (1...6).contains(rest.count) && rest.allSatisfy(\.isASCIIDigit)
    }

    /// The look-up term of a searchable value: national identifiers, e-mail and phone as
    /// normalised; text folded (case and accents) with spaces collapsed.
    public static func term(_ value: FieldValue, type: FieldType) -> String {
        switch value {
        case .text(let s):
            switch type {
            case .text, .choice:
                return s.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil)
                    .split(whereSeparator: \.isWhitespace).joined(separator: " ")
            default: return s
            }
        case .integer(let i): return String(i)
        case .date(let d): return d.iso
        case .boolean(let b): return b ? "true" : "false"
        }
    }
}
