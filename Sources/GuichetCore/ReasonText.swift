/// Reasons kept in tables that are never changed nor deleted (a factor reset's, a departure's):
/// written by administrators, "no personal detail". What can be checked is: no e-mail address
/// (an `@`), no run of six or more digits (a telephone or identity number, a date written
/// without hyphens), no control character.
public enum ReasonText {
    /// The trimmed reason, or nil when it holds what looks like a personal detail.
    public static func withoutPersonalDetail(_ text: String) -> String? {
        var run = 0
        for c in text.unicodeScalars {
            if c.properties.generalCategory == .control || c == "@" { return nil }
            // Spaces and dots inside a number do not end it (`06 12 34 56 78`); a hyphen does,
            // so that a date of the procedure (`2026-12-01`) may be written.
            run = c.properties.numericType == .decimal ? run + 1 : (c == " " || c == "." ? run : 0)
            if run >= 6 { return nil }
        }
        return text
    }
}
