import GuichetCore

/// Password rules after NIST SP 800-63B §5.1.1.2: a minimum length, no composition rules, and
/// a check against common and breached passwords, repetitive or sequential characters and
/// words from the context (the user name, the service). Messages never contain the password.
public enum PasswordRules {
    /// Minimum length. NIST asks at least 8 with a second factor and 15 without; staff always
    /// have a second factor, and 12 keeps citizens' passwords far from guessable lists.
    public static let minimumLength = 12
    public static let maximumBytes = 1024

    /// Checks a new password.
    /// - Throws: ``GuichetError/invalid(_:)`` saying what is wrong.
    public static func check(_ password: String, username: String? = nil) throws {
        guard password.count >= minimumLength else {
            throw GuichetError.invalid("the password must have at least \(minimumLength) characters")
        }
        guard password.utf8.count <= maximumBytes else { throw GuichetError.invalid("the password is too long (\(maximumBytes) bytes at most)") }
        let lower = password.lowercased()
        let core = String(lower.reversed().drop { $0.isASCIIDigit || "!?.*_-@#".contains($0) }.reversed())
        if commonPasswords.contains(lower) || commonPasswords.contains(core) || Set(lower).count <= 2 {
            throw GuichetError.invalid("this password is too common or too easy to guess: choose a longer phrase of unrelated words")
        }
        if isSequence(lower) { throw GuichetError.invalid("this password is a simple sequence: choose a longer phrase of unrelated words") }
        for word in ["guichet", username?.lowercased()].compactMap({ $0 }) where word.count >= 4 && lower.contains(word) {
            throw GuichetError.invalid("the password must not contain the user name or the service's name")
        }
    }

    /// True for runs such as "abcdefghijkl" or "123456789012" (each character one more, or
    /// one less, than the previous; digits wrap around from 9 to 0).
    static func isSequence(_ s: String) -> Bool {
        let scalars = s.unicodeScalars.map { Int($0.value) }
        let digits = s.allSatisfy(\.isASCIIDigit)
        let steps = Set(zip(scalars, scalars.dropFirst()).map { digits ? (($1 - $0) % 10 + 10) % 10 : $1 - $0 })
        return steps.count <= 1 && (steps.first.map { digits ? [1, 9, 0].contains($0) : abs($0) <= 1 } ?? true)
    }
}
