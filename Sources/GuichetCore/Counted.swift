/// A count with its noun in the right number, for the command line's English messages:
/// "1 dossier", "0 dossiers", "2 persons". (The pages' texts have their own `_one` variants,
/// which follow each language's rule: `WebPages.counted`.)
public enum Counted {
    /// `n` and the noun, singular for exactly one.
    /// - Parameter plural: the plural when it is not the singular plus "s" ("entries").
    public static func english(_ n: some BinaryInteger, _ singular: String, _ plural: String? = nil) -> String {
        "\(n) " + (n == 1 ? singular : plural ?? singular + "s")
    }
}
