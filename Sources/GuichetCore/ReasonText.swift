/// Reasons kept in tables that are never changed nor deleted (a factor reset's, a departure's):
/// written by administrators, "no personal detail". What can be checked is: no e-mail address
/// (an `@`), no run of six or more digits (a telephone or identity number, a date written
/// without hyphens), no control character.
public enum ReasonText {
    /// The trimmed reason, or nil when it holds what looks like a personal detail.
    public static func withoutPersonalDetail(_ text: String) -> String? {
        var run = 0
        for c in text.unicodeScalars {
            if DisplayText.refused(c) || c == "@" { return nil }
            // Spaces and dots inside a number do not end it (`06 12 34 56 78`); a hyphen does,
            // so that a date of the procedure (`2026-12-01`) may be written.
            run = c.properties.numericType == .decimal ? run + 1 : (c == " " || c == "." ? run : 0)
            if run >= 6 { return nil }
        }
        return text
    }
}

/// What free text shown to other people may not hold: control characters, and the
/// bidirectional embedding, override and isolate characters (U+202A to U+202E, U+2066 to
/// U+2069), which reorder what follows on screen so that a name or a reason reads reversed
/// (an attacker test planted them in names, a break-glass justification and a reason).
/// Right-to-left text itself (Arabic, Hebrew) is not touched: it needs none of them.
public enum DisplayText {
    /// Whether the character reorders the display of what follows.
    public static func reordersDisplay(_ c: Unicode.Scalar) -> Bool {
        (0x202A...0x202E).contains(c.value) || (0x2066...0x2069).contains(c.value)
    }

    /// Whether free text may not hold the character (`newline`: a line break is allowed):
    /// control characters; text-direction controls; the line and paragraph separators
    /// (U+2028, U+2029), which break a line no form can type; format characters (zero-width
    /// space, direction marks, tags, a byte-order mark), except the joiners that Persian,
    /// Indic scripts and emoji need (U+200C, U+200D); and characters that show nothing
    /// (``invisible(_:)``). An API audit (7 December) filled a 40-character break-glass
    /// justification with Hangul fillers, and names with zero-width characters.
    public static func refused(_ c: Unicode.Scalar, newline: Bool = false) -> Bool {
        if newline && (c == "\n" || c == "\r") { return false }
        switch c.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: return true
        case .format: return c.value != 0x200C && c.value != 0x200D
        default: return reordersDisplay(c) || invisible(c)
        }
    }

    /// Letters and symbols that show as blank space: the Hangul fillers, the braille blank
    /// and the Mongolian vowel separator.
    public static func invisible(_ c: Unicode.Scalar) -> Bool {
        [0x115F, 0x1160, 0x3164, 0xFFA0, 0x2800, 0x180E].contains(c.value)
    }

    /// How many characters of the text show something: a letter, a digit, a punctuation
    /// mark or a symbol (not a space, a combining mark, a joiner, nor ``invisible(_:)``). A
    /// minimum length ("say why in 40 characters") counts these.
    public static func visibleCount(_ text: String) -> Int {
        text.reduce(0) { n, character in
            n + (character.unicodeScalars.contains { c in
                guard !invisible(c) else { return false }
                switch c.properties.generalCategory {
                case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
                     .decimalNumber, .letterNumber, .otherNumber,
                     .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
                     .initialPunctuation, .finalPunctuation, .otherPunctuation,
                     .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol: return true
                default: return false
                }
            } ? 1 : 0)
        }
    }

    /// Whether the text holds a character free text may not hold.
    public static func holdsRefused(_ text: String, newline: Bool = false) -> Bool {
        text.unicodeScalars.contains { refused($0, newline: newline) }
    }
}
