public import Crypto

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A 32-byte SHA-256 value: a leaf hash, an interior node hash or a tree root.
///
/// Held inline (four words, no heap allocation): verification and appends make one or two
/// per entry, and allocating an array for each was among the per-entry costs that perf
/// showed outweighing SHA-256 itself in verification (issue 18).
/// Equality is not constant-time: hashes in a Merkle log are public values.
public struct Hash: Hashable, Sendable, CustomStringConvertible {
    /// The length of a hash in bytes (SHA-256).
    public static let byteCount = 32

    /// The 32 bytes in memory order.
    private let words: (UInt64, UInt64, UInt64, UInt64)

    /// The 32 bytes of the hash.
    public var bytes: [UInt8] { withUnsafeBytes { Array($0) } }

    /// The 32 bytes as `Data` (what a store keeps).
    public var data: Data { withUnsafeBytes { Data($0) } }

    /// Calls `body` with the 32 bytes, without copying them.
    public func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try Swift.withUnsafeBytes(of: words, body)
    }

    /// A stored hash: nil unless exactly 32 bytes long (a damaged or tampered store).
    public init?(stored: Data) {
        guard stored.count == Hash.byteCount else { return nil }
        self = stored.withUnsafeBytes { Hash(raw: $0) }
    }

    /// A stored hash read in place: nil unless exactly 32 bytes long.
    public init?(stored: UnsafeRawBufferPointer) {
        guard stored.count == Hash.byteCount else { return nil }
        self.init(raw: stored)
    }

    /// Wraps exactly 32 bytes of memory.
    init(raw: UnsafeRawBufferPointer) {
        precondition(raw.count == Hash.byteCount, "a hash is 32 bytes")
        words = (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
                 raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self), raw.loadUnaligned(fromByteOffset: 24, as: UInt64.self))
    }

    /// Wraps 32 bytes as a hash.
    ///
    /// - Throws: ``MerkleError/invalidHashEncoding`` if `bytes` is not exactly 32 bytes long.
    public init(bytes: some Collection<UInt8>) throws(MerkleError) {
        guard bytes.count == Hash.byteCount else { throw .invalidHashEncoding }
        self = bytes.withContiguousStorageIfAvailable { Hash(raw: UnsafeRawBufferPointer($0)) } ?? Array(bytes).withUnsafeBytes { Hash(raw: $0) }
    }

    /// Wraps a SHA-256 digest.
    public init(_ digest: SHA256.Digest) {
        self = digest.withUnsafeBytes { Hash(raw: $0) }
    }

    public static func == (a: Hash, b: Hash) -> Bool {
        a.words.0 == b.words.0 && a.words.1 == b.words.1 && a.words.2 == b.words.2 && a.words.3 == b.words.3
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(words.0); hasher.combine(words.1); hasher.combine(words.2); hasher.combine(words.3)
    }

    /// Parses 64 hexadecimal digits (either case).
    ///
    /// - Throws: ``MerkleError/invalidHashEncoding`` for any other input.
    public init(hex: String) throws(MerkleError) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 2 * Hash.byteCount else { throw .invalidHashEncoding }
        var out = [UInt8]()
        out.reserveCapacity(Hash.byteCount)
        var index = 0
        while index < utf8.count {
            guard let high = Hash.nibble(utf8[index]), let low = Hash.nibble(utf8[index + 1]) else {
                throw .invalidHashEncoding
            }
            out.append(high << 4 | low)
            index += 2
        }
        self = out.withUnsafeBytes { Hash(raw: $0) }
    }

    /// Parses the standard base64 encoding (RFC 4648 §4, with padding) of 32 bytes, as used
    /// by the root hash line of a checkpoint.
    ///
    /// Only the canonical encoding is accepted, so that one hash has one text form.
    /// - Throws: ``MerkleError/invalidHashEncoding`` for any other input.
    public init(base64: String) throws(MerkleError) {
        guard let decoded = canonicalBase64Decode(base64) else { throw .invalidHashEncoding }
        try self.init(bytes: decoded)
    }

    /// The hash as 64 lowercase hexadecimal digits.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(2 * Hash.byteCount)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The hash in standard base64 (RFC 4648 §4, with padding): 44 characters.
    public var base64: String {
        Data(bytes).base64EncodedString()
    }

    /// The lowercase hexadecimal form.
    public var description: String { hex }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// The hash functions of an RFC 9162 Merkle tree with SHA-256.
///
/// Leaves and interior nodes are hashed with distinct one-byte prefixes so that a leaf can
/// never be passed off as an interior node (second-preimage protection, RFC 9162 §2.1.1).
public enum MerkleHash {
    /// The root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1, MTH({})).
    public static let emptyRoot = Hash(SHA256.hash(data: [UInt8]()))

    /// The hash of a leaf entry: SHA-256(0x00 ‖ entry) (RFC 9162 §2.1.1, MTH({d(0)})).
    public static func leaf(_ entry: some DataProtocol) -> Hash {
        if let contiguous = entry.withContiguousStorageIfAvailable({ leaf(UnsafeRawBufferPointer($0)) }) { return contiguous }
        var hasher = SHA256()
        hasher.update(data: [0x00])  // RFC 9162 §2.1.1: leaf prefix
        hasher.update(data: entry)
        return Hash(hasher.finalize())
    }

    /// ``leaf(_:)`` of bytes held in `Data` (contiguous: hashed in one pass, no copy).
    public static func leaf(_ entry: Data) -> Hash {
        entry.withUnsafeBytes { leaf($0) }
    }

    /// ``leaf(_:)`` of bytes in memory.
    public static func leaf(_ entry: UnsafeRawBufferPointer) -> Hash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x00)) { hasher.update(bufferPointer: $0) }  // RFC 9162 §2.1.1: leaf prefix
        hasher.update(bufferPointer: entry)
        return Hash(hasher.finalize())
    }

    /// The hash of an interior node: SHA-256(0x01 ‖ left ‖ right) (RFC 9162 §2.1.1).
    public static func node(_ left: Hash, _ right: Hash) -> Hash {
        var hasher = SHA256()
        withUnsafeBytes(of: UInt8(0x01)) { hasher.update(bufferPointer: $0) }  // RFC 9162 §2.1.1: interior node prefix
        left.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        right.withUnsafeBytes { hasher.update(bufferPointer: $0) }
        return Hash(hasher.finalize())
    }
}

/// Decodes standard base64 with padding, accepting only the canonical encoding (the one
/// that re-encodes to the same text): no whitespace, no non-zero padding bits.
func canonicalBase64Decode(_ text: String) -> [UInt8]? {
    guard !text.isEmpty, let data = Data(base64Encoded: text), data.base64EncodedString() == text else {
        return nil
    }
    return Array(data)
}
