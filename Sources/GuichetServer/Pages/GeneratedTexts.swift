import Foundation

/// The texts the server generates in English (the gate's refusals, account notices, the
/// watch's alerts and suspension reasons) with their French renderings, from
/// `Pages/Web/texts/generated-fr.json`: English template → French template, where `{}` stands
/// for each interpolated value of the Swift literal, in order (the French side may use `{1}`,
/// `{2}`... when the order must change).
///
/// The stored texts and the API's stay English (they are data: exports and tests read them);
/// pages in French show them through ``WebPages/generated(_:_:)``. A text no template matches
/// is shown as it is. `GeneratedTextTests` checks that every literal of the sources has an entry.
struct GeneratedTexts: Sendable {
    /// One catalogue entry.
    struct Template: Sendable {
        let english: String
        /// The English literal parts around each `{}`, as UTF-8 (one more than the values).
        let parts: [[UInt8]]
        let french: [Piece]
        /// The count of literal bytes: the most specific template is tried first.
        var literal: Int { parts.reduce(0) { $0 + $1.count } }
    }

    /// A piece of a French template: text, or a value (the next one, or the one numbered from 1).
    enum Piece: Sendable, Equatable {
        case text(String)
        case next
        case numbered(Int)
    }

    /// Most literal text first; equal lengths in the English text's order.
    let templates: [Template]

    init(_ catalogue: [String: String]) {
        templates = catalogue.map { english, french in
            Template(english: english, parts: english.components(separatedBy: "{}").map { Array($0.utf8) },
                     french: Self.pieces(french))
        }
        .sorted { $0.literal != $1.literal ? $0.literal > $1.literal : $0.english < $1.english }
    }

    /// The French template's pieces: `{}` is the next value, `{n}` (n from 1) the n-th.
    static func pieces(_ french: String) -> [Piece] {
        var out: [Piece] = []
        var text = ""
        var rest = Substring(french)
        while let open = rest.firstIndex(of: "{") {
            let after = rest[rest.index(after: open)...]
            if let close = after.firstIndex(of: "}") {
                let inside = after[..<close]
                if inside.isEmpty || (inside.allSatisfy(\.isASCII) && Int(inside).map { $0 >= 1 } == true) {
                    text += rest[..<open]
                    if !text.isEmpty { out.append(.text(text)); text = "" }
                    out.append(inside.isEmpty ? .next : .numbered(Int(inside)!))  // checked just above
                    rest = after[after.index(after: close)...]
                    continue
                }
            }
            // A brace that is not a placeholder (`{id}` in a path): kept as text.
            text += rest[...open]
            rest = after
        }
        text += rest
        if !text.isEmpty { out.append(.text(text)) }
        return out
    }

    /// The count of values a French template takes (the highest number, or the count of `{}`).
    static func valueCount(_ french: String) -> Int {
        var next = 0, highest = 0
        for p in pieces(french) {
            switch p {
            case .text: break
            case .next: next += 1
            case .numbered(let n): highest = max(highest, n)
            }
        }
        return max(next, highest)
    }

    /// The French rendering of an English text, or nil when no template matches it whole. A
    /// value that is itself a generated text (a field's rule inside a refusal of the field) is
    /// rendered too, two levels deep at most.
    func french(_ english: String, depth: Int = 0) -> String? {
        let text = Array(english.utf8)
        for t in templates {
            guard let found = Self.values(text, t.parts) else { continue }
            let values = depth < 2 ? found.map { french($0, depth: depth + 1) ?? $0 } : found
            var out = "", next = 0
            for p in t.french {
                switch p {
                case .text(let s): out += s
                case .next:
                    if next < values.count { out += values[next] }
                    next += 1
                case .numbered(let n): if n <= values.count { out += values[n - 1] }
                }
            }
            return out
        }
        return nil
    }

    /// The values of `text` if it is the literal parts in order with values between them:
    /// the first part at the start, the last at the end, each middle part at its first place
    /// after the one before (a value never holds a middle part).
    static func values(_ text: [UInt8], _ parts: [[UInt8]]) -> [String]? {
        guard let first = parts.first, let last = parts.last else { return nil }
        if parts.count == 1 { return text == first ? [] : nil }
        guard text.count >= first.count + last.count, text.starts(with: first), text.suffix(last.count).elementsEqual(last) else {
            return nil
        }
        var at = first.count
        let end = text.count - last.count
        var values: [String] = []
        for part in parts.dropFirst().dropLast() {
            guard let found = find(part, in: text, from: at, to: end) else { return nil }
            values.append(String(decoding: text[at..<found], as: UTF8.self))
            at = found + part.count
        }
        values.append(String(decoding: text[at..<end], as: UTF8.self))
        return values
    }

    /// The first place of `needle` in `hay[from..<end]`. UTF-8 is self-synchronising: a
    /// match of whole characters never starts inside a character.
    static func find(_ needle: [UInt8], in hay: [UInt8], from: Int, to end: Int) -> Int? {
        guard let lead = needle.first else { return from }
        var i = from
        while i + needle.count <= end {
            if hay[i] == lead, hay[i..<(i + needle.count)].elementsEqual(needle) { return i }
            i += 1
        }
        return nil
    }
}
