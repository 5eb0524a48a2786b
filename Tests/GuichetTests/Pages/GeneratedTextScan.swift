import Foundation

/// The English texts the server generates, read from the sources: the string literals of the
/// gate's refusals (`GuichetError.invalid(`, `.forbidden(`, `.conflict(`, and the federated
/// sign-in's `.refused(`, shown as a `.forbidden`), of account notices (`addNotice(`, `hand(`:
/// `detail:`), of the watch's alerts (`Finding(`, `raise(`, `WatchAlert(`: `detail:`) and of
/// suspensions (`suspend(`: `reason:` or `detail:`; the engine's `suspend(&st, detector, detail, &out)`).
///
/// A literal becomes a template: each interpolation `\(...)` is `{}`; literals joined by `+`
/// are one; a ternary between two literals (`kind == .admin ? "a" : "b"`) gives both. An
/// interpolation or a `+` part that is a ternary between two literals without values
/// (`\(x ? "reached" : "asked for")`) is also expanded: each form is a template too (a `+` part
/// only expanded: its value is always one of the two).
enum GeneratedTextScan {
    /// One place that generates a text.
    struct Site: CustomStringConvertible {
        let file: String
        let line: Int
        let call: String
        /// The templates the place can generate (empty for a value passed through).
        var templates: [String]
        /// The argument as written, when it holds no literal (a message made elsewhere, passed on).
        var passedThrough: String?
        var description: String { "\(file):\(line) \(call)" }
    }

    /// A part of a literal: text, an interpolated value (with its two forms when it is a
    /// ternary of two literals), or a `+` part that is such a ternary (always expanded).
    enum Segment {
        case text(String)
        case value([String]?)
        case choice([String])
    }

    struct Failure: Error, CustomStringConvertible {
        let file: String
        let line: Int
        let why: String
        var description: String { "\(file):\(line): \(why)" }
    }

    /// Calls whose first argument is a GuichetError's message (`.refused(` in GuichetOIDC only).
    static let dottedCalls = ["invalid", "forbidden", "conflict", "refused"]
    /// Calls whose labelled argument is a generated text.
    static let labelledCalls: [String: Set<String>] = [
        "addNotice": ["detail"], "hand": ["detail"], "Finding": ["detail"], "raise": ["detail"], "WatchAlert": ["detail"],
        "suspend": ["reason", "detail"],
    ]

    /// Every site of the sources (`Sources/`), and the files that could not be read through.
    static func scan() -> (sites: [Site], failures: [Failure]) {
        var sites: [Site] = [], failures: [Failure] = []
        var files: [(String, [UInt8])] = []
        for folder in SourceScan.targetFolders.values.sorted() {
            for file in SourceScan.swiftFiles(under: folder) {
                guard let data = FileManager.default.contents(atPath: Repo.root.appendingPathComponent(file).path) else { continue }
                files.append((file, Array(data)))
            }
        }
        for (file, bytes) in files {
            var lexer = Lexer(s: bytes, file: file)
            do { sites += try lexer.sites() } catch let f as Failure { failures.append(f) } catch { failures.append(Failure(file: file, line: 0, why: "\(error)")) }
        }
        // A static constant passed (`Self.privilegedResetRefusal`): its literal, where it is declared.
        for i in sites.indices {
            guard let p = sites[i].passedThrough, let name = p.split(separator: ".").last, p.contains("."),
                  name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { continue }
            for (file, bytes) in files {
                var lexer = Lexer(s: bytes, file: file)
                if let segments = try? lexer.staticLiteral(String(name)) {
                    sites[i].templates = Lexer.forms(segments)
                    sites[i].passedThrough = nil
                    break
                }
            }
        }
        return (sites, failures)
    }

    /// A Swift source read far enough to find the sites and their literals.
    struct Lexer {
        let s: [UInt8]
        let file: String

