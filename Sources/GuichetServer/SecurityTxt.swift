public import Foundation

/// The `/.well-known/security.txt` file (RFC 9116), so that a person who finds a flaw knows
/// where to report it.
public struct SecurityTxt: Sendable, Equatable {
    /// `mailto:` or `https:` addresses (RFC 9116 §2.5.3), at least one.
    public let contacts: [String]
    /// When the file stops being valid (§2.5.5); less than a year ahead is recommended.
    public let expires: Date
    /// An optional disclosure policy URL (§2.5.7).
    public let policy: String?

    /// - Throws: ``ConfigurationError`` for a contact that is neither mailto: nor https:.
    public init(contacts: [String], expires: Date, policy: String? = nil) throws {
        guard !contacts.isEmpty, contacts.allSatisfy({ $0.hasPrefix("mailto:") || $0.hasPrefix("https://") }) else {
            throw ConfigurationError("securityContact must be one or more mailto: or https:// addresses (RFC 9116)")
        }
        self.contacts = contacts; self.expires = expires; self.policy = policy
    }

    /// The file's text.
    public var text: String {
        var lines = contacts.map { "Contact: \($0)" }
        lines.append("Expires: \(expires.formatted(.iso8601))")
        if let policy { lines.append("Policy: \(policy)") }
        lines.append("Preferred-Languages: fr, en")
        return lines.joined(separator: "\n") + "\n"
    }
}
