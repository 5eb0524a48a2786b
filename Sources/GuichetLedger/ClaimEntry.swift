public import GuichetCore

/// How the ledger records claim codes, written by the gate and read back by a breach scope.
///
/// A staff member's claim code is journalled as `claim-code-issue` under the issuing account,
/// naming the person and every file the code opens; its redemption as `claim`, with no account
/// (the claimant has none yet), naming the person and, in its reason, the account it made.
public enum ClaimEntry {
    /// The action of an issued claim code.
    public static let issueAction = "claim-code-issue"
    /// The action of a redeemed claim code.
    public static let action = "claim"

    /// The reason of a `claim` entry: the account the claim made.
    public static func reason(_ account: AccountID) -> String {
        "account \(account.rawValue) linked to its person with a claim code"
    }

    /// The account a `claim` entry's reason names; nil for any other text.
    public static func account(inReason reason: String) -> AccountID? {
        let words = reason.split(separator: " ", maxSplits: 2)
        guard words.count == 3, words[0] == "account", reason.hasSuffix(" linked to its person with a claim code") else { return nil }
        return AccountID(validating: words[1])
    }
}
