import Foundation
import GuichetCore
import Hummingbird
import NIOCore

/// The body of an HTML form (`application/x-www-form-urlencoded`), size-limited. A name given
/// twice keeps every value in order (the services chosen, say).
struct FormBody: Sendable {
    /// The largest form accepted (16 KiB: far above any page's form).
    static let limit = 16 * 1024

    let pairs: [(name: String, value: String)]

    /// Reads and parses the body of a form post.
    /// - Throws: ``GuichetError/invalid(_:)`` for another content type, ``GuichetError/tooLarge(limit:)``.
    static func read(_ request: Request) async throws -> FormBody {
        guard let type = request.headers[.contentType]?.lowercased(), type.hasPrefix("application/x-www-form-urlencoded") else {
            throw GuichetError.invalid("send the form as application/x-www-form-urlencoded")
        }
        let buffer = try await RequestBodies.collect(request, upTo: limit)
        return try FormBody(String(buffer: buffer))
    }

    /// Parses `name=value&...` (`+` is a space; `%XX` is a byte of UTF-8).
    /// - Throws: ``GuichetError/invalid(_:)`` for a malformed escape or bytes that are not UTF-8.
    init(_ text: String) throws {
        var pairs: [(String, String)] = []
        for part in text.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(kv[0]), let value = Self.decode(kv.count > 1 ? kv[1] : "") else {
                throw GuichetError.invalid("the form is not correctly encoded")
            }
            pairs.append((name, value))
        }
        self.pairs = pairs
    }

    /// A form of these pairs (a sealed search opened again: ``SearchSeal``).
    init(pairs: [(name: String, value: String)]) { self.pairs = pairs }

    static func decode(_ s: Substring) -> String? {
        s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    /// The first value of `name`, trimmed; nil when absent or empty.
    subscript(_ name: String) -> String? {
        guard let v = pairs.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespacesAndNewlines), !v.isEmpty else { return nil }
        return v
    }

    /// Every non-empty value of `name`, in order.
    func all(_ name: String) -> [String] {
        pairs.filter { $0.name == name }.map { $0.value.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }

    /// The value of `name`, or a refusal naming the field.
    func required(_ name: String) throws -> String {
        guard let v = self[name] else { throw GuichetError.invalid("'\(name)' is required") }
        return v
    }
}
