import GuichetCore
import Crypto
import _CryptoExtras

/// The cursor of a listing: the last dossier a page looked at, its 16 bytes put through the AES
/// permutation under a key of the deployment (a pseudo-random permutation: one cursor per
/// dossier, and nothing about the dossier without the key). A page may end on a dossier the
/// caller is not allowed to see (the policy filters what the store's scope returns); its id
/// must not reach the caller, and a cursor is all the caller gets. It has the form of an
/// identifier, so clients pass it back as before.
enum ListingCursor {
    static func cursor(_ id: DossierID, key: SymmetricKey) throws -> DossierID {
        try permute(id.rawValue, key: key, forward: true)
    }

    /// The dossier a cursor stands for.
    /// - Throws: ``GuichetError/invalid(_:)`` for text that is not a cursor.
    static func position(_ cursor: DossierID, key: SymmetricKey) throws -> DossierID {
        try permute(cursor.rawValue, key: key, forward: false)
    }

    private static func permute(_ text: String, key: SymmetricKey, forward: Bool) throws -> DossierID {
        guard var bytes = Base64URL.decode(text), bytes.count == 16 else { throw GuichetError.invalid("'after' is not a valid cursor") }
        if forward { try AES.permute(&bytes, key: key) } else { try AES.inversePermute(&bytes, key: key) }
        return DossierID(trusted: Base64URL.encode(bytes))
    }
}
