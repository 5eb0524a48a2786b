import Foundation
import GuichetCore

/// Times, days and decimal numbers as the pages show them to people, in the page's language:
/// "5 décembre 2026 à 10:54 UTC" / "5 December 2026, 10:54 UTC", "71,5 h" / "71.5 h". Times are
/// in UTC, as the ledger and the store keep them. A template shows a time as
/// `<time datetime="{{at.iso}}">{{at.text}}</time>` (``when(_:_:)``), so the machine-readable
/// value stays in the page. Written out here rather than through the system's locale data, so
/// the words are the same on every machine.
enum PageFormat {
    static let months: [String: [String]] = [
        "fr": ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"],
        "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"],
    ]

    static let utc: Calendar = {
        var c = Calendar(identifier: .gregorian)
        c.timeZone = TimeZone(secondsFromGMT: 0)!  // UTC always exists
        return c
    }()

    /// "5 décembre 2026" (the first of the month: "1er décembre 2026") / "5 December 2026".
    static func day(_ d: Date, _ language: String) -> String {
        let c = utc.dateComponents([.year, .month, .day], from: d)
        let month = (months[language] ?? months["en"]!)[(c.month ?? 1) - 1]  // "en" is defined above
        let day = c.day ?? 1
        return language == "fr" ? "\(day == 1 ? "1er" : String(day)) \(month) \(c.year ?? 0)" : "\(day) \(month) \(c.year ?? 0)"
    }

    /// A calendar date of a field, in words as ``day(_:_:)`` writes an instant's.
    static func day(_ d: LocalDate, _ language: String) -> String {
        let month = (months[language] ?? months["en"]!)[min(max(d.month, 1), 12) - 1]  // "en" is defined above
        return language == "fr" ? "\(d.day == 1 ? "1er" : String(d.day)) \(month) \(d.year)" : "\(d.day) \(month) \(d.year)"
    }

    /// "5 décembre 2026 à 10:54 UTC" / "5 December 2026, 10:54 UTC".
    static func time(_ d: Date, _ language: String) -> String {
        let c = utc.dateComponents([.hour, .minute], from: d)
        let clock = String(format: "%02d:%02d", c.hour ?? 0, c.minute ?? 0)
        return language == "fr" ? "\(day(d, language)) à \(clock) UTC" : "\(day(d, language)), \(clock) UTC"
    }

    /// A time for a template: `text` for people, `iso` for the `datetime` attribute.
    static func when(_ d: Date, _ language: String) -> [String: String] {
        ["text": time(d, language), "iso": Wire.timestamp(d).string ?? ""]
    }

    /// A day for a template: `text` for people, `iso` (YYYY-MM-DD) for the `datetime` attribute.
    static func whenDay(_ d: Date, _ language: String) -> [String: String] {
        ["text": day(d, language), "iso": String(d.formatted(.iso8601.year().month().day()))]
    }

    /// A number of hours with one decimal: a comma in French ("71,5"), a point in English.
    static func hours(_ h: Double, _ language: String) -> String { decimal(h, language) }

    /// A number with one decimal: a comma in French ("6,2"), a point in English.
    static func decimal(_ x: Double, _ language: String) -> String {
        let s = String(format: "%.1f", x)
        return language == "fr" ? s.replacingOccurrences(of: ".", with: ",") : s
    }
}
