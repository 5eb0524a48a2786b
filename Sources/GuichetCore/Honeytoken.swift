public import Crypto
public import Foundation

/// Honeytoken records are stored only as keyed tags of their ids, so that neither an API nor
/// the database alone tells them apart from real records.
public enum Honeytoken {
    /// The purpose name of the key (derived from the key file) that tags honeytokens.
    public static let keyPurpose = "watch-honeytokens"

    /// The tag of a person or dossier id: HMAC-SHA256 under the honeytoken key, first 16 bytes.
    public static func tag(_ id: String, kind: String, key: SymmetricKey) -> Data {
        Data(HMAC<SHA256>.authenticationCode(for: Data("\(kind)\u{0}\(id)".utf8), using: key).prefix(16))
    }
}
