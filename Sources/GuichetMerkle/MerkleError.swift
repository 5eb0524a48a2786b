/// The one error type of the GuichetMerkle module.
///
/// Verification never explains itself: every proof that fails, for whatever reason, throws
/// ``invalidProof``, and every signed note or checkpoint that is malformed or not properly
/// signed throws ``invalidNote``. The other cases report bad arguments from a trusted caller
/// (the ledger itself), such as asking for a proof of a leaf beyond the tree.
public enum MerkleError: Error, Hashable, Sendable {
    /// An inclusion or consistency proof did not verify.
    ///
    /// Thrown for every failure: a wrong hash, a wrong index or size, a proof that is too
    /// short or too long, sizes that cannot be proved against each other.
    case invalidProof

    /// A signed note or checkpoint was rejected.
    ///
    /// Thrown for every failure: a note that does not parse, a missing or invalid signature
    /// from a required key, a checkpoint body that is malformed or names another origin.
    case invalidNote

    /// A leaf index that is not below the tree size was given to a proof generator.
    case indexOutOfRange(index: UInt64, size: UInt64)

    /// Tree sizes that cannot be related were given to a proof generator (old size above new
    /// size).
    case invalidTreeSizes(old: UInt64, new: UInt64)

    /// A ``LeafHashSource`` returned a number of hashes other than the number asked for, or
    /// ``CompactRange/init(size:hashes:)`` was given the wrong number of stored hashes.
    case leafSourceMismatch(expected: UInt64, received: Int)

    /// A hash value had the wrong length or encoding (hex or base64).
    case invalidHashEncoding

    /// A key was rejected: wrong length, not a valid key for its algorithm, an invalid key
    /// name, or two keys whose note key IDs collide.
    case invalidKey

    /// A checkpoint or note text to be signed breaks the format (empty origin, a newline or
    /// control character inside a line, an empty extension line, text not ending in newline).
    case invalidNoteText

    /// The underlying signature primitive failed to produce a signature.
    case signingFailed
}
