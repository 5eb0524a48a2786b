/// The errors a request can end with. Every message is safe to show: it names fields,
/// states and limits, never a personal value, a secret or whether a hidden record exists.
public enum GuichetError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The request is malformed or breaks a rule of the profile (HTTP 400).
    case invalid(String)
    /// The request body is larger than the limit (HTTP 413).
    case tooLarge(limit: Int)
    /// No valid credentials (HTTP 401).
    case unauthenticated
    /// Not found, or not visible to this caller: the two are deliberately the same (HTTP 404).
    case notFound
    /// The caller may see the record but not do this to it (HTTP 403).
    case forbidden(String)
    /// The request conflicts with the record's state (HTTP 409).
    case conflict(String)
    /// Too many attempts (HTTP 429).
    case throttled(retryAfterSeconds: Int)
    /// The watch slowed the account down after unusual activity (HTTP 429): not a count of
    /// attempts the caller could lower, so said apart from ``throttled(retryAfterSeconds:)``.
    case slowed(retryAfterSeconds: Int)
    /// Guichet could not do what was asked and did nothing (HTTP 503); details go to the log.
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalid(let m): "invalid request: \(m)"
        case .tooLarge(let l): "request body larger than \(l) bytes"
        case .unauthenticated: "authentication required"
        case .notFound: "not found"
        case .forbidden(let m): "forbidden: \(m)"
        case .conflict(let m): "conflict: \(m)"
        case .throttled(let s): "too many attempts; retry after \(s) s"
        case .slowed(let s): "this account is slowed down after unusual activity (the security officers are told); retry after \(s) s, or ask a security officer"
        case .unavailable(let m): "unavailable: \(m)"
        }
    }
}

extension GuichetError {
    /// A name the caller sent (a field, a key, a role, a transition) fit to repeat in a
    /// message: as sent when it looks like a name (ASCII letters, digits, `_`, `-`, `.` and `:`,
    /// 1 to 64 of them), else a placeholder. A message then never carries a value the caller put
    /// where a name goes (a line break, a national id), which a log or a screen would show.
    public static func echo(_ name: some StringProtocol) -> String {
        let ok = (1...64).contains(name.utf8.count) && name.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F || b == 0x2D || b == 0x2E || b == 0x3A
        }
        return ok ? String(name) : "(not a name)"
    }
}
