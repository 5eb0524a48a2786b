// Synthetic Moroccan identifiers and phone numbers for the R3 registry (profile `secu`).
// They have valid formats and random digits: they belong to nobody known, but Morocco
// publishes no range reserved for fiction, so a number may exist (never dial one, never
// write to one). CIN letters are those of issuing regions; the CNSS number has 9 digits and,
// the CNSS publishing none, no check digit.

/// Synthetic Moroccan identity card numbers, CNSS registration numbers and phone numbers.
public enum SyntheticMorocco {
    /// Prefixes of the identity card (CIN): one or two letters of the issuing region.
    static let cinPrefixes = ["A", "AB", "B", "BE", "BH", "BJ", "BK", "C", "CD", "D", "E", "EE", "F", "G", "H", "HA", "I", "J",
                              "JA", "K", "L", "M", "N", "P", "Q", "R", "S", "SH", "T", "U", "V", "W", "X", "Y", "Z"]

    /// A CIN: a region prefix then six digits (`BE123456`).
    public static func cin<R: RandomNumberGenerator>(using rng: inout R) -> String {
        cinPrefixes[Int.random(in: 0..<cinPrefixes.count, using: &rng)] + digits(6, &rng)
    }

    /// A CNSS registration number: nine digits, not starting with 0.
    public static func cnss<R: RandomNumberGenerator>(using rng: inout R) -> String {
        String(Int.random(in: 1...9, using: &rng)) + digits(8, &rng)
    }

    /// A phone number as people write it: mobile (06, 07) or fixed (05), national or `+212`.
    public static func phone<R: RandomNumberGenerator>(using rng: inout R) -> String {
        let first = ["5", "6", "7"][Int.random(in: 0...2, using: &rng)]
        let rest = digits(8, &rng)
        let pairs = stride(from: 0, to: 8, by: 2).map { i in rest.dropFirst(i).prefix(2) }.joined(separator: " ")
        return Bool.random(using: &rng) ? "0\(first) \(pairs)" : "+212 \(first) \(pairs)"
    }

    static func digits<R: RandomNumberGenerator>(_ n: Int, _ rng: inout R) -> String {
        String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
    }
}
