import Foundation
import Testing
import GuichetCore

/// The strict request-body reader: reads what Foundation reads, the same way, and refuses
/// what a request must not carry (issue #21 item 7).
@Suite struct JSONParserTests {
    static let valid = [
        #"{}"#, #"[]"#, #" { "a" : [1, -2.5, 3e2, 0, -0.125E-2, true, false, null] } "#,
        #"{"é": "\u00e9\ud83d\ude00\n\t\"\\\/", "b": {"c": [{}, []]}}"#,
        #""text""#, "12", #"{"Emoji": "😀", "k": ""}"#,
    ]

    @Test("valid JSON texts read as Foundation reads them", arguments: valid)
    func agreesWithFoundation(_ text: String) throws {
        let ours = try JSONParser.parse(Array(text.utf8))
        let theirs = try JSONDecoder().decode(JSON.self, from: Data(text.utf8))
        #expect(ours == theirs)
    }

    static let invalid: [(String, String)] = [
        (#"{"a": 1, "a": 2}"#, "gives 'a' twice"),
        (#"{"a": 1, "\u0061": 2}"#, "gives 'a' twice"),
        (#"{"x": {"b": 1, "b": 1}}"#, "gives 'x.b' twice"),
        (#"{"a": 1} x"#, "unexpected text after"),
        (#"{"a": 01}"#, "',' or '}' was expected"),
        (#"{"a": 1.}"#, "a digit was expected after '.'"),
        (#"{"a": -}"#, "a digit was expected"),
        (#"{"a": 1e}"#, "exponent"),
        (#"{"a": 1e999}"#, "out of range"),
        (#"{"a": "\ud800"}"#, "lone surrogate"),
        (#"{"a": "\q"}"#, "unknown escape"),
        ("{\"a\": \"tab\there\"}", "control character"),
        (#"{"a": tru}"#, "expected 'true'"),
        (#"{"a": 1,}"#, "a key in quotes"),
        (#"[1, 2"#, "',' or ']' was expected"),
        (#"{"a": "open"#, "not closed"),
        ("", "ends where a value was expected"),
        (String(repeating: "[", count: 33) + String(repeating: "]", count: 33), "nested deeper than 32"),
    ]

    @Test("what a request must not carry is refused, saying what and where", arguments: invalid)
    func refuses(_ c: (String, String)) {
        do {
            _ = try JSONParser.parse(Array(c.0.utf8))
            Issue.record("accepted: \(c.0)")
        } catch let GuichetError.invalid(message) {
            #expect(message.contains(c.1), "\(message)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test("bytes that are not UTF-8 inside a string are refused")
    func invalidUTF8() {
        let bytes: [UInt8] = Array(#"{"a": ""#.utf8) + [0xFF, 0xFE] + Array(#""}"#.utf8)
        #expect(throws: GuichetError.self) { _ = try JSONParser.parse(bytes) }
        #expect(throws: (any Error).self, "Foundation refuses them too") { _ = try JSONDecoder().decode(JSON.self, from: Data(bytes)) }
    }

    @Test("thirty-two levels of nesting are accepted")
    func depthLimit() throws {
        let text = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(throws: Never.self) { _ = try JSONParser.parse(Array(text.utf8)) }
    }
}
