import Foundation

/// Numbering plans of the `phone` field type (`format:` in a profile; `nanp` when omitted).
/// Every plan stores the number in E.164 form, so that one number written two ways is one
/// value and one look-up term.
public enum PhoneFormat: String, Sendable, CaseIterable {
    /// North American numbering (Québec): `514-555-0142`, `+1 514 555 0142` → `+15145550142`.
    case nanp
    /// France: `06 39 98 12 34`, `+33 6 39 98 12 34`, `0033 6…` → `+33639981234`.
    case fr
    /// Morocco: `06 12 34 56 78` (05 fixed, 06 and 07 mobile), `+212 6 12 34 56 78` → `+212612345678`.
    case ma

    /// What a field of this plan expects, for error messages.
    public var expected: String {
        switch self {
        case .nanp: "a phone number (10 digits, North American numbering)"
        case .fr: "a French phone number (0X XX XX XX XX, or +33 then 9 digits)"
        case .ma: "a Moroccan phone number (05, 06 or 07 then 8 digits, or +212 then 9 digits)"
        }
    }
}

extension FieldValidation {
    /// E.164 form of a phone number of the given plan, or nil.
    public static func normalisePhone(_ raw: String, format: PhoneFormat) -> String? {
        switch format {
        case .nanp: normalisePhone(raw)
        case .fr: closedPlanPhone(raw, country: "33", firstDigits: "123456789")
        case .ma: closedPlanPhone(raw, country: "212", firstDigits: "567")
        }
    }

    /// A number of a closed plan with the trunk prefix 0 and nine digits after it (France,
    /// Morocco): nationally `0` then nine digits, internationally `+CC` or `00CC` then the nine
    /// digits without the 0 (`+33 06…` is refused, as a dialled number would fail). Spaces,
    /// dots and hyphens may separate digits; the first of the nine is among `firstDigits`.
    static func closedPlanPhone(_ raw: String, country: String, firstDigits: String) -> String? {
        var body = Substring(raw.trimmingCharacters(in: .whitespaces))
        let plus = body.hasPrefix("+")
        if plus { body = body.dropFirst() }
        guard body.allSatisfy({ $0.isASCIIDigit || " -.".contains($0) }) else { return nil }
        var digits = String(body.filter(\.isASCIIDigit))
        if plus || digits.hasPrefix("00") {
            if !plus { digits.removeFirst(2) }
            guard digits.hasPrefix(country) else { return nil }
            digits.removeFirst(country.count)
        } else {
            guard digits.hasPrefix("0") else { return nil }
            digits.removeFirst()
        }
        guard digits.count == 9, let first = digits.first, firstDigits.contains(first) else { return nil }
        return "+" + country + digits
    }

    /// Moroccan CNSS registration number (numéro d'immatriculation of an insured person):
    /// 9 digits, the width of the `N_Num_Assure` field of the CNSS salary declaration files.
    /// The CNSS publishes no check digit, so only the length and the digits are checked.
    public static func isValidCNSS(_ s: String) -> Bool {
        s.utf8.count == 9 && s.allSatisfy(\.isASCIIDigit)
    }
}