        static let quote = UInt8(ascii: "\""), hash = UInt8(ascii: "#"), backslash = UInt8(ascii: "\\"), newline = UInt8(ascii: "\n")

        func line(_ i: Int) -> Int { s[..<min(i, s.count)].reduce(1) { $0 + ($1 == Self.newline ? 1 : 0) } }
        func fail(_ i: Int, _ why: String) -> Failure { Failure(file: file, line: line(i), why: why) }

        func starts(_ text: String, at i: Int) -> Bool {
            let t = Array(text.utf8)
            return i + t.count <= s.count && s[i..<(i + t.count)].elementsEqual(t)
        }

        static func isIdentifier(_ c: UInt8) -> Bool {
            (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 95 || c >= 0x80
        }

        /// The end of a comment (or of a regex literal `#/.../#`) starting at `i`, else nil.
        func commentEnd(_ i: Int) -> Int? {
            if starts("//", at: i) {
                var j = i
                while j < s.count && s[j] != Self.newline { j += 1 }
                return j
            }
            if starts("/*", at: i) {
                var depth = 0, j = i
                while j < s.count {
                    if starts("/*", at: j) { depth += 1; j += 2 } else if starts("*/", at: j) {
                        depth -= 1; j += 2
                        if depth == 0 { return j }
                    } else { j += 1 }
                }
                return s.count
            }
            if starts("#/", at: i) {
                var j = i + 2
                while j < s.count && !starts("/#", at: j) { j += 1 }
                return min(j + 2, s.count)
            }
            return nil
        }

        func isStringStart(_ i: Int) -> Bool {
            if s[i] == Self.quote { return true }
            guard s[i] == Self.hash, i == 0 || !(Self.isIdentifier(s[i - 1]) || s[i - 1] == Self.hash) else { return false }
            var j = i
            while j < s.count && s[j] == Self.hash { j += 1 }
            return j < s.count && s[j] == Self.quote
        }

        /// The string literal at `i`: its end and its segments.
        func string(_ i: Int) throws -> (end: Int, segments: [Segment]) {
            var j = i, hashes = 0
            while s[j] == Self.hash { hashes += 1; j += 1 }
            let multi = starts("\"\"\"", at: j)
            j += multi ? 3 : 1
            let close = Array((multi ? "\"\"\"" : "\"").utf8) + Array(repeating: Self.hash, count: hashes)
            let escape = [Self.backslash] + Array(repeating: Self.hash, count: hashes)
            var segments: [Segment] = [], text: [UInt8] = []
            func flush() { if !text.isEmpty { segments.append(.text(String(decoding: text, as: UTF8.self))); text = [] } }
            while j < s.count {
                if s[j...].starts(with: close) {
                    flush()
                    return (j + close.count, multi ? Self.dedent(segments) : segments)
                }
                if s[j...].starts(with: escape) {
                    let k = j + escape.count
                    guard k < s.count else { break }
                    switch s[k] {
                    case UInt8(ascii: "("):
                        let end = try balancedEnd(k)
                        flush()
                        segments.append(.value(try ternaryOfLiterals(k + 1, end - 1)))
                        j = end
                    case UInt8(ascii: "n"): text.append(Self.newline); j = k + 1
                    case UInt8(ascii: "t"): text.append(9); j = k + 1
                    case UInt8(ascii: "r"): text.append(13); j = k + 1
                    case UInt8(ascii: "0"): text.append(0); j = k + 1
                    case Self.quote, Self.backslash, UInt8(ascii: "'"): text.append(s[k]); j = k + 1
                    case UInt8(ascii: "u"):
                        guard let e = s[k...].firstIndex(of: UInt8(ascii: "}")),
                              let v = UInt32(String(decoding: s[(k + 2)..<e], as: UTF8.self), radix: 16), let u = Unicode.Scalar(v) else {
                            throw fail(j, "a \\u escape")
                        }
                        text += Array(String(u).utf8); j = e + 1
                    case Self.newline where multi: j = k + 1  // a line continued
                    default: throw fail(j, "an escape \\\(Character(Unicode.Scalar(s[k])))")
                    }
                    continue
                }
                text.append(s[j]); j += 1
            }
            throw fail(i, "a string that does not end")
        }

        /// A multi-line literal's text without its first line break, its last one, and the
        /// closing delimiter's indentation at the start of each line.
        static func dedent(_ segments: [Segment]) -> [Segment] {
            guard case .text(let last)? = segments.last, let cut = last.lastIndex(of: "\n") else { return segments }
            let indent = String(last[last.index(after: cut)...])
            var out = segments
            out[out.count - 1] = .text(String(last[..<cut]))
            out = out.map { seg in
                guard case .text(let t) = seg else { return seg }
                return .text(t.replacingOccurrences(of: "\n" + indent, with: "\n"))
            }
            if case .text(let first)? = out.first, first.hasPrefix("\n") { out[0] = .text(String(first.dropFirst())) }
            return out.filter { if case .text(let t) = $0 { return !t.isEmpty } else { return true } }
        }

        /// The index after the bracket that closes the one at `i`.
        func balancedEnd(_ i: Int) throws -> Int {
            var stack: [UInt8] = []
            var j = i
            while j < s.count {
                if let e = commentEnd(j) { j = e; continue }
                if isStringStart(j) { j = try string(j).end; continue }
                switch s[j] {
                case UInt8(ascii: "("): stack.append(UInt8(ascii: ")"))
                case UInt8(ascii: "["): stack.append(UInt8(ascii: "]"))
                case UInt8(ascii: "{"): stack.append(UInt8(ascii: "}"))
                case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"):
                    guard stack.popLast() == s[j] else { throw fail(j, "unbalanced brackets") }
                    if stack.isEmpty { return j + 1 }
                default: break
                }
                j += 1
            }
            throw fail(i, "a bracket that does not close")
        }

        enum Token {
            case string([Segment])
            /// A bracketed group: from its opening bracket to after its closing one.
            case group(Int, Int)
            case word(String)
            case comma
            case op(String)
        }

        static let wordBytes: Set<UInt8> = Set("_.$@&".utf8)
        static let opBytes: Set<UInt8> = Set("+-*/=!<>?:|^%~".utf8)

        /// The top-level tokens of `s[from..<to]`.
        func tokens(_ from: Int, _ to: Int) throws -> [Token] {
            var out: [Token] = [], j = from
            while j < to {
                let c = s[j]
                if c == 32 || c == 9 || c == 10 || c == 13 { j += 1; continue }
                if let e = commentEnd(j) { j = e; continue }
                if isStringStart(j) { let (e, segs) = try string(j); out.append(.string(segs)); j = e; continue }
                if c == UInt8(ascii: "(") || c == UInt8(ascii: "[") || c == UInt8(ascii: "{") {
                    let e = try balancedEnd(j); out.append(.group(j, e)); j = e; continue
                }
                if Self.isIdentifier(c) || Self.wordBytes.contains(c) {
                    var e = j
                    while e < to && (Self.isIdentifier(s[e]) || Self.wordBytes.contains(s[e])) { e += 1 }
                    out.append(.word(String(decoding: s[j..<e], as: UTF8.self))); j = e; continue
                }
                if c == UInt8(ascii: ",") { out.append(.comma); j += 1; continue }
                var e = j
                while e < to && Self.opBytes.contains(s[e]) { e += 1 }
                if e == j { e = j + 1 }
                out.append(.op(String(decoding: s[j..<e], as: UTF8.self))); j = e
            }
            return out
        }

        /// The two texts of `condition ? "a" : "b"` in `s[from..<to]` when both are literals
        /// without values; else nil.
        func ternaryOfLiterals(_ from: Int, _ to: Int) throws -> [String]? {
            let t = try tokens(from, to)
            guard t.count >= 5, case .op("?") = t[t.count - 4], case .string(let a) = t[t.count - 3], case .op(":") = t[t.count - 2],
                  case .string(let b) = t[t.count - 1], let x = Self.plain(a), let y = Self.plain(b) else { return nil }
            return [x, y]
        }

        /// The text of a literal without values.
        static func plain(_ segments: [Segment]) -> String? {
            var out = ""
            for seg in segments { guard case .text(let t) = seg else { return nil }; out += t }
            return out
        }

        /// The literals of an argument: chains of literals joined by `+` (a part that is not a
        /// literal is a value), skipping literals compared (`==`, `!=`) or tested (`"a" ?`).
        func literals(_ t: [Token]) throws -> [[Segment]] {
            var out: [[Segment]] = []
            var chain: [Segment]?
            func isOp(_ k: Int, _ ops: Set<String>) -> Bool {
                guard k >= 0, k < t.count, case .op(let o) = t[k] else { return false }
                return ops.contains(o)
            }
            for (k, token) in t.enumerated() {
                switch token {
                case .string(let segs):
                    if isOp(k - 1, ["==", "!="]) || isOp(k + 1, ["==", "!=", "?"]) { continue }
                    if chain != nil, isOp(k - 1, ["+"]) { chain! += segs } else {
                        if let c = chain { out.append(c) }
                        chain = segs
                    }
                case .op("+"): continue
                default:
                    if chain != nil, isOp(k - 1, ["+"]) {
                        if case .group(let a, let b) = token, let alternatives = try ternaryOfLiterals(a + 1, b - 1) {
                            chain!.append(.choice(alternatives))
                        } else {
                            chain!.append(.value(nil))
                        }
                        continue
                    }
                    if let c = chain { out.append(c); chain = nil }
                }
            }
            if let c = chain { out.append(c) }
            return out
        }

        /// Every template a literal gives: values as `{}`, and, when some are ternaries of
        /// literals, each expanded form; `+` ternaries are always expanded.
        static func forms(_ segments: [Segment]) -> [String] {
            func combos(expand: Bool) -> [String] {
                var outs = [""]
                for seg in segments {
                    switch seg {
                    case .text(let t): outs = outs.map { $0 + t }
                    case .value(let alternatives):
                        if expand, let alternatives { outs = outs.flatMap { o in alternatives.map { o + $0 } } } else { outs = outs.map { $0 + "{}" } }
                    case .choice(let alternatives): outs = outs.flatMap { o in alternatives.map { o + $0 } }
                    }
                }
                return outs
            }
            var seen = Set<String>()
            return (combos(expand: false) + combos(expand: true)).filter { seen.insert($0).inserted }
        }

        /// The arguments of the call whose `(` is at `open`: label and tokens.
        func arguments(_ open: Int) throws -> [(label: String?, tokens: [Token], from: Int, to: Int)] {
            let end = try balancedEnd(open) - 1
            var out: [(String?, [Token], Int, Int)] = []
            // Split at top-level commas, keeping each argument's source range.
            var start = open + 1, j = open + 1, depth = 0
            var ranges: [(Int, Int)] = []
            while j < end {
                if let e = commentEnd(j) { j = e; continue }
                if isStringStart(j) { j = try string(j).end; continue }
                switch s[j] {
                case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
                case UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"): depth -= 1
                case UInt8(ascii: ",") where depth == 0: ranges.append((start, j)); start = j + 1
                default: break
                }
                j += 1
            }
            ranges.append((start, end))
            for (a, b) in ranges {
                var t = try tokens(a, b)
                var label: String?, from = a
                if t.count >= 2, case .word(let w) = t[0], case .op(":") = t[1], let colon = s[a..<b].firstIndex(of: UInt8(ascii: ":")) {
                    label = w; t.removeFirst(2); from = colon + 1
                }
                out.append((label, t, from, b))
            }
            return out
        }

        /// The word ending just before `i` (spaces skipped).
        func wordBefore(_ i: Int) -> String {
            var e = i
            while e > 0 && (s[e - 1] == 32 || s[e - 1] == 9) { e -= 1 }
            var b = e
            while b > 0 && Self.isIdentifier(s[b - 1]) { b -= 1 }
            return String(decoding: s[b..<e], as: UTF8.self)
        }

        /// The sites of the file.
        mutating func sites() throws -> [Site] {
            var out: [Site] = []
            var j = 0
            let oidc = file.hasPrefix("Sources/GuichetOIDC/")
            while j < s.count {
                if let e = commentEnd(j) { j = e; continue }
                if isStringStart(j) { j = try string(j).end; continue }
                if s[j] == UInt8(ascii: "."), let name = GeneratedTextScan.dottedCalls.first(where: { starts(".\($0)(", at: j) }) {
                    let open = j + name.utf8.count + 1
                    j = open + 1
                    guard name != "refused" || oidc else { continue }
                    let args = try arguments(open)
                    guard let first = args.first, first.label == nil, !first.tokens.isEmpty else { continue }
                    if case .word(let w) = first.tokens[0], ["let", "var", "_"].contains(w) { continue }  // a pattern
                    out.append(try site(open, "." + name, first.tokens, first.from, first.to))
                    continue
                }
                if Self.isIdentifier(s[j]) {
                    var e = j
                    while e < s.count && Self.isIdentifier(s[e]) { e += 1 }
                    let word = String(decoding: s[j..<e], as: UTF8.self)
                    if e < s.count, s[e] == UInt8(ascii: "("), let labels = GeneratedTextScan.labelledCalls[word], wordBefore(j) != "func" {
                        let args = try arguments(e)
                        if let arg = args.first(where: { a in a.label.map { labels.contains($0) } == true }) {
                            out.append(try site(e, word, arg.tokens, arg.from, arg.to))
                        } else if word == "suspend", args.count == 4, case .word(let w)? = args[0].tokens.first, w.hasPrefix("&") {
                            out.append(try site(e, word, args[2].tokens, args[2].from, args[2].to))
                        }
                    }
                    j = e
                    continue
                }
                j += 1
            }
            return out
        }

        func site(_ at: Int, _ call: String, _ tokens: [Token], _ from: Int, _ to: Int) throws -> Site {
            let literals = try literals(tokens)
            var site = Site(file: file, line: line(at), call: call, templates: literals.flatMap(Self.forms))
            if literals.isEmpty {
                site.passedThrough = String(decoding: s[from..<to], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            return site
        }

        /// The literal that `static let name = "..." + "..."` declares in this file, if it does.
        mutating func staticLiteral(_ name: String) throws -> [Segment]? {
            let declaration = Array("static let \(name)".utf8)
            var j = 0
            while j + declaration.count <= s.count {
                if s[j] == declaration[0], s[j..<(j + declaration.count)].elementsEqual(declaration),
                   j + declaration.count < s.count, !Self.isIdentifier(s[j + declaration.count]) {
                    guard var k = s[j...].firstIndex(of: UInt8(ascii: "=")) else { return nil }
                    k += 1
                    var segments: [Segment] = []
                    while true {
                        while k < s.count, s[k] == 32 || s[k] == 10 || s[k] == 9 { k += 1 }
                        guard k < s.count, isStringStart(k) else { break }
                        let (e, segs) = try string(k)
                        segments += segs
                        k = e
                        var n = k
                        while n < s.count, s[n] == 32 || s[n] == 10 || s[n] == 9 { n += 1 }
                        guard n < s.count, s[n] == UInt8(ascii: "+") else { break }
                        k = n + 1
                    }
                    return segments.isEmpty ? nil : segments
                }
                j += 1
            }
            return nil
        }
    }
}
