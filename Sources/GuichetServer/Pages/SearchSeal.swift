import Crypto
import Foundation

/// A search sent by the staff home's form, sealed into the address its POST redirects to
/// (`/web/home?s=…`), so that the browser's Back button comes back to the results instead of
/// Chromium's "Confirm Form Resubmission" (pages audit M4: search, open a file, Back). The
/// terms never stand in the address in clear: they are sealed with AES-256-GCM under a key
/// this process drew at start and holds in memory only, bound to the session that searched
/// (its token's digest is the associated data), and valid for ``lifetime``.
///
/// Opening the address runs the search again through the gate, journalled as any search: the
/// results themselves are never kept.
///
/// - Warning: the key is this process's: behind several servers without sticky sessions, or
///   after a restart, a sealed address opens nothing and the form asks to search again
///   (docs/PAGES.md says so).
struct SearchSeal: Sendable {
    /// How long a sealed search can be opened again.
    static let lifetime: TimeInterval = 30 * 60
    /// The form's fields a sealed search carries (never a code, a password or the CSRF field).
    static let fields: Set<String> = ["type", "search", "purpose", "status", "who", "justification", "after", "from"]

    private let key = SymmetricKey(size: .bits256)

    /// Whether a field of the form belongs in a sealed search.
    static func carries(_ name: String) -> Bool { fields.contains(name) || name.hasPrefix("q.") }

    /// The form's search fields, sealed for this session, as a URL-safe token.
    func seal(_ pairs: [(name: String, value: String)], session: String, now: Date = Date()) throws -> String {
        var text = String(Int64(now.timeIntervalSince1970))
        for (name, value) in pairs where Self.carries(name) {
            text += "&" + Self.escape(name) + "=" + Self.escape(value)
        }
        let box = try AES.GCM.seal(Data(text.utf8), using: key, authenticating: Self.binding(session))
        guard let combined = box.combined else { throw CryptoKitError.incorrectParameterSize }
        return combined.base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The search fields of a token this process sealed for this session less than
    /// ``lifetime`` ago; nil for anything else (another session's, another process's, altered,
    /// expired).
    func open(_ token: String, session: String, now: Date = Date()) -> [(name: String, value: String)]? {
        guard token.count <= 8 * FormBody.limit else { return nil }
        var b64 = token.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        b64 += String(repeating: "=", count: (4 - b64.count % 4) % 4)
        guard let data = Data(base64Encoded: b64), let box = try? AES.GCM.SealedBox(combined: data),
              let plain = try? AES.GCM.open(box, using: key, authenticating: Self.binding(session)),
              let text = String(data: plain, encoding: .utf8) else { return nil }
        var parts = text.split(separator: "&", omittingEmptySubsequences: false)
        guard let first = parts.first, let issued = Int64(first) else { return nil }
        let age = now.timeIntervalSince1970 - TimeInterval(issued)
        guard age >= -60, age <= Self.lifetime else { return nil }
        parts.removeFirst()
        return parts.compactMap { part in
            let kv = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard kv.count == 2, let name = kv[0].removingPercentEncoding, let value = kv[1].removingPercentEncoding else { return nil }
            return (name, value)
        }
    }

    private static func binding(_ session: String) -> Data { Data(SHA256.hash(data: Data(session.utf8))) }

    private static func escape(_ s: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return s.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
